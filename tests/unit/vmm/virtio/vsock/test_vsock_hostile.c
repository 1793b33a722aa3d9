/* vsock against a hostile guest: bad packets get RST or are dropped, bad
 * rings break the device (NEEDS_RESET), and nothing grows without bound. */
#include "tests/unit/vmm/virtio/vsock/test_vsock_util.h"

static struct guest g;
static struct acc acc;
static int fds_before;

static void setup(void)
{
	fds_before = open_fds();
	memset(&acc, 0, sizeof(acc));
	acc.peer = -1;
	g_setup(&g, NULL, acc_fn, &acc);
	g_post_rx(&g, 16);
}

static void teardown(void)
{
	g_teardown(&g);
	if (acc.peer >= 0)
		close(acc.peer);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
}

TestSuite(vsock_hostile, .init = setup, .fini = teardown);

static struct vsock_pkt hdr(uint16_t op, uint32_t len)
{
	return (struct vsock_pkt){ .src_cid = G_CID, .dst_cid = 2, .src_port = 1000,
				   .dst_port = 50, .len = len, .type = 1, .op = op,
				   .buf_alloc = 65536 };
}

static void send_hdr(const struct vsock_pkt *p, const void *data, uint32_t len)
{
	uint8_t h[44];
	g_hdr(h, p);
	const void *seg[2] = { h, data };
	uint32_t sl[2] = { 44, len };
	g_send_segs(&g, seg, sl, len ? 2 : 1);
}

static uint16_t tx_used(void)
{
	return g.v.transport.vq[VSOCK_TXQ].used_idx;
}

Test(vsock_hostile, len_past_the_chain_gets_rst)
{
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_RW, 1000);
	send_hdr(&p, "0123456789", 10);
	struct gpkt *r = expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(r->h.dst_port, 1000);
	cr_assert_eq(r->h.src_port, 50);
	cr_assert_not(g_broken(&g), "a bad packet is not a bad ring");
}

Test(vsock_hostile, len_past_the_chain_resets_a_live_connection)
{
	guest_connect(&g, 1000, 50, 65536);
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_RW, 1000);
	send_hdr(&p, "0123456789", 10);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
	cr_assert(at_eof(acc.peer));
}

