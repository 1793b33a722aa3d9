#include "vmm/x86/boot.h"

#include <string.h>

#include "vmm/x86/layout.h"

int boot_e820(const struct gmem *gm, struct e820_ent *out, int max)
{
	int n = 0;
	uint64_t low_end = gmem_low_end(gm);
	struct e820_ent ents[3];
	ents[n++] = (struct e820_ent){ 0, low_end < LAYOUT_EBDA ? low_end : LAYOUT_EBDA, E820_TYPE_RAM };
	if (low_end > LAYOUT_HIMEM)
		ents[n++] = (struct e820_ent){ LAYOUT_HIMEM, low_end - LAYOUT_HIMEM, E820_TYPE_RAM };
	if (gm->nr > 1)
		ents[n++] = (struct e820_ent){ gm->r[1].gpa, gm->r[1].size, E820_TYPE_RAM };
	if (n > max)
		return -1;
	memcpy(out, ents, n * sizeof(ents[0]));
	return n;
}

int boot_zero_page(const struct gmem *gm, const struct boot_layout *bl,
		   struct boot_params *bp, struct err *err)
{
	memset(bp, 0, sizeof(*bp));
	/* Fields per Documentation/x86/boot.rst, "64-bit boot protocol". */
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.header = 0x53726448; /* "HdrS" */
	bp->hdr.version = 0x020f;
	bp->hdr.type_of_loader = 0xff; /* undefined loader */
	bp->hdr.loadflags = LOADED_HIGH;
	bp->hdr.kernel_alignment = 0x1000000;
	bp->hdr.cmd_line_ptr = (uint32_t)bl->cmdline_gpa;
	bp->ext_cmd_line_ptr = (uint32_t)(bl->cmdline_gpa >> 32);
	bp->hdr.cmdline_size = bl->cmdline_len;
	if (bl->initrd_gpa) {
		bp->hdr.ramdisk_image = (uint32_t)bl->initrd_gpa;
		bp->ext_ramdisk_image = (uint32_t)(bl->initrd_gpa >> 32);
		bp->hdr.ramdisk_size = (uint32_t)bl->initrd_size;
		bp->ext_ramdisk_size = (uint32_t)(bl->initrd_size >> 32);
	}
	struct e820_ent e[E820_MAX_ENTRIES_ZEROPAGE];
	int n = boot_e820(gm, e, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "e820 map does not fit the zero page");
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = e[i].addr;
		bp->e820_table[i].size = e[i].size;
		bp->e820_table[i].type = e[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	return 0;
}

int boot_write_pvh(const struct gmem *gm, const struct boot_layout *bl, struct err *err)
{
	struct e820_ent e[LAYOUT_MEMMAP_MAX];
	int n = boot_e820(gm, e, LAYOUT_MEMMAP_MAX);
	if (n < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "memory map does not fit the PVH area");
	struct hvm_memmap_table_entry mm[LAYOUT_MEMMAP_MAX];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){ e[i].addr, e[i].size, e[i].type, 0 };

	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = bl->cmdline_gpa,
		.memmap_paddr = LAYOUT_PVH_MEMMAP,
		.memmap_entries = (uint32_t)n,
	};
	struct hvm_modlist_entry mod = { .paddr = bl->initrd_gpa, .size = bl->initrd_size };
	if (bl->initrd_gpa) {
		si.nr_modules = 1;
		si.modlist_paddr = LAYOUT_PVH_MODLIST;
	}
	if (gmem_write(gm, LAYOUT_PVH_INFO, &si, sizeof(si)) < 0 ||
	    gmem_write(gm, LAYOUT_PVH_MODLIST, &mod, sizeof(mod)) < 0 ||
	    gmem_write(gm, LAYOUT_PVH_MEMMAP, mm, n * sizeof(mm[0])) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM too small for the PVH start info");
	return 0;
}

uint64_t boot_initrd_addr(const struct gmem *gm, uint64_t kernel_end, uint64_t size)
{
	uint64_t top = gmem_low_end(gm);
	if (size == 0 || kernel_end >= top || size > top - kernel_end)
		return 0;
	uint64_t addr = (top - size) & ~0xfffULL;
	if (addr < ((kernel_end + 0xfff) & ~0xfffULL))
		return 0;
	return addr;
}
