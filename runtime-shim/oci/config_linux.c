/* config.json's "linux" section: namespaces, id mappings, cgroupsPath and
 * resources, masked and read-only paths, sysctl, and whether seccomp and
 * devices are there (config-linux.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/confine.h"
#include "runtime-shim/oci/config_json.h"

static const char *const ns_types[] = { "pid",	"network", "mount",  "ipc",
					"uts",	"user",	   "cgroup", "time" };

static int parse_namespaces(json_t *lx, struct cfg_linux *l, struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(lx, "namespaces", "linux.namespaces", false, &a, &n, err) < 0)
		return -1;
	if (!(l->namespaces = cj_alloc(n, sizeof(*l->namespaces), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct cfg_namespace *ns = &l->namespaces[i];
		char f[96], ft[128], fp[128];
		snprintf(f, sizeof(f), "linux.namespaces[%zu]", i);
		snprintf(ft, sizeof(ft), "%s.type", f);
		snprintf(fp, sizeof(fp), "%s.path", f);
		if (!json_is_object(o))
			return cj_bad(err, f, "must be an object");
		if (cj_str(o, "type", ft, true, &ns->type, err) < 0 ||
		    cj_str(o, "path", fp, false, &ns->path, err) < 0)
			return -1;
		bool known = false;
		for (size_t k = 0; k < sizeof(ns_types) / sizeof(ns_types[0]); k++)
			known |= !strcmp(ns->type, ns_types[k]);
		if (!known)
			return cj_bad(err, ft, "unknown namespace type \"%s\"", ns->type);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(l->namespaces[k].type, ns->type))
				return cj_bad(err, ft, "the %s namespace is listed twice", ns->type);
		if (ns->path && !ns->path[0])
			ns->path = NULL; /* as runc: "" is a new namespace, not a path */
		if (ns->path && ns->path[0] != '/')
			return cj_bad(err, fp, "\"%s\" must be an absolute path", ns->path);
	}
	l->nnamespaces = (int)n;
	return 0;
}

/* linux.uidMappings or gidMappings (config-linux.md "User namespace
 * mappings"): each entry's ranges are checked alone here; how they sit
 * together (overlaps) is spec2vm's business. */
static int parse_mappings(json_t *lx, const char *key, struct cfg_idmap *out, int *count,
			  struct err *err)
{
	json_t *a;
	size_t n;
	char f[40];
	snprintf(f, sizeof(f), "linux.%.20s", key);
	if (cj_arr(lx, key, f, false, &a, &n, err) < 0)
		return -1;
	if (n > CFG_MAX_IDMAPS)
		return cj_bad(err, f, "%zu entries; mvrun passes at most %d", n,
			      CFG_MAX_IDMAPS);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(a, i);
		struct cfg_idmap *e = &out[i];
		char fi[96], fc[128], fh[128], fs[128];
		snprintf(fi, sizeof(fi), "%s[%zu]", f, i);
		snprintf(fc, sizeof(fc), "%s.containerID", fi);
		snprintf(fh, sizeof(fh), "%s.hostID", fi);
		snprintf(fs, sizeof(fs), "%s.size", fi);
		if (!json_is_object(m))
			return cj_bad(err, fi, "must be an object");
		if (cj_u32(m, "containerID", fc, true, NULL, &e->container_id, err) < 0 ||
		    cj_u32(m, "hostID", fh, true, NULL, &e->host_id, err) < 0 ||
		    cj_u32(m, "size", fs, true, NULL, &e->size, err) < 0)
			return -1;
		if (!e->size)
			return cj_bad(err, fs, "must be at least 1");
		/* The kernel's rule for a uid_map line: no range past 2^32 - 1. */
		if ((uint64_t)e->container_id + e->size > 1ull << 32)
			return cj_bad(err, fs, "%u ids from containerID %u pass 4294967295",
				      e->size, e->container_id);
		if ((uint64_t)e->host_id + e->size > 1ull << 32)
			return cj_bad(err, fs, "%u ids from hostID %u pass 4294967295", e->size,
				      e->host_id);
	}
	*count = (int)n;
	return 0;
}

bool cfg_idmap_has(const struct cfg_idmap *m, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return true;
	return false;
}

