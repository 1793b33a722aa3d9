/* mvm's command line. Parsing is separate from main() so tests can check
 * every rejection without running a VM. */
#ifndef MVM_ARGS_H
#define MVM_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/err.h"
#include "vmm/linux.h"

struct mvm_args {
	const char *kernel, *initrd, *cmdline; /* cmdline: the user's part; may be NULL */
	uint64_t mem_mib;
	int cpus;
	bool console, no_xsave, report, help, version;
	enum boot_mode boot;
};

#define MVM_DEFAULT_MEM_MIB 128

/* Parse argv into a. Returns 0, or -1 with err (MVM_EXIT_BADARG) naming the
 * flag and the problem. Checks ranges that need no KVM: memory between
 * MVM_MEM_MIN_MIB and the host's RAM, 1 to MVM_MAX_VCPUS vCPUs, a kernel
 * given. Files are checked when they are loaded. */
int args_parse(int argc, char **argv, struct mvm_args *a, struct mvm_err *err);

/* The usage text. */
extern const char mvm_usage[];

#endif
