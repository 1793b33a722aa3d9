/* mmio: the virtio-mmio v2 transport, driven through the bus the way the
 * Linux driver does (virtio_mmio.c: vm_get_features, vm_finalize_features,
 * vm_setup_vq, vm_notify), against a fake device that counts its callbacks.
 * No KVM: vm_fd -1, no irqchip; kicks land on the transport's eventfds and
 * the event loop is pumped on the test's thread. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/pump.h"
#include "vmm/virtio/mmio.h"

#define BASE 0xd0000000ull
#define MEM (4ull << 20)
#define NQ 2
#define QMAX 64
#define RING(q) (0x10000ull * ((q) + 1)) /* desc +0, avail +0x1000, used +0x2000 */
#define DEV_FEATURE 3                    /* a device-specific bit we offer */

enum {
	MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
	DEV_FEATURES = 0x010, DEV_FEATURES_SEL = 0x014, DRV_FEATURES = 0x020,
	DRV_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
	QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
	INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
	QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0,
	QUEUE_DEVICE_HIGH = 0x0a4, CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};
#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK

static struct gmem gm;
static struct bus bus;
static struct evloop loop;
static struct virtio_mmio t;
static struct virtio_dev dev;
static uint8_t config[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static int notified[NQ], activated, resets, unlocked_calls;
static int fds_before;

static void held(struct virtio_mmio *tr)
{
	/* The contract: callbacks run with the transport lock held. */
	if (pthread_mutex_trylock(&tr->lock) == 0) {
		unlocked_calls++;
		pthread_mutex_unlock(&tr->lock);
	}
}

static void f_notify(struct virtio_mmio *tr, int q)
{
	held(tr);
	cr_assert(q >= 0 && q < NQ);
	notified[q]++;
}

static void f_activate(struct virtio_mmio *tr)
{
	held(tr);
	activated++;
}

static void f_reset(struct virtio_mmio *tr)
{
	held(tr);
	resets++;
}

static void setup(void)
{
	struct err err = { 0 };
	fds_before = open_fds();
	cr_assert_eq(gmem_init(&gm, MEM, &err), 0, "%s", err.msg);
	cr_assert_eq(evloop_init(&loop, &err), 0, "%s", err.msg);
	memset(&bus, 0, sizeof(bus));
	dev = (struct virtio_dev){ .name = "fake", .device_id = 42,
				   .features = 1ull << DEV_FEATURE, .nqueues = NQ,
				   .queue_max = QMAX, .config = config, .config_len = sizeof(config),
				   .notify = f_notify, .activate = f_activate, .reset = f_reset };
	memset(notified, 0, sizeof(notified));
	activated = resets = unlocked_calls = 0;
	cr_assert_eq(virtio_mmio_attach(&t, &dev, -1, false, &gm, &bus, &loop, BASE, 5, &err), 0,
		     "%s", err.msg);
}

static void teardown(void)
{
	cr_assert_eq(unlocked_calls, 0, "a device callback ran without the transport lock");
	virtio_mmio_detach(&t);
	evloop_fini(&loop);
	gmem_fini(&gm);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
}

TestSuite(mmio, .init = setup, .fini = teardown, .timeout = 10);

static uint32_t r32(uint64_t off)
{
	uint8_t d[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	cr_assert(bus_access(&bus, BASE + off, d, 4, false));
	uint32_t v;
	memcpy(&v, d, 4);
	return v;
}

static void w32(uint64_t off, uint32_t v)
{
	uint8_t d[4];
	memcpy(d, &v, 4);
	cr_assert(bus_access(&bus, BASE + off, d, 4, true));
}

/* Negotiate: driver features (low, high), then FEATURES_OK. Returns the
 * status read back. */
static uint32_t negotiate(uint64_t features)
{
	w32(STATUS, 0);
	w32(STATUS, S_ACK);
	w32(STATUS, S_ACK | S_DRV);
	w32(DRV_FEATURES_SEL, 1);
	w32(DRV_FEATURES, (uint32_t)(features >> 32));
	w32(DRV_FEATURES_SEL, 0);
	w32(DRV_FEATURES, (uint32_t)features);
	w32(STATUS, S_ACK | S_DRV | S_FOK);
	return r32(STATUS);
}

static void setup_queue(int q, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	w32(QUEUE_SEL, (uint32_t)q);
	cr_assert_eq(r32(QUEUE_READY), 0);
	w32(QUEUE_NUM, num);
	w32(QUEUE_DESC_LOW, (uint32_t)desc);
	w32(QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	w32(QUEUE_DRIVER_LOW, (uint32_t)avail);
	w32(QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	w32(QUEUE_DEVICE_LOW, (uint32_t)used);
	w32(QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	w32(QUEUE_READY, 1);
}

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_EIDX (1ull << VIRTIO_F_EVENT_IDX)
#define F_IND (1ull << VIRTIO_F_INDIRECT_DESC)

/* What Linux does in probe: negotiate, set up every queue, DRIVER_OK. */
static void bring_up(uint64_t features)
{
	cr_assert(negotiate(features) & S_FOK);
	for (int q = 0; q < NQ; q++)
		setup_queue(q, 16, RING(q), RING(q) + 0x1000, RING(q) + 0x2000);
	w32(STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	cr_assert_eq(r32(STATUS), S_ACK | S_DRV | S_FOK | S_DOK);
}

static uint64_t irq_count(void)
{
	uint64_t n = 0;
	if (read(t.irq_fd, &n, sizeof(n)) < 0)
		cr_assert_eq(errno, EAGAIN);
	return n;
}

/* ---- identity and features ---- */

Test(mmio, identity_registers)
{
	cr_assert_eq(r32(MAGIC), 0x74726976, "\"virt\"");
	cr_assert_eq(r32(VERSION), 2, "modern only");
	cr_assert_eq(r32(DEVICE_ID), 42);
	cr_assert_neq(r32(VENDOR_ID), 0);
	cr_assert_eq(r32(STATUS), 0);
	cr_assert_eq(r32(INTERRUPT_STATUS), 0);
}

Test(mmio, device_features_in_two_words)
{
	w32(DEV_FEATURES_SEL, 0);
	uint32_t lo = r32(DEV_FEATURES);
	w32(DEV_FEATURES_SEL, 1);
	uint32_t hi = r32(DEV_FEATURES);
	uint64_t f = (uint64_t)hi << 32 | lo;
	cr_assert_eq(f, F_V1 | F_EIDX | F_IND | (1ull << DEV_FEATURE));
	w32(DEV_FEATURES_SEL, 2);
	cr_assert_eq(r32(DEV_FEATURES), 0, "no third word");
	w32(DEV_FEATURES_SEL, 0xffffffff);
	cr_assert_eq(r32(DEV_FEATURES), 0);
}

Test(mmio, features_ok_with_a_subset_including_version_1)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	cr_assert(negotiate(F_V1 | F_EIDX | F_IND | (1ull << DEV_FEATURE)) & S_FOK);
	cr_assert_eq(t.driver_features, F_V1 | F_EIDX | F_IND | (1ull << DEV_FEATURE));
}

Test(mmio, features_ok_refused_without_version_1)
{
	uint32_t st = negotiate(F_EIDX);
	cr_assert_not(st & S_FOK, "a legacy driver is refused");
	cr_assert_eq(st, S_ACK | S_DRV, "the rest of the status stays");
}

Test(mmio, features_ok_refused_with_bits_not_offered)
{
	cr_assert_not(negotiate(F_V1 | (1ull << 5)) & S_FOK);
	cr_assert_not(negotiate(F_V1 | (1ull << 40)) & S_FOK);
	cr_assert_not(negotiate(F_V1 | (1ull << 63)) & S_FOK);
}

Test(mmio, driver_features_frozen_after_features_ok)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	w32(DRV_FEATURES_SEL, 0);
	w32(DRV_FEATURES, (uint32_t)F_EIDX);
	cr_assert_eq(t.driver_features, F_V1);
}

Test(mmio, driver_features_select_beyond_two_words_is_ignored)
{
	w32(STATUS, S_ACK | S_DRV);
	w32(DRV_FEATURES_SEL, 2);
	w32(DRV_FEATURES, 0xffffffff);
	cr_assert_eq(t.driver_features, 0);
}

/* ---- queues ---- */

Test(mmio, queue_num_max_per_queue)
{
	w32(QUEUE_SEL, 0);
	cr_assert_eq(r32(QUEUE_NUM_MAX), QMAX);
	w32(QUEUE_SEL, NQ - 1);
	cr_assert_eq(r32(QUEUE_NUM_MAX), QMAX);
	w32(QUEUE_SEL, NQ);
	cr_assert_eq(r32(QUEUE_NUM_MAX), 0, "Linux stops probing queues at 0");
	w32(QUEUE_SEL, 0xffffffff);
	cr_assert_eq(r32(QUEUE_NUM_MAX), 0);
	cr_assert_eq(r32(QUEUE_READY), 0);
}

Test(mmio, queue_setup_activates_the_ring)
{
	cr_assert(negotiate(F_V1 | F_EIDX) & S_FOK);
	setup_queue(1, 16, 0x40000, 0x20000, 0x30000);
	cr_assert_eq(r32(QUEUE_READY), 1);
	struct vq *q = &t.vq[1];
	cr_assert(q->ready);
	cr_assert_eq(q->size, 16);
	cr_assert_eq(q->desc, gmem_ptr(&gm, 0x40000, 1));
	cr_assert_eq(q->avail, gmem_ptr(&gm, 0x20000, 1));
	cr_assert_eq(q->used, gmem_ptr(&gm, 0x30000, 1));
	cr_assert(q->event_idx, "EVENT_IDX was negotiated");
	cr_assert_not(q->indirect, "INDIRECT_DESC was not");
	w32(QUEUE_SEL, 0);
	cr_assert_eq(r32(QUEUE_READY), 0, "queue 0 untouched");
}

Test(mmio, queue_addresses_use_both_halves)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	setup_queue(0, 16, (1ull << 32) | 0x10000, 0x20000, 0x30000);
	cr_assert_eq(t.vq[0].desc_gpa, (1ull << 32) | 0x10000);
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET, "4 GiB + 64 KiB is not RAM here");
}

Test(mmio, queue_layout_frozen_while_ready)
{
	bring_up(F_V1);
	w32(QUEUE_SEL, 0);
	w32(QUEUE_NUM, 32);
	w32(QUEUE_DESC_LOW, 0x50000);
	w32(QUEUE_DESC_HIGH, 1);
	w32(QUEUE_DRIVER_LOW, 0x60000);
	w32(QUEUE_DEVICE_LOW, 0x70000);
	cr_assert_eq(t.vq[0].size, 16);
	cr_assert_eq(t.vq[0].desc_gpa, RING(0));
	cr_assert_eq(t.vq[0].avail_gpa, RING(0) + 0x1000);
	cr_assert_eq(t.vq[0].used_gpa, RING(0) + 0x2000);
	cr_assert_eq(t.vq[0].desc, gmem_ptr(&gm, RING(0), 1));
	/* Once not ready, the driver may change it again. */
	w32(QUEUE_READY, 0);
	cr_assert_eq(r32(QUEUE_READY), 0);
	w32(QUEUE_NUM, 32);
	cr_assert_eq(t.vq[0].size, 32);
}

Test(mmio, queue_writes_for_a_missing_queue_are_ignored)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	w32(QUEUE_SEL, NQ);
	w32(QUEUE_NUM, 16);
	w32(QUEUE_DESC_LOW, 0x10000);
	w32(QUEUE_READY, 1);
	cr_assert_eq(r32(QUEUE_READY), 0);
	cr_assert_eq(t.vq[NQ].size, 0);
	cr_assert_eq(t.vq[NQ].desc_gpa, 0);
	cr_assert_not(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	w32(QUEUE_SEL, 1000);
	w32(QUEUE_NUM, 16);
	w32(QUEUE_READY, 1);
	cr_assert_not(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(mmio, bad_queue_sizes_break_the_device)
{
	const uint32_t bad[] = { 0, 3, QMAX * 2, 0x10000 };
	for (int i = 0; i < 4; i++) {
		cr_assert(negotiate(F_V1) & S_FOK);
		setup_queue(0, (uint16_t)bad[i], RING(0), RING(0) + 0x1000, RING(0) + 0x2000);
		if (bad[i] == 0x10000) {
			w32(QUEUE_NUM, bad[i]); /* not via the uint16_t helper */
			w32(QUEUE_READY, 1);
		}
		cr_assert_eq(r32(QUEUE_READY), 0, "size %u", bad[i]);
		cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET, "size %u", bad[i]);
	}
}

/* ---- DRIVER_OK and kicks ---- */

Test(mmio, driver_ok_activates_once)
{
	bring_up(F_V1);
	cr_assert_eq(activated, 1);
	w32(STATUS, S_ACK | S_DRV | S_FOK | S_DOK); /* the same status again */
	cr_assert_eq(activated, 1);
	cr_assert(virtio_mmio_queue_live(&t, 0));
	cr_assert(virtio_mmio_queue_live(&t, 1));
	cr_assert_not(virtio_mmio_queue_live(&t, NQ));
	cr_assert_not(virtio_mmio_queue_live(&t, -1));
}

Test(mmio, driver_ok_without_features_ok_does_not_activate)
{
	negotiate(F_EIDX); /* refused */
	w32(STATUS, S_ACK | S_DRV | S_DOK);
	cr_assert_eq(activated, 0);
}

Test(mmio, kick_reaches_notify_on_the_event_loop)
{
	bring_up(F_V1);
	w32(QUEUE_NOTIFY, 1);
	cr_assert_eq(notified[1], 0, "not on the vCPU thread");
	cr_assert_geq(pump(&loop), 1);
	cr_assert_eq(notified[1], 1);
	cr_assert_eq(notified[0], 0);
	w32(QUEUE_NOTIFY, 0);
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 1, "two kicks before the loop runs are one notify");
	cr_assert_eq(pump(&loop), 0, "nothing left");
}

Test(mmio, kick_for_a_missing_queue_is_dropped)
{
	bring_up(F_V1);
	w32(QUEUE_NOTIFY, NQ);
	w32(QUEUE_NOTIFY, 0xffffffff);
	pump(&loop);
	cr_assert_eq(notified[0] + notified[1], 0);
}

Test(mmio, kick_before_driver_ok_or_on_an_unready_queue_is_not_delivered)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	setup_queue(0, 16, RING(0), RING(0) + 0x1000, RING(0) + 0x2000);
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 0, "no DRIVER_OK yet");
	w32(STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	w32(QUEUE_NOTIFY, 1);
	pump(&loop);
	cr_assert_eq(notified[1], 0, "queue 1 was never made ready");
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 1);
}

