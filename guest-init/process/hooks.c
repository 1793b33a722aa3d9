/* The OCI hooks that run in the container (proto/hooks.h), run by mvinit
 * as runc's init runs them:
 *  - createContainer, once the container's root is set up and switched to
 *    (runc: in the container's mount namespace before pivot_root), as root
 *    with every capability, in the container's cgroup;
 *  - startContainer, at START before the process, as a process of the
 *    container: its user, groups, rlimits, capabilities, no_new_privs and
 *    seccomp (runc runs it from its init after finalizeNamespace).
 * Each is started through spawn.c with its path as the executable, its
 * args (argv[0] the path without them) and env, the host's state JSON on
 * stdin, and stdout and stderr captured together (the first 4 KiB go into
 * the error); a timeout kills it. They run one by one and stop at the
 * first failure, which names the hook as the host's hooks do. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "guest-init/mvi.h"

#define HOOK_OUT_MAX 4096

static const char *const kind_names[] = { "createContainer", "startContainer" };

struct hook_io {
	const char *state;
	size_t state_off, state_len;
	int in, out;          /* our ends: stdin's write end, the output's read end */
	char buf[HOOK_OUT_MAX + 1];
	size_t len;
};

/* Feed the state, collect output, until the hook exits or the deadline
 * (ms, -1: none) passes. Returns the wait status, or -1 on the deadline. */
static int supervise(pid_t pid, struct hook_io *io, long deadline)
{
	int ws;

	for (;;) {
		pid_t r = waitpid(pid, &ws, WNOHANG);
		if (r == pid)
			break;
		if (deadline >= 0 && clock_ms() >= deadline)
			return -1;
		struct pollfd p[2] = { { io->in, POLLOUT, 0 }, { io->out, POLLIN, 0 } };
		if (poll(p, 2, 50) < 0 && errno != EINTR)
			return -1;
		if (io->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(io->in, io->state + io->state_off, io->state_len - io->state_off);
			if (n > 0)
				io->state_off += (size_t)n;
			if ((n < 0 && errno != EAGAIN) || io->state_off == io->state_len) {
				close(io->in); /* EOF, or the hook will not read it */
				io->in = -1;
			}
		}
		if (io->out >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char drop[1024];
			char *to = io->len < HOOK_OUT_MAX ? io->buf + io->len : drop;
			size_t cap = io->len < HOOK_OUT_MAX ? HOOK_OUT_MAX - io->len : sizeof(drop);
			ssize_t n = read(io->out, to, cap);
			if (n > 0 && to != drop)
				io->len += (size_t)n;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(io->out);
				io->out = -1;
			}
		}
	}
	/* What it wrote before exiting, not what children it left may still write. */
	ssize_t n;
	while (io->out >= 0 && io->len < HOOK_OUT_MAX &&
	       (n = read(io->out, io->buf + io->len, HOOK_OUT_MAX - io->len)) > 0)
		io->len += (size_t)n;
	return ws;
}

/* The output as one line: control characters become spaces, blanks at
 * either end go. */
static const char *one_line(struct hook_io *io)
{
	size_t n = io->len;
	char *s = io->buf;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = 0;
	while (*s == ' ')
		s++;
	return s;
}

static int run_one(struct mvi *m, const struct proto_hook *h, const char *state, struct err *e)
{
	const char *what = kind_names[h->kind];
	const char *self[] = { h->path, NULL };
	struct proto_spec spec = m->spec;
	struct hook_io io = { .state = state, .state_len = strlen(state), .in = -1, .out = -1 };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ws;
	struct err se = { 0 };

	spec.argc = h->nargs ? h->nargs : 1;
	spec.argv = h->nargs ? (const char **)h->args : self;
	spec.envc = h->nenv;
	spec.env = (const char **)h->env;
	if (h->kind == PROTO_HOOK_CREATE_CONTAINER) {
		/* runc's init before it drops anything. */
		spec.uid = spec.gid = 0;
		spec.ngroups = spec.nrlimits = 0;
		spec.umask = 022;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		int err = errno;
		for (int i = 0; i < 2; i++)
			if (in[i] >= 0)
				close(in[i]);
		return err_sys(e, MVI_EXIT_SETUP, err, "%s hook %s: pipe", what, h->path);
	}
	struct spawn sp = {
		.spec = &spec, .exe = h->path, .cgroup = &m->cgroup, .userns = &m->userns,
		.pidns = &m->pidns,
		.confine = h->kind == PROTO_HOOK_START_CONTAINER && (m->spec.flags & PROTO_SPEC_CONFINE)
				   ? &m->confine : NULL,
		.child_fd = { in[0], out[1], out[1] },
	};
	pid_t pid = spawn_process(&sp, &se); /* closes in[0] and out[1] */
	io.in = in[1];
	io.out = out[0];
	fcntl(io.in, F_SETFL, O_NONBLOCK);
	fcntl(io.out, F_SETFL, O_NONBLOCK);
	if (pid < 0) {
		close(io.in);
		close(io.out);
		return err_set(e, MVI_EXIT_SETUP, "%s hook %s: %s", what, h->path, se.msg);
	}
	ws = supervise(pid, &io, h->timeout ? clock_ms() + 1000L * h->timeout : -1);
	if (ws == -1) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (io.in >= 0)
		close(io.in);
	if (io.out >= 0)
		close(io.out);
	const char *o = one_line(&io), *sep = *o ? ": " : "";
	if (ws == -1)
		return err_set(e, MVI_EXIT_SETUP, "%s hook %s timed out after %u s%s%s", what, h->path,
			       h->timeout, sep, o);
	if (WIFSIGNALED(ws))
		return err_set(e, MVI_EXIT_SETUP, "%s hook %s was killed by signal %d (%s)%s%s", what,
			       h->path, WTERMSIG(ws), strsignal(WTERMSIG(ws)), sep, o);
	if (WEXITSTATUS(ws))
		return err_set(e, MVI_EXIT_SETUP, "%s hook %s exited with status %d%s%s", what, h->path,
			       WEXITSTATUS(ws), sep, o);
	return 0;
}

int hooks_run(struct mvi *m, uint32_t kind, struct err *e)
{
	const struct proto_hooks *h = &m->hooks;

	if (!(m->spec.flags & PROTO_SPEC_HOOKS))
		return 0;
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->hook[i].kind != kind)
			continue;
		if (run_one(m, &h->hook[i], kind == PROTO_HOOK_CREATE_CONTAINER ? h->state_creating
										   : h->state_created, e) < 0)
			return -1;
	}
	return 0;
}
