/* Starting a process in the container: fork, the child's setup (session,
 * terminal, stdio, rlimits, confinement, groups, ids, umask, cwd) and execve,
 * with any
 * failure in the child reported back through a pipe. Used for the
 * container's process (proc.c) and for each exec (exec.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"
#include "guest-init/process/process.h"

/* What the child tells the parent through the exec pipe when it fails. */
struct child_report {
	int step, err;
	uint32_t arg;
};

enum { STEP_SETSID, STEP_CTTY, STEP_STDIO, STEP_RLIMIT, STEP_GROUPS, STEP_GID, STEP_UID,
       STEP_CWD, STEP_LOOKUP, STEP_EXEC, STEP_SECCOMP, STEP_BOUNDING, STEP_CAPS, STEP_NNP,
       STEP_OOM, STEP_CGROUP, STEP_USERNS };

static __attribute__((noreturn)) void child_fail(int pipefd, int step, uint32_t arg)
{
	struct child_report r = { step, errno, arg };

	(void)!write(pipefd, &r, sizeof(r));
	_exit(127);
}

static void close_from(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) < 0)
		for (unsigned fd = lo; fd <= hi && fd < 4096; fd++)
			close((int)fd);
}

/* In the child, between fork and execve. Everything mvinit changed for
 * itself is undone; only the spec's settings apply. */
void spawn_child(const struct spawn *sp, int pipefd)
{
	const struct proto_spec *s = sp->spec;
	const struct proto_confine none_c = { 0 }, *c = sp->confine ? sp->confine : &none_c;
	bool nnp = c->flags & PROTO_CONFINE_NNP;
	bool cwd_done;
	char exe[4096];
	uint32_t cap;
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP, libc's own */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* First: the device rules hold for whatever it opens from here. */
	if (mvi_cgroup_join(sp->cgroup) < 0)
		child_fail(pipefd, STEP_CGROUP, 0);
	if (setsid() < 0)
		child_fail(pipefd, STEP_SETSID, 0);
	if (sp->tty && ioctl(sp->child_fd[0], TIOCSCTTY, 0) < 0)
		child_fail(pipefd, STEP_CTTY, 0);
	/* child_fd[] are all above 2: mvinit keeps 0-2 open. */
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(sp->child_fd[fd], fd) < 0)
			child_fail(pipefd, STEP_STDIO, (uint32_t)fd);
	/* As runc's fixStdioPermissions: pipes are mvinit's (mode 0600), and
	 * a process that is not root could not reopen /dev/stdout. The pty
	 * slave already is the user's. The ids as the guest knows them. */
	if (!sp->tty)
		for (int fd = 0; fd <= 2; fd++)
			(void)!fchown(fd, sp->userns ? userns_uid(sp->userns, s->uid) : s->uid,
				      sp->userns ? userns_gid(sp->userns, s->gid) : s->gid);
	/* While still root of the guest: raising a hard limit needs
	 * CAP_SYS_RESOURCE there. */
	for (uint32_t i = 0; i < s->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard };

		if (setrlimit((int)s->rlimits[i].resource, &rl) < 0)
			child_fail(pipefd, STEP_RLIMIT, s->rlimits[i].resource);
	}
	/* As root: lowering it needs CAP_SYS_RESOURCE. */
	if (confine_oom(c) < 0)
		child_fail(pipefd, STEP_OOM, (uint32_t)c->oom_score_adj);
	/* Before the filter (which may forbid setns) and the ids (which are
	 * the namespace's). */
	if (sp->userns && userns_enter(sp->userns) < 0)
		child_fail(pipefd, STEP_USERNS, 0);
	close_from(3, (unsigned)pipefd - 1);
	close_from((unsigned)pipefd + 1, ~0U);
	/* Without no_new_privs only CAP_SYS_ADMIN may install a filter. */
	if (!nnp && confine_seccomp(c) < 0)
		child_fail(pipefd, STEP_SECCOMP, 0);
	/* As runc: first as root with every capability, so a cwd only root
	 * may enter works for a user 0 without CAP_DAC_OVERRIDE; refused
	 * here, it is tried again as the user (a cwd only the user may enter). */
	cwd_done = chdir(*s->cwd ? s->cwd : "/") == 0;
	if (!cwd_done && errno != EACCES && errno != EPERM)
		child_fail(pipefd, STEP_CWD, 0);
	if (confine_bounding(c, &cap) < 0)
		child_fail(pipefd, STEP_BOUNDING, cap);
	if (setgroups(s->ngroups, (const gid_t *)s->groups) < 0)
		child_fail(pipefd, STEP_GROUPS, 0);
	if (setgid(s->gid) < 0)
		child_fail(pipefd, STEP_GID, s->gid);
	if (setuid(s->uid) < 0)
		child_fail(pipefd, STEP_UID, s->uid);
	if (confine_caps(c, &cap) < 0)
		child_fail(pipefd, STEP_CAPS, cap);
	/* Entered from outside with no root in the map, setuid kept every
	 * capability in the namespace; without the spec's sets, none stay. */
	if (sp->userns && sp->userns->user >= 0 && s->uid && !(c->flags & PROTO_CONFINE_CAPS)) {
		const struct proto_confine nocaps = { .flags = PROTO_CONFINE_CAPS };
		if (confine_caps(&nocaps, &cap) < 0)
			child_fail(pipefd, STEP_CAPS, cap);
	}
	umask(s->umask & 07777);
	if (!cwd_done && chdir(*s->cwd ? s->cwd : "/") < 0)
		child_fail(pipefd, STEP_CWD, 0);
	if (!sp->exe) {
		errno = mvi_lookpath(s->argv[0], mvi_env_get(s->env, "PATH"), exe, sizeof(exe));
		if (errno)
			child_fail(pipefd, STEP_LOOKUP, 0);
	}
	if (confine_nnp(c) < 0)
		child_fail(pipefd, STEP_NNP, 0);
	/* As late as possible: the fewer calls under the filter, the fewer
	 * it has to allow. */
	if (nnp && confine_seccomp(c) < 0)
		child_fail(pipefd, STEP_SECCOMP, 0);
	execve(sp->exe ? sp->exe : exe, (char *const *)s->argv, (char *const *)s->env);
	child_fail(pipefd, STEP_EXEC, 0);
}

