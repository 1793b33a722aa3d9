#include "vmm/agent/ctr.h"

#include "vmm/net/hostnet.h"
#include "proto/confine.h"
#include "proto/escape.h"
#include "proto/launch.h"
#include "proto/sigfwd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static void fail(struct ctr *c, int status, const char *msg);

static void on_ctl_out(void *opaque, uint32_t events)
{
	(void)events;
	ctr_flush(opaque);
}

static void drop_out_fd(struct ctr *c)
{
	if (c->out_fd < 0)
		return;
	evloop_del(c->loop, c->out_fd);
	close(c->out_fd);
	c->out_fd = -1;
}

/* The control stream is of no more use: out of the loop (a dead socket
 * stays readable and writable for epoll), shut both ways so the guest sees
 * the end, and what was queued dropped with the reason on record. */
static void ctl_break(struct ctr *c, const char *why)
{
	if (c->ctl_fd >= 0 && !c->ctl_down) {
		evloop_del(c->loop, c->ctl_fd);
		shutdown(c->ctl_fd, SHUT_RDWR);
	}
	c->ctl_down = true;
	drop_out_fd(c);
	proto_buf_free(&c->out);
	c->out_off = 0;
	if (c->state != CTR_EXITED)
		fail(c, 1, why);
}

void ctr_flush(struct ctr *c)
{
	if (c->out.failed) {
		/* The codec dropped a message whole; the queue is bounded by it. */
		ctl_break(c, c->out.len - c->out_off > CTR_MAX_OUT - PROTO_MAX_MSG
				     ? "the guest stopped reading its control stream (2 MiB queued)"
				     : "a message for the guest did not fit in the control stream");
		return;
	}
	if (c->ctl_down) {
		c->out.len = c->out_off = 0; /* reported by ctl_break */
		return;
	}
	while (c->ctl_fd >= 0 && c->out_off < c->out.len) {
		ssize_t n = write(c->ctl_fd, c->out.data + c->out_off, c->out.len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			ctl_break(c, "the control stream to the guest broke");
			return;
		}
		c->out_off += (size_t)n;
	}
	bool pending = c->out_off < c->out.len;
	if (!pending) {
		c->out.len = 0;
		c->out_off = 0;
	} else if (c->out_off >= c->out.len / 2) {
		/* The cap counts what is queued, not what went: move it down
		 * (at most as many bytes as were written since the last move). */
		memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	/* A second fd for the same socket, so EPOLLOUT has its own registration. */
	if (pending && c->out_fd < 0) {
		c->out_fd = fcntl(c->ctl_fd, F_DUPFD_CLOEXEC, 0);
		if (c->out_fd < 0 || evloop_add(c->loop, c->out_fd, EPOLLOUT, on_ctl_out, c) < 0) {
			if (c->out_fd >= 0)
				close(c->out_fd);
			c->out_fd = -1;
			/* Nothing would ever write the rest. */
			ctl_break(c, "no room in mvm's event loop for the control stream");
		}
	} else if (!pending) {
		drop_out_fd(c);
	}
}

static void send_resize(struct ctr *c)
{
	struct winsize ws;
	if (!c->tty || ioctl(0, TIOCGWINSZ, &ws) < 0)
		return;
	proto_encode_resize(&c->out, ws.ws_row, ws.ws_col);
	ctr_flush(c);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct ctr *c = opaque;
	struct signalfd_siginfo si;
	(void)events;
	while (read(c->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		/* The terminal's resize is ours to pass on as RESIZE; a WINCH
		 * someone sends is the process's, as any other. */
		if (si.ssi_signo == SIGWINCH) {
			send_resize(c);
			if (si.ssi_code > 0)
				continue;
		}
		/* A kick or SIGPIPE of mvm's own, a report about mvm: not the
		 * process's. (A fault of mvm's own is forced on it by the
		 * kernel, blocked or not, and never comes here.) */
		if (!proto_sig_from_outside(si.ssi_code, si.ssi_pid, (uint32_t)c->self))
			continue;
		/* Before START the process does not exist; the guest ignores it. */
		proto_encode_u32(&c->out, PROTO_SIGNAL, si.ssi_signo);
		ctr_flush(c);
	}
}

/* READY (msg NULL) or ERROR{status, msg} on the ready fd, once (launch.h). */
static void ready_answer(struct ctr *c, int status, const char *msg)
{
	if (c->ready_fd < 0)
		return;
	if (msg ? launch_send_error(c->ready_fd, (uint32_t)status, "%s", msg) :
		  launch_send_empty(c->ready_fd, PROTO_READY)) {
		/* the reader is gone: nothing else to tell */
	}
	close(c->ready_fd);
	c->ready_fd = -1;
}

void ctr_set_ready_fd(struct ctr *c, int fd)
{
	c->ready_fd = fd;
}

void ctr_finish(struct ctr *c, int status, const char *msg)
{
	ctr_start_answer(c, status, msg && *msg ? msg : "the VM stopped before the process started");
	ready_answer(c, status, msg && *msg ? msg : "the VM stopped before the container was ready");
}

void ctr_net_stop(struct ctr *c)
{
	if (!c->net_joined)
		return;
	struct err err = { 0 };
	if (hostnet_detach(c->net_joined, c->net_tap, &err) < 0)
		fprintf(stderr, "mvm: %s\n", err.msg);
	c->net_joined = 0;
}

int ctr_start(struct ctr *c, char *msg, size_t cap)
{
	if (c->net_tap > 0) {
		struct proto_net n;
		struct err err = { 0 };
		char ifname[IFNAMSIZ];
		if (hostnet_attach(c->net_tap, c->net_if, &n, ifname, &c->net_joined, &err) < 0) {
			snprintf(msg, cap, "%s", err.msg);
			return -1;
		}
		if (proto_encode_net(&c->out, &n) < 0) {
			snprintf(msg, cap, "net: %s: the NET message could not be encoded", ifname);
			ctr_net_stop(c);
			return -1;
		}
	}
	proto_encode_empty(&c->out, PROTO_START);
	c->state = CTR_RUNNING;
	send_resize(c);
	ctr_flush(c);
	return 0;
}

/* msg may be the guest's: mvrun prints it, so control characters go escaped. */
static void fail(struct ctr *c, int status, const char *msg)
{
	char safe[sizeof(c->error)];
	msg = proto_escape(safe, sizeof(safe), msg);
	ready_answer(c, status, msg);
	ctr_start_answer(c, status, msg);
	if (c->state == CTR_FAILED || c->state == CTR_EXITED)
		return;
	c->state = CTR_FAILED;
	c->exit_status = status;
	snprintf(c->error, sizeof(c->error), "%s", msg);
}

static void handle(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	uint32_t v;
	const char *msg;
	char why[sizeof(c->error)];
	switch (h->type) {
	case PROTO_HELLO:
		if (c->state != CTR_WAIT_HELLO || proto_decode_u32(p, h->len, &v) < 0)
			break;
		/* Whole messages, checked by stream.c. One the queue cannot take
		 * fails the container: the guest, waiting for its SPEC, sees the
		 * stream close. */
		if (proto_append(&c->out, c->stream->data, c->stream->len) < 0) {
			fail(c, 1, "the container stream does not fit the control queue");
			shutdown(c->ctl_fd, SHUT_RDWR);
			break;
		}
		c->state = CTR_WAIT_READY;
		break;
	case PROTO_READY:
		if (c->state != CTR_WAIT_READY)
			break;
		ready_answer(c, 0, NULL);
		if (c->wait_start) {
			c->state = CTR_WAIT_START;
			break;
		}
		if (ctr_start(c, why, sizeof(why)) < 0) {
			/* The guest waits for START: closing the stream ends it. */
			fail(c, 1, why);
			shutdown(c->ctl_fd, SHUT_RDWR);
		}
		break;
	case PROTO_ERROR:
		if (proto_decode_error(p, h->len, &v, &msg) == 0)
			fail(c, (int)(v & 0xff), msg);
		break;
	case PROTO_STARTED:
		if (proto_decode_empty(p, h->len) == 0 && c->state == CTR_RUNNING)
			ctr_start_answer(c, 0, NULL);
		break;
	case PROTO_EXIT:
		if (proto_decode_u32(p, h->len, &v) == 0 && c->state == CTR_RUNNING) {
			c->state = CTR_EXITED;
			c->exit_status = (int)(v & 0xff);
		}
		break;
	case PROTO_EXEC_STARTED:
	case PROTO_EXEC_ERROR:
	case PROTO_EXEC_EXIT:
		exec_from_guest(c, h, p);
		break;
	case PROTO_MEMBER:
		exec_member_from_guest(c, h, p);
		break;
	default:
		break; /* host-to-guest types from the guest: ignored */
	}
	ctr_flush(c);
}

static void on_ctl_in(void *opaque, uint32_t events)
{
	struct ctr *c = opaque;
	(void)events;
	ssize_t n = read(c->ctl_fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		evloop_del(c->loop, c->ctl_fd);
		if (c->state != CTR_EXITED)
			fail(c, 1, "the guest closed the control stream");
		return;
	}
	c->inlen += (uint32_t)n;
	for (;;) {
		struct proto_hdr h;
		if (c->inlen < PROTO_HDR_LEN)
			break;
		if (proto_parse_hdr(c->in, &h) < 0 || h.len > CTR_MAX_IN - PROTO_HDR_LEN) {
			/* A hostile or broken guest: stop listening to it. */
			evloop_del(c->loop, c->ctl_fd);
			fail(c, 1, "malformed control message from the guest");
			return;
		}
		if (c->inlen < PROTO_HDR_LEN + h.len)
			break;
		handle(c, &h, c->in + PROTO_HDR_LEN);
		uint32_t used = PROTO_HDR_LEN + h.len;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
}

int ctr_init(struct ctr *c, struct evloop *loop, const struct proto_buf *stream, bool tty,
	     struct err *err)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->stream = stream;
	c->tty = tty;
	c->ctl_fd = -1;
	c->exit_status = -1;
	c->self = getpid(); /* the I/O thread may not ask */
	c->ready_fd = c->listen_fd = c->client_fd = c->out_fd = c->reserve_fd = -1;
	c->host_out[0] = 1;
	c->host_out[1] = 2;
	exec_init(&c->execs, c);
	/* Every signal kill can name but KILL, STOP and SYS, the vCPU kick's and
	 * the C library's own included: straight to the kernel, as glibc's
	 * wrappers would leave 32 and 33 out. */
	uint64_t set = proto_sig_forward_mask();
	/* SIGSYS stays mvm's seccomp report: blocked, a trap would kill mvm
	 * without naming the syscall (mvrun kill refuses SYS). */
	set &= ~(1ULL << (SIGSYS - 1));
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, sizeof(set)) != 0)
		return err_set(err, MVM_EXIT_INTERNAL, "blocking signals failed");
	c->sig_fd = (int)syscall(SYS_signalfd4, -1, &set, sizeof(set), SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sig_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "signalfd");
	if (evloop_add(loop, c->sig_fd, EPOLLIN, on_signal, c) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "event loop full");
	c->host_out[0] = relay_out_fd(1);
	c->host_out[1] = relay_out_fd(2);
	return 0;
}

