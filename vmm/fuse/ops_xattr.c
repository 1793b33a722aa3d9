/* Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR.
 *
 * The f*xattr calls need a real fd, and we open only regular files and
 * directories, so other inodes have no xattrs as far as the guest sees
 * (user.* ones cannot exist on them anyway). The "trusted." namespace is
 * the host's (overlayfs keeps its redirects and origins there), so the
 * guest can neither see nor set it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

static bool host_only(const char *name)
{
	return strncmp(name, "trusted.", 8) == 0;
}

/* A readable fd of the request's inode, -ENOTSUP for the inodes we never
 * open, or -errno. */
static int xattr_fd(struct vfs_call *c)
{
	struct vfs_inode *in = vfs_inode_get(c->s, c->r->h.nodeid);
	if (!in)
		return -ESTALE;
	if (in->type != S_IFREG && in->type != S_IFDIR)
		return -ENOTSUP;
	int fl = in->type == S_IFDIR ? O_RDONLY | O_DIRECTORY : O_RDONLY;
	return vfs_reopen(c->s, in->fd, in->type, fl | O_NONBLOCK);
}

int vfs_op_setxattr(struct vfs_call *c)
{
	const struct fuse_setxattr_in *x = c->r->arg;
	if (host_only(c->r->name))
		return -EPERM;
	if (x->flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	int rc = vfs_xattr_ok(c->s, c->r->name, c->r->value, c->r->valuelen);
	if (rc < 0)
		return rc;
	int fd = xattr_fd(c);
	if (fd < 0)
		return fd == -ENOTSUP ? -EPERM : fd;
	rc = fsetxattr(fd, c->r->name, c->r->value, c->r->valuelen, (int)x->flags) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int vfs_op_removexattr(struct vfs_call *c)
{
	if (host_only(c->r->name))
		return -EPERM;
	int fd = xattr_fd(c);
	if (fd < 0)
		return fd == -ENOTSUP ? -ENODATA : fd;
	int rc = fremovexattr(fd, c->r->name) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Reply to a GETXATTR/LISTXATTR of `len` bytes in scratch: its size when
 * the guest asked with size 0, else the bytes, or -ERANGE. */
static int reply_sized(struct vfs_call *c, uint32_t size, size_t len)
{
	if (size == 0) {
		struct fuse_getxattr_out o = { .size = (uint32_t)len };
		if (vfs_room(c) < sizeof(o))
			return -EINVAL;
		vfs_put(c, 0, &o, sizeof(o));
		return sizeof(o);
	}
	if (len > size || len > vfs_room(c))
		return -ERANGE;
	vfs_put(c, 0, c->s->scratch, len);
	return len;
}

int vfs_op_getxattr(struct vfs_call *c)
{
	const struct fuse_getxattr_in *g = c->r->arg;
	if (host_only(c->r->name))
		return -ENODATA;
	int fd = xattr_fd(c);
	if (fd < 0)
		return fd == -ENOTSUP ? -ENODATA : fd;
	ssize_t n = fgetxattr(fd, c->r->name, c->s->scratch, VFS_XATTR_MAX);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0)
		return rc == -ERANGE ? -E2BIG : rc;
	return reply_sized(c, g->size, n);
}

int vfs_op_listxattr(struct vfs_call *c)
{
	const struct fuse_getxattr_in *g = c->r->arg;
	int fd = xattr_fd(c);
	if (fd == -ENOTSUP)
		return reply_sized(c, g->size, 0);
	if (fd < 0)
		return fd;
	char *buf = (char *)c->s->scratch;
	ssize_t n = flistxattr(fd, buf, VFS_XATTR_MAX);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0)
		return rc == -ERANGE ? -E2BIG : rc;
	/* Drop the host-only names, keeping the NUL-separated list packed. */
	size_t out = 0;
	for (size_t i = 0; i < (size_t)n;) {
		size_t l = strnlen(buf + i, n - i);
		if (!host_only(buf + i)) {
			memmove(buf + out, buf + i, l);
			out += l;
			buf[out++] = 0;
		}
		i += l + 1;
	}
	return reply_sized(c, g->size, out);
}
