/* The mvm control port: the small PIO window through which the guest's init
 * talks to the VMM before any virtio device exists. Shared by mvm and mvinit;
 * this header is the whole contract.
 *
 *   MVM_PORT_MARK    (write, 1 byte)  record a boot milestone (MVM_MARK_*).
 *   MVM_PORT_MARK    (read, 4 bytes)  microseconds from mvm's start to the
 *                                     latest milestone, 0 if none yet.
 *                                     mvm also keeps the first time of each
 *                                     milestone for its report (the startup
 *                                     benchmark's breakdown, bench/startup).
 *   MVM_PORT_SHUTDOWN(write, 4 bytes) "I am about to reset the machine on
 *                                     purpose"; the value is the exit status
 *                                     (0..255) mvm should report. A reset
 *                                     without this notice is a guest crash.
 *   MVM_PORT_SAVE    (write, 4 bytes) MVM_SAVE_POINT: "mvinit is up and
 *                                     waiting; nothing of a container is in
 *                                     the guest yet". An mvm run with
 *                                     --snapshot-save stops the VM here and
 *                                     saves it; any other mvm ignores it.
 *   MVM_PORT_FRESH   (write, 4 bytes) latch a fresh record (any value);
 *                    (read, 4 bytes)  its next word, 0 past the end:
 *                                     [0] MVM_FRESH_RESTORED if this guest
 *                                     was restored from a snapshot,
 *                                     [1..2] the host's CLOCK_REALTIME
 *                                     seconds (low, high) at the latch, [3]
 *                                     its nanoseconds, [4..19] 64 bytes of
 *                                     host entropy drawn when this mvm
 *                                     started (so never a template's).
 *                                     mvinit reads it right after the save
 *                                     point, restored or not, to reseed its
 *                                     RNG and set the clock.
 */
#ifndef MVRUN_PROTO_MVM_PORT_H
#define MVRUN_PROTO_MVM_PORT_H

#define MVM_PORT_BASE 0x0600
#define MVM_PORT_LEN 16
#define MVM_PORT_MARK (MVM_PORT_BASE + 0)
#define MVM_PORT_SHUTDOWN (MVM_PORT_BASE + 4)
#define MVM_PORT_SAVE (MVM_PORT_BASE + 8)
#define MVM_PORT_FRESH (MVM_PORT_BASE + 12)

#define MVM_SAVE_POINT 0x53415645u /* "SAVE" */
#define MVM_FRESH_RESTORED 1u
#define MVM_FRESH_WORDS 20
#define MVM_FRESH_ENTROPY_WORD 4

/* Milestones written to MVM_PORT_MARK. Container mode writes 2..5 in
 * order; other values below MVM_MARK_COUNT are kept too, higher ones only
 * update the latest time. */
#define MVM_MARK_INIT 1   /* PID 1 is running */
#define MVM_MARK_SPEC 2   /* container mode: the control stream is up, SPEC read */
#define MVM_MARK_READY 3  /* container set up, READY about to be sent */
#define MVM_MARK_START 4  /* START received, the process about to be spawned */
#define MVM_MARK_EXITED 5 /* the process has exited, EXIT about to be sent */
#define MVM_MARK_COUNT 8

#endif
