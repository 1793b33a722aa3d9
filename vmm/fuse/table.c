/* The inode table (nodeid -> O_PATH fd, keyed by (st_dev, st_ino) so every
 * host inode has one nodeid) and the file handle table. Both are slot
 * arrays inside struct vfs_server; nodeids and fhs from the guest are
 * checked against them and never dereferenced as pointers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fuse/internal.h"

#define INODE_MAX (1u << 26)  /* far beyond any RLIMIT_NOFILE */
#define FH_MAX (1u << 24)

static uint32_t hash(dev_t dev, ino_t ino, uint32_t nbuckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) & (nbuckets - 1);
}

static void bucket_insert(struct vfs_server *s, uint32_t slot)
{
	struct vfs_inode *n = &s->inodes[slot];
	uint32_t b = hash(n->dev, n->ino, s->nbuckets);
	n->next = s->buckets[b];
	s->buckets[b] = slot;
}

static void bucket_remove(struct vfs_server *s, uint32_t slot)
{
	struct vfs_inode *n = &s->inodes[slot];
	uint32_t *p = &s->buckets[hash(n->dev, n->ino, s->nbuckets)];
	while (*p && *p != slot)
		p = &s->inodes[*p].next;
	if (*p)
		*p = n->next;
}

/* Double the buckets when the table is fuller than one inode per bucket. */
static int rehash(struct vfs_server *s)
{
	uint32_t nb = s->nbuckets * 2;
	uint32_t *b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
	for (uint32_t i = 1; i < s->inode_top; i++)
		if (s->inodes[i].fd >= 0)
			bucket_insert(s, i);
	return 0;
}

int vfs_tables_init(struct vfs_server *s)
{
	s->inode_cap = 256;
	s->inodes = calloc(s->inode_cap, sizeof(*s->inodes));
	s->nbuckets = 256;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	s->fh_cap = 64;
	s->fhs = calloc(s->fh_cap, sizeof(*s->fhs));
	if (!s->inodes || !s->buckets || !s->fhs)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->inode_cap; i++)
		s->inodes[i].fd = -1;
	for (uint32_t i = 0; i < s->fh_cap; i++)
		s->fhs[i].fd = -1;
	s->inode_top = 1;
	s->fh_top = 1;
	return 0;
}

static void close_fhs(struct vfs_server *s)
{
	for (uint32_t i = 1; i < s->fh_top; i++) {
		if (s->fhs[i].kind != VFS_FH_FREE)
			close(s->fhs[i].fd);
		free(s->fhs[i].dents);
		s->fhs[i].dents = NULL;
		s->fhs[i].fd = -1;
		s->fhs[i].kind = VFS_FH_FREE;
		s->fhs[i].gen = 0; /* the guest starts over: same fhs again */
	}
	s->fh_top = 1;
	s->fh_free = 0;
	s->budget->handles -= s->fhs_live;
	s->fhs_live = 0;
}

void vfs_tables_reset(struct vfs_server *s)
{
	if (!s->inodes)
		return;
	close_fhs(s);
	for (uint32_t i = 2; i < s->inode_top; i++) {
		if (s->inodes[i].fd >= 0)
			close(s->inodes[i].fd);
		s->inodes[i].fd = -1;
	}
	memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
	s->inode_free = 0;
	if (s->inode_top > 2)
		s->inode_top = 2;
	s->budget->inodes -= s->inodes_live - (s->inode_top - 1);
	s->inodes_live = s->inode_top - 1;
	if (s->inodes_live)
		bucket_insert(s, 1);
}

void vfs_tables_fini(struct vfs_server *s)
{
	if (s->inodes) {
		if (s->fhs)
			close_fhs(s);
		for (uint32_t i = 1; i < s->inode_top; i++)
			if (s->inodes[i].fd >= 0)
				close(s->inodes[i].fd);
	}
	if (s->budget)
		s->budget->inodes -= s->inodes_live;
	free(s->inodes);
	free(s->buckets);
	free(s->fhs);
	s->inodes = NULL;
	s->buckets = NULL;
	s->fhs = NULL;
	s->inode_cap = s->inode_top = s->inode_free = s->inodes_live = s->nbuckets = 0;
	s->fh_cap = s->fh_top = s->fh_free = s->fhs_live = 0;
}

struct vfs_inode *vfs_inode_get(struct vfs_server *s, uint64_t nodeid)
{
	if (nodeid == 0 || nodeid >= s->inode_top || s->inodes[nodeid].fd < 0)
		return NULL;
	return &s->inodes[nodeid];
}