/* ---- register access widths ---- */

Test(mmio, short_and_misaligned_register_accesses_are_ignored)
{
	uint8_t d[8];
	w32(STATUS, S_ACK);
	memset(d, 0xff, sizeof(d));
	bus_access(&bus, BASE + STATUS, d, 1, true);
	bus_access(&bus, BASE + STATUS, d, 2, true);
	bus_access(&bus, BASE + STATUS, d, 8, true);
	bus_access(&bus, BASE + STATUS + 1, d, 4, true);
	cr_assert_eq(r32(STATUS), S_ACK);
	for (uint32_t len = 1; len <= 8; len *= 2) {
		if (len == 4)
			continue;
		memset(d, 0xaa, sizeof(d));
		cr_assert(bus_access(&bus, BASE + MAGIC, d, len, false));
		for (uint32_t i = 0; i < len; i++)
			cr_assert_eq(d[i], 0, "read of %u bytes: zeros", len);
	}
	memset(d, 0xaa, sizeof(d));
	bus_access(&bus, BASE + MAGIC + 2, d, 4, false);
	cr_assert_eq(memcmp(d, "\0\0\0\0", 4), 0, "misaligned read: zeros");
	/* A short QueueNotify is not a kick either. */
	bring_up(F_V1);
	memset(d, 0, sizeof(d));
	bus_access(&bus, BASE + QUEUE_NOTIFY, d, 2, true);
	pump(&loop);
	cr_assert_eq(notified[0], 0);
}

