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

#include "guest-init/mvi.h"
#include "guest-init/rootfs/rootfs.h"

#define DRAIN_MS 2000 /* for the process's last output after it exits */

int proc_signals(struct mvi *m, struct err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "signalfd");
	/* A host that went away must not kill PID 1 (writes get EPIPE). */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int proc_resolve(struct mvi *m, struct err *e)
{
	const char *cwd = *m->spec.cwd ? m->spec.cwd : "/";
	const char *file = m->spec.argv[0];
	int err;

	/* mvinit's cwd is the process's from here on: a relative argv[0] or
	 * PATH entry resolves the same way for both. */
	if (chdir(cwd) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "chdir to cwd (\"%s\") set in the spec",
			       cwd);
	err = mvi_lookpath(file, mvi_env_get(m->spec.env, "PATH"), m->exe, sizeof(m->exe));
	return err ? mvi_exec_fail(e, file, err, !strchr(file, '/')) : 0;
}

/* One vsock stream relayed through a pipe, so that the process gets what
 * runc gives it: /dev/stdout and /proc/self/fd/N reopen a pipe, where a
 * socket would give ENXIO (nginx's images log to /dev/stdout). */
int proc_stream(struct pumps *pumps, uint32_t port, int fd, int *child_fd, struct err *e)
{
	int p[2], sock = ctl_connect(port, e);

	if (sock < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(sock);
		return err_sys(e, MVI_EXIT_SETUP, errno, "pipe for fd %d", fd);
	}
	if (fd == 0) {
		/* The guest never writes on the stdin stream. */
		shutdown(sock, SHUT_WR);
		*child_fd = p[0];
		pump_add(pumps, sock, p[1], false, PUMP_CLOSE);
	} else {
		shutdown(sock, SHUT_RD);
		*child_fd = p[1];
		pump_add(pumps, p[0], sock, true, PUMP_SHUT_WR);
	}
	return 0;
}

int proc_open_pty(uint16_t rows, uint16_t cols, uid_t uid, bool no_onlcr, int *master, int *slave,
		    struct err *e)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int m, s;

	/* /dev/ptmx in the new root is the link to its private devpts. */
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open /dev/ptmx");
	if (unlockpt(m) < 0) {
		err_sys(e, MVI_EXIT_SETUP, errno, "unlockpt");
		goto fail;
	}
	/* The peer of this very master, whatever /dev/pts holds. */
	if ((s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		err_sys(e, MVI_EXIT_SETUP, errno, "open the pty slave");
		goto fail;
	}
	/* As runc does: the process may reopen its own terminal. */
	if (fchown(s, uid, (gid_t)-1) < 0)
		mvi_warn("chown the pty slave to %u: %s", (unsigned)uid, strerror(errno));
	if (rows && cols && ioctl(m, TIOCSWINSZ, &ws) < 0)
		mvi_warn("set the window size: %s", strerror(errno));
	struct termios t;

	if (no_onlcr && tcgetattr(s, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(s, TCSANOW, &t) < 0)
			mvi_warn("clear ONLCR: %s", strerror(errno));
	}
	*master = m;
	*slave = s;
	return 0;
fail:
	close(m);
	return -1;
}

