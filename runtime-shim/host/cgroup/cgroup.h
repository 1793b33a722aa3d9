/* Placing a container's host process (mvm) in linux.cgroupsPath and applying
 * its resources, on cgroup v1, v2 and the hybrid layout (v1 controllers plus
 * an empty cgroup2 at /sys/fs/cgroup/unified) that this project's machines
 * have. Engines read stats and OOM events through /proc/<pid>/cgroup. */
#ifndef MVRUN_SHIM_CGROUP_H
#define MVRUN_SHIM_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime-shim/oci/config.h" /* struct cg_resources */

/* Where the cgroup filesystem(s) are; `root` is normally "/sys/fs/cgroup"
 * (tests point it at a fake tree). */
struct cg_layout {
	char root[256];
	bool unified;           /* pure v2 at root */
	bool hybrid;            /* v1 controllers + cgroup2 at root/unified */
};

/* Detect the layout under `root` (mounts are read from /proc/self/mountinfo
 * unless root is not "/sys/fs/cgroup", then from the directory structure:
 * root/cgroup.controllers = v2; subdirectories holding cgroup.procs = v1;
 * those plus unified/cgroup.controllers = hybrid). Returns 0 or -1 with err. */
int cg_detect(struct cg_layout *l, const char *root, struct err *err);

/* runc's cgroup for a config without linux.cgroupsPath: the caller's own
 * cgroup (its cgroup2 line of /proc/self/cgroup, else its first
 * hierarchy's) joined with the container id, "/ID" from the root. Writes it
 * to out (cap bytes); returns 0 or -1 with err. */
int cg_default_path(const char *id, char *out, size_t cap, struct err *err);

/* Create cgroupsPath (absolute, e.g. "/docker/ID" or "/libpod_parent/libpod-ID";
 * a relative path goes under "/mvrun"; "." and ".." are refused) in every
 * hierarchy (each v1 mount including name=systemd, and the hybrid layout's
 * cgroup2, as runc does), apply r, then move `pid` into it. v1 cpuset.cpus
 * and .mems are copied down from the parent where empty; v2 parents get the
 * available controllers in cgroup.subtree_control. No device rules are
 * written: devices apply inside the guest. Fails with a message naming the
 * file and value ("cgroup: write 1073741824 to /sys/fs/cgroup/memory/docker/ID/
 * memory.limit_in_bytes: Invalid argument"); on failure the pid is put back
 * and nothing it created is left. */
int cg_enter(const struct cg_layout *l, const char *path, pid_t pid,
	     const struct cg_resources *r, struct err *err);

/* Apply r to an existing cgroup (mvrun update). Values that cannot change on a
 * running VM (memory above the guest's RAM, more CPUs than vCPUs) are the
 * caller's to refuse; this only writes the files. */
int cg_update(const struct cg_layout *l, const char *path, const struct cg_resources *r,
	      struct err *err);

/* Freeze or thaw every process in the cgroup (mvrun pause/resume): the v1
 * freezer (hybrid without it: cgroup2's cgroup.freeze). Waits up to 5 s for
 * freezer.state or cgroup.events to agree; a freeze that does not settle is
 * undone and reported. */
int cg_freeze(const struct cg_layout *l, const char *path, bool frozen, struct err *err);

/* The pids in the cgroup (mvrun ps), into out (cap entries). Returns the
 * count, or -1 (also when there are more than cap: never a silent cut). */
int cg_pids(const struct cg_layout *l, const char *path, pid_t *out, int cap,
	    struct err *err);

/* Remove the cgroup's leaf directory in every hierarchy (after the processes
 * are gone; parents like "/docker" stay). Missing ones are fine; a busy one
 * is retried for about 1.3 s (a killed process lingers until reaped), and
 * the others are still removed. Returns 0 or -1. */
int cg_remove(const struct cg_layout *l, const char *path, struct err *err);

#endif
