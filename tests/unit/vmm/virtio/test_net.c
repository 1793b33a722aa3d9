/* virtio-net against a fake driver: guest RAM and split rings laid out by
 * hand, the transport driven through bus_access() as a guest's MMIO, and a
 * SOCK_SEQPACKET pair in place of the tap (one frame per message, with the
 * 12-byte vnet header). Hostile rings and headers must never crash mvm: a
 * bad frame is dropped, a bad ring sets NEEDS_RESET. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/pump.h"
#include "vmm/core/bus.h"
#include "vmm/core/evloop.h"
#include "vmm/core/gmem.h"
#include "vmm/virtio/net.h"

#define BASE 0xd0000000ULL
#define QS 256
#define MEM (8u << 20)
#define RING(q) (0x10000ull * ((q) + 1)) /* desc +0, avail +0x1000, used +0x3000 */
#define AVAIL(q) (RING(q) + 0x1000)
#define USED(q) (RING(q) + 0x3000)
#define RXBUF(i) (0x100000ull + (uint64_t)(i) * 0x800) /* 128 x 2 KiB */
#define TXBUF 0x400000ull

static struct gmem gm;
static struct bus bus;
static struct evloop loop;
static struct vnet n;
static int peer = -1, fds_before;
static uint16_t avail[2], used_seen[2];
static const uint64_t DRV_F = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
			      1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_MRG_RXBUF;

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint32_t r32(uint64_t off)
{
	uint32_t v = 0;
	bus_access(&bus, BASE + off, (uint8_t *)&v, 4, false);
	return v;
}

static void w32(uint64_t off, uint32_t v)
{
	bus_access(&bus, BASE + off, (uint8_t *)&v, 4, true);
}

static void loop_pump(void)
{
	for (int round = 0; round < 1000; round++) {
		struct epoll_event evs[16];
		int k = epoll_wait(loop.epfd, evs, 16, 0);
		if (k == 0)
			return;
		for (int i = 0; i < k; i++) {
			struct evloop_reg *r = evs[i].data.ptr;
			if (r->fd >= 0 && r->fn)
				r->fn(r->opaque, evs[i].events);
		}
	}
	cr_assert_fail("event loop never went idle");
}

static void set_desc(int q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct desc d = { addr, len, flags, next };
	cr_assert_eq(gmem_write(&gm, RING(q) + 16ull * i, &d, sizeof(d)), 0);
}

static void add_avail(int q, uint16_t head)
{
	uint16_t idx = avail[q];
	gmem_write(&gm, AVAIL(q) + 4 + 2ull * (idx % QS), &head, 2);
	avail[q] = ++idx;
	gmem_write(&gm, AVAIL(q) + 2, &idx, 2);
}

static void kick(int q)
{
	w32(0x050, (uint32_t)q);
	loop_pump();
}

static bool broken(void)
{
	return r32(0x070) & VIRTIO_STATUS_NEEDS_RESET;
}

static void driver_init(uint64_t feat)
{
	w32(0x070, 0);
	memset(avail, 0, sizeof(avail));
	memset(used_seen, 0, sizeof(used_seen));
	static const uint8_t zero[0x4000];
	for (int q = 0; q < 2; q++)
		gmem_write(&gm, RING(q), zero, sizeof(zero));
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(0x024, 0);
	w32(0x020, (uint32_t)feat);
	w32(0x024, 1);
	w32(0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	cr_assert(r32(0x070) & VIRTIO_STATUS_FEATURES_OK);
	for (int q = 0; q < 2; q++) {
		w32(0x030, (uint32_t)q);
		w32(0x038, QS);
		w32(0x080, (uint32_t)RING(q));
		w32(0x090, (uint32_t)AVAIL(q));
		w32(0x0a0, (uint32_t)USED(q));
		w32(0x044, 1);
	}
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			   VIRTIO_STATUS_DRIVER_OK);
	cr_assert_not(broken());
}

static void setup(void)
{
	struct err err = { 0 };
	int sp[2];
	fds_before = open_fds();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp), 0);
	peer = sp[1];
	cr_assert_eq(gmem_init(&gm, MEM, &err), 0, "%s", err.msg);
	cr_assert_eq(evloop_init(&loop, &err), 0, "%s", err.msg);
	static const uint8_t mac[6] = { 0x02, 0x42, 0xac, 0x11, 0, 2 };
	cr_assert_eq(vnet_init(&n, sp[0], false, mac, &err), 0, "%s", err.msg);
	cr_assert_eq(virtio_mmio_attach(&n.transport, &n.vdev, -1, false, &gm, &bus, &loop, BASE, 5,
					&err), 0, "%s", err.msg);
	cr_assert_eq(r32(0x008), VNET_DEVICE_ID);
	cr_assert_eq(r32(0x100), 0x11ac4202u, "config: the MAC's first four bytes");
	w32(0x014, 0);
	cr_assert(r32(0x010) & (1u << VIRTIO_NET_F_MAC));
	driver_init(DRV_F);
}

