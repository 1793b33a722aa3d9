/* libFuzzer target for the FUSE server: the request decoder (decode.c) and
 * every op behind it, through vfs_handle(), as a hostile guest drives them.
 *
 * An input is a sequence of records, each one request:
 *   u8 flags   bit 0: fix fuse_in_header.len to the record's length
 *              bits 1-3: split the request into 1..8 in iovecs
 *              bit 4: send it to the read-only server (else the writable one)
 *              bits 5-7: the out buffer size class
 *   u16 len    little-endian, clamped to what is left
 *   len bytes  the request: fuse_in_header, args, data
 * Every iovec is its own exact-size allocation, so ASan sees any access
 * outside them. Each input starts from a fresh session (vfs_reset + INIT)
 * against a small tree in a temp directory, with a secret file beside it.
 *
 * Build (Debian clang):
 *   clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     tests/fuzz/fuse_fuzz.c vmm/fuse/[a-z]*.c vmm/err.c -o build/fuse-fuzz
 *   MVRUN_FUSE_SEEDS=build/fuse-seeds build/fuse-fuzz   # writes seed inputs, exits
 *   build/fuse-fuzz -max_total_time=60 -max_len=8192 build/fuse-corpus build/fuse-seeds
 */
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vmm/fuse/decode.h"
#include "vmm/fuse/fuse_server.h"

static struct vfs_server rw, ro;
static char top[64];

static const size_t out_sizes[8] = { 0, 8, 16, 40, 144, 160, 4096, 70000 };

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		abort();
	}
}

static void put(const char *rel, const char *data)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0, p);
	must(write(fd, data, strlen(data)) == (ssize_t)strlen(data), p);
	close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void cleanup(void)
{
	vfs_fini(&rw);
	vfs_fini(&ro);
	if (top[0])
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void init_session(struct vfs_server *s)
{
	vfs_reset(s);
	uint8_t req[sizeof(struct fuse_in_header) + sizeof(struct fuse_init_in)] = { 0 };
	struct fuse_in_header h = { .len = sizeof(req), .opcode = FUSE_INIT, .unique = 1 };
	struct fuse_init_in in = { .major = 7, .minor = 37, .max_readahead = 1 << 17,
				   .flags = 0xffffffff };
	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), &in, sizeof(in));
	uint8_t out[256];
	struct iovec i = { req, sizeof(req) }, o = { out, sizeof(out) };
	vfs_handle(s, &i, 1, &o, 1);
}

/* Seed inputs: one ordinary session each, so the fuzzer starts from
 * requests that get past decoding. After vfs_reset + INIT the first new
 * inode is nodeid 2 and the first handle is fh 1 << 32 | 1. */
struct seed {
	uint8_t b[4096];
	size_t len;
};