Test(mmio, unknown_registers_read_zero_and_ignore_writes)
{
	const uint64_t offs[] = { 0x018, 0x03c, 0x040, 0x048, 0x054, 0x068, 0x0b8, 0x0f8 };
	for (int i = 0; i < 8; i++) {
		w32(offs[i], 0xffffffff);
		cr_assert_eq(r32(offs[i]), 0, "offset 0x%llx", (unsigned long long)offs[i]);
	}
	cr_assert_eq(r32(STATUS), 0);
}

Test(mmio, no_shared_memory_regions)
{
	/* 4.2.2: a region that does not exist has length -1; Linux's
	 * vm_get_shm_region() takes any other length as a region (virtio-fs
	 * with FUSE_DAX would then map a DAX window at 0). */
	for (uint32_t id = 0; id < 3; id++) {
		w32(0x0ac, id); /* SHMSel */
		cr_assert_eq(r32(0x0b0), 0xffffffff, "SHMLenLow, region %u", id);
		cr_assert_eq(r32(0x0b4), 0xffffffff, "SHMLenHigh, region %u", id);
	}
}

/* ---- config space ---- */

Test(mmio, config_space_reads_at_any_width)
{
	uint8_t d[8];
	cr_assert_eq(r32(CONFIG), 0x04030201);
	cr_assert_eq(r32(CONFIG + 4), 0x08070605);
	memset(d, 0, sizeof(d));
	bus_access(&bus, BASE + CONFIG + 1, d, 1, false);
	cr_assert_eq(d[0], 2);
	bus_access(&bus, BASE + CONFIG + 3, d, 2, false);
	cr_assert_eq(d[0], 4);
	cr_assert_eq(d[1], 5);
	bus_access(&bus, BASE + CONFIG, d, 8, false);
	cr_assert_eq(memcmp(d, config, 8), 0);
}

