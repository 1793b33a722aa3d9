/* Execs: more processes in the running container, started on the host's
 * EXEC with their own stdio streams (ports PROTO_EXEC_PORT(id, ...)) and
 * reported by id (EXEC_STARTED or EXEC_ERROR, then EXEC_EXIT). mvinit
 * reaps them as PID 1 anyway; their pumps run in the supervisor's poll. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "guest-init/mvi.h"
#include "guest-init/rootfs/rootfs.h"

#define EXEC_DRAIN_MS 1000 /* for an exec's last output; it holds up PID 1's loop */

struct mvi_exec {
	uint32_t id;
	pid_t pid;
	bool exited;
	int status;
	int master;           /* pty master with a tty, else -1 */
	struct pumps pumps;
	struct ctl_msg msg;   /* the EXEC; spec's strings point into it */
	struct proto_spec spec;
	struct ctl_msg confine_msg; /* its EXEC_CONFINE, if any; confine points into it */
	struct proto_confine confine;
	const char **scratch;
};

/* Close every fd the pumps hold, each once (a tty's are shared). */
static void close_pumps(struct pumps *r)
{
	int fds[2 * PUMP_MAX], n = 0;

	for (int i = 0; i < r->n; i++) {
		int two[2] = { r->pump[i].in, r->pump[i].out };

		for (int k = 0; k < 2; k++) {
			bool seen = two[k] < 0;

			for (int j = 0; j < n && !seen; j++)
				seen = fds[j] == two[k];
			if (!seen)
				fds[n++] = two[k];
		}
	}
	for (int j = 0; j < n; j++)
		close(fds[j]);
	r->n = 0;
}

static void exec_free(struct mvi *m, struct mvi_exec *x)
{
	close_pumps(&x->pumps);
	if (m->execs[x->id] == x)
		m->execs[x->id] = NULL;
	ctl_msg_free(&x->msg);
	ctl_msg_free(&x->confine_msg);
	free(x->scratch);
	free(x);
}

/* The exec's stdio: pipes to three streams, or a pty to one (its slave
 * owned by pty_uid). */
static int exec_stdio(struct mvi_exec *x, uint32_t pty_uid, int child_fd[3], struct err *e)
{
	int slave, sock;

	if (!(x->spec.flags & PROTO_SPEC_TTY)) {
		for (int fd = 0; fd <= 2; fd++) {
			if (proc_stream(&x->pumps, PROTO_EXEC_PORT(x->id, fd), fd, &child_fd[fd],
					e) < 0)
				return -1;
		}
		return 0;
	}
	if (proc_open_pty(x->spec.rows, x->spec.cols, pty_uid, x->spec.flags & PROTO_SPEC_NO_ONLCR,
			  &x->master, &slave, e) < 0)
		return -1;
	if ((sock = ctl_connect(PROTO_EXEC_PORT(x->id, PROTO_EXEC_TTY), e)) < 0) {
		close(x->master);
		close(slave);
		x->master = -1;
		return -1;
	}
	child_fd[0] = child_fd[1] = child_fd[2] = slave;
	pump_add(&x->pumps, sock, x->master, false, PUMP_KEEP);
	pump_add(&x->pumps, x->master, sock, true, PUMP_SHUT_WR);
	return 0;
}

static void send_error(struct mvi *m, uint32_t id, const struct err *e)
{
	mvi_warn("exec %u: %s", id, e->msg);
	if (ctl_send_exec_error(m->ctl, id, e) < 0)
		mvi_warn("send EXEC_ERROR: %s", strerror(errno));
}

void exec_start(struct mvi *m, struct ctl_msg *msg)
{
	struct err e = { 0 };
	struct mvi_exec *x = calloc(1, sizeof(*x));
	int child_fd[3] = { -1, -1, -1 };
	size_t n = msg->hdr.len / 5 + 2; /* each string takes at least 5 bytes */
	uint32_t id = UINT32_MAX;

	if (!x) {
		ctl_msg_free(msg);
		return;
	}
	x->msg = *msg;
	msg->payload = NULL;
	x->master = -1;
	if (n > PROTO_MAX_STRS)
		n = PROTO_MAX_STRS;
	x->scratch = calloc(n, sizeof(*x->scratch));
	if (!x->scratch ||
	    proto_decode_exec(x->msg.payload, x->msg.hdr.len, &id, &x->spec, x->scratch, n) < 0) {
		err_set(&e, MVI_EXIT_SETUP, "malformed EXEC (%u bytes)", x->msg.hdr.len);
		goto fail;
	}
	if (id >= PROTO_MAX_EXECS || m->execs[id]) {
		err_set(&e, MVI_EXIT_SETUP, "exec id %u is out of range or in use", id);
		goto fail;
	}
	x->id = id;
	m->execs[id] = x;
	/* Its EXEC_CONFINE, if one came, is this exec's from here on. */
	x->confine_msg = m->exec_confine[id];
	m->exec_confine[id] = (struct ctl_msg){ 0 };
	if ((x->spec.flags & PROTO_SPEC_CONFINE) &&
	    (!x->confine_msg.payload ||
	     proto_decode_exec_confine(x->confine_msg.payload, x->confine_msg.hdr.len, &id,
				       &x->confine) < 0 || id != x->id)) {
		id = x->id;
		err_set(&e, MVI_EXIT_SETUP, "exec %u: no valid EXEC_CONFINE before its EXEC", id);
		goto fail;
	}
	if (exec_stdio(x, userns_uid(&m->userns, x->spec.uid), child_fd, &e) < 0)
		goto fail;
	struct spawn sp = { .spec = &x->spec, .exe = NULL, .tty = x->master >= 0,
			    .cgroup = &m->cgroup, .userns = &m->userns, .pidns = &m->pidns,
			    .confine = x->spec.flags & PROTO_SPEC_CONFINE ? &x->confine : NULL };

	memcpy(sp.child_fd, child_fd, sizeof(child_fd));
	child_fd[0] = child_fd[1] = child_fd[2] = -1; /* spawn_process closes them */
	if ((x->pid = spawn_process(&sp, &e)) < 0)
		goto fail;
	if (ctl_send_exec_started(m->ctl, id) < 0)
		mvi_warn("send EXEC_STARTED: %s", strerror(errno));
	return;
fail:
	for (int fd = 0; fd <= 2; fd++)
		if (child_fd[fd] >= 0 && (fd == 0 || child_fd[fd] != child_fd[fd - 1]))
			close(child_fd[fd]);
	/* An id we cannot read is reported as it came: the host ignores it. */
	send_error(m, id, &e);
	exec_free(m, x);
}

