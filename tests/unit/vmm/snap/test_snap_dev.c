/* Device state in snapshots (vmm/snap/snap_dev.c, snap_virtio.c): each
 * device's state survives a save and a load into a fresh device, and each
 * checked field, damaged, is refused with a line naming the device while
 * the device is left as it was. No KVM: transports are driven through the
 * bus as in the mmio and vsock tests. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/pump.h"
#include "tests/unit/vmm/virtio/vsock/test_vsock_guest.h"
#include "vmm/snap/snap_dev.h"

#define BASE 0xd0000000ull
#define MEM (4ull << 20)
#define NQ 2
#define QMAX 64
#define RING(q) (0x10000ull * ((q) + 1))
#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_EIDX (1ull << VIRTIO_F_EVENT_IDX)
#define S_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
	      VIRTIO_STATUS_DRIVER_OK)

/* A snapshot made by a writer, parsed. */
struct snap {
	struct snap_writer w;
	struct snap_view v;
};

static void seal(struct snap *s)
{
	const uint8_t *out;
	size_t len;
	struct err err = { 0 };
	cr_assert_eq(snap_finish(&s->w, &out, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(snap_parse(out, len, &s->v, &err), 0, "%s", err.msg);
}

static void drop(struct snap *s)
{
	snap_view_free(&s->v);
	snap_writer_free(&s->w);
}

/* dst: src with section (type, inst)'s payload changed: `n` bytes at `off`
 * overwritten, then cut or grown to new_len (-1: as it was). */
static void patched(const struct snap *src, struct snap *dst, uint32_t type, uint32_t inst,
		    size_t off, const void *bytes, size_t n, long new_len)
{
	memset(dst, 0, sizeof(*dst));
	for (uint32_t i = 0; i < src->v.nsections; i++) {
		const struct snap_section *s = &src->v.sections[i];
		uint8_t buf[2048] = { 0 };
		cr_assert_leq(s->len, sizeof(buf) - 8);
		memcpy(buf, s->data, s->len);
		size_t len = s->len;
		if (s->type == type && s->instance == inst) {
			cr_assert_leq(off + n, sizeof(buf));
			if (n)
				memcpy(buf + off, bytes, n);
			if (new_len >= 0)
				len = (size_t)new_len;
		}
		snap_add(&dst->w, s->type, s->instance, buf, len);
	}
	seal(dst);
}

/* Check a refusal, then clear err for the next call (the first error set
 * is the one kept). */
static void refused(int r, struct err *err, const char *needle)
{
	cr_assert_eq(r, -1, "accepted; wanted \"%s\"", needle);
	cr_assert_eq(err->status, MVM_EXIT_BADARG, "%s", err->msg);
	cr_assert(strstr(err->msg, needle), "\"%s\" does not say \"%s\"", err->msg, needle);
	memset(err, 0, sizeof(*err));
}

/* The same for a save that refuses (an internal state, not input). */
static void save_refused(int r, struct err *err, const char *needle)
{
	cr_assert_eq(r, -1, "saved; wanted \"%s\"", needle);
	cr_assert(strstr(err->msg, needle), "\"%s\" does not say \"%s\"", err->msg, needle);
	memset(err, 0, sizeof(*err));
}

/* ---- the transport, with a fake two-queue device ---- */

struct side {
	struct gmem gm;
	struct bus bus;
	struct evloop loop;
	struct virtio_mmio t;
	struct virtio_dev dev;
	int activated, notified[NQ];
};

static void f_notify(struct virtio_mmio *t, int q)
{
	((struct side *)t->dev->opaque)->notified[q]++;
}

static void f_activate(struct virtio_mmio *t)
{
	((struct side *)t->dev->opaque)->activated++;
}

static void side_up(struct side *s)
{
	struct err err = { 0 };
	memset(s, 0, sizeof(*s));
	cr_assert_eq(gmem_init(&s->gm, MEM, &err), 0, "%s", err.msg);
	cr_assert_eq(evloop_init(&s->loop, &err), 0, "%s", err.msg);
	s->dev = (struct virtio_dev){ .name = "fake", .device_id = 42, .features = 1ull << 3,
				      .nqueues = NQ, .queue_max = QMAX, .notify = f_notify,
				      .activate = f_activate, .opaque = s };
	cr_assert_eq(virtio_mmio_attach(&s->t, &s->dev, -1, false, &s->gm, &s->bus, &s->loop, BASE,
					5, &err), 0, "%s", err.msg);
}

static void side_down(struct side *s)
{
	virtio_mmio_detach(&s->t);
	evloop_fini(&s->loop);
	gmem_fini(&s->gm);
}

static void w32(struct side *s, uint64_t off, uint32_t v)
{
	uint8_t d[4];
	memcpy(d, &v, 4);
	cr_assert(bus_access(&s->bus, BASE + off, d, 4, true));
}

/* What Linux's probe does, then some ring traffic's worth of indices. */
static void drive(struct side *s)
{
	w32(s, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(s, 0x024, 1);
	w32(s, 0x020, (uint32_t)(F_V1 >> 32));
	w32(s, 0x024, 0);
	w32(s, 0x020, (uint32_t)F_EIDX);
	w32(s, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (int q = 0; q < NQ; q++) {
		w32(s, 0x030, (uint32_t)q);
		w32(s, 0x038, 16);
		w32(s, 0x080, (uint32_t)RING(q));
		w32(s, 0x090, (uint32_t)(RING(q) + 0x1000));
		w32(s, 0x0a0, (uint32_t)(RING(q) + 0x2000));
		w32(s, 0x044, 1);
	}
	w32(s, 0x070, S_UP);
	s->t.vq[1].last_avail = 65533; /* free-running, about to wrap */
	s->t.vq[1].used_idx = 65532;
	s->t.vq[1].signalled = 65530;
	s->t.vq[1].signalled_valid = true;
	s->t.config_gen = 7;
	atomic_store(&s->t.isr, 1);
}

static void saved_fake(struct snap *sn)
{
	struct side a;
	struct err err = { 0 };
	side_up(&a);
	drive(&a);
	memset(sn, 0, sizeof(*sn));
	uint16_t unpop[VIRTIO_MAX_QUEUES] = { 0, 2 };
	cr_assert_eq(snap_virtio_save(&a.t, 0, unpop, &sn->w, &err), 0, "%s", err.msg);
	side_down(&a);
	seal(sn);
}

Test(snap_dev, transport_round_trip)
{
	struct snap sn;
	struct side b;
	struct err err = { 0 };
	saved_fake(&sn);
	side_up(&b);
	cr_assert_eq(snap_virtio_load(&b.t, 0, &sn.v, &err), 0, "%s", err.msg);
	cr_assert_eq(b.t.status, S_UP);
	cr_assert_eq(b.t.driver_features, F_V1 | F_EIDX);
	cr_assert_eq(b.t.config_gen, 7);
	cr_assert_eq(atomic_load(&b.t.isr), 1);
	cr_assert_eq(b.activated, 1, "DRIVER_OK was set: the device is activated");
	for (int q = 0; q < NQ; q++) {
		cr_assert(b.t.vq[q].ready);
		cr_assert_eq(b.t.vq[q].size, 16);
		cr_assert_eq(b.t.vq[q].desc_gpa, RING(q));
		cr_assert_not_null(b.t.vq[q].desc, "the rings are mapped again");
		cr_assert(b.t.vq[q].event_idx);
	}
	cr_assert_eq(b.t.vq[1].last_avail, 65531, "two popped chains given back");
	cr_assert_eq(b.t.vq[1].used_idx, 65532);
	cr_assert_eq(b.t.vq[1].signalled, 65530);
	cr_assert(b.t.vq[1].signalled_valid);
	pump(&b.loop);
	cr_assert_eq(b.notified[0], 1, "each ready queue is served once after a restore");
	cr_assert_eq(b.notified[1], 1);
	side_down(&b);
	drop(&sn);
}

/* Each damage, by offset into the transport's section. */
static void transport_refuses(size_t off, const void *bytes, size_t n, long len,
			      const char *needle)
{
	struct snap sn, bad;
	struct side b;
	struct err err = { 0 };
	saved_fake(&sn);
	patched(&sn, &bad, SNAP_VIRTIO, 0, off, bytes, n, len);
	side_up(&b);
	refused(snap_virtio_load(&b.t, 0, &bad.v, &err), &err, needle);
	cr_assert_eq(b.t.status, 0, "a refused section leaves the device as it was");
	cr_assert_not(b.t.vq[0].ready);
	cr_assert_eq(b.activated, 0);
	side_down(&b);
	drop(&bad);
	drop(&sn);
}

#define Q0 40 /* the first queue's record */
#define V32(x) (&(uint32_t){ x })
#define V64(x) (&(uint64_t){ x })

Test(snap_dev, transport_refuses_each_bad_field)
{
	transport_refuses(0, V32(43), 4, -1, "device id 43");
	transport_refuses(4, V32(3), 4, -1, "3 queues");
	transport_refuses(8, V32(S_UP | 0x100), 4, -1, "unknown status bits");
	transport_refuses(8, V32(S_UP | VIRTIO_STATUS_NEEDS_RESET), 4, -1, "unknown status bits");
	transport_refuses(8, V32(VIRTIO_STATUS_DRIVER_OK), 4, -1, "DRIVER_OK without FEATURES_OK");
	transport_refuses(28, V32(4), 4, -1, "interrupt status");
	transport_refuses(32, V64(F_V1 | (1ull << 20)), 8, -1, "beyond those offered");
	transport_refuses(32, V64(F_EIDX), 8, -1, "without VERSION_1");
	transport_refuses(Q0 + 2, (uint8_t[]){ 2 }, 1, -1, "bad flags");
	transport_refuses(Q0 + 3, (uint8_t[]){ 2 }, 1, -1, "bad flags");
	transport_refuses(Q0 + 10, (uint8_t[]){ 1 }, 1, -1, "bad flags");
	transport_refuses(Q0, (uint16_t[]){ 12 }, 2, -1, "rings outside");      /* not a power of two */
	transport_refuses(Q0, (uint16_t[]){ 128 }, 2, -1, "rings outside");     /* above queue_max */
	transport_refuses(Q0 + 16, V64(MEM - 8), 8, -1, "rings outside");       /* desc past RAM */
	transport_refuses(Q0 + 24, V64(RING(0) + 0x1001), 8, -1, "rings outside"); /* misaligned */
	transport_refuses(Q0 + 32, V64(~0ull - 4), 8, -1, "rings outside");     /* wraps */
	transport_refuses(0, NULL, 0, 39, "not the size");
	transport_refuses(0, NULL, 0, Q0 + 40 + 39, "not the size");
	transport_refuses(0, NULL, 0, Q0 + 80 + 1, "not the size");
}

Test(snap_dev, transport_missing_or_broken)
{
	struct snap sn = { 0 };
	struct side a;
	struct err err = { 0 };
	seal(&sn);
	side_up(&a);
	refused(snap_virtio_load(&a.t, 0, &sn.v, &err), &err, "no state for fake");
	virtio_mmio_set_broken(&a.t, "test");
	struct snap_writer w = { 0 };
	save_refused(snap_virtio_save(&a.t, 0, NULL, &w, &err), &err, "broken");
	snap_writer_free(&w);
	side_down(&a);
	drop(&sn);
}

/* ---- serial, i8042, the port ---- */

Test(snap_dev, serial_round_trip_and_bad_registers)
{
	struct bus bus = { 0 };
	struct serial a, b;
	struct err err = { 0 };
	struct snap sn = { 0 }, bad;
	cr_assert_eq(serial_attach(&a, &bus, -1, (struct irq_line){ 0 }), 0);
	a.ier = 0x02; a.lcr = 0x03; a.mcr = 0x0b; a.scr = 0x5a; a.dll = 1; a.dlm = 0;
	a.fcr = 0xc7; a.thre_pending = true;
	cr_assert_eq(snap_serial_save(&a, &sn.w, &err), 0, "%s", err.msg);
	seal(&sn);
	struct bus bus2 = { 0 };
	cr_assert_eq(serial_attach(&b, &bus2, -1, (struct irq_line){ 0 }), 0);
	cr_assert_eq(snap_serial_load(&b, &sn.v, &err), 0, "%s", err.msg);
	cr_assert(b.ier == 0x02 && b.lcr == 0x03 && b.mcr == 0x0b && b.scr == 0x5a && b.dll == 1 &&
		  b.fcr == 0xc7 && b.thre_pending);
	static const struct { size_t off; uint8_t v; } cases[] = { { 0, 0x10 }, { 2, 0x20 }, { 7, 2 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct serial c;
		struct bus bus3 = { 0 };
		cr_assert_eq(serial_attach(&c, &bus3, -1, (struct irq_line){ 0 }), 0);
		patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_SERIAL, cases[i].off, &cases[i].v, 1, -1);
		refused(snap_serial_load(&c, &bad.v, &err), &err, "serial");
		cr_assert_eq(c.ier, 0, "left as it was");
		drop(&bad);
	}
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_SERIAL, 0, NULL, 0, 7);
	refused(snap_serial_load(&b, &bad.v, &err), &err, "malformed");
	drop(&bad);
	drop(&sn);
}

Test(snap_dev, i8042_and_port)
{
	struct i8042 k = { 0 };
	struct mvmport p = { 0 }, q = { 0 };
	struct err err = { 0 };
	struct snap sn = { 0 }, bad;
	atomic_store(&p.shutdown, -1);
	atomic_store(&p.mark, MVM_MARK_INIT);
	atomic_store(&q.shutdown, -1);
	cr_assert_eq(snap_i8042_save(&k, &sn.w, &err), 0);
	cr_assert_eq(snap_port_save(&p, &sn.w, &err), 0);
	seal(&sn);
	cr_assert_eq(snap_i8042_load(&k, &sn.v, &err), 0, "%s", err.msg);
	cr_assert_eq(snap_port_load(&q, &sn.v, &err), 0, "%s", err.msg);
	cr_assert_eq(atomic_load(&q.mark), MVM_MARK_INIT);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_I8042, 0, "x", 1, 1);
	refused(snap_i8042_load(&k, &bad.v, &err), &err, "i8042");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_PORT, 0, V32(256), 4, -1);
	refused(snap_port_load(&q, &bad.v, &err), &err, "mvm port");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_PORT, 4, V32(1), 4, -1);
	refused(snap_port_load(&q, &bad.v, &err), &err, "mvm port");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_PORT, 0, NULL, 0, 4);
	refused(snap_port_load(&q, &bad.v, &err), &err, "mvm port");
	drop(&bad);
	/* After mvinit's shutdown notice the guest is on its way out. */
	struct snap_writer w = { 0 };
	atomic_store(&p.shutdown, 0);
	save_refused(snap_port_save(&p, &w, &err), &err, "shutdown");
	snap_writer_free(&w);
	drop(&sn);
}

