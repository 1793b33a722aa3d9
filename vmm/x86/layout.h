/* Guest-physical memory map for x86_64 boots. Low structures follow
 * Firecracker's layout; everything the kernel itself occupies starts at
 * LAYOUT_HIMEM. Devices live in the gap below 4 GiB. */
#ifndef MVM_LAYOUT_H
#define MVM_LAYOUT_H

#define LAYOUT_GDT 0x500ULL        /* 6 GDT entries; replaced by the kernel at once */
#define LAYOUT_PVH_INFO 0x6000ULL  /* struct hvm_start_info */
#define LAYOUT_PVH_MODLIST 0x6040ULL
#define LAYOUT_PVH_MEMMAP 0x6080ULL /* up to LAYOUT_MEMMAP_MAX entries */
#define LAYOUT_MEMMAP_MAX 8
#define LAYOUT_ZERO_PAGE 0x7000ULL /* struct boot_params (Linux boot protocol) */
#define LAYOUT_BOOT_STACK 0x8ff0ULL
#define LAYOUT_PML4 0x9000ULL      /* identity map of the first GiB, 2 MiB pages */
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 2048    /* x86 COMMAND_LINE_SIZE, with the NUL */
#define LAYOUT_EBDA 0x9fc00ULL     /* MP table: Linux scans 639 KiB..640 KiB */
#define LAYOUT_EBDA_END 0xa0000ULL
#define LAYOUT_HIMEM 0x100000ULL   /* 1 MiB: RAM resumes after the ISA hole */
#define LAYOUT_GAP_START 0xc0000000ULL /* 3 GiB: MMIO gap (virtio-mmio, IOAPIC, LAPIC) */
#define LAYOUT_GAP_END 0x100000000ULL
#define LAYOUT_MMIO_BASE 0xd0000000ULL /* first virtio-mmio device */

#endif
