/* config.json mounts → mvm --volume HOST:GUEST[:ro], --file and --tmpfs.
 *
 * mvinit gives every container its own proc, sysfs, devpts, mqueue and tmpfs
 * at the usual places (guest-init/container.c), so those entries are the
 * guest's own; a tmpfs on /dev or /dev/shm goes to mvinit (--tmpfs) for its
 * options (docker's --shm-size), and replaces mvinit's default one (see
 * guest-init/dev.c). Bind mounts of host directories become virtio-fs shares,
 * single files are staged and shared (launch.c), and a tmpfs elsewhere is
 * the guest's own. Everything else fails create. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime-shim/spec2vm_int.h"

static const struct {
	const char *type, *dest;
} provided[] = {
	{ "proc", "/proc" },	 { "sysfs", "/sys" },	   { "devpts", "/dev/pts" },
	{ "mqueue", "/dev/mqueue" }, { "devtmpfs", "/dev" },
	{ "tmpfs", "/run" },	 { "tmpfs", "/tmp" },
};

/* Bind options that change nothing mvm has to do. */
static const char *const harmless[] = {
	"bind",	     "rbind",	   "private",	  "rprivate",	  "slave",	"rslave",
	"shared",    "rshared",	   "unbindable",  "runbindable",  "suid",	"dev",
	"exec",	     "relatime",   "norelatime",  "noatime",	  "atime",	"strictatime",
	"nostrictatime", "nodiratime", "diratime", "sync",	  "async",	"dirsync",
	"lazytime",  "nolazytime", "z",		  "Z",
};

/* In-guest restrictions on a share, which mvinit applies (mvm's own view
 * of every share has them all already). */
static const char *const guest_only[] = { "nosuid", "nodev", "noexec" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* dest made absolute, without repeated or trailing slashes or "." parts, and
 * ".." taken lexically, stopping at the root as runc's securejoin does: "/.."
 * must not slip past the check that a bind does not cover "/". */
static void normalise(const char *dest, char *out, size_t cap)
{
	size_t o = 0;
	const char *s = dest;
	while (*s && o + 2 < cap) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (!n)
			break;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o && out[--o] != '/')
				;
		} else if (!(n == 1 && s[0] == '.')) {
			if (o + 1 + n >= cap)
				n = cap - o - 2;
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
	}
	if (!o)
		out[o++] = '/';
	out[o] = 0;
}

static bool is_bind(const struct cfg_mount *m)
{
	if (m->type && (!strcmp(m->type, "bind") || !strcmp(m->type, "rbind")))
		return true;
	for (int i = 0; i < m->noptions; i++)
		if (!strcmp(m->options[i], "bind") || !strcmp(m->options[i], "rbind"))
			return true;
	return false;
}

static int add_mountpoint(struct s2v_plan *p, const char *dest, bool file, struct shim_err *err)
{
	if (p->nmps == (int)(sizeof(p->mps) / sizeof(p->mps[0])))
		return 0; /* every kind was counted against its own limit first */
	if (!(p->mps[p->nmps].path = strdup(dest)))
		return shim_errf(err, CFG_EXIT, "out of memory");
	p->mps[p->nmps++].file = file;
	return 0;
}

/* A tmpfs of the guest's own: mvm --tmpfs DEST:OPTIONS, with the options
 * mvinit knows (guest-init/container.c mount_tmpfs) and the harmless ones
 * dropped. */