int proc_stdio(struct mvi *m, struct err *e)
{
	int master = -1, slave = -1, sock;

	/* A pod member's streams are on the ports of its id (proto.h). */
	if (!(m->spec.flags & PROTO_SPEC_TTY)) {
		for (int fd = 0; fd <= 2; fd++)
			if (proc_stream(&m->pumps, m->member ? PROTO_EXEC_PORT(m->member_id, (uint32_t)fd)
							     : PROTO_PORT_STDIN + (uint32_t)fd,
					fd, &m->child_fd[fd], e) < 0)
				return -1;
		return 0;
	}
	if (proc_open_pty(m->spec.rows, m->spec.cols, userns_uid(&m->userns, m->spec.uid),
			  m->spec.flags & PROTO_SPEC_NO_ONLCR, &master, &slave, e) < 0)
		return -1;
	if (dev_console(master, slave, e) < 0) {
		close(master);
		close(slave);
		return -1;
	}
	if ((sock = ctl_connect(m->member ? PROTO_EXEC_PORT(m->member_id, PROTO_EXEC_TTY)
					  : PROTO_PORT_TTY, e)) < 0) {
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
	case PROTO_NET: {
		struct proto_net net;

		if (m->pid) {
			mvi_warn("NET after START: ignored");
		} else if (proto_decode_net(msg->payload, msg->hdr.len, &net) < 0) {
			m->net_failed = true;
			err_set(&m->net_err, MVI_EXIT_SETUP, "net: a malformed NET message from the host");
		} else if (net_apply(&net, &m->net_err) < 0 ||
			   (!(net.flags & PROTO_NET_UP) && m->procsys >= 0 &&
			    confine_setup_net(m->procsys, &m->setup, &m->net_err) < 0)) {
			m->net_failed = true;
		}
		break;
	}
	case PROTO_SIGNAL:
		if (proto_decode_u32(msg->payload, msg->hdr.len, &sig) < 0 || sig == 0 ||
		    sig >= _NSIG) {
			mvi_warn("bad SIGNAL from the host: ignored");
		} else if (exited) {
			break;
		} else if (!m->pid && m->member && sig == SIGKILL) {
			m->killed = true; /* its client left: the member ends unstarted */
		} else if (m->pid) {
			if (kill(m->pid, (int)sig) < 0)
				mvi_warn("kill %d: %s", (int)sig, strerror(errno));
		} else if (m->npending < MVI_MAX_PENDING_SIGS) {
			m->pending[m->npending++] = (int)sig;
		} else {
			mvi_warn("too many signals before START: %u dropped", sig);
		}
		break;
	case PROTO_EXEC:
		exec_start(m, msg); /* takes the payload */
		break;
	case PROTO_MEMBER:
		if (m->member)
			mvi_warn("MEMBER in a member: ignored");
		else
			member_route(m, msg); /* takes the payload */
		break;
	case PROTO_EXEC_CONFINE:
		exec_confine(m, msg); /* takes the payload */
		break;
	case PROTO_UPDATE:
		mvi_cgroup_update(m, msg);
		break;
	case PROTO_EXEC_SIGNAL:
		exec_signal(m, msg);
		break;
	case PROTO_EXEC_RESIZE:
		exec_resize(m, msg);
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

int proc_spawn(struct mvi *m, struct err *e)
{
	struct spawn sp = { .spec = &m->spec, .exe = m->exe, .tty = m->master >= 0,
			    .cgroup = &m->cgroup, .userns = &m->userns,
			    .confine = m->spec.flags & PROTO_SPEC_CONFINE ? &m->confine : NULL };
	pid_t pid;

	memcpy(sp.child_fd, m->child_fd, sizeof(sp.child_fd));
	/* With a PID namespace the process is its init, there since create. */
	pid = m->pidns.init ? spawn_init(&sp, &m->pidns, e) : spawn_process(&sp, e);
	m->child_fd[0] = m->child_fd[1] = m->child_fd[2] = -1;
	if (pid < 0)
		return -1;
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
		} else if (!member_reaped(m, pid, mvi_wait_status(ws))) {
			exec_reaped(m, pid, mvi_wait_status(ws));
		}
	}
}

/* One round of PID 1's poll: reap, apply the host's messages, move the
 * stdio of the process and of the execs. Returns 1 when START came, -1 when
 * the host is gone (every process killed), else 0. */
static int poll_once(struct mvi *m, int *status, bool *exited)
{
	struct pollfd pfd[2 + PUMP_POLLFDS + EXEC_POLLFDS + MEMBER_POLLFDS];
	int ret = 0;

	pfd[0] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = m->ctl, .events = POLLIN };
	pump_poll_setup(&m->pumps, pfd + 2);
	exec_poll_setup(m, pfd + 2 + PUMP_POLLFDS);
	member_poll_setup(m, pfd + 2 + PUMP_POLLFDS + EXEC_POLLFDS);
	if (poll(pfd, 2 + PUMP_POLLFDS + EXEC_POLLFDS + MEMBER_POLLFDS, -1) < 0) {
		if (errno != EINTR)
			mvi_warn("poll: %s", strerror(errno));
		return 0;
	}
	if (pfd[0].revents)
		reap(m, status, exited);
	if (pfd[1].revents) {
		struct ctl_msg msg;
		enum ctl_status st;

		/* Stop at START: what follows it is for the running process. */
		while (!ret && (st = ctl_read(m->ctl, &m->rd, &msg)) == CTL_MSG)
			ret = handle_msg(m, &msg, *exited);
		if (!ret && st != CTL_MORE) {
			warn_lost(st);
			if (!m->member)
				kill(-1, SIGKILL);
			else if (m->pid > 0)
				kill(m->pid, SIGKILL);
			return -1;
		}
		if (m->killed)
			return -1;
	}
	member_poll_done(m, pfd + 2 + PUMP_POLLFDS + EXEC_POLLFDS);
	pump_poll_done(&m->pumps, pfd + 2);
	exec_poll_done(m, pfd + 2 + PUMP_POLLFDS);
	exec_finish_exited(m);
	return ret;
}

int proc_wait_start(struct mvi *m)
{
	int status = 0, r;
	bool exited = false;

	/* Execs may run in the created container (as under runc) meanwhile. */
	while (!(r = poll_once(m, &status, &exited)))
		;
	return r > 0 ? 0 : -1;
}

enum proc_end proc_supervise(struct mvi *m, int *status)
{
	bool exited = false;

	/* A child that exited before the signalfd was first read. */
	reap(m, status, &exited);
	while (!exited)
		if (poll_once(m, status, &exited) < 0)
			return PROC_HOST_GONE;
	pump_drain(&m->pumps, DRAIN_MS);
	return PROC_EXITED;
}
