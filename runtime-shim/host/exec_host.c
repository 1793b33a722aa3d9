/* One exec's host process (exec_host.h). A poll loop over mvm's
 * connection, a signalfd and the stdio pumps; mvm's messages are parsed
 * with proto/'s codec only. */
#include "runtime-shim/host/exec_host.h"

#include "common/clock.h"
#include "proto/launch.h"
#include "proto/escape.h"
#include "proto/sigfwd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 5000   /* output still arriving after the exit status */
#define MAX_FDQ 8

struct pump {
	int in, out;
	bool shut;        /* shutdown(out, SHUT_WR) at EOF (a stream) */
	bool on, done;
	size_t off, len;
	char buf[16384];
};

struct xh {
	struct exec_host *h;
	int sigfd;
	int stream[PROTO_EXEC_NSTREAMS];
	struct pump p[3]; /* stdin or tty-in to the guest; stdout or tty-out; stderr */
	uint8_t in[4096];
	size_t inlen;
	int fdq[MAX_FDQ], nfdq;
	bool started, ended, ready;
	int status;
	int start_fd;     /* a member's: mvrun start's connection, waiting for the answer */
	int update_fd;    /* a member's: an UPDATE's client (update, pause, kill --all), waiting */
	char error[512];
};

static void report(struct exec_host *h, const char *line)
{
	if (h->report_fd < 0)
		return;
	if (write(h->report_fd, line, strlen(line)) < 0) {
		/* the parent is gone */
	}
	close(h->report_fd);
	h->report_fd = -1;
}

