/* The boot records Linux reads at entry: the e820 memory map, the zero page
 * of the 64-bit boot protocol (Documentation/x86/boot.rst) and the PVH
 * start_info (xen/include/public/arch-x86/hvm/start_info.h). */
#ifndef MVM_BOOT_H
#define MVM_BOOT_H

#include <stdint.h>
#include <asm/bootparam.h>

#include "vmm/core/err.h"
#include "vmm/core/gmem.h"

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

struct e820_ent {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* PVH start_info, version 1 (adds the memory map). */
#define HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* What the loaders place in guest RAM, for the boot records to point at. */
struct boot_layout {
	uint64_t cmdline_gpa; /* NUL-terminated command line */
	uint32_t cmdline_len; /* without the NUL */
	uint64_t initrd_gpa;  /* 0 when there is no initrd */
	uint64_t initrd_size;
};

/* Fill `out` (room for `max`) with the guest's memory map: RAM below the
 * EBDA, RAM from 1 MiB to the gap, RAM above 4 GiB. Returns the count, or
 * -1 if `max` is too small. */
int boot_e820(const struct gmem *gm, struct e820_ent *out, int max);

/* Build the zero page for the 64-bit boot protocol. Returns 0 or -1. */
int boot_zero_page(const struct gmem *gm, const struct boot_layout *bl,
		   struct boot_params *bp, struct err *err);

/* Write the PVH start_info, module list and memory map at their LAYOUT_PVH_*
 * addresses. Returns 0 or -1 with err. */
int boot_write_pvh(const struct gmem *gm, const struct boot_layout *bl, struct err *err);

/* Choose where the initrd goes: page-aligned, as high as possible below the
 * gap and below 4 GiB - 1, above `kernel_end`. Returns the address, or 0 if
 * `size` bytes do not fit. */
uint64_t boot_initrd_addr(const struct gmem *gm, uint64_t kernel_end, uint64_t size);

#endif
