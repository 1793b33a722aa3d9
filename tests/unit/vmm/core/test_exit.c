/* exit: exit_handle() fed fabricated kvm_run records. The run area is a heap
 * buffer shaped like KVM's mapping (3 pages on x86: the kvm_run struct, the
 * PIO data page at KVM_PIO_PAGE_OFFSET, the coalesced MMIO ring) followed by a
 * guard page that no exit may touch. */
#include <criterion/criterion.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/recdev.h"
#include "vmm/core/exit.h"

#define PAGE 4096
#define RUN_SIZE (3 * PAGE)
#define GUARD PAGE
#define PIO_OFF PAGE /* where KVM puts PIO data: KVM_PIO_PAGE_OFFSET * PAGE_SIZE */
#define DEV_PORT 0x500
#define DEV_MMIO 0xd0000000ULL

static uint8_t *area;
static struct kvm_run *run;
static struct bus pio, mmio;
static struct exit_stats stats;
static struct exit_ctx ctx;
static struct recdev pdev, mdev;
static char desc[256];

static void setup(void)
{
	area = aligned_alloc(PAGE, RUN_SIZE + GUARD);
	cr_assert_not_null(area);
	memset(area, 0xa5, RUN_SIZE + GUARD);
	memset(area, 0, sizeof(struct kvm_run));
	run = (struct kvm_run *)area;
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	memset(&stats, 0, sizeof(stats));
	memset(&pdev, 0, sizeof(pdev));
	memset(&mdev, 0, sizeof(mdev));
	cr_assert_eq(bus_register(&pio, DEV_PORT, 8, recdev_io, &pdev, "pdev"), 0);
	cr_assert_eq(bus_register(&mmio, DEV_MMIO, 0x1000, recdev_io, &mdev, "mdev"), 0);
	ctx = (struct exit_ctx){ &pio, &mmio, &stats, -1 };
	memset(desc, 0, sizeof(desc));
}

static void teardown(void)
{
	free(area);
}

TestSuite(exit, .init = setup, .fini = teardown);

static void assert_guard_intact(void)
{
	for (size_t i = RUN_SIZE; i < RUN_SIZE + GUARD; i++)
		cr_assert_eq(area[i], 0xa5, "guard byte %zu past run_size written", i - RUN_SIZE);
}

static void pio_exit(uint8_t dir, uint16_t port, uint8_t size, uint32_t count, uint64_t off)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = off;
}

static enum exit_result handle(void)
{
	return exit_handle(run, RUN_SIZE, &ctx, desc, sizeof(desc));
}

static uint64_t total_pio(void)
{
	return stats.pio + stats.unmapped_pio_read + stats.unmapped_pio_write;
}

Test(exit, pio_out_reaches_the_device)
{
	pio_exit(KVM_EXIT_IO_OUT, DEV_PORT, 1, 1, PIO_OFF);
	area[PIO_OFF] = 0x42;
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(pdev.n, 1);
	cr_assert_eq(pdev.a[0].offset, 0);
	cr_assert_eq(pdev.a[0].len, 1);
	cr_assert(pdev.a[0].is_write);
	cr_assert_eq(pdev.a[0].data[0], 0x42);
	cr_assert_eq(stats.pio, 1);
	cr_assert_eq(stats.unmapped_pio_write, 0);
}

Test(exit, pio_out_word_at_an_offset)
{
	pio_exit(KVM_EXIT_IO_OUT, DEV_PORT + 4, 2, 1, PIO_OFF);
	area[PIO_OFF] = 0x34;
	area[PIO_OFF + 1] = 0x12;
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(pdev.n, 1);
	cr_assert_eq(pdev.a[0].offset, 4);
	cr_assert_eq(pdev.a[0].len, 2);
	cr_assert_eq(recdev_value(&pdev, 0), 0x1234);
}

