/* bus: registration rules and lookups, as the exit handler and devices
 * rely on them. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/recdev.h"
#include "vmm/core/bus.h"

static struct bus b;
static struct recdev d1, d2, d3;

static void setup(void)
{
	memset(&b, 0, sizeof(b));
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	memset(&d3, 0, sizeof(d3));
}

TestSuite(bus, .init = setup);

Test(bus, register_and_find)
{
	cr_assert_eq(bus_register(&b, 0x100, 8, recdev_io, &d1, "d1"), 0);
	const struct bus_dev *d = bus_find(&b, 0x100, 1);
	cr_assert_not_null(d);
	cr_assert_eq(d->opaque, &d1);
	cr_assert_eq(d->base, 0x100);
	cr_assert_eq(d->len, 8);
	cr_assert_str_eq(d->name, "d1");
	cr_assert_eq(bus_find(&b, 0x107, 1), d, "last byte");
	cr_assert_eq(bus_find(&b, 0x104, 4), d, "last dword");
	cr_assert_eq(bus_find(&b, 0x100, 8), d, "the whole range");
	cr_assert_null(bus_find(&b, 0x108, 1), "one past the end");
	cr_assert_null(bus_find(&b, 0xff, 1), "one before the start");
	cr_assert_null(bus_find(&b, 0, 1));
	cr_assert_null(bus_find(&b, UINT64_MAX, 1));
}

Test(bus, accesses_straddling_a_range_end_are_rejected)
{
	cr_assert_eq(bus_register(&b, 0x100, 8, recdev_io, &d1, "d1"), 0);
	cr_assert_null(bus_find(&b, 0x107, 2));
	cr_assert_null(bus_find(&b, 0x105, 4));
	cr_assert_null(bus_find(&b, 0x101, 8));
	cr_assert_null(bus_find(&b, 0xff, 2), "starts before the range");
	uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cr_assert_not(bus_access(&b, 0x105, data, 4, true));
	cr_assert_eq(d1.n, 0, "device must not see a straddling access");
}

Test(bus, straddling_two_adjacent_devices)
{
	cr_assert_eq(bus_register(&b, 0x100, 8, recdev_io, &d1, "d1"), 0);
	cr_assert_eq(bus_register(&b, 0x108, 8, recdev_io, &d2, "d2"), 0);
	uint8_t data[4] = { 0 };
	cr_assert_not(bus_access(&b, 0x106, data, 4, false));
	cr_assert_eq(d1.n + d2.n, 0);
}

Test(bus, rejects_bad_ranges)
{
	cr_assert_eq(bus_register(&b, 0x100, 0, recdev_io, &d1, "empty"), -1);
	cr_assert_eq(bus_register(&b, UINT64_MAX, 2, recdev_io, &d1, "wraps"), -1);
	cr_assert_eq(bus_register(&b, UINT64_MAX - 7, 16, recdev_io, &d1, "wraps"), -1);
	cr_assert_eq(bus_register(&b, 0x100, 8, NULL, &d1, "no handler"), -1);
	cr_assert_eq(b.nr, 0);
}

Test(bus, rejects_overlaps)
{
	cr_assert_eq(bus_register(&b, 0x100, 0x10, recdev_io, &d1, "d1"), 0);
	struct { uint64_t base, len; } bad[] = {
		{ 0x100, 0x10 }, /* identical */
		{ 0x100, 1 },    /* same base */
		{ 0x108, 0x10 }, /* starts inside */
		{ 0x10f, 1 },    /* last byte */
		{ 0xf8, 0x9 },   /* ends inside (first byte) */
		{ 0xf0, 0x100 }, /* encloses */
		{ 0x104, 4 },    /* enclosed */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bus_register(&b, bad[i].base, bad[i].len, recdev_io, &d2, "x"), -1,
			     "[0x%llx, +0x%llx) overlaps", (unsigned long long)bad[i].base,
			     (unsigned long long)bad[i].len);
	cr_assert_eq(b.nr, 1);
	cr_assert_eq(bus_find(&b, 0x104, 1)->opaque, &d1, "the first device keeps its range");
}

Test(bus, rejects_overlap_with_a_later_neighbour)
{
	cr_assert_eq(bus_register(&b, 0x200, 0x10, recdev_io, &d1, "d1"), 0);
	cr_assert_eq(bus_register(&b, 0x100, 0x10, recdev_io, &d2, "d2"), 0);
	cr_assert_eq(bus_register(&b, 0x1f0, 0x11, recdev_io, &d3, "d3"), -1);
	cr_assert_eq(bus_register(&b, 0x10f, 0x2, recdev_io, &d3, "d3"), -1);
	cr_assert_eq(b.nr, 2);
}

