/* runc 1.1's stats (libcontainer/cgroups/fs and fs2, types/events.go) from
 * a process's cgroups: see cgstats.h. */
#include "runtime-shim/host/cgroup/cgstats.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STAT_KEYS 128
#define MAX_LIST 1024

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/name's text, NUL-terminated; -1 when it cannot be read. */
static ssize_t slurp(const char *dir, const char *name, char *buf, size_t cap)
{
	char p[CGS_PATH_MAX + 64];
	if (!dir[0] || snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -1;
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return (ssize_t)n;
}

/* A file holding one number; "max" is max_value (UINT64_MAX or 0, as runc
 * reads it there); a missing or odd file 0. */
static uint64_t num(const char *dir, const char *name, uint64_t max_value)
{
	char b[64], *end;
	if (slurp(dir, name, b, sizeof(b)) <= 0)
		return 0;
	if (!strncmp(b, "max", 3))
		return max_value;
	errno = 0;
	unsigned long long v = strtoull(b, &end, 10);
	return errno || end == b || b[0] == '-' ? 0 : v;
}

/* The value of `key` in a "key value" per line file (memory.stat, cpu.stat). */
static uint64_t keyed(const char *dir, const char *name, const char *key)
{
	char b[8192];
	if (slurp(dir, name, b, sizeof(b)) < 0)
		return 0;
	size_t k = strlen(key);
	for (char *l = b; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == ' ')
			return strtoull(l + k + 1, NULL, 10);
	return 0;
}

int cgs_find(const char *proc_cgroup, const char *root, struct cgs *c, struct err *err)
{
	char line[1024], dir[CGS_PATH_MAX * 2];
	FILE *f = fopen(proc_cgroup, "re");
	memset(c, 0, sizeof(*c));
	if (!f)
		return err_sys(err, 1, errno, "cgroup: %s", proc_cgroup);
	struct {
		const char *name;
		char *out;
	} want[] = { { "cpuacct", c->cpuacct }, { "cpu", c->cpu }, { "memory", c->memory },
		     { "pids", c->pids }, { "cpuset", c->cpuset } };
	char v2path[CGS_PATH_MAX] = "";
	bool any = false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path)
			continue;
		*ctrls++ = 0;
		*path++ = 0;
		if (!ctrls[0]) {
			snprintf(v2path, sizeof(v2path), "%s", path);
			continue;
		}
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char list[256];
			snprintf(list, sizeof(list), ",%s,", ctrls);
			char tok[32];
			snprintf(tok, sizeof(tok), ",%s,", want[i].name);
			if (!strstr(list, tok))
				continue;
			/* The hierarchy is mounted as its controller list (cpu,cpuacct)
			 * or by one name (a link to it on most hosts). */
			snprintf(dir, sizeof(dir), "%s/%s%s", root, ctrls, path);
			if (!is_dir(dir))
				snprintf(dir, sizeof(dir), "%s/%s%s", root, want[i].name, path);
			if (is_dir(dir) && strlen(dir) < CGS_PATH_MAX) {
				strcpy(want[i].out, dir);
				any = true;
			}
		}
	}
	fclose(f);
	snprintf(dir, sizeof(dir), "%s/cgroup.controllers", root);
	if (!c->memory[0] && v2path[0] && access(dir, F_OK) == 0) {
		snprintf(dir, sizeof(dir), "%s%s", root, v2path);
		if (is_dir(dir) && strlen(dir) < CGS_PATH_MAX) {
			strcpy(c->unified, dir);
			any = true;
		}
	}
	if (!any)
		return err_set(err, 1, "cgroup: %s names no cgroup under %s", proc_cgroup, root);
	return 0;
}

/* "0-3,6" as a JSON array; runc omits an empty one. */
static void list_json(FILE *f, const char *key, const char *text, bool *first)
{
	unsigned n = 0;
	const char *p = text;
	char out[MAX_LIST * 6 + 8];
	size_t o = 0;
	while (*p && n < MAX_LIST) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (unsigned long v = a; v <= b && n < MAX_LIST; v++, n++)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%lu", n ? "," : "", v);
		p = *end == ',' ? end + 1 : end;
	}
	if (n)
		fprintf(f, "%s\"%s\":[%s]", *first ? "" : ",", key, out);
	if (n)
		*first = false;
}

static void field(FILE *f, bool *first, const char *key, uint64_t v, bool omitempty)
{
	if (omitempty && !v)
		return;
	fprintf(f, "%s\"%s\":%llu", *first ? "" : ",", key, (unsigned long long)v);
	*first = false;
}