Test(exit, pio_in_returns_the_device_value)
{
	pdev.read_value = 0xdeadbeef;
	pio_exit(KVM_EXIT_IO_IN, DEV_PORT + 4, 4, 1, PIO_OFF);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	uint32_t v;
	memcpy(&v, area + PIO_OFF, 4);
	cr_assert_eq(v, 0xdeadbeef);
	cr_assert_eq(pdev.n, 1);
	cr_assert_not(pdev.a[0].is_write);
	cr_assert_eq(pdev.a[0].offset, 4);
	cr_assert_eq(pdev.a[0].len, 4);
	cr_assert_eq(stats.pio, 1);
	cr_assert_eq(area[PIO_OFF + 4], 0xa5, "byte after the data untouched");
}

Test(exit, string_out_count_3)
{
	/* rep outsw: three words, each a separate device access. */
	pio_exit(KVM_EXIT_IO_OUT, DEV_PORT, 2, 3, PIO_OFF);
	uint16_t words[3] = { 0x1111, 0x2222, 0x3333 };
	memcpy(area + PIO_OFF, words, sizeof(words));
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(pdev.n, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pdev.a[i].len, 2);
		cr_assert_eq(pdev.a[i].offset, 0, "every element goes to the same port");
		cr_assert_eq(recdev_value(&pdev, i), words[i], "element %d", i);
	}
	cr_assert_eq(stats.pio, 3);
}

Test(exit, string_in_count_4)
{
	pdev.read_value = 1;
	pdev.read_increments = true;
	pio_exit(KVM_EXIT_IO_IN, DEV_PORT + 1, 1, 4, PIO_OFF);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(pdev.n, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(area[PIO_OFF + i], i + 1, "element %d", i);
	cr_assert_eq(area[PIO_OFF + 4], 0xa5);
	cr_assert_eq(stats.pio, 4);
}

Test(exit, string_io_ending_exactly_at_run_size)
{
	pio_exit(KVM_EXIT_IO_OUT, DEV_PORT, 4, 4, RUN_SIZE - 16);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(pdev.n, 4);
	pio_exit(KVM_EXIT_IO_IN, DEV_PORT, 1, 1, RUN_SIZE - 1);
	cr_assert_eq(handle(), EXIT_CONTINUE, "%s", desc);
	assert_guard_intact();
}

Test(exit, malformed_pio_exits_touch_nothing)
{
	struct { uint8_t size; uint32_t count; uint64_t off; } bad[] = {
		{ 1, 1, RUN_SIZE },           /* starts at run_size */
		{ 2, 1, RUN_SIZE - 1 },       /* last byte spills over */
		{ 4, 2, RUN_SIZE - 4 },       /* second element spills over */
		{ 1, 2, RUN_SIZE + PAGE },    /* far outside */
		{ 4, 0x40000001, PIO_OFF },   /* size*count past the end */
		{ 4, 0xffffffff, PIO_OFF },   /* size*count would wrap in 32 bits */
		{ 1, 1, UINT64_MAX },         /* offset + len wraps */
		{ 1, 1, UINT64_MAX - 3 },
		{ 4, 1, (uint64_t)-RUN_SIZE },
		{ 1, 0, PIO_OFF },            /* count 0 */
		{ 0, 1, PIO_OFF },            /* size 0 */
		{ 3, 1, PIO_OFF },            /* size 3 */
		{ 8, 1, PIO_OFF },            /* PIO is at most 4 bytes */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int dir = 0; dir < 2; dir++) {
			pio_exit(dir ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN, DEV_PORT, bad[i].size,
				 bad[i].count, bad[i].off);
			desc[0] = 0;
			cr_assert_eq(handle(), EXIT_KVM_ERROR, "case %zu dir %d accepted", i, dir);
			cr_assert(strstr(desc, "PIO"), "case %zu: desc \"%s\"", i, desc);
			cr_assert(strstr(desc, "0x500"), "desc should name the port: %s", desc);
		}
	}
	cr_assert_eq(pdev.n, 0, "the device saw a malformed exit");
	cr_assert_eq(total_pio(), 0, "malformed exits are not counted as accesses");
	assert_guard_intact();
	for (size_t i = sizeof(struct kvm_run); i < RUN_SIZE; i++)
		cr_assert_eq(area[i], 0xa5, "byte %zu of the run area written", i);
}

