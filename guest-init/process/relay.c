/* Byte pumps between the host's vsock streams and the process's pipes or pty
 * master, driven by the supervisor's poll loop. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "guest-init/process/process.h"

void pump_add(struct pumps *r, int in, int out, bool drain, int at_eof)
{
	struct pump *p = &r->pump[r->n++];

	memset(p, 0, sizeof(*p));
	p->in = in;
	p->out = out;
	p->drain = drain;
	p->at_eof = at_eof;
	fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
}

static void finish(struct pump *p)
{
	if (p->done)
		return;
	p->done = true;
	if (p->out_dead)
		return;
	if (p->at_eof == PUMP_SHUT_WR) {
		shutdown(p->out, SHUT_WR);
	} else if (p->at_eof == PUMP_CLOSE) {
		close(p->out);
		p->out = -1;
	}
}

/* Move bytes until the input would block or the pump is done (false), or
 * until the output would block with bytes pending (true). */
static bool pump_run(struct pump *p)
{
	for (;;) {
		ssize_t n;

		if (p->done)
			return false;
		if (p->len == 0) {
			if (p->in_eof) {
				finish(p);
				return false;
			}
			n = read(p->in, p->buf, sizeof(p->buf));
			if (n > 0) {
				p->off = 0;
				p->len = (size_t)n;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n < 0 && errno == EAGAIN) {
				return false;
			} else {
				/* 0, EIO (pty with no slave left), a reset stream. */
				p->in_eof = true;
				continue;
			}
		}
		if (p->out_dead) {
			p->len = 0;
			continue;
		}
		n = write(p->out, p->buf + p->off, p->len);
		if (n > 0) {
			p->off += (size_t)n;
			p->len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			return true;
		} else if (!(n < 0 && errno == EINTR)) {
			/* The reader left (host closed the stream, the process
			 * closed stdin): drop the rest, keep the input flowing so
			 * no writer blocks forever. */
			p->out_dead = true;
			p->len = 0;
		}
	}
}

void pump_poll_setup(struct pumps *r, struct pollfd *pfd)
{
	for (int i = 0; i < PUMP_MAX; i++) {
		struct pump *p = &r->pump[i];
		struct pollfd *in = &pfd[2 * i], *out = &pfd[2 * i + 1];

		*in = (struct pollfd){ .fd = -1 };
		*out = (struct pollfd){ .fd = -1 };
		if (i >= r->n || p->done)
			continue;
		if (p->len) {
			out->fd = p->out;
			out->events = POLLOUT;
		} else if (!p->in_eof) {
			in->fd = p->in;
			in->events = POLLIN;
		}
	}
}

void pump_poll_done(struct pumps *r, const struct pollfd *pfd)
{
	for (int i = 0; i < r->n; i++)
		if (pfd[2 * i].revents || pfd[2 * i + 1].revents)
			pump_run(&r->pump[i]);
}

void pump_drain(struct pumps *r, int timeout_ms)
{
	long deadline = clock_ms() + timeout_ms;

	for (int i = 0; i < r->n; i++) {
		struct pump *p = &r->pump[i];

		if (!p->drain)
			continue;
		/* Whatever the process wrote is readable now: a pty's read
		 * flushes the line discipline's pending work first. So read
		 * until EAGAIN and mark that as the end. */
		while (!p->done) {
			long left = deadline - clock_ms();
			struct pollfd w = { .fd = p->out, .events = POLLOUT };

			if (!pump_run(p)) {
				if (p->done)
					break;
				p->in_eof = true; /* EAGAIN: all there is */
				continue;
			}
			if (left <= 0 || poll(&w, 1, (int)left) == 0)
				break;
		}
		if (!p->done) {
			mvi_warn("output not drained in %d ms: dropped", timeout_ms);
			p->len = 0;
			p->in_eof = true;
			finish(p);
		}
	}
}