static void rec(struct seed *s, uint32_t op, uint64_t node, const void *arg, size_t alen,
		const char *s1, const char *s2, const void *data, size_t dlen)
{
	size_t l1 = s1 ? strlen(s1) + 1 : 0, l2 = s2 ? strlen(s2) + 1 : 0;
	size_t len = sizeof(struct fuse_in_header) + alen + l1 + l2 + dlen;
	struct fuse_in_header h = { .len = len, .opcode = op, .unique = 7, .nodeid = node };
	uint8_t *p = s->b + s->len;
	p[0] = 1 | 6 << 5; /* fix len, one iovec, writable server, 4096-byte out */
	p[1] = len & 0xff;
	p[2] = len >> 8;
	p += 3;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	const void *parts[4] = { arg, s1, s2, data };
	size_t lens[4] = { alen, l1, l2, dlen };
	for (int i = 0; i < 4; i++) {
		if (lens[i])
			memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	s->len += 3 + len;
}

static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);
	struct seed s[8];
	memset(s, 0, sizeof(s));
	uint64_t fh1 = 1ull << 32 | 1;
	struct fuse_open_in o = { .flags = O_RDWR };
	struct fuse_read_in r = { .fh = fh1, .size = 4096 };
	struct fuse_write_in w = { .fh = fh1, .offset = 3, .size = 5 };
	struct fuse_getattr_in g = { 0 };
	struct fuse_setattr_in sa = { .valid = FATTR_MODE | FATTR_SIZE | FATTR_MTIME, .mode = 0600,
				      .size = 4 };
	struct fuse_getxattr_in gx = { .size = 64 };
	struct fuse_create_in c = { .flags = O_RDWR, .mode = S_IFREG | 0644 };
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct fuse_rename2_in rn = { .newdir = 1, .flags = RENAME_NOREPLACE };
	struct fuse_link_in ln = { .oldnodeid = 2 };
	struct fuse_forget_in fg = { .nlookup = 1 };
	struct {
		struct fuse_batch_forget_in b;
		struct fuse_forget_one f[2];
	} bf = { { 2, 0 }, { { 2, 1 }, { 3, 1 } } };

	rec(&s[0], FUSE_LOOKUP, 1, NULL, 0, "f", NULL, NULL, 0);
	rec(&s[0], FUSE_OPEN, 2, &o, sizeof(o), NULL, NULL, NULL, 0);
	rec(&s[0], FUSE_READ, 2, &r, sizeof(r), NULL, NULL, NULL, 0);
	rec(&s[0], FUSE_WRITE, 2, &w, sizeof(w), NULL, NULL, "XXXXX", 5);
	rec(&s[0], FUSE_RELEASE, 2, &r, sizeof(struct fuse_release_in), NULL, NULL, NULL, 0);
	rec(&s[1], FUSE_LOOKUP, 1, NULL, 0, "d", NULL, NULL, 0);
	rec(&s[1], FUSE_OPENDIR, 2, &o, sizeof(o), NULL, NULL, NULL, 0);
	rec(&s[1], FUSE_READDIRPLUS, 2, &r, sizeof(r), NULL, NULL, NULL, 0);
	rec(&s[1], FUSE_READDIR, 2, &r, sizeof(r), NULL, NULL, NULL, 0);
	rec(&s[1], FUSE_LOOKUP, 2, NULL, 0, "g", NULL, NULL, 0);
	rec(&s[1], FUSE_BATCH_FORGET, 0, &bf, sizeof(bf), NULL, NULL, NULL, 0);
	rec(&s[2], FUSE_CREATE, 1, &c, sizeof(c), "new", NULL, NULL, 0);
	rec(&s[2], FUSE_WRITE, 2, &w, sizeof(w), NULL, NULL, "abcde", 5);
	rec(&s[2], FUSE_SETATTR, 2, &sa, sizeof(sa), NULL, NULL, NULL, 0);
	rec(&s[2], FUSE_GETATTR, 2, &g, sizeof(g), NULL, NULL, NULL, 0);
	rec(&s[2], FUSE_UNLINK, 1, NULL, 0, "new", NULL, NULL, 0);
	rec(&s[3], FUSE_LOOKUP, 1, NULL, 0, "f", NULL, NULL, 0);
	rec(&s[3], FUSE_GETXATTR, 2, &gx, sizeof(gx), "user.a", NULL, NULL, 0);
	rec(&s[3], FUSE_LISTXATTR, 2, &gx, sizeof(gx), NULL, NULL, NULL, 0);
	rec(&s[3], FUSE_SETXATTR, 2, &gx, 8, "user.b", NULL, "xy", 2);
	rec(&s[3], FUSE_REMOVEXATTR, 2, NULL, 0, "user.b", NULL, NULL, 0);
	rec(&s[3], FUSE_STATFS, 1, NULL, 0, NULL, NULL, NULL, 0);
	rec(&s[4], FUSE_MKDIR, 1, &mk, sizeof(mk), "m", NULL, NULL, 0);
	rec(&s[4], FUSE_SYMLINK, 2, NULL, 0, "s", "../../outside/secret", NULL, 0);
	rec(&s[4], FUSE_OPEN, 3, &o, sizeof(o), NULL, NULL, NULL, 0);
	rec(&s[4], FUSE_READLINK, 3, NULL, 0, NULL, NULL, NULL, 0);
	rec(&s[4], FUSE_RENAME2, 2, &rn, sizeof(rn), "s", "s2", NULL, 0);
	rec(&s[4], FUSE_UNLINK, 1, NULL, 0, "s2", NULL, NULL, 0);
	rec(&s[4], FUSE_RMDIR, 1, NULL, 0, "m", NULL, NULL, 0);
	rec(&s[5], FUSE_LOOKUP, 1, NULL, 0, "f", NULL, NULL, 0);
	rec(&s[5], FUSE_LINK, 1, &ln, sizeof(ln), "hard", NULL, NULL, 0);
	rec(&s[5], FUSE_UNLINK, 1, NULL, 0, "hard", NULL, NULL, 0);
	rec(&s[5], FUSE_FORGET, 2, &fg, sizeof(fg), NULL, NULL, NULL, 0);
	rec(&s[6], FUSE_LOOKUP, 1, NULL, 0, "l", NULL, NULL, 0);
	rec(&s[6], FUSE_OPEN, 2, &o, sizeof(o), NULL, NULL, NULL, 0);
	rec(&s[6], FUSE_LOOKUP, 1, NULL, 0, "fifo", NULL, NULL, 0);
	rec(&s[6], FUSE_OPEN, 3, &o, sizeof(o), NULL, NULL, NULL, 0);
	rec(&s[7], FUSE_DESTROY, 0, NULL, 0, NULL, NULL, NULL, 0);
	rec(&s[7], FUSE_LOOKUP, 1, NULL, 0, "..", NULL, NULL, 0);
	for (int i = 0; i < 8; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/seed-%d", dir, i);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		must(fd >= 0, p);
		must(write(fd, s[i].b, s[i].len) == (ssize_t)s[i].len, p);
		close(fd);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *seeds = getenv("MVRUN_FUSE_SEEDS");
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	strcpy(top, "/tmp/mvrun-fuse-fuzz-XXXXXX");
	must(mkdtemp(top) != NULL, "mkdtemp");
	atexit(cleanup);
	char p[128];
	const char *dirs[] = { "share", "share/d", "share/d/e", "outside" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", top, dirs[i]);
		must(mkdir(p, 0755) == 0, p);
	}
	put("outside/secret", "secret");
	put("share/f", "hello world");
	put("share/d/g", "0123456789abcdef");
	snprintf(p, sizeof(p), "%s/share/f", top);
	setxattr(p, "user.a", "1", 1, 0);
	snprintf(p, sizeof(p), "%s/share/l", top);
	must(symlink("../outside/secret", p) == 0, p);
	snprintf(p, sizeof(p), "%s/share/d/abs", top);
	must(symlink("/etc/passwd", p) == 0, p);
	snprintf(p, sizeof(p), "%s/share/fifo", top);
	must(mkfifo(p, 0644) == 0, p);

	/* Writes may make sparse files, never big ones. */
	struct rlimit fsz = { 64 << 20, 64 << 20 };
	setrlimit(RLIMIT_FSIZE, &fsz);

	struct err err = { 0 };
	snprintf(p, sizeof(p), "%s/share", top);
	must(vfs_init(&rw, p, false, &err) == 0, err.msg);
	must(vfs_init(&ro, p, true, &err) == 0, err.msg);
	return 0;
}

