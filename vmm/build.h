/* The build order of one VM, in one place: what mvm makes, in which order,
 * from its parsed arguments, up to the moment the vCPUs may run. main()
 * parses, calls build_vm, runs the VM and reports; nothing else decides
 * the order. */
#ifndef MVM_BUILD_H
#define MVM_BUILD_H

#include <stdbool.h>
#include <time.h>

#include "vmm/agent/session.h"
#include "vmm/args.h"
#include "vmm/core/vm.h"
#include "vmm/sandbox/jail.h"
#include "vmm/x86/cmdline.h"
#include "vmm/x86/layout.h"
#include "vmm/x86/load.h"

/* Everything a built VM holds. session is NULL without a container
 * (--root). Zero it, then build_check. */
struct build {
	struct vm *vm;
	struct session *session;
	struct jail jail;
	bool jail_begun;
	struct cmdline_opts co;
	struct linux_boot lb;
	char cmdline[LAYOUT_CMDLINE_MAX];
};

/* What the user can fix wherever mvm runs, before anything is made: the
 * command line, the kernel and initrd, the host's KVM. 0 or -1 with err. */
int build_check(struct build *b, const struct mvm_args *a, struct err *err);

/* Make the VM, in order: the jail's start, the VM (memory, devices,
 * vCPUs), the container session (shares, streams, net), the kernel command
 * line, the kernel and initrd loaded, the device surface checked, the jail
 * entered and the seccomp filters in. t0 is mvm's start (for the report).
 * 0, or -1 with err; what was made stays in b for build_fini. */
int build_vm(struct build *b, const struct mvm_args *a, const struct timespec *t0,
	     struct err *err);

/* Free what build_vm made, once session_fini has ended the session (not
 * under seccomp: the filter allows no more; the process's exit takes it). */
void build_fini(struct build *b);

#endif