/* ---- vsock ---- */

Test(snap_dev, vsock_round_trip_gives_the_held_chain_back)
{
	struct guest *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct err err = { 0 };
	struct snap sn = { 0 }, bad;
	g_setup(a, NULL, NULL, NULL);
	g_post_rx(a, 4);
	a->v.next_hport = VSOCK_HPORT_BASE + 5;
	uint16_t held = a->v.rx_held, la = a->v.transport.vq[VSOCK_RXQ].last_avail;
	cr_assert_eq(snap_vsock_save(&a->v, 2, &sn.w, &err), 0, "%s", err.msg);
	seal(&sn);
	g_setup(b, NULL, NULL, NULL);
	cr_assert_eq(snap_vsock_load(&b->v, 2, &sn.v, &err), 0, "%s", err.msg);
	cr_assert_eq(b->v.next_hport, VSOCK_HPORT_BASE + 5);
	cr_assert_eq(b->v.transport.vq[VSOCK_RXQ].last_avail, (uint16_t)(la - held));
	cr_assert_eq(b->v.transport.vq[VSOCK_TXQ].desc_gpa, a->v.transport.vq[VSOCK_TXQ].desc_gpa);
	/* Another CID, a host port outside its range, a short section. */
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + 2, 0, V64(4), 8, -1);
	refused(snap_vsock_load(&b->v, 2, &bad.v, &err), &err, "CID 4");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + 2, 8, V32(7), 4, -1);
	refused(snap_vsock_load(&b->v, 2, &bad.v, &err), &err, "host port");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + 2, 12, V32(1), 4, -1);
	refused(snap_vsock_load(&b->v, 2, &bad.v, &err), &err, "malformed");
	drop(&bad);
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + 2, 0, NULL, 0, 12);
	refused(snap_vsock_load(&b->v, 2, &bad.v, &err), &err, "malformed");
	drop(&bad);
	refused(snap_vsock_load(&b->v, 1, &sn.v, &err), &err, "no state for vsock");
	/* Connections are never carried. */
	struct snap_writer w = { 0 };
	a->v.nconns = 1;
	save_refused(snap_vsock_save(&a->v, 2, &w, &err), &err, "live connections");
	a->v.nconns = 0;
	snap_writer_free(&w);
	g_teardown(a);
	g_teardown(b);
	free(a);
	free(b);
	drop(&sn);
}

