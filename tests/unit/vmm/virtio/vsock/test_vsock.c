/* vsock state machine, guest-initiated connections: driven through a fake
 * guest (rings in a gmem, registers through the bus) against socketpairs. */
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

TestSuite(vsock, .init = setup, .fini = teardown);

Test(vsock, guest_connect_and_data_both_ways)
{
	guest_connect(&g, 1000, 50, 65536);
	cr_assert_eq(acc.calls, 1);
	cr_assert_eq(acc.port, 50);
	cr_assert_eq(g.v.nconns, 1);

	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, "hello", 5);
	char buf[16];
	read_n(&g, acc.peer, buf, 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);

	cr_assert_eq(write(acc.peer, "world!", 6), 6);
	g_pump(&g);
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p->h.len, 6);
	cr_assert_eq(memcmp(p->data, "world!", 6), 0);
	cr_assert_eq(p->h.src_port, 50);
	cr_assert_eq(p->h.dst_port, 1000);
	cr_assert_eq(p->h.fwd_cnt, 5, "the 5 bytes written to the fd are credited");
	cr_assert_eq(g_rx_pending(&g), 0);
	cr_assert_not(g_broken(&g));
}

Test(vsock, refused_port_gets_rst)
{
	acc.mode = ACC_REFUSE;
	g_send(&g, VIRTIO_VSOCK_OP_REQUEST, 1000, 77, 0, 65536, 0, NULL, 0);
	cr_assert_eq(acc.port, 77);
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(p->h.src_cid, 2);
	cr_assert_eq(p->h.src_port, 77);
	cr_assert_eq(p->h.dst_port, 1000);
	cr_assert_eq(g.v.nconns, 0);
}

Test(vsock, unknown_connection_gets_rst)
{
	uint16_t ops[] = { VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_OP_RESPONSE, VIRTIO_VSOCK_OP_SHUTDOWN,
			   VIRTIO_VSOCK_OP_CREDIT_UPDATE, VIRTIO_VSOCK_OP_CREDIT_REQUEST };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		g_send(&g, ops[i], 1000, 60, 0, 65536, 0, ops[i] == 5 ? "x" : NULL,
		       ops[i] == 5 ? 1 : 0);
		struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
		cr_assert_eq(p->h.src_port, 60);
		cr_assert_eq(p->h.dst_port, 1000);
	}
	g_send(&g, VIRTIO_VSOCK_OP_RST, 1000, 60, 0, 0, 0, NULL, 0);
	cr_assert_eq(g_rx_pending(&g), 0, "an RST is never answered");
	cr_assert_eq(acc.calls, 0);
}

Test(vsock, host_to_guest_waits_for_credit)
{
	guest_connect(&g, 1000, 50, 8192); /* the guest can take 8 KiB */
	static char out[20000], in[20000];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	cr_assert_eq(write(acc.peer, out, sizeof(out)), (ssize_t)sizeof(out));
	g_pump(&g);
	uint32_t got = 0, fwd = 0;
	for (int round = 0; round < 3; round++) {
		struct gpkt p;
		uint32_t before = got;
		while (g_recv(&g, &p)) {
			cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_RW);
			memcpy(in + got, p.data, p.h.len);
			got += p.h.len;
		}
		uint32_t want = round < 2 ? 8192 : 20000 - 16384;
		cr_assert_eq(got - before, want, "round %d: exactly the credit", round);
		g_post_rx(&g, 0); /* buffers are back: still nothing without credit */
		cr_assert_eq(g_rx_pending(&g), 0);
		fwd = got; /* the guest application read everything */
		g_send(&g, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1000, 50, 0, 8192, fwd, NULL, 0);
	}
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
}

Test(vsock, host_to_guest_waits_for_rx_buffers)
{
	guest_connect(&g, 1000, 50, 1 << 20);
	struct gpkt p;
	while (g_recv(&g, &p)) {
	}
	/* Take every posted buffer away by letting the device fill them. */
	static char big[16 * G_RXBUF + 100];
	memset(big, 'a', sizeof(big));
	cr_assert_eq(write(acc.peer, big, sizeof(big)), (ssize_t)sizeof(big));
	g_pump(&g);
	cr_assert_eq(g_rx_pending(&g), 16);
	struct vsock_conn *c = vsock_conn_find(&g.v, 1000, 50);
	cr_assert_not_null(c);
	uint32_t sent = c->tx_cnt;
	cr_assert_eq(sent, 16 * G_RXBUF, "only what fits the posted buffers is read");
	while (g_recv(&g, &p)) /* consumed; buffers re-posted without a kick */
		cr_assert_eq(p.h.len, G_RXBUF);
	g_post_rx(&g, 0);
	p = *expect_pkt(&g, VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p.h.len, 100);
}

