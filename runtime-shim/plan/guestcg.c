/* linux.resources → the guest's cgroup v2 files, and UPDATE's round trip
 * through mvm (guestcg.h). The values
 * follow runc 1.1's libcontainer/cgroups/fs2 and its conversions from the
 * v1-shaped OCI fields. Swap is left out: the guest has none (no
 * CONFIG_SWAP, so no memory.swap.max), and mvm's host cgroup carries it. */
#include "runtime-shim/plan/guestcg.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime-shim/oci/config_json.h"

static int add(struct gcg_files *o, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (o->n == PROTO_MAX_CGFILES)
		return -1;
	va_start(ap, fmt);
	vsnprintf(o->text[o->n], sizeof(o->text[0]), fmt, ap);
	va_end(ap);
	o->f[o->n] = (struct proto_cgfile){ name, o->text[o->n] };
	o->n++;
	return 0;
}

int gcg_build(const struct cfg_linux *l, int vcpus, struct gcg_files *o, struct err *err)
{
	const struct cg_resources *r = &l->resources;
	int bad = 0;
	memset(o, 0, sizeof(*o));
	if (r->memory_limit > 0)
		bad |= add(o, "memory.max", "%lld", (long long)r->memory_limit);
	if (l->memory_reservation > 0)
		bad |= add(o, "memory.low", "%lld", (long long)l->memory_reservation);
	/* runc: "max" or the quota, then the period when one is given; the
	 * kernel keeps what is left out. */
	if (r->cpu_quota > 0 && r->cpu_period)
		bad |= add(o, "cpu.max", "%lld %llu", (long long)r->cpu_quota,
			   (unsigned long long)r->cpu_period);
	else if (r->cpu_quota > 0)
		bad |= add(o, "cpu.max", "%lld", (long long)r->cpu_quota);
	else if (r->cpu_period)
		bad |= add(o, "cpu.max", "max %llu", (unsigned long long)r->cpu_period);
	if (r->cpu_shares) {
		/* runc's ConvertCPUSharesToCgroupV2Value; v1 takes 2 at least. */
		uint64_t s = r->cpu_shares < 2 ? 2 : r->cpu_shares > 262144 ? 262144 : r->cpu_shares;
		bad |= add(o, "cpu.weight", "%llu", (unsigned long long)(1 + (s - 2) * 9999 / 262142));
	}
	if (r->pids_limit > 0)
		bad |= add(o, "pids.max", "%lld", (long long)r->pids_limit);
	else if (r->pids_limit == 0)
		bad |= add(o, "pids.max", "max");
	/* The config's CPU numbers are the host's; the guest's are its vCPUs,
	 * which the cpuset's size chose. */
	if (r->cpuset_cpus && vcpus > 1)
		bad |= add(o, "cpuset.cpus", "0-%d", vcpus - 1);
	else if (r->cpuset_cpus && vcpus == 1)
		bad |= add(o, "cpuset.cpus", "0");
	if (r->cpuset_mems && vcpus > 0)
		bad |= add(o, "cpuset.mems", "0");
	for (int i = 0; i < l->nunified; i++) {
		const char *k = l->unified[i].key, *dot = strchr(k, '.');
		char f[PROTO_CGFILE_NAME_MAX + 48];
		snprintf(f, sizeof(f), "linux.resources.unified[\"%.*s\"]", PROTO_CGFILE_NAME_MAX, k);
		if (strchr(k, '/'))
			return cj_bad(err, f, "unified resource \"%s\" must be a file name (no slashes)", k);
		if (!dot || dot == k || !dot[1] || !proto_cgfile_name_ok(k))
			return cj_bad(err, f, "unified resource \"%s\" must be in the form "
					     "CONTROLLER.PARAMETER", k);
		if (o->n == PROTO_MAX_CGFILES) {
			bad = 1;
			break;
		}
		o->f[o->n++] = (struct proto_cgfile){ k, l->unified[i].value };
	}
	if (bad)
		return cj_bad(err, "linux.resources", "more than %d cgroup files for the guest",
			      PROTO_MAX_CGFILES);
	return 0;
}
