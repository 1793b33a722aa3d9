/* The mvm control port: the small PIO window through which the guest's init
 * talks to the VMM before any virtio device exists. Shared by mvm and mvinit;
 * this header is the whole contract.
 *
 *   MVM_PORT_MARK    (write, 1 byte)  record a boot milestone (MVM_MARK_*).
 *   MVM_PORT_MARK    (read, 4 bytes)  microseconds from mvm's start to the
 *                                     latest milestone, 0 if none yet.
 *   MVM_PORT_SHUTDOWN(write, 4 bytes) "I am about to reset the machine on
 *                                     purpose"; the value is the exit status
 *                                     (0..255) mvm should report. A reset
 *                                     without this notice is a guest crash.
 */
#ifndef MVRUN_PROTO_MVM_PORT_H
#define MVRUN_PROTO_MVM_PORT_H

#define MVM_PORT_BASE 0x0600
#define MVM_PORT_LEN 8
#define MVM_PORT_MARK (MVM_PORT_BASE + 0)
#define MVM_PORT_SHUTDOWN (MVM_PORT_BASE + 4)

/* Milestones written to MVM_PORT_MARK. */
#define MVM_MARK_INIT 1 /* PID 1 is running */

#endif
