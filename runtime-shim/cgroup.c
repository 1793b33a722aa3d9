/* Placing mvm in linux.cgroupsPath and applying its resources (cgroup.h).
 *
 * A "hierarchy" here is one directory under the layout's root that holds a
 * cgroup tree: every v1 mount (memory, "cpu,cpuacct", name=systemd, ...), the
 * cgroup2 at root/unified in the hybrid layout, or root itself on pure v2.
 * mvrun creates the path in all of them and moves the pid into all of them,
 * as runc does, so /proc/<pid>/cgroup names the container's cgroup on every
 * line. Resources go to the v1 controllers, or to the v2 leaf on pure v2;
 * the hybrid layout's cgroup2 has no controllers, so it only holds the pid.
 *
 * The unit tests run this code against plain directories. On a real cgroupfs
 * the kernel provides every file and directory contents; on a plain directory
 * cg_write creates a missing file and rm_cgdir empties a directory before
 * removing it, so a test can read back what would have gone to the kernel.
 * Both fallbacks are gated on statfs() saying "not a cgroup filesystem". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "runtime-shim/cgroup.h"

#define CG_MAX_HIER 32
#define CG_PATH_MAX 2048          /* a normalized cgroupsPath */
#define CG_FREEZE_TIMEOUT_MS 5000
#define CG_RMDIR_TRIES 8          /* 10 ms doubling: about 1.3 s in all */
#define CG_ROOT "/sys/fs/cgroup"

/* What a cg_resources asks of each controller. */
enum { NEED_MEMORY = 1, NEED_CPU = 2, NEED_CPUSET = 4, NEED_PIDS = 8 };
static const char *const need_name[] = { "memory", "cpu", "cpuset", "pids" };

struct cg_hier {
	char name[64]; /* directory under root; "" for pure v2 (root itself) */
	bool v2;
};

struct cg_hiers {
	int n;
	struct cg_hier h[CG_MAX_HIER];
};

/* ---- small file helpers ---- */

static bool on_cgroupfs(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) == 0 &&
	       (s.f_type == CGROUP_SUPER_MAGIC || s.f_type == CGROUP2_SUPER_MAGIC);
}

