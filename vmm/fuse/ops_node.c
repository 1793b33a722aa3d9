/* Inode ops: LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK,
 * ACCESS, and the lookup and reopen helpers every other op builds on. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

void vfs_fdname(char buf[16], int fd)
{
	snprintf(buf, 16, "%d", fd);
}

int vfs_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

void vfs_fill_attr(struct fuse_attr *a, const struct stat *st)
{
	*a = (struct fuse_attr){
		.ino = st->st_ino,
		.size = st->st_size,
		.blocks = st->st_blocks,
		.atime = st->st_atim.tv_sec,
		.mtime = st->st_mtim.tv_sec,
		.ctime = st->st_ctim.tv_sec,
		.atimensec = st->st_atim.tv_nsec,
		.mtimensec = st->st_mtim.tv_nsec,
		.ctimensec = st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.nlink = st->st_nlink,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.rdev = st->st_rdev,
		.blksize = st->st_blksize,
	};
}

void vfs_fill_entry(const struct vfs_server *s, struct fuse_entry_out *e, uint64_t nodeid,
		    const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid;
	e->generation = s->inodes[nodeid].gen;
	e->entry_valid = s->timeout_sec;
	e->attr_valid = s->timeout_sec;
	vfs_fill_attr(&e->attr, st);
}

int vfs_lookup_at(struct vfs_server *s, int dirfd, const char *name, struct fuse_entry_out *e)
{
	/* One component, never following a symlink: the result is a child
	 * of dirfd, whatever the guest or a racing rename did. */
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = vfs_stat(fd, &st);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	int64_t id = vfs_inode_add(s, fd, &st);
	if (id < 0)
		return id;
	vfs_fill_entry(s, e, id, &st);
	return 0;
}