Test(mmio, config_space_beyond_its_length_reads_zero)
{
	uint8_t d[8];
	memset(d, 0xaa, sizeof(d));
	bus_access(&bus, BASE + CONFIG + 8, d, 4, false);
	cr_assert_eq(memcmp(d, "\x09\x0a\0\0", 4), 0, "the last two bytes, then zeros");
	memset(d, 0xaa, sizeof(d));
	bus_access(&bus, BASE + CONFIG + 6, d, 8, false);
	cr_assert_eq(memcmp(d, "\x07\x08\x09\x0a\0\0\0\0", 8), 0);
	cr_assert_eq(r32(CONFIG + 12), 0);
	cr_assert_eq(r32(VIRTIO_MMIO_SIZE - 4), 0, "the last word of the window");
}

Test(mmio, config_writes_change_nothing)
{
	w32(CONFIG, 0xffffffff);
	cr_assert_eq(r32(CONFIG), 0x04030201);
	cr_assert_eq(config[0], 1);
}

Test(mmio, outside_the_window_is_not_ours)
{
	uint8_t d[4] = { 0 };
	cr_assert_not(bus_access(&bus, BASE + VIRTIO_MMIO_SIZE, d, 4, false));
	cr_assert_not(bus_access(&bus, BASE + VIRTIO_MMIO_SIZE - 2, d, 4, false));
}

