/* FUSE request decoding: the only code that parses the guest's request
 * bytes. It copies the fuse_in_header and the op's arguments out of guest
 * memory into local memory, then checks them against the declared and the
 * available lengths. Tested in tests/unit/vmm/fuse/test_fuse_decode.c and fuzzed by
 * tests/fuzz/fuse_fuzz.c. */
#ifndef MVM_FUSE_DECODE_H
#define MVM_FUSE_DECODE_H

#include <linux/fuse.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VFS_OUT_HDR ((size_t)sizeof(struct fuse_out_header))
#define VFS_IN_HDR ((size_t)sizeof(struct fuse_in_header))
#define VFS_XATTR_MAX 65536  /* XATTR_SIZE_MAX and XATTR_LIST_MAX */
/* Largest op arguments: SETXATTR's fixed part, a 255-byte name and a value. */
#define VFS_ARG_MAX (sizeof(struct fuse_setxattr_in) + 256 + VFS_XATTR_MAX)
#define VFS_MAX_IOV 1024     /* IOV_MAX: preadv/pwritev take no more */

/* Byte count of iov[0..n), saturating at SIZE_MAX; 0 when n <= 0. */
size_t vfs_iov_total(const struct iovec *iov, int n);

/* Copy len bytes starting at byte off of the iovec array into dst (read) or
 * from src into it (write). Return the bytes copied: fewer than len only
 * when the array ends first. */
size_t vfs_iov_read(const struct iovec *iov, int n, size_t off, void *dst, size_t len);
size_t vfs_iov_write(const struct iovec *iov, int n, size_t off, const void *src, size_t len);

/* Describe bytes [off, off+len) of the array as at most max iovecs in dst,
 * for preadv/pwritev. Returns the count; *got is the bytes they cover, less
 * than len when the array or max runs out. */
int vfs_iov_slice(const struct iovec *iov, int n, size_t off, size_t len,
		  struct iovec *dst, int max, size_t *got);

/* What a string argument must be. */
enum vfs_str {
	VFS_STR_NONE,
	VFS_STR_NAME,   /* one path component: no '/', not "", ".", ".." */
	VFS_STR_TARGET, /* a symlink target: 1..PATH_MAX-1 bytes, anything */
	VFS_STR_XATTR,  /* an xattr name: 1..255 bytes */
};

enum {
	VFS_OP_MODIFIES = 1 << 0, /* refused with -EROFS on a readonly share */
	VFS_OP_NOREPLY = 1 << 1,  /* FORGET, BATCH_FORGET */
};

/* The shape of one opcode's request and reply. */
struct vfs_opspec {
	const char *name;
	uint16_t argsz;    /* fixed argument struct: at least this many bytes */
	uint16_t outsz;    /* the reply's payload needs at least this much room */
	uint8_t str[2];    /* strings after the fixed part (enum vfs_str) */
	uint8_t flags;     /* VFS_OP_* */
};

/* The spec of a FUSE opcode we implement, or NULL. */
const struct vfs_opspec *vfs_opspec(uint32_t opcode);

/* A decoded request. Pointers point into the caller's argbuf, never into
 * guest memory; data_off/data_len locate bulk data left in the in iovecs. */
struct vfs_req {
	struct fuse_in_header h;        /* h.len is checked: 40 <= len <= in bytes */
	const struct vfs_opspec *op;    /* NULL when the opcode is unknown */
	const void *arg;                /* op->argsz bytes (INIT: zero-filled to 64) */
	uint32_t arglen;                /* bytes of args the guest sent: h.len - 40 */
	const char *name, *name2;       /* the strings op->str asks for, or NULL */
	const void *value;              /* SETXATTR: the value */
	uint32_t valuelen;
	size_t data_off, data_len;      /* WRITE data; BATCH_FORGET entries */
	size_t outlen;                  /* bytes available in the out iovecs */
};

/* Decode the request in in[0..nin) whose reply goes to a buffer of outlen
 * bytes, copying args into argbuf (VFS_ARG_MAX bytes, 8-byte aligned).
 * Returns 0, or -errno for the error reply: -EINVAL for a header that is
 * short or whose length is impossible, truncated args, unterminated strings
 * or no room for the reply; -ENOSYS for an unknown opcode; the name errors
 * Linux gives (-ENOENT for "", -ENAMETOOLONG, -ERANGE for xattr names,
 * -E2BIG for a value too big). r->h is valid whenever 40 header bytes
 * exist (zeroed otherwise), and r->op whenever the opcode is known. */
int vfs_decode(const struct iovec *in, int nin, size_t outlen, void *argbuf, struct vfs_req *r);

#endif
