/* boot: the e820 map, the 64-bit boot protocol zero page and the PVH
 * start_info, checked against the kernel's own struct boot_params and the
 * byte offsets of Documentation/arch/x86/boot.rst and zero-page.rst. */
#include <asm/bootparam.h>
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86/boot.h"
#include "vmm/x86/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct gmem gm;

static void init_or_die(uint64_t bytes)
{
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, bytes, &err), 0, "gmem_init: %s", err.msg);
}

static void fini(void)
{
	gmem_fini(&gm);
}

TestSuite(boot, .fini = fini);

static void assert_ent(const struct e820_ent *e, uint64_t addr, uint64_t size, uint32_t type)
{
	cr_assert_eq(e->addr, addr, "addr 0x%llx, want 0x%llx", (unsigned long long)e->addr,
		     (unsigned long long)addr);
	cr_assert_eq(e->size, size, "size 0x%llx, want 0x%llx", (unsigned long long)e->size,
		     (unsigned long long)size);
	cr_assert_eq(e->type, type);
}

Test(boot, e820_small_ram)
{
	init_or_die(64 * MiB);
	struct e820_ent e[8];
	cr_assert_eq(boot_e820(&gm, e, 8), 2);
	/* Low RAM stops at the EBDA (MP table); the ISA hole is not RAM. */
	assert_ent(&e[0], 0, LAYOUT_EBDA, E820_TYPE_RAM);
	assert_ent(&e[1], LAYOUT_HIMEM, 63 * MiB, E820_TYPE_RAM);
}

Test(boot, e820_ram_above_the_gap)
{
	init_or_die(5 * GiB);
	struct e820_ent e[8];
	cr_assert_eq(boot_e820(&gm, e, 8), 3);
	assert_ent(&e[0], 0, LAYOUT_EBDA, E820_TYPE_RAM);
	assert_ent(&e[1], LAYOUT_HIMEM, LAYOUT_GAP_START - LAYOUT_HIMEM, E820_TYPE_RAM);
	assert_ent(&e[2], LAYOUT_GAP_END, 2 * GiB, E820_TYPE_RAM);
	uint64_t total = 0;
	for (int i = 0; i < 3; i++)
		total += e[i].size;
	/* All RAM is reported except the ISA hole (EBDA..1 MiB). */
	cr_assert_eq(total, 5 * GiB - (LAYOUT_HIMEM - LAYOUT_EBDA));
}

Test(boot, e820_exactly_3g)
{
	init_or_die(LAYOUT_GAP_START);
	struct e820_ent e[8];
	cr_assert_eq(boot_e820(&gm, e, 8), 2);
	assert_ent(&e[1], LAYOUT_HIMEM, LAYOUT_GAP_START - LAYOUT_HIMEM, E820_TYPE_RAM);
}

Test(boot, e820_too_small_a_table)
{
	init_or_die(5 * GiB);
	struct e820_ent e[3];
	memset(e, 0x77, sizeof(e));
	cr_assert_eq(boot_e820(&gm, e, 2), -1);
	cr_assert_eq(boot_e820(&gm, e, 0), -1);
	cr_assert_eq(e[0].type, 0x77777777u, "nothing written on failure");
}

/* Regression (vmm/x86/boot.c boot_e820): the first entry is always [0, EBDA),
 * even when guest RAM ends below the EBDA, so the map reports RAM that does
 * not exist. Unreachable from mvm (args force >= 16 MiB) but vm_create()
 * accepts any size. */
Test(boot, fixed_e820_ram_smaller_than_ebda)
{
	init_or_die(64 * 1024);
	struct e820_ent e[8];
	int n = boot_e820(&gm, e, 8);
	cr_assert_eq(n, 1);
	assert_ent(&e[0], 0, 64 * 1024, E820_TYPE_RAM);
}

static struct boot_params bp;

static void zero_page(const struct boot_layout *bl)
{
	struct err err = { 0 };
	memset(&bp, 0x5c, sizeof(bp)); /* every field must be written or zeroed */
	cr_assert_eq(boot_zero_page(&gm, bl, &bp, &err), 0, "%s", err.msg);
}

