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

#define GUEST_REPLY_MS 30000

int gcg_send(struct shim_ctx *g, const char *id, const struct proto_update *u, const char *verb,
	     struct err *err)
{
	char sock[4096], what[64];
	struct proto_buf b = { 0 };
	uint8_t in[PROTO_HDR_LEN + 1024];
	size_t got = 0;
	struct proto_hdr h = { 0 };
	int fd = -1, r = -1;
	snprintf(what, sizeof(what), "%s: connect to mvm's control socket", verb);
	if (store_path(g->root, id, "ctl.sock", sock, sizeof(sock), err) < 0 ||
	    (fd = shim_unix_connect(sock, what, err)) < 0)
		return -1;
	if (proto_encode_update(&b, u) < 0 || write(fd, b.data, b.len) != (ssize_t)b.len) {
		err_sys(err, 1, errno, "%s: send the request to mvm", verb);
		goto out;
	}
	while (got < PROTO_HDR_LEN || got < PROTO_HDR_LEN + h.len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, GUEST_REPLY_MS) <= 0) {
			err_set(err, 1, "%s: the guest did not answer within %d s", verb,
				GUEST_REPLY_MS / 1000);
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
		err_set(err, 1, "%s: mvm closed its control socket without an answer", verb);
	else if (h.type == PROTO_EXEC_EXIT && proto_decode_pair(in + PROTO_HDR_LEN, h.len, &rid, &v) == 0)
		r = 0;
	else if (h.type == PROTO_EXEC_ERROR &&
		 proto_decode_exec_error(in + PROTO_HDR_LEN, h.len, &rid, &v, &msg) == 0)
		err_set(err, 1, "%s: %s", verb, msg);
	else if (h.type == PROTO_ERROR && proto_decode_error(in + PROTO_HDR_LEN, h.len, &v, &msg) == 0)
		err_set(err, 1, "%s: mvm refused: %s", verb, msg);
	else
		err_set(err, 1, "%s: a malformed answer from mvm", verb);
out:
	proto_buf_free(&b);
	close(fd);
	return r;
}