/* Ops that would fill the disk or flush it on every run go to the
 * read-only server, which refuses or has nothing dirty. */
static bool rw_ok(const uint8_t *req, size_t len)
{
	uint32_t op;
	if (len < 8)
		return true;
	memcpy(&op, req + 4, 4);
	return op != FUSE_FALLOCATE && op != FUSE_COPY_FILE_RANGE && op != FUSE_FSYNC &&
	       op != FUSE_FSYNCDIR && op != FUSE_SYNCFS;
}

static void one(const uint8_t *req, size_t len, uint8_t flags)
{
	struct vfs_server *s = (flags & 0x10) || !rw_ok(req, len) ? &ro : &rw;
	int nin = 1 + ((flags >> 1) & 7);
	struct iovec in[8], out[2];
	uint8_t *bufs[10] = { 0 };
	size_t chunk = len / nin + 1, off = 0;
	int k = 0;
	for (; k < nin && off <= len; k++) {
		size_t n = len - off < chunk ? len - off : chunk;
		bufs[k] = malloc(n ? n : 1);
		memcpy(bufs[k], req + off, n);
		in[k] = (struct iovec){ bufs[k], n };
		off += n;
	}
	nin = k;
	if ((flags & 1) && nin && in[0].iov_len >= 4) {
		uint32_t l = (uint32_t)len;
		memcpy(bufs[0], &l, 4);
	}
	size_t osz = out_sizes[flags >> 5];
	size_t h = osz < 16 ? osz : 16;
	bufs[8] = malloc(h ? h : 1);
	bufs[9] = malloc(osz - h ? osz - h : 1);
	out[0] = (struct iovec){ bufs[8], h };
	out[1] = (struct iovec){ bufs[9], osz - h };
	uint32_t n = vfs_handle(s, in, nin, out, 2);
	if (n > osz)
		abort();
	if (n) {
		struct fuse_out_header oh;
		memcpy(&oh, bufs[8], sizeof(oh));
		if (n < sizeof(oh) || oh.len != n || oh.error > 0 || oh.error < -4095 ||
		    (oh.error && n != sizeof(oh)))
			abort();
	}
	for (int i = 0; i < 10; i++)
		free(bufs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer takes SIGXFSZ over after init; RLIMIT_FSIZE must give EFBIG. */
	signal(SIGXFSZ, SIG_IGN);
	init_session(&rw);
	init_session(&ro);
	size_t p = 0;
	for (int count = 0; p + 3 <= size && count < 64; count++) {
		uint8_t flags = data[p];
		size_t len = data[p + 1] | (size_t)data[p + 2] << 8;
		p += 3;
		if (len > size - p)
			len = size - p;
		one(data + p, len, flags);
		p += len;
	}
	return 0;
}