Test(exit, unmapped_pio_read_is_all_ones_and_counted)
{
	pio_exit(KVM_EXIT_IO_IN, 0x700, 2, 1, PIO_OFF);
	area[PIO_OFF] = 0;
	area[PIO_OFF + 1] = 0;
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(area[PIO_OFF], 0xff);
	cr_assert_eq(area[PIO_OFF + 1], 0xff);
	cr_assert_eq(stats.unmapped_pio_read, 1);
	cr_assert_eq(stats.pio, 0);
	/* String form: each element counted. */
	memset(area + PIO_OFF, 0, 3);
	pio_exit(KVM_EXIT_IO_IN, 0x700, 1, 3, PIO_OFF);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(area[PIO_OFF + i], 0xff);
	cr_assert_eq(stats.unmapped_pio_read, 4);
}

Test(exit, pio_read_straddling_a_device_end_is_unmapped)
{
	pdev.read_value = 0x12345678;
	pio_exit(KVM_EXIT_IO_IN, DEV_PORT + 6, 4, 1, PIO_OFF);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	uint32_t v;
	memcpy(&v, area + PIO_OFF, 4);
	cr_assert_eq(v, 0xffffffffu);
	cr_assert_eq(pdev.n, 0);
	cr_assert_eq(stats.unmapped_pio_read, 1);
}

Test(exit, unmapped_pio_write_is_dropped_and_counted)
{
	pio_exit(KVM_EXIT_IO_OUT, 0x80, 1, 1, PIO_OFF);
	area[PIO_OFF] = 0x12;
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(stats.unmapped_pio_write, 1);
	cr_assert_eq(stats.unmapped_pio_read, 0);
	cr_assert_eq(stats.pio, 0);
	cr_assert_eq(pdev.n, 0);
}

static void mmio_exit(uint64_t addr, uint32_t len, bool is_write)
{
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = len;
	run->mmio.is_write = is_write;
}

Test(exit, mmio_write_reaches_the_device)
{
	mmio_exit(DEV_MMIO + 0x10, 4, true);
	uint32_t v = 0xcafef00d;
	memcpy(run->mmio.data, &v, 4);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(mdev.n, 1);
	cr_assert_eq(mdev.a[0].offset, 0x10);
	cr_assert_eq(mdev.a[0].len, 4);
	cr_assert(mdev.a[0].is_write);
	cr_assert_eq(recdev_value(&mdev, 0), 0xcafef00d);
	cr_assert_eq(stats.mmio, 1);
}

Test(exit, mmio_read_returns_the_device_value)
{
	mdev.read_value = 0x1122334455667788ULL;
	mmio_exit(DEV_MMIO + 0xff8, 8, false);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	uint64_t v;
	memcpy(&v, run->mmio.data, 8);
	cr_assert_eq(v, 0x1122334455667788ULL);
	cr_assert_eq(mdev.a[0].offset, 0xff8);
	cr_assert_eq(stats.mmio, 1);
	/* A 2-byte read: the rest of data is zero, not left over. */
	mdev.read_value = 0xbeef;
	mmio_exit(DEV_MMIO, 2, false);
	cr_assert_eq(handle(), EXIT_CONTINUE);
	memcpy(&v, run->mmio.data, 8);
	cr_assert_eq(v, 0xbeef);
}

Test(exit, unmapped_mmio_read_is_zero_and_counted)
{
	mmio_exit(0xfed00000, 4, false); /* HPET: Linux probes it */
	memset(run->mmio.data, 0xaa, sizeof(run->mmio.data));
	cr_assert_eq(handle(), EXIT_CONTINUE);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(run->mmio.data[i], 0, "byte %d", i);
	cr_assert_eq(stats.unmapped_mmio_read, 1);
	cr_assert_eq(stats.mmio, 0);
	cr_assert_eq(mdev.n, 0);
}

Test(exit, unmapped_mmio_write_is_dropped_and_counted)
{
	mmio_exit(DEV_MMIO + 0x1000, 4, true); /* one past the device */
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(stats.unmapped_mmio_write, 1);
	cr_assert_eq(mdev.n, 0);
	mmio_exit(DEV_MMIO + 0xffe, 4, true); /* straddles the end */
	cr_assert_eq(handle(), EXIT_CONTINUE);
	cr_assert_eq(stats.unmapped_mmio_write, 2);
	cr_assert_eq(mdev.n, 0);
}

