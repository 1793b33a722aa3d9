/* config → CONFINE and SETUP (confine.h). */
#include "runtime-shim/plan/confine.h"

#include <string.h>

#include "runtime-shim/oci/config_json.h"

_Static_assert(CFG_MAX_IDMAPS == PROTO_MAX_IDMAPS, "a parsed map must fit in SETUP");

static const char *const cap_names[] = {
	"CAP_CHOWN",	      "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID",	      "CAP_KILL",	  "CAP_SETGID",		 "CAP_SETUID",
	"CAP_SETPCAP",	      "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",      "CAP_NET_RAW",	  "CAP_IPC_LOCK",	 "CAP_IPC_OWNER",
	"CAP_SYS_MODULE",     "CAP_SYS_RAWIO",	  "CAP_SYS_CHROOT",	 "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",      "CAP_SYS_ADMIN",	  "CAP_SYS_BOOT",	 "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",   "CAP_SYS_TIME",	  "CAP_SYS_TTY_CONFIG",	 "CAP_MKNOD",
	"CAP_LEASE",	      "CAP_AUDIT_WRITE",  "CAP_AUDIT_CONTROL",	 "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",	  "CAP_SYSLOG",		 "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",	  "CAP_PERFMON",	 "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* In the kernel's (x86_64) order. */
static const char *const rlimit_names[] = {
	"RLIMIT_CPU",	 "RLIMIT_FSIZE",   "RLIMIT_DATA",	"RLIMIT_STACK",	 "RLIMIT_CORE",
	"RLIMIT_RSS",	 "RLIMIT_NPROC",   "RLIMIT_NOFILE",	"RLIMIT_MEMLOCK", "RLIMIT_AS",
	"RLIMIT_LOCKS",	 "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",	 "RLIMIT_RTPRIO",
	"RLIMIT_RTTIME",
};

int cf_cap_number(const char *name)
{
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (!strcmp(name, cap_names[i]))
			return (int)i;
	return -1;
}

int cf_rlimit_number(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (!strcmp(name, rlimit_names[i]))
			return (int)i;
	return -1;
}

int cf_process(const struct cfg_process *p, const struct cfg_process *fallback,
	       const struct cfg_linux *lx, struct proto_confine *out, struct sc_prog *prog,
	       int *unknown_caps, struct err *err)
{
	const struct cfg_process *cp = !p->has_capabilities && fallback ? fallback : p;
	memset(out, 0, sizeof(*out));
	memset(prog, 0, sizeof(*prog));
	*unknown_caps = 0;
	out->flags = PROTO_CONFINE_CAPS | (p->no_new_privileges ? PROTO_CONFINE_NNP : 0);
	/* runc gives an exec's process the container's oom_score_adj. */
	const struct cfg_process *op = !p->has_oom_score_adj && fallback ? fallback : p;
	if (op->has_oom_score_adj) {
		out->flags |= PROTO_CONFINE_OOM;
		out->oom_score_adj = op->oom_score_adj;
	}
	for (int s = 0; s < CFG_CAP_SETS; s++)
		for (int i = 0; i < cp->ncaps[s]; i++) {
			int n = cf_cap_number(cp->caps[s][i]);
			if (n < 0)
				(*unknown_caps)++;
			else
				out->caps[s] |= 1ull << n;
		}
	if (lx && lx->seccomp) {
		if (sc_compile(lx->seccomp, prog, err) < 0)
			return -1;
		out->flags |= PROTO_CONFINE_SECCOMP;
		out->seccomp_flags = prog->flags;
		out->nbpf = prog->ninsns;
		out->bpf = prog->bpf;
	}
	return 0;
}

int cf_setup(const struct cfg *c, struct proto_setup *out, bool *empty, struct err *err)
{
	const struct cfg_linux *l = &c->lx;
	memset(out, 0, sizeof(*out));
	out->domainname = c->domainname ? c->domainname : "";
	if (l->nmasked_paths > PROTO_MAX_PATHS || l->nreadonly_paths > PROTO_MAX_PATHS)
		return cj_bad(err, l->nmasked_paths > PROTO_MAX_PATHS ? "linux.maskedPaths"
								     : "linux.readonlyPaths",
			      "more than %d paths", PROTO_MAX_PATHS);
	if (l->nsysctl > PROTO_MAX_SYSCTL)
		return cj_bad(err, "linux.sysctl", "more than %d entries", PROTO_MAX_SYSCTL);
	if (l->ndevices > PROTO_MAX_DEVICES)
		return cj_bad(err, "linux.devices", "more than %d devices", PROTO_MAX_DEVICES);
	out->nmasked = (uint32_t)l->nmasked_paths;
	for (int i = 0; i < l->nmasked_paths; i++)
		out->masked[i] = l->masked_paths[i];
	out->nreadonly = (uint32_t)l->nreadonly_paths;
	for (int i = 0; i < l->nreadonly_paths; i++)
		out->readonly[i] = l->readonly_paths[i];
	out->nsysctl = (uint32_t)l->nsysctl;
	for (int i = 0; i < l->nsysctl; i++) {
		out->sysctl_key[i] = l->sysctl[i].key;
		out->sysctl_value[i] = l->sysctl[i].value;
	}
	out->ndevices = (uint32_t)l->ndevices;
	for (int i = 0; i < l->ndevices; i++) {
		const struct cfg_device *d = &l->devices[i];
		struct proto_device *o = &out->devices[i];
		o->path = d->path;
		o->type = d->type[0] == 'u' ? 'c' : (uint32_t)d->type[0];
		o->major = d->major < 0 ? 0 : (uint32_t)d->major;
		o->minor = d->minor < 0 ? 0 : (uint32_t)d->minor;
		o->mode = d->has_mode ? d->mode & 07777 : 0666; /* runc's default */
		o->uid = d->has_uid ? d->uid : 0;
		o->gid = d->has_gid ? d->gid : 0;
	}
	/* Checked by the parser (CFG_MAX_IDMAPS, ranges) and by s2v_build (both or neither). */
	out->nuidmap = (uint32_t)l->nuid_mappings;
	for (int i = 0; i < l->nuid_mappings; i++)
		out->uidmap[i] = (struct proto_idmap){ l->uid_mappings[i].container_id,
						       l->uid_mappings[i].host_id,
						       l->uid_mappings[i].size };
	out->ngidmap = (uint32_t)l->ngid_mappings;
	for (int i = 0; i < l->ngid_mappings; i++)
		out->gidmap[i] = (struct proto_idmap){ l->gid_mappings[i].container_id,
						       l->gid_mappings[i].host_id,
						       l->gid_mappings[i].size };
	/* A path (joining one) is refused by s2v_build. */
	for (int i = 0; i < l->nnamespaces; i++)
		if (!strcmp(l->namespaces[i].type, "pid") && !l->namespaces[i].path)
			out->flags |= PROTO_SETUP_PIDNS;
	if (cf_devrules(c, out, err) < 0)
		return -1;
	*empty = !out->domainname[0] && !out->nmasked && !out->nreadonly &&
		 !out->nsysctl && !out->ndevices && !out->ndevrules && !out->nuidmap &&
		 !out->ngidmap && !out->flags;
	return 0;
}
