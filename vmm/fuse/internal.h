/* Internals of the FUSE server shared by its files: the inode and handle
 * tables (table.c), the per-request context and the op handlers. */
#ifndef MVM_FUSE_INTERNAL_H
#define MVM_FUSE_INTERNAL_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "vmm/fuse/decode.h"
#include "vmm/fuse/fuse_server.h"

#define VFS_SCRATCH (VFS_XATTR_MAX + 4096)

/* A host inode the guest holds a lookup count on. */
struct vfs_inode {
	int fd;            /* O_PATH|O_NOFOLLOW; -1 while the slot is free */
	mode_t type;       /* S_IFMT bits: an inode never changes type */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;  /* LOOKUP-like replies minus FORGETs */
	uint32_t gen;      /* bumped each time the slot is taken: nodeid:gen is unique */
	uint32_t next;     /* hash chain, or free list while free */
};

enum vfs_fh_kind { VFS_FH_FREE, VFS_FH_FILE, VFS_FH_DIR };

struct vfs_fh {
	int fd;            /* a real fd: a regular file, or a directory */
	uint8_t kind;      /* enum vfs_fh_kind */
	uint32_t gen;      /* bumped each time the slot is taken */
	uint32_t next;     /* free list */
	/* Directories: the d_off of the last entry the guest got, so that the
	 * READDIR that continues from there reads on from the fd's own cursor
	 * and from `dents`, the entries getdents64 returned that did not fit
	 * in the last reply. No lseek on that path: on tmpfs before Linux 6.6
	 * an offset is a count of entries, and seeking to one after the guest
	 * unlinked some (rm -rf does, while it lists) skips as many. */
	uint64_t dir_pos;
	bool dir_pos_valid;
	uint8_t *dents;    /* VFS_DENTS_BUF bytes while entries wait, else NULL */
	uint32_t dents_len, dents_pos;
};

/* The getdents64 chunk of a directory handle (more than a 255-byte name's
 * record). Kept per handle only while some of it waits to be sent. */
#define VFS_DENTS_BUF 4096u

/* One request being served. Handlers write their reply payload with
 * vfs_put() and return its length, or -errno for an error reply. */
struct vfs_call {
	struct vfs_server *s;
	const struct vfs_req *r;
	const struct iovec *in, *out;
	int nin, nout;
};

/* Write len bytes of reply payload at offset off (after the out header).
 * Decode checked the room for fixed-size replies; variable ones check
 * vfs_room() first. */
void vfs_put(const struct vfs_call *c, size_t off, const void *p, size_t len);

/* Bytes of reply payload the out buffers can hold. */
size_t vfs_room(const struct vfs_call *c);

/* table.c */
int vfs_tables_init(struct vfs_server *s);
void vfs_tables_fini(struct vfs_server *s);
/* Close every handle and drop every inode but the root. */
void vfs_tables_reset(struct vfs_server *s);
/* The inode for a nodeid from the guest, or NULL if there is none. */
struct vfs_inode *vfs_inode_get(struct vfs_server *s, uint64_t nodeid);
/* Count one lookup of the inode O_PATH fd refers to (st is its stat): the
 * known inode for (st_dev, st_ino) if there is one (fd is closed), else a
 * new one that takes fd (-ENFILE past the budget). Returns the nodeid, or
 * -errno (fd closed). */
int64_t vfs_inode_add(struct vfs_server *s, int fd, const struct stat *st);
/* Drop n lookups; the inode goes (and its fd closes) at zero. The root and
 * unknown nodeids are left alone. */
void vfs_inode_forget(struct vfs_server *s, uint64_t nodeid, uint64_t n);
/* Is there room under the budget for one more handle? */
bool vfs_fh_room(const struct vfs_server *s);
/* Register an open fd as a handle (taking it). -ENFILE past the budget. Returns the fh, or -errno
 * (fd closed). */
int64_t vfs_fh_add(struct vfs_server *s, int fd, enum vfs_fh_kind kind);
/* The handle for a guest fh of that kind, or NULL. */
struct vfs_fh *vfs_fh_get(struct vfs_server *s, uint64_t fh, enum vfs_fh_kind kind);
/* Close a handle. Returns 0, or -EBADF if there is no such handle. */
int vfs_fh_close(struct vfs_server *s, uint64_t fh, enum vfs_fh_kind kind);

