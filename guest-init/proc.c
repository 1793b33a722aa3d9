/* The container's process: its stdio, its start, and mvinit's life as its
 * PID 1 (reaping, signals, window size) until it exits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "guest-init/mvinit.h"

#define DRAIN_MS 2000 /* for the process's last output after it exits */

int proc_signals(struct mvi *m, struct mvi_err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "signalfd");
	/* A host that went away must not kill PID 1 (writes get EPIPE). */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int proc_resolve(struct mvi *m, struct mvi_err *e)
{
	const char *cwd = *m->spec.cwd ? m->spec.cwd : "/";
	const char *file = m->spec.argv[0];
	int err;

	/* mvinit's cwd is the process's from here on: a relative argv[0] or
	 * PATH entry resolves the same way for both. */
	if (chdir(cwd) < 0)
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "chdir to cwd (\"%s\") set in the spec",
				    cwd);
	err = mvi_lookpath(file, mvi_env_get(m->spec.env, "PATH"), m->exe, sizeof(m->exe));
	return err ? mvi_exec_fail(e, file, err, !strchr(file, '/')) : 0;
}

/* One vsock stream relayed through a pipe, so that the process gets what
 * runc gives it: /dev/stdout and /proc/self/fd/N reopen a pipe, where a
 * socket would give ENXIO (nginx's images log to /dev/stdout). */
static int stdio_stream(struct mvi *m, int fd, struct mvi_err *e)
{
	int p[2], sock = ctl_connect(PROTO_PORT_STDIN + (uint32_t)fd, e);

	if (sock < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(sock);
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "pipe for fd %d", fd);
	}
	if (fd == 0) {
		/* The guest never writes on the stdin stream. */
		shutdown(sock, SHUT_WR);
		m->child_fd[0] = p[0];
		pump_add(&m->pumps, sock, p[1], false, PUMP_CLOSE);
	} else {
		shutdown(sock, SHUT_RD);
		m->child_fd[fd] = p[1];
		pump_add(&m->pumps, p[0], sock, true, PUMP_SHUT_WR);
	}
	return 0;
}

/* Open a pty in the current root's /dev/pts with the window size (if
 * known) and the slave owned by uid: *master and *slave (both CLOEXEC, the
 * slave nobody's controlling tty yet). Returns 0, or -1 with e set. */
static int open_pty(uint16_t rows, uint16_t cols, uid_t uid, int *master, int *slave,
		    struct mvi_err *e)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int m, s;

	/* /dev/ptmx in the new root is the link to its private devpts. */
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "open /dev/ptmx");
	if (unlockpt(m) < 0) {
		mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "unlockpt");
		goto fail;
	}
	/* The peer of this very master, whatever /dev/pts holds. */
	if ((s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "open the pty slave");
		goto fail;
	}
	/* As runc does: the process may reopen its own terminal. */
	if (fchown(s, uid, (gid_t)-1) < 0)
		mvi_warn("chown the pty slave to %u: %s", (unsigned)uid, strerror(errno));
	if (rows && cols && ioctl(m, TIOCSWINSZ, &ws) < 0)
		mvi_warn("set the window size: %s", strerror(errno));
	*master = m;
	*slave = s;
	return 0;
fail:
	close(m);
	return -1;
}

int proc_stdio(struct mvi *m, struct mvi_err *e)
{
	int master = -1, slave = -1, sock;

	if (!(m->spec.flags & PROTO_SPEC_TTY)) {
		for (int fd = 0; fd <= 2; fd++)
			if (stdio_stream(m, fd, e) < 0)
				return -1;
		return 0;
	}
	if (open_pty(m->spec.rows, m->spec.cols, m->spec.uid, &master, &slave, e) < 0)
		return -1;
	if ((sock = ctl_connect(PROTO_PORT_TTY, e)) < 0) {
		close(master);
		close(slave);
		return -1;
	}
	m->master = master;
	m->child_fd[0] = m->child_fd[1] = m->child_fd[2] = slave;
	pump_add(&m->pumps, sock, master, false, PUMP_KEEP);
	pump_add(&m->pumps, master, sock, true, PUMP_SHUT_WR);
	return 0;
}