/* A socketpair: the device relays one end, we keep the other. */
static int pair(int *ours)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		return -1;
	*ours = sp[0];
	return sp[1];
}

/* The relays of a stdio port; the guest's end of the pair, or -1 with
 * nothing left behind. */
static int stdio_accept(struct ctr *c, uint32_t port)
{
	int ours, theirs = pair(&ours);
	if (theirs < 0)
		return -1;
	int r;
	switch (port) {
	case PROTO_PORT_STDIN:
		r = relay_start(&c->rel[0], c->loop, 0, ours, SHUT_WR, false, false);
		break;
	case PROTO_PORT_STDOUT:
	case PROTO_PORT_STDERR: {
		int idx = port == PROTO_PORT_STDOUT ? 1 : 2;
		r = relay_start(&c->rel[idx], c->loop, ours, c->host_out[idx - 1], -1, true, false);
		break;
	}
	default: { /* PROTO_PORT_TTY */
		int ours2 = fcntl(ours, F_DUPFD_CLOEXEC, 0); /* one fd per direction in the loop */
		r = ours2 < 0 ? -1 : relay_start(&c->rel[0], c->loop, 0, ours, SHUT_WR, false, true);
		if (r == 0 && relay_start(&c->rel[3], c->loop, ours2, c->host_out[0], -1, true, false) < 0) {
			relay_stop(&c->rel[0]); /* closes ours */
			close(ours2);
			close(theirs);
			return -1;
		}
		if (r < 0 && ours2 >= 0)
			close(ours2);
		break;
	}
	}
	if (r < 0) {
		close(ours);
		close(theirs);
		return -1;
	}
	return theirs;
}

