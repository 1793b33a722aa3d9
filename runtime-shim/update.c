/* mvrun update [--resources FILE|-] [--memory N] [--cpu-quota N]
 * [--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--cpuset-mems L]
 * [--pids-limit N] ID: change a container's cgroup limits, as runc does.
 *
 * A running VM keeps its RAM and its vCPUs: the cgroup around mvm can
 * change, the guest cannot. So a memory limit below what the VM already has
 * (guest RAM plus mvm's overhead) is refused, a larger one only raises the
 * host's ceiling, and CPU changes throttle the vCPU threads on the host
 * without adding vCPUs. pids.limit goes to the container's pids cgroup in
 * the guest (an UPDATE through mvm's control socket), never to mvm's own
 * threads on the host. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "proto/confine.h"

#include "runtime-shim/cgroup.h"
#include "runtime-shim/config.h"
#include "runtime-shim/config_json.h"
#include "runtime-shim/shim.h"
#include "runtime-shim/spec2vm.h"

/* The LinuxResources JSON in FILE ("-": stdin), parsed by the same code as
 * config.json's linux.resources. c owns the strings r points to. */
static int read_resources(const char *file, struct cfg *c, struct shim_err *err)
{
	json_error_t je;
	json_t *res = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
	if (!res)
		return shim_errf(err, 1, "update: --resources %s: line %d column %d: %s", file,
				 je.line, je.column, je.text);
	json_t *doc = json_pack("{s:{s:o}}", "linux", "resources", res);
	if (!doc)
		return shim_errf(err, 1, "update: out of memory");
	c->doc = doc;
	if (cfg_parse_linux(doc, c, err) < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return shim_errf(err, 1, "update: --resources %s: %s", file, msg);
	}
	return 0;
}

static int num(const char *opt, const char *s, int64_t *out, struct shim_err *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return shim_errf(err, 1, "update: --%s %s: not a number", opt, s);
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

/* What a running VM cannot take: checked before anything is written. */
static int check(struct shim_ctx *g, const struct store_state *st, const struct cg_resources *r,
		 struct shim_err *err)
{
	uint64_t need = (st->mem_mib + S2V_MEM_OVERHEAD_MIB) << 20;
	if (r->memory_limit >= 0 && (uint64_t)r->memory_limit < need)
		return shim_errf(err, 1, "update: memory limit %lld bytes: the VM has %llu MiB of RAM, "
					 "which cannot change while it runs; the limit must be at "
					 "least %llu MiB (RAM plus mvm's %d MiB)",
				 (long long)r->memory_limit, (unsigned long long)st->mem_mib,
				 (unsigned long long)(need >> 20), S2V_MEM_OVERHEAD_MIB);
	if (r->memory_limit >= 0)
		shim_warn(g, "update %s: the guest keeps its %llu MiB of RAM; the new limit applies to "
			     "mvm on the host", st->id, (unsigned long long)st->mem_mib);
	if (r->pids_limit >= 0 && store_current(st) == STORE_PAUSED)
		return shim_errf(err, 1, "update: pids limit: container \"%s\" is paused, and its "
					 "guest applies the limit; resume it first", st->id);
	if (r->cpu_quota > 0 || r->cpuset_cpus)
		shim_warn(g, "update %s: the VM keeps its %d vCPUs; CPU limits throttle them on the "
			     "host", st->id, st->cpus);
	return 0;
}

#define GUEST_REPLY_MS 30000

/* The pids limit to the guest: UPDATE on mvm's control socket, answered
 * EXEC_EXIT (applied) or EXEC_ERROR (why not). Returns 0 or -1 with err. */
static int guest_pids(struct shim_ctx *g, const char *id, uint64_t max, struct shim_err *err)
{
	char sock[4096];
	struct proto_buf b = { 0 };
	uint8_t in[PROTO_HDR_LEN + 1024];
	size_t got = 0;
	struct proto_hdr h = { 0 };
	int fd = -1, r = -1;
	if (store_path(g->root, id, "ctl.sock", sock, sizeof(sock), err) < 0 ||
	    (fd = shim_unix_connect(sock, "update: connect to mvm's control socket", err)) < 0)
		return -1;
	if (proto_encode_update(&b, 0, max) < 0 || write(fd, b.data, b.len) != (ssize_t)b.len) {
		shim_errno(err, 1, "update: send the pids limit to mvm");
		goto out;
	}
	while (got < PROTO_HDR_LEN || got < PROTO_HDR_LEN + h.len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, GUEST_REPLY_MS) <= 0) {
			shim_errf(err, 1, "update: the guest did not answer within %d s", GUEST_REPLY_MS / 1000);
			goto out;
		}
		if ((n = read(fd, in + got, sizeof(in) - got)) <= 0)
			break;
		got += (size_t)n;
		if (got >= PROTO_HDR_LEN && (proto_parse_hdr(in, &h) < 0 || h.len > sizeof(in) - PROTO_HDR_LEN))
			break;
	}
	uint32_t rid, v;
	const char *msg;
	if (got < PROTO_HDR_LEN + h.len || got < PROTO_HDR_LEN)
		shim_errf(err, 1, "update: mvm closed its control socket without an answer");
	else if (h.type == PROTO_EXEC_EXIT && proto_decode_pair(in + PROTO_HDR_LEN, h.len, &rid, &v) == 0)
		r = 0;
	else if (h.type == PROTO_EXEC_ERROR &&
		 proto_decode_exec_error(in + PROTO_HDR_LEN, h.len, &rid, &v, &msg) == 0)
		shim_errf(err, 1, "update: pids limit: %s", msg);
	else if (h.type == PROTO_ERROR && proto_decode_error(in + PROTO_HDR_LEN, h.len, &v, &msg) == 0)
		shim_errf(err, 1, "update: mvm refused: %s", msg);
	else
		shim_errf(err, 1, "update: a malformed answer from mvm");
out:
	proto_buf_free(&b);
	close(fd);
	return r;
}

int shim_update(struct shim_ctx *g, int argc, char **argv, struct shim_err *err)
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
	if (shim_operands(argc, argv, 1, "mvrun update [--resources FILE|-] [--memory N] "
					 "[--cpu-quota N] ... ID", err) < 0)
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
	int lock = store_lock(g->root, id, err);
	if (lock < 0)
		goto out;
	if (store_read(g->root, id, &st, NULL, err) == 0) {
		struct cg_layout l;
		if (store_current(&st) == STORE_STOPPED)
			shim_errf(err, 1, "container \"%s\" is not running", id);
		else if (check(g, &st, r, err) == 0 &&
			 (r->pids_limit < 0 || guest_pids(g, id, (uint64_t)r->pids_limit, err) == 0)) {
			bool host = r->memory_limit >= 0 || r->memory_swap >= 0 || r->cpu_quota >= 0 ||
				    r->cpu_period || r->cpu_shares || r->cpuset_cpus || r->cpuset_mems;
			r->pids_limit = -1; /* never on mvm's own threads */
			if (host && !st.cgroup_path)
				shim_errf(err, 1, "container \"%s\" has no cgroup (linux.cgroupsPath) to "
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
