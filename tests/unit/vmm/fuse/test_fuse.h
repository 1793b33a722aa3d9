/* Helpers for the FUSE server tests: a share in a fresh directory under
 * /tmp (top/share, with top/outside beside it holding a file the guest must
 * never reach), requests built in memory, and one call per op that checks
 * the reply header and returns the error. */
#ifndef TEST_FUSE_H
#define TEST_FUSE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/fuse/decode.h"
#include "vmm/fuse/fuse_server.h"

/* Each test file uses a different subset of the helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define SECRET "top secret\n"

static struct vfs_server srv;
static char top[64];
static uint32_t req_uid, req_gid; /* the caller in every request */
static uint64_t next_unique = 1;

/* A path under the test directory, in one of four rotating buffers. */
__attribute__((format(printf, 1, 2))) static const char *tpath(const char *fmt, ...)
{
	static char bufs[4][256];
	static int k;
	char *b = bufs[k++ & 3];
	int n = snprintf(b, 256, "%s/", top);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b + n, 256 - n, fmt, ap);
	va_end(ap);
	return b;
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "%s: %m", path);
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* The file's contents (NUL-terminated, at most 4 KiB) in a static buffer. */
static const char *read_file(const char *path)
{
	static char b[4097];
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s: %m", path);
	ssize_t n = read(fd, b, 4096);
	cr_assert_geq(n, 0);
	b[n] = 0;
	close(fd);
	return b;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (chown)");
}