/* Whitespace-separated numbers as a JSON array; runc omits an empty one. */
static void nums_json(FILE *f, const char *key, const char *text, bool *first)
{
	char out[MAX_LIST * 21 + 8], *end;
	size_t o = 0;
	int n = 0;
	for (const char *p = text; n < MAX_LIST; p = end, n++) {
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%llu", n ? "," : "", v);
	}
	if (!n)
		return;
	fprintf(f, "%s\"%s\":[%s]", *first ? "" : ",", key, out);
	*first = false;
}

/* cpuacct.usage_all ("cpu user system" rows) as percpu_kernel, percpu_user. */
static void percpu_modes(FILE *f, const char *d, bool *first)
{
	char b[8192], user[8192] = "", sys[8192] = "";
	size_t ou = 0, os = 0;
	if (slurp(d, "cpuacct.usage_all", b, sizeof(b)) <= 0)
		return;
	char *l = strchr(b, '\n'); /* past the header */
	while (l && *++l) {
		unsigned long long cpu, u, k;
		if (sscanf(l, "%llu %llu %llu", &cpu, &u, &k) == 3 && ou < sizeof(user) - 24 &&
		    os < sizeof(sys) - 24) {
			ou += (size_t)snprintf(user + ou, sizeof(user) - ou, "%llu ", u);
			os += (size_t)snprintf(sys + os, sizeof(sys) - os, "%llu ", k);
		}
		l = strchr(l, '\n');
	}
	nums_json(f, "percpu_kernel", sys, first);
	nums_json(f, "percpu_user", user, first);
}

static void cpu_json(const struct cgs *c, FILE *f)
{
	bool first = true;
	char b[8192];
	const char *acct = c->cpuacct[0] ? c->cpuacct : c->cpu;
	fprintf(f, "\"cpu\":{\"usage\":{");
	if (c->unified[0]) {
		field(f, &first, "total", keyed(c->unified, "cpu.stat", "usage_usec") * 1000, true);
		field(f, &first, "kernel", keyed(c->unified, "cpu.stat", "system_usec") * 1000, false);
		field(f, &first, "user", keyed(c->unified, "cpu.stat", "user_usec") * 1000, false);
	} else {
		long hz = sysconf(_SC_CLK_TCK);
		hz = hz > 0 ? hz : 100;
		field(f, &first, "total", num(acct, "cpuacct.usage", 0), true);
		if (slurp(acct, "cpuacct.usage_percpu", b, sizeof(b)) > 0)
			nums_json(f, "percpu", b, &first);
		percpu_modes(f, acct, &first);
		uint64_t k = keyed(acct, "cpuacct.stat", "system"), u = keyed(acct, "cpuacct.stat", "user");
		field(f, &first, "kernel", k * 1000000000ull / (uint64_t)hz, false);
		field(f, &first, "user", u * 1000000000ull / (uint64_t)hz, false);
	}
	fprintf(f, "},\"throttling\":{");
	first = true;
	const char *d = c->unified[0] ? c->unified : c->cpu;
	field(f, &first, "periods", keyed(d, "cpu.stat", "nr_periods"), true);
	field(f, &first, "throttledPeriods", keyed(d, "cpu.stat", "nr_throttled"), true);
	field(f, &first, "throttledTime",
	      c->unified[0] ? keyed(d, "cpu.stat", "throttled_usec") * 1000
			    : keyed(d, "cpu.stat", "throttled_time"), true);
	fprintf(f, "}}");
}

static void cpuset_json(const struct cgs *c, FILE *f)
{
	static const char *const flags[] = { "cpu_exclusive", "mem_hardwall", "mem_exclusive",
					     "memory_migrate", "memory_spread_page",
					     "memory_spread_slab", "memory_pressure",
					     "sched_load_balance" };
	const char *d = c->unified[0] ? c->unified : c->cpuset;
	char b[4096], name[64];
	bool first = true;
	fprintf(f, ",\"cpuset\":{");
	if (slurp(d, c->unified[0] ? "cpuset.cpus.effective" : "cpuset.cpus", b, sizeof(b)) > 0)
		list_json(f, "cpus", b, &first);
	field(f, &first, "cpu_exclusive", num(d, "cpuset.cpu_exclusive", 0), false);
	if (slurp(d, c->unified[0] ? "cpuset.mems.effective" : "cpuset.mems", b, sizeof(b)) > 0)
		list_json(f, "mems", b, &first);
	for (size_t i = 1; i < sizeof(flags) / sizeof(flags[0]); i++) {
		snprintf(name, sizeof(name), "cpuset.%s", flags[i]);
		field(f, &first, flags[i], num(d, name, 0), false);
	}
	long long relax = 0;
	if (slurp(d, "cpuset.sched_relax_domain_level", b, sizeof(b)) > 0)
		relax = strtoll(b, NULL, 10);
	fprintf(f, ",\"sched_relax_domain_level\":%lld}", relax);
}