int ctr_accept(void *opaque, uint32_t port)
{
	struct ctr *c = opaque;
	int theirs;
	switch (port) {
	case PROTO_PORT_CONTROL:
		if (c->ctl_fd >= 0)
			return -1; /* one control stream per VM */
		theirs = pair(&c->ctl_fd);
		if (theirs < 0)
			return -1;
		if (evloop_add(c->loop, c->ctl_fd, EPOLLIN, on_ctl_in, c) < 0) {
			close(theirs);
			close(c->ctl_fd);
			c->ctl_fd = -1;
			return -1;
		}
		return theirs;
	case PROTO_PORT_STDIN:
	case PROTO_PORT_STDOUT:
	case PROTO_PORT_STDERR:
	case PROTO_PORT_TTY: {
		/* Each port once for the container's life: a second stream would
		 * restart a live relay, and its fds are mvm's own 0, 1 and 2. */
		uint8_t bit = (uint8_t)(1u << (port - PROTO_PORT_STDIN));
		if ((c->stdio_taken & bit) || c->tty != (port == PROTO_PORT_TTY))
			return -1;
		theirs = stdio_accept(c, port);
		if (theirs >= 0)
			c->stdio_taken |= bit;
		return theirs;
	}
	default:
		return exec_is_port(port) ? exec_accept(c, port) : -1;
	}
}

void ctr_fini(struct ctr *c)
{
	exec_fini(&c->execs);
	for (int i = 0; i < 4; i++)
		if (c->rel[i].loop)
			relay_stop(&c->rel[i]);
	if (c->ctl_fd >= 0)
		close(c->ctl_fd);
	if (c->client_fd >= 0)
		close(c->client_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	for (int i = 0; i < 2; i++)
		if (c->host_out[i] > 2)
			close(c->host_out[i]);
	c->host_out[0] = 1;
	c->host_out[1] = 2;
	if (c->reserve_fd >= 0)
		close(c->reserve_fd);
	c->reserve_fd = -1;
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->listen_path)
			unlink(c->listen_path);
	}
	if (c->ready_fd >= 0)
		close(c->ready_fd);
	c->client_fd = c->listen_fd = c->ready_fd = -1;
	if (c->sig_fd > 0)
		close(c->sig_fd);
	c->ctl_fd = c->sig_fd = -1;
	proto_buf_free(&c->out);
}
