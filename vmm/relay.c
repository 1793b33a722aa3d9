#include "vmm/relay.h"

#include <errno.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_src(void *opaque, uint32_t events);
static void on_dst(void *opaque, uint32_t events);

static void finish(struct relay *r)
{
	if (r->done)
		return;
	r->done = true;
	if (r->src_watched)
		evloop_del(r->loop, r->src);
	if (r->dst_watched)
		evloop_del(r->loop, r->dst);
	r->src_watched = r->dst_watched = false;
	if (r->shut_dst >= 0)
		shutdown(r->dst, r->shut_dst);
	if (r->close_src)
		close(r->src);
	if (r->close_dst)
		close(r->dst);
	if (r->on_done)
		r->on_done(r->opaque);
}

/* Write what is pending. Returns 1 when all is written, 0 when dst is full
 * (EAGAIN), -1 on error. */
static int flush(struct relay *r)
{
	while (r->off < r->len) {
		ssize_t w = write(r->dst, r->buf + r->off, r->len - r->off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0)
			return -1;
		r->off += (uint32_t)w;
	}
	r->off = r->len = 0;
	return 1;
}

/* Wait for dst instead of src while data is pending, and back. */
static void wait_for_dst(struct relay *r, bool on)
{
	if (on && !r->dst_watched) {
		r->dst_watched = evloop_add(r->loop, r->dst, EPOLLOUT, on_dst, r) == 0;
		if (r->src_watched)
			evloop_mod(r->loop, r->src, 0);
	} else if (!on && r->dst_watched) {
		evloop_del(r->loop, r->dst);
		r->dst_watched = false;
		if (r->src_watched)
			evloop_mod(r->loop, r->src, EPOLLIN);
	}
}

/* Read one chunk and pass it on. Returns false at EOF or error. */
static bool pump(struct relay *r)
{
	ssize_t n = read(r->src, r->buf, sizeof(r->buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	r->off = 0;
	r->len = (uint32_t)n;
	int f = flush(r);
	if (f < 0)
		return false;
	if (f == 0)
		wait_for_dst(r, true);
	return true;
}

static void on_src(void *opaque, uint32_t events)
{
	struct relay *r = opaque;
	(void)events;
	if (r->len == 0 && !pump(r))
		finish(r);
}

static void on_dst(void *opaque, uint32_t events)
{
	struct relay *r = opaque;
	(void)events;
	int f = flush(r);
	if (f < 0)
		finish(r);
	else if (f > 0)
		wait_for_dst(r, false);
}

int relay_start(struct relay *r, struct evloop *loop, int src, int dst, int shut_dst,
		bool close_src, bool close_dst)
{
	r->loop = loop;
	r->src = src;
	r->dst = dst;
	r->shut_dst = shut_dst;
	r->close_src = close_src;
	r->close_dst = close_dst;
	r->done = false;
	r->len = r->off = 0;
	r->dst_watched = false;
	r->src_watched = evloop_add(loop, src, EPOLLIN, on_src, r) == 0;
	r->src_pollable = r->src_watched;
	if (r->src_watched)
		return 0;
	if (errno != EPERM)
		return -1;
	/* Not pollable (a regular file, /dev/null): always readable, so drain
	 * it now; such reads do not block. */
	for (;;) {
		if (!pump(r))
			break;
		while (r->len && flush(r) == 0) {
			/* dst full with nothing else to run here: wait for it */
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	finish(r);
	return 0;
}

void relay_stop(struct relay *r)
{
	if (r->done)
		return;
	r->on_done = NULL;
	finish(r);
}
