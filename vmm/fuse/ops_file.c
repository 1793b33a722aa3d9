/* File ops: OPEN, CREATE, READ, WRITE, RELEASE, FLUSH, FSYNC, FALLOCATE,
 * LSEEK, COPY_FILE_RANGE. READ and WRITE move data with preadv2/pwritev2
 * straight between the file and the guest's buffers. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

#define VFS_IO_MAX (1u << 30)    /* keeps byte counts in an int */
#define VFS_COPY_MAX (64u << 20) /* one COPY_FILE_RANGE; the guest loops */

/* The guest's open flags, reduced to those that mean the same on the host.
 * O_DIRECT goes (the guest's buffers need not be aligned for the host
 * filesystem), and so do O_CREAT/O_EXCL/O_NOCTTY/O_NONBLOCK and the like. */
static int open_flags(uint32_t f, bool readonly)
{
	int acc = f & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	int fl = acc | (f & (O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME));
	if (readonly && (acc != O_RDONLY || (fl & O_TRUNC)))
		return -EROFS;
	return fl | O_LARGEFILE;
}

static int reply_open(struct vfs_call *c, size_t off, int64_t fh)
{
	struct fuse_open_out o = { .fh = (uint64_t)fh };
	vfs_put(c, off, &o, sizeof(o));
	return off + sizeof(o);
}

int vfs_op_open(struct vfs_call *c)
{
	struct vfs_server *s = c->s;
	const struct fuse_open_in *o = c->r->arg;
	struct vfs_inode *in = vfs_inode_get(s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	if (in->type == S_IFDIR)
		return -EISDIR;
	if (!vfs_fh_room(s))
		return -ENFILE;
	int fl = open_flags(o->flags, s->readonly);
	if (fl < 0)
		return fl;
	int fd = vfs_reopen(s, in->fd, in->type, fl);
	if (fd < 0)
		return fd;
	int64_t fh = vfs_fh_add(s, fd, VFS_FH_FILE);
	if (fh < 0)
		return fh;
	return reply_open(c, 0, fh);
}

/* CREATE found the name taken (the guest's cache was stale): open what is
 * there as OPEN would, which never opens a symlink, fifo or device. */
static int open_existing(struct vfs_call *c, int dirfd, int fl, struct fuse_entry_out *e,
			 int *fdp)
{
	int pfd = openat(dirfd, c->r->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	struct stat st;
	int rc = vfs_stat(pfd, &st);
	if (rc == 0 && S_ISDIR(st.st_mode))
		rc = -EISDIR;
	int fd = rc < 0 ? rc : vfs_reopen(c->s, pfd, st.st_mode & S_IFMT, fl);
	if (fd < 0) {
		close(pfd);
		return fd;
	}
	int64_t id = vfs_inode_add(c->s, pfd, &st);
	if (id < 0) {
		close(fd);
		return id;
	}
	vfs_fill_entry(c->s, e, id, &st);
	*fdp = fd;
	return 0;
}

int vfs_op_create(struct vfs_call *c)
{
	struct vfs_server *s = c->s;
	const struct fuse_create_in *ci = c->r->arg;
	struct vfs_inode *dir;
	int rc = vfs_dir(s, c->r->h.nodeid, &dir);
	if (rc < 0)
		return rc;
	int fl = open_flags(ci->flags, false);
	if (fl < 0)
		return fl;
	if ((rc = vfs_creator_ok(c)) < 0)
		return rc;
	if (!vfs_fh_room(s))
		return -ENFILE; /* before the file is made */
	mode_t perm = vfs_allowed_mode(s, S_IFREG, ci->mode & 07777 & ~ci->umask);
	struct fuse_entry_out e;
	/* O_EXCL always: O_CREAT alone would open a device or fifo that a
	 * racing MKNOD put there. */
	int fd = openat(dir->fd, c->r->name, fl | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			perm & 0777);
	if (fd < 0 && errno == EEXIST && !(ci->flags & O_EXCL)) {
		rc = open_existing(c, dir->fd, fl, &e, &fd);
		if (rc < 0)
			return rc;
	} else if (fd < 0) {
		return -errno;
	} else {
		int pfd = vfs_reopen(s, fd, S_IFREG, O_PATH);
		rc = pfd < 0 ? pfd : vfs_adopt(c, dir->fd, pfd, perm, true, &e);
		if (rc < 0) {
			close(fd);
			return rc;
		}
	}
	int64_t fh = vfs_fh_add(s, fd, VFS_FH_FILE);
	if (fh < 0) {
		vfs_inode_forget(s, e.nodeid, 1);
		return fh;
	}
	vfs_put(c, 0, &e, sizeof(e));
	return reply_open(c, sizeof(e), fh);
}

int vfs_op_read(struct vfs_call *c)
{
	const struct fuse_read_in *ri = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, ri->fh, VFS_FH_FILE);
	if (!h)
		return -EBADF;
	if (ri->offset > INT64_MAX)
		return -EINVAL;
	size_t want = ri->size;
	if (want > vfs_room(c))
		want = vfs_room(c);
	if (want > VFS_IO_MAX)
		want = VFS_IO_MAX;
	struct iovec v[VFS_MAX_IOV];
	size_t got;
	int n = vfs_iov_slice(c->out, c->nout, VFS_OUT_HDR, want, v, VFS_MAX_IOV, &got);
	if (n == 0)
		return 0;
	ssize_t k;
	do
		k = preadv2(h->fd, v, n, (off_t)ri->offset, 0);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : (int)k;
}

int vfs_op_write(struct vfs_call *c)
{
	const struct vfs_req *r = c->r;
	const struct fuse_write_in *wi = r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, wi->fh, VFS_FH_FILE);
	if (!h)
		return -EBADF;
	if (wi->offset > INT64_MAX)
		return -EINVAL;
	size_t len = r->data_len < VFS_IO_MAX ? r->data_len : VFS_IO_MAX;
	struct iovec v[VFS_MAX_IOV];
	size_t got;
	int n = vfs_iov_slice(c->in, c->nin, r->data_off, len, v, VFS_MAX_IOV, &got);
	ssize_t k = 0;
	if (n > 0) {
		do
			k = pwritev2(h->fd, v, n, (off_t)wi->offset, 0);
		while (k < 0 && errno == EINTR);
	}
	if (k < 0)
		return -errno;
	struct fuse_write_out o = { .size = (uint32_t)k };
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}