/* out = a/b (b may be NULL or ""); -1 if it does not fit. */
static int join(char *out, size_t cap, const char *a, const char *b)
{
	int n = (b && *b) ? snprintf(out, cap, "%s/%s", a, b) : snprintf(out, cap, "%s", a);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The directory of cgroup `cg` in hierarchy `name` ("" = root itself). */
static int hdir(char *out, size_t cap, const struct cg_layout *l, const char *name,
		const char *cg, struct shim_err *err)
{
	int n = snprintf(out, cap, "%s%s%s%s", l->root, *name ? "/" : "", name, cg ? cg : "");
	if (n < 0 || (size_t)n >= cap)
		return shim_errf(err, 1, "cgroup: path too long: %s/%s%s", l->root, name, cg ? cg : "");
	return 0;
}

static int cg_write(const char *dir, const char *file, const char *val, struct shim_err *err)
{
	char path[PATH_MAX];
	if (join(path, sizeof(path), dir, file))
		return shim_errf(err, 1, "cgroup: path too long: %s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !on_cgroupfs(dir))
		fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return shim_errno(err, 1, "cgroup: write %s to %s", val, path);
	size_t len = strlen(val);
	ssize_t w = write(fd, val, len); /* cgroup files take one write */
	int e = w < 0 ? errno : EIO;
	close(fd);
	if (w != (ssize_t)len) {
		errno = e;
		return shim_errno(err, 1, "cgroup: write %s to %s", val, path);
	}
	return 0;
}

/* Read dir/file into buf (NUL-terminated, trailing whitespace removed).
 * Returns the length, or -1 with errno. */
static ssize_t cg_read(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[PATH_MAX];
	if (join(path, sizeof(path), dir, file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == cap - 1)
			break;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

static bool exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	return join(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Is `word` one of the space-separated words of `list` (a leading '+' on a
 * word of the list is ignored: a fake tree keeps what was written)? */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '+')
			p++;
		size_t n = strcspn(p, " \n");
		if (n == wl && memcmp(p, word, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* ---- paths and hierarchies ---- */

/* "/a//b/" -> "/a/b"; relative -> "/mvrun/..."; "." and ".." refused so an
 * engine's path cannot leave the hierarchy. */
static int cg_norm(const char *in, char *out, size_t cap, struct shim_err *err)
{
	if (!in || !*in)
		return shim_errf(err, 1, "cgroup: no cgroupsPath");
	size_t n = 0;
	if (in[0] != '/')
		n = (size_t)snprintf(out, cap, "/mvrun");
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return shim_errf(err, 1, "cgroup: cgroupsPath %s: \".\" and \"..\" are not allowed", in);
		if (n + 1 + len >= cap)
			return shim_errf(err, 1, "cgroup: cgroupsPath %s is too long", in);
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	out[n] = '\0';
	if (n == 0)
		return shim_errf(err, 1, "cgroup: cgroupsPath %s is the root cgroup", in);
	return 0;
}

int cg_default_path(const char *id, char *out, size_t cap, struct shim_err *err)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[CG_PATH_MAX + 64], own[CG_PATH_MAX] = "";
	bool v2 = false;
	while (f && !v2 && fgets(line, sizeof(line), f)) {
		/* "ID:CONTROLLERS:PATH"; cgroup2's is "0::PATH". */
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		b[1 + strcspn(b + 1, "\n")] = 0;
		v2 = !strncmp(line, "0::", 3);
		if (v2 || !own[0])
			snprintf(own, sizeof(own), "%s", b + 1);
	}
	if (f)
		fclose(f);
	if (!own[0] || own[0] != '/')
		snprintf(own, sizeof(own), "/");
	int n = snprintf(out, cap, "%s%s%s", own, own[1] ? "/" : "", id);
	if (n < 0 || (size_t)n >= cap)
		return shim_errf(err, 1, "cgroup: the default path %s/%s is too long", own, id);
	return 0;
}

/* Length of the first k components of a normalized path ("/a/b/c", 2 -> 4). */
static size_t prefix_len(const char *cg, int k)
{
	size_t i = 0;
	for (int c = 0; c < k && cg[i]; c++) {
		i++;
		i += strcspn(cg + i, "/");
	}
	return i;
}

/* out = base + the first k components of cg; -1 if it does not fit. */
static int sub(char *out, size_t cap, const char *base, const char *cg, int k)
{
	int n = snprintf(out, cap, "%s%.*s", base, (int)prefix_len(cg, k), cg);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int ncomp(const char *cg)
{
	int n = 0;
	for (const char *p = cg; *p; p++)
		n += *p == '/';
	return n;
}

static int cmp_hier(const void *a, const void *b)
{
	return strcmp(((const struct cg_hier *)a)->name, ((const struct cg_hier *)b)->name);
}

/* Every hierarchy of the layout: v1 ones are the real directories under root
 * holding a cgroup.procs (symlinks like cpu -> cpu,cpuacct are aliases). */
static int hier_list(const struct cg_layout *l, struct cg_hiers *hs, struct shim_err *err)
{
	hs->n = 0;
	if (l->unified) {
		hs->h[hs->n++] = (struct cg_hier){ .name = "", .v2 = true };
		return 0;
	}
	DIR *d = opendir(l->root);
	if (!d)
		return shim_errno(err, 1, "cgroup: open %s", l->root);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		struct stat st;
		char dir[PATH_MAX];
		if (nm[0] == '.' || strcmp(nm, "unified") == 0 || strlen(nm) >= sizeof(hs->h[0].name))
			continue;
		if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		if (join(dir, sizeof(dir), l->root, nm) || !exists(dir, "cgroup.procs"))
			continue;
		if (hs->n == CG_MAX_HIER - 1) {
			closedir(d);
			return shim_errf(err, 1, "cgroup: more than %d hierarchies under %s", CG_MAX_HIER - 1, l->root);
		}
		memcpy(hs->h[hs->n++].name, nm, strlen(nm) + 1); /* length checked above */
	}
	closedir(d);
	qsort(hs->h, (size_t)hs->n, sizeof(hs->h[0]), cmp_hier);
	if (l->hybrid)
		hs->h[hs->n++] = (struct cg_hier){ .name = "unified", .v2 = true };
	if (hs->n == 0)
		return shim_errf(err, 1, "cgroup: no cgroup hierarchy under %s", l->root);
	return 0;
}

/* A v1 controller's hierarchy, found by name (root/cpu works whether cpu is
 * a mount or a symlink to cpu,cpuacct). */
static bool v1_has(const struct cg_layout *l, const char *ctrl)
{
	char dir[PATH_MAX];
	return join(dir, sizeof(dir), l->root, ctrl) == 0 && exists(dir, "cgroup.procs");
}

static unsigned needs(const struct cg_resources *r)
{
	unsigned m = 0;
	if (r->memory_limit >= 0 || r->memory_swap >= 0)
		m |= NEED_MEMORY;
	if (r->cpu_quota >= 0 || r->cpu_period > 0 || r->cpu_shares > 0)
		m |= NEED_CPU;
	if (r->cpuset_cpus || r->cpuset_mems)
		m |= NEED_CPUSET;
	if (r->pids_limit > 0)
		m |= NEED_PIDS;
	return m;
}

/* Refuse up front a resource whose controller is not there: mvrun never
 * silently runs a container with less confinement than asked. */
static int check_controllers(const struct cg_layout *l, unsigned need, struct shim_err *err)
{
	char avail[512] = "";
	if (l->unified && cg_read(l->root, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return shim_errno(err, 1, "cgroup: read %s/cgroup.controllers", l->root);
	for (unsigned i = 0; i < 4; i++) {
		if (!(need & (1u << i)))
			continue;
		if (l->unified ? !has_word(avail, need_name[i]) : !v1_has(l, need_name[i]))
			return shim_errf(err, 1, "cgroup: the %s controller is not available under %s%s",
					 need_name[i], l->root, l->unified ? " (cgroup.controllers)" : "");
	}
	return 0;
}

/* ---- creation ---- */

/* Create base+cg one component at a time. *first is the index (1-based) of
 * the first component this call created, or ncomp+1 if it created none:
 * everything below it is ours to remove on failure. */
static int mk_path(const char *base, const char *cg, int *first, struct shim_err *err)
{
	int nc = ncomp(cg);
	*first = nc + 1;
	for (int k = 1; k <= nc; k++) {
		char dir[PATH_MAX];
		if (sub(dir, sizeof(dir), base, cg, k))
			return shim_errf(err, 1, "cgroup: path too long: %s%s", base, cg);
		if (mkdir(dir, 0755) == 0) {
			if (*first > k)
				*first = k;
		} else if (errno != EEXIST) {
			return shim_errno(err, 1, "cgroup: create %s", dir);
		}
	}
	return 0;
}

/* rmdir a cgroup, retrying while it is busy (a just-killed task can linger
 * for a moment). On a plain directory (fake tree) the files go first. */
static int rm_cgdir(const char *dir, int tries)
{
	long delay = 10;
	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if ((errno == ENOTEMPTY || errno == EEXIST) && !on_cgroupfs(dir)) {
			DIR *d = opendir(dir);
			struct dirent *de;
			while (d && (de = readdir(d)))
				unlinkat(dirfd(d), de->d_name, 0); /* files only: a subdirectory stays */
			if (d)
				closedir(d);
			if (rmdir(dir) == 0)
				return 0;
		}
		if (errno != EBUSY || i >= tries - 1)
			return -1;
		sleep_ms(delay);
		delay *= 2;
	}
}

/* Remove components first..ncomp of base+cg, deepest first. No retries: the
 * pid has just been moved out, and a busy parent belongs to someone else. */
static void rm_created(const char *base, const char *cg, int first)
{
	for (int k = ncomp(cg); k >= first; k--) {
		char dir[PATH_MAX];
		if (sub(dir, sizeof(dir), base, cg, k) == 0)
			rm_cgdir(dir, 1);
	}
}

/* v1 cpuset: a new cgroup starts with empty cpuset.cpus and cpuset.mems and
 * takes no task until both are set, so copy them down from the parent at
 * every level that is still empty (runc's ensureParent does the same). */
static int cpuset_fill(const char *base, const char *cg, struct shim_err *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[PATH_MAX], dir[PATH_MAX], val[1024];
	snprintf(parent, sizeof(parent), "%s", base);
	for (int k = 1; k <= ncomp(cg); k++) {
		if (sub(dir, sizeof(dir), base, cg, k))
			return shim_errf(err, 1, "cgroup: path too long: %s%s", base, cg);
		for (int f = 0; f < 2; f++) {
			if (cg_read(dir, files[f], val, sizeof(val)) > 0)
				continue;
			if (cg_read(parent, files[f], val, sizeof(val)) < 0)
				return shim_errno(err, 1, "cgroup: read %s/%s", parent, files[f]);
			if (cg_write(dir, files[f], val, err))
				return -1;
		}
		memcpy(parent, dir, sizeof(parent));
	}
	return 0;
}

/* v2: a child's controllers are those its parent enables in
 * cgroup.subtree_control. Enable every available one (as runc does, so
 * engines get their stats) at each level above the leaf; a needed one that
 * cannot be enabled is an error naming the file. */
static int v2_enable(const char *root, const char *cg, unsigned need, struct shim_err *err)
{
	char dir[PATH_MAX], avail[512], cur[512], line[600];
	snprintf(dir, sizeof(dir), "%s", root);
	if (cg_read(dir, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return shim_errno(err, 1, "cgroup: read %s/cgroup.controllers", dir);
	int nc = ncomp(cg);
	for (int k = 0; k < nc; k++) {
		if (sub(dir, sizeof(dir), root, cg, k))
			return shim_errf(err, 1, "cgroup: path too long: %s%s", root, cg);
		if (cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur)) < 0)
			cur[0] = '\0';
		/* Every available controller, written in one go: enabling an
		 * enabled one is a no-op for the kernel, and a fake tree keeps the
		 * whole list. */
		size_t n = 0;
		bool missing = false;
		line[0] = '\0';
		for (const char *p = avail; *p;) {
			while (*p == ' ' || *p == '+')
				p++;
			size_t wl = strcspn(p, " ");
			if (!wl)
				break;
			char w[64];
			snprintf(w, sizeof(w), "%.*s", (int)wl, p);
			missing |= !has_word(cur, w);
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s+%s", n ? " " : "", w);
			if (n >= sizeof(line))
				return shim_errf(err, 1, "cgroup: controller list too long in %s", dir);
			p += wl;
		}
		if (missing) {
			struct shim_err all = { 0 };
			if (cg_write(dir, "cgroup.subtree_control", line, &all)) {
				/* One at a time: an unneeded one may fail (e.g. a
				 * controller busy with a threaded subtree). */
				for (unsigned i = 0; i < 4; i++) {
					char one[16];
					snprintf(one, sizeof(one), "+%s", need_name[i]);
					if ((need & (1u << i)) && !has_word(cur, need_name[i]) &&
					    cg_write(dir, "cgroup.subtree_control", one, err))
						return -1;
				}
			}
			if (cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur)) < 0)
				cur[0] = '\0';
		}
		snprintf(avail, sizeof(avail), "%s", cur);
	}
	for (unsigned i = 0; i < 4; i++)
		if ((need & (1u << i)) && !has_word(avail, need_name[i]))
			return shim_errf(err, 1, "cgroup: the %s controller is not enabled in %s/cgroup.subtree_control",
					 need_name[i], dir);
	return 0;
}

/* ---- resources ---- */

static int write_i64(const char *dir, const char *file, int64_t v, struct shim_err *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRId64, v);
	return cg_write(dir, file, s, err);
}

/* OCI's cpu.shares (2..262144) to cgroup v2's cpu.weight (1..10000), the
 * formula runc and crun use. */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_v1(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
		    struct shim_err *err)
{
	char d[PATH_MAX];
	if (r->memory_limit >= 0 || r->memory_swap >= 0) {
		if (hdir(d, sizeof(d), l, "memory", cg, err))
			return -1;
		char rootmem[PATH_MAX], cur[64];
		/* memsw files exist only with swap accounting; without it the
		 * swap limit is ignored, as runc does. */
		bool memsw = r->memory_swap >= 0 && hdir(rootmem, sizeof(rootmem), l, "memory", NULL, err) == 0 &&
			     exists(rootmem, "memory.memsw.limit_in_bytes");
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
		if (hdir(d, sizeof(d), l, "cpu", cg, err))
			return -1;
		if (r->cpu_shares > 0 && write_i64(d, "cpu.shares", (int64_t)r->cpu_shares, err))
			return -1;
		if (r->cpu_period > 0 && write_i64(d, "cpu.cfs_period_us", (int64_t)r->cpu_period, err))
			return -1;
		if (r->cpu_quota >= 0 && write_i64(d, "cpu.cfs_quota_us", r->cpu_quota, err))
			return -1;
	}
	if (r->cpuset_cpus || r->cpuset_mems) {
		if (hdir(d, sizeof(d), l, "cpuset", cg, err))
			return -1;
		if (r->cpuset_cpus && cg_write(d, "cpuset.cpus", r->cpuset_cpus, err))
			return -1;
		if (r->cpuset_mems && cg_write(d, "cpuset.mems", r->cpuset_mems, err))
			return -1;
	}
	if (r->pids_limit > 0) {
		if (hdir(d, sizeof(d), l, "pids", cg, err) || write_i64(d, "pids.max", r->pids_limit, err))
			return -1;
	}
	return 0;
}

static int apply_v2(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
		    struct shim_err *err)
{
	char d[PATH_MAX], s[64];
	if (hdir(d, sizeof(d), l, "", cg, err))
		return -1;
	if (r->memory_limit >= 0 && write_i64(d, "memory.max", r->memory_limit, err))
		return -1;
	if (r->memory_swap >= 0) {
		/* OCI's swap is memory+swap (v1's memsw); v2 limits swap alone. */
		if (r->memory_limit < 0)
			return shim_errf(err, 1, "cgroup: a swap limit (%" PRId64 ") needs a memory limit on cgroup v2",
					 r->memory_swap);
		if (r->memory_swap < r->memory_limit)
			return shim_errf(err, 1, "cgroup: memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
					 r->memory_swap, r->memory_limit);
		int64_t swap = r->memory_swap - r->memory_limit;
		/* No swap accounting: a zero swap limit is what the kernel has
		 * anyway when it cannot swap a cgroup's memory (runc ignores it too). */
		if (!(swap == 0 && !exists(d, "memory.swap.max") && on_cgroupfs(d)) &&
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
	if (r->cpu_shares > 0 && write_i64(d, "cpu.weight", (int64_t)shares_to_weight(r->cpu_shares), err))
		return -1;
	if (r->cpuset_cpus && cg_write(d, "cpuset.cpus", r->cpuset_cpus, err))
		return -1;
	if (r->cpuset_mems && cg_write(d, "cpuset.mems", r->cpuset_mems, err))
		return -1;
	if (r->pids_limit > 0 && write_i64(d, "pids.max", r->pids_limit, err))
		return -1;
	return 0;
}

static int apply(const struct cg_layout *l, const char *cg, const struct cg_resources *r,
		 struct shim_err *err)
{
	return l->unified ? apply_v2(l, cg, r, err) : apply_v1(l, cg, r, err);
}

/* ---- public ---- */

int cg_detect(struct cg_layout *l, const char *root, struct shim_err *err)
{
	memset(l, 0, sizeof(*l));
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 0 || rl >= sizeof(l->root))
		return shim_errf(err, 1, "cgroup: bad cgroup root \"%s\"", root);
	memcpy(l->root, root, rl);
	char uni[PATH_MAX];
	snprintf(uni, sizeof(uni), "%s/unified", l->root);
	bool v1 = false, v2_sub = false;
	if (strcmp(l->root, CG_ROOT) == 0) {
		/* The real root: believe the mount table, not the directories
		 * (an unmounted leftover directory is not a hierarchy).
		 * mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTS [OPT...] - FSTYPE ... */
		FILE *f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return shim_errno(err, 1, "cgroup: open /proc/self/mountinfo");
		char line[4096], mnt[PATH_MAX];
		while (fgets(line, sizeof(line), f)) {
			const char *sep = strstr(line, " - ");
			char fstype[32];
			if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
			    sscanf(sep + 3, "%31s", fstype) != 1)
				continue;
			if (strcmp(fstype, "cgroup2") == 0 && strcmp(mnt, l->root) == 0)
				l->unified = true;
			else if (strcmp(fstype, "cgroup2") == 0 && strcmp(mnt, uni) == 0)
				v2_sub = true;
			else if (strcmp(fstype, "cgroup") == 0 && strncmp(mnt, l->root, rl) == 0 && mnt[rl] == '/')
				v1 = true;
		}
		fclose(f);
	} else {
		/* A fake tree (tests): its shape says what it imitates. */
		if (exists(l->root, "cgroup.controllers")) {
			l->unified = true;
		} else {
			struct cg_hiers hs;
			v1 = hier_list(l, &hs, &(struct shim_err){ 0 }) == 0;
			v2_sub = exists(uni, "cgroup.controllers");
		}
	}
	if (l->unified)
		return 0;
	if (!v1)
		return shim_errf(err, 1, "cgroup: no cgroup filesystem at %s", l->root);
	l->hybrid = v2_sub;
	return 0;
}

/* Where pid is now, per hierarchy (from /proc/PID/cgroup), so a failed
 * cg_enter can put it back. orig[i] is "" when unknown. */
static void read_orig(pid_t pid, const struct cg_hiers *hs, char (*orig)[CG_PATH_MAX])
{
	char path[64], line[CG_PATH_MAX + 128];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctl = c1 + 1, *p = c2 + 1;
		if (strncmp(ctl, "name=", 5) == 0)
			ctl += 5;
		for (int i = 0; i < hs->n; i++) {
			if (hs->h[i].v2 ? *ctl == '\0' && c1 == line + 1 && line[0] == '0'
					: strcmp(ctl, hs->h[i].name) == 0) {
				snprintf(orig[i], CG_PATH_MAX, "%.*s", (int)strcspn(p, "\n"), p);
			}
		}
	}
	fclose(f);
}

/* Put pid back where it was in one hierarchy, or in its root when that is
 * gone, so the directories cg_enter made can be removed. Best effort: the
 * error that got here is the one reported. */
static void move_back(const struct cg_layout *l, const char *name, const char *orig, const char *pid)
{
	char d[PATH_MAX];
	struct shim_err quiet = { 0 };
	if (*orig && hdir(d, sizeof(d), l, name, orig, &quiet) == 0 &&
	    cg_write(d, "cgroup.procs", pid, &quiet) == 0)
		return;
	if (hdir(d, sizeof(d), l, name, NULL, &quiet) == 0)
		cg_write(d, "cgroup.procs", pid, &quiet);
}

struct cg_enter_state {
	struct cg_hiers hs;
	int first[CG_MAX_HIER];
	bool joined[CG_MAX_HIER];
	char orig[CG_MAX_HIER][CG_PATH_MAX];
};

int cg_enter(const struct cg_layout *l, const char *path, pid_t pid,
	     const struct cg_resources *r, struct shim_err *err)
{
	char cg[CG_PATH_MAX], base[PATH_MAX], pidstr[24];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	struct cg_enter_state *s = calloc(1, sizeof(*s));
	if (!s)
		return shim_errno(err, 1, "cgroup: enter");
	int rc = -1, i;
	unsigned need = needs(r);
	if (hier_list(l, &s->hs, err) || check_controllers(l, need, err))
		goto out;
	for (i = 0; i < s->hs.n; i++)
		s->first[i] = INT32_MAX;
	for (i = 0; i < s->hs.n; i++) {
		if (hdir(base, sizeof(base), l, s->hs.h[i].name, NULL, err) ||
		    mk_path(base, cg, &s->first[i], err))
			goto undo;
	}
	if (!l->unified && v1_has(l, "cpuset") &&
	    (hdir(base, sizeof(base), l, "cpuset", NULL, err) || cpuset_fill(base, cg, err)))
		goto undo;
	if (l->unified && v2_enable(l->root, cg, need, err))
		goto undo;
	/* Limits before the pid: mvm never runs unconfined in its cgroup. */
	if (apply(l, cg, r, err))
		goto undo;
	read_orig(pid, &s->hs, s->orig);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	for (i = 0; i < s->hs.n; i++) {
		if (hdir(base, sizeof(base), l, s->hs.h[i].name, cg, err) ||
		    cg_write(base, "cgroup.procs", pidstr, err))
			goto undo;
		s->joined[i] = true;
	}
	rc = 0;
	goto out;
undo:
	for (i = 0; i < s->hs.n; i++)
		if (s->joined[i])
			move_back(l, s->hs.h[i].name, s->orig[i], pidstr);
	for (i = 0; i < s->hs.n; i++)
		if (s->first[i] != INT32_MAX &&
		    hdir(base, sizeof(base), l, s->hs.h[i].name, NULL, &(struct shim_err){ 0 }) == 0)
			rm_created(base, cg, s->first[i]);
out:
	free(s);
	return rc;
}

int cg_update(const struct cg_layout *l, const char *path, const struct cg_resources *r,
	      struct shim_err *err)
{
	char cg[CG_PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err) || check_controllers(l, needs(r), err))
		return -1;
	return apply(l, cg, r, err);
}

static int freeze_v1(const char *d, bool frozen, struct shim_err *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	char cur[32] = "";
	long deadline = now_ms() + CG_FREEZE_TIMEOUT_MS;
	for (int i = 0;; i++) {
		/* A task can hold FREEZING for long (e.g. in vfork); thawing and
		 * freezing again gets it unstuck, as runc does. */
		if (frozen && i % 50 == 49)
			cg_write(d, "freezer.state", "THAWED", &(struct shim_err){ 0 });
		if (cg_write(d, "freezer.state", want, err))
			return -1;
		if (cg_read(d, "freezer.state", cur, sizeof(cur)) < 0)
			return shim_errno(err, 1, "cgroup: read %s/freezer.state", d);
		if (strcmp(cur, want) == 0)
			return 0;
		if (now_ms() > deadline)
			break;
		sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(d, "freezer.state", "THAWED", &(struct shim_err){ 0 });
	return shim_errf(err, 1, "cgroup: %s/freezer.state still reads %s after %d s", d, cur,
			 CG_FREEZE_TIMEOUT_MS / 1000);
}

/* A kernel thread (PF_KTHREAD in /proc/PID/stat's flags field)? */
static bool is_kthread(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long flags = 0;
	/* after "comm)": state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000; /* PF_KTHREAD */
}

/* KVM_CREATE_VM attaches the VM's worker kthread (kvm-nx-lpage-recovery)
 * to mvm's cgroups. cgroup2 never freezes kernel threads, yet counts them,
 * so cgroup.events would never say "frozen 1": move them to the root (v2
 * refuses only kthreads pinned by PF_NO_SETAFFINITY, which these are not). */
static void evict_kthreads(const char *d, const char *root)
{
	char file[PATH_MAX], buf[64];
	if (join(file, sizeof(file), d, "cgroup.procs"))
		return;
	FILE *f = fopen(file, "re");
	long pid;
	while (f && fscanf(f, "%ld", &pid) == 1)
		if (is_kthread(pid)) {
			snprintf(buf, sizeof(buf), "%ld", pid);
			cg_write(root, "cgroup.procs", buf, &(struct shim_err){ 0 });
		}
	if (f)
		fclose(f);
}

static int freeze_v2(const char *d, const char *root, bool frozen, struct shim_err *err)
{
	char ev[512];
	long deadline = now_ms() + CG_FREEZE_TIMEOUT_MS;
	if (frozen)
		evict_kthreads(d, root);
	if (cg_write(d, "cgroup.freeze", frozen ? "1" : "0", err))
		return -1;
	for (int i = 0;; i++) {
		if (cg_read(d, "cgroup.events", ev, sizeof(ev)) < 0)
			return shim_errno(err, 1, "cgroup: read %s/cgroup.events", d);
		const char *p = strstr(ev, "frozen ");
		if (p && (p == ev || p[-1] == '\n') && (p[7] == '1') == frozen)
			return 0;
		if (now_ms() > deadline)
			break;
		sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(d, "cgroup.freeze", "0", &(struct shim_err){ 0 });
	return shim_errf(err, 1, "cgroup: %s/cgroup.events does not say frozen %d after %d s", d, frozen,
			 CG_FREEZE_TIMEOUT_MS / 1000);
}

int cg_freeze(const struct cg_layout *l, const char *path, bool frozen, struct shim_err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	if (l->unified)
		return hdir(d, sizeof(d), l, "", cg, err) ? -1 : freeze_v2(d, l->root, frozen, err);
	if (v1_has(l, "freezer"))
		return hdir(d, sizeof(d), l, "freezer", cg, err) ? -1 : freeze_v1(d, frozen, err);
	/* Hybrid without a v1 freezer: cgroup2's core freezer needs no controller. */
	if (l->hybrid) {
		char root[PATH_MAX];
		if (join(root, sizeof(root), l->root, "unified"))
			return shim_errf(err, 1, "cgroup: path too long: %s", l->root);
		return hdir(d, sizeof(d), l, "unified", cg, err) ? -1 : freeze_v2(d, root, frozen, err);
	}
	return shim_errf(err, 1, "cgroup: no freezer hierarchy under %s", l->root);
}

int cg_pids(const struct cg_layout *l, const char *path, pid_t *out, int cap,
	    struct shim_err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX], file[PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	/* Every hierarchy holds every pid; on v1 take one mvrun always fills. */
	const char *h = "";
	if (!l->unified) {
		static const char *const pref[] = { "pids", "memory", "freezer", "cpu", "systemd" };
		for (unsigned i = 0; i < sizeof(pref) / sizeof(pref[0]) && !*h; i++)
			if (v1_has(l, pref[i]))
				h = pref[i];
		if (!*h)
			return shim_errf(err, 1, "cgroup: no pids, memory, freezer or cpu hierarchy under %s", l->root);
	}
	if (hdir(d, sizeof(d), l, h, cg, err))
		return -1;
	if (join(file, sizeof(file), d, "cgroup.procs"))
		return shim_errf(err, 1, "cgroup: path too long: %s", d);
	FILE *f = fopen(file, "re");
	if (!f)
		return shim_errno(err, 1, "cgroup: read %s", file);
	int n = 0;
	long v;
	while (fscanf(f, "%ld", &v) == 1) {
		if (is_kthread(v))
			continue; /* KVM's worker thread: not a process of the container */
		if (n == cap) {
			fclose(f);
			return shim_errf(err, 1, "cgroup: more than %d processes in %s", cap, file);
		}
		out[n++] = (pid_t)v;
	}
	fclose(f);
	return n;
}

int cg_remove(const struct cg_layout *l, const char *path, struct shim_err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX];
	struct cg_hiers hs;
	if (cg_norm(path, cg, sizeof(cg), err) || hier_list(l, &hs, err))
		return -1;
	/* Every hierarchy is tried even after one fails, so a retry of
	 * delete finds less left behind; only the first busy one waits, so a
	 * live process costs the wait once, not once per hierarchy. */
	int rc = 0, tries = CG_RMDIR_TRIES;
	for (int i = 0; i < hs.n; i++) {
		if (hdir(d, sizeof(d), l, hs.h[i].name, cg, err)) {
			rc = -1;
		} else if (rm_cgdir(d, tries)) {
			shim_errno(err, 1, "cgroup: remove %s", d);
			tries = 1;
			rc = -1;
		}
	}
	return rc;
}
