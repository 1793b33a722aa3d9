/* mvm's exit statuses, which its errors carry (the error object is
 * common/err.h: every fallible VMM function takes it last, main() prints it
 * once). */
#ifndef MVM_ERR_H
#define MVM_ERR_H

#include "common/err.h"

/* mvm's exit statuses. A guest that powers off cleanly gives the status from
 * mvinit's shutdown notice (0 by default); everything else is one of these. */
enum mvm_status {
	MVM_EXIT_OK = 0,
	MVM_EXIT_BADARG = 64,   /* bad argument: missing/non-ELF kernel, memory, vCPUs */
	MVM_EXIT_NOHOST = 69,   /* this host cannot run a Linux guest (no KVM, kvm_pvm) */
	MVM_EXIT_INTERNAL = 70, /* a host-side failure in mvm or a KVM setup ioctl */
	MVM_EXIT_PANIC = 71,    /* the guest reset without mvinit's notice: a kernel panic */
	MVM_EXIT_TRIPLE = 72,   /* the guest triple-faulted (KVM_EXIT_SHUTDOWN) */
	MVM_EXIT_KVMERR = 73,   /* KVM internal or emulation error, or failed entry */
};

#endif