/* Each entry an absolute path. */
static int check_paths(const char *field, const char **paths, int n, struct err *err)
{
	for (int i = 0; i < n; i++) {
		char f[64];
		snprintf(f, sizeof(f), "%s[%d]", field, i);
		if (paths[i][0] != '/')
			return cj_bad(err, f, "\"%s\" must be an absolute path", paths[i]);
	}
	return 0;
}

/* linux.devices (config-linux.md "Devices"). */
static int parse_devices(json_t *lx, struct cfg_linux *l, struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(lx, "devices", "linux.devices", false, &a, &n, err) < 0)
		return -1;
	if (!(l->devices = cj_alloc(n, sizeof(*l->devices), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(a, i);
		struct cfg_device *dv = &l->devices[i];
		char f[64], fp[96], ft[96], fma[96], fmi[96], fm[96], fu[96], fg[96];
		bool has_major, has_minor;
		snprintf(f, sizeof(f), "linux.devices[%zu]", i);
		snprintf(fp, sizeof(fp), "%s.path", f);
		snprintf(ft, sizeof(ft), "%s.type", f);
		snprintf(fma, sizeof(fma), "%s.major", f);
		snprintf(fmi, sizeof(fmi), "%s.minor", f);
		snprintf(fm, sizeof(fm), "%s.fileMode", f);
		snprintf(fu, sizeof(fu), "%s.uid", f);
		snprintf(fg, sizeof(fg), "%s.gid", f);
		if (!json_is_object(d))
			return cj_bad(err, f, "must be an object");
		if (cj_str(d, "path", fp, true, &dv->path, err) < 0 ||
		    cj_str(d, "type", ft, true, &dv->type, err) < 0 ||
		    cj_i64(d, "major", fma, &has_major, &dv->major, err) < 0 ||
		    cj_i64(d, "minor", fmi, &has_minor, &dv->minor, err) < 0 ||
		    cj_u32(d, "fileMode", fm, false, &dv->has_mode, &dv->mode, err) < 0 ||
		    cj_u32(d, "uid", fu, false, &dv->has_uid, &dv->uid, err) < 0 ||
		    cj_u32(d, "gid", fg, false, &dv->has_gid, &dv->gid, err) < 0)
			return -1;
		if (dv->path[0] != '/')
			return cj_bad(err, fp, "\"%s\" must be an absolute path", dv->path);
		if (strcmp(dv->type, "c") && strcmp(dv->type, "b") && strcmp(dv->type, "u") &&
		    strcmp(dv->type, "p"))
			return cj_bad(err, ft, "\"%s\" is not c, b, u or p", dv->type);
		if (strcmp(dv->type, "p") && (!has_major || !has_minor))
			return cj_bad(err, has_major ? fmi : fma, "required for a %s device", dv->type);
		if (!has_major)
			dv->major = -1;
		if (!has_minor)
			dv->minor = -1;
		if ((has_major && (dv->major < 0 || dv->major > 4095)) ||
		    (has_minor && (dv->minor < 0 || dv->minor > 1048575)))
			return cj_bad(err, f, "major %lld or minor %lld is out of range",
				      (long long)dv->major, (long long)dv->minor);
		if (dv->has_mode && dv->mode > 07777)
			return cj_bad(err, fm, "%#o is not a file mode", dv->mode);
	}
	l->ndevices = (int)n;
	return 0;
}

/* linux.resources.devices (config-linux.md "Allowed Device List"). */
static int parse_devrules(json_t *res, struct cfg_linux *l, struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(res, "devices", "linux.resources.devices", false, &a, &n, err) < 0)
		return -1;
	if (!(l->devrules = cj_alloc(n, sizeof(*l->devrules), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(a, i);
		struct cfg_devrule *r = &l->devrules[i];
		const char *type = "a", *access = NULL;
		char f[64], fa[96], ft[96], fma[96], fmi[96], fx[96];
		bool has;
		snprintf(f, sizeof(f), "linux.resources.devices[%zu]", i);
		snprintf(fa, sizeof(fa), "%s.allow", f);
		snprintf(ft, sizeof(ft), "%s.type", f);
		snprintf(fma, sizeof(fma), "%s.major", f);
		snprintf(fmi, sizeof(fmi), "%s.minor", f);
		snprintf(fx, sizeof(fx), "%s.access", f);
		if (!json_is_object(d))
			return cj_bad(err, f, "must be an object");
		r->allow = false; /* runc: a missing allow is Go's zero value, a deny */
		if ((cj_get(d, "allow") && cj_bool(d, "allow", fa, &r->allow, err) < 0) ||
		    cj_str(d, "type", ft, false, &type, err) < 0 ||
		    cj_i64(d, "major", fma, &has, &r->major, err) < 0)
			return -1;
		if (!has)
			r->major = -1;
		if (cj_i64(d, "minor", fmi, &has, &r->minor, err) < 0)
			return -1;
		if (!has)
			r->minor = -1;
		if (cj_str(d, "access", fx, false, &access, err) < 0)
			return -1;
		if (!type)
			type = "a";
		if (strcmp(type, "a") && strcmp(type, "b") && strcmp(type, "c"))
			return cj_bad(err, ft, "\"%s\" is not a, b or c", type);
		r->type = type[0];
		if (r->major < -1 || r->major >= 1 << 20 || r->minor < -1 || r->minor >= 1 << 20)
			return cj_bad(err, f, "major %lld or minor %lld is out of range",
				      (long long)r->major, (long long)r->minor);
		/* runc 1.1 refuses only an empty access; its v1 emulator takes the
		 * r, w and m in it, in any order, and ignores anything else ("rwa"
		 * is "rw"). */
		if (!access || !access[0])
			return cj_bad(err, fx, "cannot be empty");
		r->access = (strchr(access, 'r') ? PROTO_DEV_R : 0) |
			    (strchr(access, 'w') ? PROTO_DEV_W : 0) | (strchr(access, 'm') ? PROTO_DEV_M : 0);
	}
	l->ndevrules = (int)n;
	return 0;
}

static int parse_resources(json_t *lx, struct cfg_linux *l, struct err *err)
{
	struct cg_resources *r = &l->resources;
	json_t *res, *mem, *cpu, *pids;
	int64_t v;
	bool has;
	if (cj_obj(lx, "resources", "linux.resources", false, &res, err) < 0)
		return -1;
	if (!res)
		return 0;
	if (cj_obj(res, "memory", "linux.resources.memory", false, &mem, err) < 0 ||
	    cj_obj(res, "cpu", "linux.resources.cpu", false, &cpu, err) < 0 ||
	    cj_obj(res, "pids", "linux.resources.pids", false, &pids, err) < 0)
		return -1;
	if (cj_i64(mem, "limit", "linux.resources.memory.limit", &has, &v, err) < 0)
		return -1;
	if (has && v != -1) { /* -1: unlimited */
		if (v <= 0)
			return cj_bad(err, "linux.resources.memory.limit", "%lld is not a size in bytes",
				      (long long)v);
		r->memory_limit = v;
		l->has_memory_limit = true;
	}
	if (cj_i64(mem, "swap", "linux.resources.memory.swap", &has, &v, err) < 0)
		return -1;
	if (has && v != -1) {
		if (v <= 0)
			return cj_bad(err, "linux.resources.memory.swap", "%lld is not a size in bytes",
				      (long long)v);
		r->memory_swap = v;
	}
	if (cj_i64(cpu, "quota", "linux.resources.cpu.quota", &has, &v, err) < 0)
		return -1;
	if (has && v > 0) /* 0 and -1: no quota */
		r->cpu_quota = v;
	if (cj_u64(cpu, "period", "linux.resources.cpu.period", false, NULL, &r->cpu_period, err) < 0 ||
	    cj_u64(cpu, "shares", "linux.resources.cpu.shares", false, NULL, &r->cpu_shares, err) < 0 ||
	    cj_str(cpu, "cpus", "linux.resources.cpu.cpus", false, &r->cpuset_cpus, err) < 0 ||
	    cj_str(cpu, "mems", "linux.resources.cpu.mems", false, &r->cpuset_mems, err) < 0)
		return -1;
	if (r->cpuset_cpus && !r->cpuset_cpus[0])
		r->cpuset_cpus = NULL;
	if (r->cpuset_mems && !r->cpuset_mems[0])
		r->cpuset_mems = NULL;
	if (parse_devrules(res, l, err) < 0 ||
	    cj_i64(pids, "limit", "linux.resources.pids.limit", &has, &v, err) < 0)
		return -1;
	if (has && v > 0)
		r->pids_limit = v;
	if (cj_i64(mem, "reservation", "linux.resources.memory.reservation", &has, &v, err) < 0)
		return -1;
	if (has && v > 0) /* 0 and -1: none */
		l->memory_reservation = v;
	if (cj_kvs(res, "unified", "linux.resources.unified", &l->unified, &l->nunified, err) < 0)
		return -1;
	/* What mvrun accepts but does not apply: each is noted at create and
	 * listed in `mvrun features`. */
	static const struct {
		int in; /* 0 linux.resources, 1 its memory, 2 its cpu */
		const char *field, *path;
	} unapplied[] = {
		{ 0, "blockIO", "blockIO" }, { 0, "hugepageLimits", "hugepageLimits" },
		{ 0, "network", "network" }, { 0, "rdma", "rdma" },
		{ 1, "swappiness", "memory.swappiness" },
		{ 1, "kernel", "memory.kernel" }, { 1, "kernelTCP", "memory.kernelTCP" },
		{ 1, "disableOOMKiller", "memory.disableOOMKiller" },
		{ 1, "useHierarchy", "memory.useHierarchy" },
		{ 2, "realtimeRuntime", "cpu.realtimeRuntime" }, { 2, "realtimePeriod", "cpu.realtimePeriod" },
		{ 2, "idle", "cpu.idle" },
	};
	json_t *objs[] = { res, mem, cpu };
	for (size_t i = 0; i < sizeof(unapplied) / sizeof(unapplied[0]); i++) {
		json_t *o = objs[unapplied[i].in];
		json_t *v = o ? cj_get(o, unapplied[i].field) : NULL;
		/* null, false and empty objects or arrays ask for nothing. */
		bool asks = v && !json_is_null(v) && !json_is_false(v) &&
			    !(json_is_object(v) && !json_object_size(v)) && !(json_is_array(v) && !json_array_size(v));
		if (asks && l->nunapplied < CFG_MAX_UNAPPLIED)
			l->unapplied[l->nunapplied++] = unapplied[i].path;
	}
	return 0;
}

int cfg_parse_linux(json_t *doc, struct cfg *c, struct err *err)
{
	struct cfg_linux *l = &c->lx;
	json_t *lx;
	l->resources = (struct cg_resources){ .memory_limit = -1, .memory_swap = -1,
					      .cpu_quota = -1, .pids_limit = -1 };
	l->memory_reservation = -1;
	if (cj_obj(doc, "linux", "linux", false, &lx, err) < 0)
		return -1;
	if (!lx)
		return 0;
	c->has_linux = true;
	if (parse_namespaces(lx, l, err) < 0 ||
	    parse_mappings(lx, "uidMappings", l->uid_mappings, &l->nuid_mappings, err) < 0 ||
	    parse_mappings(lx, "gidMappings", l->gid_mappings, &l->ngid_mappings, err) < 0 ||
	    cj_str(lx, "cgroupsPath", "linux.cgroupsPath", false, &l->cgroups_path, err) < 0 ||
	    parse_resources(lx, l, err) < 0)
		return -1;
	if (l->cgroups_path && !l->cgroups_path[0])
		l->cgroups_path = NULL;
	if (cj_strs(lx, "maskedPaths", "linux.maskedPaths", &l->masked_paths, &l->nmasked_paths,
		    err) < 0 ||
	    cj_strs(lx, "readonlyPaths", "linux.readonlyPaths", &l->readonly_paths,
		    &l->nreadonly_paths, err) < 0)
		return -1;
	if (check_paths("linux.maskedPaths", l->masked_paths, l->nmasked_paths, err) < 0 ||
	    check_paths("linux.readonlyPaths", l->readonly_paths, l->nreadonly_paths, err) < 0)
		return -1;
	if (cj_kvs(lx, "sysctl", "linux.sysctl", &l->sysctl, &l->nsysctl, err) < 0)
		return -1;
	json_t *seccomp;
	if (cj_obj(lx, "seccomp", "linux.seccomp", false, &seccomp, err) < 0)
		return -1;
	l->has_seccomp = seccomp != NULL;
	l->seccomp = seccomp;
	if (parse_devices(lx, l, err) < 0)
		return -1;
	l->has_intel_rdt = cj_get(lx, "intelRdt") != NULL;
	l->has_personality = cj_get(lx, "personality") != NULL;
	return 0;
}
