/* FUSE request decoding (see decode.h). Wire formats: include/uapi/linux/fuse.h
 * and the request layouts the guest builds in fs/fuse/{dir,file,xattr,
 * readdir,inode}.c: fixed struct first, then NUL-terminated strings, then
 * bulk data. */
#include "vmm/fuse/decode.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

size_t vfs_iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > SIZE_MAX - t)
			return SIZE_MAX;
		t += iov[i].iov_len;
	}
	return t;
}

/* Find the iovec holding byte off: sets *i and *skip (offset inside it).
 * Returns 0, or -1 when the array ends first. */
static int iov_seek(const struct iovec *iov, int n, size_t off, int *i, size_t *skip)
{
	int k = 0;
	while (k < n && off >= iov[k].iov_len) {
		off -= iov[k].iov_len;
		k++;
	}
	*i = k;
	*skip = off;
	return k < n ? 0 : -1;
}

size_t vfs_iov_read(const struct iovec *iov, int n, size_t off, void *dst, size_t len)
{
	int i;
	size_t skip, done = 0;
	if (len == 0 || iov_seek(iov, n, off, &i, &skip) < 0)
		return 0;
	for (; i < n && done < len; i++, skip = 0) {
		size_t k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		if (k == 0)
			continue; /* an empty iovec may have no base */
		memcpy((uint8_t *)dst + done, (const uint8_t *)iov[i].iov_base + skip, k);
		done += k;
	}
	return done;
}

size_t vfs_iov_write(const struct iovec *iov, int n, size_t off, const void *src, size_t len)
{
	int i;
	size_t skip, done = 0;
	if (len == 0 || iov_seek(iov, n, off, &i, &skip) < 0)
		return 0;
	for (; i < n && done < len; i++, skip = 0) {
		size_t k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		if (k == 0)
			continue; /* an empty iovec may have no base */
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)src + done, k);
		done += k;
	}
	return done;
}

int vfs_iov_slice(const struct iovec *iov, int n, size_t off, size_t len,
		  struct iovec *dst, int max, size_t *got)
{
	int i, c = 0;
	size_t skip, done = 0;
	*got = 0;
	if (len == 0 || iov_seek(iov, n, off, &i, &skip) < 0)
		return 0;
	for (; i < n && done < len && c < max; i++, skip = 0) {
		size_t k = iov[i].iov_len - skip;
		if (k == 0)
			continue;
		if (k > len - done)
			k = len - done;
		dst[c].iov_base = (uint8_t *)iov[i].iov_base + skip;
		dst[c].iov_len = k;
		c++;
		done += k;
	}
	*got = done;
	return c;
}

#define OP(code, nm, asz, osz, s0, s1, fl) \
	[code] = { .name = nm, .argsz = asz, .outsz = osz, .str = { s0, s1 }, .flags = fl }
#define N VFS_STR_NONE
#define NAME VFS_STR_NAME
#define MOD VFS_OP_MODIFIES
#define ENTRY sizeof(struct fuse_entry_out)
#define ATTR sizeof(struct fuse_attr_out)

/* Fixed sizes are those of protocol 7.12 and later (every guest with
 * virtio-fs speaks 7.31+). SETXATTR's is the compat size: we never offer
 * FUSE_SETXATTR_EXT. INIT accepts the 7.6 prefix and zero-fills the rest. */
