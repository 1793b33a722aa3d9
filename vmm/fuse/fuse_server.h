/* The FUSE protocol server behind one virtio-fs device: a passthrough to one
 * host directory, in the manner of virtiofsd's passthrough_ll. The device
 * calls vfs_handle() once per request with the request's buffers.
 *
 * Confinement: every inode the guest can name was reached from the share's
 * root by single-component openat(O_PATH|O_NOFOLLOW) lookups relative to
 * held directory fds; no multi-component path and no host-side symlink is
 * ever resolved, and only regular files and directories are ever opened.
 *
 * Threads: calls on one server must not overlap (the device's I/O thread
 * serialises them). Servers share nothing, so several can live in one
 * process, on one thread or on several. */
#ifndef MVM_FUSE_SERVER_H
#define MVM_FUSE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/core/err.h"

#define VFS_MAX_WRITE (1u << 20)      /* max_write and max_readahead offered at INIT */
#define VFS_DEFAULT_TIMEOUT 1         /* seconds the guest may cache entries and attrs */

struct vfs_inode;
struct vfs_fh;

/* What the guest may make mvm hold, per VM (all its shares together): host
 * fds for the inodes it knows (O_PATH) and for its open files and
 * directories, each directory handle with at most VFS_DENTS_BUF bytes of
 * entries. mvm's RLIMIT_NOFILE is these plus its own (vmm/main.c). */
#define VFS_MAX_INODES (128u << 10)
#define VFS_MAX_HANDLES (8u << 10)

/* A count of what servers hold against their caps; past a cap the request
 * that would take more fails with -ENFILE. Servers that share one must be
 * called from one thread. */
struct vfs_budget {
	uint32_t inodes, max_inodes;
	uint32_t handles, max_handles;
};

#define VFS_POLICY_MAX_DEVS 64   /* proto/confine.h PROTO_MAX_DEVICES */
#define VFS_POLICY_MAX_IDS 64    /* proto/confine.h PROTO_MAX_IDMAPS */

/* What the guest may plant on the host through a share. A zeroed policy is
 * the strictest: no set-id bit on a non-directory, no file capability, no
 * device node; owners are not limited. */
struct vfs_policy {
	bool setid;        /* set-id bits and security.capability may land (runc's
			    * containers may make them too) */
	uint32_t ndevs;    /* the only device nodes MKNOD may make */
	struct vfs_devnode {
		uint32_t type; /* S_IFCHR or S_IFBLK */
		uint32_t major, minor;
	} devs[VFS_POLICY_MAX_DEVS];
	uint32_t nuids, ngids; /* host id ranges owners must fall in; 0: any id */
	struct vfs_idrange {
		uint32_t first, count;
	} uids[VFS_POLICY_MAX_IDS], gids[VFS_POLICY_MAX_IDS];
};

/* One per shared directory. The fields are the server's own: callers use
 * only the functions below (and may change timeout_sec between requests). */
struct vfs_server {
	bool live;              /* between vfs_init and vfs_fini */
	int root_fd;            /* O_PATH fd of the share, also held by inode 1 */
	int proc_fd;            /* /proc/self/fd, to reopen O_PATH fds */
	bool readonly;          /* every modifying op gets -EROFS */
	bool initialized;       /* INIT seen, and no DESTROY since */
	uint32_t minor;         /* protocol minor agreed at INIT */
	uint32_t timeout_sec;   /* entry_valid / attr_valid given to the guest */

	/* Inode table: nodeid = slot index, slot 0 unused, slot 1 the root. */
	struct vfs_inode *inodes;
	uint32_t inode_cap;     /* slots allocated */
	uint32_t inode_top;     /* slots ever used: [1, inode_top) */
	uint32_t inode_free;    /* head of the free-slot list, 0 = none */
	uint32_t inodes_live;   /* slots holding an inode */
	uint32_t *buckets;      /* (st_dev, st_ino) hash: slot heads, 0 = empty */
	uint32_t nbuckets;      /* a power of two */

	/* File handles: fh = generation << 32 | slot, slot 0 unused. */
	struct vfs_fh *fhs;
	uint32_t fh_cap, fh_top, fh_free, fhs_live;

	struct vfs_budget *budget; /* &own, or one shared with the VM's other shares */
	struct vfs_budget own;
	struct vfs_policy policy;
	char **only;            /* files-only share: the root's only names, or NULL */
	uint32_t nonly;

	uint8_t *argbuf;        /* local copy of the current request's args */
	uint8_t *scratch;       /* dirents, xattr values, link targets */
};

/* Serve `host_dir` (followed if it is a symlink: it comes from the host's
 * own configuration). Opens /proc/self/fd, so call it before any chroot or
 * pivot_root; it is not needed on the filesystem afterwards. Returns 0, or
 * -1 with err set: MVM_EXIT_BADARG when host_dir is not a directory we can
 * open, MVM_EXIT_INTERNAL otherwise. */
int vfs_init(struct vfs_server *s, const char *host_dir, bool readonly, struct err *err);

/* Serve the directory root_fd (an O_PATH fd, e.g. from jail_share) and
 * reopen inodes through proc_fd (a /proc/self/fd directory fd). Takes both
 * fds, also on failure. Returns 0 or -1 with err, as vfs_init. */
int vfs_init_fd(struct vfs_server *s, int root_fd, int proc_fd, bool readonly, struct err *err);

/* Count the server's holdings against b (shared with other servers of the
 * same thread) from now on, instead of its own budget of VFS_MAX_INODES
 * and VFS_MAX_HANDLES. b must outlive the server. */
void vfs_set_budget(struct vfs_server *s, struct vfs_budget *b);

/* Replace the server's policy (vfs_init starts with a zeroed one). */
void vfs_set_policy(struct vfs_server *s, const struct vfs_policy *p);

/* Make the share a files-only one: the guest sees only these n names in the
 * root (regular files), may read and write them, and gets -EPERM for every
 * op that would create, link, rename or remove a name, list the root or
 * change the root itself. Returns 0, or -ENOMEM / -EINVAL (a name that is
 * not one path component). */
int vfs_expose_only(struct vfs_server *s, const char *const *names, uint32_t n);

/* Close every fd and free everything. Safe on a zeroed server, after a
 * failed vfs_init, and twice. */
void vfs_fini(struct vfs_server *s);

/* Forget every inode but the root and close every handle, as a device reset
 * must: the guest starts again with INIT. */
void vfs_reset(struct vfs_server *s);

/* Handle one request. in[0..nin) are the driver-readable buffers
 * (fuse_in_header, op args, write data), out[0..nout) the device-writable
 * ones (fuse_out_header, reply). Both point into guest memory that the guest
 * may change concurrently: headers and args are copied before they are
 * checked. Returns the number of bytes written into out (for the used ring);
 * 0 when the op gets no reply (FORGET, BATCH_FORGET) or out cannot hold a
 * fuse_out_header. Never touches memory outside the iovecs. A malformed
 * request gets an error reply (-EINVAL, -ENOSYS...), never a crash; so
 * does any request to a server that is not between vfs_init and vfs_fini
 * (-EIO). */
uint32_t vfs_handle(struct vfs_server *s, const struct iovec *in, int nin,
		    const struct iovec *out, int nout);

#endif
