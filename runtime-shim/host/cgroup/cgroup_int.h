/* What the parts of cgroup.h's implementation share (cgroup.c: the layout
 * and its files; cgroup_place.c; cgroup_res.c; cgroup_freeze.c), and what
 * the unit tests reach. Not for other modules: they use cgroup.h. */
#ifndef MVRUN_SHIM_CGROUP_INT_H
#define MVRUN_SHIM_CGROUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "common/err.h"

#define CG_MAX_HIER 32
#define CG_PATH_MAX 2048          /* a normalized cgroupsPath */
#define CG_RMDIR_TRIES 8          /* 10 ms doubling: about 1.3 s in all */
#define CG_ROOT "/sys/fs/cgroup"

/* What a cg_resources asks of each controller: bit i is cg_need_name[i]. */
enum { CG_NEED_MEMORY = 1, CG_NEED_CPU = 2, CG_NEED_CPUSET = 4, CG_NEED_PIDS = 8, CG_NEEDS = 4 };

/* The controllers' names, indexed by the bit number of a CG_NEED_* flag. */
extern const char *const cg_need_name[CG_NEEDS];

/* One hierarchy: a directory under the layout's root holding a cgroup tree. */
struct cg_hier {
	char name[64]; /* directory under root; "" for pure v2 (root itself) */
	bool v2;
};

struct cg_hiers {
	int n;
	struct cg_hier h[CG_MAX_HIER];
};

/* ---- the layout and its files (cgroup.c) ---- */

/* Whether dir is on a cgroup (v1 or v2) filesystem, not a plain directory. */
bool cg_on_cgroupfs(const char *dir);

/* out = a/b (b may be NULL or ""); -1 if it does not fit. */
int cg_join(char *out, size_t cap, const char *a, const char *b);

/* The directory of cgroup `cg` (NULL: the hierarchy's root) in hierarchy
 * `name` ("" = root itself) into out. Returns 0 or -1 with err. */
int cg_hdir(char *out, size_t cap, const struct cg_layout *l, const char *name, const char *cg,
	    struct err *err);

/* Write val to dir/file in one write (a plain directory gets a missing file
 * created). Returns 0, or -1 with err naming the value and the file. */
int cg_write(const char *dir, const char *file, const char *val, struct err *err);

/* Read dir/file (file NULL: dir is the file) into buf, NUL-terminated,
 * trailing whitespace removed. Returns the length, or -1 with errno. */
ssize_t cg_read(const char *dir, const char *file, char *buf, size_t cap);

/* Whether dir/file exists. */
bool cg_exists(const char *dir, const char *file);

/* Sleep ms milliseconds, through signals. */
void cg_sleep_ms(long ms);

/* Is `word` one of the space-separated words of `list` (a leading '+' on a
 * word of the list is ignored: a fake tree keeps what was written)? */
bool cg_has_word(const char *list, const char *word);

/* Every hierarchy of the layout, sorted, the hybrid layout's "unified" last:
 * v1 ones are the real directories under root holding a cgroup.procs
 * (symlinks like cpu -> cpu,cpuacct are aliases). Returns 0 or -1 with err. */
int cg_hier_list(const struct cg_layout *l, struct cg_hiers *hs, struct err *err);

/* Whether the v1 controller has a hierarchy, found by name (root/cpu works
 * whether cpu is a mount or a symlink to cpu,cpuacct). */
bool cg_v1_has(const struct cg_layout *l, const char *ctrl);

/* A kernel thread (PF_KTHREAD in /proc/PID/stat's flags field)? */
bool cg_is_kthread(long pid);

/* ---- placement (cgroup_place.c) ---- */

/* cgroupsPath normalized into out: "/a//b/" -> "/a/b"; relative ->
 * "/mvrun/..."; "." and ".." refused so an engine's path cannot leave the
 * hierarchy, and so is the root. Returns 0 or -1 with err. */
int cg_norm(const char *in, char *out, size_t cap, struct err *err);

/* ---- resources (cgroup_res.c) ---- */

/* The CG_NEED_* flags of the controllers r sets a value for. */
unsigned cg_needs(const struct cg_resources *r);

/* Refuse up front a resource whose controller is not there: mvrun never
 * silently runs a container with less confinement than asked. Returns 0 or
 * -1 with err naming the controller. */
int cg_check_controllers(const struct cg_layout *l, unsigned need, struct err *err);

/* OCI's cpu.shares (2..262144, clamped) to cgroup v2's cpu.weight
 * (1..10000), the formula runc and crun use. */
uint64_t cg_shares_to_weight(uint64_t shares);

/* Write r's set values into cgroup cg (normalized): the v1 controllers'
 * files, or the v2 leaf's. Returns 0 or -1 with err naming file and value. */
int cg_apply(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
	     struct err *err);

#endif
