/* The fake guest driver of test_vsock_guest.h. */
#include "tests/unit/vmm/virtio/vsock/test_vsock_guest.h"

#include <criterion/criterion.h>
#include <endian.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>

#define G_MEM (8u << 20)
#define RING(q) (0x10000ull * ((q) + 1)) /* desc +0, avail +0x1000, used +0x3000 */
#define AVAIL(q) (RING(q) + 0x1000)
#define USED(q) (RING(q) + 0x3000)
#define RXBUF(i) (0x100000ull + (uint64_t)(i) * 0x2000)
#define TXSLOTS 16
#define TXSEGS 16
#define TXBUF(s) (0x400000ull + (uint64_t)(s) * 0x20000)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

uint32_t g_r32(struct guest *g, uint64_t off)
{
	uint8_t d[4] = { 0 };
	bus_access(&g->bus, G_BASE + off, d, 4, false);
	uint32_t v;
	memcpy(&v, d, 4);
	return v;
}

void g_w32(struct guest *g, uint64_t off, uint32_t v)
{
	uint8_t d[4];
	memcpy(d, &v, 4);
	bus_access(&g->bus, G_BASE + off, d, 4, true);
}

static void set_desc(struct guest *g, int q, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct desc d = { addr, len, flags, next };
	cr_assert_eq(gmem_write(&g->gm, RING(q) + 16ull * i, &d, sizeof(d)), 0);
}

static void add_avail(struct guest *g, int q, uint16_t head)
{
	uint16_t idx = g->avail[q];
	gmem_write(&g->gm, AVAIL(q) + 4 + 2ull * (idx % G_QSIZE), &head, 2);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g->avail[q] = ++idx;
	gmem_write(&g->gm, AVAIL(q) + 2, &idx, 2);
}

static void kick(struct guest *g, int q)
{
	g_w32(g, 0x050, (uint32_t)q); /* QueueNotify: lands on the kick eventfd */
	g_pump(g);
}

void g_pump(struct guest *g)
{
	if (g->threaded)
		return;
	for (int round = 0; round < 10000; round++) {
		struct epoll_event evs[32];
		int n = epoll_wait(g->loop.epfd, evs, 32, 0);
		cr_assert_geq(n, 0);
		if (n == 0)
			return;
		for (int i = 0; i < n; i++) {
			struct evloop_reg *r = evs[i].data.ptr;
			if (r->fd >= 0 && r->fn)
				r->fn(r->opaque, evs[i].events);
		}
	}
	cr_assert_fail("event loop never went idle");
}

void g_setup(struct guest *g, const char *uds, vsock_accept_fn accept, void *opaque)
{
	struct err err = { 0 };
	memset(g, 0, sizeof(*g));
	cr_assert_eq(gmem_init(&g->gm, G_MEM, &err), 0, "%s", err.msg);
	cr_assert_eq(evloop_init(&g->loop, &err), 0, "%s", err.msg);
	cr_assert_eq(vsock_init(&g->v, G_CID, uds, accept, opaque, &err), 0, "%s", err.msg);
	cr_assert_eq(virtio_mmio_attach(&g->v.transport, &g->v.vdev, -1, false, &g->gm, &g->bus,
					&g->loop, G_BASE, 5, &err),
		     0, "%s", err.msg);
	cr_assert_eq(g_r32(g, 0x000), 0x74726976);
	cr_assert_eq(g_r32(g, 0x008), VSOCK_DEVICE_ID);
	cr_assert_eq(g_r32(g, 0x100), G_CID, "config guest_cid, low half");
	cr_assert_eq(g_r32(g, 0x104), 0, "config guest_cid, high half");
	g_driver_init(g);
}

