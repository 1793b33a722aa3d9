#include "vmm/relay.h"

#include <errno.h>
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

/* Wait for dst instead of src while data is pending, and back. src is
 * unregistered meanwhile, not just muted: epoll reports EPOLLHUP even for an
 * fd watched for no events, so a hung-up src would spin the loop. */
static void wait_for_dst(struct relay *r, bool on)
{
	if (on && !r->dst_watched) {
		r->dst_watched = evloop_add(r->loop, r->dst, EPOLLOUT, on_dst, r) == 0;
		if (r->src_watched)
			evloop_del(r->loop, r->src);
		r->src_watched = false;
	} else if (!on && r->dst_watched) {
		evloop_del(r->loop, r->dst);
		r->dst_watched = false;
		if (r->src_pollable && !r->src_watched)
			r->src_watched = evloop_add(r->loop, r->src, EPOLLIN, on_src, r) == 0;
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

/* A src that is not pollable (a regular file, /dev/null) is always
 * readable: copy until dst is full, then on_dst() calls back here. */
static void drain(struct relay *r)
{
	while (!r->done && r->len == 0) /* len > 0: dst is full, pump() waits for it */
		if (!pump(r))
			finish(r);
}

static void on_dst(void *opaque, uint32_t events)
{
	struct relay *r = opaque;
	(void)events;
	int f = flush(r);
	if (f < 0)
		finish(r);
	else if (f > 0 && r->src_pollable)
		wait_for_dst(r, false);
	else if (f > 0)
		drain(r);
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
	/* Not pollable: copy what dst takes now, the rest when it has room.
	 * Never wait here: dst's reader may be this thread (the vsock device). */
	drain(r);
	return 0;
}

void relay_stop(struct relay *r)
{
	if (r->done)
		return;
	r->on_done = NULL;
	finish(r);
}