/* ---- reset, NEEDS_RESET, interrupts ---- */

Test(mmio, status_zero_resets_everything)
{
	bring_up(F_V1 | F_EIDX);
	virtio_mmio_set_broken(&t, "test");
	w32(QUEUE_SEL, 1);
	int before = resets;
	w32(STATUS, 0);
	cr_assert_eq(resets, before + 1);
	cr_assert_eq(r32(STATUS), 0, "NEEDS_RESET gone too");
	cr_assert_eq(r32(INTERRUPT_STATUS), 0);
	cr_assert_eq(t.driver_features, 0);
	cr_assert_eq(t.qsel, 0);
	for (int q = 0; q < NQ; q++) {
		w32(QUEUE_SEL, (uint32_t)q);
		cr_assert_eq(r32(QUEUE_READY), 0);
		cr_assert_eq(t.vq[q].size, 0);
		cr_assert_null(t.vq[q].desc);
		cr_assert_eq(t.vq[q].desc_gpa, 0);
		cr_assert_eq(t.vq[q].last_avail, 0);
		cr_assert_not(virtio_mmio_queue_live(&t, q));
	}
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 0, "a kick after reset is not delivered");
	/* And the device comes up again like new. */
	bring_up(F_V1);
	cr_assert_eq(activated, 2);
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 1);
}

