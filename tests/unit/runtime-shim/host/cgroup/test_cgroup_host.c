/* cgroup_host: cgroup.h's lifecycle (enter with resources, a failing enter
 * undone, pids, freeze, update, remove) on the host's real cgroups; skips
 * when not root or when it cannot create a cgroup. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup_int.h"

static struct err err;

#define EXPECT_ERR(needle) \
	cr_assert(strstr(err.msg, needle), "message \"%s\" does not say \"%s\"", err.msg, needle)

static struct cg_resources unset(void)
{
	return (struct cg_resources){ .memory_limit = -1, .memory_swap = -1, .cpu_quota = -1,
				      .pids_limit = -1 };
}

static pid_t host_child = -1;
static char host_path[64];
static struct cg_layout host;

static pid_t sleeper(void)
{
	pid_t p = fork();
	cr_assert(p >= 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		alarm(60);
		for (;;)
			pause();
	}
	return p;
}

static void host_cleanup(void)
{
	struct err e = { 0 };
	if (host_child > 0) {
		kill(host_child, SIGKILL);
		waitpid(host_child, NULL, 0);
		host_child = -1;
	}
	if (host_path[0])
		cg_remove(&host, host_path, &e);
}

/* The hierarchy directory for controller `ctl` of the test cgroup. */
static void host_dir(char *out, size_t cap, const char *ctl)
{
	cr_assert(cg_hdir(out, cap, &host, host.unified ? "" : ctl, host_path, &err) == 0);
}

static const char *host_read(const char *ctl, const char *file)
{
	static char buf[256];
	char d[PATH_MAX];
	host_dir(d, sizeof(d), ctl);
	if (cg_read(d, file, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "<%s>", strerror(errno));
	return buf;
}

/* Every line of /proc/PID/cgroup names `want`, and v2 has its 0:: line. */
static void expect_proc_cgroup(pid_t pid, const char *want)
{
	char p[64], line[1024];
	int lines = 0, v2 = 0;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(p, "r");
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *cg = strchr(strchr(line, ':') + 1, ':') + 1;
		lines++;
		v2 += strncmp(line, "0::", 3) == 0;
		cr_assert_str_eq(cg, want, "%s: %s", p, line);
	}
	fclose(f);
	cr_assert_gt(lines, 0);
	if (host.hybrid || host.unified)
		cr_assert_eq(v2, 1, "%s has no 0:: line", p);
}

TestSuite(cgroup_host, .fini = host_cleanup);

