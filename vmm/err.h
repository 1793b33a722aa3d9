/* The error object every fallible VMM function takes as its last argument
 * (crun's pattern): the callee fills it once, main() prints it once. */
#ifndef MVM_ERR_H
#define MVM_ERR_H

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

struct mvm_err {
	int status;     /* one of enum mvm_status; 0 while no error is set */
	char msg[512];  /* one line, without the "mvm: " prefix or newline */
};

/* Record an error (the first one wins) and return -1, so callers can write
 * `return mvm_errf(err, MVM_EXIT_BADARG, "...")`. */
int mvm_errf(struct mvm_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like mvm_errf, with ": strerror(errno)" appended. Preserves errno. */
int mvm_errno(struct mvm_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
