#include "vmm/sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap (asm-generic/siginfo.h); glibc lacks it */
#endif

/* x86_64 syscall names by number, generated from <sys/syscall.h>
 * (Makefile: build/gen/sysnames.h), for the SIGSYS handler, which may not
 * allocate. */
static const char *const sys_names[] = {
#include "sysnames.h"
};

/* The kind of filter the calling thread installed: the SIGSYS handler's
 * only way to say which thread broke the rules. Per thread, set once. */
static __thread int thread_kind = -1;

static const char *const kind_names[SEC_NKINDS] = { "vcpu", "io", "main" };

const char *sec_kind_name(enum sec_kind k)
{
	return (unsigned)k < SEC_NKINDS ? kind_names[k] : "?";
}

int sec_mode_parse(const char *s, enum sec_mode *m)
{
	if (!strcmp(s, "kill"))
		*m = SEC_KILL;
	else if (!strcmp(s, "log"))
		*m = SEC_LOG;
	else
		return -1;
	return 0;
}

static size_t put(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

static size_t put_num(char *buf, size_t n, size_t cap, long v)
{
	char d[24];
	int k = 0;
	if (v < 0) {
		n = put(buf, n, cap, "-");
		v = -v;
	}
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof(d));
	while (k && n < cap)
		buf[n++] = d[--k];
	return n;
}

/* Async-signal-safe: no stdio, no allocation. Dies by trapping again with
 * SIGSYS blocked, which makes the kernel kill the process with SIGSYS. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SYS_SECCOMP)
		return; /* sent by someone: mvm keeps SIGSYS for this report */
	char buf[200];
	size_t n = 0, cap = sizeof(buf) - 1;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && (size_t)nr < sizeof(sys_names) / sizeof(sys_names[0]) &&
				   sys_names[nr] ? sys_names[nr] : "unknown";
	n = put(buf, n, cap, "mvm: killed by seccomp: syscall ");
	n = put(buf, n, cap, name);
	n = put(buf, n, cap, " (");
	n = put_num(buf, n, cap, nr);
	n = put(buf, n, cap, ") on the ");
	n = put(buf, n, cap, thread_kind >= 0 ? kind_names[thread_kind] : "unfiltered");
	n = put(buf, n, cap, " thread\n");
	if (write(2, buf, n) < 0) {
		/* nowhere to say it */
	}
	syscall(SYS_getppid); /* SEC_DIE_SYSCALL: allowed nowhere */
	abort();
}

int sec_handler_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}

#define ADD(...) (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, __VA_ARGS__) < 0)

/* The libseccomp rules for one table line. Returns 0 or -1. */
static int add_rule(scmp_filter_ctx ctx, const struct sec_rule *r, const struct sec_env *e)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR)
		return -1;
	switch (r->arg) {
	case SA_NONE:
		return ADD(0) ? -1 : 0;
	case SA_KVM_VCPU:
		if (ADD(2, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->vcpu_fd), SCMP_A1(SCMP_CMP_EQ, KVM_RUN)) ||
		    ADD(2, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->vcpu_fd),
			SCMP_A1(SCMP_CMP_EQ, KVM_GET_REGS)))
			return -1;
		if (e->uart && ADD(2, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->vm_fd),
				   SCMP_A1(SCMP_CMP_EQ, KVM_IRQ_LINE)))
			return -1;
		if (e->tap_fd >= 0 && ADD(2, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->tap_fd),
					  SCMP_A1(SCMP_CMP_EQ, TUNSETOFFLOAD)))
			return -1;
		return 0;
	case SA_WINSZ:
		return ADD(2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, TIOCGWINSZ)) ? -1 : 0;
	case SA_TCSETS:
		/* glibc's tcsetattr reads the settings back (TCGETS) to catch
		 * what a pty ignored. */
		return ADD(2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, TCSETS)) ||
			       ADD(2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, TCGETS))
			       ? -1 : 0;
	case SA_VCPU_FDS:
		for (int i = 0; i < e->nwfds; i++)
			if (ADD(1, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->wfds[i])))
				return -1;
		return 0;
	case SA_NOEXEC:
		return ADD(1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) ? -1 : 0;
	case SA_FCNTL:
		return ADD(1, SCMP_A1(SCMP_CMP_EQ, F_GETFL)) || ADD(1, SCMP_A1(SCMP_CMP_EQ, F_SETFL)) ||
			       ADD(1, SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC))
			       ? -1 : 0;
	case SA_UNIX:
		return ADD(1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) ? -1 : 0;
	case SA_NETLINK:
		return ADD(2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE))
			       ? -1 : 0;
	case SA_KICK:
		return ADD(2, SCMP_A0(SCMP_CMP_EQ, (unsigned)e->pid),
			   SCMP_A2(SCMP_CMP_EQ, (unsigned)e->kick_signal)) ? -1 : 0;
	case SA_NARGS:
		break;
	}
	return -1;
}