int vfs_op_release(struct vfs_call *c)
{
	const struct fuse_release_in *ri = c->r->arg;
	return vfs_fh_close(c->s, ri->fh, VFS_FH_FILE);
}

/* Nothing to do at close(2) time: data went to the host file at WRITE. */
int vfs_op_flush(struct vfs_call *c)
{
	const struct fuse_flush_in *f = c->r->arg;
	return vfs_fh_get(c->s, f->fh, VFS_FH_FILE) ? 0 : -EBADF;
}

int vfs_op_fsync(struct vfs_call *c)
{
	const struct fuse_fsync_in *f = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, f->fh, VFS_FH_FILE);
	if (!h)
		return -EBADF;
	/* fsync for FDATASYNC too: one syscall fewer in the allowlist. */
	int rc = fsync(h->fd);
	return rc < 0 ? -errno : 0;
}

int vfs_op_fallocate(struct vfs_call *c)
{
	const struct fuse_fallocate_in *f = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, f->fh, VFS_FH_FILE);
	if (!h)
		return -EBADF;
	if (f->offset > INT64_MAX || f->length > INT64_MAX)
		return -EINVAL;
	if (fallocate(h->fd, (int)f->mode, (off_t)f->offset, (off_t)f->length) < 0)
		return -errno;
	return 0;
}

int vfs_op_lseek(struct vfs_call *c)
{
	const struct fuse_lseek_in *l = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, l->fh, VFS_FH_FILE);
	if (!h)
		return -EBADF;
	/* The guest sends only these; it tracks SEEK_SET/CUR/END itself. */
	if ((l->whence != SEEK_DATA && l->whence != SEEK_HOLE) || l->offset > INT64_MAX)
		return -EINVAL;
	off_t r = lseek(h->fd, (off_t)l->offset, (int)l->whence);
	if (r < 0)
		return -errno;
	struct fuse_lseek_out o = { .offset = (uint64_t)r };
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}

int vfs_op_copy_file_range(struct vfs_call *c)
{
	const struct fuse_copy_file_range_in *a = c->r->arg;
	struct vfs_fh *hi = vfs_fh_get(c->s, a->fh_in, VFS_FH_FILE);
	struct vfs_fh *ho = vfs_fh_get(c->s, a->fh_out, VFS_FH_FILE);
	if (!hi || !ho)
		return -EBADF;
	if (a->flags || a->off_in > INT64_MAX || a->off_out > INT64_MAX)
		return -EINVAL;
	loff_t oi = (loff_t)a->off_in, oo = (loff_t)a->off_out;
	size_t len = a->len < VFS_COPY_MAX ? a->len : VFS_COPY_MAX;
	ssize_t k = copy_file_range(hi->fd, &oi, ho->fd, &oo, len, 0);
	if (k < 0)
		return -errno;
	struct fuse_write_out o = { .size = (uint32_t)k };
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}