Test(cgroup_host, lifecycle_on_real_cgroups)
{
	if (geteuid() != 0)
		cr_skip_test("not root: cannot create cgroups");
	if (cg_detect(&host, "/sys/fs/cgroup", &err))
		cr_skip_test("%s", err.msg);
	char probe[PATH_MAX];
	snprintf(probe, sizeof(probe), "%s%s/mvrun-probe-%d", host.root, host.unified ? "" : "/pids",
		 (int)getpid());
	if (mkdir(probe, 0755) != 0)
		cr_skip_test("cannot create cgroups (mkdir %s: %s)", probe, strerror(errno));
	rmdir(probe);
	cr_log_info("host cgroups: %s", host.unified ? "v2" : host.hybrid ? "hybrid" : "v1");

	char d[PATH_MAX], before[1024], after[1024];
	bool memsw = !host.unified && cg_exists("/sys/fs/cgroup/memory", "memory.memsw.limit_in_bytes");
	snprintf(host_path, sizeof(host_path), "/mvrun-test-%d", (int)getpid());
	host_child = sleeper();
	struct cg_resources r = unset();
	r.memory_limit = 64 << 20;
	r.memory_swap = memsw ? 128 << 20 : -1;
	r.pids_limit = 16;

	/* A failing enter (a cpuset the kernel refuses) puts the child back
	 * and leaves nothing. */
	char ctls[512] = "";
	if (host.unified)
		cg_read(host.root, "cgroup.controllers", ctls, sizeof(ctls));
	if (host.unified ? !cg_has_word(ctls, "cpuset") : !cg_v1_has(&host, "cpuset"))
		goto enter;
	snprintf(d, sizeof(d), "/proc/%d/cgroup", (int)host_child);
	cr_assert(cg_read(d, NULL, before, sizeof(before)) > 0);
	struct cg_resources bad = r;
	bad.cpuset_cpus = "9999";
	cr_assert(cg_enter(&host, host_path, host_child, &bad, &err) == -1);
	char want[PATH_MAX + 64];
	host_dir(d, sizeof(d), "cpuset");
	snprintf(want, sizeof(want), "cgroup: write 9999 to %s/cpuset.cpus: ", d);
	cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	cr_assert_not(cg_exists(d, ""), "%s left behind", d);
	host_dir(d, sizeof(d), "memory");
	cr_assert_not(cg_exists(d, ""), "%s left behind", d);
	snprintf(d, sizeof(d), "/proc/%d/cgroup", (int)host_child);
	cr_assert(cg_read(d, NULL, after, sizeof(after)) > 0);
	cr_assert_str_eq(after, before);
	memset(&err, 0, sizeof(err));
enter:
	cr_assert(cg_enter(&host, host_path, host_child, &r, &err) == 0, "%s", err.msg);
	expect_proc_cgroup(host_child, host_path);
	if (host.unified) {
		cr_assert_str_eq(host_read("", "memory.max"), "67108864");
		cr_assert_str_eq(host_read("", "pids.max"), "16");
	} else {
		cr_assert_str_eq(host_read("memory", "memory.limit_in_bytes"), "67108864");
		if (memsw)
			cr_assert_str_eq(host_read("memory", "memory.memsw.limit_in_bytes"), "134217728");
		cr_assert_str_eq(host_read("pids", "pids.max"), "16");
		char parent[256];
		snprintf(parent, sizeof(parent), "%s", host_read("cpuset", "../cpuset.cpus"));
		cr_assert_str_eq(host_read("cpuset", "cpuset.cpus"), parent);
	}

	pid_t pids[8];
	cr_assert_eq(cg_pids(&host, host_path, pids, 8, &err), 1, "%s", err.msg);
	cr_assert_eq(pids[0], host_child);

	cr_assert(cg_freeze(&host, host_path, true, &err) == 0, "%s", err.msg);
	if (host.unified || !cg_v1_has(&host, "freezer"))
		cr_assert(strstr(host_read(host.unified ? "" : "unified", "cgroup.events"), "frozen 1"));
	else
		cr_assert_str_eq(host_read("freezer", "freezer.state"), "FROZEN");
	snprintf(d, sizeof(d), "/proc/%d/status", (int)host_child);
	FILE *f = fopen(d, "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "State:", 6) == 0)
			cr_log_info("frozen child: %s", line);
	if (f)
		fclose(f);
	cr_assert(cg_freeze(&host, host_path, false, &err) == 0, "%s", err.msg);
	if (!host.unified && cg_v1_has(&host, "freezer"))
		cr_assert_str_eq(host_read("freezer", "freezer.state"), "THAWED");

	/* Growing memory past memory+swap needs memsw first on v1. */
	r = unset();
	r.memory_limit = 256 << 20;
	r.memory_swap = memsw ? 512 << 20 : -1;
	cr_assert(cg_update(&host, host_path, &r, &err) == 0, "%s", err.msg);
	cr_assert_str_eq(host_read(host.unified ? "" : "memory", host.unified ? "memory.max" : "memory.limit_in_bytes"),
			 "268435456");
	if (memsw)
		cr_assert_str_eq(host_read("memory", "memory.memsw.limit_in_bytes"), "536870912");

	/* And back down, memory first. */
	r.memory_limit = 32 << 20;
	r.memory_swap = memsw ? 48 << 20 : -1;
	cr_assert(cg_update(&host, host_path, &r, &err) == 0, "%s", err.msg);

	/* A busy cgroup cannot go; a dead one can. */
	cr_assert(cg_remove(&host, host_path, &err) == -1);
	EXPECT_ERR("Device or resource busy");
	memset(&err, 0, sizeof(err));
	kill(host_child, SIGKILL);
	waitpid(host_child, NULL, 0);
	host_child = -1;
	cr_assert(cg_remove(&host, host_path, &err) == 0, "%s", err.msg);
	struct cg_hiers hs;
	cr_assert(cg_hier_list(&host, &hs, &err) == 0);
	for (int i = 0; i < hs.n; i++) {
		cr_assert(cg_hdir(d, sizeof(d), &host, hs.h[i].name, host_path, &err) == 0);
		cr_assert_not(cg_exists(d, ""), "%s left behind", d);
	}
	host_path[0] = '\0';
}
