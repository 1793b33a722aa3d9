/* seccomp: the real filters, installed in a forked child. A syscall outside
 * a thread kind's list kills the process with SIGSYS after one stderr line
 * that names it; the argument rules let exactly the named fds and requests
 * through; --seccomp=log lets everything through. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/sandbox/seccomp.h"

enum act { A_UNAME, A_WRITE_ALLOWED, A_WRITE_OTHER, A_KVM_RUN, A_KVM_OTHER, A_MMAP_EXEC, A_CLONE };

/* Run `act` in a child under kind's filter; return its wait status and
 * what it wrote on stderr. */
static int run(enum sec_kind kind, enum sec_mode mode, enum act act, char *err, size_t cap)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(p[1], 2);
		int other = open("/dev/null", O_WRONLY); /* an fd not in the set */
		struct sec_env e = { .mode = mode, .pid = getpid(), .kick_signal = SIGUSR1,
				     .vm_fd = 100, .vcpu_fd = 101, .nwfds = 1, .wfds = { 2 } };
		struct sec_prog prog;
		struct err me = { 0 };
		if (sec_build(kind, &e, &prog, &me) < 0 || sec_handler_init() < 0 ||
		    sec_install(&prog) < 0)
			_exit(90);
		struct utsname u;
		switch (act) {
		case A_UNAME: syscall(SYS_uname, &u); break;
		case A_WRITE_ALLOWED: syscall(SYS_write, 2, "x", 1); break;
		case A_WRITE_OTHER: syscall(SYS_write, other, "x", 1); break;
		case A_KVM_RUN: syscall(SYS_ioctl, 101, KVM_RUN, 0); break; /* EBADF, but allowed */
		case A_KVM_OTHER: syscall(SYS_ioctl, 101, KVM_SET_REGS, 0); break;
		case A_MMAP_EXEC:
			syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			break;
		case A_CLONE: syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); break;
		}
		syscall(SYS_exit_group, 0); /* the vCPU and I/O kinds trap this too */
	}
	close(p[1]);
	size_t got = 0;
	ssize_t n;
	while (got < cap - 1 && (n = read(p[0], err + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = 0;
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void assert_killed(int st, const char *err, const char *line)
{
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status 0x%x, stderr: %s", st, err);
	cr_assert(strstr(err, line), "stderr \"%s\" lacks \"%s\"", err, line);
}

Test(seccomp, forbidden_syscall_on_a_vcpu_thread_kills_and_names_it)
{
	char err[512];
	int st = run(SEC_VCPU, SEC_KILL, A_UNAME, err, sizeof(err));
	assert_killed(st, err, "mvm: killed by seccomp: syscall uname (63) on the vcpu thread\n");
}

Test(seccomp, io_and_main_threads_are_filtered_too)
{
	char err[512];
	assert_killed(run(SEC_IO, SEC_KILL, A_UNAME, err, sizeof(err)), err,
		      "syscall uname (63) on the io thread");
	assert_killed(run(SEC_MAIN, SEC_KILL, A_UNAME, err, sizeof(err)), err,
		      "syscall uname (63) on the main thread");
}

Test(seccomp, vcpu_write_only_to_the_listed_fds)
{
	char err[512];
	int st = run(SEC_VCPU, SEC_KILL, A_WRITE_ALLOWED, err, sizeof(err));
	/* allowed write, then exit_group, which a vCPU thread may not make */
	assert_killed(st, err, "syscall exit_group");
	cr_assert_eq(err[0], 'x', "%s", err);
	assert_killed(run(SEC_VCPU, SEC_KILL, A_WRITE_OTHER, err, sizeof(err)), err,
		      "syscall write (1) on the vcpu thread");
}

Test(seccomp, vcpu_ioctl_only_kvm_run_and_get_regs_on_its_own_fd)
{
	char err[512];
	assert_killed(run(SEC_VCPU, SEC_KILL, A_KVM_RUN, err, sizeof(err)), err, "syscall exit_group");
	assert_killed(run(SEC_VCPU, SEC_KILL, A_KVM_OTHER, err, sizeof(err)), err, "syscall ioctl");
}

Test(seccomp, no_executable_mappings)
{
	char err[512];
	assert_killed(run(SEC_IO, SEC_KILL, A_MMAP_EXEC, err, sizeof(err)), err, "syscall mmap");
}

Test(seccomp, main_thread_exits_cleanly)
{
	char err[512];
	int st = run(SEC_MAIN, SEC_KILL, A_WRITE_ALLOWED, err, sizeof(err));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, err);
}

Test(seccomp, log_mode_lets_everything_through)
{
	char err[512];
	int st = run(SEC_VCPU, SEC_LOG, A_UNAME, err, sizeof(err));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x: %s", st, err);
}

Test(seccomp, the_dying_syscall_is_allowed_nowhere)
{
	for (int k = 0; k < SEC_NKINDS; k++)
		cr_assert(!sec_allows((enum sec_kind)k, SEC_DIE_SYSCALL), "%s", sec_kind_name(k));
}

/* What keeps mvm from making a process or thread once the guest runs
 * (RLIMIT_NPROC does not bind uid 0): no thread kind's list has a way to. */
Test(seccomp, no_thread_kind_may_make_a_process_or_thread)
{
	static const char *const forbidden[] = { "clone", "clone3", "fork", "vfork", "execve",
						 "execveat", "unshare", "setns" };
	for (int k = 0; k < SEC_NKINDS; k++) {
		for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
			cr_assert(!sec_allows((enum sec_kind)k, forbidden[i]), "%s allows %s",
				  sec_kind_name(k), forbidden[i]);
		char err[512];
		int st = run((enum sec_kind)k, SEC_KILL, A_CLONE, err, sizeof(err));
		assert_killed(st, err, "clone");
	}
}

Test(seccomp, counts)
{
	cr_assert_eq(sec_count(SEC_K(SEC_VCPU)), 4);
	cr_assert_leq(sec_count(SEC_K(SEC_VCPU)), 12, "the vCPU target");
	cr_assert_geq(sec_count(SEC_K(SEC_VCPU) | SEC_K(SEC_IO) | SEC_K(SEC_MAIN)),
		      sec_count(SEC_K(SEC_IO)));
}
