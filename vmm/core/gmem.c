#include "vmm/core/gmem.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/x86/layout.h"

/* Map RAM anonymously (fd -1) or from a file, private either way. */
static int map_ram(struct gmem *gm, int fd, uint64_t bytes, struct err *err)
{
	memset(gm, 0, sizeof(*gm));
	if (bytes == 0 || bytes % 4096)
		return err_set(err, MVM_EXIT_BADARG, "guest memory must be a non-zero multiple of 4 KiB");
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_NORESERVE | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
	if (p == MAP_FAILED)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "mmap of %llu MiB guest RAM",
			       (unsigned long long)(bytes >> 20));
	/* Guest RAM is the guest's business, not part of a host core dump. */
	madvise(p, bytes, MADV_DONTDUMP);
	gm->base = p;
	gm->size = bytes;
	uint64_t low = bytes < LAYOUT_GAP_START ? bytes : LAYOUT_GAP_START;
	gm->r[0] = (struct gmem_region){ .gpa = 0, .size = low, .hva = p };
	gm->nr = 1;
	if (bytes > low) {
		gm->r[1] = (struct gmem_region){ .gpa = LAYOUT_GAP_END, .size = bytes - low,
						 .hva = gm->base + low };
		gm->nr = 2;
	}
	return 0;
}

int gmem_init(struct gmem *gm, uint64_t bytes, struct err *err)
{
	return map_ram(gm, -1, bytes, err);
}

int gmem_map_file(struct gmem *gm, int fd, uint64_t bytes, struct err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "memory file");
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != bytes)
		return err_set(err, MVM_EXIT_BADARG, "memory file: %lld bytes, the VM has %llu",
			       (long long)st.st_size, (unsigned long long)bytes);
	return map_ram(gm, fd, bytes, err);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v)
			return false;
	}
	return true;
}

int gmem_save(const struct gmem *gm, int fd, struct err *err)
{
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)gm->size) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "memory file: truncate");
	enum { PAGE = 4096 };
	for (uint64_t off = 0; off < gm->size; off += PAGE) {
		const uint8_t *p = gm->base + off;
		if (all_zero(p, PAGE))
			continue; /* a hole reads as zeros */
		for (size_t done = 0; done < PAGE;) {
			ssize_t w = pwrite(fd, p + done, PAGE - done, (off_t)(off + done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return err_sys(err, MVM_EXIT_INTERNAL, errno, "memory file: write");
			done += (size_t)w;
		}
	}
	return 0;
}

void gmem_fini(struct gmem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->size);
	memset(gm, 0, sizeof(*gm));
}

void *gmem_ptr(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < gm->nr; i++) {
		const struct gmem_region *r = &gm->r[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		/* off < size and len <= size - off: no addition that can wrap. */
		if (off < r->size && len <= r->size - off)
			return r->hva + off;
	}
	return NULL;
}

int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gmem_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

uint64_t gmem_low_end(const struct gmem *gm)
{
	return gm->nr ? gm->r[0].gpa + gm->r[0].size : 0;
}
