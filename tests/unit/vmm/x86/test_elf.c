/* elf: the vmlinux loader treats the image as untrusted. Images are built
 * in memory from <elf.h>; every malformed one must be rejected with
 * MVM_EXIT_BADARG and a message naming the file and the problem, and no
 * input (including every truncation) may read outside the image. Images are
 * copied into exactly-sized heap buffers so ASan sees any over-read. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86/elf.h"
#include "vmm/x86/layout.h"

#define MiB (1ULL << 20)
#define WHAT "test-vmlinux"

/* Layout of the valid image:
 *   0x000 Elf64_Ehdr
 *   0x040 Phdr[0] PT_LOAD  file 0x200..0x300 → paddr 16 MiB, memsz 0x300 (0x200 bss)
 *   0x078 Phdr[1] PT_NOTE  file 0x180, the Xen PVH entry note
 *   0x180 note: namesz 4 "Xen\0", descsz 4 or 8, type 18 (XEN_ELFNOTE_PHYS32_ENTRY)
 *   0x200 segment bytes
 * The segment's bytes end the file, so every proper prefix is truncated. */
#define IMG_LEN 0x300
#define SEG_OFF 0x200
#define SEG_FILESZ 0x100
#define SEG_MEMSZ 0x300
#define SEG_PADDR (16 * MiB)
#define NOTE_OFF 0x180
#define PVH_ENTRY 0x1000123u
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint8_t img[IMG_LEN] __attribute__((aligned(8)));
static size_t img_len;

static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i; }

static uint8_t seg_byte(size_t i)
{
	return (uint8_t)(i * 7 + 1);
}

/* Write one note at off; returns its size. */
static size_t put_note(size_t off, const char *name, uint32_t namesz, uint32_t type,
		       const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_descsz = descsz, .n_type = type };
	memcpy(img + off, &nh, sizeof(nh));
	size_t p = off + sizeof(nh);
	memcpy(img + p, name, namesz);
	p += (namesz + 3) & ~3u;
	memcpy(img + p, desc, descsz);
	p += (descsz + 3) & ~3u;
	return p - off;
}

/* A valid vmlinux-like image; pvh_descsz 0 leaves the note segment out. */
static void build(uint32_t pvh_descsz)
{
	memset(img, 0, sizeof(img));
	Elf64_Ehdr *e = eh();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = SEG_PADDR;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = pvh_descsz ? 2 : 1;
	*ph(0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = SEG_OFF,
			       .p_vaddr = 0xffffffff81000000ULL, .p_paddr = SEG_PADDR,
			       .p_filesz = SEG_FILESZ, .p_memsz = SEG_MEMSZ, .p_align = 4096 };
	if (pvh_descsz) {
		uint64_t entry = PVH_ENTRY;
		size_t n = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, pvh_descsz);
		*ph(1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF, .p_filesz = n,
				       .p_align = 4 };
	}
	for (size_t i = 0; i < SEG_FILESZ; i++)
		img[SEG_OFF + i] = seg_byte(i);
	img_len = IMG_LEN;
}

/* Parse a copy of the first len bytes of img in an exactly-sized buffer. */
static int parse_len(size_t len, struct elf_info *info, struct err *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, img, len);
	memset(err, 0, sizeof(*err));
	int r = elf_parse(copy, len, WHAT, info, err);
	free(copy);
	return r;
}

static void expect_reject(const char *why)
{
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), -1, "accepted; expected \"%s\"", why);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, WHAT), "message does not name the file: %s", err.msg);
	cr_assert(strstr(err.msg, why), "message \"%s\" does not say \"%s\"", err.msg, why);
}

TestSuite(elf);

Test(elf, valid_image_with_4_byte_pvh_note)
{
	build(4);
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.entry64, SEG_PADDR);
	cr_assert_eq(info.pvh_entry, PVH_ENTRY);
	cr_assert_eq(info.load_lo, SEG_PADDR);
	cr_assert_eq(info.load_hi, SEG_PADDR + SEG_MEMSZ, "load_hi includes the bss");
	cr_assert_eq(err.status, 0);
}

Test(elf, valid_image_with_8_byte_pvh_note)
{
	build(8);
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, PVH_ENTRY);
}

