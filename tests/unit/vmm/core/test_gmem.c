/* gmem: guest RAM split around the MMIO gap, and gmem_ptr(), the one checked
 * accessor for guest-physical ranges. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/gmem.h"
#include "vmm/x86/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct gmem gm;

static void init_or_die(uint64_t bytes)
{
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, bytes, &err), 0, "gmem_init(%llu): %s",
		     (unsigned long long)bytes, err.msg);
}

static void fini(void)
{
	gmem_fini(&gm);
}

TestSuite(gmem, .fini = fini);

Test(gmem, small_ram_is_one_region_at_zero)
{
	init_or_die(64 * MiB);
	cr_assert_eq(gm.nr, 1);
	cr_assert_eq(gm.size, 64 * MiB);
	cr_assert_eq(gm.r[0].gpa, 0);
	cr_assert_eq(gm.r[0].size, 64 * MiB);
	cr_assert_eq(gm.r[0].hva, gm.base);
	cr_assert_eq(gmem_low_end(&gm), 64 * MiB);
}

Test(gmem, ram_above_3g_resumes_at_4g)
{
	/* MAP_NORESERVE: 5 GiB of address space costs nothing until touched. */
	init_or_die(5 * GiB);
	cr_assert_eq(gm.nr, 2);
	cr_assert_eq(gm.size, 5 * GiB);
	cr_assert_eq(gm.r[0].gpa, 0);
	cr_assert_eq(gm.r[0].size, LAYOUT_GAP_START);
	cr_assert_eq(gm.r[1].gpa, LAYOUT_GAP_END);
	cr_assert_eq(gm.r[1].size, 5 * GiB - LAYOUT_GAP_START);
	cr_assert_eq(gm.r[1].hva, gm.base + LAYOUT_GAP_START);
	cr_assert_eq(gmem_low_end(&gm), LAYOUT_GAP_START);
}

Test(gmem, exactly_3g_needs_no_high_region)
{
	init_or_die(LAYOUT_GAP_START);
	cr_assert_eq(gm.nr, 1);
	cr_assert_eq(gmem_low_end(&gm), LAYOUT_GAP_START);
	cr_assert_null(gmem_ptr(&gm, LAYOUT_GAP_END, 1));
}

Test(gmem, rejects_zero_and_unaligned_sizes)
{
	uint64_t bad[] = { 0, 1, 4095, 4097, 64 * MiB + 512 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = { 0 };
		cr_assert_eq(gmem_init(&gm, bad[i], &err), -1, "size %llu accepted",
			     (unsigned long long)bad[i]);
		cr_assert_eq(err.status, MVM_EXIT_BADARG);
		cr_assert(strstr(err.msg, "4 KiB"), "message: %s", err.msg);
		cr_assert_null(gm.base);
	}
}

Test(gmem, ptr_bounds_of_one_region)
{
	init_or_die(64 * MiB);
	uint64_t end = 64 * MiB;
	cr_assert_eq(gmem_ptr(&gm, 0, 1), gm.base);
	cr_assert_eq(gmem_ptr(&gm, 0, end), gm.base, "the whole of RAM is one valid range");
	cr_assert_null(gmem_ptr(&gm, 0, end + 1));
	cr_assert_eq(gmem_ptr(&gm, end - 1, 1), gm.base + end - 1, "last byte");
	cr_assert_null(gmem_ptr(&gm, end - 1, 2), "last byte plus one");
	cr_assert_null(gmem_ptr(&gm, end, 1), "one past the end");
	cr_assert_eq(gmem_ptr(&gm, end - 8, 8), gm.base + end - 8);
	cr_assert_null(gmem_ptr(&gm, end - 8, 9));
}

Test(gmem, ptr_len_zero)
{
	init_or_die(64 * MiB);
	cr_assert_eq(gmem_ptr(&gm, 0, 0), gm.base);
	cr_assert_eq(gmem_ptr(&gm, 12345, 0), gm.base + 12345);
	cr_assert_eq(gmem_ptr(&gm, 64 * MiB - 1, 0), gm.base + 64 * MiB - 1);
	/* Not inside any region: nothing to point at. */
	cr_assert_null(gmem_ptr(&gm, 64 * MiB, 0));
	cr_assert_null(gmem_ptr(&gm, 2 * GiB, 0));
	cr_assert_null(gmem_ptr(&gm, UINT64_MAX, 0));
}

Test(gmem, ptr_rejects_wrapping_ranges)
{
	init_or_die(5 * GiB);
	cr_assert_null(gmem_ptr(&gm, UINT64_MAX, 1));
	cr_assert_null(gmem_ptr(&gm, 1, UINT64_MAX));
	cr_assert_null(gmem_ptr(&gm, 0, UINT64_MAX));
	/* gpa + len wraps to exactly 0 and to small addresses inside RAM. */
	cr_assert_null(gmem_ptr(&gm, 0x1000, UINT64_MAX - 0xfff));
	cr_assert_null(gmem_ptr(&gm, 0x1000, UINT64_MAX));
	cr_assert_null(gmem_ptr(&gm, LAYOUT_GAP_END + 16, UINT64_MAX - LAYOUT_GAP_END));
	cr_assert_null(gmem_ptr(&gm, UINT64_MAX - 15, 32));
}

