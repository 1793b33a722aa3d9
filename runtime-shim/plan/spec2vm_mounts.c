/* config.json mounts → the SPEC's mounts, in the config's order, which
 * mvinit mounts them in, and the shares mvm serves (--volume HOST[:ro],
 * --file STAGE[:ro]).
 *
 * proc, sysfs, devpts, mqueue and tmpfs are the guest kernel's own, with
 * their source and options (mvinit makes the default device nodes in a /dev
 * tmpfs, see guest-init/rootfs/dev.c), and mvinit adds none the config does not
 * list. Bind mounts of host directories become virtio-fs shares, single
 * files are staged and shared (launch.c). Everything else fails create. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/launch.h"
#include "proto/mountopt.h"
#include "runtime-shim/plan/spec2vm_int.h"

/* The filesystems the guest's kernel mounts itself (guest_fs). */
static const char *const guest_types[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue" };

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

/* A bind's propagation, which mvinit gives the share in the guest. */
static const char *const propagations[] = { "shared", "rshared", "slave", "rslave",
					    "private", "rprivate", "unbindable", "runbindable" };

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

/* Is dest under (not at) the destination of a mount that comes before the
 * first one at dest? Its mount point is then made inside that mount, in the
 * guest, as runc does (/dev/pts in the /dev tmpfs), not in the image. */
static bool covered(const struct cfg *c, const char *dest)
{
	for (int i = 0; i < c->nmounts; i++) {
		char d[PATH_MAX];
		size_t l;
		normalise(c->mounts[i].destination, d, sizeof(d));
		l = strlen(d);
		if (!strcmp(d, dest))
			return false;
		if (l == 1 ? dest[1] != 0 : !strncmp(dest, d, l) && dest[l] == '/')
			return true;
	}
	return false;
}

static void drop_covered(const struct cfg *c, struct s2v_plan *p)
{
	int n = 0;
	for (int i = 0; i < p->nmps; i++)
		if (covered(c, p->mps[i].path))
			free(p->mps[i].path);
		else
			p->mps[n++] = p->mps[i];
	p->nmps = n;
}

static int add_mountpoint(struct s2v_plan *p, const char *dest, bool file, bool kernfs,
			  struct err *err)
{
	if (p->nmps == (int)(sizeof(p->mps) / sizeof(p->mps[0])))
		return 0; /* too many: mvinit names the one it cannot make */
	for (int i = 0; i < p->nmps; i++)
		if (!strcmp(p->mps[i].path, dest))
			return 0;
	if (!(p->mps[p->nmps].path = strdup(dest)))
		return err_set(err, CFG_EXIT, "out of memory");
	p->mps[p->nmps].kernfs = kernfs;
	p->mps[p->nmps++].file = file;
	return 0;
}

/* One more of the SPEC's mounts; strings owned by the config or the plan. */
static int spec_mount(struct s2v_plan *p, const char *tag, const char *path, uint32_t flags,
		      const char *fstype, const char *source, struct err *err)
{
	if (!tag || !path)
		return err_set(err, CFG_EXIT, "out of memory");
	if (p->spec.nmounts == PROTO_MAX_MOUNTS) /* the limits above keep below it */
		return err_set(err, CFG_EXIT, "more than %d mounts", PROTO_MAX_MOUNTS);
	p->spec.mounts[p->spec.nmounts++] = (struct proto_mount){ tag, path, flags, fstype, source };
	return 0;
}

/* A filesystem of the guest's own (tmpfs, proc, sysfs, devpts, mqueue):
 * a TMPFS or KERNFS mount of the SPEC, with the options mvinit knows
 * (guest-init/rootfs/kernfs.c, tmpfs.c) and the harmless ones dropped. *n counts tmpfs and
 * the others apart, against mvm's limits. */
static int guest_fs(const struct cfg_mount *m, const char *type, const char *f, const char *dest,
		    struct s2v_plan *p, int n[2], struct err *err)
{
	bool tmpfs = !strcmp(type, "tmpfs");
	const char *src = m->source && m->source[0] ? m->source : type;
	char opts[512] = "";
	size_t len = 0;
	unsigned long ignored = 0;

	if (tmpfs ? ++n[0] > MVM_MAX_TMPFS : ++n[1] > MVM_MAX_KERNFS)
		return s2v_bad(err, f, "more than %d %s mounts", tmpfs ? MVM_MAX_TMPFS : MVM_MAX_KERNFS,
			       tmpfs ? "tmpfs" : "proc, sysfs, devpts and mqueue");
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a %s cannot cover the root", type);
	if (strchr(dest, ':') || strchr(src, ':'))
		return s2v_bad(err, f, "mvm cannot mount a %s from or on a path that contains ':' "
				       "(%s on %s)", type, src, dest);
	for (int i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		bool keep = mountopt_flag(o, &ignored) || mountopt_is_data(type, o) ||
			    (tmpfs && !strcmp(o, "tmpcopyup")); /* mvinit copies the image's files in */
		if (keep) {
			if (strchr(o, ':') || len + strlen(o) + 2 >= sizeof(opts))
				return s2v_bad(err, f, "%s option \"%s\" is not supported", type, o);
			len += (size_t)snprintf(opts + len, sizeof(opts) - len, "%s%s", len ? "," : "", o);
		} else if (!in_list(o, harmless, sizeof(harmless) / sizeof(harmless[0]))) {
			return s2v_bad(err, f, "%s option \"%s\" is not supported", type, o);
		}
	}
	if (!tmpfs)
		p->spec.flags |= PROTO_SPEC_ALL_MOUNTS;
	if (spec_mount(p, s2v_own(p, "%s", opts), s2v_own(p, "%s", dest),
		       tmpfs ? PROTO_MOUNT_TMPFS : PROTO_MOUNT_KERNFS, tmpfs ? "tmpfs" : type, src,
		       err) < 0)
		return -1;
	return add_mountpoint(p, dest, false, !strcmp(type, "proc") || !strcmp(type, "sysfs"), err);
}

static int file_bind(const char *f, const char *src, const char *dest, bool ro, uint32_t flags,
		     const struct s2v_inputs *in, struct s2v_plan *p, struct err *err)
{
	if (!in->state_dir)
		return s2v_bad(err, f, "bind mount of a single file (%s on %s) needs a container state "
				       "directory to stage it in", src, dest);
	if (p->nfiles == MVM_MAX_FILES)
		return s2v_bad(err, f, "more than %d bind mounts of single files", MVM_MAX_FILES);
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a bind mount cannot cover the root; use root.path");
	if (strchr(dest, ':'))
		return s2v_bad(err, f, "mvm cannot bind a file onto a path that contains ':' (%s)", dest);
	struct s2v_file *sf = &p->files[p->nfiles];
	if (asprintf(&sf->stage, "%s/%s/f%d", in->state_dir, ro ? "files-ro" : "files", p->nfiles) < 0) {
		sf->stage = NULL;
		return err_set(err, CFG_EXIT, "out of memory");
	}
	if (!(sf->src = strdup(src))) {
		free(sf->stage);
		return err_set(err, CFG_EXIT, "out of memory");
	}
	p->nfiles++;
	/* mvm shares each stage directory once, numbered as they first come. */
	int d = 0;
	while (d < p->nfile_dirs && p->file_dir_ro[d] != ro)
		d++;
	if (d == p->nfile_dirs)
		p->file_dir_ro[p->nfile_dirs++] = ro;
	if (s2v_push(p, "--file") < 0 || s2v_push(p, "%s%s", sf->stage, ro ? ":ro" : "") < 0 ||
	    spec_mount(p, s2v_own(p, LAUNCH_TAG_FILE, d, strrchr(sf->stage, '/') + 1),
		       s2v_own(p, "%s", dest), PROTO_MOUNT_FILE | flags, NULL, NULL, err) < 0)
		return err->status ? -1 : err_set(err, CFG_EXIT, "out of memory");
	return add_mountpoint(p, dest, true, false, err);
}

/* The mounts below a read-only rbind's source, each shared on its own
 * with the bind's other options (opts, without ro) at the same place under
 * dest (flags: the bind's, without ro), after the top share: the guest sees a share as one filesystem, so
 * this is what keeps them writable, as under runc. Beyond mvm's share limit
 * (or a path mvm cannot share) they stay read-only, with a note. */
static int rw_submounts(const char *f, const char *src, const char *dest, uint32_t flags,
			struct s2v_plan *p, int *nvol, struct err *err)
{
	char real[PATH_MAX], line[4096], mp[PATH_MAX];
	FILE *mi;
	size_t rl;
	int ret = 0;
	if (!realpath(src, real) || !(mi = fopen("/proc/self/mountinfo", "re")))
		return 0;
	rl = strlen(real);
	while (!ret && fgets(line, sizeof(line), mi)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ...: octal escapes (a space,
		 * a tab) are left out, as mvm cannot share such a path either. */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    strncmp(mp, real, rl) || (rl > 1 && mp[rl] != '/') || !mp[rl] || !strcmp(mp, real))
			continue;
		const char *rel = mp + (rl > 1 ? rl : 0);
		if (strchr(mp, '\\') || strchr(mp, ':') || strchr(dest, ':') || *nvol >= MVM_MAX_VOLUMES) {
			s2v_note(p, "%s: %s is mounted below the read-only bind's source: it is read-only "
				    "in the container too (%s)", f, mp,
				 *nvol >= MVM_MAX_VOLUMES ? "mvm shares no more directories"
							  : "mvm cannot share its path");
			continue;
		}
		++*nvol;
		if (s2v_push(p, "--volume") < 0 || s2v_push(p, "%s", mp) < 0 ||
		    spec_mount(p, s2v_own(p, LAUNCH_TAG_VOLUME, *nvol - 1),
			       s2v_own(p, "%s%s", strcmp(dest, "/") ? dest : "", rel), flags, NULL, NULL,
			       err) < 0)
			ret = err->status ? -1 : err_set(err, CFG_EXIT, "out of memory");
	}
	fclose(mi);
	return ret;
}