void exec_confine(struct mvi *m, struct ctl_msg *msg)
{
	struct proto_confine c;
	uint32_t id;

	/* Checked whole at its EXEC; the id picks the slot now. */
	if (proto_decode_exec_confine(msg->payload, msg->hdr.len, &id, &c) < 0 ||
	    id >= PROTO_MAX_EXECS) {
		mvi_warn("bad EXEC_CONFINE from the host: ignored");
		ctl_msg_free(msg);
		return;
	}
	ctl_msg_free(&m->exec_confine[id]);
	m->exec_confine[id] = *msg;
	msg->payload = NULL;
}

/* The running exec a message names, or NULL. */
static struct mvi_exec *running(struct mvi *m, uint32_t id)
{
	struct mvi_exec *x = id < PROTO_MAX_EXECS ? m->execs[id] : NULL;

	return x && x->pid > 0 && !x->exited ? x : NULL;
}

void exec_signal(struct mvi *m, const struct ctl_msg *msg)
{
	uint32_t id, sig;
	struct mvi_exec *x;

	if (proto_decode_pair(msg->payload, msg->hdr.len, &id, &sig) < 0 || sig == 0 ||
	    sig >= _NSIG) {
		mvi_warn("bad EXEC_SIGNAL from the host: ignored");
		return;
	}
	if ((x = running(m, id)) && kill(x->pid, (int)sig) < 0)
		mvi_warn("exec %u: kill %u: %s", id, sig, strerror(errno));
}

void exec_resize(struct mvi *m, const struct ctl_msg *msg)
{
	uint32_t id;
	uint16_t rows, cols;
	struct mvi_exec *x;

	if (proto_decode_exec_resize(msg->payload, msg->hdr.len, &id, &rows, &cols) < 0) {
		mvi_warn("bad EXEC_RESIZE from the host: ignored");
		return;
	}
	if ((x = running(m, id)) && x->master >= 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };

		if (ioctl(x->master, TIOCSWINSZ, &ws) < 0)
			mvi_warn("exec %u: resize: %s", id, strerror(errno));
	}
}

void exec_reaped(struct mvi *m, pid_t pid, int status)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++) {
		struct mvi_exec *x = m->execs[i];

		if (x && x->pid == pid) {
			x->exited = true;
			x->status = status;
			return;
		}
	}
}

void exec_poll_setup(struct mvi *m, struct pollfd *pfd)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++) {
		if (m->execs[i]) {
			pump_poll_setup(&m->execs[i]->pumps, pfd + i * PUMP_POLLFDS);
			continue;
		}
		for (int k = 0; k < PUMP_POLLFDS; k++)
			pfd[i * PUMP_POLLFDS + k] = (struct pollfd){ .fd = -1 };
	}
}

void exec_poll_done(struct mvi *m, const struct pollfd *pfd)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++)
		if (m->execs[i])
			pump_poll_done(&m->execs[i]->pumps, pfd + i * PUMP_POLLFDS);
}

void exec_finish_exited(struct mvi *m)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++) {
		struct mvi_exec *x = m->execs[i];

		if (!x || !x->exited)
			continue;
		pump_drain(&x->pumps, EXEC_DRAIN_MS);
		if (ctl_send_exec_exit(m->ctl, x->id, (uint32_t)x->status) < 0)
			mvi_warn("send EXEC_EXIT: %s", strerror(errno));
		exec_free(m, x);
	}
}

void exec_kill_all(struct mvi *m)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++)
		if (m->execs[i] && m->execs[i]->pid > 0 && !m->execs[i]->exited)
			kill(m->execs[i]->pid, SIGKILL);
}