static int64_t inode_slot(struct vfs_server *s)
{
	if (s->inode_free) {
		uint32_t i = s->inode_free;
		s->inode_free = s->inodes[i].next;
		return i;
	}
	if (s->inode_top == s->inode_cap) {
		if (s->inode_cap >= INODE_MAX)
			return -ENFILE;
		uint32_t nc = s->inode_cap * 2;
		struct vfs_inode *n = realloc(s->inodes, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + s->inode_cap, 0, (nc - s->inode_cap) * sizeof(*n));
		for (uint32_t i = s->inode_cap; i < nc; i++)
			n[i].fd = -1;
		s->inodes = n;
		s->inode_cap = nc;
	}
	return s->inode_top++;
}

int64_t vfs_inode_add(struct vfs_server *s, int fd, const struct stat *st)
{
	uint32_t b = hash(st->st_dev, st->st_ino, s->nbuckets);
	for (uint32_t i = s->buckets[b]; i; i = s->inodes[i].next) {
		struct vfs_inode *n = &s->inodes[i];
		if (n->dev == st->st_dev && n->ino == st->st_ino) {
			close(fd);
			n->nlookup++;
			return i;
		}
	}
	if (s->budget->inodes >= s->budget->max_inodes) {
		close(fd);
		return -ENFILE;
	}
	if (s->inodes_live >= s->nbuckets && rehash(s) < 0) {
		close(fd);
		return -ENOMEM;
	}
	int64_t slot = inode_slot(s);
	if (slot < 0) {
		close(fd);
		return slot;
	}
	struct vfs_inode *n = &s->inodes[slot];
	n->fd = fd;
	n->type = st->st_mode & S_IFMT;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->nlookup = 1;
	n->gen++;
	bucket_insert(s, slot);
	s->inodes_live++;
	s->budget->inodes++;
	return slot;
}

void vfs_inode_forget(struct vfs_server *s, uint64_t nodeid, uint64_t n)
{
	struct vfs_inode *in = vfs_inode_get(s, nodeid);
	if (!in || nodeid == FUSE_ROOT_ID)
		return;
	in->nlookup = n < in->nlookup ? in->nlookup - n : 0;
	if (in->nlookup)
		return;
	bucket_remove(s, nodeid);
	close(in->fd);
	in->fd = -1;
	in->next = s->inode_free;
	s->inode_free = nodeid;
	s->inodes_live--;
	s->budget->inodes--;
}

bool vfs_fh_room(const struct vfs_server *s)
{
	return s->budget->handles < s->budget->max_handles;
}

int64_t vfs_fh_add(struct vfs_server *s, int fd, enum vfs_fh_kind kind)
{
	uint32_t i;
	if (!vfs_fh_room(s)) {
		close(fd);
		return -ENFILE;
	}
	if (s->fh_free) {
		i = s->fh_free;
		s->fh_free = s->fhs[i].next;
	} else {
		if (s->fh_top == s->fh_cap) {
			uint32_t nc = s->fh_cap * 2;
			struct vfs_fh *n = nc <= FH_MAX ? realloc(s->fhs, nc * sizeof(*n)) : NULL;
			if (!n) {
				close(fd);
				return nc <= FH_MAX ? -ENOMEM : -ENFILE;
			}
			memset(n + s->fh_cap, 0, (nc - s->fh_cap) * sizeof(*n));
			for (uint32_t k = s->fh_cap; k < nc; k++)
				n[k].fd = -1;
			s->fhs = n;
			s->fh_cap = nc;
		}
		i = s->fh_top++;
	}
	struct vfs_fh *h = &s->fhs[i];
	h->fd = fd;
	h->kind = kind;
	h->dir_pos_valid = false;
	h->dents = NULL;
	h->dents_len = h->dents_pos = 0;
	h->gen = (h->gen + 1) & 0x7fffffff; /* the fh stays a positive int64 */
	if (h->gen == 0)
		h->gen = 1;
	s->fhs_live++;
	s->budget->handles++;
	return (int64_t)((uint64_t)h->gen << 32 | i);
}

struct vfs_fh *vfs_fh_get(struct vfs_server *s, uint64_t fh, enum vfs_fh_kind kind)
{
	uint32_t i = (uint32_t)fh;
	uint32_t gen = (uint32_t)(fh >> 32);
	if (i == 0 || i >= s->fh_top)
		return NULL;
	struct vfs_fh *h = &s->fhs[i];
	if (h->kind != kind || h->gen != gen)
		return NULL;
	return h;
}

int vfs_fh_close(struct vfs_server *s, uint64_t fh, enum vfs_fh_kind kind)
{
	struct vfs_fh *h = vfs_fh_get(s, fh, kind);
	if (!h)
		return -EBADF;
	close(h->fd);
	h->fd = -1;
	h->kind = VFS_FH_FREE;
	free(h->dents);
	h->dents = NULL;
	uint32_t i = (uint32_t)fh;
	h->next = s->fh_free;
	s->fh_free = i;
	s->fhs_live--;
	s->budget->handles--;
	return 0;
}