int vfs_reopen(struct vfs_server *s, int fd, mode_t type, int flags)
{
	if (type == S_IFLNK)
		return -ELOOP;
	if (type != S_IFREG && type != S_IFDIR)
		return -ENXIO;
	char name[16];
	vfs_fdname(name, fd);
	/* The magic link names our own fd's inode, which is inside the share;
	 * its type was checked above and cannot change. */
	int nfd = openat(s->proc_fd, name, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
	return nfd < 0 ? -errno : nfd;
}

int vfs_dir(struct vfs_server *s, uint64_t nodeid, struct vfs_inode **out)
{
	struct vfs_inode *in = vfs_inode_get(s, nodeid);
	if (!in)
		return -ESTALE;
	if (in->type != S_IFDIR)
		return -ENOTDIR;
	*out = in;
	return 0;
}

int vfs_op_lookup(struct vfs_call *c)
{
	struct vfs_inode *dir;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	struct fuse_entry_out e;
	rc = vfs_lookup_at(c->s, dir->fd, c->r->name, &e);
	if (rc < 0)
		return rc;
	vfs_put(c, 0, &e, sizeof(e));
	return sizeof(e);
}

int vfs_op_forget(struct vfs_call *c)
{
	const struct fuse_forget_in *f = c->r->arg;
	vfs_inode_forget(c->s, c->r->h.nodeid, f->nlookup);
	return 0;
}

int vfs_op_batch_forget(struct vfs_call *c)
{
	const struct vfs_req *r = c->r;
	for (size_t off = 0; off < r->data_len; off += sizeof(struct fuse_forget_one)) {
		struct fuse_forget_one f;
		if (vfs_iov_read(c->in, c->nin, r->data_off + off, &f, sizeof(f)) != sizeof(f))
			break;
		vfs_inode_forget(c->s, f.nodeid, f.nlookup);
	}
	return 0;
}

static int reply_attr(struct vfs_call *c, int fd)
{
	struct stat st;
	int rc = vfs_stat(fd, &st);
	if (rc < 0)
		return rc;
	struct fuse_attr_out o = { .attr_valid = c->s->timeout_sec };
	vfs_fill_attr(&o.attr, &st);
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}

int vfs_op_getattr(struct vfs_call *c)
{
	struct vfs_inode *in = vfs_inode_get(c->s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	return reply_attr(c, in->fd);
}

static int set_time(struct timespec *ts, uint32_t valid, uint32_t set, uint32_t now,
		    uint64_t sec, uint32_t nsec)
{
	if (!(valid & set)) {
		ts->tv_nsec = UTIME_OMIT;
		return 0;
	}
	if (valid & now) {
		ts->tv_nsec = UTIME_NOW;
		return 0;
	}
	if (nsec >= 1000000000u || sec > INT64_MAX)
		return -EINVAL;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = nsec;
	return 0;
}

/* With id maps, a chown or chmod as the kernel allows one in a user
 * namespace: the new ids mapped (-EINVAL, as chown(2) for an id the
 * namespace cannot name), and the node's owner mapped (-EPERM: neither
 * CAP_CHOWN nor CAP_FOWNER reaches an unmapped owner's node). */
static int owner_change_ok(struct vfs_server *s, struct vfs_inode *in,
			   const struct fuse_setattr_in *a)
{
	uint32_t v = a->valid;
	if (!(v & (FATTR_UID | FATTR_GID | FATTR_MODE)) || (!s->policy.nuids && !s->policy.ngids))
		return 0;
	if (((v & FATTR_UID) && !vfs_uid_ok(s, a->uid)) || ((v & FATTR_GID) && !vfs_gid_ok(s, a->gid)))
		return -EINVAL;
	struct stat st;
	int rc = vfs_stat(in->fd, &st);
	if (rc < 0)
		return rc;
	return vfs_uid_ok(s, st.st_uid) ? 0 : -EPERM;
}

/* chown before chmod (chown clears set-id bits), truncate before the times
 * (truncate sets mtime). With FATTR_FH the guest's open file is used. */
int vfs_op_setattr(struct vfs_call *c)
{
	struct vfs_server *s = c->s;
	const struct fuse_setattr_in *a = c->r->arg;
	uint32_t v = a->valid;
	struct vfs_inode *in = vfs_inode_get(s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	struct vfs_fh *h = NULL;
	if (v & FATTR_FH) {
		h = vfs_fh_get(s, a->fh, VFS_FH_FILE);
		if (!h)
			return -EBADF;
	}
	char name[16];
	vfs_fdname(name, in->fd);

	int rc = owner_change_ok(s, in, a);
	if (rc < 0)
		return rc;
	if (v & (FATTR_UID | FATTR_GID)) {
		uid_t uid = v & FATTR_UID ? a->uid : (uid_t)-1;
		gid_t gid = v & FATTR_GID ? a->gid : (gid_t)-1;
		if (fchownat(in->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	mode_t mode = 0;
	bool chmod = false;
	if (v & FATTR_MODE) {
		mode = vfs_allowed_mode(s, in->type, a->mode & 07777);
		chmod = true;
	} else if (v & FATTR_KILL_SUIDGID) {
		struct stat st;
		if ((rc = vfs_stat(in->fd, &st)) < 0)
			return rc;
		mode = st.st_mode & 07777 & ~S_ISUID;
		if (st.st_mode & S_IXGRP)
			mode &= ~S_ISGID;
		chmod = mode != (st.st_mode & 07777);
	}
	if (chmod) {
		if (in->type == S_IFLNK)
			return -EOPNOTSUPP;
		if (fchmodat(s->proc_fd, name, mode, 0) < 0)
			return -errno;
	}
	if (v & FATTR_SIZE) {
		if (a->size > INT64_MAX)
			return -EINVAL;
		if (in->type == S_IFDIR)
			return -EISDIR;
		if (in->type != S_IFREG)
			return -EINVAL;
		int fd = h ? h->fd : vfs_reopen(s, in->fd, in->type, O_WRONLY);
		if (fd < 0)
			return fd;
		rc = ftruncate(fd, (off_t)a->size) < 0 ? -errno : 0;
		if (!h)
			close(fd);
		if (rc < 0)
			return rc;
	}
	if (v & (FATTR_ATIME | FATTR_MTIME)) {
		struct timespec ts[2];
		if (set_time(&ts[0], v, FATTR_ATIME, FATTR_ATIME_NOW, a->atime, a->atimensec) < 0 ||
		    set_time(&ts[1], v, FATTR_MTIME, FATTR_MTIME_NOW, a->mtime, a->mtimensec) < 0)
			return -EINVAL;
		/* Through the magic link: works for symlinks too, without
		 * following them (utimensat on the link's own inode). */
		if (utimensat(s->proc_fd, name, ts, 0) < 0)
			return -errno;
	}
	return reply_attr(c, in->fd);
}

int vfs_op_readlink(struct vfs_call *c)
{
	struct vfs_inode *in = vfs_inode_get(c->s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	if (in->type != S_IFLNK)
		return -EINVAL;
	ssize_t n = readlinkat(in->fd, "", (char *)c->s->scratch, PATH_MAX);
	if (n < 0)
		return -errno;
	if ((size_t)n > vfs_room(c))
		return -ENAMETOOLONG;
	vfs_put(c, 0, c->s->scratch, n);
	return n;
}

/* The guest checks permissions itself (virtio-fs mounts with
 * default_permissions), so this only answers a guest that asks anyway,
 * from the mode bits and the caller's uid/gid (no supplementary groups). */
int vfs_op_access(struct vfs_call *c)
{
	const struct fuse_access_in *a = c->r->arg;
	struct vfs_inode *in = vfs_inode_get(c->s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	struct stat st;
	int rc = vfs_stat(in->fd, &st);
	if (rc < 0)
		return rc;
	unsigned want = a->mask & 7;
	if (c->r->h.uid == 0) {
		bool anyx = st.st_mode & 0111 || S_ISDIR(st.st_mode);
		return (want & X_OK) && !anyx ? -EACCES : 0;
	}
	unsigned bits = st.st_mode;
	if (c->r->h.uid == st.st_uid)
		bits >>= 6;
	else if (c->r->h.gid == st.st_gid)
		bits >>= 3;
	return (bits & want) == want ? 0 : -EACCES;
}