static int bind_mount(const struct cfg_mount *m, const char *f, const char *dest,
		      const struct s2v_inputs *in, struct s2v_plan *p, int *nvol,
		      struct err *err)
{
	char src[PATH_MAX], fs[64];
	bool ro = false, rro = false, rbind = false;
	unsigned restricted = 0; /* bit i: guest_only[i] */
	const char *prop = NULL; /* the last one, as runc applies each in turn */
	snprintf(fs, sizeof(fs), "%s.source", f);
	if (!m->source || !m->source[0])
		return s2v_bad(err, fs, "missing (a bind mount needs one)");
	if ((size_t)snprintf(src, sizeof(src), "%s%s%s", m->source[0] == '/' ? "" : in->bundle,
			     m->source[0] == '/' ? "" : "/", m->source) >= sizeof(src))
		return s2v_bad(err, fs, "too long");
	for (int i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		if (!strcmp(o, "ro") || !strcmp(o, "rro"))
			ro = true, rro = o[1] == 'r';
		else if (!strcmp(o, "rw") || !strcmp(o, "rrw"))
			ro = rro = false;
		else if (!strcmp(o, "rbind"))
			rbind = true;
		else if (in_list(o, guest_only, sizeof(guest_only) / sizeof(guest_only[0])))
			for (unsigned k = 0; k < 3; k++)
				restricted |= !strcmp(o, guest_only[k]) << k;
		else if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
			return s2v_bad(err, f, "idmapped mounts are not supported yet");
		else if (in_list(o, propagations, sizeof(propagations) / sizeof(propagations[0])))
			prop = o;
		else if (!in_list(o, harmless, sizeof(harmless) / sizeof(harmless[0])))
			/* runc passes it as mount data, which a bind ignores. */
			s2v_note(p, "%s: bind mount option \"%s\" ignored (a bind mount takes no data)",
				 f, o);
	}
	/* What mvinit applies in the guest (mvm's own view of every share has
	 * nosuid, nodev and noexec already). */
	static const uint32_t restrict_bits[] = { PROTO_MOUNT_NOSUID, PROTO_MOUNT_NODEV,
						  PROTO_MOUNT_NOEXEC };
	static const uint32_t prop_bits[] = { PROTO_MOUNT_SHARED, PROTO_MOUNT_SLAVE,
					      PROTO_MOUNT_PRIVATE, PROTO_MOUNT_UNBINDABLE };
	uint32_t flags = ro ? PROTO_MOUNT_RO : 0;
	for (unsigned k = 0; k < 3; k++)
		if (restricted >> k & 1)
			flags |= restrict_bits[k];
	for (unsigned k = 0; prop && k < 8; k++)
		if (!strcmp(prop, propagations[k]))
			flags |= prop_bits[k / 2] | (k % 2 ? PROTO_MOUNT_PROP_REC : 0);
	struct stat st;
	if (stat(src, &st) < 0)
		return s2v_bad(err, fs, "%s: %s", src, strerror(errno));
	if (S_ISREG(st.st_mode))
		return file_bind(f, src, dest, ro, flags, in, p, err);
	if (!S_ISDIR(st.st_mode))
		return s2v_bad(err, f, "bind mount of %s: not a directory (only directories can be shared)",
			       src);
	if (!strcmp(dest, "/"))
		return s2v_bad(err, f, "a bind mount cannot cover the root; use root.path");
	if (strchr(src, ':') || strchr(dest, ':'))
		return s2v_bad(err, f, "mvm cannot share a path that contains ':' (%s on %s)", src,
			       dest);
	if (++*nvol > MVM_MAX_VOLUMES)
		return s2v_bad(err, f, "more than %d bind mounts; mvm shares at most %d directories",
			       MVM_MAX_VOLUMES, MVM_MAX_VOLUMES);
	if (s2v_push(p, "--volume") < 0 || s2v_push(p, "%s%s", src, ro ? ":ro" : "") < 0 ||
	    spec_mount(p, s2v_own(p, LAUNCH_TAG_VOLUME, *nvol - 1), s2v_own(p, "%s", dest), flags,
		       NULL, NULL, err) < 0)
		return err->status ? -1 : err_set(err, CFG_EXIT, "out of memory");
	if (add_mountpoint(p, dest, false, false, err) < 0)
		return -1;
	/* rbind,ro: runc 1.1 remounts the top read-only and leaves what is
	 * mounted below as it is ("rro" is the recursive one). */
	return ro && !rro && rbind ? rw_submounts(f, src, dest, flags & ~(uint32_t)PROTO_MOUNT_RO, p,
						  nvol, err)
				   : 0;
}

