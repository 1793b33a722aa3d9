/* Resources (cgroup.h): OCI linux.resources written as v1 controller files
 * or as the v2 leaf's, after checking their controllers are there. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/cgroup/cgroup_int.h"

const char *const cg_need_name[CG_NEEDS] = { "memory", "cpu", "cpuset", "pids" };

unsigned cg_needs(const struct cg_resources *r)
{
	unsigned m = 0;
	if (r->memory_limit >= 0 || r->memory_swap >= 0)
		m |= CG_NEED_MEMORY;
	if (r->cpu_quota >= 0 || r->cpu_period > 0 || r->cpu_shares > 0)
		m |= CG_NEED_CPU;
	if (r->cpuset_cpus || r->cpuset_mems)
		m |= CG_NEED_CPUSET;
	if (r->pids_limit > 0)
		m |= CG_NEED_PIDS;
	return m;
}

int cg_check_controllers(const struct cg_layout *l, unsigned need, struct err *err)
{
	char avail[512] = "";
	if (l->unified && cg_read(l->root, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return err_sys(err, 1, errno, "cgroup: read %s/cgroup.controllers", l->root);
	for (unsigned i = 0; i < CG_NEEDS; i++) {
		if (!(need & (1u << i)))
			continue;
		if (l->unified ? !cg_has_word(avail, cg_need_name[i]) : !cg_v1_has(l, cg_need_name[i]))
			return err_set(err, 1, "cgroup: the %s controller is not available under %s%s",
				       cg_need_name[i], l->root, l->unified ? " (cgroup.controllers)" : "");
	}
	return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct err *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRId64, v);
	return cg_write(dir, file, s, err);
}

uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_v1(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
		    struct err *err)
{
	char d[PATH_MAX];
	if (r->memory_limit >= 0 || r->memory_swap >= 0) {
		if (cg_hdir(d, sizeof(d), l, "memory", cg, err))
			return -1;
		char rootmem[PATH_MAX], cur[64];
		/* memsw files exist only with swap accounting; without it the
		 * swap limit is ignored, as runc does. */
		bool memsw = r->memory_swap >= 0 &&
			     cg_hdir(rootmem, sizeof(rootmem), l, "memory", NULL, err) == 0 &&
			     cg_exists(rootmem, "memory.memsw.limit_in_bytes");
		/* The kernel keeps memsw >= memory at every step, so when memsw
		 * grows past the current memory limit it goes first (runc's order). */
		bool swap_first = false;
		if (memsw && r->memory_limit >= 0) {
			swap_first = cg_read(d, "memory.limit_in_bytes", cur, sizeof(cur)) <= 0 ||
				     strtoll(cur, NULL, 10) < r->memory_swap;
		}
		if (swap_first && write_i64(d, "memory.memsw.limit_in_bytes", r->memory_swap, err))
			return -1;
		if (r->memory_limit >= 0 && write_i64(d, "memory.limit_in_bytes", r->memory_limit, err))
			return -1;
		if (memsw && !swap_first && write_i64(d, "memory.memsw.limit_in_bytes", r->memory_swap, err))
			return -1;
	}
	if (r->cpu_shares > 0 || r->cpu_period > 0 || r->cpu_quota >= 0) {
		if (cg_hdir(d, sizeof(d), l, "cpu", cg, err))
			return -1;
		if (r->cpu_shares > 0 && write_i64(d, "cpu.shares", (int64_t)r->cpu_shares, err))
			return -1;
		if (r->cpu_period > 0 && write_i64(d, "cpu.cfs_period_us", (int64_t)r->cpu_period, err))
			return -1;
		if (r->cpu_quota >= 0 && write_i64(d, "cpu.cfs_quota_us", r->cpu_quota, err))
			return -1;
	}
	if (r->cpuset_cpus || r->cpuset_mems) {
		if (cg_hdir(d, sizeof(d), l, "cpuset", cg, err))
			return -1;
		if (r->cpuset_cpus && cg_write(d, "cpuset.cpus", r->cpuset_cpus, err))
			return -1;
		if (r->cpuset_mems && cg_write(d, "cpuset.mems", r->cpuset_mems, err))
			return -1;
	}
	if (r->pids_limit > 0) {
		if (cg_hdir(d, sizeof(d), l, "pids", cg, err) || write_i64(d, "pids.max", r->pids_limit, err))
			return -1;
	}
	return 0;
}

static int apply_v2(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
		    struct err *err)
{
	char d[PATH_MAX], s[64];
	if (cg_hdir(d, sizeof(d), l, "", cg, err))
		return -1;
	if (r->memory_limit >= 0 && write_i64(d, "memory.max", r->memory_limit, err))
		return -1;
	if (r->memory_swap >= 0) {
		/* OCI's swap is memory+swap (v1's memsw); v2 limits swap alone. */
		if (r->memory_limit < 0)
			return err_set(err, 1, "cgroup: a swap limit (%" PRId64 ") needs a memory limit on cgroup v2",
				       r->memory_swap);
		if (r->memory_swap < r->memory_limit)
			return err_set(err, 1, "cgroup: memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
				       r->memory_swap, r->memory_limit);
		int64_t swap = r->memory_swap - r->memory_limit;
		/* No swap accounting: a zero swap limit is what the kernel has
		 * anyway when it cannot swap a cgroup's memory (runc ignores it too). */
		if (!(swap == 0 && !cg_exists(d, "memory.swap.max") && cg_on_cgroupfs(d)) &&
		    write_i64(d, "memory.swap.max", swap, err))
			return -1;
	}
	if (r->cpu_quota >= 0 || r->cpu_period > 0) {
		int n = r->cpu_quota >= 0 ? snprintf(s, sizeof(s), "%" PRId64, r->cpu_quota)
					  : snprintf(s, sizeof(s), "max");
		if (r->cpu_period > 0)
			snprintf(s + n, sizeof(s) - (size_t)n, " %" PRIu64, r->cpu_period);
		if (cg_write(d, "cpu.max", s, err))
			return -1;
	}
	if (r->cpu_shares > 0 && write_i64(d, "cpu.weight", (int64_t)cg_shares_to_weight(r->cpu_shares), err))
		return -1;
	if (r->cpuset_cpus && cg_write(d, "cpuset.cpus", r->cpuset_cpus, err))
		return -1;
	if (r->cpuset_mems && cg_write(d, "cpuset.mems", r->cpuset_mems, err))
		return -1;
	if (r->pids_limit > 0 && write_i64(d, "pids.max", r->pids_limit, err))
		return -1;
	return 0;
}

int cg_apply(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
	     struct err *err)
{
	return l->unified ? apply_v2(l, cg, r, err) : apply_v1(l, cg, r, err);
}

int cg_update(const struct cg_layout *l, const char *path, const struct cg_resources *r,
	      struct err *err)
{
	char cg[CG_PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err) || cg_check_controllers(l, cg_needs(r), err))
		return -1;
	return cg_apply(l, cg, r, err);
}
