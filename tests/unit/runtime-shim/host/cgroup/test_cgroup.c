/* cgroup: placement and resources against fake v1, v2 and hybrid trees made
 * of plain directories (cgroup.c creates a missing file there and empties a
 * directory before rmdir; on a real cgroupfs the kernel does both). The
 * internals come through cgroup_int.h. test_cgroup_host.c runs the same
 * code on the host's real cgroups. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup_int.h"

static char root[256];
static struct cg_layout lay;
static struct err err;
static char pidstr[24];

static void path_of(char *out, size_t cap, const char *rel)
{
	cr_assert(cg_join(out, cap, root, rel) == 0);
}

static void mkfile(const char *rel, const char *content)
{
	char p[PATH_MAX];
	path_of(p, sizeof(p), rel);
	FILE *f = fopen(p, "w");
	cr_assert(f, "create %s: %s", p, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static void mkd(const char *rel)
{
	char p[PATH_MAX];
	path_of(p, sizeof(p), rel);
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

/* The file's content without trailing whitespace, or "<missing>". */
static const char *slurp(const char *rel)
{
	static char buf[4096];
	char p[PATH_MAX];
	path_of(p, sizeof(p), rel);
	if (cg_read(p, NULL, buf, sizeof(buf)) < 0)
		return "<missing>";
	return buf;
}