Test(gmem, ptr_rejects_ranges_straddling_the_gap)
{
	init_or_die(5 * GiB);
	uint64_t lo_end = LAYOUT_GAP_START, hi = LAYOUT_GAP_END, hi_end = hi + 2 * GiB;
	cr_assert_eq(gmem_ptr(&gm, lo_end - 8, 8), gm.base + lo_end - 8);
	cr_assert_null(gmem_ptr(&gm, lo_end - 8, 16), "runs from RAM into the gap");
	cr_assert_null(gmem_ptr(&gm, lo_end - 8, hi - lo_end + 16), "spans the whole gap");
	cr_assert_null(gmem_ptr(&gm, lo_end, 1), "first byte of the gap");
	cr_assert_null(gmem_ptr(&gm, 0xd0000000, 4), "MMIO in the gap");
	cr_assert_null(gmem_ptr(&gm, hi - 1, 1), "last byte of the gap");
	cr_assert_null(gmem_ptr(&gm, hi - 8, 16), "runs from the gap into high RAM");
	cr_assert_eq(gmem_ptr(&gm, hi, 8), gm.base + lo_end, "high RAM follows low RAM in the mapping");
	cr_assert_eq(gmem_ptr(&gm, hi_end - 1, 1), gm.base + 5 * GiB - 1, "last byte of RAM");
	cr_assert_null(gmem_ptr(&gm, hi_end, 1), "one past the end of high RAM");
	cr_assert_null(gmem_ptr(&gm, hi_end - 4, 8));
}

Test(gmem, write_read_round_trip)
{
	init_or_die(64 * MiB);
	uint8_t src[300], dst[300];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	cr_assert_eq(gmem_write(&gm, 0x12345, src, sizeof(src)), 0);
	cr_assert_eq(memcmp(gm.base + 0x12345, src, sizeof(src)), 0, "bytes land at gpa");
	memset(dst, 0, sizeof(dst));
	cr_assert_eq(gmem_read(&gm, 0x12345, dst, sizeof(dst)), 0);
	cr_assert_eq(memcmp(src, dst, sizeof(dst)), 0);
	/* At the very end of RAM. */
	cr_assert_eq(gmem_write(&gm, 64 * MiB - sizeof(src), src, sizeof(src)), 0);
	cr_assert_eq(gmem_read(&gm, 64 * MiB - sizeof(src), dst, sizeof(dst)), 0);
	cr_assert_eq(memcmp(src, dst, sizeof(dst)), 0);
}

Test(gmem, write_read_in_high_ram)
{
	init_or_die(5 * GiB);
	uint64_t v = 0x1122334455667788ULL, lo = 0xaaaaaaaaaaaaaaaaULL, r = 0;
	cr_assert_eq(gmem_write(&gm, LAYOUT_GAP_START - 8, &lo, 8), 0);
	cr_assert_eq(gmem_write(&gm, LAYOUT_GAP_END, &v, 8), 0);
	cr_assert_eq(gmem_read(&gm, LAYOUT_GAP_END, &r, 8), 0);
	cr_assert_eq(r, v);
	cr_assert_eq(gmem_read(&gm, LAYOUT_GAP_START - 8, &r, 8), 0);
	cr_assert_eq(r, lo, "4 GiB does not alias the end of low RAM");
}

Test(gmem, failed_copies_touch_nothing)
{
	init_or_die(64 * MiB);
	uint8_t src[16], dst[16];
	memset(src, 0x5a, sizeof(src));
	memset(dst, 0x11, sizeof(dst));
	uint64_t at = 64 * MiB - 8;
	cr_assert_eq(gmem_write(&gm, at, src, sizeof(src)), -1);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(gm.base[at + i], 0, "partial write at byte %d", i);
	cr_assert_eq(gmem_read(&gm, at, dst, sizeof(dst)), -1);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(dst[i], 0x11, "partial read into byte %d", i);
	cr_assert_eq(gmem_write(&gm, UINT64_MAX - 3, src, 8), -1);
	cr_assert_eq(gmem_read(&gm, 1, dst, UINT64_MAX), -1);
}

Test(gmem, fini_is_idempotent)
{
	struct gmem z;
	memset(&z, 0, sizeof(z));
	gmem_fini(&z); /* zeroed: safe */
	init_or_die(1 * MiB);
	gmem_fini(&gm);
	cr_assert_null(gm.base);
	cr_assert_eq(gm.nr, 0);
	cr_assert_null(gmem_ptr(&gm, 0, 1), "no RAM after fini");
	gmem_fini(&gm);
}

/* A restored VM's RAM is a snapshot's memory file opened read-only: the
 * guest sees the file's bytes and its own writes, the file never changes
 * (it is a template other VMs map), and a file of another size is refused. */
Test(gmem, a_memory_file_is_mapped_copy_on_write)
{
	char path[] = "/tmp/gmem-file-XXXXXX";
	int w = mkstemp(path);
	cr_assert_geq(w, 0);
	uint8_t page[4096];
	memset(page, 0xab, sizeof(page));
	cr_assert_eq(write(w, page, sizeof(page)), (ssize_t)sizeof(page));
	cr_assert_eq(ftruncate(w, 2 * 4096), 0);
	close(w);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	struct err err = { 0 };
	cr_assert_eq(gmem_map_file(&gm, fd, 4 * 4096, &err), -1, "a file of another size");
	cr_assert_eq(gmem_map_file(&gm, fd, 2 * 4096, &err), 0, "%s", err.msg);
	uint8_t b = 0;
	cr_assert_eq(gmem_read(&gm, 10, &b, 1), 0);
	cr_assert_eq(b, 0xab);
	const uint8_t z = 0x11;
	cr_assert_eq(gmem_write(&gm, 10, &z, 1), 0);
	cr_assert_eq(gmem_write(&gm, 5000, &z, 1), 0);
	cr_assert_eq(gmem_read(&gm, 10, &b, 1), 0);
	cr_assert_eq(b, 0x11, "the guest sees its own write");
	gmem_fini(&gm);
	uint8_t back[2 * 4096];
	cr_assert_eq(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	cr_assert_eq(back[10], 0xab, "the guest's write reached the file");
	cr_assert_eq(back[5000], 0, "the guest's write reached the file");
	close(fd);
	unlink(path);
}
