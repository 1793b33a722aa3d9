/* runtime-shim/host/cgroup/cgstats.c: mvrun events' stats against fake v1 (the hybrid
 * host's) and v2 cgroup trees of plain files, checked as runc 1.1's JSON. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgstats.h"

static char root[128];
static char proc[192];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
		*s = '/';
	}
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void setup(void)
{
	strcpy(root, "/tmp/cgstats.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc-cgroup", root);
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The stats of the tree as parsed JSON, and the text in *text. */
static json_t *stats(char **text)
{
	struct cgs c;
	struct err err = { 0 };
	size_t len;
	cr_assert_eq(cgs_find(proc, root, &c, &err), 0, "%s", err.msg);
	FILE *f = open_memstream(text, &len);
	cgs_write_json(&c, f);
	fclose(f);
	json_error_t je;
	json_t *j = json_loads(*text, JSON_DECODE_INT_AS_REAL, &je); /* MaxUint64 fits no int */
	cr_assert_not_null(j, "not JSON (%s): %s", je.text, *text);
	return j;
}

static long long at(json_t *j, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	cr_assert(json_is_number(j), "%s is not a number", path);
	return (long long)json_number_value(j);
}

Test(cgstats, v1_hierarchies_as_runc_reports_them, .init = setup, .fini = teardown)
{
	put("proc-cgroup", "12:pids:/docker/c1\n11:cpu,cpuacct:/docker/c1\n10:memory:/docker/c1\n"
			   "9:cpuset:/docker/c1\n1:name=systemd:/docker/c1\n0::/\n");
	put("cpu,cpuacct/docker/c1/cpuacct.usage", "3000000000\n");
	put("cpu,cpuacct/docker/c1/cpuacct.usage_percpu", "1000000000 2000000000 \n");
	put("cpu,cpuacct/docker/c1/cpuacct.usage_all", "cpu user system\n0 700 300\n1 1500 500\n");
	put("cpu,cpuacct/docker/c1/cpuacct.stat", "user 200\nsystem 100\n");
	put("cpu,cpuacct/docker/c1/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n");
	put("memory/docker/c1/memory.limit_in_bytes", "268435456\n");
	put("memory/docker/c1/memory.usage_in_bytes", "1048576\n");
	put("memory/docker/c1/memory.max_usage_in_bytes", "2097152\n");
	put("memory/docker/c1/memory.failcnt", "3\n");
	put("memory/docker/c1/memory.stat", "rss 4096\ncache 8192\nactive_anon 1\n");
	put("memory/docker/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put("pids/docker/c1/pids.current", "7\n");
	put("pids/docker/c1/pids.max", "max\n");
	put("cpuset/docker/c1/cpuset.cpus", "0-2,5\n");
	put("cpuset/docker/c1/cpuset.mems", "0\n");
	put("cpuset/docker/c1/cpuset.sched_load_balance", "1\n");
	char *text;
	json_t *j = stats(&text);
	long hz = sysconf(_SC_CLK_TCK);
	cr_assert_eq(at(j, "cpu.usage.total"), 3000000000LL);
	cr_assert_eq(at(j, "cpu.usage.user"), 200 * 1000000000LL / hz);
	cr_assert_eq(at(j, "cpu.usage.kernel"), 100 * 1000000000LL / hz);
	cr_assert(strstr(text, "\"percpu\":[1000000000,2000000000],\"percpu_kernel\":[300,500],"
			       "\"percpu_user\":[700,1500]"), "%s", text);
	cr_assert(strstr(text, "\"throttling\":{\"periods\":10,\"throttledPeriods\":2,"
			       "\"throttledTime\":5000}"), "%s", text);
	cr_assert(strstr(text, "\"cpus\":[0,1,2,5],\"cpu_exclusive\":0,\"mems\":[0]"), "%s", text);
	cr_assert_eq(at(j, "cpuset.sched_load_balance"), 1);
	cr_assert_eq(at(j, "memory.cache"), 8192);
	cr_assert_eq(at(j, "memory.usage.limit"), 268435456);
	cr_assert_eq(at(j, "memory.usage.usage"), 1048576);
	cr_assert_eq(at(j, "memory.usage.max"), 2097152);
	cr_assert_eq(at(j, "memory.usage.failcnt"), 3);
	cr_assert(strstr(text, "\"swap\":{\"limit\":0,\"failcnt\":0}"), "%s", text);
	/* raw is Go's map: keys sorted. */
	cr_assert(strstr(text, "\"raw\":{\"active_anon\":1,\"cache\":8192,\"rss\":4096}"), "%s", text);
	cr_assert_eq(at(j, "pids.current"), 7);
	cr_assert_null(json_object_get(json_object_get(j, "pids"), "limit"), "pids.max max is 0: omitted");
	/* runc's field order, and its empty sections. */
	cr_assert(strstr(text, "},\"blkio\":{},\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}"),
		  "%s", text);
	const char *order[] = { "\"cpu\":", "\"cpuset\":", "\"memory\":", "\"pids\":", "\"blkio\":" };
	for (size_t i = 1; i < sizeof(order) / sizeof(order[0]); i++)
		cr_assert_lt(strstr(text, order[i - 1]) - text, strstr(text, order[i]) - text, "%s", text);
	struct cgs c;
	struct err err = { 0 };
	cgs_find(proc, root, &c, &err);
	cr_assert_eq(cgs_oom_kills(&c), 2);
	json_decref(j);
	free(text);
}

Test(cgstats, a_pure_v2_cgroup, .init = setup, .fini = teardown)
{
	put("proc-cgroup", "0::/mvrun/c2\n");
	put("cgroup.controllers", "cpu memory pids\n");
	put("mvrun/c2/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
				 "nr_throttled 1\nthrottled_usec 20\n");
	put("mvrun/c2/memory.current", "65536\n");
	put("mvrun/c2/memory.max", "max\n");
	put("mvrun/c2/memory.events", "low 0\nhigh 0\nmax 6\noom 1\noom_kill 1\n");
	put("mvrun/c2/memory.stat", "anon 100\nfile 200\n");
	put("mvrun/c2/pids.current", "3\n");
	put("mvrun/c2/pids.max", "64\n");
	char *text;
	json_t *j = stats(&text);
	cr_assert_eq(at(j, "cpu.usage.total"), 1500000);
	cr_assert_eq(at(j, "cpu.usage.user"), 1000000);
	cr_assert_eq(at(j, "cpu.throttling.throttledTime"), 20000);
	cr_assert(strstr(text, "\"usage\":{\"limit\":18446744073709551615,\"usage\":65536,"
			       "\"failcnt\":6}"), "memory.max max is MaxUint64: %s", text);
	cr_assert_eq(at(j, "memory.cache"), 200);
	cr_assert_eq(at(j, "pids.limit"), 64);
	struct cgs c;
	struct err err = { 0 };
	cgs_find(proc, root, &c, &err);
	cr_assert_eq(cgs_oom_kills(&c), 1);
	json_decref(j);
	free(text);
}

Test(cgstats, no_cgroup_found, .init = setup, .fini = teardown)
{
	struct cgs c;
	struct err err = { 0 };
	put("proc-cgroup", "4:memory:/gone\n");
	cr_assert_eq(cgs_find(proc, root, &c, &err), -1);
	cr_assert(strstr(err.msg, "names no cgroup under"), "%s", err.msg);
}
