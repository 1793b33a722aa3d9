/* Shared helpers of the vsock state-machine tests: an accept callback that
 * hands out socketpairs (or refuses, or hands a given fd), and short-hands
 * over the fake guest of test_vsock_guest.h. */
#ifndef MVM_TESTS_VSOCK_UTIL_H
#define MVM_TESTS_VSOCK_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/pump.h" /* open_fds() */
#include "tests/unit/vmm/virtio/vsock/test_vsock_guest.h"
#include "vmm/virtio/vsock/vsock_conn.h"

enum { ACC_PAIR, ACC_REFUSE, ACC_FD };

struct acc {
	int mode;
	int calls;
	uint32_t port;   /* last port asked for */
	int peer;        /* ACC_PAIR: our end of the last pair (non-blocking) */
	int fd;          /* ACC_FD: what to return */
	int sndbuf;      /* ACC_PAIR: SO_SNDBUF of the device's end, 0 = default */
};

static inline int acc_fn(void *opaque, uint32_t port)
{
	struct acc *a = opaque;
	a->calls++;
	a->port = port;
	if (a->mode == ACC_REFUSE)
		return -1;
	if (a->mode == ACC_FD)
		return a->fd;
	int sp[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp), 0);
	if (a->sndbuf)
		setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &a->sndbuf, sizeof(a->sndbuf));
	a->peer = sp[1];
	return sp[0];
}

/* The next packet the device put on the rx queue; fails the test if none. */
static inline struct gpkt *expect_pkt(struct guest *g, uint16_t op)
{
	static struct gpkt p;
	cr_assert_eq(g_recv(g, &p), 1, "expected op %u, got nothing", op);
	cr_assert_eq(p.h.op, op, "expected op %u, got %u", op, p.h.op);
	return &p;
}

/* Guest port sport connects to host port dport; returns the RESPONSE. */
static inline struct gpkt *guest_connect(struct guest *g, uint32_t sport, uint32_t dport,
					 uint32_t buf_alloc)
{
	g_send(g, VIRTIO_VSOCK_OP_REQUEST, sport, dport, 0, buf_alloc, 0, NULL, 0);
	struct gpkt *p = expect_pkt(g, VIRTIO_VSOCK_OP_RESPONSE);
	cr_assert_eq(p->h.src_cid, 2);
	cr_assert_eq(p->h.src_port, dport);
	cr_assert_eq(p->h.dst_port, sport);
	cr_assert_eq(p->h.buf_alloc, g->v.buf_alloc);
	cr_assert_eq(p->h.fwd_cnt, 0);
	return p;
}

/* Read exactly n bytes from a non-blocking fd, pumping the device between
 * tries. */
static inline void read_n(struct guest *g, int fd, void *buf, size_t n)
{
	size_t got = 0;
	for (int tries = 0; got < n && tries < 100000; tries++) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k > 0)
			got += (size_t)k;
		else if (k == 0)
			cr_assert_fail("EOF after %zu of %zu bytes", got, n);
		else
			g_pump(g);
	}
	cr_assert_eq(got, n);
}

/* True when fd reads as EOF now, or as reset (a unix socket closed with
 * bytes unread by its owner). */
static inline bool at_eof(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}


#endif
