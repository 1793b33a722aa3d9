/* The FUSE server's life cycle and request dispatch: decode, the checks
 * every op shares (INIT first, readonly), the handler, then the out header.
 * Also the session ops: INIT, DESTROY, STATFS, SYNCFS. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

/* What we offer at INIT, if the guest offers it too. Not offered: locks
 * (the guest keeps them local), EXPORT_SUPPORT, WRITEBACK_CACHE, DONT_MASK
 * (the guest applies the umask), HANDLE_KILLPRIV(_V2) (the guest clears
 * suid/sgid itself with a SETATTR; we write as root, which would keep them),
 * POSIX_ACL, DAX, SETXATTR_EXT, SECURITY_CTX. */
#define VFS_INIT_FLAGS                                                                     \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_AUTO_INVAL_DATA |  \
	 FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS | \
	 FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS)

/* Oldest protocol whose request layouts decode.c knows (mknod umask). */
#define VFS_MIN_MINOR 12

int vfs_init(struct vfs_server *s, const char *host_dir, bool readonly, struct err *err)
{
	int fd = open(host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		s->root_fd = s->proc_fd = -1;
		return err_sys(err, MVM_EXIT_BADARG, errno, "virtio-fs: cannot share %s", host_dir);
	}
	int pfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		close(fd);
		memset(s, 0, sizeof(*s));
		s->root_fd = s->proc_fd = -1;
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "virtio-fs: /proc/self/fd");
	}
	return vfs_init_fd(s, fd, pfd, readonly, err);
}

int vfs_init_fd(struct vfs_server *s, int root_fd, int proc_fd, bool readonly, struct err *err)
{
	memset(s, 0, sizeof(*s));
	s->live = true;
	s->root_fd = root_fd;
	s->proc_fd = proc_fd;
	s->readonly = readonly;
	s->timeout_sec = VFS_DEFAULT_TIMEOUT;
	s->own = (struct vfs_budget){ .max_inodes = VFS_MAX_INODES, .max_handles = VFS_MAX_HANDLES };
	s->budget = &s->own;
	struct stat st;
	if (fstat(root_fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(err, MVM_EXIT_BADARG, "virtio-fs: the share is not a directory");
		goto fail;
	}
	s->argbuf = malloc(VFS_ARG_MAX);
	s->scratch = malloc(VFS_SCRATCH);
	if (!s->argbuf || !s->scratch || vfs_tables_init(s) < 0) {
		err_set(err, MVM_EXIT_INTERNAL, "virtio-fs: out of memory");
		goto fail;
	}
	int64_t root = vfs_inode_add(s, root_fd, &st);
	if (root != FUSE_ROOT_ID) {
		s->root_fd = -1; /* vfs_inode_add closed it */
		err_set(err, MVM_EXIT_INTERNAL, "virtio-fs: cannot register the root inode");
		goto fail;
	}
	return 0;
fail:
	vfs_fini(s);
	return -1;
}

void vfs_fini(struct vfs_server *s)
{
	if (!s->live)
		return;
	/* The root inode owns root_fd once it exists. */
	bool root_owned = s->inodes && s->inode_top > FUSE_ROOT_ID;
	vfs_tables_fini(s);
	vfs_free_only(s);
	if (!root_owned && s->root_fd >= 0)
		close(s->root_fd);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	free(s->argbuf);
	free(s->scratch);
	s->argbuf = s->scratch = NULL;
	s->root_fd = s->proc_fd = -1;
	s->initialized = false;
	s->live = false;
}

void vfs_set_budget(struct vfs_server *s, struct vfs_budget *b)
{
	s->budget->inodes -= s->inodes_live;
	s->budget->handles -= s->fhs_live;
	b->inodes += s->inodes_live;
	b->handles += s->fhs_live;
	s->budget = b;
}

void vfs_reset(struct vfs_server *s)
{
	vfs_tables_reset(s);
	s->initialized = false;
}

void vfs_put(const struct vfs_call *c, size_t off, const void *p, size_t len)
{
	vfs_iov_write(c->out, c->nout, VFS_OUT_HDR + off, p, len);
}

size_t vfs_room(const struct vfs_call *c)
{
	return c->r->outlen - VFS_OUT_HDR;
}

static int op_init(struct vfs_call *c)
{
	const struct fuse_init_in *in = c->r->arg;
	struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION };
	size_t len = sizeof(o) < vfs_room(c) ? sizeof(o) : vfs_room(c);
	if (in->major < FUSE_KERNEL_VERSION || (in->major == FUSE_KERNEL_VERSION &&
						in->minor < VFS_MIN_MINOR))
		return -EPROTO;
	if (in->major > FUSE_KERNEL_VERSION) {
		/* Answer with our major only; the guest retries with it
		 * (Documentation/filesystems/fuse.rst, "INIT"). */
		vfs_put(c, 0, &o, len);
		return len;
	}
	o.flags = in->flags & VFS_INIT_FLAGS;
	o.max_readahead = in->max_readahead < VFS_MAX_WRITE ? in->max_readahead : VFS_MAX_WRITE;
	o.max_background = 64;
	o.congestion_threshold = 48;
	o.max_write = VFS_MAX_WRITE;
	o.time_gran = 1;
	o.max_pages = VFS_MAX_WRITE / 4096;
	struct vfs_server *s = c->s;
	s->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	s->initialized = true;
	vfs_put(c, 0, &o, len);
	return len;
}

static int op_destroy(struct vfs_call *c)
{
	vfs_reset(c->s);
	return 0;
}