Test(exit, mmio_with_a_bad_length_is_not_dispatched)
{
	uint32_t lens[] = { 0, 9, 16, 0xffffffff };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		mmio_exit(DEV_MMIO, lens[i], false);
		cr_assert_eq(handle(), EXIT_CONTINUE);
		mmio_exit(DEV_MMIO, lens[i], true);
		cr_assert_eq(handle(), EXIT_CONTINUE);
	}
	cr_assert_eq(mdev.n, 0);
	cr_assert_eq(stats.unmapped_mmio_read, 4);
	cr_assert_eq(stats.unmapped_mmio_write, 4);
	assert_guard_intact();
}

Test(exit, hlt_shutdown_intr)
{
	run->exit_reason = KVM_EXIT_HLT;
	cr_assert_eq(handle(), EXIT_HALT);
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	cr_assert_eq(handle(), EXIT_TRIPLE);
	run->exit_reason = KVM_EXIT_INTR; /* a kick: just run again */
	cr_assert_eq(handle(), EXIT_CONTINUE);
}

Test(exit, internal_error_emulation)
{
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 2;
	run->internal.data[0] = 0x11;
	run->internal.data[1] = 0x2233;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert(strstr(desc, "emulation"), "%s", desc);
	cr_assert(strstr(desc, "0x11"), "%s", desc);
	cr_assert(strstr(desc, "0x2233"), "%s", desc);
}

Test(exit, internal_error_other_suberrors)
{
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert(strstr(desc, "event delivery"), "%s", desc);
	run->internal.suberror = 99;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert(strstr(desc, "99"), "%s", desc);
}

Test(exit, internal_error_huge_ndata_and_small_desc)
{
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 0xffffffff; /* more than data[] holds */
	for (int i = 0; i < 16; i++)
		run->internal.data[i] = 0x1111111111111111ULL * (unsigned)(i % 15 + 1);
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert_lt(strlen(desc), sizeof(desc));
	char small[48];
	memset(small, 0x7e, sizeof(small));
	cr_assert_eq(exit_handle(run, RUN_SIZE, &ctx, small, 20), EXIT_KVM_ERROR);
	cr_assert_eq(strnlen(small, 20), 19, "truncated and terminated");
	for (size_t i = 20; i < sizeof(small); i++)
		cr_assert_eq(small[i], 0x7e, "desc byte %zu past cap written", i);
}

Test(exit, fail_entry)
{
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x80000021;
	run->fail_entry.cpu = 3;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert(strstr(desc, "entry"), "%s", desc);
	cr_assert(strstr(desc, "0x80000021"), "%s", desc);
}

Test(exit, system_event_is_an_error)
{
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert_neq(desc[0], 0);
}

Test(exit, unknown_exit_reason)
{
	run->exit_reason = 12345;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert(strstr(desc, "12345"), "%s", desc);
	run->exit_reason = KVM_EXIT_DEBUG;
	cr_assert_eq(handle(), EXIT_KVM_ERROR);
	cr_assert_eq(total_pio() + stats.mmio, 0);
}

/* A guest hammering a hole: 40 unmapped writes give the first EXIT_LOG_FIRST
 * lines one by one, then one at 8, 16 and 32 accesses; all are counted. */
Test(exit, unmapped_accesses_are_logged_rate_limited)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	ctx.log_fd = p[1];
	for (int i = 0; i < 40; i++) {
		pio_exit(KVM_EXIT_IO_OUT, 0x80, 1, 1, PIO_OFF);
		cr_assert_eq(handle(), EXIT_CONTINUE);
	}
	close(p[1]);
	char buf[4096];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	cr_assert_gt(n, 0);
	buf[n] = 0;
	int lines = 0;
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, EXIT_LOG_FIRST + 3, "%s", buf);
	cr_assert(strstr(buf, "mvm: guest: unmapped PIO write 0x80, 1 bytes\n"), "%s", buf);
	cr_assert(strstr(buf, "mvm: guest: 32 unmapped PIO writes so far (last 0x80)\n"), "%s", buf);
	cr_assert_eq(stats.unmapped_pio_write, 40);
}
