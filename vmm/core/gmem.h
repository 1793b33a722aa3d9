/* Guest RAM: one anonymous mapping, split around the MMIO gap below 4 GiB.
 * gmem_ptr() is the one checked accessor every guest-physical address goes
 * through: a range is valid only if it lies wholly inside one RAM region. */
#ifndef MVM_GMEM_H
#define MVM_GMEM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/err.h"

struct gmem_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes */
	uint8_t *hva;  /* host address of gpa */
};

struct gmem {
	uint8_t *base;   /* the mapping; owned */
	uint64_t size;   /* total RAM bytes */
	int nr;          /* regions in use: 1, or 2 when RAM passes the gap */
	struct gmem_region r[2];
};

/* Map `bytes` of guest RAM (a multiple of 4 KiB). RAM up to LAYOUT_GAP_START
 * is at gpa 0; the rest resumes at 4 GiB. Returns 0, or -1 with err set. */
int gmem_init(struct gmem *gm, uint64_t bytes, struct err *err);

/* Map guest RAM from a memory file (gmem_save's), copy-on-write: pages the
 * guest never writes stay the file's pages in the host's page cache, shared
 * by every VM that maps it; writes go to private copies and never reach the
 * file. The file must be exactly `bytes` long. Returns 0, or -1 with err. */
int gmem_map_file(struct gmem *gm, int fd, uint64_t bytes, struct err *err);

/* Write all of guest RAM to fd (a regular file, truncated to RAM's size
 * first) at offset = its place in RAM, leaving all-zero pages as holes.
 * Returns 0, or -1 with err. */
int gmem_save(const struct gmem *gm, int fd, struct err *err);

/* Unmap guest RAM. Safe on a zeroed or already finished gmem. */
void gmem_fini(struct gmem *gm);

/* Host pointer for [gpa, gpa+len), or NULL if any byte of it is outside RAM
 * or the range wraps. len 0 is valid for any gpa inside a region. */
void *gmem_ptr(const struct gmem *gm, uint64_t gpa, uint64_t len);

/* Copy into / out of guest RAM through gmem_ptr(). Return 0, or -1 if the
 * range is not wholly inside RAM (nothing is copied then). */
int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len);
int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len);

/* Highest guest-physical address + 1 of RAM below the gap. */
uint64_t gmem_low_end(const struct gmem *gm);

#endif
