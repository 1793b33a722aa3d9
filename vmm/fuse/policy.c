/* The share's policy (struct vfs_policy): which owners, modes, device nodes
 * and file capabilities the guest may put on the host, and the files-only
 * shares of single-file binds. The guest kernel enforces all of this for
 * well-behaved processes; these checks hold against a hostile guest kernel,
 * which can send any ids, modes and values. */
#include <endian.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "vmm/fuse/internal.h"

void vfs_set_policy(struct vfs_server *s, const struct vfs_policy *p)
{
	s->policy = *p;
}

int vfs_expose_only(struct vfs_server *s, const char *const *names, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const char *m = names[i];
		if (!m[0] || strchr(m, '/') || !strcmp(m, ".") || !strcmp(m, "..") || strlen(m) > 255)
			return -EINVAL;
	}
	char **v = calloc(n ? n : 1, sizeof(*v));
	for (uint32_t i = 0; v && i < n; i++) {
		if (!(v[i] = strdup(names[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			v = NULL;
		}
	}
	if (!v)
		return -ENOMEM;
	vfs_free_only(s);
	s->only = v;
	s->nonly = n;
	return 0;
}

void vfs_free_only(struct vfs_server *s)
{
	for (uint32_t i = 0; s->only && i < s->nonly; i++)
		free(s->only[i]);
	free(s->only);
	s->only = NULL;
	s->nonly = 0;
}

static bool in_ranges(const struct vfs_idrange *r, uint32_t n, uint32_t id)
{
	if (!n)
		return true;
	for (uint32_t i = 0; i < n; i++)
		if (id >= r[i].first && id - r[i].first < r[i].count)
			return true;
	return false;
}

bool vfs_uid_ok(const struct vfs_server *s, uint32_t uid)
{
	return in_ranges(s->policy.uids, s->policy.nuids, uid);
}

bool vfs_gid_ok(const struct vfs_server *s, uint32_t gid)
{
	return in_ranges(s->policy.gids, s->policy.ngids, gid);
}

mode_t vfs_allowed_mode(const struct vfs_server *s, mode_t type, mode_t mode)
{
	/* A set-group-ID directory only passes its group on: no privilege. */
	if (!s->policy.setid && type != S_IFDIR)
		mode &= ~(mode_t)(S_ISUID | S_ISGID);
	return mode;
}

int vfs_mknod_ok(const struct vfs_server *s, mode_t type, uint64_t rdev)
{
	if (type != S_IFCHR && type != S_IFBLK)
		return 0;
	/* rdev is new_encode_dev()'s form, which glibc's major/minor read. */
	for (uint32_t i = 0; i < s->policy.ndevs; i++) {
		const struct vfs_devnode *d = &s->policy.devs[i];
		if (d->type == type && d->major == major((dev_t)rdev) && d->minor == minor((dev_t)rdev))
			return 0;
	}
	return -EPERM;
}

int vfs_xattr_ok(const struct vfs_server *s, const char *name, const void *value, uint32_t len)
{
	if (strcmp(name, "security.capability"))
		return 0;
	if (!s->policy.setid)
		return -EPERM;
	if (!s->policy.nuids)
		return 0;
	/* In a user namespace the guest kernel writes revision 3, rooted at
	 * the namespace's root (cap_convert_nscap); a revision 2 would grant
	 * its capabilities to host root's executions, and a root outside the
	 * maps is not the container's. */
	struct vfs_ns_cap_data c;
	if (len != XATTR_CAPS_SZ_3)
		return -EPERM;
	memcpy(&c, value, sizeof(c));
	if ((le32toh(c.magic_etc) & VFS_CAP_REVISION_MASK) != VFS_CAP_REVISION_3 ||
	    !vfs_uid_ok(s, le32toh(c.rootid)))
		return -EPERM;
	return 0;
}

int vfs_creator_ok(const struct vfs_call *c)
{
	return vfs_uid_ok(c->s, c->r->h.uid) && vfs_gid_ok(c->s, c->r->h.gid) ? 0 : -EOVERFLOW;
}

static bool only_name(const struct vfs_server *s, const char *name)
{
	for (uint32_t i = 0; i < s->nonly; i++)
		if (!strcmp(s->only[i], name))
			return true;
	return false;
}

int vfs_files_only(const struct vfs_call *c)
{
	const struct vfs_server *s = c->s;
	switch (c->r->h.opcode) {
	case FUSE_LOOKUP:
		if (c->r->h.nodeid == FUSE_ROOT_ID && !only_name(s, c->r->name))
			return -ENOENT;
		return 0;
	case FUSE_MKNOD: case FUSE_MKDIR: case FUSE_SYMLINK: case FUSE_LINK: case FUSE_UNLINK:
	case FUSE_RMDIR: case FUSE_RENAME: case FUSE_RENAME2: case FUSE_CREATE: case FUSE_OPENDIR:
		return -EPERM;
	case FUSE_SETATTR: case FUSE_SETXATTR: case FUSE_REMOVEXATTR:
		return c->r->h.nodeid == FUSE_ROOT_ID ? -EPERM : 0;
	default:
		return 0;
	}
}