static bool isdir(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	path_of(p, sizeof(p), rel);
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void new_root(void)
{
	snprintf(root, sizeof(root), "/tmp/mvrun-cgtest-XXXXXX");
	cr_assert(mkdtemp(root), "mkdtemp: %s", strerror(errno));
	memset(&err, 0, sizeof(err));
	snprintf(pidstr, sizeof(pidstr), "%d", (int)getpid());
}

static const char *const v1_names[] = { "blkio", "cpuset", "devices", "freezer", "memory", "pids", "systemd" };

/* A v1 tree like this host's: one directory per controller, cpu and cpuacct
 * apart or (comount) as cpu,cpuacct with symlinks. */
static void fake_v1(bool comount, bool memsw)
{
	char rel[128];
	new_root();
	for (size_t i = 0; i < sizeof(v1_names) / sizeof(v1_names[0]); i++) {
		mkd(v1_names[i]);
		snprintf(rel, sizeof(rel), "%s/cgroup.procs", v1_names[i]);
		mkfile(rel, "");
	}
	if (comount) {
		char p[PATH_MAX];
		mkd("cpu,cpuacct");
		mkfile("cpu,cpuacct/cgroup.procs", "");
		path_of(p, sizeof(p), "cpu");
		cr_assert(symlink("cpu,cpuacct", p) == 0);
		path_of(p, sizeof(p), "cpuacct");
		cr_assert(symlink("cpu,cpuacct", p) == 0);
	} else {
		mkd("cpu");
		mkfile("cpu/cgroup.procs", "");
		mkd("cpuacct");
		mkfile("cpuacct/cgroup.procs", "");
	}
	mkfile("cpuset/cpuset.cpus", "0-3\n");
	mkfile("cpuset/cpuset.mems", "0\n");
	mkfile("memory/memory.limit_in_bytes", "9223372036854771712\n");
	if (memsw)
		mkfile("memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
	cr_assert(cg_detect(&lay, root, &err) == 0, "%s", err.msg);
}

static void fake_v2(const char *controllers)
{
	new_root();
	mkfile("cgroup.controllers", controllers);
	mkfile("cgroup.procs", "");
	mkfile("cgroup.subtree_control", "");
	cr_assert(cg_detect(&lay, root, &err) == 0, "%s", err.msg);
}

static void fake_hybrid(void)
{
	fake_v1(false, true);
	mkd("unified");
	mkfile("unified/cgroup.controllers", "hugetlb\n");
	mkfile("unified/cgroup.procs", "");
	mkfile("unified/cgroup.subtree_control", "");
	cr_assert(cg_detect(&lay, root, &err) == 0, "%s", err.msg);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void cleanup(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

static struct cg_resources unset(void)
{
	return (struct cg_resources){ .memory_limit = -1, .memory_swap = -1, .cpu_quota = -1,
				      .pids_limit = -1 };
}

static struct cg_resources full(void)
{
	struct cg_resources r = unset();
	r.memory_limit = 1LL << 30;
	r.memory_swap = 2LL << 30;
	r.cpu_quota = 50000;
	r.cpu_period = 100000;
	r.cpu_shares = 1024;
	r.cpuset_cpus = "1";
	r.cpuset_mems = "0";
	r.pids_limit = 100;
	return r;
}

#define ENTER(path, r) cr_assert(cg_enter(&lay, path, getpid(), r, &err) == 0, "%s", err.msg)
#define EXPECT_FILE(rel, want) cr_assert_str_eq(slurp(rel), want, "%s", rel)
#define EXPECT_ERR(needle) \
	cr_assert(strstr(err.msg, needle), "message \"%s\" does not say \"%s\"", err.msg, needle)

TestSuite(cgroup, .fini = cleanup);

/* ---- detection ---- */

Test(cgroup, detect_v1)
{
	fake_v1(false, false);
	cr_assert_not(lay.unified);
	cr_assert_not(lay.hybrid);
	cr_assert_str_eq(lay.root, root);
}

Test(cgroup, detect_v1_comounted)
{
	fake_v1(true, false);
	cr_assert_not(lay.unified);
	cr_assert_not(lay.hybrid);
}

Test(cgroup, detect_v2)
{
	fake_v2("cpu memory pids\n");
	cr_assert(lay.unified);
	cr_assert_not(lay.hybrid);
}

Test(cgroup, detect_hybrid)
{
	fake_hybrid();
	cr_assert_not(lay.unified);
	cr_assert(lay.hybrid);
}

Test(cgroup, detect_trailing_slash)
{
	char with_slash[300];
	fake_v2("memory\n");
	snprintf(with_slash, sizeof(with_slash), "%s/", root);
	cr_assert(cg_detect(&lay, with_slash, &err) == 0, "%s", err.msg);
	cr_assert_str_eq(lay.root, root);
}

Test(cgroup, detect_nothing)
{
	new_root();
	mkd("memory"); /* no cgroup.procs: not a hierarchy */
	cr_assert(cg_detect(&lay, root, &err) == -1);
	EXPECT_ERR("no cgroup filesystem at ");
}

/* The real root is read from mountinfo; check it against statfs. */
Test(cgroup, detect_host)
{
	struct statfs s;
	if (statfs("/sys/fs/cgroup", &s) != 0)
		cr_skip_test("no /sys/fs/cgroup");
	cr_assert(cg_detect(&lay, "/sys/fs/cgroup", &err) == 0, "%s", err.msg);
	bool v2 = s.f_type == CGROUP2_SUPER_MAGIC;
	bool uni = statfs("/sys/fs/cgroup/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
	cr_assert_eq(lay.unified, v2);
	cr_assert_eq(lay.hybrid, !v2 && uni);
}

/* ---- v1 ---- */

Test(cgroup, v1_enter_every_hierarchy_and_resources)
{
	fake_v1(false, true);
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	const char *all[] = { "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "%s/docker/abc/cgroup.procs", all[i]);
		EXPECT_FILE(rel, pidstr);
	}
	EXPECT_FILE("memory/docker/abc/memory.limit_in_bytes", "1073741824");
	EXPECT_FILE("memory/docker/abc/memory.memsw.limit_in_bytes", "2147483648");
	EXPECT_FILE("cpu/docker/abc/cpu.shares", "1024");
	EXPECT_FILE("cpu/docker/abc/cpu.cfs_period_us", "100000");
	EXPECT_FILE("cpu/docker/abc/cpu.cfs_quota_us", "50000");
	EXPECT_FILE("pids/docker/abc/pids.max", "100");
	/* cpuset: the parent's values copied down each new level, then the
	 * container's own. */
	EXPECT_FILE("cpuset/docker/cpuset.cpus", "0-3");
	EXPECT_FILE("cpuset/docker/cpuset.mems", "0");
	EXPECT_FILE("cpuset/docker/abc/cpuset.cpus", "1");
	EXPECT_FILE("cpuset/docker/abc/cpuset.mems", "0");
	cr_assert_not(isdir("unified"));
	cr_assert_str_eq(slurp("memory/docker/abc/memory.max"), "<missing>");
}

Test(cgroup, v1_cpuset_copied_without_cpuset_resources)
{
	fake_v1(false, false);
	struct cg_resources r = unset();
	ENTER("/libpod_parent/libpod-123", &r);
	EXPECT_FILE("cpuset/libpod_parent/cpuset.cpus", "0-3");
	EXPECT_FILE("cpuset/libpod_parent/libpod-123/cpuset.cpus", "0-3");
	EXPECT_FILE("cpuset/libpod_parent/libpod-123/cpuset.mems", "0");
	/* nothing unasked for is written */
	cr_assert_str_eq(slurp("memory/libpod_parent/libpod-123/memory.limit_in_bytes"), "<missing>");
	cr_assert_str_eq(slurp("pids/libpod_parent/libpod-123/pids.max"), "<missing>");
}

Test(cgroup, v1_existing_cpuset_is_kept)
{
	fake_v1(false, false);
	mkd("cpuset/docker");
	mkfile("cpuset/docker/cpuset.cpus", "2\n");
	mkfile("cpuset/docker/cpuset.mems", "0\n");
	struct cg_resources r = unset();
	ENTER("/docker/abc", &r);
	EXPECT_FILE("cpuset/docker/cpuset.cpus", "2");
	EXPECT_FILE("cpuset/docker/abc/cpuset.cpus", "2");
}

Test(cgroup, v1_comounted_cpu_cpuacct)
{
	fake_v1(true, false);
	struct cg_resources r = full();
	ENTER("/default/ctr1", &r);
	EXPECT_FILE("cpu,cpuacct/default/ctr1/cgroup.procs", pidstr);
	EXPECT_FILE("cpu,cpuacct/default/ctr1/cpu.cfs_quota_us", "50000");
	EXPECT_FILE("cpu,cpuacct/default/ctr1/cpu.shares", "1024");
	struct stat st;
	char p[PATH_MAX];
	path_of(p, sizeof(p), "cpu");
	cr_assert(lstat(p, &st) == 0 && S_ISLNK(st.st_mode), "the cpu symlink was replaced");
}

/* Without swap accounting there are no memsw files; the swap limit is
 * skipped, as runc does. */
Test(cgroup, v1_without_memsw)
{
	fake_v1(false, false);
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	EXPECT_FILE("memory/docker/abc/memory.limit_in_bytes", "1073741824");
	cr_assert_str_eq(slurp("memory/docker/abc/memory.memsw.limit_in_bytes"), "<missing>");
}

Test(cgroup, v1_missing_controller_is_refused_up_front)
{
	fake_v1(false, false);
	char p[PATH_MAX];
	path_of(p, sizeof(p), "pids/cgroup.procs");
	unlink(p);
	struct cg_resources r = unset();
	r.pids_limit = 10;
	cr_assert(cg_enter(&lay, "/docker/abc", getpid(), &r, &err) == -1);
	EXPECT_ERR("cgroup: the pids controller is not available under ");
	cr_assert_not(isdir("memory/docker"));
}

/* ---- v2 ---- */

Test(cgroup, v2_enter_enables_controllers_and_converts)
{
	fake_v2("cpuset cpu io memory pids\n");
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	EXPECT_FILE("docker/abc/cgroup.procs", pidstr);
	EXPECT_FILE("cgroup.subtree_control", "+cpuset +cpu +io +memory +pids");
	EXPECT_FILE("docker/cgroup.subtree_control", "+cpuset +cpu +io +memory +pids");
	cr_assert_str_eq(slurp("docker/abc/cgroup.subtree_control"), "<missing>");
	EXPECT_FILE("docker/abc/memory.max", "1073741824");
	EXPECT_FILE("docker/abc/memory.swap.max", "1073741824"); /* memory+swap 2G - memory 1G */
	EXPECT_FILE("docker/abc/cpu.max", "50000 100000");
	EXPECT_FILE("docker/abc/cpu.weight", "39"); /* 1 + (1022 * 9999) / 262142 */
	EXPECT_FILE("docker/abc/cpuset.cpus", "1");
	EXPECT_FILE("docker/abc/cpuset.mems", "0");
	EXPECT_FILE("docker/abc/pids.max", "100");
	cr_assert_str_eq(slurp("docker/abc/cpu.shares"), "<missing>");
}

Test(cgroup, v2_already_enabled_is_not_rewritten)
{
	fake_v2("cpu memory\n");
	mkfile("cgroup.subtree_control", "cpu memory\n");
	struct cg_resources r = unset();
	r.memory_limit = 4096 * 1024;
	ENTER("/x/y", &r);
	EXPECT_FILE("cgroup.subtree_control", "cpu memory");
	EXPECT_FILE("x/cgroup.subtree_control", "+cpu +memory");
	EXPECT_FILE("x/y/memory.max", "4194304");
}

Test(cgroup, v2_cpu_max_forms)
{
	fake_v2("cpu\n");
	struct cg_resources r = unset();
	r.cpu_period = 250000;
	ENTER("/a", &r);
	EXPECT_FILE("a/cpu.max", "max 250000");
	r = unset();
	r.cpu_quota = 20000;
	cr_assert(cg_update(&lay, "/a", &r, &err) == 0, "%s", err.msg);
	EXPECT_FILE("a/cpu.max", "20000");
}

Test(cgroup, v2_weight_conversion)
{
	cr_assert_eq(cg_shares_to_weight(2), 1);
	cr_assert_eq(cg_shares_to_weight(1024), 39);
	cr_assert_eq(cg_shares_to_weight(262144), 10000);
	cr_assert_eq(cg_shares_to_weight(1), 1);        /* clamped to OCI's range */
	cr_assert_eq(cg_shares_to_weight(1 << 20), 10000);
	fake_v2("cpu\n");
	struct cg_resources r = unset();
	r.cpu_shares = 512;
	ENTER("/a", &r);
	EXPECT_FILE("a/cpu.weight", "20");
}

Test(cgroup, v2_swap_rules)
{
	fake_v2("memory\n");
	struct cg_resources r = unset();
	r.memory_swap = 1 << 30;
	cr_assert(cg_enter(&lay, "/a", getpid(), &r, &err) == -1);
	EXPECT_ERR("cgroup: a swap limit (1073741824) needs a memory limit on cgroup v2");
	cr_assert_not(isdir("a"));
	memset(&err, 0, sizeof(err));
	r.memory_limit = 2LL << 30;
	cr_assert(cg_enter(&lay, "/a", getpid(), &r, &err) == -1);
	EXPECT_ERR("memory+swap limit 1073741824 is below the memory limit 2147483648");
	memset(&err, 0, sizeof(err));
	r.memory_swap = r.memory_limit; /* no swap at all */
	ENTER("/a", &r);
	EXPECT_FILE("a/memory.swap.max", "0");
}

Test(cgroup, v2_missing_controller_is_refused_up_front)
{
	fake_v2("cpu memory\n");
	struct cg_resources r = unset();
	r.pids_limit = 5;
	cr_assert(cg_enter(&lay, "/docker/abc", getpid(), &r, &err) == -1);
	EXPECT_ERR("cgroup: the pids controller is not available under ");
	EXPECT_ERR("(cgroup.controllers)");
	cr_assert_not(isdir("docker"));
}

/* ---- hybrid ---- */

Test(cgroup, hybrid_joins_unified_without_resources)
{
	fake_hybrid();
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	EXPECT_FILE("unified/docker/abc/cgroup.procs", pidstr);
	EXPECT_FILE("memory/docker/abc/cgroup.procs", pidstr);
	EXPECT_FILE("memory/docker/abc/memory.limit_in_bytes", "1073741824");
	EXPECT_FILE("memory/docker/abc/memory.memsw.limit_in_bytes", "2147483648");
	EXPECT_FILE("pids/docker/abc/pids.max", "100");
	cr_assert_str_eq(slurp("unified/docker/abc/memory.max"), "<missing>");
	cr_assert_str_eq(slurp("unified/docker/abc/pids.max"), "<missing>");
	EXPECT_FILE("unified/cgroup.subtree_control", "");
}

/* ---- errors and undo ---- */

Test(cgroup, write_error_names_file_and_value_and_undoes)
{
	fake_hybrid();
	/* memory.limit_in_bytes that cannot be written: a directory. The
	 * container's memory cgroup exists already, so it is not ours to remove. */
	mkd("memory/docker");
	mkd("memory/docker/abc");
	mkd("memory/docker/abc/memory.limit_in_bytes");
	struct cg_resources r = full();
	cr_assert(cg_enter(&lay, "/docker/abc", getpid(), &r, &err) == -1);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want),
		 "cgroup: write 1073741824 to %s/memory/docker/abc/memory.limit_in_bytes: Is a directory", root);
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(err.status, 1);
	const char *gone[] = { "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "pids", "systemd", "unified" };
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "%s/docker", gone[i]);
		cr_assert_not(isdir(rel), "%s left behind", rel);
	}
	cr_assert(isdir("memory/docker/abc"), "removed a cgroup it did not create");
}

Test(cgroup, join_error_moves_back_and_undoes)
{
	fake_v1(false, false);
	/* pids sorts after blkio..memory: those are joined when this fails. */
	mkd("pids/docker");
	mkd("pids/docker/abc");
	mkd("pids/docker/abc/cgroup.procs");
	struct cg_resources r = unset();
	cr_assert(cg_enter(&lay, "/docker/abc", getpid(), &r, &err) == -1);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "cgroup: write %s to %s/pids/docker/abc/cgroup.procs: Is a directory",
		 pidstr, root);
	cr_assert_str_eq(err.msg, want);
	cr_assert_not(isdir("memory/docker"));
	cr_assert_not(isdir("cpu/docker"));
	cr_assert_not(isdir("systemd/docker"));
	/* The fake tree has none of the pid's own cgroups but the roots. */
	EXPECT_FILE("memory/cgroup.procs", pidstr);
}

Test(cgroup, paths)
{
	fake_v2("memory\n");
	struct cg_resources r = unset();
	ENTER("relative/c1", &r);
	cr_assert(isdir("mvrun/relative/c1"));
	ENTER("//docker///x/", &r);
	cr_assert(isdir("docker/x"));
	const char *bad[] = { "/docker/../../etc", "..", "/a/./b", "", "/", "///" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_assert(cg_enter(&lay, bad[i], getpid(), &r, &err) == -1, "accepted \"%s\"", bad[i]);
		cr_assert(strstr(err.msg, "cgroup: "), "%s", err.msg);
	}
	cr_assert(cg_enter(&lay, NULL, getpid(), &r, &err) == -1);
	cr_assert_not(isdir("etc"));
}

/* ---- update, freeze, pids, remove ---- */

Test(cgroup, update_v1)
{
	fake_v1(false, true);
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	r = unset();
	r.memory_limit = 3LL << 30;
	r.memory_swap = 4LL << 30;
	r.pids_limit = 7;
	cr_assert(cg_update(&lay, "/docker/abc", &r, &err) == 0, "%s", err.msg);
	EXPECT_FILE("memory/docker/abc/memory.limit_in_bytes", "3221225472");
	EXPECT_FILE("memory/docker/abc/memory.memsw.limit_in_bytes", "4294967296");
	EXPECT_FILE("pids/docker/abc/pids.max", "7");
	EXPECT_FILE("cpu/docker/abc/cpu.shares", "1024"); /* untouched */
}

Test(cgroup, update_of_missing_cgroup)
{
	fake_v2("memory\n");
	struct cg_resources r = unset();
	r.memory_limit = 1 << 20;
	cr_assert(cg_update(&lay, "/nope", &r, &err) == -1);
	EXPECT_ERR("/nope/memory.max: No such file or directory");
}

Test(cgroup, freeze_v1)
{
	fake_hybrid();
	struct cg_resources r = unset();
	ENTER("/docker/abc", &r);
	cr_assert(cg_freeze(&lay, "/docker/abc", true, &err) == 0, "%s", err.msg);
	EXPECT_FILE("freezer/docker/abc/freezer.state", "FROZEN");
	cr_assert(cg_freeze(&lay, "/docker/abc", false, &err) == 0, "%s", err.msg);
	EXPECT_FILE("freezer/docker/abc/freezer.state", "THAWED");
	cr_assert_str_eq(slurp("unified/docker/abc/cgroup.freeze"), "<missing>");
}

Test(cgroup, freeze_v2)
{
	fake_v2("memory\n");
	struct cg_resources r = unset();
	ENTER("/docker/abc", &r);
	mkfile("docker/abc/cgroup.events", "populated 1\nfrozen 1\n"); /* the kernel's answer */
	cr_assert(cg_freeze(&lay, "/docker/abc", true, &err) == 0, "%s", err.msg);
	EXPECT_FILE("docker/abc/cgroup.freeze", "1");
	mkfile("docker/abc/cgroup.events", "populated 1\nfrozen 0\n");
	cr_assert(cg_freeze(&lay, "/docker/abc", false, &err) == 0, "%s", err.msg);
	EXPECT_FILE("docker/abc/cgroup.freeze", "0");
}

Test(cgroup, freeze_without_freezer)
{
	fake_v1(false, false);
	char p[PATH_MAX];
	path_of(p, sizeof(p), "freezer/cgroup.procs");
	unlink(p);
	cr_assert(cg_freeze(&lay, "/docker/abc", true, &err) == -1);
	EXPECT_ERR("cgroup: no freezer hierarchy under ");
}

Test(cgroup, pids)
{
	fake_hybrid();
	struct cg_resources r = unset();
	ENTER("/docker/abc", &r);
	/* Pids no process has; 2 is kthreadd, a kernel thread like the one
	 * KVM_CREATE_VM puts in mvm's cgroup, and is not listed. */
	mkfile("pids/docker/abc/cgroup.procs", "4000010\n2\n4000020\n4000030\n");
	pid_t out[8];
	cr_assert_eq(cg_pids(&lay, "/docker/abc", out, 8, &err), 3, "%s", err.msg);
	cr_assert_eq(out[0], 4000010);
	cr_assert_eq(out[1], 4000020);
	cr_assert_eq(out[2], 4000030);
	cr_assert_eq(cg_pids(&lay, "/docker/abc", out, 2, &err), -1);
	EXPECT_ERR("more than 2 processes in ");
	mkfile("pids/docker/abc/cgroup.procs", "");
	cr_assert_eq(cg_pids(&lay, "/docker/abc", out, 8, &err), 0);
}

Test(cgroup, pids_v2)
{
	fake_v2("pids\n");
	struct cg_resources r = unset();
	ENTER("/c", &r);
	pid_t out[4];
	cr_assert_eq(cg_pids(&lay, "/c", out, 4, &err), 1, "%s", err.msg);
	cr_assert_eq(out[0], getpid());
}

Test(cgroup, remove_leaves_only_and_is_idempotent)
{
	fake_hybrid();
	struct cg_resources r = full();
	ENTER("/docker/abc", &r);
	cr_assert(cg_remove(&lay, "/docker/abc", &err) == 0, "%s", err.msg);
	const char *all[] = { "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd", "unified" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "%s/docker/abc", all[i]);
		cr_assert_not(isdir(rel), "%s left behind", rel);
		snprintf(rel, sizeof(rel), "%s/docker", all[i]);
		cr_assert(isdir(rel), "%s (shared) was removed", rel);
	}
	cr_assert(cg_remove(&lay, "/docker/abc", &err) == 0, "%s", err.msg);
}