Test(elf, no_note_means_no_pvh_entry)
{
	build(0);
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, 0);
	cr_assert_eq(info.entry64, SEG_PADDR);
}

Test(elf, other_notes_are_skipped)
{
	build(4);
	/* A GNU build-id note, then a Xen note of another type, then the entry. */
	uint8_t id[20];
	memset(id, 0xab, sizeof(id));
	uint32_t other = 0x1234;
	uint32_t entry = PVH_ENTRY;
	size_t n = put_note(NOTE_OFF, "GNU", 4, NT_GNU_BUILD_ID, id, sizeof(id));
	n += put_note(NOTE_OFF + n, "Xen", 4, 6 /* XEN_ELFNOTE_LOADER */, &other, 3);
	n += put_note(NOTE_OFF + n, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
	cr_assert_leq(NOTE_OFF + n, SEG_OFF);
	ph(1)->p_filesz = n;
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, PVH_ENTRY);
}

Test(elf, type_18_under_another_name_is_not_pvh)
{
	build(4);
	uint32_t entry = PVH_ENTRY;
	ph(1)->p_filesz = put_note(NOTE_OFF, "Xyz", 4, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, 0);
}

Test(elf, every_truncation_is_rejected_cleanly)
{
	build(4);
	for (size_t len = 0; len < IMG_LEN; len++) {
		struct elf_info info;
		struct err err;
		cr_assert_eq(parse_len(len, &info, &err), -1, "prefix of %zu bytes accepted", len);
		cr_assert_eq(err.status, MVM_EXIT_BADARG, "prefix %zu", len);
		cr_assert(strstr(err.msg, WHAT), "prefix %zu: %s", len, err.msg);
	}
}

Test(elf, every_truncation_of_elf_load_is_rejected_cleanly)
{
	build(8);
	struct gmem gm;
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, 32 * MiB, &err), 0, "%s", err.msg);
	for (size_t len = 0; len <= IMG_LEN; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, img, len);
		struct elf_info info;
		memset(&err, 0, sizeof(err));
		int r = elf_load(&gm, copy, len, WHAT, &info, &err);
		free(copy);
		if (len < IMG_LEN) {
			cr_assert_eq(r, -1, "prefix of %zu bytes loaded", len);
			cr_assert_eq(err.status, MVM_EXIT_BADARG);
		} else {
			cr_assert_eq(r, 0, "whole image: %s", err.msg);
		}
	}
	gmem_fini(&gm);
}

Test(elf, short_header)
{
	build(4);
	img_len = sizeof(Elf64_Ehdr) - 1;
	expect_reject("too short");
}

Test(elf, bad_magic)
{
	build(4);
	img[1] = 'X';
	expect_reject("no ELF magic");
}

Test(elf, bzimage_is_not_elf)
{
	build(4);
	memset(img, 0, 64);
	img[0] = 0x4d; /* "MZ", as a bzImage with the EFI stub starts */
	img[1] = 0x5a;
	expect_reject("no ELF magic");
}

Test(elf, class_32_bit)
{
	build(4);
	img[EI_CLASS] = ELFCLASS32;
	expect_reject("64-bit");
}

Test(elf, big_endian)
{
	build(4);
	img[EI_DATA] = ELFDATA2MSB;
	expect_reject("little-endian");
}

Test(elf, wrong_machine)
{
	build(4);
	eh()->e_machine = EM_386;
	expect_reject("x86_64");
	eh()->e_machine = EM_AARCH64;
	expect_reject("x86_64");
}

Test(elf, not_an_executable)
{
	build(4);
	eh()->e_type = ET_DYN;
	expect_reject("not an executable");
	eh()->e_type = ET_REL;
	expect_reject("not an executable");
}

Test(elf, phnum_zero_or_huge)
{
	build(4);
	eh()->e_phnum = 0;
	expect_reject("program header table size");
	eh()->e_phnum = 0xffff;
	expect_reject("program header table size");
	eh()->e_phnum = 65;
	expect_reject("program header table size");
}

Test(elf, wrong_phentsize)
{
	build(4);
	eh()->e_phentsize = sizeof(Elf32_Phdr);
	expect_reject("program header table size");
}