/* ---- virtio-fs and virtio-net ---- */

Test(snap_dev, vfs_transport_only_and_never_mounted)
{
	struct vfsdev a, b, c;
	struct err err = { 0 };
	struct snap sn = { 0 };
	cr_assert_eq(vfsdev_init(&a, "root", "/", true, &err), 0, "%s", err.msg);
	cr_assert_eq(vfsdev_init(&b, "root", "/tmp", true, &err), 0, "%s", err.msg);
	cr_assert_eq(vfsdev_init(&c, "other", "/", true, &err), 0, "%s", err.msg);
	struct side s; /* a RAM and a loop for the three transports */
	side_up(&s);
	struct bus b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
	cr_assert_eq(virtio_mmio_attach(&a.transport, &a.vdev, -1, false, &s.gm, &b1, &s.loop, BASE,
					5, &err), 0);
	cr_assert_eq(virtio_mmio_attach(&b.transport, &b.vdev, -1, false, &s.gm, &b2, &s.loop, BASE,
					5, &err), 0);
	cr_assert_eq(virtio_mmio_attach(&c.transport, &c.vdev, -1, false, &s.gm, &b3, &s.loop, BASE,
					5, &err), 0);
	a.transport.status = VIRTIO_STATUS_ACKNOWLEDGE;
	cr_assert_eq(snap_vfs_save(&a, 0, &sn.w, &err), 0, "%s", err.msg);
	seal(&sn);
	cr_assert_eq(snap_vfs_load(&b, 0, &sn.v, &err), 0, "%s", err.msg);
	cr_assert_eq(b.transport.status, VIRTIO_STATUS_ACKNOWLEDGE);
	refused(snap_vfs_load(&c, 0, &sn.v, &err), &err, "another share");
	struct snap_writer w = { 0 };
	a.srv.initialized = true; /* the guest mounted it: FUSE_INIT seen */
	save_refused(snap_vfs_save(&a, 0, &w, &err), &err, "mounted");
	a.srv.initialized = false;
	snap_writer_free(&w);
	for (struct vfsdev *d = &a; d; d = d == &a ? &b : d == &b ? &c : NULL) {
		virtio_mmio_detach(&d->transport);
		vfsdev_fini(d);
	}
	side_down(&s);
	drop(&sn);
}

