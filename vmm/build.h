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
#include "vmm/snap/snap_vm.h"
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
	struct snap_file snap; /* --restore's snapshot; snap.mem_fd -1: a cold boot */
	struct snap_out out;   /* --snapshot-save's output */
	char note[512];        /* why a --restore booted cold, for main to print; "" */
};

/* What the user can fix wherever mvm runs, before anything is made: the
 * command line, the kernel and initrd, the host's KVM. 0 or -1 with err. */
int build_check(struct build *b, const struct mvm_args *a, struct err *err);

/* Make the VM, in order: --restore's snapshot opened (one that cannot be
 * used is input gone bad: b->note says why, and the guest boots cold) and
 * --snapshot-save's output prepared, the jail's start, the VM (memory from
 * the snapshot or fresh, devices, vCPUs), the container session (shares,
 * streams, net), the kernel command line, the kernel and initrd loaded or
 * the snapshot's state, the device surface checked, the jail entered and
 * the seccomp filters in (not when saving: the main thread writes the
 * snapshot after the run). t0 is mvm's start (for the report). 0, or -1
 * with err; what was made stays in b for build_fini. */
int build_vm(struct build *b, const struct mvm_args *a, const struct timespec *t0,
	     struct err *err);

/* After the run of a --snapshot-save VM: write the snapshot. 0 or -1 with
 * err. */
int build_save(struct build *b, struct err *err);

/* Close the snapshot files (an unfinished save is removed). */
void build_snap_fini(struct build *b);

/* Free what build_vm made, once session_fini has ended the session (not
 * under seccomp: the filter allows no more; the process's exit takes it). */
void build_fini(struct build *b);

#endif