Test(bus, adjacent_ranges)
{
	cr_assert_eq(bus_register(&b, 0x100, 8, recdev_io, &d1, "d1"), 0);
	cr_assert_eq(bus_register(&b, 0x108, 8, recdev_io, &d2, "d2"), 0, "right after");
	cr_assert_eq(bus_register(&b, 0xf8, 8, recdev_io, &d3, "d3"), 0, "right before");
	cr_assert_eq(bus_find(&b, 0xff, 1)->opaque, &d3);
	cr_assert_eq(bus_find(&b, 0x100, 1)->opaque, &d1);
	cr_assert_eq(bus_find(&b, 0x107, 1)->opaque, &d1);
	cr_assert_eq(bus_find(&b, 0x108, 1)->opaque, &d2);
	cr_assert_eq(bus_find(&b, 0x10f, 1)->opaque, &d2);
	cr_assert_null(bus_find(&b, 0x110, 1));
}

Test(bus, full_bus)
{
	for (int i = 0; i < BUS_MAX_DEVS; i++)
		cr_assert_eq(bus_register(&b, 0x1000 + (uint64_t)i * 0x10, 4, recdev_io, &d1, "x"), 0,
			     "device %d", i);
	cr_assert_eq(b.nr, BUS_MAX_DEVS);
	cr_assert_eq(bus_register(&b, 0x9000, 4, recdev_io, &d2, "one too many"), -1);
	cr_assert_eq(bus_register(&b, 0, 4, recdev_io, &d2, "one too many, first"), -1);
	cr_assert_eq(b.nr, BUS_MAX_DEVS);
	cr_assert_null(bus_find(&b, 0x9000, 1));
}

Test(bus, binary_search_over_many_entries)
{
	/* Register in a scrambled order; ranges of 8 with gaps of 8 between. */
	static struct recdev devs[BUS_MAX_DEVS];
	memset(devs, 0, sizeof(devs));
	for (int k = 0; k < BUS_MAX_DEVS; k++) {
		int i = (k * 13 + 5) % BUS_MAX_DEVS; /* 13 is coprime with 32 */
		cr_assert_eq(bus_register(&b, 0x4000 + (uint64_t)i * 16, 8, recdev_io, &devs[i], "x"), 0);
	}
	for (int i = 0; i + 1 < b.nr; i++)
		cr_assert_lt(b.devs[i].base, b.devs[i + 1].base, "kept sorted");
	for (int i = 0; i < BUS_MAX_DEVS; i++) {
		uint64_t base = 0x4000 + (uint64_t)i * 16;
		for (uint64_t off = 0; off < 8; off++) {
			const struct bus_dev *d = bus_find(&b, base + off, 1);
			cr_assert_not_null(d, "0x%llx", (unsigned long long)(base + off));
			cr_assert_eq(d->opaque, &devs[i]);
		}
		for (uint64_t off = 8; off < 16; off++)
			cr_assert_null(bus_find(&b, base + off, 1), "gap at 0x%llx",
				       (unsigned long long)(base + off));
	}
	cr_assert_null(bus_find(&b, 0x3fff, 1));
	cr_assert_null(bus_find(&b, 0x4000 + BUS_MAX_DEVS * 16, 1));
}

Test(bus, access_dispatches_offset_len_and_direction)
{
	cr_assert_eq(bus_register(&b, 0xd0000000, 0x1000, recdev_io, &d1, "mmio"), 0);
	uint8_t w[4] = { 0x78, 0x56, 0x34, 0x12 };
	cr_assert(bus_access(&b, 0xd0000010, w, 4, true));
	cr_assert_eq(d1.n, 1);
	cr_assert_eq(d1.a[0].offset, 0x10);
	cr_assert_eq(d1.a[0].len, 4);
	cr_assert(d1.a[0].is_write);
	cr_assert_eq(recdev_value(&d1, 0), 0x12345678);
	d1.read_value = 0xaabb;
	uint8_t r[2] = { 0 };
	cr_assert(bus_access(&b, 0xd0000ffe, r, 2, false));
	cr_assert_eq(d1.a[1].offset, 0xffe);
	cr_assert_not(d1.a[1].is_write);
	cr_assert_eq(r[0], 0xbb);
	cr_assert_eq(r[1], 0xaa);
}

Test(bus, unclaimed_access_leaves_data_alone)
{
	cr_assert_eq(bus_register(&b, 0x100, 8, recdev_io, &d1, "d1"), 0);
	uint8_t data[4] = { 0xff, 0xff, 0xff, 0xff };
	cr_assert_not(bus_access(&b, 0x200, data, 4, false));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(data[i], 0xff);
	cr_assert_eq(d1.n, 0);
}

Test(bus, empty_bus)
{
	cr_assert_null(bus_find(&b, 0, 1));
	uint8_t data = 0;
	cr_assert_not(bus_access(&b, 0x3f8, &data, 1, true));
}