Test(snap_dev, vnet_mac_must_match)
{
	static const uint8_t mac[6] = { 2, 0x42, 0xac, 0x11, 0, 2 }, mac2[6] = { 2, 0, 0, 0, 0, 9 };
	struct vnet a, b, c;
	struct err err = { 0 };
	struct snap sn = { 0 }, bad;
	int sp[2][2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp[i]), 0);
	cr_assert_eq(vnet_init(&a, sp[0][0], false, mac, &err), 0, "%s", err.msg);
	cr_assert_eq(vnet_init(&b, sp[0][1], false, mac, &err), 0, "%s", err.msg);
	cr_assert_eq(vnet_init(&c, sp[1][0], false, mac2, &err), 0, "%s", err.msg);
	close(sp[1][1]);
	struct side s;
	side_up(&s);
	struct bus b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
	cr_assert_eq(virtio_mmio_attach(&a.transport, &a.vdev, -1, false, &s.gm, &b1, &s.loop, BASE,
					5, &err), 0);
	cr_assert_eq(virtio_mmio_attach(&b.transport, &b.vdev, -1, false, &s.gm, &b2, &s.loop, BASE,
					5, &err), 0);
	cr_assert_eq(virtio_mmio_attach(&c.transport, &c.vdev, -1, false, &s.gm, &b3, &s.loop, BASE,
					5, &err), 0);
	cr_assert_eq(snap_vnet_save(&a, 1, &sn.w, &err), 0, "%s", err.msg);
	seal(&sn);
	cr_assert_eq(snap_vnet_load(&b, 1, &sn.v, &err), 0, "%s", err.msg);
	refused(snap_vnet_load(&c, 1, &sn.v, &err), &err, "another MAC");
	patched(&sn, &bad, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + 1, 6, (uint8_t[]){ 2 }, 1, -1);
	refused(snap_vnet_load(&b, 1, &bad.v, &err), &err, "malformed");
	drop(&bad);
	for (struct vnet *d = &a; d; d = d == &a ? &b : d == &b ? &c : NULL) {
		virtio_mmio_detach(&d->transport);
		vnet_fini(d);
	}
	side_down(&s);
	drop(&sn);
}