static const struct vfs_opspec ops[] = {
	OP(FUSE_LOOKUP, "LOOKUP", 0, ENTRY, NAME, N, 0),
	OP(FUSE_FORGET, "FORGET", sizeof(struct fuse_forget_in), 0, N, N, VFS_OP_NOREPLY),
	OP(FUSE_GETATTR, "GETATTR", sizeof(struct fuse_getattr_in), ATTR, N, N, 0),
	OP(FUSE_SETATTR, "SETATTR", sizeof(struct fuse_setattr_in), ATTR, N, N, MOD),
	OP(FUSE_READLINK, "READLINK", 0, 0, N, N, 0),
	OP(FUSE_SYMLINK, "SYMLINK", 0, ENTRY, NAME, VFS_STR_TARGET, MOD),
	OP(FUSE_MKNOD, "MKNOD", sizeof(struct fuse_mknod_in), ENTRY, NAME, N, MOD),
	OP(FUSE_MKDIR, "MKDIR", sizeof(struct fuse_mkdir_in), ENTRY, NAME, N, MOD),
	OP(FUSE_UNLINK, "UNLINK", 0, 0, NAME, N, MOD),
	OP(FUSE_RMDIR, "RMDIR", 0, 0, NAME, N, MOD),
	OP(FUSE_RENAME, "RENAME", sizeof(struct fuse_rename_in), 0, NAME, NAME, MOD),
	OP(FUSE_LINK, "LINK", sizeof(struct fuse_link_in), ENTRY, NAME, N, MOD),
	OP(FUSE_OPEN, "OPEN", sizeof(struct fuse_open_in), sizeof(struct fuse_open_out), N, N, 0),
	OP(FUSE_READ, "READ", sizeof(struct fuse_read_in), 0, N, N, 0),
	OP(FUSE_WRITE, "WRITE", sizeof(struct fuse_write_in), sizeof(struct fuse_write_out), N, N, MOD),
	OP(FUSE_STATFS, "STATFS", 0, sizeof(struct fuse_statfs_out), N, N, 0),
	OP(FUSE_RELEASE, "RELEASE", sizeof(struct fuse_release_in), 0, N, N, 0),
	OP(FUSE_FSYNC, "FSYNC", sizeof(struct fuse_fsync_in), 0, N, N, 0),
	OP(FUSE_SETXATTR, "SETXATTR", FUSE_COMPAT_SETXATTR_IN_SIZE, 0, VFS_STR_XATTR, N, MOD),
	OP(FUSE_GETXATTR, "GETXATTR", sizeof(struct fuse_getxattr_in), 0, VFS_STR_XATTR, N, 0),
	OP(FUSE_LISTXATTR, "LISTXATTR", sizeof(struct fuse_getxattr_in), 0, N, N, 0),
	OP(FUSE_REMOVEXATTR, "REMOVEXATTR", 0, 0, VFS_STR_XATTR, N, MOD),
	OP(FUSE_FLUSH, "FLUSH", sizeof(struct fuse_flush_in), 0, N, N, 0),
	OP(FUSE_INIT, "INIT", 16, FUSE_COMPAT_INIT_OUT_SIZE, N, N, 0),
	OP(FUSE_OPENDIR, "OPENDIR", sizeof(struct fuse_open_in), sizeof(struct fuse_open_out), N, N, 0),
	OP(FUSE_READDIR, "READDIR", sizeof(struct fuse_read_in), 0, N, N, 0),
	OP(FUSE_RELEASEDIR, "RELEASEDIR", sizeof(struct fuse_release_in), 0, N, N, 0),
	OP(FUSE_FSYNCDIR, "FSYNCDIR", sizeof(struct fuse_fsync_in), 0, N, N, 0),
	OP(FUSE_ACCESS, "ACCESS", sizeof(struct fuse_access_in), 0, N, N, 0),
	OP(FUSE_CREATE, "CREATE", sizeof(struct fuse_create_in),
	   sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out), NAME, N, MOD),
	OP(FUSE_DESTROY, "DESTROY", 0, 0, N, N, 0),
	OP(FUSE_BATCH_FORGET, "BATCH_FORGET", sizeof(struct fuse_batch_forget_in), 0, N, N,
	   VFS_OP_NOREPLY),
	OP(FUSE_FALLOCATE, "FALLOCATE", sizeof(struct fuse_fallocate_in), 0, N, N, MOD),
	OP(FUSE_READDIRPLUS, "READDIRPLUS", sizeof(struct fuse_read_in), 0, N, N, 0),
	OP(FUSE_RENAME2, "RENAME2", sizeof(struct fuse_rename2_in), 0, NAME, NAME, MOD),
	OP(FUSE_LSEEK, "LSEEK", sizeof(struct fuse_lseek_in), sizeof(struct fuse_lseek_out), N, N, 0),
	OP(FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE", sizeof(struct fuse_copy_file_range_in),
	   sizeof(struct fuse_write_out), N, N, MOD),
	OP(FUSE_SYNCFS, "SYNCFS", sizeof(struct fuse_syncfs_in), 0, N, N, 0),
};

const struct vfs_opspec *vfs_opspec(uint32_t opcode)
{
	if (opcode >= sizeof(ops) / sizeof(ops[0]) || !ops[opcode].name)
		return NULL;
	return &ops[opcode];
}