/* One MemoryEntry from PREFIX.limit_in_bytes etc. (v1). */
static void mem_entry(FILE *f, bool *outer_first, const char *key, const char *d,
		      const char *prefix)
{
	char n[96];
	bool first = true;
	fprintf(f, "%s\"%s\":{", *outer_first ? "" : ",", key);
	*outer_first = false;
	snprintf(n, sizeof(n), "%s.limit_in_bytes", prefix);
	field(f, &first, "limit", num(d, n, 0), false);
	snprintf(n, sizeof(n), "%s.usage_in_bytes", prefix);
	field(f, &first, "usage", num(d, n, 0), true);
	snprintf(n, sizeof(n), "%s.max_usage_in_bytes", prefix);
	field(f, &first, "max", num(d, n, 0), true);
	snprintf(n, sizeof(n), "%s.failcnt", prefix);
	field(f, &first, "failcnt", num(d, n, 0), false);
	fprintf(f, "}");
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* memory.stat as runc's "raw" map: Go sorts a map's keys. */
static void raw_json(FILE *f, const char *d)
{
	char b[8192], *keys[MAX_STAT_KEYS];
	int n = 0;
	if (slurp(d, "memory.stat", b, sizeof(b)) <= 0)
		return;
	for (char *save, *l = strtok_r(b, "\n", &save); l && n < MAX_STAT_KEYS;
	     l = strtok_r(NULL, "\n", &save))
		if (strchr(l, ' '))
			keys[n++] = l;
	qsort(keys, (size_t)n, sizeof(*keys), cmp_line);
	for (int i = 0; i < n; i++) {
		char *sp = strchr(keys[i], ' ');
		*sp = 0;
		fprintf(f, "%s\"%s\":%llu", i ? "," : ",\"raw\":{", keys[i], strtoull(sp + 1, NULL, 10));
	}
	if (n)
		fprintf(f, "}");
}

static void memory_json(const struct cgs *c, FILE *f)
{
	const char *d = c->unified[0] ? c->unified : c->memory;
	bool first = true;
	fprintf(f, ",\"memory\":{");
	field(f, &first, "cache", keyed(d, "memory.stat", c->unified[0] ? "file" : "cache"), true);
	if (c->unified[0]) {
		bool e = true;
		fprintf(f, "%s\"usage\":{", first ? "" : ",");
		field(f, &e, "limit", num(d, "memory.max", UINT64_MAX), false);
		field(f, &e, "usage", num(d, "memory.current", 0), true);
		field(f, &e, "failcnt", keyed(d, "memory.events", "max"), false);
		fprintf(f, "},\"swap\":{");
		e = true;
		field(f, &e, "limit", num(d, "memory.swap.max", UINT64_MAX), false);
		field(f, &e, "usage", num(d, "memory.swap.current", 0), true);
		field(f, &e, "failcnt", 0, false);
		fprintf(f, "},\"kernel\":{\"limit\":0,\"failcnt\":0},"
			   "\"kernelTCP\":{\"limit\":0,\"failcnt\":0}");
	} else {
		mem_entry(f, &first, "usage", d, "memory");
		mem_entry(f, &first, "swap", d, "memory.memsw");
		mem_entry(f, &first, "kernel", d, "memory.kmem");
		mem_entry(f, &first, "kernelTCP", d, "memory.kmem.tcp");
	}
	raw_json(f, d);
	fprintf(f, "}");
}

void cgs_write_json(const struct cgs *c, FILE *f)
{
	const char *pd = c->unified[0] ? c->unified : c->pids;
	bool first = true;
	fprintf(f, "{");
	cpu_json(c, f);
	cpuset_json(c, f);
	memory_json(c, f);
	fprintf(f, ",\"pids\":{");
	field(f, &first, "current", num(pd, "pids.current", 0), true);
	field(f, &first, "limit", num(pd, "pids.max", 0), true);
	/* Block I/O, huge pages, RDT and interfaces are not the VM's to report
	 * from the host: empty, as runc prints them where it has none. */
	fprintf(f, "},\"blkio\":{},\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}");
}

uint64_t cgs_oom_kills(const struct cgs *c)
{
	return c->unified[0] ? keyed(c->unified, "memory.events", "oom_kill")
			     : keyed(c->memory, "memory.oom_control", "oom_kill");
}
