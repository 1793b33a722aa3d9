/* vsock with the event loop on its own thread, as in mvm: this thread is
 * the vCPU (MMIO, kicks, a reset in mid-stream), the other serves kicks and
 * host fds. Under `make SAN=1` this checks the locking for use-after-free. */
#include <pthread.h>
#include <time.h>

#include "tests/unit/vmm/virtio/vsock/test_vsock_util.h"

static struct guest g;
static struct acc acc;
static pthread_t io;
static int fds_before;

static void *io_main(void *arg)
{
	(void)arg;
	evloop_run(&g.loop);
	return NULL;
}

static void setup(void)
{
	fds_before = open_fds();
	memset(&acc, 0, sizeof(acc));
	acc.peer = -1;
	g_setup(&g, NULL, acc_fn, &acc);
	g.threaded = true;
	cr_assert_eq(pthread_create(&io, NULL, io_main, NULL), 0);
	g_post_rx(&g, G_NRX);
}

static void teardown(void)
{
	evloop_stop(&g.loop);
	pthread_join(io, NULL);
	g_teardown(&g);
	if (acc.peer >= 0)
		close(acc.peer);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
}

TestSuite(vsock_thread, .init = setup, .fini = teardown, .timeout = 60);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct gpkt *wait_pkt(void)
{
	static struct gpkt p;
	for (double t0 = now(); !g_recv(&g, &p); sched_yield())
		cr_assert_lt(now() - t0, 10, "no packet from the device");
	return &p;
}

static uint32_t nconns(void)
{
	pthread_mutex_lock(&g.v.transport.lock);
	uint32_t n = g.v.nconns;
	pthread_mutex_unlock(&g.v.transport.lock);
	return n;
}

#define TOTAL (2u << 20)

static uint8_t pat(uint32_t i, int dir)
{
	return (uint8_t)(i * 31 + i / 4093 + dir);
}

Test(vsock_thread, stream_both_ways_then_reset_midstream)
{
	g_send(&g, VIRTIO_VSOCK_OP_REQUEST, 1000, 50, 0, 65536, 0, NULL, 0);
	cr_assert_eq(wait_pkt()->h.op, VIRTIO_VSOCK_OP_RESPONSE);
	int peer = acc.peer;
	static uint8_t buf[65536];
	uint32_t h_sent = 0, h_got = 0; /* host side: written to / read from peer */
	uint32_t g_sent = 0, g_got = 0, g_fwd_seen = 0, g_fwd_told = 0;
	for (double t0 = now(); h_got < TOTAL || g_got < TOTAL;) {
		cr_assert_lt(now() - t0, 30, "stalled: host got %u, guest got %u", h_got, g_got);
		if (h_sent < TOTAL) { /* host → guest */
			uint32_t n = TOTAL - h_sent < sizeof(buf) ? TOTAL - h_sent : sizeof(buf);
			for (uint32_t i = 0; i < n; i++)
				buf[i] = pat(h_sent + i, 1);
			ssize_t k = write(peer, buf, n);
			if (k > 0)
				h_sent += (uint32_t)k;
		}
		ssize_t k = read(peer, buf, sizeof(buf)); /* guest → host */
		for (ssize_t i = 0; i < k; i++, h_got++)
			cr_assert_eq(buf[i], pat(h_got, 2), "host byte %u", h_got);
		struct gpkt p;
		int taken = 0;
		while (g_recv(&g, &p)) {
			taken++;
			if (p.h.op == VIRTIO_VSOCK_OP_RW)
				for (uint32_t i = 0; i < p.h.len; i++, g_got++)
					cr_assert_eq(p.data[i], pat(g_got, 1), "guest byte %u", g_got);
			else
				cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
			g_fwd_seen = p.h.fwd_cnt;
		}
		if (taken)
			g_post_rx(&g, 0);
		if (g_got - g_fwd_told >= 16384) { /* like Linux: tell the host we read */
			g_send(&g, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1000, 50, 0, 65536, g_got, NULL, 0);
			g_fwd_told = g_got;
		}
		uint32_t credit = VSOCK_BUF_ALLOC - (g_sent - g_fwd_seen);
		if (g_sent < TOTAL && credit) {
			uint32_t n = credit < 4096 ? credit : 4096;
			if (n > TOTAL - g_sent)
				n = TOTAL - g_sent;
			uint8_t d[4096];
			for (uint32_t i = 0; i < n; i++)
				d[i] = pat(g_sent + i, 2);
			g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, g_fwd_told, d, n);
			g_sent += n;
		}
		if (h_got >= TOTAL / 2 && g_got >= TOTAL / 2)
			break; /* half way both ways: now reset under traffic */
	}
	cr_assert_eq(nconns(), 1);
	/* More traffic in flight, then the driver resets from this thread. */
	for (int i = 0; i < 8; i++)
		g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, g_fwd_told, buf, 1024);
	while (write(peer, buf, sizeof(buf)) > 0) {
	}
	g_w32(&g, 0x070, 0);
	for (double t0 = now(); nconns(); sched_yield())
		cr_assert_lt(now() - t0, 10, "reset did not drop the connection");
	for (double t0 = now(); !at_eof(peer); sched_yield())
		cr_assert_lt(now() - t0, 10, "the host fd stays open");
}