Test(vsock_hostile, unknown_op_and_type_get_rst)
{
	struct vsock_pkt p = hdr(9, 0);
	send_hdr(&p, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	p = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	p.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	send_hdr(&p, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(acc.calls, 0, "a seqpacket REQUEST never reaches accept");
}

Test(vsock_hostile, wrong_dst_cid_gets_rst_from_that_cid)
{
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	p.dst_cid = 5; /* another VM: there is no route */
	send_hdr(&p, NULL, 0);
	struct gpkt *r = expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(r->h.src_cid, 5);
	cr_assert_eq(r->h.src_port, 50);
	cr_assert_eq(acc.calls, 0);
}

Test(vsock_hostile, spoofed_src_and_short_chains_are_dropped)
{
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	p.src_cid = 4;
	send_hdr(&p, NULL, 0);
	uint8_t h[44];
	g_hdr(h, &p);
	p.src_cid = G_CID;
	g_hdr(h, &p);
	const void *seg[2] = { h, h + 10 };
	uint32_t sl[2] = { 10, 33 }; /* 43 bytes: no header */
	g_send_segs(&g, seg, sl, 2);
	g_send_segs(&g, seg, sl, 1); /* 10 bytes */
	cr_assert_eq(tx_used(), 3, "every chain is returned");
	cr_assert_eq(g_rx_pending(&g), 0, "and none answered");
	cr_assert_eq(acc.calls, 0);
	cr_assert_not(g_broken(&g));
}

Test(vsock_hostile, header_in_one_byte_pieces)
{
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	uint8_t h[44];
	g_hdr(h, &p);
	const void *seg[11];
	uint32_t sl[11];
	for (int i = 0; i < 11; i++) {
		seg[i] = h + 4 * i;
		sl[i] = 4;
	}
	g_send_segs(&g, seg, sl, 11);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RESPONSE);
	cr_assert_eq(acc.calls, 1);
}

Test(vsock_hostile, malformed_tx_ring_breaks_the_device_until_reset)
{
	guest_connect(&g, 1000, 50, 65536);
	/* avail->idx runs 1000 entries ahead of a 256-entry ring */
	uint16_t idx = (uint16_t)(g.avail[VSOCK_TXQ] + 1000);
	uint64_t avail = g.v.transport.vq[VSOCK_TXQ].avail_gpa;
	gmem_write(&g.gm, avail + 2, &idx, 2);
	g_w32(&g, 0x050, VSOCK_TXQ);
	g_pump(&g);
	cr_assert(g_broken(&g));
	/* The driver resets: connections are gone, the device works again. */
	g_driver_init(&g);
	g_pump(&g);
	cr_assert_not(g_broken(&g));
	cr_assert_eq(g.v.nconns, 0);
	cr_assert(at_eof(acc.peer));
	close(acc.peer);
	acc.peer = -1;
	g_post_rx(&g, 4);
	guest_connect(&g, 1001, 50, 65536);
}

Test(vsock_hostile, descriptor_outside_ram_breaks_the_device)
{
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	send_hdr(&p, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RESPONSE);
	/* Rewrite the next tx descriptor slot by hand: 64 GiB is not RAM. */
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = { 1ull << 36, 44, 0, 0 };
	uint64_t desc = g.v.transport.vq[VSOCK_TXQ].desc_gpa;
	gmem_write(&g.gm, desc, &d, sizeof(d));
	uint64_t avail = g.v.transport.vq[VSOCK_TXQ].avail_gpa;
	uint16_t head = 0, idx = g.avail[VSOCK_TXQ];
	gmem_write(&g.gm, avail + 4 + 2 * (idx % G_QSIZE), &head, 2);
	idx++;
	gmem_write(&g.gm, avail + 2, &idx, 2);
	g_w32(&g, 0x050, VSOCK_TXQ);
	g_pump(&g);
	cr_assert(g_broken(&g));
}

static void tiny_rx_buffer(uint32_t len)
{
	g_driver_init(&g);
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = { 0x100000, len, 2, 0 };
	uint64_t desc = g.v.transport.vq[VSOCK_RXQ].desc_gpa;
	uint64_t avail = g.v.transport.vq[VSOCK_RXQ].avail_gpa;
	gmem_write(&g.gm, desc, &d, sizeof(d));
	uint16_t head = 0, idx = 1;
	gmem_write(&g.gm, avail + 4, &head, 2);
	gmem_write(&g.gm, avail + 2, &idx, 2);
	g_w32(&g, 0x050, VSOCK_RXQ);
	g_pump(&g);
	cr_assert_not(g_broken(&g), "not looked at until there is something to send");
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_RW, 0);
	send_hdr(&p, NULL, 0); /* unknown connection: an RST is due */
	cr_assert(g_broken(&g));
}

Test(vsock_hostile, rx_buffer_smaller_than_a_header_breaks_the_device)
{
	tiny_rx_buffer(20);
}

Test(vsock_hostile, rx_buffer_with_no_room_for_payload_breaks_the_device)
{
	tiny_rx_buffer(44);
}

Test(vsock_hostile, rst_flood_without_rx_buffers_stays_bounded)
{
	g_driver_init(&g); /* no rx buffers posted */
	struct vsock_pkt p = hdr(VIRTIO_VSOCK_OP_RW, 0);
	for (int i = 0; i < 300; i++) {
		p.src_port = 2000 + (uint32_t)i;
		send_hdr(&p, NULL, 0);
	}
	cr_assert_eq(g.v.rst_len, VSOCK_RST_RING);
	cr_assert_eq(g.v.rst_dropped, 300 - VSOCK_RST_RING);
	g_post_rx(&g, 100);
	cr_assert_eq(g_rx_pending(&g), VSOCK_RST_RING);
	cr_assert_eq(expect_pkt(&g, VIRTIO_VSOCK_OP_RST)->h.dst_port, 2000);
}

Test(vsock_hostile, connection_cap)
{
	g.v.max_conns = 2;
	int peers[2];
	guest_connect(&g, 1000, 50, 65536);
	peers[0] = acc.peer;
	guest_connect(&g, 1001, 50, 65536);
	peers[1] = acc.peer;
	acc.peer = -1;
	g_send(&g, VIRTIO_VSOCK_OP_REQUEST, 1002, 50, 0, 65536, 0, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(acc.calls, 2, "accept is not asked beyond the cap");
	g_send(&g, VIRTIO_VSOCK_OP_RST, 1000, 50, 0, 0, 0, NULL, 0);
	guest_connect(&g, 1002, 50, 65536);
	close(peers[0]);
	close(peers[1]);
}