void g_driver_init(struct guest *g)
{
	g_w32(g, 0x070, 0);
	memset(g->avail, 0, sizeof(g->avail));
	memset(g->used_seen, 0, sizeof(g->used_seen));
	memset(g->rx_posted, 0, sizeof(g->rx_posted));
	for (int q = 0; q < 3; q++) { /* fresh rings, as a driver allocates them */
		static const uint8_t zero[0x4000];
		gmem_write(&g->gm, RING(q), zero, sizeof(zero));
	}
	g_w32(g, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	g_w32(g, 0x024, 0);
	g_w32(g, 0x020, 1u << VIRTIO_F_EVENT_IDX);
	g_w32(g, 0x024, 1);
	g_w32(g, 0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	g_w32(g, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK);
	cr_assert(g_r32(g, 0x070) & VIRTIO_STATUS_FEATURES_OK);
	for (int q = 0; q < 3; q++) {
		g_w32(g, 0x030, (uint32_t)q);
		cr_assert_geq(g_r32(g, 0x034), G_QSIZE);
		g_w32(g, 0x038, G_QSIZE);
		g_w32(g, 0x080, (uint32_t)RING(q));
		g_w32(g, 0x084, 0);
		g_w32(g, 0x090, (uint32_t)AVAIL(q));
		g_w32(g, 0x094, 0);
		g_w32(g, 0x0a0, (uint32_t)USED(q));
		g_w32(g, 0x0a4, 0);
		g_w32(g, 0x044, 1);
	}
	g_w32(g, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_not(g_broken(g));
}

void g_teardown(struct guest *g)
{
	vsock_fini(&g->v);
	virtio_mmio_detach(&g->v.transport);
	evloop_fini(&g->loop);
	gmem_fini(&g->gm);
}

static void post_one(struct guest *g, int i)
{
	g->rx_posted[i] = true;
	/* Linux 6.1 posts a header buffer and a data buffer, chained. */
	set_desc(g, VSOCK_RXQ, (uint16_t)(2 * i), RXBUF(i), 44,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(2 * i + 1));
	set_desc(g, VSOCK_RXQ, (uint16_t)(2 * i + 1), RXBUF(i) + 0x100, G_RXBUF,
		 VIRTQ_DESC_F_WRITE, 0);
	add_avail(g, VSOCK_RXQ, (uint16_t)(2 * i));
}

void g_post_rx(struct guest *g, int n)
{
	for (int i = 0; i < G_NRX && n > 0; i++) {
		if (!g->rx_posted[i]) {
			post_one(g, i);
			n--;
		}
	}
	cr_assert_eq(n, 0, "more rx buffers than the ring holds");
	kick(g, VSOCK_RXQ);
}

void g_send_segs(struct guest *g, const void *const *seg, const uint32_t *len, int nseg)
{
	cr_assert_leq(nseg, TXSEGS);
	for (int i = 0; g->threaded; i++) { /* the slot must be used before reuse */
		uint16_t used = __atomic_load_n((uint16_t *)gmem_ptr(&g->gm, USED(VSOCK_TXQ) + 2, 2),
						__ATOMIC_ACQUIRE);
		if ((uint16_t)(g->ntx - used) < TXSLOTS)
			break;
		cr_assert_lt(i, 1000000, "tx queue stuck");
		sched_yield();
	}
	uint32_t s = g->ntx++ % TXSLOTS;
	uint64_t at = TXBUF(s);
	for (int i = 0; i < nseg; i++) {
		cr_assert_eq(gmem_write(&g->gm, at, seg[i], len[i]), 0);
		uint16_t d = (uint16_t)(s * TXSEGS + (uint32_t)i);
		set_desc(g, VSOCK_TXQ, d, at, len[i], i + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(d + 1));
		at += len[i] + 8;
	}
	add_avail(g, VSOCK_TXQ, (uint16_t)(s * TXSEGS));
	kick(g, VSOCK_TXQ);
}

void g_hdr(uint8_t out[44], const struct vsock_pkt *p)
{
	uint64_t c;
	uint32_t w;
	uint16_t h;
	c = htole64(p->src_cid), memcpy(out + 0, &c, 8);
	c = htole64(p->dst_cid), memcpy(out + 8, &c, 8);
	w = htole32(p->src_port), memcpy(out + 16, &w, 4);
	w = htole32(p->dst_port), memcpy(out + 20, &w, 4);
	w = htole32(p->len), memcpy(out + 24, &w, 4);
	h = htole16(p->type), memcpy(out + 28, &h, 2);
	h = htole16(p->op), memcpy(out + 30, &h, 2);
	w = htole32(p->flags), memcpy(out + 32, &w, 4);
	w = htole32(p->buf_alloc), memcpy(out + 36, &w, 4);
	w = htole32(p->fwd_cnt), memcpy(out + 40, &w, 4);
}

void g_send(struct guest *g, uint16_t op, uint32_t sport, uint32_t dport, uint32_t flags,
	    uint32_t buf_alloc, uint32_t fwd_cnt, const void *data, uint32_t len)
{
	struct vsock_pkt p = { .src_cid = G_CID, .dst_cid = 2, .src_port = sport,
			       .dst_port = dport, .len = len, .type = 1, .op = op,
			       .flags = flags, .buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt };
	uint8_t h[44];
	g_hdr(h, &p);
	const void *seg[3] = { h, h + 13, data };
	uint32_t sl[3] = { 13, 31, len };
	g_send_segs(g, seg, sl, len ? 3 : 2);
}

int g_rx_pending(struct guest *g)
{
	uint16_t idx = __atomic_load_n((uint16_t *)gmem_ptr(&g->gm, USED(VSOCK_RXQ) + 2, 2),
				       __ATOMIC_ACQUIRE);
	return (uint16_t)(idx - g->used_seen[VSOCK_RXQ]);
}

int g_recv(struct guest *g, struct gpkt *p)
{
	if (g_rx_pending(g) == 0)
		return 0;
	uint16_t slot = g->used_seen[VSOCK_RXQ]++ % G_QSIZE;
	uint32_t e[2];
	gmem_read(&g->gm, USED(VSOCK_RXQ) + 4 + 8ull * slot, e, 8);
	cr_assert_eq(e[0] % 2, 0, "the head of a posted chain");
	int i = (int)e[0] / 2;
	cr_assert(g->rx_posted[i]);
	g->rx_posted[i] = false;
	cr_assert_geq(e[1], 44);
	uint8_t h[44];
	gmem_read(&g->gm, RXBUF(i), h, 44);
	struct virtio_vsock_hdr vh;
	memcpy(&vh, h, 44);
	p->h = (struct vsock_pkt){
		.src_cid = le64toh(vh.src_cid), .dst_cid = le64toh(vh.dst_cid),
		.src_port = le32toh(vh.src_port), .dst_port = le32toh(vh.dst_port),
		.len = le32toh(vh.len), .type = le16toh(vh.type), .op = le16toh(vh.op),
		.flags = le32toh(vh.flags), .buf_alloc = le32toh(vh.buf_alloc),
		.fwd_cnt = le32toh(vh.fwd_cnt),
	};
	cr_assert_eq(e[1], 44 + p->h.len, "used length = header + payload");
	cr_assert_leq(p->h.len, G_RXBUF);
	gmem_read(&g->gm, RXBUF(i) + 0x100, p->data, p->h.len);
	cr_assert_eq(p->h.dst_cid, G_CID);
	cr_assert_eq(p->h.type, 1);
	post_one(g, i);
	return 1;
}

bool g_broken(struct guest *g)
{
	return g_r32(g, 0x070) & VIRTIO_STATUS_NEEDS_RESET;
}