Test(elf, phoff_past_eof)
{
	build(4);
	eh()->e_phoff = IMG_LEN + 8;
	expect_reject("program headers extend past the end");
	eh()->e_phoff = IMG_LEN - sizeof(Elf64_Phdr) + 1; /* last one runs over */
	expect_reject("program headers extend past the end");
	eh()->e_phoff = UINT64_MAX - 8; /* offset + size wraps */
	expect_reject("program headers extend past the end");
}

Test(elf, segment_past_eof)
{
	build(4);
	ph(0)->p_filesz = IMG_LEN - SEG_OFF + 1;
	ph(0)->p_memsz = 0x1000;
	expect_reject("past the end of the file");
	build(4);
	ph(0)->p_offset = IMG_LEN;
	expect_reject("past the end of the file");
	build(4);
	ph(0)->p_offset = UINT64_MAX - 0x10; /* offset + filesz wraps */
	expect_reject("past the end of the file");
}

Test(elf, note_segment_past_eof)
{
	build(4);
	ph(1)->p_filesz = IMG_LEN;
	expect_reject("past the end of the file");
}

Test(elf, filesz_exceeds_memsz)
{
	build(4);
	ph(0)->p_memsz = SEG_FILESZ - 1;
	expect_reject("file size exceeds its memory size");
}

Test(elf, address_range_wraps)
{
	build(4);
	ph(0)->p_paddr = UINT64_MAX - 0x100; /* + memsz 0x300 wraps */
	expect_reject("wraps");
	ph(0)->p_paddr = SEG_PADDR;
	ph(0)->p_memsz = UINT64_MAX;
	expect_reject("wraps");
}

Test(elf, load_below_1mib)
{
	build(4);
	ph(0)->p_paddr = 0x9f000; /* would overwrite the EBDA and the boot records */
	expect_reject("below 1 MiB");
	ph(0)->p_paddr = 0;
	expect_reject("below 1 MiB");
}

Test(elf, second_segment_below_1mib)
{
	build(0);
	eh()->e_phnum = 2;
	*ph(1) = *ph(0);
	ph(1)->p_paddr = LAYOUT_HIMEM - 0x10;
	expect_reject("below 1 MiB");
}

Test(elf, no_loadable_segment)
{
	build(4);
	ph(0)->p_type = PT_NULL;
	expect_reject("no loadable segments");
	build(4);
	ph(0)->p_filesz = 0;
	ph(0)->p_memsz = 0;
	expect_reject("no loadable segments");
}

static void expect_bad_note(void)
{
	expect_reject("malformed ELF note");
}

Test(elf, malformed_note_sizes)
{
	uint64_t entry[2] = { PVH_ENTRY, 0 };
	/* PVH desc that is neither 4 nor 8 bytes. */
	build(4);
	ph(1)->p_filesz = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, entry, 2);
	expect_bad_note();
	build(4);
	ph(1)->p_filesz = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, entry, 16);
	expect_bad_note();
	/* namesz / descsz larger than the segment, and near UINT32_MAX (the
	 * rounding up to 4 must not wrap). */
	uint32_t huge[] = { 0x40, 0x1000, 0xfffffffd, 0xffffffff };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		build(4);
		Elf64_Nhdr *nh = (Elf64_Nhdr *)(img + NOTE_OFF);
		nh->n_namesz = huge[i];
		expect_bad_note();
		build(4);
		nh->n_descsz = huge[i];
		expect_bad_note();
	}
	/* The note segment ends inside the descriptor. */
	build(8);
	ph(1)->p_filesz -= 4;
	expect_bad_note();
}

Test(elf, note_segment_shorter_than_a_note_header_is_ignored)
{
	build(4);
	ph(1)->p_filesz = sizeof(Elf64_Nhdr) - 1;
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, 0);
}

Test(elf, pvh_entry_zero_or_above_4g)
{
	uint64_t zero = 0, high = 0x100000000ULL;
	build(8);
	ph(1)->p_filesz = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &zero, 8);
	expect_bad_note();
	build(8);
	ph(1)->p_filesz = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &high, 8);
	expect_bad_note();
}

