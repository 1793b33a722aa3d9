/* An OCI bundle's config.json (runtime-spec 1.x config.md), parsed with
 * jansson into the fields mvrun reads. Parsing checks types and required
 * fields only; what mvrun can honour is spec2vm.c's business.
 *
 * Every string points into the parsed JSON document, which the struct owns:
 * it lives until cfg_free(). */
#ifndef MVRUN_SHIM_CONFIG_H
#define MVRUN_SHIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Status of every config error: runc exits 1 for a bad bundle. */
#define CFG_EXIT 1

struct cfg_mount {
	const char *destination;
	const char *type;    /* NULL if absent */
	const char *source;  /* NULL if absent */
	const char **options;
	int noptions;
	bool has_idmap;      /* uidMappings or gidMappings given (an idmapped mount) */
};

struct cfg_rlimit {
	const char *type;    /* "RLIMIT_NOFILE", ... (checked against the known names) */
	uint64_t soft, hard;
};

/* One linux.uidMappings or gidMappings entry: container ids
 * container_id..container_id+size-1 are host_id..host_id+size-1 (here, the
 * guest's ids). size >= 1 and neither range passes 2^32 - 1. */
struct cfg_idmap {
	uint32_t container_id, host_id, size;
};
#define CFG_MAX_IDMAPS 64 /* entries in each map: proto/confine.h's PROTO_MAX_IDMAPS */

struct cfg_namespace {
	const char *type;    /* pid, network, mount, ipc, uts, user, cgroup, time */
	const char *path;    /* NULL: a new namespace */
};

/* The five capability sets, in proto/confine.h's order. */
enum cfg_cap_set { CFG_CAP_BOUNDING, CFG_CAP_EFFECTIVE, CFG_CAP_PERMITTED, CFG_CAP_INHERITABLE,
		   CFG_CAP_AMBIENT, CFG_CAP_SETS };
extern const char *const cfg_cap_set_names[CFG_CAP_SETS];

struct cfg_device {
	const char *path;    /* absolute */
	const char *type;    /* "c", "b", "u" or "p" */
	int64_t major, minor; /* -1 if absent (allowed for "p" only) */
	bool has_mode, has_uid, has_gid;
	uint32_t mode, uid, gid;
};

/* One linux.resources.devices rule: -1 for a major or minor of "*". */
struct cfg_devrule {
	bool allow;
	char type;            /* 'a', 'b' or 'c' */
	int64_t major, minor;
	uint32_t access;      /* PROTO_DEV_R/W/M bits (proto/confine.h) */
};

struct cfg_kv {
	const char *key, *value;
};

/* The resources mvrun applies (a subset of OCI linux.resources). A field
 * left at its "unset" value is not written (a new cgroup is unlimited), and
 * a set one whose controller is missing fails host/cgroup's cg_enter and cg_update. */
struct cg_resources {
	int64_t memory_limit;   /* bytes, -1 (any negative) unset; also sizes the guest */
	int64_t memory_swap;    /* bytes of memory+swap as in OCI, -1 unset. v1: memsw,
				 * skipped without swap accounting (as runc); v2:
				 * swap.max = swap - memory_limit, which must be set */
	int64_t cpu_quota;      /* µs per period, -1 (any negative) unset */
	uint64_t cpu_period;    /* µs, 0 unset (v2 alone: cpu.max "max PERIOD") */
	uint64_t cpu_shares;    /* 0 unset (v2: cpu.weight = 1 + (shares-2)*9999/262142) */
	const char *cpuset_cpus;/* NULL unset */
	const char *cpuset_mems;
	int64_t pids_limit;     /* -1 unset, 0 unlimited in OCI terms is treated as unset */
};

/* One hook of the config (host/hooks.c runs it). */
struct hook {
	const char *path;    /* absolute */
	char **args;         /* NULL-terminated, args[0] is argv[0]; NULL or empty: just path */
	char **env;          /* NULL-terminated, or NULL: empty environment */
	int timeout;         /* seconds, 0 (or negative) = none */
};

enum cfg_hook_kind {
	CFG_HOOK_PRESTART,
	CFG_HOOK_CREATE_RUNTIME,
	CFG_HOOK_CREATE_CONTAINER,
	CFG_HOOK_START_CONTAINER,
	CFG_HOOK_POSTSTART,
	CFG_HOOK_POSTSTOP,
	CFG_HOOK_KINDS,
};

