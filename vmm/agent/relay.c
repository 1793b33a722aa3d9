#include "vmm/agent/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
		/* A socket's O_NONBLOCK may be shared with the engine: ask per call. */
		ssize_t w = r->dst_sock ? send(r->dst, r->buf + r->off, r->len - r->off,
					       MSG_DONTWAIT | MSG_NOSIGNAL)
				       : write(r->dst, r->buf + r->off, r->len - r->off);
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
 * fd watched for no events, so a hung-up src would spin the loop; not
 * reading src is also what holds back its writer (the guest's stream).
 * Returns false if the fd could not be watched (no slot left when src was
 * not holding one): the caller ends the relay, as waiting for an event that
 * never comes would hold the stream forever. */
static bool wait_for_dst(struct relay *r, bool on)
{
	if (on && !r->dst_watched) {
		if (r->src_watched)
			evloop_del(r->loop, r->src);
		r->src_watched = false;
		r->dst_watched = evloop_add(r->loop, r->dst, EPOLLOUT, on_dst, r) == 0;
		return r->dst_watched;
	}
	if (!on && r->dst_watched) {
		evloop_del(r->loop, r->dst);
		r->dst_watched = false;
		if (r->src_pollable && !r->src_watched)
			r->src_watched = evloop_add(r->loop, r->src, EPOLLIN, on_src, r) == 0;
		return !r->src_pollable || r->src_watched;
	}
	return true;
}

enum { PUMP_END = -1, PUMP_AGAIN = 0, PUMP_MOVED = 1 };

/* Read one chunk and pass it on: PUMP_MOVED, PUMP_AGAIN when src had
 * nothing, PUMP_END at EOF or an error. */
static int pump(struct relay *r)
{
	ssize_t n = read(r->src, r->buf, sizeof(r->buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return PUMP_AGAIN;
	if (n <= 0)
		return PUMP_END;
	r->off = 0;
	r->len = (uint32_t)n;
	int f = flush(r);
	if (f < 0 || (f == 0 && !wait_for_dst(r, true)))
		return PUMP_END;
	return PUMP_MOVED;
}

static void on_src(void *opaque, uint32_t events)
{
	struct relay *r = opaque;
	(void)events;
	if (r->len == 0 && pump(r) == PUMP_END)
		finish(r);
}

/* A src that is not pollable (a regular file, /dev/null) is always
 * readable: copy until dst is full, then on_dst() calls back here. One that
 * says EAGAIN is pollable after all and was not registered: nothing would
 * ever call back, and retrying would spin the I/O thread, so it ends. */
static void drain(struct relay *r)
{
	while (!r->done && r->len == 0) /* len > 0: dst is full, pump() waits for it */
		if (pump(r) != PUMP_MOVED)
			finish(r);
}

static void on_dst(void *opaque, uint32_t events)
{
	struct relay *r = opaque;
	(void)events;
	int f = flush(r);
	if (f < 0) {
		finish(r);
	} else if (f > 0 && r->src_pollable) {
		if (!wait_for_dst(r, false))
			finish(r);
	} else if (f > 0) {
		drain(r);
	}
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
	struct stat st;
	r->dst_sock = fstat(dst, &st) == 0 && S_ISSOCK(st.st_mode);
	r->src_watched = evloop_add(loop, src, EPOLLIN, on_src, r) == 0;
	r->src_pollable = r->src_watched;
	if (r->src_watched)
		return 0;
	if (errno != EPERM) { /* EEXIST, ENOSPC: nothing was started, nothing to stop */
		r->done = true;
		return -1;
	}
	/* Not pollable: copy what dst takes now, the rest when it has room.
	 * Never wait here: dst's reader may be this thread (the vsock device). */
	drain(r);
	return 0;
}

int relay_out_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return fd;
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return nfd >= 0 ? nfd : fd;
}

void relay_stop(struct relay *r)
{
	if (r->done)
		return;
	r->on_done = NULL;
	finish(r);
}
