/* Placement (cgroup.h): cgroupsPath normalized, runc's default path, the
 * directories created in every hierarchy with pid moved in (and undone on
 * failure), the pids listed, the directories removed. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/cgroup/cgroup_int.h"

int cg_norm(const char *in, char *out, size_t cap, struct err *err)
{
	if (!in || !*in)
		return err_set(err, 1, "cgroup: no cgroupsPath");
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
			return err_set(err, 1, "cgroup: cgroupsPath %s: \".\" and \"..\" are not allowed", in);
		if (n + 1 + len >= cap)
			return err_set(err, 1, "cgroup: cgroupsPath %s is too long", in);
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	out[n] = '\0';
	if (n == 0)
		return err_set(err, 1, "cgroup: cgroupsPath %s is the root cgroup", in);
	return 0;
}

int cg_default_path(const char *id, char *out, size_t cap, struct err *err)
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
		return err_set(err, 1, "cgroup: the default path %s/%s is too long", own, id);
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

/* Create base+cg one component at a time. *first is the index (1-based) of
 * the first component this call created, or ncomp+1 if it created none:
 * everything below it is ours to remove on failure. */
static int mk_path(const char *base, const char *cg, int *first, struct err *err)
{
	int nc = ncomp(cg);
	*first = nc + 1;
	for (int k = 1; k <= nc; k++) {
		char dir[PATH_MAX];
		if (sub(dir, sizeof(dir), base, cg, k))
			return err_set(err, 1, "cgroup: path too long: %s%s", base, cg);
		if (mkdir(dir, 0755) == 0) {
			if (*first > k)
				*first = k;
		} else if (errno != EEXIST) {
			return err_sys(err, 1, errno, "cgroup: create %s", dir);
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
		if ((errno == ENOTEMPTY || errno == EEXIST) && !cg_on_cgroupfs(dir)) {
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
		cg_sleep_ms(delay);
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
static int cpuset_fill(const char *base, const char *cg, struct err *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[PATH_MAX], dir[PATH_MAX], val[1024];
	snprintf(parent, sizeof(parent), "%s", base);
	for (int k = 1; k <= ncomp(cg); k++) {
		if (sub(dir, sizeof(dir), base, cg, k))
			return err_set(err, 1, "cgroup: path too long: %s%s", base, cg);
		for (int f = 0; f < 2; f++) {
			if (cg_read(dir, files[f], val, sizeof(val)) > 0)
				continue;
			if (cg_read(parent, files[f], val, sizeof(val)) < 0)
				return err_sys(err, 1, errno, "cgroup: read %s/%s", parent, files[f]);
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
static int v2_enable(const char *root, const char *cg, unsigned need, struct err *err)
{
	char dir[PATH_MAX], avail[512], cur[512], line[600];
	snprintf(dir, sizeof(dir), "%s", root);
	if (cg_read(dir, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return err_sys(err, 1, errno, "cgroup: read %s/cgroup.controllers", dir);
	int nc = ncomp(cg);
	for (int k = 0; k < nc; k++) {
		if (sub(dir, sizeof(dir), root, cg, k))
			return err_set(err, 1, "cgroup: path too long: %s%s", root, cg);
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
			missing |= !cg_has_word(cur, w);
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s+%s", n ? " " : "", w);
			if (n >= sizeof(line))
				return err_set(err, 1, "cgroup: controller list too long in %s", dir);
			p += wl;
		}
		if (missing) {
			struct err all = { 0 };
			if (cg_write(dir, "cgroup.subtree_control", line, &all)) {
				/* One at a time: an unneeded one may fail (e.g. a
				 * controller busy with a threaded subtree). */
				for (unsigned i = 0; i < CG_NEEDS; i++) {
					char one[16];
					snprintf(one, sizeof(one), "+%s", cg_need_name[i]);
					if ((need & (1u << i)) && !cg_has_word(cur, cg_need_name[i]) &&
					    cg_write(dir, "cgroup.subtree_control", one, err))
						return -1;
				}
			}
			if (cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur)) < 0)
				cur[0] = '\0';
		}
		snprintf(avail, sizeof(avail), "%s", cur);
	}
	for (unsigned i = 0; i < CG_NEEDS; i++)
		if ((need & (1u << i)) && !cg_has_word(avail, cg_need_name[i]))
			return err_set(err, 1, "cgroup: the %s controller is not enabled in %s/cgroup.subtree_control",
				       cg_need_name[i], dir);
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
	struct err quiet = { 0 };
	if (*orig && cg_hdir(d, sizeof(d), l, name, orig, &quiet) == 0 &&
	    cg_write(d, "cgroup.procs", pid, &quiet) == 0)
		return;
	if (cg_hdir(d, sizeof(d), l, name, NULL, &quiet) == 0)
		cg_write(d, "cgroup.procs", pid, &quiet);
}

struct cg_enter_state {
	struct cg_hiers hs;
	int first[CG_MAX_HIER];
	bool joined[CG_MAX_HIER];
	char orig[CG_MAX_HIER][CG_PATH_MAX];
};

int cg_enter(const struct cg_layout *l, const char *path, pid_t pid,
	     const struct cg_resources *r, struct err *err)
{
	char cg[CG_PATH_MAX], base[PATH_MAX], pidstr[24];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	struct cg_enter_state *s = calloc(1, sizeof(*s));
	if (!s)
		return err_sys(err, 1, errno, "cgroup: enter");
	int rc = -1, i;
	unsigned need = cg_needs(r);
	if (cg_hier_list(l, &s->hs, err) || cg_check_controllers(l, need, err))
		goto out;
	for (i = 0; i < s->hs.n; i++)
		s->first[i] = INT32_MAX;
	for (i = 0; i < s->hs.n; i++) {
		if (cg_hdir(base, sizeof(base), l, s->hs.h[i].name, NULL, err) ||
		    mk_path(base, cg, &s->first[i], err))
			goto undo;
	}
	if (!l->unified && cg_v1_has(l, "cpuset") &&
	    (cg_hdir(base, sizeof(base), l, "cpuset", NULL, err) || cpuset_fill(base, cg, err)))
		goto undo;
	if (l->unified && v2_enable(l->root, cg, need, err))
		goto undo;
	/* Limits before the pid: mvm never runs unconfined in its cgroup. */
	if (cg_apply(l, cg, r, err))
		goto undo;
	read_orig(pid, &s->hs, s->orig);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	for (i = 0; i < s->hs.n; i++) {
		if (cg_hdir(base, sizeof(base), l, s->hs.h[i].name, cg, err) ||
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
		    cg_hdir(base, sizeof(base), l, s->hs.h[i].name, NULL, &(struct err){ 0 }) == 0)
			rm_created(base, cg, s->first[i]);
out:
	free(s);
	return rc;
}

int cg_pids(const struct cg_layout *l, const char *path, pid_t *out, int cap,
	    struct err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX], file[PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	/* Every hierarchy holds every pid; on v1 take one mvrun always fills. */
	const char *h = "";
	if (!l->unified) {
		static const char *const pref[] = { "pids", "memory", "freezer", "cpu", "systemd" };
		for (unsigned i = 0; i < sizeof(pref) / sizeof(pref[0]) && !*h; i++)
			if (cg_v1_has(l, pref[i]))
				h = pref[i];
		if (!*h)
			return err_set(err, 1, "cgroup: no pids, memory, freezer or cpu hierarchy under %s", l->root);
	}
	if (cg_hdir(d, sizeof(d), l, h, cg, err))
		return -1;
	if (cg_join(file, sizeof(file), d, "cgroup.procs"))
		return err_set(err, 1, "cgroup: path too long: %s", d);
	FILE *f = fopen(file, "re");
	if (!f)
		return err_sys(err, 1, errno, "cgroup: read %s", file);
	int n = 0;
	long v;
	while (fscanf(f, "%ld", &v) == 1) {
		if (cg_is_kthread(v))
			continue; /* KVM's worker thread: not a process of the container */
		if (n == cap) {
			fclose(f);
			return err_set(err, 1, "cgroup: more than %d processes in %s", cap, file);
		}
		out[n++] = (pid_t)v;
	}
	fclose(f);
	return n;
}

int cg_remove(const struct cg_layout *l, const char *path, struct err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX];
	struct cg_hiers hs;
	if (cg_norm(path, cg, sizeof(cg), err) || cg_hier_list(l, &hs, err))
		return -1;
	/* Every hierarchy is tried even after one fails, so a retry of
	 * delete finds less left behind; only the first busy one waits, so a
	 * live process costs the wait once, not once per hierarchy. */
	int rc = 0, tries = CG_RMDIR_TRIES;
	for (int i = 0; i < hs.n; i++) {
		if (cg_hdir(d, sizeof(d), l, hs.h[i].name, cg, err)) {
			rc = -1;
		} else if (rm_cgdir(d, tries)) {
			err_sys(err, 1, errno, "cgroup: remove %s", d);
			tries = 1;
			rc = -1;
		}
	}
	return rc;
}