/* Parse the string of the given kind at buf[*pos..end): sets *out and moves
 * *pos past its NUL. The errors are those Linux gives for such names. */
static int take_str(const uint8_t *buf, size_t *pos, size_t end, int kind, const char **out)
{
	const uint8_t *s = buf + *pos;
	const uint8_t *nul = *pos < end ? memchr(s, 0, end - *pos) : NULL;
	if (!nul)
		return -EINVAL;
	size_t len = nul - s;
	const char *str = (const char *)s;
	switch (kind) {
	case VFS_STR_NAME:
		if (len == 0)
			return -ENOENT;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (memchr(str, '/', len) || strcmp(str, ".") == 0 || strcmp(str, "..") == 0)
			return -EINVAL;
		break;
	case VFS_STR_TARGET:
		if (len == 0)
			return -ENOENT;
		if (len >= PATH_MAX)
			return -ENAMETOOLONG;
		break;
	case VFS_STR_XATTR:
		if (len == 0 || len > 255)
			return -ERANGE;
		break;
	}
	*out = str;
	*pos += len + 1;
	return 0;
}

int vfs_decode(const struct iovec *in, int nin, size_t outlen, void *argbuf, struct vfs_req *r)
{
	memset(r, 0, sizeof(*r));
	r->outlen = outlen;
	if (nin < 0)
		nin = 0;
	size_t total = vfs_iov_total(in, nin);
	struct fuse_in_header h;
	if (vfs_iov_read(in, nin, 0, &h, sizeof(h)) != sizeof(h))
		return -EINVAL;
	r->h = h;
	r->op = vfs_opspec(h.opcode);
	if (h.len < VFS_IN_HDR || h.len > total)
		return -EINVAL;
	if (!r->op)
		return -ENOSYS;
	const struct vfs_opspec *op = r->op;
	uint8_t *buf = argbuf;
	uint32_t arglen = h.len - VFS_IN_HDR;
	r->arglen = arglen;
	r->arg = buf;
	if (arglen < op->argsz)
		return -EINVAL;

	/* Copy only what gets parsed: bulk data stays in guest memory. */
	size_t ncopy = arglen < VFS_ARG_MAX ? arglen : VFS_ARG_MAX;
	if (h.opcode == FUSE_WRITE || h.opcode == FUSE_BATCH_FORGET)
		ncopy = op->argsz;
	if (h.opcode == FUSE_INIT)
		memset(buf, 0, sizeof(struct fuse_init_in));
	if (vfs_iov_read(in, nin, VFS_IN_HDR, buf, ncopy) != ncopy)
		return -EINVAL;

	size_t pos = op->argsz;
	const char **strs[2] = { &r->name, &r->name2 };
	for (int i = 0; i < 2 && op->str[i] != VFS_STR_NONE; i++) {
		int e = take_str(buf, &pos, ncopy, op->str[i], strs[i]);
		if (e)
			return e;
	}

	switch (h.opcode) {
	case FUSE_WRITE: {
		const struct fuse_write_in *w = r->arg;
		if (w->size > arglen - op->argsz)
			return -EINVAL;
		r->data_off = VFS_IN_HDR + op->argsz;
		r->data_len = w->size;
		break;
	}
	case FUSE_SETXATTR: {
		const struct fuse_setxattr_in *x = r->arg;
		if (x->size > VFS_XATTR_MAX)
			return -E2BIG;
		if (x->size > ncopy - pos)
			return -EINVAL;
		r->value = buf + pos;
		r->valuelen = x->size;
		break;
	}
	case FUSE_BATCH_FORGET: {
		/* No reply to complain in: forget what is really there. */
		const struct fuse_batch_forget_in *b = r->arg;
		uint64_t want = (uint64_t)b->count * sizeof(struct fuse_forget_one);
		uint64_t have = arglen - op->argsz;
		have -= have % sizeof(struct fuse_forget_one);
		r->data_off = VFS_IN_HDR + op->argsz;
		r->data_len = want < have ? want : have;
		break;
	}
	}

	if (!(op->flags & VFS_OP_NOREPLY) && outlen < VFS_OUT_HDR + op->outsz)
		return -EINVAL;
	return 0;
}