/* ops_node.c: shared helpers */
void vfs_fill_attr(struct fuse_attr *a, const struct stat *st);
void vfs_fill_entry(const struct vfs_server *s, struct fuse_entry_out *e, uint64_t nodeid,
		    const struct stat *st);
/* fstat of an O_PATH fd, not following symlinks. 0 or -errno. */
int vfs_stat(int fd, struct stat *st);
/* Look name up in the directory dirfd: counts one lookup and fills e.
 * Returns 0 or -errno. */
int vfs_lookup_at(struct vfs_server *s, int dirfd, const char *name, struct fuse_entry_out *e);
/* Reopen an inode's O_PATH fd with real open flags through /proc/self/fd.
 * Only regular files and directories: -ELOOP for symlinks, -ENXIO for
 * devices, fifos and sockets (never opened on the host). Returns an fd or
 * -errno. */
int vfs_reopen(struct vfs_server *s, int fd, mode_t type, int flags);
/* "N" for fd, for the *at() calls relative to proc_fd. */
void vfs_fdname(char buf[16], int fd);
/* ops_entry.c: give a node just created in dirfd (fd: an O_PATH fd of it,
 * taken) the requester's uid and gid (the directory's gid if it is
 * set-group-ID, as Linux does) and, if setmode, exactly `mode` (our umask
 * may have masked it). Then count a lookup of it and fill e. 0 or -errno. */
int vfs_adopt(struct vfs_call *c, int dirfd, int fd, mode_t mode, bool setmode,
	      struct fuse_entry_out *e);
/* The inode for nodeid, which must be a directory: 0, -ESTALE, -ENOTDIR. */
int vfs_dir(struct vfs_server *s, uint64_t nodeid, struct vfs_inode **out);

/* policy.c: the checks of struct vfs_policy and of files-only shares. */
/* Is uid (gid) one that may own a node on the host? */
bool vfs_uid_ok(const struct vfs_server *s, uint32_t uid);
bool vfs_gid_ok(const struct vfs_server *s, uint32_t gid);
/* mode with the bits the policy does not let land on a node of type. */
mode_t vfs_allowed_mode(const struct vfs_server *s, mode_t type, mode_t mode);
/* 0 if MKNOD may make a node of type and rdev, else -EPERM. */
int vfs_mknod_ok(const struct vfs_server *s, mode_t type, uint64_t rdev);
/* 0 if the xattr may be set, else -EPERM. */
int vfs_xattr_ok(const struct vfs_server *s, const char *name, const void *value, uint32_t len);
/* 0 if the requester's ids may own a new node, else -EOVERFLOW (what the
 * kernel gives a creator whose ids the filesystem cannot map). */
int vfs_creator_ok(const struct vfs_call *c);
/* On a files-only share: 0 if the request may go on, else its error. */
int vfs_files_only(const struct vfs_call *c);
/* Free the files-only names (the share is a whole one again). */
void vfs_free_only(struct vfs_server *s);

/* Op handlers, one per opcode. */
typedef int vfs_op_fn(struct vfs_call *c);
vfs_op_fn vfs_op_lookup, vfs_op_forget, vfs_op_batch_forget, vfs_op_getattr, vfs_op_setattr,
	vfs_op_readlink, vfs_op_access, vfs_op_statfs;
vfs_op_fn vfs_op_mknod, vfs_op_mkdir, vfs_op_symlink, vfs_op_link, vfs_op_unlink,
	vfs_op_rmdir, vfs_op_rename, vfs_op_rename2;
vfs_op_fn vfs_op_open, vfs_op_create, vfs_op_read, vfs_op_write, vfs_op_release,
	vfs_op_flush, vfs_op_fsync, vfs_op_fallocate, vfs_op_lseek, vfs_op_copy_file_range;
vfs_op_fn vfs_op_opendir, vfs_op_readdir, vfs_op_readdirplus, vfs_op_releasedir,
	vfs_op_fsyncdir;
vfs_op_fn vfs_op_setxattr, vfs_op_getxattr, vfs_op_listxattr, vfs_op_removexattr;

#endif