Test(mmio, rings_outside_ram_need_reset)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	setup_queue(0, 16, MEM - 0x80, RING(0) + 0x1000, RING(0) + 0x2000);
	cr_assert_eq(r32(QUEUE_READY), 0);
	cr_assert_eq(r32(STATUS), S_ACK | S_DRV | S_FOK | VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(t.vq[0].ready);
}

Test(mmio, misaligned_rings_need_reset)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	setup_queue(0, 16, RING(0) + 8, RING(0) + 0x1000, RING(0) + 0x2000);
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(mmio, needs_reset_after_driver_ok_raises_config_interrupt)
{
	bring_up(F_V1);
	irq_count();
	w32(QUEUE_SEL, 1);
	w32(QUEUE_READY, 0);
	w32(QUEUE_DEVICE_LOW, (uint32_t)MEM);
	w32(QUEUE_READY, 1);
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(r32(INTERRUPT_STATUS), 2, "2.1.2: the config-change bit");
	cr_assert_eq(irq_count(), 1, "and the interrupt line");
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 0, "a broken device processes nothing");
	cr_assert_not(virtio_mmio_queue_live(&t, 0));
}

Test(mmio, set_broken_reports_once_and_the_driver_cannot_clear_it)
{
	bring_up(F_V1);
	irq_count();
	virtio_mmio_set_broken(&t, "bad ring");
	virtio_mmio_set_broken(&t, "again");
	cr_assert_str_eq(t.broken_why, "bad ring");
	cr_assert_eq(irq_count(), 1);
	w32(STATUS, S_ACK | S_DRV | S_FOK | S_DOK); /* writing status without the bit */
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	w32(INTERRUPT_ACK, 2);
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET, "an ACK is not a reset");
}