static void teardown(void)
{
	vnet_fini(&n);
	virtio_mmio_detach(&n.transport);
	evloop_fini(&loop);
	gmem_fini(&gm);
	close(peer);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
}

TestSuite(net, .init = setup, .fini = teardown);

/* Post `count` rx buffers of `len` bytes each (one descriptor per chain). */
static void post_rx(int first, int count, uint32_t len)
{
	for (int i = first; i < first + count; i++) {
		set_desc(VNET_RXQ, (uint16_t)i, RXBUF(i), len, VIRTQ_DESC_F_WRITE, 0);
		add_avail(VNET_RXQ, (uint16_t)i);
	}
	kick(VNET_RXQ);
}

/* The next used entry of queue q: its id and length; false if none. */
static bool take_used(int q, uint32_t *id, uint32_t *len)
{
	uint16_t idx;
	gmem_read(&gm, USED(q) + 2, &idx, 2);
	if (idx == used_seen[q])
		return false;
	uint32_t e[2];
	gmem_read(&gm, USED(q) + 4 + 8ull * (used_seen[q]++ % QS), e, 8);
	*id = e[0];
	*len = e[1];
	return true;
}

static void frame(uint8_t *buf, size_t len, uint8_t flags, uint8_t gso)
{
	memset(buf, 0, VNET_HDR_LEN);
	buf[0] = flags;
	buf[1] = gso;
	for (size_t i = VNET_HDR_LEN; i < len; i++)
		buf[i] = (uint8_t)(i * 7);
}