static int tmpfs_mount(const struct cfg_mount *m, const char *f, const char *dest,
		       struct s2v_plan *p, int *ntmpfs, struct shim_err *err)
{
	static const char *const flags[] = { "ro", "rw", "nosuid", "nodev", "noexec", "exec" };
	static const char *const keys[] = { "size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=",
					    "gid=" };
	char opts[512] = "";
	size_t len = 0;
	if (++*ntmpfs > S2V_MAX_TMPFS)
		return s2v_bad(err, f, "more than %d tmpfs mounts", S2V_MAX_TMPFS);
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a tmpfs cannot cover the root");
	if (strchr(dest, ':'))
		return s2v_bad(err, f, "mvm cannot mount a tmpfs on a path that contains ':' (%s)", dest);
	for (int i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		bool keep = in_list(o, flags, sizeof(flags) / sizeof(flags[0]));
		for (size_t k = 0; !keep && k < sizeof(keys) / sizeof(keys[0]); k++)
			keep = !strncmp(o, keys[k], strlen(keys[k]));
		if (keep) {
			if (strchr(o, ':') || len + strlen(o) + 2 >= sizeof(opts))
				return s2v_bad(err, f, "tmpfs option \"%s\" is not supported", o);
			len += (size_t)snprintf(opts + len, sizeof(opts) - len, "%s%s", len ? "," : "", o);
		} else if (!strcmp(o, "tmpcopyup")) { /* mvinit copies the image's files in */
			len += (size_t)snprintf(opts + len, sizeof(opts) - len, "%stmpcopyup", len ? "," : "");
		} else if (!in_list(o, harmless, sizeof(harmless) / sizeof(harmless[0]))) {
			return s2v_bad(err, f, "tmpfs option \"%s\" is not supported", o);
		}
	}
	if (s2v_push(p, "--tmpfs") < 0 || s2v_push(p, "%s:%s", dest, opts) < 0)
		return shim_errf(err, CFG_EXIT, "out of memory");
	return add_mountpoint(p, dest, false, err);
}

static int file_bind(const char *f, const char *src, const char *dest, bool ro, const char *mo,
		     const struct s2v_inputs *in, struct s2v_plan *p, struct shim_err *err)
{
	if (!in->state_dir)
		return s2v_bad(err, f, "bind mount of a single file (%s on %s) needs a container state "
				       "directory to stage it in", src, dest);
	if (p->nfiles == S2V_MAX_FILES)
		return s2v_bad(err, f, "more than %d bind mounts of single files", S2V_MAX_FILES);
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a bind mount cannot cover the root; use root.path");
	if (strchr(dest, ':'))
		return s2v_bad(err, f, "mvm cannot bind a file onto a path that contains ':' (%s)", dest);
	struct s2v_file *sf = &p->files[p->nfiles];
	if (asprintf(&sf->stage, "%s/%s/f%d", in->state_dir, ro ? "files-ro" : "files", p->nfiles) < 0) {
		sf->stage = NULL;
		return shim_errf(err, CFG_EXIT, "out of memory");
	}
	if (!(sf->src = strdup(src))) {
		free(sf->stage);
		return shim_errf(err, CFG_EXIT, "out of memory");
	}
	p->nfiles++;
	if (s2v_push(p, "--file") < 0 || s2v_push(p, "%s:%s%s", sf->stage, dest, mo) < 0)
		return shim_errf(err, CFG_EXIT, "out of memory");
	return add_mountpoint(p, dest, true, err);
}

