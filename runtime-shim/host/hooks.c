/* OCI hooks run on the host (hooks.h).
 *
 * Each hook is forked and exec'd with a clean slate: stdin a pipe carrying
 * the state JSON, stdout and stderr one pipe back to us, every other fd
 * closed at exec, the signal mask empty and every disposition default
 * (mvrun may block or ignore signals; runc's hooks inherit Go's clean
 * state). The parent polls three things at once: the stdin pipe until the
 * state is written, the output pipe (kept up to 4 KiB, the rest drained so
 * the hook never blocks), and a pidfd that says when the hook has exited.
 * Output still open after the exit (a grandchild holding the pipe) is not
 * waited for. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/host/hooks.h"
#include "runtime-shim/host/hooks_int.h"
#include "runtime-shim/host/host.h"

#define HOOK_EXIT_EXEC 127

/* Between fork and exec: async-signal-safe calls only. Reports an exec
 * failure's errno on `errfd` (close-on-exec, so a successful exec closes it
 * and the parent reads EOF). */
static void __attribute__((noreturn))
child(const struct hook *h, int in_r, int out_w, int errfd)
{
	static char *const empty[] = { NULL };
	char *argv0[] = { (char *)h->path, NULL };
	/* The raw syscall: glibc's sigaction refuses its own signals 32 and 33,
	 * yet an ignored one is inherited across exec like any other. */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { 0 };
	sigset_t none;
	for (int sig = 1; sig < NSIG; sig++)
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask)); /* SIGKILL, SIGSTOP fail: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Lift both ends above 2 first, so dup2 never clobbers one with the
	 * other when mvrun itself was started with 0, 1 or 2 closed. */
	int in = fcntl(in_r, F_DUPFD_CLOEXEC, 3), out = fcntl(out_w, F_DUPFD_CLOEXEC, 3);
	int e = 0;
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		e = errno;
	} else {
		/* Mark everything else close-on-exec; errfd must stay open until exec. */
		if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0) {
			long max = sysconf(_SC_OPEN_MAX);
			for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
		execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty);
		e = errno;
	}
	while (write(errfd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(HOOK_EXIT_EXEC);
}

static void keep_output(struct hook_run *r, int fd, bool *open_)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN)
				*open_ = false;
			return;
		}
		size_t keep = (size_t)n;
		if (keep > HOOK_OUT_MAX - r->out_len)
			keep = HOOK_OUT_MAX - r->out_len;
		memcpy(r->out + r->out_len, buf, keep);
		r->out_len += keep;
	}
}

/* Write what is left of the state; a hook that exits or closes stdin
 * without reading it is not an error (EPIPE, as Go's os/exec treats it).
 * SIGPIPE is blocked around the write and a pending one consumed, so mvrun
 * is never killed by it. Returns false once stdin is finished with. */
static bool feed(int fd, const char *data, size_t len, size_t *off)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	bool more = true;
	while (*off < len) {
		ssize_t n = write(fd, data + *off, len - *off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			if (errno == EPIPE && !sigismember(&old, SIGPIPE)) {
				sigset_t pend;
				sigpending(&pend);
				if (sigismember(&pend, SIGPIPE))
					sigtimedwait(&pipe_set, NULL, &(struct timespec){ 0, 0 });
			}
			more = false;
			break;
		}
		*off += (size_t)n;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return more && *off < len;
}