/* Send a frame from the guest over nseg descriptors of one chain. */
static void guest_send(const uint8_t *buf, uint32_t len, int nseg)
{
	cr_assert_eq(gmem_write(&gm, TXBUF, buf, len), 0);
	uint32_t at = 0, per = len / (uint32_t)nseg;
	for (int i = 0; i < nseg; i++) {
		uint32_t l = i + 1 < nseg ? per : len - at;
		set_desc(VNET_TXQ, (uint16_t)i, TXBUF + at, l, i + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
		at += l;
	}
	add_avail(VNET_TXQ, 0);
	kick(VNET_TXQ);
}

Test(net, tx_frame_split_over_descriptors_reaches_the_fd_whole)
{
	uint8_t f[1000], got[2000];
	frame(f, sizeof(f), VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	f[10] = 0x55; /* num_buffers from the guest: cleared */
	guest_send(f, sizeof(f), 5); /* the header split at byte 200: not a boundary */
	ssize_t r = recv(peer, got, sizeof(got), 0);
	cr_assert_eq(r, (ssize_t)sizeof(f));
	f[10] = 0;
	cr_assert_arr_eq(got, f, sizeof(f));
	uint32_t id, len;
	cr_assert(take_used(VNET_TXQ, &id, &len));
	cr_assert_eq(id, 0);
	cr_assert_eq(n.st.tx_packets, 1);
}

Test(net, tx_header_split_inside_the_header)
{
	uint8_t f[300], got[400];
	frame(f, sizeof(f), 0, 0);
	cr_assert_eq(gmem_write(&gm, TXBUF, f, sizeof(f)), 0);
	set_desc(VNET_TXQ, 0, TXBUF, 5, VIRTQ_DESC_F_NEXT, 1);
	set_desc(VNET_TXQ, 1, TXBUF + 5, 4, VIRTQ_DESC_F_NEXT, 2);
	set_desc(VNET_TXQ, 2, TXBUF + 9, sizeof(f) - 9, 0, 0);
	add_avail(VNET_TXQ, 0);
	kick(VNET_TXQ);
	cr_assert_eq(recv(peer, got, sizeof(got), 0), (ssize_t)sizeof(f));
	cr_assert_arr_eq(got, f, sizeof(f));
}

Test(net, tx_bad_headers_and_lengths_are_dropped_not_fatal)
{
	uint8_t f[200];
	frame(f, sizeof(f), 0, 3); /* GSO_UDP: never offered */
	guest_send(f, sizeof(f), 1);
	frame(f, sizeof(f), 0, VIRTIO_NET_HDR_GSO_TCPV6); /* HOST_TSO6 not taken */
	guest_send(f, sizeof(f), 1);
	frame(f, sizeof(f), 0, VIRTIO_NET_HDR_GSO_TCPV4); /* GSO without NEEDS_CSUM */
	guest_send(f, sizeof(f), 1);
	frame(f, sizeof(f), 0x80, 0); /* unknown flag */
	guest_send(f, sizeof(f), 1);
	frame(f, 20, 0, 0); /* shorter than header + Ethernet header */
	guest_send(f, 20, 1);
	cr_assert_eq(n.st.tx_bad, 5);
	cr_assert_eq(recv(peer, f, sizeof(f), 0), -1, "nothing reached the fd");
	cr_assert_not(broken());
	uint32_t id, len;
	int used = 0;
	while (take_used(VNET_TXQ, &id, &len))
		used++;
	cr_assert_eq(used, 5, "every chain is given back");
	frame(f, sizeof(f), VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4);
	guest_send(f, sizeof(f), 2);
	cr_assert_eq(recv(peer, f, sizeof(f), 0), (ssize_t)sizeof(f), "a TSO4 frame passes");
}

Test(net, tx_csum_refused_when_not_negotiated)
{
	driver_init(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	uint8_t f[100];
	frame(f, sizeof(f), VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	guest_send(f, sizeof(f), 1);
	cr_assert_eq(n.st.tx_bad, 1);
	cr_assert_eq(recv(peer, f, sizeof(f), 0), -1);
}

Test(net, rx_small_frame_one_buffer_num_buffers_1)
{
	post_rx(0, 8, 1526);
	uint8_t f[600], got[600];
	frame(f, sizeof(f), VIRTIO_NET_HDR_F_DATA_VALID, 0);
	f[10] = 0x77;
	cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	loop_pump();
	uint32_t id, len;
	cr_assert(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(id, 0);
	cr_assert_eq(len, sizeof(f));
	gmem_read(&gm, RXBUF(0), got, sizeof(got));
	cr_assert_eq(got[10], 1);
	cr_assert_eq(got[11], 0);
	f[10] = 1;
	cr_assert_arr_eq(got, f, sizeof(f));
}

Test(net, rx_large_frame_spans_merged_buffers)
{
	post_rx(0, 8, 1526);
	static uint8_t f[4000], got[4000];
	frame(f, sizeof(f), 0, 0);
	cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	loop_pump();
	uint32_t id, len, total = 0;
	for (int i = 0; i < 3; i++) {
		cr_assert(take_used(VNET_RXQ, &id, &len));
		cr_assert_eq(id, (uint32_t)i);
		gmem_read(&gm, RXBUF(i), got + total, len);
		total += len;
	}
	cr_assert_not(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(total, sizeof(f));
	cr_assert_eq(got[10], 3, "num_buffers");
	got[10] = 0;
	cr_assert_arr_eq(got, f, sizeof(f));
}

Test(net, rx_waits_for_buffers_then_delivers_in_order)
{
	uint8_t f[200];
	for (int i = 0; i < 3; i++) {
		frame(f, sizeof(f), 0, 0);
		f[20] = (uint8_t)i;
		cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	}
	kick(VNET_TXQ); /* registers the fd: no rx buffers yet */
	loop_pump();
	uint32_t id, len;
	cr_assert_not(take_used(VNET_RXQ, &id, &len));
	post_rx(0, 2, 1526);
	for (int i = 0; i < 2; i++) {
		cr_assert(take_used(VNET_RXQ, &id, &len));
		uint8_t b;
		gmem_read(&gm, RXBUF(id) + 20, &b, 1);
		cr_assert_eq(b, i);
	}
	cr_assert_not(take_used(VNET_RXQ, &id, &len), "the third waits for a buffer");
	post_rx(2, 1, 1526);
	cr_assert(take_used(VNET_RXQ, &id, &len));
	uint8_t b;
	gmem_read(&gm, RXBUF(2) + 20, &b, 1);
	cr_assert_eq(b, 2);
}

Test(net, rx_without_mrg_drops_what_a_buffer_cannot_hold)
{
	driver_init(0);
	post_rx(0, 2, 1526);
	static uint8_t f[3000];
	frame(f, sizeof(f), 0, 0);
	cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	frame(f, 100, 0, 0);
	cr_assert_eq(send(peer, f, 100, 0), 100);
	loop_pump();
	uint32_t id, len;
	cr_assert(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(id, 0, "the chain the big frame did not fit takes the next one");
	cr_assert_eq(len, 100);
	cr_assert_eq(n.st.rx_dropped, 1);
	cr_assert_not(broken());
}

Test(net, rx_tiny_buffers_are_returned_empty)
{
	post_rx(0, 70, 4); /* smaller than the header */
	uint8_t f[100];
	frame(f, sizeof(f), 0, 0);
	cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	loop_pump();
	uint32_t id, len;
	cr_assert(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert_not(broken());
}

Test(net, rx_frame_over_too_many_buffers_is_dropped)
{
	post_rx(0, 100, 64);
	static uint8_t f[VNET_MAX_MRG * 64 + 500];
	frame(f, sizeof(f), 0, 0);
	cr_assert_eq(send(peer, f, sizeof(f), 0), (ssize_t)sizeof(f));
	loop_pump();
	uint32_t id, len;
	int k = 0;
	while (take_used(VNET_RXQ, &id, &len)) {
		cr_assert_eq(len, 0);
		k++;
	}
	cr_assert_eq(k, VNET_MAX_MRG);
	cr_assert_eq(n.st.rx_dropped, 1);
	cr_assert_not(broken());
	frame(f, 200, 0, 0);
	cr_assert_eq(send(peer, f, 200, 0), 200);
	loop_pump();
	cr_assert(take_used(VNET_RXQ, &id, &len), "the device still works");
	cr_assert_eq(len, 64);
}

Test(net, rx_readable_only_buffers_break_the_device)
{
	set_desc(VNET_RXQ, 0, RXBUF(0), 1526, 0, 0); /* no WRITE flag */
	add_avail(VNET_RXQ, 0);
	kick(VNET_RXQ);
	uint8_t f[100];
	frame(f, sizeof(f), 0, 0);
	send(peer, f, sizeof(f), 0);
	loop_pump();
	uint32_t id, len;
	/* A chain with nothing writable is an empty one to us: header too small. */
	cr_assert(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(len, 0);
}

Test(net, descriptor_loop_sets_needs_reset_and_reset_recovers)
{
	set_desc(VNET_TXQ, 0, TXBUF, 100, VIRTQ_DESC_F_NEXT, 1);
	set_desc(VNET_TXQ, 1, TXBUF, 100, VIRTQ_DESC_F_NEXT, 0);
	add_avail(VNET_TXQ, 0);
	kick(VNET_TXQ);
	cr_assert(broken());
	uint8_t f[100];
	frame(f, sizeof(f), 0, 0);
	send(peer, f, sizeof(f), 0);
	loop_pump(); /* a broken device does not spin on the readable fd */
	driver_init(DRV_F);
	post_rx(0, 4, 1526);
	uint32_t id, len;
	cr_assert(take_used(VNET_RXQ, &id, &len), "the frame that waited is delivered");
	cr_assert_eq(len, sizeof(f));
}

Test(net, rx_buffer_outside_guest_ram_breaks_the_device)
{
	set_desc(VNET_RXQ, 0, MEM - 16, 1526, VIRTQ_DESC_F_WRITE, 0);
	add_avail(VNET_RXQ, 0);
	kick(VNET_RXQ);
	uint8_t f[100];
	frame(f, sizeof(f), 0, 0);
	send(peer, f, sizeof(f), 0);
	loop_pump();
	cr_assert(broken());
}

Test(net, reset_with_a_frame_half_delivered)
{
	post_rx(0, 1, 1526);
	static uint8_t f[4000];
	frame(f, sizeof(f), 0, 0);
	send(peer, f, sizeof(f), 0);
	loop_pump();
	uint32_t id, len;
	cr_assert_not(take_used(VNET_RXQ, &id, &len), "held until more buffers come");
	driver_init(DRV_F);
	post_rx(0, 8, 1526);
	cr_assert_not(take_used(VNET_RXQ, &id, &len), "the old frame died with the reset");
	frame(f, 300, 0, 0);
	send(peer, f, 300, 0);
	loop_pump();
	cr_assert(take_used(VNET_RXQ, &id, &len));
	cr_assert_eq(len, 300);
}

Test(net, peer_gone_stops_reading)
{
	post_rx(0, 4, 1526);
	close(peer);
	peer = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* for teardown to close */
	loop_pump();
	cr_assert(n.dead);
	uint8_t f[100];
	frame(f, sizeof(f), 0, 0);
	guest_send(f, sizeof(f), 1);
	cr_assert_eq(n.st.tx_dropped, 1);
	cr_assert_not(broken());
}

Test(net, check_tx_hdr_rules)
{
	uint64_t all = ~0ULL;
	uint8_t h[VNET_HDR_LEN] = { 0 };
	cr_assert_eq(vnet_check_tx_hdr(h, 0), 0);
	h[1] = VIRTIO_NET_HDR_GSO_ECN;
	cr_assert_eq(vnet_check_tx_hdr(h, all), -1, "ECN alone");
	h[0] = 1;
	h[1] = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	cr_assert_eq(vnet_check_tx_hdr(h, all), 0);
	cr_assert_eq(vnet_check_tx_hdr(h, all & ~(1ULL << VIRTIO_NET_F_HOST_ECN)), -1);
	h[0] = 2;
	h[1] = 0;
	cr_assert_eq(vnet_check_tx_hdr(h, all), 0);
	cr_assert_eq(h[0], 0, "DATA_VALID cleared");
}
