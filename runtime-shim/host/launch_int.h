/* What a container's create (launch.c) and a pod member's create
 * (member_launch.c) share on the host. */
#ifndef MVRUN_SHIM_LAUNCH_INT_H
#define MVRUN_SHIM_LAUNCH_INT_H

#include "common/err.h"
#include "runtime-shim/host/store.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/plan/spec2vm.h"

/* The empty files that single-file binds are mounted on: STATE/files and
 * STATE/files-ro (made 0700) hold nothing else, since mvm shares those
 * directories whole. 0 or -1 with err naming the file. */
int launch_make_stages(const struct s2v_plan *plan, struct err *err);

/* The state a create records first (STORE_CREATING): id, bundle, rootfs,
 * creation time, owner, the cgroup path (if the plan has one) and the
 * config's annotations. The caller adds what is its own (the VM's size, a
 * member's sandbox). 0, or -1 with err (out of memory). */
int launch_fill_state(struct store_state *st, const char *id, const char *bundle,
		      const struct s2v_plan *plan, const struct cfg *cfg, struct err *err);

#endif