Test(boot, zero_page_header_fields)
{
	init_or_die(64 * MiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE, .cmdline_len = 42,
				  .initrd_gpa = 0x3000000, .initrd_size = 0x12345 };
	zero_page(&bl);
	cr_assert_eq(bp.hdr.boot_flag, 0xaa55);
	cr_assert_eq(memcmp(&bp.hdr.header, "HdrS", 4), 0);
	cr_assert_neq(bp.hdr.type_of_loader, 0, "a loader must identify itself");
	cr_assert_eq(bp.hdr.type_of_loader, 0xff, "0xff: undefined loader (boot.rst)");
	cr_assert_geq(bp.hdr.version, 0x0206, "64-bit protocol needs >= 2.06 fields");
	cr_assert(bp.hdr.loadflags & LOADED_HIGH);
	cr_assert_eq(bp.hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	cr_assert_eq(bp.ext_cmd_line_ptr, 0);
	cr_assert_eq(bp.hdr.cmdline_size, 42);
	cr_assert_eq(bp.hdr.ramdisk_image, 0x3000000);
	cr_assert_eq(bp.hdr.ramdisk_size, 0x12345);
	cr_assert_eq(bp.ext_ramdisk_image, 0);
	cr_assert_eq(bp.ext_ramdisk_size, 0);
	cr_assert_eq(bp.sentinel, 0, "a non-zero sentinel makes Linux wipe boot_params fields");
}

Test(boot, zero_page_raw_offsets)
{
	/* The same fields at their boot.rst / zero-page.rst offsets, so a
	 * header or packing mismatch cannot hide behind the struct. */
	init_or_die(64 * MiB);
	struct boot_layout bl = { .cmdline_gpa = 0x20000, .cmdline_len = 7,
				  .initrd_gpa = 0x2000000, .initrd_size = 0x1000 };
	zero_page(&bl);
	const uint8_t *raw = (const uint8_t *)&bp;
	uint32_t u32;
	cr_assert_eq(sizeof(bp), 4096);
	cr_assert_eq(raw[0x1fe], 0x55);
	cr_assert_eq(raw[0x1ff], 0xaa);
	cr_assert_eq(memcmp(raw + 0x202, "HdrS", 4), 0);
	cr_assert_eq(raw[0x210], 0xff, "type_of_loader");
	memcpy(&u32, raw + 0x218, 4);
	cr_assert_eq(u32, 0x2000000, "ramdisk_image");
	memcpy(&u32, raw + 0x21c, 4);
	cr_assert_eq(u32, 0x1000, "ramdisk_size");
	memcpy(&u32, raw + 0x228, 4);
	cr_assert_eq(u32, 0x20000, "cmd_line_ptr");
	cr_assert_eq(raw[0x1e8], 2, "e820_entries");
	uint64_t addr, size;
	memcpy(&addr, raw + 0x2d0 + 20, 8);
	memcpy(&size, raw + 0x2d0 + 28, 8);
	cr_assert_eq(addr, LAYOUT_HIMEM, "e820_table[1].addr");
	cr_assert_eq(size, 63 * MiB, "e820_table[1].size");
}

Test(boot, zero_page_without_initrd)
{
	init_or_die(64 * MiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE, .cmdline_len = 1 };
	zero_page(&bl);
	cr_assert_eq(bp.hdr.ramdisk_image, 0);
	cr_assert_eq(bp.hdr.ramdisk_size, 0);
	cr_assert_eq(bp.ext_ramdisk_image, 0);
	cr_assert_eq(bp.ext_ramdisk_size, 0);
}

Test(boot, zero_page_initrd_above_4g_uses_ext_fields)
{
	init_or_die(5 * GiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE, .cmdline_len = 3,
				  .initrd_gpa = 0x123456000ULL, .initrd_size = 0x100000001ULL };
	zero_page(&bl);
	cr_assert_eq(bp.hdr.ramdisk_image, 0x23456000u);
	cr_assert_eq(bp.ext_ramdisk_image, 0x1);
	cr_assert_eq(bp.hdr.ramdisk_size, 0x1);
	cr_assert_eq(bp.ext_ramdisk_size, 0x1);
}

Test(boot, zero_page_e820_matches_boot_e820)
{
	init_or_die(5 * GiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE };
	zero_page(&bl);
	struct e820_ent e[8];
	int n = boot_e820(&gm, e, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(bp.e820_entries, n);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(bp.e820_table[i].addr, e[i].addr, "entry %d", i);
		cr_assert_eq(bp.e820_table[i].size, e[i].size, "entry %d", i);
		cr_assert_eq(bp.e820_table[i].type, e[i].type, "entry %d", i);
	}
	cr_assert_eq(bp.e820_table[n].size, 0, "the rest of the table is zero");
}

/* PVH start_info (xen/include/public/arch-x86/hvm/start_info.h). */

Test(boot, pvh_abi_sizes_and_layout)
{
	cr_assert_eq(sizeof(struct hvm_start_info), 56, "start_info v1 is 0x38 bytes");
	cr_assert_eq(offsetof(struct hvm_start_info, memmap_paddr), 0x28);
	cr_assert_eq(offsetof(struct hvm_start_info, memmap_entries), 0x30);
	cr_assert_eq(sizeof(struct hvm_modlist_entry), 32);
	cr_assert_eq(sizeof(struct hvm_memmap_table_entry), 24);
	/* The areas boot_write_pvh() fills must not overlap each other or the
	 * zero page. */
	cr_assert_leq(LAYOUT_PVH_INFO + sizeof(struct hvm_start_info), LAYOUT_PVH_MODLIST);
	cr_assert_leq(LAYOUT_PVH_MODLIST + sizeof(struct hvm_modlist_entry), LAYOUT_PVH_MEMMAP);
	cr_assert_leq(LAYOUT_PVH_MEMMAP + LAYOUT_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry),
		      LAYOUT_ZERO_PAGE);
}

