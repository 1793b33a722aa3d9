/* mvm's own seccomp filters (libseccomp): one allowlist per thread kind,
 * written as one table (seccomp_rules.c) so a new device adds a line per
 * syscall it needs. The filters are built on the main thread before any
 * thread starts; each thread installs its own before it touches the guest
 * (vm_run), so a vCPU thread never carries the I/O thread's rules. Anything
 * else is trapped: a SIGSYS handler writes
 * "mvm: killed by seccomp: syscall NAME (NR) on the KIND thread" on stderr
 * and the process dies of SIGSYS. */
#ifndef MVM_SECCOMP_H
#define MVM_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmm/core/err.h"

enum sec_mode {
	SEC_KILL = 0, /* the default: trap, name the syscall, die of SIGSYS */
	SEC_LOG,      /* --seccomp=log: allow, the kernel logs it (audit / dmesg) */
};

enum sec_kind { SEC_VCPU, SEC_IO, SEC_MAIN, SEC_NKINDS };

/* How a rule restricts the arguments. Each one is a line in
 * sec_arg_text() and a case in seccomp.c. */
enum sec_arg {
	SA_NONE,
	SA_KVM_VCPU,   /* ioctl(own vCPU fd, KVM_RUN | KVM_GET_REGS), ioctl(vm fd, KVM_IRQ_LINE) with a UART */
	SA_WINSZ,      /* ioctl(0, TIOCGWINSZ) */
	SA_TCSETS,     /* ioctl(0, TCSETS | TCGETS): the terminal restored at exit */
	SA_VCPU_FDS,   /* fd in the set vCPU threads write: console, log, device eventfds */
	SA_NOEXEC,     /* mmap without PROT_EXEC */
	SA_FCNTL,      /* fcntl F_GETFL, F_SETFL, F_DUPFD_CLOEXEC */
	SA_UNIX,       /* socketpair(AF_UNIX, ...) */
	SA_KICK,       /* tgkill(mvm's own pid, any thread, the vCPU kick signal) */
	SA_NETLINK,    /* socket(AF_NETLINK, any type, NETLINK_ROUTE) */
	SA_NARGS
};

/* One allowed syscall: by name (libseccomp resolves it), for a set of thread
 * kinds (bit 1 << enum sec_kind), with an argument rule and the reason. */
struct sec_rule {
	const char *name;
	unsigned kinds;
	enum sec_arg arg;
	const char *why;
};

#define SEC_K(k) (1u << (k))
extern const struct sec_rule sec_rules[];
extern const int sec_nrules;

/* The syscall the SIGSYS handler makes to die: allowed on no thread. */
#define SEC_DIE_SYSCALL "getppid"

#define SEC_MAX_FDS 192

/* What the argument rules need to know at run time. */
struct sec_env {
	enum sec_mode mode;
	pid_t pid;        /* mvm's pid as it sees it (tgkill) */
	int kick_signal;  /* the vCPU kick */
	int vm_fd;
	int vcpu_fd;      /* SEC_VCPU: this thread's vCPU */
	bool uart;        /* the 8250 raises KVM_IRQ_LINE from vCPU threads */
	int tap_fd;       /* virtio-net's tap (TUNSETOFFLOAD from vCPU threads), or -1 */
	int nwfds;
	int wfds[SEC_MAX_FDS]; /* SA_VCPU_FDS */
};

/* A built filter, ready for sec_install(). */
struct sec_prog {
	struct sock_fprog fprog;
	enum sec_kind kind;
};

/* Build the filter for one thread kind. Returns 0 or -1 with err. */
int sec_build(enum sec_kind kind, const struct sec_env *env, struct sec_prog *out,
	      struct err *err);

/* Release a built filter. Idempotent. */
void sec_free(struct sec_prog *p);

/* Install p on the calling thread only (sets no_new_privs first). One
 * syscall after no allocation, so it is safe as a thread's first act.
 * Returns 0 or -1 with errno. */
int sec_install(const struct sec_prog *p);

/* Install the SIGSYS handler that names the trapped syscall. Call once on
 * the main thread before sec_install(). Returns 0 or -1 with errno. */
int sec_handler_init(void);

/* True if the table allows the syscall `name` on that thread kind. */
bool sec_allows(enum sec_kind kind, const char *name);

/* Number of distinct syscalls allowed on `kinds` (a mask of SEC_K bits). */
int sec_count(unsigned kinds);

/* Print every thread kind's allowlist with its argument rules, the counts
 * per kind and the union (mvm --print-seccomp). Each filter is also built
 * with placeholder fds so libseccomp checks every rule. Returns 0 or -1
 * with err. */
int sec_print(FILE *f, struct err *err);

/* The name of a thread kind: "vcpu", "io", "main". */
const char *sec_kind_name(enum sec_kind k);

/* Parse "kill" or "log" (--seccomp). Returns 0 or -1. */
int sec_mode_parse(const char *s, enum sec_mode *m);

#endif
