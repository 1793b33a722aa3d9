/* mvrun update [--resources FILE|-] [--memory N] [--cpu-quota N]
 * [--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--cpuset-mems L]
 * [--pids-limit N] ID: change a container's cgroup limits, as runc does.
 *
 * The limits land where the container's processes are: the container's
 * cgroup v2 in the guest (an UPDATE through mvm's control socket, the
 * files guestcg.c makes: memory.max, memory.low, cpu.max, cpu.weight,
 * pids.max and the unified keys). A running VM keeps its RAM and its
 * vCPUs, so the cgroup around mvm on the host gets a memory limit no lower
 * than what the VM has (guest RAM plus mvm's overhead), and CPU changes
 * throttle the vCPU threads there too; pids never go to mvm's own threads. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/confine.h"

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/oci/config_json.h"
#include "runtime-shim/plan/guestcg.h"
#include "runtime-shim/cmd/cmd.h"
#include "runtime-shim/plan/spec2vm.h"

/* The LinuxResources JSON in FILE ("-": stdin), parsed by the same code as
 * config.json's linux.resources. c owns the strings r points to. */
static int read_resources(const char *file, struct cfg *c, struct err *err)
{
	json_error_t je;
	json_t *res = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
	if (!res)
		return err_set(err, 1, "update: --resources %s: line %d column %d: %s", file,
			       je.line, je.column, je.text);
	json_t *doc = json_pack("{s:{s:o}}", "linux", "resources", res);
	if (!doc)
		return err_set(err, 1, "update: out of memory");
	c->doc = doc;
	if (cfg_parse_linux(doc, c, err) < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return err_set(err, 1, "update: --resources %s: %s", file, msg);
	}
	return 0;
}

static int num(const char *opt, const char *s, int64_t *out, struct err *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return err_set(err, 1, "update: --%s %s: not a number", opt, s);
	*out = v;
	return 0;
}

static const char *opt_name(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "?";
}

/* What a running VM cannot take: checked before anything is written. A
 * memory limit below the VM's own size holds the container in the guest;
 * mvm's cgroup keeps what the VM needs. */
static int check(struct shim_ctx *g, const struct store_state *st, struct cg_resources *r,
		 const struct gcg_files *f, struct err *err)
{
	int64_t need = (int64_t)(st->mem_mib + S2V_MEM_OVERHEAD_MIB) << 20;
	if (f->n && store_current(st) == STORE_PAUSED)
		return err_set(err, 1, "update: %s: container \"%s\" is paused, and its guest "
					 "applies the limit; resume it first",
				 !strcmp(f->f[0].name, "pids.max") ? "pids limit" : f->f[0].name, st->id);
	/* A pod member's host cgroup holds its host process alone; the limits
	 * that count are its cgroup's in the guest. */
	if (st->sandbox)
		return 0;
	if (r->memory_limit > need)
		shim_warn(g, "update %s: the guest keeps its %llu MiB of RAM, below the new limit",
			  st->id, (unsigned long long)st->mem_mib);
	if (r->memory_limit >= 0 && r->memory_limit < need)
		r->memory_limit = need;
	if (r->memory_swap >= 0 && r->memory_swap < r->memory_limit)
		r->memory_swap = r->memory_limit;
	if (r->cpu_quota > 0 || r->cpuset_cpus)
		shim_warn(g, "update %s: the VM keeps its %d vCPUs; CPU limits throttle them on the "
			     "host", st->id, st->cpus);
	return 0;
}

/* The guest's cgroup files: an UPDATE through mvm (guest_update_send). */
static int guest_update(struct shim_ctx *g, const char *id, const struct gcg_files *f,
			struct err *err)
{
	static struct proto_update u; /* large */
	u = (struct proto_update){ .ncgfiles = f->n };
	memcpy(u.cgfiles, f->f, f->n * sizeof(f->f[0]));
	return guest_update_send(g, id, &u, "update", err);
}