static struct hvm_start_info read_si(void)
{
	struct hvm_start_info si;
	cr_assert_eq(gmem_read(&gm, LAYOUT_PVH_INFO, &si, sizeof(si)), 0);
	return si;
}

static void write_pvh(const struct boot_layout *bl)
{
	struct err err = { 0 };
	cr_assert_eq(boot_write_pvh(&gm, bl, &err), 0, "%s", err.msg);
}

Test(boot, pvh_start_info_with_initrd)
{
	init_or_die(64 * MiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE, .cmdline_len = 10,
				  .initrd_gpa = 0x3c00000, .initrd_size = 0x2345 };
	write_pvh(&bl);
	struct hvm_start_info si = read_si();
	cr_assert_eq(si.magic, 0x336ec578u);
	cr_assert_eq(si.version, 1);
	cr_assert_eq(si.cmdline_paddr, LAYOUT_CMDLINE);
	cr_assert_eq(si.nr_modules, 1);
	cr_assert_eq(si.modlist_paddr, LAYOUT_PVH_MODLIST);
	struct hvm_modlist_entry mod;
	cr_assert_eq(gmem_read(&gm, si.modlist_paddr, &mod, sizeof(mod)), 0);
	cr_assert_eq(mod.paddr, 0x3c00000);
	cr_assert_eq(mod.size, 0x2345);
	cr_assert_eq(si.memmap_paddr, LAYOUT_PVH_MEMMAP);
	cr_assert_eq(si.memmap_entries, 2);
	struct hvm_memmap_table_entry mm[2];
	cr_assert_eq(gmem_read(&gm, si.memmap_paddr, mm, sizeof(mm)), 0);
	cr_assert_eq(mm[0].addr, 0);
	cr_assert_eq(mm[0].size, LAYOUT_EBDA);
	cr_assert_eq(mm[0].type, E820_TYPE_RAM);
	cr_assert_eq(mm[1].addr, LAYOUT_HIMEM);
	cr_assert_eq(mm[1].size, 63 * MiB);
	cr_assert_eq(mm[1].type, E820_TYPE_RAM);
	cr_assert_eq(mm[1].reserved, 0);
}

Test(boot, pvh_start_info_without_initrd_has_no_modules)
{
	init_or_die(64 * MiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE, .cmdline_len = 10 };
	write_pvh(&bl);
	struct hvm_start_info si = read_si();
	cr_assert_eq(si.magic, HVM_START_MAGIC);
	cr_assert_eq(si.nr_modules, 0);
	cr_assert_eq(si.modlist_paddr, 0);
}

