/* A container's statistics for mvrun events, in runc 1.1's types.Stats
 * JSON, read from the host cgroups its process (mvm) is in: CPU and memory
 * as the host sees the VM (mvm's threads and memory, the guest's included),
 * pids counting the host processes (mvm's threads, the exec relays). The
 * cgroups are found as engines find them, through /proc/PID/cgroup. */
#ifndef MVRUN_SHIM_CGSTATS_H
#define MVRUN_SHIM_CGSTATS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"

#define CGS_PATH_MAX 512

/* Each controller's directory ("" when its hierarchy is not mounted), or
 * the cgroup2 directory alone on a pure v2 host. */
struct cgs {
	char cpuacct[CGS_PATH_MAX], cpu[CGS_PATH_MAX], memory[CGS_PATH_MAX];
	char pids[CGS_PATH_MAX], cpuset[CGS_PATH_MAX];
	char unified[CGS_PATH_MAX]; /* set only when the cgroup is v2 (no v1 memory) */
};

/* Find the directories from proc_cgroup (a /proc/PID/cgroup file) under
 * root (normally /sys/fs/cgroup; tests pass a fake tree). Returns 0, or -1
 * with err when the file cannot be read or names no cgroup that is there. */
int cgs_find(const char *proc_cgroup, const char *root, struct cgs *c, struct err *err);

/* Write the stats object (runc's "data") to f: cpu, cpuset, memory, pids,
 * blkio, hugetlb, intel_rdt, network_interfaces, in runc's order and with
 * its omitempty rules. Files missing from a hierarchy read as 0. */
void cgs_write_json(const struct cgs *c, FILE *f);

/* How many times the kernel's OOM killer acted in the memory cgroup (v1
 * memory.oom_control oom_kill, v2 memory.events oom_kill); 0 if unknown. */
uint64_t cgs_oom_kills(const struct cgs *c);

#endif