static int report_child(const struct spawn *sp, const struct child_report *r,
			struct err *e)
{
	static const char *const what[] = {
		[STEP_SETSID] = "setsid",     [STEP_CTTY] = "set the controlling terminal",
		[STEP_STDIO] = "set up stdio", [STEP_GROUPS] = "setgroups",
		[STEP_SECCOMP] = "install the seccomp filter", [STEP_NNP] = "set no_new_privs",
		[STEP_CGROUP] = "join the container's cgroup",
		[STEP_USERNS] = "join the container's user namespace",
	};
	const char *file = sp->spec->argv[0];

	switch (r->step) {
	case STEP_LOOKUP:
		return mvi_exec_fail(e, file, r->err, !strchr(file, '/'));
	case STEP_EXEC:
		return mvi_exec_fail(e, file, r->err, false);
	case STEP_CWD:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "chdir to cwd (\"%s\") set in the spec",
			       sp->spec->cwd);
	case STEP_OOM:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "write %d to /proc/self/oom_score_adj",
			       (int32_t)r->arg);
	case STEP_RLIMIT:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "setrlimit(%u)", r->arg);
	case STEP_GID:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "setgid(%u)", r->arg);
	case STEP_UID:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "setuid(%u)", r->arg);
	case STEP_BOUNDING:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "drop capability %u from the bounding set",
			       r->arg);
	case STEP_CAPS:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "set the capabilities (ambient %u)",
			       r->arg);
	default:
		return err_sys(e, MVI_EXIT_SETUP, r->err, "%s",
			       (unsigned)r->step < sizeof(what) / sizeof(what[0]) && what[r->step]
					    ? what[r->step]
					    : "start the process");
	}
}

/* mvinit's half once the child (pid) has its copy of the pipe p: close
 * what the child took, wait for its execve or its report. */
static pid_t wait_exec(struct spawn *sp, pid_t pid, int p[2], struct err *e)
{
	struct child_report r;
	ssize_t n;

	close(p[1]);
	for (int fd = 0; fd <= 2; fd++) {
		if (fd == 0 || sp->child_fd[fd] != sp->child_fd[fd - 1])
			close(sp->child_fd[fd]);
	}
	sp->child_fd[0] = sp->child_fd[1] = sp->child_fd[2] = -1;
	/* EOF: execve closed the pipe. */
	while ((n = read(p[0], &r, sizeof(r))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(r)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return report_child(sp, &r, e);
	}
	return pid;
}

static void close_child_fds(struct spawn *sp)
{
	for (int fd = 0; fd <= 2; fd++)
		if (sp->child_fd[fd] >= 0 && (fd == 0 || sp->child_fd[fd] != sp->child_fd[fd - 1]))
			close(sp->child_fd[fd]);
	sp->child_fd[0] = sp->child_fd[1] = sp->child_fd[2] = -1;
}

pid_t spawn_process(struct spawn *sp, struct err *e)
{
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pipe");
	if (pidns_enter(sp->pidns) < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		close_child_fds(sp);
		return err_sys(e, MVI_EXIT_SETUP, err, "join the container's pid namespace");
	}
	pid = fork();
	err = errno;
	if (pid == 0)
		spawn_child(sp, p[1]);
	pidns_leave(sp->pidns);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		close_child_fds(sp);
		return err_sys(e, MVI_EXIT_SETUP, err, "fork");
	}
	return wait_exec(sp, pid, p, e);
}

pid_t spawn_init(struct spawn *sp, struct mvi_pidns *pn, struct err *e)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pipe");
	if (pidns_go(pn, sp, p[1], e) < 0) {
		close(p[0]);
		close(p[1]);
		close_child_fds(sp);
		return -1;
	}
	return wait_exec(sp, pn->init, p, e);
}
