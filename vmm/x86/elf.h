/* Loading an uncompressed x86_64 vmlinux ELF into guest RAM. The image is
 * untrusted input: every header, offset and size is checked against the
 * file length and guest RAM before use. */
#ifndef MVM_ELF_H
#define MVM_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/err.h"
#include "vmm/core/gmem.h"

struct elf_info {
	uint64_t entry64;   /* e_entry: the 64-bit boot protocol entry (physical) */
	uint32_t pvh_entry; /* XEN_ELFNOTE_PHYS32_ENTRY, 0 when the note is absent */
	uint64_t load_lo;   /* lowest guest-physical byte loaded */
	uint64_t load_hi;   /* one past the highest byte loaded (incl. bss) */
};

/* Parse `img` (len bytes) without loading: validate the headers, find the
 * entries and the extent of the PT_LOAD segments. Returns 0 or -1 with err
 * (MVM_EXIT_BADARG, naming `what`, e.g. the file name). */
int elf_parse(const uint8_t *img, size_t len, const char *what, struct elf_info *out,
	      struct err *err);

/* elf_parse(), then copy every PT_LOAD segment to its p_paddr and zero its
 * bss. Segments must lie inside guest RAM at or above LAYOUT_HIMEM. */
int elf_load(const struct gmem *gm, const uint8_t *img, size_t len, const char *what,
	     struct elf_info *out, struct err *err);

#endif