static void share_up(bool readonly)
{
	strcpy(top, "/tmp/mvrun-fuse-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	cr_assert_eq(mkdir(tpath("share"), 0755), 0);
	cr_assert_eq(mkdir(tpath("outside"), 0755), 0);
	write_file(tpath("outside/secret"), SECRET);
	chmod(tpath("outside/secret"), 0600);
	struct err err = { 0 };
	cr_assert_eq(vfs_init(&srv, tpath("share"), readonly, &err), 0, "%s", err.msg);
	req_uid = req_gid = 0;
}

static void share_down(void)
{
	vfs_fini(&srv);
	if (top[0])
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A request under construction. */
struct rq {
	union {
		struct fuse_in_header h;
		uint8_t b[VFS_ARG_MAX + 8192];
	};
	size_t len;
};

static void rq_start(struct rq *q, uint32_t opcode, uint64_t nodeid)
{
	memset(&q->h, 0, sizeof(q->h));
	q->h.opcode = opcode;
	q->h.nodeid = nodeid;
	q->h.unique = next_unique++;
	q->h.uid = req_uid;
	q->h.gid = req_gid;
	q->h.pid = 42;
	q->len = sizeof(q->h);
}

static void rq_add(struct rq *q, const void *p, size_t n)
{
	cr_assert_leq(q->len + n, sizeof(q->b));
	memcpy(q->b + q->len, p, n);
	q->len += n;
	q->h.len = q->len;
}

static void rq_str(struct rq *q, const char *s)
{
	rq_add(q, s, strlen(s) + 1);
}

/* Send q followed by `dlen` bytes of bulk data, the whole split into in
 * iovecs of `split` bytes (0: q and data in one iovec each), with the reply
 * going to a 16-byte header iovec and a payload buffer, as the guest lays
 * them out. Checks the reply header; returns its error, and the payload
 * length in *plen. */
static int xfer_data(struct rq *q, const void *data, size_t dlen, size_t split, void *pay,
		     size_t paycap, size_t *plen)
{
	q->h.len = q->len + dlen;
	static struct iovec in[2048];
	int nin = 0;
	size_t total = q->len + dlen;
	if (split == 0)
		split = total;
	for (size_t off = 0; off < total; off += split) {
		size_t end = off + split < total ? off + split : total;
		for (size_t o = off; o < end;) {
			cr_assert_lt(nin, 2048);
			if (o < q->len) {
				size_t k = (end < q->len ? end : q->len) - o;
				in[nin++] = (struct iovec){ q->b + o, k };
				o += k;
			} else {
				in[nin++] = (struct iovec){ (uint8_t *)data + (o - q->len), end - o };
				o = end;
			}
		}
	}
	struct fuse_out_header oh;
	memset(&oh, 0xa5, sizeof(oh));
	struct iovec out[2] = { { &oh, sizeof(oh) }, { pay, paycap } };
	uint32_t n = vfs_handle(&srv, in, nin, out, pay ? 2 : 1);
	cr_assert_geq(n, sizeof(oh), "no reply");
	cr_assert_eq(oh.len, n, "header len %u, used %u", oh.len, n);
	cr_assert_eq(oh.unique, q->h.unique);
	cr_assert_leq(oh.error, 0);
	if (oh.error)
		cr_assert_eq(n, sizeof(oh), "an error reply carries a payload");
	if (plen)
		*plen = n - sizeof(oh);
	return oh.error;
}

static int xfer_split(struct rq *q, size_t split, void *pay, size_t paycap, size_t *plen)
{
	return xfer_data(q, NULL, 0, split, pay, paycap, plen);
}

static int xfer(struct rq *q, void *pay, size_t paycap, size_t *plen)
{
	return xfer_split(q, 0, pay, paycap, plen);
}

/* Send a request with no reply payload expected. */
static int xfer0(struct rq *q)
{
	size_t n;
	int e = xfer(q, NULL, 0, &n);
	cr_assert_eq(n, 0);
	return e;
}

/* Send q expecting exactly `size` bytes of payload on success. */
static int xfer_fixed(struct rq *q, void *pay, size_t size)
{
	size_t n;
	int e = xfer(q, pay, size, &n);
	if (e == 0)
		cr_assert_eq(n, size, "payload %zu, want %zu", n, size);
	return e;
}

static void do_init(void)
{
	struct rq q;
	rq_start(&q, FUSE_INIT, 0);
	struct fuse_init_in in = { .major = 7, .minor = 37, .max_readahead = 128 << 10,
				   .flags = 0xffffffff };
	rq_add(&q, &in, sizeof(in));
	struct fuse_init_out o;
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0);
}

static void setup_rw(void)
{
	share_up(false);
	do_init();
}

static void setup_ro(void)
{
	share_up(true);
	do_init();
}

static int lookup(uint64_t dir, const char *name, struct fuse_entry_out *e)
{
	struct rq q;
	rq_start(&q, FUSE_LOOKUP, dir);
	rq_str(&q, name);
	return xfer_fixed(&q, e, sizeof(*e));
}

static int getattr(uint64_t node, struct fuse_attr *a)
{
	struct rq q;
	rq_start(&q, FUSE_GETATTR, node);
	struct fuse_getattr_in g = { 0 };
	rq_add(&q, &g, sizeof(g));
	struct fuse_attr_out o;
	int e = xfer_fixed(&q, &o, sizeof(o));
	if (e == 0 && a)
		*a = o.attr;
	return e;
}

static int setattr(uint64_t node, const struct fuse_setattr_in *in, struct fuse_attr *a)
{
	struct rq q;
	rq_start(&q, FUSE_SETATTR, node);
	rq_add(&q, in, sizeof(*in));
	struct fuse_attr_out o;
	int e = xfer_fixed(&q, &o, sizeof(o));
	if (e == 0 && a)
		*a = o.attr;
	return e;
}

static int create(uint64_t dir, const char *name, uint32_t mode, uint32_t flags,
		  struct fuse_entry_out *e, uint64_t *fh)
{
	struct rq q;
	rq_start(&q, FUSE_CREATE, dir);
	struct fuse_create_in c = { .flags = flags, .mode = S_IFREG | mode, .umask = 022 };
	rq_add(&q, &c, sizeof(c));
	rq_str(&q, name);
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} r;
	int err = xfer_fixed(&q, &r, sizeof(r));
	if (err == 0) {
		if (e)
			*e = r.e;
		if (fh)
			*fh = r.o.fh;
	}
	return err;
}

static int open_(uint64_t node, uint32_t opcode, uint32_t flags, uint64_t *fh)
{
	struct rq q;
	rq_start(&q, opcode, node);
	struct fuse_open_in o = { .flags = flags };
	rq_add(&q, &o, sizeof(o));
	struct fuse_open_out r;
	int e = xfer_fixed(&q, &r, sizeof(r));
	if (e == 0)
		*fh = r.fh;
	return e;
}

static int release_(uint64_t node, uint32_t opcode, uint64_t fh)
{
	struct rq q;
	rq_start(&q, opcode, node);
	struct fuse_release_in r = { .fh = fh };
	rq_add(&q, &r, sizeof(r));
	return xfer0(&q);
}

/* WRITE with the request split into in iovecs of `split` bytes. Returns the
 * bytes written or -errno. */