/* Apply one message from the host. Returns 1 for START, 0 otherwise. */
static int handle_msg(struct mvi *m, struct ctl_msg *msg, bool exited)
{
	uint32_t sig;
	uint16_t rows, cols;
	int ret = 0;

	switch (msg->hdr.type) {
	case PROTO_START:
		if (m->pid)
			mvi_warn("START again: ignored");
		ret = 1;
		break;
	case PROTO_SIGNAL:
		if (proto_decode_u32(msg->payload, msg->hdr.len, &sig) < 0 || sig == 0 ||
		    sig >= _NSIG) {
			mvi_warn("bad SIGNAL from the host: ignored");
		} else if (exited) {
			break;
		} else if (m->pid) {
			if (kill(m->pid, (int)sig) < 0)
				mvi_warn("kill %d: %s", (int)sig, strerror(errno));
		} else if (m->npending < MVI_MAX_PENDING_SIGS) {
			m->pending[m->npending++] = (int)sig;
		} else {
			mvi_warn("too many signals before START: %u dropped", sig);
		}
		break;
	case PROTO_RESIZE:
		if (proto_decode_resize(msg->payload, msg->hdr.len, &rows, &cols) < 0) {
			mvi_warn("bad RESIZE from the host: ignored");
		} else if (m->master >= 0) {
			/* The kernel sends SIGWINCH to the foreground group. */
			struct winsize ws = { .ws_row = rows, .ws_col = cols };

			if (ioctl(m->master, TIOCSWINSZ, &ws) < 0)
				mvi_warn("resize: %s", strerror(errno));
		}
		break;
	default:
		mvi_warn("unexpected message type %u from the host: ignored", msg->hdr.type);
	}
	ctl_msg_free(msg);
	return ret;
}

static void warn_lost(enum ctl_status st)
{
	if (st == CTL_BAD)
		mvi_warn("bad message header on the control stream");
	else if (st == CTL_FAIL)
		mvi_warn("reading the control stream: %s", strerror(errno));
	else
		mvi_warn("the host closed the control stream");
}

int proc_wait_start(struct mvi *m)
{
	for (;;) {
		struct ctl_msg msg;
		enum ctl_status st = ctl_wait(m->ctl, &m->rd, &msg);

		if (st != CTL_MSG) {
			warn_lost(st);
			return -1;
		}
		if (handle_msg(m, &msg, false))
			return 0;
	}
}

/* What the child tells the parent through the exec pipe when it fails. */
struct child_report {
	int step, err;
	uint32_t arg;
};

enum { STEP_SETSID, STEP_CTTY, STEP_STDIO, STEP_RLIMIT, STEP_GROUPS, STEP_GID, STEP_UID,
       STEP_CWD, STEP_EXEC };

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
static __attribute__((noreturn)) void child(struct mvi *m, int pipefd)
{
	const struct proto_spec *s = &m->spec;
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP, libc's own */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		child_fail(pipefd, STEP_SETSID, 0);
	if (m->master >= 0 && ioctl(m->child_fd[0], TIOCSCTTY, 0) < 0)
		child_fail(pipefd, STEP_CTTY, 0);
	/* child_fd[] are all above 2: mvinit keeps 0-2 open. */
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(m->child_fd[fd], fd) < 0)
			child_fail(pipefd, STEP_STDIO, (uint32_t)fd);
	/* As runc's fixStdioPermissions: pipes are mvinit's (mode 0600), and
	 * a process that is not root could not reopen /dev/stdout. The pty
	 * slave already is the user's. */
	if (m->master < 0)
		for (int fd = 0; fd <= 2; fd++)
			(void)!fchown(fd, s->uid, s->gid);
	close_from(3, (unsigned)pipefd - 1);
	close_from((unsigned)pipefd + 1, ~0U);
	/* While still root: raising a hard limit needs CAP_SYS_RESOURCE. */
	for (uint32_t i = 0; i < s->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard };

		if (setrlimit((int)s->rlimits[i].resource, &rl) < 0)
			child_fail(pipefd, STEP_RLIMIT, s->rlimits[i].resource);
	}
	if (setgroups(s->ngroups, (const gid_t *)s->groups) < 0)
		child_fail(pipefd, STEP_GROUPS, 0);
	if (setgid(s->gid) < 0)
		child_fail(pipefd, STEP_GID, s->gid);
	if (setuid(s->uid) < 0)
		child_fail(pipefd, STEP_UID, s->uid);
	umask(s->umask & 07777);
	/* Again as the user: a cwd root could enter may be closed to it. */
	if (chdir(*s->cwd ? s->cwd : "/") < 0)
		child_fail(pipefd, STEP_CWD, 0);
	execve(m->exe, (char *const *)s->argv, (char *const *)s->env);
	child_fail(pipefd, STEP_EXEC, 0);
}