Test(vsock, guest_to_host_bounded_by_credit)
{
	acc.sndbuf = 4096;
	g.v.buf_alloc = 32768;
	guest_connect(&g, 1000, 50, 65536);
	static char chunk[4096];
	uint32_t sent = 0, fwd_seen = 0;
	struct vsock_conn *c = vsock_conn_find(&g.v, 1000, 50);
	for (int i = 0; i < 1000; i++) {
		struct gpkt p;
		while (g_recv(&g, &p)) {
			cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
			fwd_seen = p.h.fwd_cnt;
		}
		uint32_t credit = 32768 - (sent - fwd_seen);
		if (credit == 0)
			break;
		uint32_t n = credit < sizeof(chunk) ? credit : sizeof(chunk);
		for (uint32_t k = 0; k < n; k++)
			chunk[k] = (char)((sent + k) / 4096);
		g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, chunk, n);
		sent += n;
		cr_assert_leq(c->len, 32768, "the device never holds more than its credit");
	}
	cr_assert_eq(c->len, 32768, "the fd is full, the buffer too");
	cr_assert_eq(sent - fwd_seen, 32768);
	cr_assert_eq(c->fwd_cnt, fwd_seen, "everything written was reported");

	/* The host drains: the device writes its buffer and tells the guest,
	 * at least enough to give back half the credit. */
	static char in[1 << 20];
	read_n(&g, acc.peer, in, sent);
	for (uint32_t k = 0; k < sent; k++)
		cr_assert_eq(in[k], (char)(k / 4096), "byte %u", k);
	cr_assert_eq(c->len, 0);
	cr_assert_null(c->buf, "an idle connection holds no buffer");
	struct gpkt p;
	int updates = 0;
	while (g_recv(&g, &p)) {
		cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
		fwd_seen = p.h.fwd_cnt;
		updates++;
	}
	cr_assert_geq(updates, 1);
	cr_assert_leq(sent - fwd_seen, 32768 / 2, "the guest may send again");
	cr_assert_eq(c->fwd_cnt, sent);
	g_send(&g, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1000, 50, 0, 65536, 0, NULL, 0);
	cr_assert_eq(expect_pkt(&g, VIRTIO_VSOCK_OP_CREDIT_UPDATE)->h.fwd_cnt, sent);
}

Test(vsock, guest_overrunning_credit_is_reset)
{
	acc.sndbuf = 4096;
	g.v.buf_alloc = 16384;
	guest_connect(&g, 1000, 50, 65536);
	static char chunk[16384];
	for (int i = 0; i < 64 && g.v.nconns; i++) {
		struct gpkt p;
		if (g_recv(&g, &p) && p.h.op == VIRTIO_VSOCK_OP_RST)
			break;
		g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, chunk, sizeof(chunk));
		struct vsock_conn *c = vsock_conn_find(&g.v, 1000, 50);
		if (c && c->state != VC_CLOSING)
			cr_assert_leq(c->len, 16384);
	}
	cr_assert_eq(g.v.nconns, 0, "reset and freed");
	char buf[65536];
	while (read(acc.peer, buf, sizeof(buf)) > 0) {
	}
	cr_assert(at_eof(acc.peer), "the host fd is closed");
}

Test(vsock, host_eof_then_guest_shutdown_ends_with_rst)
{
	guest_connect(&g, 1000, 50, 65536);
	cr_assert_eq(write(acc.peer, "bye", 3), 3);
	shutdown(acc.peer, SHUT_WR);
	g_pump(&g);
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p->h.len, 3);
	p = expect_pkt(&g, VIRTIO_VSOCK_OP_SHUTDOWN);
	cr_assert_eq(p->h.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	cr_assert_eq(g.v.nconns, 1, "the guest may still send");

	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 3, "late", 4);
	char buf[8];
	read_n(&g, acc.peer, buf, 4);
	g_send(&g, VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 50, VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 3,
	       NULL, 0);
	cr_assert(at_eof(acc.peer));
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
}

Test(vsock, guest_shutdown_send_gives_host_eof)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, "abc", 3);
	g_send(&g, VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 50, VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 0,
	       NULL, 0);
	char buf[4];
	read_n(&g, acc.peer, buf, 3);
	cr_assert(at_eof(acc.peer), "SHUT_WR after the data");
	cr_assert_eq(g_rx_pending(&g), 0);
	/* The host can still answer. */
	cr_assert_eq(write(acc.peer, "ok", 2), 2);
	g_pump(&g);
	cr_assert_eq(expect_pkt(&g, VIRTIO_VSOCK_OP_RW)->h.len, 2);
	close(acc.peer);
	acc.peer = -1;
	g_pump(&g);
	expect_pkt(&g, VIRTIO_VSOCK_OP_SHUTDOWN);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
}

Test(vsock, guest_close_gets_rst)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 50,
	       VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 0, NULL, 0);
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(p->h.src_port, 50);
	cr_assert_eq(g.v.nconns, 0);
	cr_assert(at_eof(acc.peer));
}

Test(vsock, guest_rst_closes_silently)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_RST, 1000, 50, 0, 0, 0, NULL, 0);
	cr_assert_eq(g.v.nconns, 0);
	cr_assert(at_eof(acc.peer));
	cr_assert_eq(g_rx_pending(&g), 0);
}

Test(vsock, credit_request_is_answered)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, "12345678", 8);
	g_send(&g, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1000, 50, 0, 65536, 0, NULL, 0);
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
	cr_assert_eq(p->h.fwd_cnt, 8);
	cr_assert_eq(p->h.buf_alloc, VSOCK_BUF_ALLOC);
}

Test(vsock, second_request_on_a_live_pair_resets_it)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_REQUEST, 1000, 50, 0, 65536, 0, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
	cr_assert_eq(acc.calls, 1);
}

Test(vsock, response_from_guest_on_its_own_connection_resets_it)
{
	guest_connect(&g, 1000, 50, 65536);
	g_send(&g, VIRTIO_VSOCK_OP_RESPONSE, 1000, 50, 0, 65536, 0, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
}
