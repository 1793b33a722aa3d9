/* mvmport: the control port contract of proto/mvm_port.h, as mvinit uses it. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "proto/mvm_port.h"
#include "vmm/core/bus.h"
#include "vmm/core/stop.h"
#include "vmm/dev/mvmport.h"

static struct bus pio;
static struct mvmport port;

static void attach(const struct timespec *t0)
{
	memset(&pio, 0, sizeof(pio));
	cr_assert_eq(mvmport_attach(&port, &pio, t0), 0);
}

static void attach_now(void)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	attach(&t0);
}

static void out8(uint16_t p, uint8_t v)
{
	cr_assert(bus_access(&pio, p, &v, 1, true));
}

static void out32(uint16_t p, uint32_t v)
{
	uint8_t d[4];
	memcpy(d, &v, 4);
	cr_assert(bus_access(&pio, p, d, 4, true));
}

static uint32_t in32(uint16_t p)
{
	uint8_t d[4] = { 0xff, 0xff, 0xff, 0xff };
	cr_assert(bus_access(&pio, p, d, 4, false));
	uint32_t v;
	memcpy(&v, d, 4);
	return v;
}

TestSuite(mvmport, .init = attach_now);

Test(mvmport, initial_state)
{
	cr_assert_eq(atomic_load(&port.shutdown), -1, "no notice yet");
	cr_assert_eq(in32(MVM_PORT_MARK), 0, "no milestone yet");
	cr_assert_eq(atomic_load(&port.mark), 0);
	cr_assert_eq(atomic_load(&port.bad_writes), 0);
}

Test(mvmport, claims_its_window)
{
	cr_assert_not_null(bus_find(&pio, MVM_PORT_BASE, MVM_PORT_LEN));
	cr_assert_not_null(bus_find(&pio, MVM_PORT_SHUTDOWN, 4));
	cr_assert_null(bus_find(&pio, MVM_PORT_BASE + MVM_PORT_LEN, 1));
	cr_assert_null(bus_find(&pio, MVM_PORT_BASE - 1, 1));
}

Test(mvmport, mark_then_read_gives_microseconds)
{
	out8(MVM_PORT_MARK, MVM_MARK_INIT);
	uint32_t us = in32(MVM_PORT_MARK);
	cr_assert_neq(us, 0, "a milestone reads as non-zero µs");
	cr_assert_lt(us, 10 * 1000 * 1000, "%u µs since attach is implausible", us);
	cr_assert_eq(atomic_load(&port.mark), MVM_MARK_INIT);
	cr_assert_eq(atomic_load(&port.mark_us), us);
}

static int64_t us_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000LL + (b->tv_nsec - a->tv_nsec) / 1000;
}

Test(mvmport, mark_is_measured_from_t0_in_microseconds)
{
	struct timespec before, t0, after;
	clock_gettime(CLOCK_MONOTONIC, &before);
	/* mvm started 1.5 s ago: both the seconds and the nanoseconds count. */
	t0 = before;
	t0.tv_sec -= 1;
	if (t0.tv_nsec >= 500000000L) {
		t0.tv_nsec -= 500000000L;
	} else {
		t0.tv_sec -= 1;
		t0.tv_nsec += 500000000L;
	}
	attach(&t0);
	out8(MVM_PORT_MARK, 7);
	clock_gettime(CLOCK_MONOTONIC, &after);
	int64_t us = in32(MVM_PORT_MARK);
	int64_t lo = us_between(&t0, &before), hi = us_between(&t0, &after);
	cr_assert(us >= lo - 1 && us <= hi + 1, "%lld µs, want %lld..%lld", (long long)us,
		  (long long)lo, (long long)hi);
	cr_assert_eq(atomic_load(&port.mark), 7);
}

Test(mvmport, mark_is_never_zero_once_set)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t0.tv_sec += 100; /* a t0 in the future must still read as "reached" */
	attach(&t0);
	out8(MVM_PORT_MARK, MVM_MARK_INIT);
	cr_assert_neq(in32(MVM_PORT_MARK), 0);
}

Test(mvmport, mark_zero_is_ignored)
{
	out8(MVM_PORT_MARK, 0);
	cr_assert_eq(in32(MVM_PORT_MARK), 0);
	cr_assert_eq(atomic_load(&port.mark), 0);
}

Test(mvmport, shutdown_notice_records_the_status)
{
	out32(MVM_PORT_SHUTDOWN, 0);
	cr_assert_eq(atomic_load(&port.shutdown), 0);
	out32(MVM_PORT_SHUTDOWN, 3);
	cr_assert_eq(atomic_load(&port.shutdown), 3);
	out32(MVM_PORT_SHUTDOWN, 255);
	cr_assert_eq(atomic_load(&port.shutdown), 255);
	cr_assert_eq(atomic_load(&port.bad_writes), 0);
}