/* The cgroup mount's flags, for mvinit to mount the container's cgroup2
 * with: read-only unless an "rw" comes after any "ro" (runc's default
 * spec asks for ro; a mount that does not say rw gets it too). */
static void cgroupfs_flags(const struct cfg_mount *m, struct s2v_plan *p)
{
	uint32_t fl = PROTO_MOUNT_RO;
	for (int i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		fl = !strcmp(o, "rw") ? fl & ~(uint32_t)PROTO_MOUNT_RO
		   : !strcmp(o, "ro") ? fl | PROTO_MOUNT_RO
		   : !strcmp(o, "nosuid") ? fl | PROTO_MOUNT_NOSUID
		   : !strcmp(o, "nodev") ? fl | PROTO_MOUNT_NODEV
		   : !strcmp(o, "noexec") ? fl | PROTO_MOUNT_NOEXEC : fl;
	}
	p->cgroupfs = true;
	p->cgroupfs_flags = fl;
}

int s2v_mounts(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
	       struct err *err)
{
	int nvol = 0, n[2] = { 0, 0 };
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
		if ((!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) &&
		    !strcmp(dest, "/sys/fs/cgroup")) {
			/* runc makes every mount point before the root goes read-only. */
			if (add_mountpoint(p, dest, false, false, err) < 0)
				return -1;
			cgroupfs_flags(m, p);
			continue;
		}
		/* The host's devtmpfs is not the guest's: /dev is a tmpfs, as runc's. */
		const char *type = !strcmp(m->type, "devtmpfs") && !strcmp(dest, "/dev") ? "tmpfs"
											  : m->type;
		if (in_list(type, guest_types, sizeof(guest_types) / sizeof(guest_types[0]))) {
			if (guest_fs(m, type, f, dest, p, n, err) < 0)
				return -1;
			continue;
		}
		return s2v_bad(err, f, "a %s mount at %s is not supported (mvrun shares host "
				       "directories with bind mounts; proc, sysfs, devpts, mqueue and tmpfs "
				       "are the guest's own)", m->type, dest);
	}
	drop_covered(c, p);
	/* The FILES shares go first: mvinit mounts them out of the container's
	 * view before the FILE binds that take from them. */
	struct proto_spec *sp = &p->spec;
	if (sp->nmounts + (uint32_t)p->nfile_dirs > PROTO_MAX_MOUNTS)
		return err_set(err, CFG_EXIT, "more than %d mounts", PROTO_MAX_MOUNTS);
	memmove(sp->mounts + p->nfile_dirs, sp->mounts, sp->nmounts * sizeof(sp->mounts[0]));
	sp->nmounts += (uint32_t)p->nfile_dirs;
	for (int d = 0; d < p->nfile_dirs; d++) {
		sp->mounts[d] = (struct proto_mount){ s2v_own(p, LAUNCH_TAG_FILES, d), "",
			PROTO_MOUNT_FILES | (p->file_dir_ro[d] ? PROTO_MOUNT_RO : 0), NULL, NULL };
		if (!sp->mounts[d].tag)
			return err_set(err, CFG_EXIT, "out of memory");
	}
	return 0;
}
