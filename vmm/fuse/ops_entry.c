/* Directory entry ops: MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR, RENAME,
 * RENAME2. Every name is one component (decode.c checked it) resolved
 * relative to a held directory fd, so none can reach outside the share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

int vfs_adopt(struct vfs_call *c, int dirfd, int fd, mode_t mode, bool setmode,
	      struct fuse_entry_out *e)
{
	struct vfs_server *s = c->s;
	struct stat st, dst;
	int rc = vfs_stat(fd, &st);
	if (rc == 0)
		rc = vfs_stat(dirfd, &dst);
	if (rc < 0)
		goto fail;
	uid_t uid = c->r->h.uid;
	gid_t gid = c->r->h.gid;
	if (dst.st_mode & S_ISGID) {
		gid = dst.st_gid;
		if (S_ISDIR(st.st_mode))
			mode |= S_ISGID;
	}
	if (st.st_uid != uid || st.st_gid != gid) {
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
		    (rc = vfs_stat(fd, &st)) < 0) {
			rc = rc < 0 ? rc : -errno;
			goto fail;
		}
	}
	if (setmode && (st.st_mode & 07777) != mode) {
		char name[16];
		vfs_fdname(name, fd);
		if (fchmodat(s->proc_fd, name, mode, 0) < 0 || (rc = vfs_stat(fd, &st)) < 0) {
			rc = rc < 0 ? rc : -errno;
			goto fail;
		}
	}
	int64_t id = vfs_inode_add(s, fd, &st);
	if (id < 0)
		return id;
	vfs_fill_entry(s, e, id, &st);
	return 0;
fail:
	close(fd);
	return rc;
}

/* Adopt the node just made as `name` in dir, and reply with its entry. */
static int made(struct vfs_call *c, struct vfs_inode *dir, const char *name, mode_t mode,
		bool setmode)
{
	int fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct fuse_entry_out e;
	int rc = vfs_adopt(c, dir->fd, fd, mode, setmode, &e);
	if (rc < 0)
		return rc;
	vfs_put(c, 0, &e, sizeof(e));
	return sizeof(e);
}

int vfs_op_mknod(struct vfs_call *c)
{
	const struct fuse_mknod_in *m = c->r->arg;
	struct vfs_inode *dir;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	mode_t type = m->mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	if ((rc = vfs_creator_ok(c)) < 0 || (rc = vfs_mknod_ok(c->s, type, m->rdev)) < 0)
		return rc;
	mode_t perm = vfs_allowed_mode(c->s, type, m->mode & 07777 & ~m->umask);
	/* rdev is the kernel's new_encode_dev() form, which mknod takes. */
	if (mknodat(dir->fd, c->r->name, type | (perm & 0777), m->rdev) < 0)
		return -errno;
	return made(c, dir, c->r->name, perm, true);
}

int vfs_op_mkdir(struct vfs_call *c)
{
	const struct fuse_mkdir_in *m = c->r->arg;
	struct vfs_inode *dir;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	if ((rc = vfs_creator_ok(c)) < 0)
		return rc;
	mode_t perm = vfs_allowed_mode(c->s, S_IFDIR, m->mode & 07777 & ~m->umask);
	if (mkdirat(dir->fd, c->r->name, perm & 0777) < 0)
		return -errno;
	return made(c, dir, c->r->name, perm, true);
}

int vfs_op_symlink(struct vfs_call *c)
{
	struct vfs_inode *dir;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	if ((rc = vfs_creator_ok(c)) < 0)
		return rc;
	/* The target is stored, never resolved here: the guest resolves it. */
	if (symlinkat(c->r->name2, dir->fd, c->r->name) < 0)
		return -errno;
	return made(c, dir, c->r->name, 0, false);
}

int vfs_op_link(struct vfs_call *c)
{
	struct vfs_server *s = c->s;
	const struct fuse_link_in *l = c->r->arg;
	struct vfs_inode *dir;
	int rc = vfs_dir(s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	/* Only an inode the guest already reached inside the share. */
	struct vfs_inode *old = vfs_inode_get(s, l->oldnodeid);
	if (!old)
		return -ESTALE;
	if (old->type == S_IFDIR)
		return -EPERM;
	char name[16];
	vfs_fdname(name, old->fd);
	/* AT_SYMLINK_FOLLOW follows the magic link to our fd's inode and no
	 * further, so a symlink inode gets linked, not its target. */
	if (linkat(s->proc_fd, name, dir->fd, c->r->name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	struct fuse_entry_out e;
	rc = vfs_lookup_at(s, dir->fd, c->r->name, &e);
	if (rc < 0)
		return rc;
	vfs_put(c, 0, &e, sizeof(e));
	return sizeof(e);
}

static int remove_entry(struct vfs_call *c, int flags)
{
	struct vfs_inode *dir;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	return unlinkat(dir->fd, c->r->name, flags) < 0 ? -errno : 0;
}

int vfs_op_unlink(struct vfs_call *c)
{
	return remove_entry(c, 0);
}

int vfs_op_rmdir(struct vfs_call *c)
{
	return remove_entry(c, AT_REMOVEDIR);
}

static int do_rename(struct vfs_call *c, uint64_t newdir, unsigned flags)
{
	struct vfs_inode *od, *nd;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &od);
	if (rc == 0)
		rc = vfs_dir(c->s, newdir, &nd);
	if (rc < 0)
		return rc;
	/* The raw syscall: glibc's renameat2 turns flags 0 into renameat,
	 * which mvm's seccomp filter does not list. */
	return syscall(SYS_renameat2, od->fd, c->r->name, nd->fd, c->r->name2, flags) < 0 ? -errno : 0;
}

int vfs_op_rename(struct vfs_call *c)
{
	const struct fuse_rename_in *r = c->r->arg;
	return do_rename(c, r->newdir, 0);
}

int vfs_op_rename2(struct vfs_call *c)
{
	const struct fuse_rename2_in *r = c->r->arg;
	/* RENAME_WHITEOUT would make a 0:0 device node on the host. */
	if (r->flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	return do_rename(c, r->newdir, r->flags);
}
