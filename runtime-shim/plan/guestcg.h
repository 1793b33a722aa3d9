/* The container's cgroup v2 in the guest: its files (proto/confine.h's
 * cgroup files, sent in SETUP and UPDATE), linux.resources turned into
 * cgroup v2 values as runc's cgroup v2 driver turns them, then
 * linux.resources.unified's keys as given; and UPDATE's round trip to a
 * running guest (mvrun update, kill --all). */
#ifndef MVRUN_SHIM_GUESTCG_H
#define MVRUN_SHIM_GUESTCG_H

#include <stdint.h>

#include "proto/confine.h"
#include "runtime-shim/oci/config.h"
#include "common/err.h"

/* The files and the text of the values computed here; each f[i] points
 * into text or into the cfg it was built from. */
struct gcg_files {
	uint32_t n;
	struct proto_cgfile f[PROTO_MAX_CGFILES];
	char text[PROTO_MAX_CGFILES][48];
};

/* Fill out from l: memory.max (memory.limit), memory.low (reservation),
 * cpu.max (quota, period), cpu.weight (shares), pids.max (a limit, or
 * "max" for a pids_limit of 0), cpuset.cpus and cpuset.mems (the guest's
 * own CPUs 0..vcpus-1 and node 0, when the config names a cpuset; vcpus 0
 * leaves them out), then l's unified keys. Returns 0, or -1 with err naming
 * a unified key that is not a plain CONTROLLER.FILE name (runc's
 * message) or more files than the protocol carries. */
int gcg_build(const struct cfg_linux *l, int vcpus, struct gcg_files *out, struct err *err);

#endif