Test(elf, two_segments_extent)
{
	build(0);
	eh()->e_phnum = 3;
	*ph(1) = *ph(0);
	ph(1)->p_paddr = SEG_PADDR + 4 * MiB;
	ph(1)->p_memsz = 0x2000;
	*ph(2) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 2 * MiB, .p_memsz = 0x10 };
	struct elf_info info;
	struct err err;
	cr_assert_eq(parse_len(img_len, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.load_lo, 2 * MiB);
	cr_assert_eq(info.load_hi, SEG_PADDR + 4 * MiB + 0x2000);
}

/* elf_load */

static struct gmem gm;

static void load_fini(void)
{
	gmem_fini(&gm);
}

TestSuite(elf_load, .fini = load_fini);

static void gm_init(uint64_t bytes)
{
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, bytes, &err), 0, "%s", err.msg);
}

Test(elf_load, copies_bytes_and_zeroes_bss)
{
	build(4);
	gm_init(32 * MiB);
	uint8_t *ram = gmem_ptr(&gm, SEG_PADDR - 0x100, 0x1000);
	cr_assert_not_null(ram);
	memset(ram, 0xcc, 0x1000); /* stale bytes the bss must not keep */
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), 0, "%s", err.msg);
	uint8_t *seg = ram + 0x100;
	for (size_t i = 0; i < SEG_FILESZ; i++)
		cr_assert_eq(seg[i], seg_byte(i), "file byte %zu", i);
	for (size_t i = SEG_FILESZ; i < SEG_MEMSZ; i++)
		cr_assert_eq(seg[i], 0, "bss byte %zu not zeroed", i);
	for (size_t i = SEG_MEMSZ; i < SEG_MEMSZ + 0x100; i++)
		cr_assert_eq(seg[i], 0xcc, "byte %zu past memsz written", i);
	for (size_t i = 0; i < 0x100; i++)
		cr_assert_eq(ram[i], 0xcc, "byte before the segment written");
	cr_assert_eq(info.pvh_entry, PVH_ENTRY);
}

Test(elf_load, segment_beyond_guest_ram)
{
	build(4);
	gm_init(16 * MiB); /* the segment starts exactly at the end of RAM */
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, WHAT), "%s", err.msg);
	cr_assert(strstr(err.msg, "memory"), "%s", err.msg);
	cr_assert(strstr(err.msg, "17 MiB"), "should say how much RAM is needed: %s", err.msg);
}

Test(elf_load, bss_beyond_guest_ram)
{
	build(4);
	gm_init(16 * MiB + 0x1000);
	ph(0)->p_memsz = 0x1001; /* file part fits, bss runs one byte past RAM */
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	uint8_t *seg = gmem_ptr(&gm, SEG_PADDR, 1);
	cr_assert_eq(seg[0], 0, "nothing copied when the image does not fit");
	ph(0)->p_memsz = 0x1000;
	memset(&err, 0, sizeof(err));
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), 0, "exact fit: %s", err.msg);
}

Test(elf_load, segment_in_the_mmio_gap)
{
	build(0);
	gm_init(64 * MiB);
	ph(0)->p_paddr = LAYOUT_MMIO_BASE;
	eh()->e_entry = LAYOUT_MMIO_BASE;
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
}

Test(elf_load, entry_outside_ram)
{
	build(0); /* no PVH note: only the 64-bit entry can be used */
	gm_init(32 * MiB);
	eh()->e_entry = 0xffffffff81000000ULL; /* virtual, not physical */
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, "entry point"), "%s", err.msg);
}

Test(elf_load, bad_entry64_is_fine_with_a_pvh_entry)
{
	build(4);
	gm_init(32 * MiB);
	eh()->e_entry = 0xffffffff81000000ULL;
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.pvh_entry, PVH_ENTRY);
}

Test(elf_load, parse_errors_pass_through)
{
	build(4);
	gm_init(32 * MiB);
	img[0] = 0;
	struct elf_info info;
	struct err err = { 0 };
	cr_assert_eq(elf_load(&gm, img, img_len, WHAT, &info, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, "no ELF magic"), "%s", err.msg);
}