static int64_t write_(uint64_t node, uint64_t fh, uint64_t off, const void *p, size_t n,
		      size_t split)
{
	struct rq q;
	rq_start(&q, FUSE_WRITE, node);
	struct fuse_write_in w = { .fh = fh, .offset = off, .size = n };
	rq_add(&q, &w, sizeof(w));
	struct fuse_write_out o;
	size_t len;
	int e = xfer_data(&q, p, n, split, &o, sizeof(o), &len);
	if (e)
		return e;
	cr_assert_eq(len, sizeof(o));
	return o.size;
}

static int64_t read_(uint64_t node, uint64_t fh, uint64_t off, void *p, size_t n)
{
	struct rq q;
	rq_start(&q, FUSE_READ, node);
	struct fuse_read_in r = { .fh = fh, .offset = off, .size = n };
	rq_add(&q, &r, sizeof(r));
	size_t len;
	int e = xfer(&q, p, n, &len);
	return e ? e : (int64_t)len;
}

static int mkdir_(uint64_t dir, const char *name, uint32_t mode, struct fuse_entry_out *e)
{
	struct rq q;
	rq_start(&q, FUSE_MKDIR, dir);
	struct fuse_mkdir_in m = { .mode = mode, .umask = 0 };
	rq_add(&q, &m, sizeof(m));
	rq_str(&q, name);
	struct fuse_entry_out tmp;
	return xfer_fixed(&q, e ? e : &tmp, sizeof(tmp));
}

static int mknod_(uint64_t dir, const char *name, uint32_t mode, uint32_t rdev,
		  struct fuse_entry_out *e)
{
	struct rq q;
	rq_start(&q, FUSE_MKNOD, dir);
	struct fuse_mknod_in m = { .mode = mode, .rdev = rdev };
	rq_add(&q, &m, sizeof(m));
	rq_str(&q, name);
	struct fuse_entry_out tmp;
	return xfer_fixed(&q, e ? e : &tmp, sizeof(tmp));
}

static int symlink_(uint64_t dir, const char *name, const char *target, struct fuse_entry_out *e)
{
	struct rq q;
	rq_start(&q, FUSE_SYMLINK, dir);
	rq_str(&q, name);
	rq_str(&q, target);
	struct fuse_entry_out tmp;
	return xfer_fixed(&q, e ? e : &tmp, sizeof(tmp));
}

static int link_(uint64_t old, uint64_t dir, const char *name, struct fuse_entry_out *e)
{
	struct rq q;
	rq_start(&q, FUSE_LINK, dir);
	struct fuse_link_in l = { .oldnodeid = old };
	rq_add(&q, &l, sizeof(l));
	rq_str(&q, name);
	struct fuse_entry_out tmp;
	return xfer_fixed(&q, e ? e : &tmp, sizeof(tmp));
}

static int unlink_(uint32_t opcode, uint64_t dir, const char *name)
{
	struct rq q;
	rq_start(&q, opcode, dir);
	rq_str(&q, name);
	return xfer0(&q);
}

/* RENAME when flags is 0, RENAME2 otherwise. */
static int rename_(uint64_t dir, const char *name, uint64_t newdir, const char *newname,
		   uint32_t flags)
{
	struct rq q;
	if (flags) {
		rq_start(&q, FUSE_RENAME2, dir);
		struct fuse_rename2_in r = { .newdir = newdir, .flags = flags };
		rq_add(&q, &r, sizeof(r));
	} else {
		rq_start(&q, FUSE_RENAME, dir);
		struct fuse_rename_in r = { .newdir = newdir };
		rq_add(&q, &r, sizeof(r));
	}
	rq_str(&q, name);
	rq_str(&q, newname);
	return xfer0(&q);
}

static int forget_(uint64_t node, uint64_t n)
{
	struct rq q;
	rq_start(&q, FUSE_FORGET, node);
	struct fuse_forget_in f = { .nlookup = n };
	rq_add(&q, &f, sizeof(f));
	struct iovec in = { q.b, q.len };
	uint8_t out[64];
	struct iovec o = { out, sizeof(out) };
	return (int)vfs_handle(&srv, &in, 1, &o, 1);
}

/* READLINK into buf (NUL-terminated); returns -errno or the length. */
static int readlink_(uint64_t node, char *buf, size_t cap)
{
	struct rq q;
	rq_start(&q, FUSE_READLINK, node);
	size_t n;
	int e = xfer(&q, buf, cap - 1, &n);
	if (e)
		return e;
	buf[n] = 0;
	return (int)n;
}

#endif
