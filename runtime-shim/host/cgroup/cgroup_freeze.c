/* The freezer (cgroup.h): mvrun pause and resume through the v1 freezer or
 * cgroup2's cgroup.freeze, waiting for the kernel to agree. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/cgroup/cgroup_int.h"

#define CG_FREEZE_TIMEOUT_MS 5000

static int freeze_v1(const char *d, bool frozen, struct err *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	char cur[32] = "";
	long deadline = clock_ms() + CG_FREEZE_TIMEOUT_MS;
	for (int i = 0;; i++) {
		/* A task can hold FREEZING for long (e.g. in vfork); thawing and
		 * freezing again gets it unstuck, as runc does. */
		if (frozen && i % 50 == 49)
			cg_write(d, "freezer.state", "THAWED", &(struct err){ 0 });
		if (cg_write(d, "freezer.state", want, err))
			return -1;
		if (cg_read(d, "freezer.state", cur, sizeof(cur)) < 0)
			return err_sys(err, 1, errno, "cgroup: read %s/freezer.state", d);
		if (strcmp(cur, want) == 0)
			return 0;
		if (clock_ms() > deadline)
			break;
		cg_sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(d, "freezer.state", "THAWED", &(struct err){ 0 });
	return err_set(err, 1, "cgroup: %s/freezer.state still reads %s after %d s", d, cur,
		       CG_FREEZE_TIMEOUT_MS / 1000);
}

/* KVM_CREATE_VM attaches the VM's worker kthread (kvm-nx-lpage-recovery)
 * to mvm's cgroups. cgroup2 never freezes kernel threads, yet counts them,
 * so cgroup.events would never say "frozen 1": move them to the root (v2
 * refuses only kthreads pinned by PF_NO_SETAFFINITY, which these are not). */
static void evict_kthreads(const char *d, const char *root)
{
	char file[PATH_MAX], buf[64];
	if (cg_join(file, sizeof(file), d, "cgroup.procs"))
		return;
	FILE *f = fopen(file, "re");
	long pid;
	while (f && fscanf(f, "%ld", &pid) == 1)
		if (cg_is_kthread(pid)) {
			snprintf(buf, sizeof(buf), "%ld", pid);
			cg_write(root, "cgroup.procs", buf, &(struct err){ 0 });
		}
	if (f)
		fclose(f);
}

static int freeze_v2(const char *d, const char *root, bool frozen, struct err *err)
{
	char ev[512];
	long deadline = clock_ms() + CG_FREEZE_TIMEOUT_MS;
	if (frozen)
		evict_kthreads(d, root);
	if (cg_write(d, "cgroup.freeze", frozen ? "1" : "0", err))
		return -1;
	for (int i = 0;; i++) {
		if (cg_read(d, "cgroup.events", ev, sizeof(ev)) < 0)
			return err_sys(err, 1, errno, "cgroup: read %s/cgroup.events", d);
		const char *p = strstr(ev, "frozen ");
		if (p && (p == ev || p[-1] == '\n') && (p[7] == '1') == frozen)
			return 0;
		if (clock_ms() > deadline)
			break;
		cg_sleep_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		cg_write(d, "cgroup.freeze", "0", &(struct err){ 0 });
	return err_set(err, 1, "cgroup: %s/cgroup.events does not say frozen %d after %d s", d, frozen,
		       CG_FREEZE_TIMEOUT_MS / 1000);
}

int cg_freeze(const struct cg_layout *l, const char *path, bool frozen, struct err *err)
{
	char cg[CG_PATH_MAX], d[PATH_MAX];
	if (cg_norm(path, cg, sizeof(cg), err))
		return -1;
	if (l->unified)
		return cg_hdir(d, sizeof(d), l, "", cg, err) ? -1 : freeze_v2(d, l->root, frozen, err);
	if (cg_v1_has(l, "freezer"))
		return cg_hdir(d, sizeof(d), l, "freezer", cg, err) ? -1 : freeze_v1(d, frozen, err);
	/* Hybrid without a v1 freezer: cgroup2's core freezer needs no controller. */
	if (l->hybrid) {
		char root[PATH_MAX];
		if (cg_join(root, sizeof(root), l->root, "unified"))
			return err_set(err, 1, "cgroup: path too long: %s", l->root);
		return cg_hdir(d, sizeof(d), l, "unified", cg, err) ? -1 : freeze_v2(d, root, frozen, err);
	}
	return err_set(err, 1, "cgroup: no freezer hierarchy under %s", l->root);
}