int vfs_op_statfs(struct vfs_call *c)
{
	struct vfs_inode *in = vfs_inode_get(c->s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	struct statfs sf;
	if (fstatfs(in->fd, &sf) < 0)
		return -errno;
	struct fuse_statfs_out o = { .st = {
		.blocks = sf.f_blocks, .bfree = sf.f_bfree, .bavail = sf.f_bavail,
		.files = sf.f_files, .ffree = sf.f_ffree, .bsize = sf.f_bsize,
		.namelen = sf.f_namelen, .frsize = sf.f_frsize,
	} };
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}

static int op_syncfs(struct vfs_call *c)
{
	if (c->s->readonly)
		return 0;
	int fd = vfs_reopen(c->s, c->s->root_fd, S_IFDIR, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	int rc = syncfs(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static vfs_op_fn *const handlers[] = {
	[FUSE_LOOKUP] = vfs_op_lookup,
	[FUSE_FORGET] = vfs_op_forget,
	[FUSE_GETATTR] = vfs_op_getattr,
	[FUSE_SETATTR] = vfs_op_setattr,
	[FUSE_READLINK] = vfs_op_readlink,
	[FUSE_SYMLINK] = vfs_op_symlink,
	[FUSE_MKNOD] = vfs_op_mknod,
	[FUSE_MKDIR] = vfs_op_mkdir,
	[FUSE_UNLINK] = vfs_op_unlink,
	[FUSE_RMDIR] = vfs_op_rmdir,
	[FUSE_RENAME] = vfs_op_rename,
	[FUSE_LINK] = vfs_op_link,
	[FUSE_OPEN] = vfs_op_open,
	[FUSE_READ] = vfs_op_read,
	[FUSE_WRITE] = vfs_op_write,
	[FUSE_STATFS] = vfs_op_statfs,
	[FUSE_RELEASE] = vfs_op_release,
	[FUSE_FSYNC] = vfs_op_fsync,
	[FUSE_SETXATTR] = vfs_op_setxattr,
	[FUSE_GETXATTR] = vfs_op_getxattr,
	[FUSE_LISTXATTR] = vfs_op_listxattr,
	[FUSE_REMOVEXATTR] = vfs_op_removexattr,
	[FUSE_FLUSH] = vfs_op_flush,
	[FUSE_INIT] = op_init,
	[FUSE_OPENDIR] = vfs_op_opendir,
	[FUSE_READDIR] = vfs_op_readdir,
	[FUSE_RELEASEDIR] = vfs_op_releasedir,
	[FUSE_FSYNCDIR] = vfs_op_fsyncdir,
	[FUSE_ACCESS] = vfs_op_access,
	[FUSE_CREATE] = vfs_op_create,
	[FUSE_DESTROY] = op_destroy,
	[FUSE_BATCH_FORGET] = vfs_op_batch_forget,
	[FUSE_FALLOCATE] = vfs_op_fallocate,
	[FUSE_READDIRPLUS] = vfs_op_readdirplus,
	[FUSE_RENAME2] = vfs_op_rename2,
	[FUSE_LSEEK] = vfs_op_lseek,
	[FUSE_COPY_FILE_RANGE] = vfs_op_copy_file_range,
	[FUSE_SYNCFS] = op_syncfs,
};

static int dispatch(struct vfs_call *c)
{
	const struct vfs_req *r = c->r;
	uint32_t op = r->h.opcode;
	if (op >= sizeof(handlers) / sizeof(handlers[0]) || !handlers[op])
		return -ENOSYS;
	/* libfuse's rule: nothing but INIT before INIT. */
	if (!c->s->initialized && op != FUSE_INIT)
		return -EIO;
	if (c->s->readonly && (r->op->flags & VFS_OP_MODIFIES))
		return -EROFS;
	if (c->s->only) {
		int rc = vfs_files_only(c);
		if (rc < 0)
			return rc;
	}
	return handlers[op](c);
}

uint32_t vfs_handle(struct vfs_server *s, const struct iovec *in, int nin,
		    const struct iovec *out, int nout)
{
	if (nout < 0)
		nout = 0;
	struct vfs_req r;
	size_t outlen = vfs_iov_total(out, nout);
	if (!s->live) {
		/* Finished, or never started: no argbuf to decode into. */
		struct fuse_out_header oh = { .len = VFS_OUT_HDR, .error = -EIO };
		if (outlen < VFS_OUT_HDR)
			return 0;
		vfs_iov_read(in, nin < 0 ? 0 : nin, offsetof(struct fuse_in_header, unique),
			     &oh.unique, sizeof(oh.unique));
		vfs_iov_write(out, nout, 0, &oh, sizeof(oh));
		return oh.len;
	}
	int rc = vfs_decode(in, nin, outlen, s->argbuf, &r);
	struct vfs_call c = { .s = s, .r = &r, .in = in, .nin = nin < 0 ? 0 : nin,
			      .out = out, .nout = nout };
	if (r.op && (r.op->flags & VFS_OP_NOREPLY)) {
		if (rc == 0)
			dispatch(&c);
		return 0;
	}
	if (outlen < VFS_OUT_HDR)
		return 0;
	if (rc == 0)
		rc = dispatch(&c);
	struct fuse_out_header oh = { .len = VFS_OUT_HDR, .unique = r.h.unique };
	if (rc < 0)
		oh.error = rc >= -4095 ? rc : -EIO;
	else if ((size_t)rc <= outlen - VFS_OUT_HDR)
		oh.len += rc;
	else
		oh.error = -EIO; /* a handler overran its room: a bug, never sent */
	vfs_iov_write(out, nout, 0, &oh, sizeof(oh));
	return oh.len;
}
