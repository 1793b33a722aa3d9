/* Putting a Linux kernel, initrd and command line into a created VM and
 * pointing the boot vCPU at it. */
#ifndef MVM_LINUX_H
#define MVM_LINUX_H

#include "vmm/core/err.h"
#include "vmm/core/vm.h"

enum boot_mode { BOOT_AUTO, BOOT_PVH, BOOT_LINUX64 };

struct linux_boot {
	const char *kernel;   /* path to an uncompressed vmlinux ELF */
	const char *initrd;   /* path, or NULL */
	const char *cmdline;  /* the complete command line */
	enum boot_mode mode;  /* AUTO: PVH when the kernel has the note */
};

/* Check the files before any VM exists: the kernel is a readable x86_64
 * vmlinux ELF (mode PVH needs its note) and the initrd a readable, non-empty
 * regular file. Returns 0 or -1 with err (MVM_EXIT_BADARG). */
int load_check(const struct linux_boot *lb, struct err *err);

/* Load everything, write the boot records and MP table, and set the boot
 * vCPU's registers. Returns 0, or -1 with err (MVM_EXIT_BADARG for problems
 * with the files or sizes). */
int load_kernel(struct vm *vm, const struct linux_boot *lb, struct err *err);

#endif