static int send_msg(struct xh *x, struct proto_buf *b)
{
	size_t off = 0;
	while (!b->failed && off < b->len) {
		ssize_t n = send(x->h->ctl, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	int r = !b->failed && off == b->len ? 0 : -1;
	proto_buf_free(b);
	return r;
}

static void pump_set(struct pump *p, int in, int out, bool shut)
{
	*p = (struct pump){ .in = in, .out = out, .shut = shut, .on = true };
}

/* One read (poll said the input is ready: the caller's fds may be
 * blocking, so never a second one), then write out what is pending. */
static void pump_run(struct pump *p)
{
	if (!p->on || p->done)
		return;
	if (p->len == 0) {
		ssize_t n = read(p->in, p->buf, sizeof(p->buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) { /* EOF, EIO from a pty, a reset stream */
			p->done = true;
			if (p->shut)
				shutdown(p->out, SHUT_WR);
			return;
		}
		p->off = 0;
		p->len = (size_t)n;
	}
	while (p->len) {
		ssize_t w = write(p->out, p->buf + p->off, p->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) { /* the reader left: drop it, keep reading */
			p->len = 0;
			return;
		}
		p->off += (size_t)w;
		p->len -= (size_t)w;
	}
}

/* A stream fd from mvm: start relaying it. */
static void got_stream(struct xh *x, uint32_t k, int fd)
{
	if (k >= PROTO_EXEC_NSTREAMS || x->stream[k] >= 0) {
		close(fd);
		return;
	}
	x->stream[k] = fd;
	switch (k) {
	case PROTO_EXEC_STDIN: pump_set(&x->p[0], 0, fd, true); break;
	case PROTO_EXEC_STDOUT: pump_set(&x->p[1], fd, 1, false); break;
	case PROTO_EXEC_STDERR: pump_set(&x->p[2], fd, 2, false); break;
	default:
		if (x->h->tin < 0)
			break;
		pump_set(&x->p[0], x->h->tin, fd, false);
		pump_set(&x->p[1], fd, x->h->tout, false);
	}
}

/* A member's START, answered as mvm answers it: STARTED, or ERROR. */
static void start_answer(struct xh *x, int status, const char *msg)
{
	if (x->start_fd < 0)
		return;
	if ((msg ? launch_send_error(x->start_fd, (uint32_t)status, "%s", msg)
		 : launch_send_empty(x->start_fd, PROTO_STARTED)) < 0) {
		/* mvrun start left */
	}
	close(x->start_fd);
	x->start_fd = -1;
}

/* An UPDATE's client: its message (header hdr, h) goes to mvm whole. */
static void on_update(struct xh *x, int fd, const uint8_t *hdr, const struct proto_hdr *h)
{
	struct proto_buf b = { 0 };
	uint8_t *p = h->len <= (64u << 10) ? malloc(h->len + 1) : NULL;
	size_t got = 0;
	ssize_t n = 0;
	while (p && got < h->len && ((n = read(fd, p + got, h->len - got)) > 0 ||
				     (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	if (!p || got < h->len || x->update_fd >= 0 || x->ended) {
		launch_send_error(fd, 1, x->update_fd >= 0 ? "busy" : "malformed or too late");
		close(fd);
	} else if (proto_append(&b, hdr, PROTO_HDR_LEN) < 0 || proto_append(&b, p, h->len) < 0 ||
		   send_msg(x, &b) < 0) {
		launch_send_error(fd, 1, "the pod's VM is gone");
		close(fd);
	} else {
		x->update_fd = fd;
	}
	proto_buf_free(&b);
	free(p);
}

/* mvrun start on a member's control socket: its START goes to mvm; an
 * UPDATE (update, pause, kill --all) too, with its answer relayed back. */
static void on_start_client(struct xh *x)
{
	int fd = accept4(x->h->listen, NULL, NULL, SOCK_CLOEXEC);
	uint8_t hdr[PROTO_HDR_LEN];
	struct proto_hdr h;
	struct proto_buf b = { 0 };
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) || proto_parse_hdr(hdr, &h) < 0 ||
	    (h.type != PROTO_START && h.type != PROTO_UPDATE) ||
	    (h.type == PROTO_START && h.len)) {
		launch_send_error(fd, 1, "a pod member's control socket takes only START and UPDATE");
	} else if (h.type == PROTO_UPDATE) {
		on_update(x, fd, hdr, &h);
		return;
	} else if (x->started || x->start_fd >= 0 || x->ended) {
		launch_send_error(fd, 1, x->ended ? "the container has stopped" :
				  "the container was already started");
	} else if (proto_encode_empty(&b, PROTO_START) < 0 || send_msg(x, &b) < 0) {
		launch_send_error(fd, 1, "the pod's VM is gone");
	} else {
		x->start_fd = fd;
		return;
	}
	close(fd);
}

static void handle(struct xh *x, const struct proto_hdr *hd, const uint8_t *p)
{
	uint32_t id, v;
	const char *msg;
	struct proto_hdr in;
	const uint8_t *q;
	if (hd->type == PROTO_MEMBER && x->update_fd >= 0 &&
	    proto_decode_member(p, hd->len, &id, &in, &q) == 0) {
		/* The answer to the UPDATE: to its client, as mvm would answer. */
		if (write(x->update_fd, p + 4, hd->len - 4) < 0) {
			/* the client left */
		}
		close(x->update_fd);
		x->update_fd = -1;
		return;
	}
	if (hd->type == PROTO_EXEC_FD && proto_decode_u32(p, hd->len, &v) == 0 && x->nfdq > 0) {
		int fd = x->fdq[0];
		memmove(x->fdq, x->fdq + 1, (size_t)--x->nfdq * sizeof(int));
		got_stream(x, v, fd);
	} else if (hd->type == PROTO_READY && x->h->member && !x->ready) {
		x->ready = true;
		report(x->h, "ok\n");
	} else if (hd->type == PROTO_EXEC_STARTED && proto_decode_u32(p, hd->len, &id) == 0) {
		x->started = true;
		report(x->h, "ok\n");
		start_answer(x, 0, NULL);
	} else if (hd->type == PROTO_EXEC_EXIT && proto_decode_pair(p, hd->len, &id, &v) == 0) {
		x->ended = true;
		x->status = (int)(v & 0xff);
	} else if (hd->type == PROTO_EXEC_ERROR &&
		   proto_decode_exec_error(p, hd->len, &id, &v, &msg) == 0) {
		x->ended = true;
		x->status = v > 0 && v < 256 ? (int)v : 1;
		proto_escape(x->error, sizeof(x->error), msg); /* the guest's words */
		start_answer(x, x->status, x->error);
	} else if (hd->type == PROTO_ERROR && !x->started &&
		   proto_decode_error(p, hd->len, &v, &msg) == 0) {
		/* mvm refused the client (busy, out of fds): launch.h */
		x->ended = true;
		x->status = 1;
		proto_escape(x->error, sizeof(x->error), msg);
	}
}

/* Read what mvm sent, with any fds; false once mvm is gone. */
static bool from_mvm(struct xh *x)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { x->in + x->inlen, sizeof(x->in) - x->inlen };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(x->h->ctl, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (x->nfdq < MAX_FDQ)
				x->fdq[x->nfdq++] = fd;
			else
				close(fd);
		}
	}
	if (n <= 0)
		return false;
	x->inlen += (size_t)n;
	for (;;) {
		struct proto_hdr hd;
		if (x->inlen < PROTO_HDR_LEN)
			break;
		if (proto_parse_hdr(x->in, &hd) < 0 || hd.len > sizeof(x->in) - PROTO_HDR_LEN)
			return false;
		if (x->inlen < PROTO_HDR_LEN + hd.len)
			break;
		handle(x, &hd, x->in + PROTO_HDR_LEN);
		size_t used = PROTO_HDR_LEN + hd.len;
		memmove(x->in, x->in + used, x->inlen - used);
		x->inlen -= used;
	}
	return true;
}

/* The terminal's size to the guest's pty, if there is one and it is known. */
static void send_size(struct xh *x)
{
	struct winsize ws;
	struct proto_buf b = { 0 };
	if (x->h->tsize >= 0 && ioctl(x->h->tsize, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		proto_encode_resize(&b, ws.ws_row, ws.ws_col);
		send_msg(x, &b);
	}
}

static void on_signal(struct xh *x)
{
	struct signalfd_siginfo si;
	while (read(x->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		struct proto_buf b = { 0 };
		/* The terminal's resize goes as RESIZE; a WINCH someone sends
		 * is the process's, as any other. */
		if (si.ssi_signo == SIGWINCH) {
			send_size(x);
			if (si.ssi_code > 0)
				continue;
		}
		/* Our own SIGPIPE, a SIGCHLD report: nothing for the process. */
		if (!proto_sig_from_outside(si.ssi_code, si.ssi_pid, (uint32_t)getpid()))
			continue;
		proto_encode_u32(&b, PROTO_SIGNAL, si.ssi_signo);
		send_msg(x, &b);
	}
}

/* Output still to come: the output pumps that run and have not seen EOF. */
static bool output_pending(const struct xh *x)
{
	for (int i = 1; i < 3; i++)
		if (x->p[i].on && !x->p[i].done)
			return true;
	return false;
}

static void loop(struct xh *x)
{
	long deadline = -1;
	bool mvm = true;
	for (;;) {
		if ((x->ended || !mvm) && deadline < 0)
			deadline = clock_ms() + DRAIN_MS;
		if (deadline >= 0 && (!output_pending(x) || clock_ms() >= deadline))
			return;
		struct pollfd pfd[2 + 3 + 1];
		pfd[0] = (struct pollfd){ .fd = mvm ? x->h->ctl : -1, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = x->sigfd, .events = POLLIN };
		pfd[5] = (struct pollfd){ .fd = x->ready && !x->ended ? x->h->listen : -1,
					  .events = POLLIN };
		for (int i = 0; i < 3; i++) {
			struct pump *p = &x->p[i];
			pfd[2 + i] = (struct pollfd){ .fd = -1 };
			if (!p->on || p->done || (i == 0 && x->ended))
				continue;
			pfd[2 + i].fd = p->len ? p->out : p->in;
			pfd[2 + i].events = p->len ? POLLOUT : POLLIN;
		}
		int r = poll(pfd, 6, deadline >= 0 ? 100 : -1);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0)
			continue;
		if (pfd[1].revents)
			on_signal(x);
		if (pfd[5].revents)
			on_start_client(x);
		if (pfd[0].revents && !from_mvm(x)) {
			mvm = false;
			if (!x->ended) /* the VM is gone, and the process with it */
				x->status = 137;
			start_answer(x, 1, "the pod's VM is gone");
		}
		for (int i = 0; i < 3; i++)
			if (pfd[2 + i].revents)
				pump_run(&x->p[i]);
	}
}

int exec_host_run(struct exec_host *h, const struct proto_spec *spec, struct err *err)
{
	struct xh *x = calloc(1, sizeof(*x)); /* the pumps' buffers are large */
	if (!x) {
		report(h, "error 1 out of memory\n");
		return err_set(err, 1, "exec: out of memory");
	}
	x->h = h;
	x->sigfd = -1;
	x->start_fd = x->update_fd = -1;
	for (int i = 0; i < PROTO_EXEC_NSTREAMS; i++)
		x->stream[i] = -1;
	/* Straight to the kernel: glibc's sigfillset leaves out its own 32
	 * and 33, which would end this process instead of reaching the exec's. */
	uint64_t all = proto_sig_forward_mask();
	struct proto_buf b = { 0 };
	int r = -1;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all)) < 0 ||
	    (x->sigfd = (int)syscall(SYS_signalfd4, -1, &all, sizeof(all),
				     SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		err_sys(err, 1, errno, "exec: signalfd");
	} else if (h->member ? proto_append(&b, h->member->data, h->member->len) < 0
			     : ((h->confine && proto_encode_confine(&b, h->confine) < 0) ||
				proto_encode_exec(&b, 0, spec) < 0)) {
		proto_buf_free(&b);
		err_set(err, 1, "exec: the process is too large to send");
	} else if (send_msg(x, &b) < 0) {
		err_sys(err, 1, errno, "exec: send the request to mvm");
	} else {
		/* An engine may size the console before we lead its session (no
		 * SIGWINCH then): the size as it is now, once signals are ours. */
		send_size(x);
		loop(x);
		if (x->started)
			r = x->status;
		else if (x->error[0])
			err_set(err, x->status, "exec failed: %s", x->error);
		else
			err_set(err, 1, "exec failed: the container stopped");
	}
	if (err->status) {
		char line[1100];
		snprintf(line, sizeof(line), "error %d %s\n", err->status, err->msg);
		report(h, line);
	}
	start_answer(x, 1, "the container stopped before it started");
	if (x->update_fd >= 0)
		close(x->update_fd);
	if (x->sigfd >= 0)
		close(x->sigfd);
	for (int i = 0; i < PROTO_EXEC_NSTREAMS; i++)
		if (x->stream[i] >= 0)
			close(x->stream[i]);
	for (int i = 0; i < x->nfdq; i++)
		close(x->fdq[i]);
	free(x);
	return r;
}