/* The JSON names of the hook kinds, indexed by enum cfg_hook_kind. */
extern const char *const cfg_hook_names[CFG_HOOK_KINDS];

struct cfg_process {
	bool terminal;
	uint32_t console_height, console_width; /* 0: not given */
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	int nadditional_gids;
	const char **args;   /* nargs >= 1 entries, then NULL */
	int nargs;
	const char **env;    /* each NAME=VALUE, then NULL */
	int nenv;
	const char *cwd;     /* absolute */
	struct cfg_rlimit *rlimits;
	int nrlimits;
	bool no_new_privileges;
	bool has_capabilities;
	const char **caps[CFG_CAP_SETS]; /* names ("CAP_..."), NULL-terminated; NULL if absent */
	int ncaps[CFG_CAP_SETS];
	bool has_oom_score_adj;
	int oom_score_adj;
	const char *apparmor_profile, *selinux_label; /* NULL if absent */
	bool has_io_priority, has_scheduler;
};

#define CFG_MAX_UNAPPLIED 16

struct cfg_linux {
	struct cfg_namespace *namespaces;
	int nnamespaces;
	struct cfg_idmap uid_mappings[CFG_MAX_IDMAPS], gid_mappings[CFG_MAX_IDMAPS];
	int nuid_mappings, ngid_mappings;
	const char *cgroups_path;        /* NULL if absent */
	struct cg_resources resources;   /* unset fields as struct cg_resources says */
	bool has_memory_limit;
	const char **masked_paths, **readonly_paths; /* NULL-terminated, or NULL */
	int nmasked_paths, nreadonly_paths;
	struct cfg_kv *sysctl;
	int nsysctl;
	bool has_seccomp;
	void *seccomp;                   /* the json_t object linux.seccomp (owned by doc) */
	struct cfg_device *devices;      /* linux.devices */
	int ndevices;
	struct cfg_devrule *devrules;    /* linux.resources.devices */
	int ndevrules;
	int64_t memory_reservation;      /* linux.resources.memory.reservation, -1 unset */
	struct cfg_kv *unified;          /* linux.resources.unified, in the config's order */
	int nunified;
	const char *unapplied[CFG_MAX_UNAPPLIED]; /* linux.resources fields given but not
					  * applied ("blockIO", "memory.swappiness"...) */
	int nunapplied;
	bool has_intel_rdt, has_personality;
};

struct cfg {
	void *doc;                       /* the json_t document; owns every string */
	const char *oci_version;
	const char *root_path;           /* as written: relative to the bundle or absolute */
	bool root_readonly;
	bool has_process;
	struct cfg_process process;
	const char *hostname, *domainname; /* NULL if absent */
	struct cfg_mount *mounts;
	int nmounts;
	bool has_linux;
	struct cfg_linux lx;            /* "linux" (a predefined macro in GNU C) */
	struct hook *hooks[CFG_HOOK_KINDS];
	int nhooks[CFG_HOOK_KINDS];
	struct cfg_kv *annotations;
	int nannotations;
};

/* Parse config.json text (len bytes, not necessarily NUL-terminated) into c.
 * Returns 0, or -1 with err (status CFG_EXIT) naming the field:
 * "config.json: process.args: must be a non-empty array of strings", or for
 * bad JSON "config.json: line L column C: <jansson's message>". On failure c
 * holds nothing to free; on success free it with cfg_free(). */
int cfg_parse(const char *text, size_t len, struct cfg *c, struct err *err);

/* Read and parse BUNDLE/config.json. Also returns the file's bytes in *text
 * (malloc'd, NUL-terminated; the caller frees) when text is not NULL, so the
 * same config can be kept with the container's state. */
int cfg_load(const char *bundle, struct cfg *c, char **text, struct err *err);

/* Read a bare OCI process object (mvrun exec --process FILE) into
 * c->process, checked as config.json's "process" is (messages name
 * "process.FIELD"); the rest of c stays empty. Free with cfg_free(). */
int cfg_load_process(const char *path, struct cfg *c, struct err *err);

/* Whether id is inside one of the n entries' container ranges. */
bool cfg_idmap_has(const struct cfg_idmap *m, int n, uint32_t id);

/* The annotation `key`, or NULL. */
const char *cfg_annotation(const struct cfg *c, const char *key);

/* Release everything c holds; c may be zeroed or already freed. */
void cfg_free(struct cfg *c);

#endif