/* libseccomp 2.5 exports to an fd only: through a memfd into memory. */
static int export(scmp_filter_ctx ctx, struct sec_prog *out)
{
	int fd = memfd_create("mvm-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r = -1;
	if (fd < 0)
		return -1;
	if (seccomp_export_bpf(ctx, fd) == 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
	    st.st_size % sizeof(struct sock_filter) == 0 &&
	    st.st_size / sizeof(struct sock_filter) <= BPF_MAXINSNS) {
		struct sock_filter *f = malloc((size_t)st.st_size);
		if (f && pread(fd, f, (size_t)st.st_size, 0) == st.st_size) {
			out->fprog.filter = f;
			out->fprog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
			r = 0;
		} else {
			free(f);
		}
	}
	close(fd);
	return r;
}

int sec_build(enum sec_kind kind, const struct sec_env *env, struct sec_prog *out,
	      struct err *err)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	scmp_filter_ctx ctx = seccomp_init(env->mode == SEC_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) {
		if (ctx)
			seccomp_release(ctx);
		return err_set(err, MVM_EXIT_INTERNAL, "seccomp: libseccomp cannot start a filter");
	}
	for (int i = 0; i < sec_nrules; i++) {
		const struct sec_rule *r = &sec_rules[i];
		if (!(r->kinds & SEC_K(kind)) || add_rule(ctx, r, env) == 0)
			continue;
		seccomp_release(ctx);
		return err_set(err, MVM_EXIT_INTERNAL, "seccomp: %s thread: cannot add %s",
			       sec_kind_name(kind), r->name);
	}
	int r = export(ctx, out);
	seccomp_release(ctx);
	if (r < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "seccomp: %s thread: cannot export the filter",
			       sec_kind_name(kind));
	return 0;
}

void sec_free(struct sec_prog *p)
{
	free(p->fprog.filter);
	p->fprog.filter = NULL;
	p->fprog.len = 0;
}

int sec_install(const struct sec_prog *p)
{
	if (!p->fprog.filter) {
		errno = EINVAL;
		return -1;
	}
	thread_kind = (int)p->kind;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->fprog);
}

bool sec_allows(enum sec_kind kind, const char *name)
{
	for (int i = 0; i < sec_nrules; i++)
		if ((sec_rules[i].kinds & SEC_K(kind)) && !strcmp(sec_rules[i].name, name))
			return true;
	return false;
}

int sec_count(unsigned kinds)
{
	int n = 0;
	for (int i = 0; i < sec_nrules; i++) {
		if (!(sec_rules[i].kinds & kinds))
			continue;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = (sec_rules[j].kinds & kinds) && !strcmp(sec_rules[j].name, sec_rules[i].name);
		n += !seen;
	}
	return n;
}

static const char *const arg_text[SA_NARGS] = {
	[SA_NONE] = "any arguments",
	[SA_KVM_VCPU] = "fd == own vCPU fd && request in {KVM_RUN, KVM_GET_REGS}; "
			"fd == VM fd && request == KVM_IRQ_LINE (with --console); "
			"fd == tap && request == TUNSETOFFLOAD (with --net)",
	[SA_WINSZ] = "fd == 0 && request == TIOCGWINSZ",
	[SA_TCSETS] = "fd == 0 && request in {TCSETS, TCGETS}",
	[SA_VCPU_FDS] = "fd in {2, console, virtio irq and kick eventfds, device wake eventfds}",
	[SA_NOEXEC] = "(prot & PROT_EXEC) == 0",
	[SA_FCNTL] = "cmd in {F_GETFL, F_SETFL, F_DUPFD_CLOEXEC}",
	[SA_UNIX] = "domain == AF_UNIX",
	[SA_NETLINK] = "domain == AF_NETLINK && protocol == NETLINK_ROUTE",
	[SA_KICK] = "tgid == mvm's pid && sig == SIGUSR1 (the vCPU kick)",
};

int sec_print(FILE *f, struct err *err)
{
	/* Build each filter once with placeholder fds: libseccomp checks the
	 * names and the argument rules. */
	struct sec_env e = { .mode = SEC_KILL, .pid = getpid(), .kick_signal = SIGUSR1, .vm_fd = 4,
			     .vcpu_fd = 5, .uart = true, .tap_fd = 6, .nwfds = 2, .wfds = { 1, 2 } };
	for (int k = 0; k < SEC_NKINDS; k++) {
		struct sec_prog p;
		if (sec_build((enum sec_kind)k, &e, &p, err) < 0)
			return -1;
		sec_free(&p);
	}
	fprintf(f, "# mvm seccomp allowlists, one filter per thread kind, installed before the "
		   "first KVM_RUN.\n# Anything else: the syscall is named on stderr and mvm dies of "
		   "SIGSYS (--seccomp=log: allowed and logged by the kernel).\n"
		   "# KIND SYSCALL: ARGUMENT RULE (why)\n");
	for (int k = 0; k < SEC_NKINDS; k++) {
		fprintf(f, "%s: %d syscalls\n", sec_kind_name((enum sec_kind)k), sec_count(SEC_K(k)));
		for (int i = 0; i < sec_nrules; i++)
			if (sec_rules[i].kinds & SEC_K(k))
				fprintf(f, "  %-4s %-16s %s (%s)\n", sec_kind_name((enum sec_kind)k),
					sec_rules[i].name, arg_text[sec_rules[i].arg], sec_rules[i].why);
	}
	fprintf(f, "union: %d syscalls\n", sec_count(SEC_K(SEC_NKINDS) - 1));
	return 0;
}