Test(mvmport, shutdown_out_of_range_is_ignored_and_counted)
{
	out32(MVM_PORT_SHUTDOWN, 256);
	cr_assert_eq(atomic_load(&port.shutdown), -1);
	cr_assert_eq(atomic_load(&port.bad_writes), 1);
	out32(MVM_PORT_SHUTDOWN, 42);
	out32(MVM_PORT_SHUTDOWN, 0xffffffff); /* -1 as a signed status */
	cr_assert_eq(atomic_load(&port.shutdown), 42, "a bad notice does not undo a good one");
	cr_assert_eq(atomic_load(&port.bad_writes), 2);
}

Test(mvmport, wrong_widths_are_ignored_and_counted)
{
	out8(MVM_PORT_SHUTDOWN, 0); /* the notice is 4 bytes */
	cr_assert_eq(atomic_load(&port.shutdown), -1);
	out32(MVM_PORT_MARK, 1); /* a milestone is 1 byte */
	cr_assert_eq(atomic_load(&port.mark), 0);
	cr_assert_eq(in32(MVM_PORT_MARK), 0);
	cr_assert_eq(atomic_load(&port.bad_writes), 2);
}

Test(mvmport, each_milestone_keeps_its_first_time)
{
	out8(MVM_PORT_MARK, MVM_MARK_INIT);
	uint32_t init = atomic_load(&port.first_us[MVM_MARK_INIT]);
	cr_assert_neq(init, 0);
	struct timespec d = { 0, 2000000 };
	nanosleep(&d, NULL);
	out8(MVM_PORT_MARK, MVM_MARK_READY);
	out8(MVM_PORT_MARK, MVM_MARK_INIT); /* again: the first time stays */
	cr_assert_eq(atomic_load(&port.first_us[MVM_MARK_INIT]), init);
	cr_assert_geq(atomic_load(&port.first_us[MVM_MARK_READY]), init + 2000);
	cr_assert_eq(atomic_load(&port.first_us[MVM_MARK_SPEC]), 0, "never marked");
	cr_assert_gt(in32(MVM_PORT_MARK), init, "the read gives the latest");
}

Test(mvmport, out_of_range_milestones_only_update_the_latest)
{
	out8(MVM_PORT_MARK, MVM_MARK_COUNT);
	out8(MVM_PORT_MARK, 0xff);
	cr_assert_neq(in32(MVM_PORT_MARK), 0);
	cr_assert_eq(atomic_load(&port.mark), 0xff);
	for (int i = 0; i < MVM_MARK_COUNT; i++)
		cr_assert_eq(atomic_load(&port.first_us[i]), 0);
	cr_assert_eq(atomic_load(&port.bad_writes), 0);
}

/* ---- the save point and the fresh record (snapshots) ---- */

Test(mvmport, save_point_stops_a_saving_vm_only)
{
	struct vm_stop stop;
	vmstop_init(&stop);
	out32(MVM_PORT_SAVE, MVM_SAVE_POINT);
	cr_assert(atomic_load(&port.at_save_point));
	cr_assert_eq(vmstop_reason(&stop), VM_RUNNING, "no save asked: the guest goes on");
	port.save_stop = &stop;
	out32(MVM_PORT_SAVE, 1);
	cr_assert_eq(vmstop_reason(&stop), VM_RUNNING, "a wrong value is no notice");
	cr_assert_eq(atomic_load(&port.bad_writes), 1);
	out32(MVM_PORT_SAVE, MVM_SAVE_POINT);
	cr_assert_eq(vmstop_reason(&stop), VM_STOP_SAVE);
}

static void read_fresh(uint32_t *w)
{
	out32(MVM_PORT_FRESH, 0);
	for (int i = 0; i < MVM_FRESH_WORDS; i++)
		w[i] = in32(MVM_PORT_FRESH);
}

Test(mvmport, fresh_record_has_the_clock_and_this_mvms_entropy)
{
	uint32_t w[MVM_FRESH_WORDS], w2[MVM_FRESH_WORDS];
	struct timespec before, after;
	clock_gettime(CLOCK_REALTIME, &before);
	read_fresh(w);
	clock_gettime(CLOCK_REALTIME, &after);
	cr_assert_eq(w[0], 0, "a guest booted cold");
	int64_t sec = (int64_t)((uint64_t)w[2] << 32 | w[1]);
	cr_assert(sec >= before.tv_sec && sec <= after.tv_sec, "%lld", (long long)sec);
	cr_assert_lt(w[3], 1000000000u);
	cr_assert_eq(memcmp(&w[MVM_FRESH_ENTROPY_WORD], port.entropy, 64), 0);
	cr_assert_eq(in32(MVM_PORT_FRESH), 0, "past the end reads 0");
	/* Another mvm draws other entropy; a restored one says so. */
	uint8_t first[64];
	memcpy(first, port.entropy, 64);
	attach_now();
	port.restored = true;
	read_fresh(w2);
	cr_assert_eq(w2[0], MVM_FRESH_RESTORED);
	cr_assert_neq(memcmp(&w2[MVM_FRESH_ENTROPY_WORD], first, 64), 0,
		      "two mvms gave one entropy");
	read_fresh(w);
	cr_assert_eq(memcmp(&w[MVM_FRESH_ENTROPY_WORD], &w2[MVM_FRESH_ENTROPY_WORD], 64), 0,
		     "a new latch reads from the start again");
}