int shim_update(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = {
		{ "resources", required_argument, 0, 'r' }, { "memory", required_argument, 0, 'm' },
		{ "memory-swap", required_argument, 0, 's' }, { "cpu-quota", required_argument, 0, 'q' },
		{ "cpu-period", required_argument, 0, 'p' }, { "cpu-share", required_argument, 0, 'S' },
		{ "cpuset-cpus", required_argument, 0, 'c' }, { "cpuset-mems", required_argument, 0, 'M' },
		{ "pids-limit", required_argument, 0, 'P' }, { 0, 0, 0, 0 },
	};
	struct cfg c = { 0 };
	struct cg_resources *r = &c.lx.resources;
	*r = (struct cg_resources){ .memory_limit = -1, .memory_swap = -1, .cpu_quota = -1,
				    .pids_limit = -1 };
	c.lx.memory_reservation = -1;
	const char *file = NULL;
	int64_t v = 0;
	int o;
	struct { int opt; int64_t v; } flags[16];
	int nflags = 0;
	while ((o = shim_getopt(argc, argv, "r:", opts, err)) != -1) {
		if (o == -2)
			goto out;
		if (o == 'r')
			file = optarg;
		else if (o == 'c')
			r->cpuset_cpus = optarg;
		else if (o == 'M')
			r->cpuset_mems = optarg;
		else if (num(opt_name(opts, o), optarg, &v, err) < 0)
			goto out;
		else if (nflags < 16)
			flags[nflags].opt = o, flags[nflags++].v = v;
	}
	if (shim_operands(argc, argv, 1, err) < 0)
		goto out;
	const char *cpus = r->cpuset_cpus, *mems = r->cpuset_mems;
	if (file && read_resources(file, &c, err) < 0)
		goto out;
	/* As runc: a pids limit below 0 lifts it ("max"), 0 leaves it. In
	 * here r->pids_limit is -1 unchanged, 0 lift, else the limit. */
	json_t *lim = file ? json_object_get(
				     json_object_get(json_object_get(json_object_get(c.doc, "linux"),
								     "resources"), "pids"), "limit")
			   : NULL;
	if (json_is_integer(lim) && json_integer_value(lim) < 0)
		r->pids_limit = 0;
	/* Flags override the file, as in runc. */
	if (cpus)
		r->cpuset_cpus = cpus;
	if (mems)
		r->cpuset_mems = mems;
	for (int i = 0; i < nflags; i++) {
		v = flags[i].v;
		switch (flags[i].opt) {
		case 'm': r->memory_limit = v > 0 ? v : -1; break;
		case 's': r->memory_swap = v > 0 ? v : -1; break;
		case 'q': r->cpu_quota = v > 0 ? v : -1; break;
		case 'p': r->cpu_period = v > 0 ? (uint64_t)v : 0; break;
		case 'S': r->cpu_shares = v > 0 ? (uint64_t)v : 0; break;
		case 'P': r->pids_limit = v > 0 ? v : v < 0 ? 0 : -1; break;
		}
	}
	const char *id = argv[optind];
	struct store_state st;
	static struct gcg_files files; /* large */
	int lock = store_lock(g->root, id, err);
	if (lock < 0)
		goto out;
	if (store_read(g->root, id, &st, NULL, err) == 0) {
		struct cg_layout l;
		if (store_current(&st) == STORE_STOPPED)
			err_set(err, 1, "container \"%s\" is not running", id);
		else if (gcg_build(&c.lx, 0, &files, err) == 0 && check(g, &st, r, &files, err) == 0 &&
			 (!files.n || guest_update(g, id, &files, err) == 0)) {
			bool host = r->memory_limit >= 0 || r->memory_swap >= 0 || r->cpu_quota >= 0 ||
				    r->cpu_period || r->cpu_shares || r->cpuset_cpus || r->cpuset_mems;
			r->pids_limit = -1; /* never on mvm's own threads */
			if (host && !st.cgroup_path)
				err_set(err, 1, "container \"%s\" has no cgroup (linux.cgroupsPath) to "
					"update", id);
			else if (host && cg_detect(&l, "/sys/fs/cgroup", err) == 0)
				cg_update(&l, st.cgroup_path, r, err);
		}
		store_free(&st);
	}
	close(lock);
out:
	cfg_free(&c);
	return err->status;
}