Test(mmio, driver_cannot_set_needs_reset)
{
	cr_assert(negotiate(F_V1) & S_FOK);
	w32(STATUS, S_ACK | S_DRV | S_FOK | VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(mmio, interrupt_ack_clears_the_bits_written)
{
	bring_up(F_V1);
	virtio_mmio_notify_used(&t, 0); /* no EVENT_IDX, no NO_INTERRUPT: raise */
	cr_assert_eq(r32(INTERRUPT_STATUS), 1);
	virtio_mmio_set_broken(&t, "x");
	cr_assert_eq(r32(INTERRUPT_STATUS), 3);
	cr_assert_eq(irq_count(), 2);
	w32(INTERRUPT_ACK, 1);
	cr_assert_eq(r32(INTERRUPT_STATUS), 2);
	w32(INTERRUPT_ACK, 0);
	cr_assert_eq(r32(INTERRUPT_STATUS), 2);
	w32(INTERRUPT_ACK, 2);
	cr_assert_eq(r32(INTERRUPT_STATUS), 0);
}

Test(mmio, used_interrupt_respects_no_interrupt)
{
	bring_up(F_V1);
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	gmem_write(&gm, RING(0) + 0x1000, &flags, 2);
	virtio_mmio_notify_used(&t, 0);
	cr_assert_eq(r32(INTERRUPT_STATUS), 0);
	cr_assert_eq(irq_count(), 0);
}

/* ---- a whole request, as a device model sees it ---- */

static void echo_notify(struct virtio_mmio *tr, int q)
{
	struct vq_chain c;
	notified[q]++;
	while (vq_pop(&tr->vq[q], &c) == 1) {
		uint8_t b[16];
		size_t n = iov_to_buf(c.out, c.nout, 0, b, sizeof(b));
		iov_from_buf(c.in, c.nin, 0, b, n);
		vq_push(&tr->vq[q], c.head, (uint32_t)n);
	}
	virtio_mmio_notify_used(tr, q);
}

Test(mmio, request_round_trip_through_the_rings)
{
	dev.notify = echo_notify;
	bring_up(F_V1 | F_EIDX);
	irq_count();
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d[2] = {
		{ 0x80000, 5, VIRTQ_DESC_F_NEXT, 1 }, { 0x81000, 16, VIRTQ_DESC_F_WRITE, 0 } };
	gmem_write(&gm, RING(0), d, sizeof(d));
	gmem_write(&gm, 0x80000, "hello", 5);
	uint16_t head = 0, idx = 1;
	gmem_write(&gm, RING(0) + 0x1000 + 4, &head, 2);
	gmem_write(&gm, RING(0) + 0x1000 + 2, &idx, 2);
	w32(QUEUE_NOTIFY, 0);
	pump(&loop);
	cr_assert_eq(notified[0], 1);
	uint16_t used_idx;
	uint32_t elem[2];
	char out[6] = { 0 };
	gmem_read(&gm, RING(0) + 0x2000 + 2, &used_idx, 2);
	gmem_read(&gm, RING(0) + 0x2000 + 4, elem, 8);
	gmem_read(&gm, 0x81000, out, 5);
	cr_assert_eq(used_idx, 1);
	cr_assert_eq(elem[0], 0, "id: the head");
	cr_assert_eq(elem[1], 5, "len: bytes written");
	cr_assert_str_eq(out, "hello");
	cr_assert_eq(r32(INTERRUPT_STATUS), 1);
	cr_assert_eq(irq_count(), 1);
}

/* ---- virtio_mmio_drain: the devices' kick handler ---- */

static struct vq_chain drain_chain;
static int drain_pushes;

static uint32_t drain_serve(void *ctx, const struct vq_chain *c)
{
	(void)ctx;
	return c->in_bytes;
}

static void drain_pushed(void *ctx)
{
	drain_pushes++;
	virtio_mmio_notify_used(ctx, 0);
}

/* n one-buffer writable chains on queue 0, heads 0..n-1, then avail->idx =
 * `idx` (n when the driver is honest). */
static void post_chains(uint16_t n, uint16_t idx)
{
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = { 0x80000, 8,
									  VIRTQ_DESC_F_WRITE, 0 };
	for (uint16_t i = 0; i < n; i++) {
		gmem_write(&gm, RING(0) + 16ull * i, &d, sizeof(d));
		gmem_write(&gm, RING(0) + 0x1000 + 4 + 2ull * i, &i, 2);
	}
	gmem_write(&gm, RING(0) + 0x1000 + 2, &idx, 2);
}

static uint16_t used_idx(void)
{
	uint16_t v;
	gmem_read(&gm, RING(0) + 0x2000 + 2, &v, 2);
	return v;
}

Test(mmio, drain_signals_once_for_a_batch)
{
	static const struct vq_drain_ops ops = { drain_serve, NULL };
	bring_up(F_V1);
	irq_count();
	post_chains(3, 3);
	virtio_mmio_drain(&t, 0, &drain_chain, &ops, NULL, "bad");
	cr_assert_eq(used_idx(), 3);
	cr_assert_eq(irq_count(), 1);
	cr_assert_not(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	virtio_mmio_drain(&t, 0, &drain_chain, &ops, NULL, "bad");
	cr_assert_eq(irq_count(), 0, "nothing pushed, nothing signalled");
}

Test(mmio, drain_with_a_pushed_callback_signals_each_chain_and_no_more)
{
	static const struct vq_drain_ops ops = { drain_serve, drain_pushed };
	bring_up(F_V1);
	irq_count();
	post_chains(3, 3);
	virtio_mmio_drain(&t, 0, &drain_chain, &ops, &t, "bad");
	cr_assert_eq(drain_pushes, 3);
	cr_assert_eq(used_idx(), 3);
	cr_assert_eq(irq_count(), 3);
}

/* A malformed ring: the chains before it are pushed and signalled, the
 * device is broken with the reason given, and its driver is told. */
Test(mmio, drain_of_a_malformed_ring_breaks_the_device)
{
	static const struct vq_drain_ops ops = { drain_serve, NULL };
	bring_up(F_V1);
	irq_count();
	post_chains(2, 2);
	uint16_t bad = 16, idx = 3;
	gmem_write(&gm, RING(0) + 0x1000 + 4 + 2 * 2, &bad, 2); /* head out of range */
	gmem_write(&gm, RING(0) + 0x1000 + 2, &idx, 2);
	virtio_mmio_drain(&t, 0, &drain_chain, &ops, NULL, "test: malformed queue");
	cr_assert_eq(used_idx(), 2);
	cr_assert(r32(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_str_eq(t.broken_why, "test: malformed queue");
	cr_assert_eq(r32(INTERRUPT_STATUS), 3, "used buffers and the config change");
	cr_assert_not(virtio_mmio_queue_live(&t, 0));
}

/* ---- attach ---- */

Test(mmio, cmdline_fragment)
{
	char s[64];
	virtio_mmio_cmdline(&t, s, sizeof(s));
	cr_assert_str_eq(s, "virtio_mmio.device=4K@0xd0000000:5");
}

Test(mmio, attach_refuses_bad_queue_configurations_and_taken_windows)
{
	struct err err = { 0 };
	struct virtio_mmio t2;
	struct virtio_dev d2 = dev;
	d2.nqueues = 0;
	cr_assert_eq(virtio_mmio_attach(&t2, &d2, -1, false, &gm, &bus, &loop, BASE + 0x1000, 6,
					&err), -1);
	virtio_mmio_detach(&t2);
	d2.nqueues = VIRTIO_MAX_QUEUES + 1;
	cr_assert_eq(virtio_mmio_attach(&t2, &d2, -1, false, &gm, &bus, &loop, BASE + 0x1000, 6,
					&err), -1);
	virtio_mmio_detach(&t2);
	d2.nqueues = 1;
	d2.queue_max = VQ_MAX_SIZE + 1;
	cr_assert_eq(virtio_mmio_attach(&t2, &d2, -1, false, &gm, &bus, &loop, BASE + 0x1000, 6,
					&err), -1);
	virtio_mmio_detach(&t2);
	d2.queue_max = 16;
	cr_assert_eq(virtio_mmio_attach(&t2, &d2, -1, false, &gm, &bus, &loop, BASE, 6, &err), -1,
		     "the window is taken");
	virtio_mmio_detach(&t2);
	cr_assert_eq(virtio_mmio_attach(&t2, &d2, -1, false, &gm, &bus, &loop, BASE + 0x1000, 6,
					&err), 0, "%s", err.msg);
	virtio_mmio_detach(&t2);
}
