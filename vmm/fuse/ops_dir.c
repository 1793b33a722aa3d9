/* Directory handle ops: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
 * A READDIR offset is the host's d_off cookie of the last entry the guest
 * got. A request that continues where the last reply ended reads on from
 * the handle (see struct vfs_fh); any other offset seeks the fd there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

int vfs_op_opendir(struct vfs_call *c)
{
	struct vfs_inode *in;
	int rc = vfs_dir(c->s, c->r->h.nodeid, &in);
	if (rc < 0)
		return rc;
	if (!vfs_fh_room(c->s))
		return -ENFILE;
	int fd = vfs_reopen(c->s, in->fd, in->type, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	int64_t fh = vfs_fh_add(c->s, fd, VFS_FH_DIR);
	if (fh < 0)
		return fh;
	struct fuse_open_out o = { .fh = (uint64_t)fh };
	vfs_put(c, 0, &o, sizeof(o));
	return sizeof(o);
}

static bool dot_or_dotdot(const char *n)
{
	return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

/* Encode one entry at payload offset `used`. Returns the record's size, 0
 * when it does not fit in `room` (nothing is looked up then), or -errno.
 * For READDIRPLUS, "." and ".." get nodeid 0 (no lookup count: the guest
 * skips them, fs/fuse/readdir.c fuse_direntplus_link()), as does an entry
 * that vanished since getdents. */
static int emit(struct vfs_call *c, int dirfd, const struct dirent64 *d, bool plus,
		size_t used, size_t room)
{
	size_t namelen = strlen(d->d_name);
	size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t rec = FUSE_DIRENT_ALIGN(hdr + namelen);
	if (rec > room - used)
		return 0;
	union {
		struct fuse_direntplus p;
		uint8_t b[FUSE_NAME_OFFSET_DIRENTPLUS + NAME_MAX + 8];
	} u;
	memset(&u, 0, rec);
	struct fuse_dirent *de = plus ? &u.p.dirent : (struct fuse_dirent *)u.b;
	de->ino = d->d_ino;
	de->off = (uint64_t)d->d_off;
	de->namelen = namelen;
	de->type = d->d_type;
	memcpy(de->name, d->d_name, namelen);
	if (plus) {
		struct fuse_entry_out *e = &u.p.entry_out;
		int rc = dot_or_dotdot(d->d_name) ? -ENOENT
						    : vfs_lookup_at(c->s, dirfd, d->d_name, e);
		if (rc == 0) {
			de->ino = e->attr.ino;
			de->type = (e->attr.mode & S_IFMT) >> 12;
		} else if (rc == -ENOENT) {
			memset(e, 0, sizeof(*e));
			e->attr.ino = d->d_ino;
			e->attr.mode = (uint32_t)d->d_type << 12;
		} else {
			return rc;
		}
	}
	vfs_put(c, used, u.b, rec);
	return rec;
}

static void drop_dents(struct vfs_fh *h)
{
	free(h->dents);
	h->dents = NULL;
	h->dents_len = h->dents_pos = 0;
}

/* The next host entry of h: from the entries left over from the last
 * reply, else from a fresh getdents64. 1 with *d set, 0 at the end, or
 * -errno. */
static int next_dent(struct vfs_fh *h, const struct dirent64 **d)
{
	if (h->dents_pos >= h->dents_len) {
		if (!h->dents && !(h->dents = malloc(VFS_DENTS_BUF)))
			return -ENOMEM;
		ssize_t n = getdents64(h->fd, h->dents, VFS_DENTS_BUF);
		if (n <= 0) {
			int e = n < 0 ? -errno : 0;
			drop_dents(h);
			return e;
		}
		h->dents_len = (uint32_t)n;
		h->dents_pos = 0;
	}
	const struct dirent64 *p = (const void *)(h->dents + h->dents_pos);
	size_t left = h->dents_len - h->dents_pos;
	/* The host kernel's records; checked all the same. */
	if (left < offsetof(struct dirent64, d_name) + 1 || p->d_reclen > left ||
	    p->d_reclen <= offsetof(struct dirent64, d_name) ||
	    !memchr(p->d_name, 0, p->d_reclen - offsetof(struct dirent64, d_name))) {
		drop_dents(h);
		return -EIO;
	}
	*d = p;
	return 1;
}

static int readdir_common(struct vfs_call *c, bool plus)
{
	const struct fuse_read_in *ri = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, ri->fh, VFS_FH_DIR);
	if (!h)
		return -EBADF;
	if (ri->offset > INT64_MAX)
		return -EINVAL;
	size_t room = ri->size < vfs_room(c) ? ri->size : vfs_room(c);
	if (!h->dir_pos_valid || h->dir_pos != ri->offset) {
		/* Not where the last reply ended: a rewind or a seek. */
		drop_dents(h);
		h->dir_pos_valid = false;
		if (lseek(h->fd, (off_t)ri->offset, SEEK_SET) < 0)
			return -errno;
	}
	uint64_t last = ri->offset; /* d_off of the last entry sent */
	size_t used = 0;
	int ret;
	for (;;) {
		const struct dirent64 *d = NULL;
		int rc = next_dent(h, &d);
		if (rc <= 0) {
			ret = used || rc == 0 ? (int)used : rc;
			break;
		}
		rc = emit(c, h->fd, d, plus, used, room);
		if (rc <= 0) {
			/* Full, or this entry failed: it waits for the next call. */
			ret = rc < 0 && !used ? rc : (int)used;
			break;
		}
		h->dents_pos += d->d_reclen;
		used += rc;
		last = (uint64_t)d->d_off;
	}
	if (h->dents_pos >= h->dents_len)
		drop_dents(h);
	h->dir_pos = last;
	h->dir_pos_valid = true;
	return ret;
}

int vfs_op_readdir(struct vfs_call *c)
{
	return readdir_common(c, false);
}

int vfs_op_readdirplus(struct vfs_call *c)
{
	return readdir_common(c, true);
}

int vfs_op_releasedir(struct vfs_call *c)
{
	const struct fuse_release_in *ri = c->r->arg;
	return vfs_fh_close(c->s, ri->fh, VFS_FH_DIR);
}

int vfs_op_fsyncdir(struct vfs_call *c)
{
	const struct fuse_fsync_in *f = c->r->arg;
	struct vfs_fh *h = vfs_fh_get(c->s, f->fh, VFS_FH_DIR);
	if (!h)
		return -EBADF;
	/* fsync for FDATASYNC too: one syscall fewer in the allowlist. */
	int rc = fsync(h->fd);
	return rc < 0 ? -errno : 0;
}
