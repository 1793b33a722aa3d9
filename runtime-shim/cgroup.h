/* Placing a container's host process (mvm) in linux.cgroupsPath and applying
 * its resources, on cgroup v1, v2 and the hybrid layout (v1 controllers plus
 * an empty cgroup2 at /sys/fs/cgroup/unified) that this project's machines
 * have. Engines read stats and OOM events through /proc/<pid>/cgroup. */
#ifndef MVRUN_SHIM_CGROUP_H
#define MVRUN_SHIM_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime-shim/err.h"

/* The resources mvrun applies (a subset of OCI linux.resources). A field
 * left at its "unset" value is not written. */
struct cg_resources {
	int64_t memory_limit;   /* bytes, -1 unset; also sizes the guest */
	int64_t memory_swap;    /* bytes, -1 unset */
	int64_t cpu_quota;      /* µs per period, -1 unset */
	uint64_t cpu_period;    /* µs, 0 unset */
	uint64_t cpu_shares;    /* 0 unset (v2: converted to cpu.weight) */
	const char *cpuset_cpus;/* NULL unset */
	const char *cpuset_mems;
	int64_t pids_limit;     /* -1 unset, 0 unlimited in OCI terms is treated as unset */
};

/* Where the cgroup filesystem(s) are; `root` is normally "/sys/fs/cgroup"
 * (tests point it at a fake tree). */
struct cg_layout {
	char root[256];
	bool unified;           /* pure v2 at root */
	bool hybrid;            /* v1 controllers + cgroup2 at root/unified */
};

/* Detect the layout under `root` (mounts are read from /proc/self/mountinfo
 * unless root is not "/sys/fs/cgroup", then from the directory structure).
 * Returns 0 or -1 with err. */
int cg_detect(struct cg_layout *l, const char *root, struct shim_err *err);

/* Create cgroupsPath (absolute, e.g. "/docker/ID" or "/libpod_parent/libpod-ID";
 * a relative path goes under "/mvrun") in every hierarchy mvrun uses, move
 * `pid` into it, and apply r. Fails with a clear message naming the file and
 * value it could not write; on failure nothing it created is left. */
int cg_enter(const struct cg_layout *l, const char *path, pid_t pid,
	     const struct cg_resources *r, struct shim_err *err);

/* Apply r to an existing cgroup (mvrun update). Values that cannot change on a
 * running VM (memory above the guest's RAM, more CPUs than vCPUs) are the
 * caller's to refuse; this only writes the files. */
int cg_update(const struct cg_layout *l, const char *path, const struct cg_resources *r,
	      struct shim_err *err);

/* Freeze or thaw every process in the cgroup (mvrun pause/resume). Waits for
 * the freezer to settle. */
int cg_freeze(const struct cg_layout *l, const char *path, bool frozen, struct shim_err *err);

/* The pids in the cgroup (mvrun ps), into out (cap entries). Returns the
 * count or -1. */
int cg_pids(const struct cg_layout *l, const char *path, pid_t *out, int cap,
	    struct shim_err *err);

/* Remove the cgroup directories (after the processes are gone). Missing ones
 * are fine. Returns 0 or -1. */
int cg_remove(const struct cg_layout *l, const char *path, struct shim_err *err);

#endif