static int report_child(const struct mvi *m, const struct child_report *r, struct mvi_err *e)
{
	static const char *const what[] = {
		[STEP_SETSID] = "setsid",     [STEP_CTTY] = "set the controlling terminal",
		[STEP_STDIO] = "set up stdio", [STEP_GROUPS] = "setgroups",
	};

	switch (r->step) {
	case STEP_EXEC:
		return mvi_exec_fail(e, m->spec.argv[0], r->err, false);
	case STEP_CWD:
		return mvi_fail_sys(e, MVI_EXIT_SETUP, r->err, "chdir to cwd (\"%s\") set in the spec",
				    m->spec.cwd);
	case STEP_RLIMIT:
		return mvi_fail_sys(e, MVI_EXIT_SETUP, r->err, "setrlimit(%u)", r->arg);
	case STEP_GID:
		return mvi_fail_sys(e, MVI_EXIT_SETUP, r->err, "setgid(%u)", r->arg);
	case STEP_UID:
		return mvi_fail_sys(e, MVI_EXIT_SETUP, r->err, "setuid(%u)", r->arg);
	default:
		return mvi_fail_sys(e, MVI_EXIT_SETUP, r->err, "%s",
				    (unsigned)r->step < sizeof(what) / sizeof(what[0]) && what[r->step]
					    ? what[r->step]
					    : "start the process");
	}
}

int proc_spawn(struct mvi *m, struct mvi_err *e)
{
	struct child_report r;
	int p[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "pipe");
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return mvi_fail_sys(e, MVI_EXIT_SETUP, errno, "fork");
	}
	if (pid == 0)
		child(m, p[1]);
	close(p[1]);
	for (int fd = 0; fd <= 2; fd++) {
		if (fd == 0 || m->child_fd[fd] != m->child_fd[fd - 1])
			close(m->child_fd[fd]);
	}
	m->child_fd[0] = m->child_fd[1] = m->child_fd[2] = -1;
	/* EOF: execve closed the pipe. */
	while ((n = read(p[0], &r, sizeof(r))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(r)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return report_child(m, &r, e);
	}
	m->pid = pid;
	for (int i = 0; i < m->npending; i++)
		kill(pid, m->pending[i]);
	m->npending = 0;
	return 0;
}

/* Reap every child that has exited; notes the process's own status. */
static void reap(struct mvi *m, int *status, bool *exited)
{
	struct signalfd_siginfo si;
	int ws;
	pid_t pid;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
		if (pid == m->pid) {
			*status = mvi_wait_status(ws);
			*exited = true;
		}
	}
}

enum proc_end proc_supervise(struct mvi *m, int *status)
{
	bool exited = false;

	/* A child that exited before the signalfd was first read. */
	reap(m, status, &exited);
	while (!exited) {
		struct pollfd pfd[2 + PUMP_POLLFDS];

		pfd[0] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = m->ctl, .events = POLLIN };
		pump_poll_setup(&m->pumps, pfd + 2);
		if (poll(pfd, 2 + PUMP_POLLFDS, -1) < 0) {
			if (errno != EINTR)
				mvi_warn("poll: %s", strerror(errno));
			continue;
		}
		if (pfd[0].revents)
			reap(m, status, &exited);
		if (pfd[1].revents) {
			struct ctl_msg msg;
			enum ctl_status st;

			while ((st = ctl_read(m->ctl, &m->rd, &msg)) == CTL_MSG)
				handle_msg(m, &msg, exited);
			if (st != CTL_MORE) {
				warn_lost(st);
				kill(-1, SIGKILL);
				return PROC_HOST_GONE;
			}
		}
		pump_poll_done(&m->pumps, pfd + 2);
	}
	pump_drain(&m->pumps, DRAIN_MS);
	return PROC_EXITED;
}