static int bind_mount(const struct cfg_mount *m, const char *f, const char *dest,
		      const struct s2v_inputs *in, struct s2v_plan *p, int *nvol,
		      struct shim_err *err)
{
	char src[PATH_MAX], fs[64];
	bool ro = false;
	unsigned restricted = 0; /* bit i: guest_only[i] */
	snprintf(fs, sizeof(fs), "%s.source", f);
	if (!m->source || !m->source[0])
		return s2v_bad(err, fs, "missing (a bind mount needs one)");
	if ((size_t)snprintf(src, sizeof(src), "%s%s%s", m->source[0] == '/' ? "" : in->bundle,
			     m->source[0] == '/' ? "" : "/", m->source) >= sizeof(src))
		return s2v_bad(err, fs, "too long");
	for (int i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		if (!strcmp(o, "ro") || !strcmp(o, "rro"))
			ro = true;
		else if (!strcmp(o, "rw") || !strcmp(o, "rrw"))
			ro = false;
		else if (in_list(o, guest_only, sizeof(guest_only) / sizeof(guest_only[0])))
			for (unsigned k = 0; k < 3; k++)
				restricted |= !strcmp(o, guest_only[k]) << k;
		else if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
			return s2v_bad(err, f, "idmapped mounts are not supported yet");
		else if (!in_list(o, harmless, sizeof(harmless) / sizeof(harmless[0])))
			return s2v_bad(err, f, "bind mount option \"%s\" is not supported", o);
	}
	/* mvm's options: ":ro,nosuid,nodev,noexec", as they apply. */
	char mo[32] = "";
	size_t ml = 0;
	if (ro)
		ml += (size_t)snprintf(mo + ml, sizeof(mo) - ml, ":ro");
	for (unsigned k = 0; k < 3; k++)
		if (restricted >> k & 1)
			ml += (size_t)snprintf(mo + ml, sizeof(mo) - ml, "%s%s", ml ? "," : ":", guest_only[k]);
	struct stat st;
	if (stat(src, &st) < 0)
		return s2v_bad(err, fs, "%s: %s", src, strerror(errno));
	if (S_ISREG(st.st_mode))
		return file_bind(f, src, dest, ro, mo, in, p, err);
	if (!S_ISDIR(st.st_mode))
		return s2v_bad(err, f, "bind mount of %s: not a directory (only directories can be shared)",
			       src);
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a bind mount cannot cover the root; use root.path");
	if (strchr(src, ':') || strchr(dest, ':'))
		return s2v_bad(err, f, "mvm cannot share a path that contains ':' (%s on %s)", src,
			       dest);
	if (++*nvol > S2V_MAX_VOLUMES)
		return s2v_bad(err, f, "more than %d bind mounts; mvm shares at most %d directories",
			       S2V_MAX_VOLUMES, S2V_MAX_VOLUMES);
	if (s2v_push(p, "--volume") < 0 || s2v_push(p, "%s:%s%s", src, dest, mo) < 0)
		return shim_errf(err, CFG_EXIT, "out of memory");
	return add_mountpoint(p, dest, false, err);
}

int s2v_mounts(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
	       struct shim_err *err)
{
	int nvol = 0, ntmpfs = 0;
	bool cgroupfs = false;
	for (int i = 0; i < c->nmounts; i++) {
		const struct cfg_mount *m = &c->mounts[i];
		char f[32], dest[PATH_MAX];
		snprintf(f, sizeof(f), "mounts[%d]", i);
		normalise(m->destination, dest, sizeof(dest));
		if (m->has_idmap)
			return s2v_bad(err, f, "idmapped mounts are not supported yet");
		if (is_bind(m)) {
			if (bind_mount(m, f, dest, in, p, &nvol, err) < 0)
				return -1;
			continue;
		}
		if (!m->type || !m->type[0]) {
			char ft[48];
			snprintf(ft, sizeof(ft), "%s.type", f);
			return s2v_bad(err, ft, "missing (required unless the mount is a bind)");
		}
		bool ok = false;
		for (size_t k = 0; k < sizeof(provided) / sizeof(provided[0]); k++)
			ok |= !strcmp(m->type, provided[k].type) && !strcmp(dest, provided[k].dest);
		if (ok)
			continue;
		if ((!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) &&
		    !strcmp(dest, "/sys/fs/cgroup")) {
			cgroupfs = true;
			continue;
		}
		if (!strcmp(m->type, "tmpfs")) {
			if (tmpfs_mount(m, f, dest, p, &ntmpfs, err) < 0)
				return -1;
			continue;
		}
		return s2v_bad(err, f, "a %s mount at %s is not supported (mvrun shares host "
				       "directories with bind mounts; proc, sysfs, devpts, mqueue and tmpfs "
				       "are the guest's own at their usual places)", m->type, dest);
	}
	if (cgroupfs)
		s2v_note(p, "mounts: the guest has no cgroup filesystem at /sys/fs/cgroup yet");
	return 0;
}
