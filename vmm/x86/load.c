#include "vmm/x86/load.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/x86/boot.h"
#include "vmm/x86/elf.h"
#include "vmm/x86/layout.h"
#include "vmm/x86/mptable.h"

struct mapped_file {
	const uint8_t *p;
	size_t len;
};

static int map_file(const char *path, const char *flag, struct mapped_file *f,
		    struct err *err)
{
	f->p = NULL;
	f->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "%s %s", flag, path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, MVM_EXIT_BADARG, "%s %s: not a regular file", flag, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return err_set(err, MVM_EXIT_BADARG, "%s %s: empty file", flag, path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return err_sys(err, MVM_EXIT_BADARG, errno, "%s %s: mmap", flag, path);
	f->p = p;
	f->len = (size_t)st.st_size;
	return 0;
}

static void unmap_file(struct mapped_file *f)
{
	if (f->p)
		munmap((void *)f->p, f->len);
	f->p = NULL;
}

static int load_all(struct vm *vm, const struct linux_boot *lb, struct mapped_file *kf,
		    struct mapped_file *rf, struct err *err)
{
	const struct gmem *gm = &vm->gm;
	if (map_file(lb->kernel, "--kernel", kf, err) < 0)
		return -1;
	struct elf_info ei;
	if (elf_load(gm, kf->p, kf->len, lb->kernel, &ei, err) < 0)
		return -1;
	enum boot_mode mode = lb->mode;
	if (mode == BOOT_AUTO)
		mode = ei.pvh_entry ? BOOT_PVH : BOOT_LINUX64;
	if (mode == BOOT_PVH && !ei.pvh_entry)
		return err_set(err, MVM_EXIT_BADARG, "%s: no PVH entry note (CONFIG_PVH); use --boot linux64",
			       lb->kernel);

	struct boot_layout bl = { .cmdline_gpa = LAYOUT_CMDLINE };
	size_t clen = strlen(lb->cmdline);
	if (clen >= LAYOUT_CMDLINE_MAX)
		return err_set(err, MVM_EXIT_BADARG, "kernel command line is %zu bytes; the limit is %d",
			       clen, LAYOUT_CMDLINE_MAX - 1);
	if (gmem_write(gm, LAYOUT_CMDLINE, lb->cmdline, clen + 1) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM too small for the command line");
	bl.cmdline_len = (uint32_t)clen;

	if (lb->initrd) {
		if (map_file(lb->initrd, "--initrd", rf, err) < 0)
			return -1;
		uint64_t at = boot_initrd_addr(gm, ei.load_hi, rf->len);
		if (!at || gmem_write(gm, at, rf->p, rf->len) < 0)
			return err_set(err, MVM_EXIT_BADARG,
				       "--initrd %s: %zu KiB do not fit in guest RAM above the kernel; "
				       "give the guest more memory", lb->initrd, rf->len >> 10);
		bl.initrd_gpa = at;
		bl.initrd_size = rf->len;
	}
	if (mptable_write(gm, vm->ncpus, err) < 0)
		return -1;
	struct vcpu *bsp = &vm->vcpus[0];
	if (mode == BOOT_PVH) {
		if (boot_write_pvh(gm, &bl, err) < 0)
			return -1;
		return vcpu_boot_pvh(bsp, gm, ei.pvh_entry, LAYOUT_PVH_INFO, err);
	}
	struct boot_params bp;
	if (boot_zero_page(gm, &bl, &bp, err) < 0)
		return -1;
	if (gmem_write(gm, LAYOUT_ZERO_PAGE, &bp, sizeof(bp)) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM too small for the zero page");
	return vcpu_boot_linux64(bsp, gm, ei.entry64, LAYOUT_ZERO_PAGE, err);
}

int load_check(const struct linux_boot *lb, struct err *err)
{
	struct mapped_file kf = { 0 }, rf = { 0 };
	struct elf_info ei;
	int r = map_file(lb->kernel, "--kernel", &kf, err);
	if (r == 0)
		r = elf_parse(kf.p, kf.len, lb->kernel, &ei, err);
	if (r == 0 && lb->mode == BOOT_PVH && !ei.pvh_entry)
		r = err_set(err, MVM_EXIT_BADARG, "%s: no PVH entry note (CONFIG_PVH); use --boot linux64",
			    lb->kernel);
	if (r == 0 && lb->initrd)
		r = map_file(lb->initrd, "--initrd", &rf, err);
	unmap_file(&kf);
	unmap_file(&rf);
	return r;
}

int load_kernel(struct vm *vm, const struct linux_boot *lb, struct err *err)
{
	struct mapped_file kf = { 0 }, rf = { 0 };
	int r = load_all(vm, lb, &kf, &rf, err);
	unmap_file(&kf);
	unmap_file(&rf);
	return r;
}