Test(cgroup, remove_v2)
{
	fake_v2("memory pids\n");
	struct cg_resources r = full();
	r.cpu_quota = -1, r.cpu_period = 0, r.cpu_shares = 0, r.cpuset_cpus = r.cpuset_mems = NULL;
	ENTER("/libpod_parent/libpod-1", &r);
	cr_assert(cg_remove(&lay, "/libpod_parent/libpod-1", &err) == 0, "%s", err.msg);
	cr_assert_not(isdir("libpod_parent/libpod-1"));
	cr_assert(isdir("libpod_parent"));
}

/* runc's default cgroup: this process's own cgroup (cgroup2 line first) and the id. */
Test(cgroup, default_path_is_own_cgroup_and_id)
{
	char out[256], own[256] = "", line[512];
	struct err err = { 0 };
	cr_assert_eq(cg_default_path("ctr-1", out, sizeof(out), &err), 0, "%s", err.msg);
	FILE *f = fopen("/proc/self/cgroup", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *p = strchr(strchr(line, ':') + 1, ':') + 1;
		if (!strncmp(line, "0::", 3) || !own[0])
			snprintf(own, sizeof(own), "%s", p);
		if (!strncmp(line, "0::", 3))
			break;
	}
	fclose(f);
	char want[300];
	snprintf(want, sizeof(want), "%s%sctr-1", own, strcmp(own, "/") ? "/" : "");
	cr_assert_str_eq(out, want);
	cr_assert_eq(cg_default_path("xyz", out, 2, &err), -1, "a path that does not fit is an error");
}