int hooks_run_one(struct hook_run *r, const char *state, struct err *err)
{
	const struct hook *h = r->h;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ex[2] = { -1, -1 }, pfd = -1, rc = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(ex, O_CLOEXEC)) {
		err_sys(err, 1, errno, "%s hook %s: pipe", r->what, h->path);
		goto out;
	}
	r->pid = fork();
	if (r->pid < 0) {
		err_sys(err, 1, errno, "%s hook %s: fork", r->what, h->path);
		goto out;
	}
	if (r->pid == 0)
		child(h, in[0], out[1], ex[1]);
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	in[0] = out[1] = ex[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pfd = (int)syscall(SYS_pidfd_open, r->pid, 0);

	size_t len = state ? strlen(state) : 0, off = 0;
	bool out_open = true, exited = false;
	long deadline = h->timeout > 0 ? clock_ms() + h->timeout * 1000L : -1;
	if (!feed(in[1], state ? state : "", len, &off)) {
		close(in[1]);
		in[1] = -1;
	}
	while (!exited) {
		struct pollfd p[3];
		int np = 0, ipid = -1, iin = -1, iout = -1;
		if (pfd >= 0)
			ipid = np, p[np++] = (struct pollfd){ .fd = pfd, .events = POLLIN };
		if (in[1] >= 0)
			iin = np, p[np++] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
		if (out_open)
			iout = np, p[np++] = (struct pollfd){ .fd = out[0], .events = POLLIN };
		/* Without a pidfd (kernels before 5.3) look at the child every 10 ms. */
		int wait = pfd >= 0 ? -1 : 10;
		if (deadline >= 0) {
			long left = deadline - clock_ms();
			if (left < 0)
				left = 0;
			if (wait < 0 || left < wait)
				wait = (int)left;
		}
		if (poll(p, (nfds_t)np, wait) < 0 && errno != EINTR) {
			err_sys(err, 1, errno, "%s hook %s: poll", r->what, h->path);
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &r->status, 0);
			goto out;
		}
		if (iout >= 0 && p[iout].revents)
			keep_output(r, out[0], &out_open);
		if (iin >= 0 && p[iin].revents && !feed(in[1], state, len, &off)) {
			close(in[1]);
			in[1] = -1;
		}
		if (ipid < 0 || p[ipid].revents) {
			pid_t w;
			while ((w = waitpid(r->pid, &r->status, WNOHANG)) < 0 && errno == EINTR)
				;
			if (w < 0) { /* ECHILD: the caller ignores SIGCHLD, so no status */
				err_sys(err, 1, errno, "%s hook %s: wait", r->what, h->path);
				goto out;
			}
			exited = w == r->pid;
		}
		if (!exited && deadline >= 0 && clock_ms() >= deadline) {
			r->timed_out = true;
			kill(r->pid, SIGKILL);
			while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
				;
			exited = true;
		}
	}
	/* What the hook wrote before it exited is in the pipe now; take it
	 * without waiting for anyone else who holds the write end. */
	if (out_open)
		keep_output(r, out[0], &out_open);
	int e;
	if (read(ex[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
		r->exec_errno = e;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	if (pfd >= 0)
		close(pfd);
	return rc;
}

/* The captured output as one line for the error message: control
 * characters become spaces, surrounding blanks go. */
static const char *one_line(struct hook_run *r)
{
	size_t n = r->out_len;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->out[i] < 0x20 || r->out[i] == 0x7f)
			r->out[i] = ' ';
	while (n > 0 && r->out[n - 1] == ' ')
		n--;
	r->out[n] = '\0';
	const char *s = r->out;
	while (*s == ' ')
		s++;
	return s;
}

int hooks_run(const struct hook *hooks, int n, const char *what, const char *state_json,
	      struct err *err)
{
	for (int i = 0; i < n; i++) {
		const struct hook *h = &hooks[i];
		if (!h->path || h->path[0] != '/')
			return err_set(err, 1, "%s hook %s: the path must be absolute", what,
				       h->path ? h->path : "(none)");
		struct hook_run *r = calloc(1, sizeof(*r));
		if (!r)
			return err_sys(err, 1, errno, "%s hook %s", what, h->path);
		r->h = h;
		r->what = what;
		int rc = hooks_run_one(r, state_json, err);
		if (rc == 0) {
			const char *o = one_line(r), *sep = *o ? ": " : "";
			int st = r->status;
			if (r->exec_errno) {
				errno = r->exec_errno;
				rc = err_sys(err, 1, errno, "%s hook %s: exec", what, h->path);
			} else if (r->timed_out) {
				rc = err_set(err, 1, "%s hook %s timed out after %d s%s%s", what, h->path,
					     h->timeout, sep, o);
			} else if (WIFSIGNALED(st)) {
				rc = err_set(err, 1, "%s hook %s was killed by signal %d (%s)%s%s", what,
					     h->path, WTERMSIG(st), strsignal(WTERMSIG(st)), sep, o);
			} else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
				rc = err_set(err, 1, "%s hook %s exited with status %d%s%s", what, h->path,
					     WEXITSTATUS(st), sep, o);
			}
		}
		free(r);
		if (rc)
			return -1;
	}
	return 0;
}

int hooks_run_kind(const struct cfg *c, enum cfg_hook_kind kind, const struct store_state *st,
		   enum store_status status, struct err *err)
{
	if (!c->nhooks[kind])
		return 0;
	char *state = store_oci_state(st, status, false);
	int r = state ? hooks_run(c->hooks[kind], c->nhooks[kind], cfg_hook_names[kind], state, err)
		      : err_set(err, 1, "out of memory");
	free(state);
	return r;
}

void hooks_run_saved(struct shim_ctx *g, const char *verb, enum cfg_hook_kind kind,
		     const struct store_state *st, enum store_status status)
{
	char dir[PATH_MAX];
	struct err e = { 0 };
	struct cfg c;
	if (store_path(g->root, st->id, NULL, dir, sizeof(dir), &e) < 0 ||
	    cfg_load(dir, &c, NULL, &e) < 0) {
		shim_warn(g, "%s %s: %s hooks not run: %s", verb, st->id, cfg_hook_names[kind], e.msg);
		return;
	}
	if (hooks_run_kind(&c, kind, st, status, &e) < 0)
		shim_warn(g, "%s %s: %s", verb, st->id, e.msg);
	cfg_free(&c);
}
