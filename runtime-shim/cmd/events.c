/* mvrun events [--stats] [--interval D] ID, as runc 1.1's: one JSON event a
 * line, {"type":"stats","id":ID,"data":{...}} (cgstats.h: from the host
 * cgroups of mvm, the container's process), every --interval (default 5s)
 * until the container stops, with an {"type":"oom","id":ID} line before
 * the stats when the memory cgroup's OOM kill count went up; --stats prints
 * one stats line and exits. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime-shim/host/cgroup/cgstats.h"
#include "runtime-shim/cmd/cmd.h"

#define NS_PER_S 1000000000LL

/* Go's time.ParseDuration, as runc's --interval takes it ("5s", "1m30s",
 * "1.5s", "250ms", "0"). Returns 0 with *ns, or -1. */
static int parse_duration(const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		long long ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		      { "ms", 1000000 }, { "s", NS_PER_S }, { "m", 60 * NS_PER_S },
		      { "h", 3600 * NS_PER_S } };
	bool neg = *s == '-';
	double total = 0;
	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		if (!(*s >= '0' && *s <= '9') && *s != '.')
			return -1;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno)
			return -1;
		s = end;
		size_t best = 0;
		long long mult = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);
			if (!strncmp(s, units[i].unit, n) && n > best) {
				best = n;
				mult = units[i].ns;
			}
		}
		if (!best)
			return -1;
		s += best;
		total += v * (double)mult;
		if (total > 9.2e18)
			return -1;
	}
	*ns = (long long)(neg ? -total : total);
	return 0;
}

static void sleep_ns(long long ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void print_stats(const char *id, const struct cgs *c)
{
	printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":", id);
	cgs_write_json(c, stdout);
	printf("}\n");
	fflush(stdout);
}

int shim_events(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { "interval", required_argument, 0, 'i' },
					      { "stats", no_argument, 0, 's' },
					      { 0, 0, 0, 0 } };
	long long interval = 5 * NS_PER_S;
	bool once = false;
	int c;
	while ((c = shim_getopt(argc, argv, "", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		if (c == 's')
			once = true;
		else if (parse_duration(optarg, &interval) < 0)
			return err_set(err, 1, "events: --interval %s: not a duration (5s, 500ms, 1m30s)",
				       optarg), 1;
	}
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	const char *id = argv[optind];
	struct store_state st;
	if (store_read(g->root, id, &st, NULL, err) < 0)
		return err->status;
	if (interval <= 0) { /* checked after the id, as runc */
		store_free(&st);
		return err_set(err, 1, "duration interval must be greater than 0"), 1;
	}
	char proc[64];
	struct cgs cg;
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)st.pid);
	if (store_current(&st) == STORE_STOPPED)
		err_set(err, 1, "container with id %s is not running", id);
	else if (cgs_find(proc, "/sys/fs/cgroup", &cg, err) == 0)
		shim_debug(g, "events %s: the cgroups of pid %d: memory %s, cpu %s, pids %s", id,
			   (int)st.pid, cg.unified[0] ? cg.unified : cg.memory, cg.cpu, cg.pids);
	if (err->status) {
		store_free(&st);
		return err->status;
	}
	if (once) {
		print_stats(id, &cg);
		store_free(&st);
		return 0;
	}
	uint64_t ooms = cgs_oom_kills(&cg);
	for (;;) {
		sleep_ns(interval);
		if (!store_alive(st.pid, st.start_time))
			break;
		uint64_t now = cgs_oom_kills(&cg);
		if (now > ooms)
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
		ooms = now;
		print_stats(id, &cg);
	}
	shim_debug(g, "events %s: the container stopped", id);
	store_free(&st);
	return 0;
}