Test(boot, pvh_memmap_above_the_gap)
{
	init_or_die(5 * GiB);
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE };
	write_pvh(&bl);
	struct hvm_start_info si = read_si();
	cr_assert_eq(si.memmap_entries, 3);
	struct hvm_memmap_table_entry mm[3];
	cr_assert_eq(gmem_read(&gm, si.memmap_paddr, mm, sizeof(mm)), 0);
	cr_assert_eq(mm[2].addr, LAYOUT_GAP_END);
	cr_assert_eq(mm[2].size, 2 * GiB);
	cr_assert_eq(mm[2].type, E820_TYPE_RAM);
}

Test(boot, pvh_fails_cleanly_when_ram_is_too_small)
{
	init_or_die(16 * 1024); /* ends below LAYOUT_PVH_INFO */
	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE };
	struct err err = { 0 };
	cr_assert_eq(boot_write_pvh(&gm, &bl, &err), -1);
	cr_assert_neq(err.status, 0);
	cr_assert_neq(err.msg[0], 0);
}

/* boot_initrd_addr */

Test(boot, initrd_goes_high_and_page_aligned)
{
	init_or_die(64 * MiB);
	uint64_t kend = 16 * MiB + 0x345678, size = MiB + 123;
	uint64_t at = boot_initrd_addr(&gm, kend, size);
	cr_assert_neq(at, 0);
	cr_assert_eq(at % 4096, 0, "0x%llx not page aligned", (unsigned long long)at);
	cr_assert_leq(at + size, 64 * MiB, "must end inside low RAM");
	cr_assert_geq(at, kend, "must not overlap the kernel");
	cr_assert_gt(at + 4096 + size, 64 * MiB, "as high as possible");
	cr_assert_eq(at, (64 * MiB - size) & ~0xfffULL);
}

Test(boot, initrd_stays_below_the_gap)
{
	init_or_die(5 * GiB);
	uint64_t size = 10 * MiB;
	uint64_t at = boot_initrd_addr(&gm, 32 * MiB, size);
	cr_assert_neq(at, 0);
	cr_assert_leq(at + size, LAYOUT_GAP_START);
	cr_assert_eq(at % 4096, 0);
	cr_assert_eq(at, LAYOUT_GAP_START - size);
}

Test(boot, initrd_exact_fit_and_no_fit)
{
	init_or_die(64 * MiB);
	/* Exactly the pages between the kernel and the end of RAM. */
	cr_assert_eq(boot_initrd_addr(&gm, 32 * MiB, 32 * MiB), 32 * MiB);
	cr_assert_eq(boot_initrd_addr(&gm, 32 * MiB, 32 * MiB + 1), 0);
	/* The kernel's end is rounded up to a page before comparing. */
	cr_assert_eq(boot_initrd_addr(&gm, 32 * MiB + 1, 32 * MiB - 4096), 32 * MiB + 4096);
	cr_assert_eq(boot_initrd_addr(&gm, 32 * MiB + 1, 32 * MiB - 4095), 0);
	cr_assert_eq(boot_initrd_addr(&gm, 16 * MiB, 65 * MiB), 0, "larger than RAM");
	cr_assert_eq(boot_initrd_addr(&gm, 16 * MiB, UINT64_MAX), 0);
	cr_assert_eq(boot_initrd_addr(&gm, 64 * MiB, 4096), 0, "kernel fills RAM");
	cr_assert_eq(boot_initrd_addr(&gm, 16 * MiB, 0), 0, "nothing to place");
}

Test(boot, initrd_not_placed_under_a_kernel_loaded_above_4g)
{
	init_or_die(5 * GiB);
	cr_assert_eq(boot_initrd_addr(&gm, LAYOUT_GAP_END + 64 * MiB, MiB), 0);
}

/* Regression (vmm/x86/boot.c boot_initrd_addr): rounding kernel_end up to a page
 * wraps to 0 when kernel_end > UINT64_MAX - 0xfff, so an initrd is placed
 * "above" a kernel ending at the top of the address space. Unreachable
 * through load_kernel (load_hi is checked against RAM first). */
Test(boot, fixed_initrd_kernel_end_rounding_wraps)
{
	init_or_die(64 * MiB);
	cr_assert_eq(boot_initrd_addr(&gm, UINT64_MAX - 10, 4096), 0);
}
