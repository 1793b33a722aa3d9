/* FUSE file ops: CREATE/OPEN/READ/WRITE round trips over scattered
 * buffers, ownership and modes, SETATTR, xattrs, and the fsync family,
 * checked on the host side of a fresh share under /tmp. */
#include "tests/unit/vmm/fuse/test_fuse.h"

#include <sys/xattr.h>
#include <time.h>

TestSuite(fuse_files, .init = setup_rw, .fini = share_down);

/* A READ whose reply is scattered over many small out iovecs, the out
 * header itself split in two. */
static int64_t read_scattered(uint64_t fh, uint64_t off, uint8_t *dst, size_t n, size_t piece)
{
	struct rq q;
	rq_start(&q, FUSE_READ, 2);
	struct fuse_read_in r = { .fh = fh, .offset = off, .size = n };
	rq_add(&q, &r, sizeof(r));
	struct fuse_out_header oh;
	static struct iovec out[1100];
	int nout = 0;
	out[nout++] = (struct iovec){ &oh, 5 };
	out[nout++] = (struct iovec){ (uint8_t *)&oh + 5, sizeof(oh) - 5 };
	for (size_t o = 0; o < n; o += piece)
		out[nout++] = (struct iovec){ dst + o, n - o < piece ? n - o : piece };
	struct iovec in = { q.b, q.len };
	uint32_t got = vfs_handle(&srv, &in, 1, out, nout);
	cr_assert_eq(oh.len, got);
	cr_assert_eq(oh.unique, q.h.unique);
	return oh.error ? oh.error : (int64_t)(got - sizeof(oh));
}

Test(fuse_files, create_write_read_round_trip)
{
	umask(022);
	struct fuse_entry_out e;
	uint64_t fh;
	cr_assert_eq(create(FUSE_ROOT_ID, "data", 0640, O_RDWR, &e, &fh), 0);
	cr_assert(S_ISREG(e.attr.mode));
	cr_assert_eq(e.attr.size, 0);

	size_t n = 300 * 1024 + 17;
	uint8_t *src = malloc(n), *dst = malloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 9));
	/* The request split into 1000-byte iovecs: header, args and data all
	 * straddle iovec boundaries. */
	cr_assert_eq(write_(e.nodeid, fh, 0, src, n / 2, 1000), (int64_t)(n / 2));
	cr_assert_eq(write_(e.nodeid, fh, n / 2, src + n / 2, n - n / 2, 4096 + 3),
		     (int64_t)(n - n / 2));

	memset(dst, 0, n);
	cr_assert_eq(read_(e.nodeid, fh, 0, dst, n), (int64_t)n);
	cr_assert_arr_eq(dst, src, n);
	memset(dst, 0, n);
	cr_assert_eq(read_scattered(fh, 100, dst, 64 * 1024, 333), 64 * 1024);
	cr_assert_arr_eq(dst, src + 100, 64 * 1024);
	cr_assert_eq(read_(e.nodeid, fh, n - 10, dst, 100), 10, "short read at EOF");
	cr_assert_eq(read_(e.nodeid, fh, n + 10, dst, 100), 0);

	/* The bytes really are in the host file. */
	int fd = open(tpath("share/data"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, dst, n, 0), (ssize_t)n);
	close(fd);
	cr_assert_arr_eq(dst, src, n);
	struct stat st;
	cr_assert_eq(stat(tpath("share/data"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);

	cr_assert_eq(release_(e.nodeid, FUSE_RELEASE, fh), 0);
	cr_assert_eq(read_(e.nodeid, fh, 0, dst, 10), -EBADF, "released");
	cr_assert_eq(release_(e.nodeid, FUSE_RELEASE, fh), -EBADF);
	free(src);
	free(dst);
}

Test(fuse_files, create_sets_owner_and_exact_mode)
{
	need_root();
	umask(077); /* our umask must not leak into the guest's files */
	req_uid = 1234;
	req_gid = 5678;
	struct fuse_entry_out e;
	uint64_t fh;
	cr_assert_eq(create(FUSE_ROOT_ID, "mine", 0664, O_WRONLY, &e, &fh), 0);
	struct stat st;
	cr_assert_eq(stat(tpath("share/mine"), &st), 0);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o: the request's umask 022", st.st_mode);
	cr_assert_eq(e.attr.uid, 1234);
	cr_assert_eq(e.attr.mode & 07777, 0644);

	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "dir", 0777, &e), 0);
	cr_assert_eq(stat(tpath("share/dir"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);

	cr_assert_eq(symlink_(FUSE_ROOT_ID, "sl", "dir", &e), 0);
	cr_assert_eq(lstat(tpath("share/sl"), &st), 0);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);

	/* A set-group-ID directory hands down its group, as on Linux. */
	cr_assert_eq(mkdir(tpath("share/sg"), 0755), 0);
	cr_assert_eq(chown(tpath("share/sg"), 0, 777), 0);
	cr_assert_eq(chmod(tpath("share/sg"), 02775), 0);
	struct fuse_entry_out sg;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "sg", &sg), 0);
	cr_assert_eq(create(sg.nodeid, "f", 0600, O_RDWR, &e, &fh), 0);
	cr_assert_eq(stat(tpath("share/sg/f"), &st), 0);
	cr_assert_eq(st.st_gid, 777);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(mkdir_(sg.nodeid, "sub", 0750, &e), 0);
	cr_assert_eq(stat(tpath("share/sg/sub"), &st), 0);
	cr_assert_eq(st.st_gid, 777);
	cr_assert_eq(st.st_mode & 07777, 02750);
}

Test(fuse_files, create_existing_and_open_flags)
{
	write_file(tpath("share/old"), "0123456789");
	struct fuse_entry_out e, e2;
	uint64_t fh;
	cr_assert_eq(create(FUSE_ROOT_ID, "old", 0644, O_RDWR | O_EXCL, &e, &fh), -EEXIST);
	/* Without O_EXCL, CREATE of a name the guest thought free opens it. */
	cr_assert_eq(create(FUSE_ROOT_ID, "old", 0600, O_RDWR, &e, &fh), 0);
	char b[32];
	cr_assert_eq(read_(e.nodeid, fh, 0, b, sizeof(b)), 10);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "old", &e2), 0);
	cr_assert_eq(e2.nodeid, e.nodeid);

	uint64_t ro, tr;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &ro), 0);
	cr_assert_eq(write_(e.nodeid, ro, 0, "x", 1, 0), -EBADF, "read-only fd");
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_WRONLY | O_TRUNC, &tr), 0);
	struct stat st;
	cr_assert_eq(stat(tpath("share/old"), &st), 0);
	cr_assert_eq(st.st_size, 0, "FUSE_ATOMIC_O_TRUNC: OPEN truncates");
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_ACCMODE, &tr), -EINVAL);
	cr_assert_eq(open_(FUSE_ROOT_ID, FUSE_OPEN, O_RDONLY, &tr), -EISDIR);
	cr_assert_eq(open_(e.nodeid, FUSE_OPENDIR, O_RDONLY, &tr), -ENOTDIR);
	/* O_APPEND: writes go to the end whatever the offset. */
	uint64_t ap;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_WRONLY | O_APPEND, &ap), 0);
	cr_assert_eq(write_(e.nodeid, ap, 0, "ab", 2, 0), 2);
	cr_assert_eq(write_(e.nodeid, ap, 0, "cd", 2, 0), 2);
	cr_assert_str_eq(read_file(tpath("share/old")), "abcd");
}

Test(fuse_files, setattr_chmod_chown_truncate_times)
{
	need_root();
	struct vfs_policy p = { .setid = true }; /* an OCI container's, without id maps */
	vfs_set_policy(&srv, &p);
	write_file(tpath("share/f"), "0123456789");
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	struct fuse_attr a;
	struct stat st;

	struct fuse_setattr_in s = { .valid = FATTR_UID | FATTR_GID, .uid = 1000, .gid = 2000 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_uid, 1000);
	cr_assert_eq(st.st_gid, 2000);
	cr_assert_eq(a.uid, 1000);

	s = (struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = S_IFREG | 04751 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 04751);
	cr_assert_eq(a.mode, S_IFREG | 04751);

	s = (struct fuse_setattr_in){ .valid = FATTR_SIZE, .size = 3 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_str_eq(read_file(tpath("share/f")), "012");
	cr_assert_eq(a.size, 3);

	/* Through an open handle (ftruncate in the guest). */
	uint64_t fh;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDWR, &fh), 0);
	s = (struct fuse_setattr_in){ .valid = FATTR_SIZE | FATTR_FH, .size = 1, .fh = fh };
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_str_eq(read_file(tpath("share/f")), "0");
	s.fh = fh + 99;
	cr_assert_eq(setattr(e.nodeid, &s, &a), -EBADF);

	s = (struct fuse_setattr_in){ .valid = FATTR_ATIME | FATTR_MTIME, .atime = 1000000,
				      .atimensec = 5, .mtime = 2000000, .mtimensec = 7 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_atim.tv_sec, 1000000);
	cr_assert_eq(st.st_atim.tv_nsec, 5);
	cr_assert_eq(st.st_mtim.tv_sec, 2000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 7);
	cr_assert_eq(a.mtime, 2000000);

	/* MTIME_NOW only: atime stays. */
	s = (struct fuse_setattr_in){ .valid = FATTR_MTIME | FATTR_MTIME_NOW };
	time_t now = time(NULL);
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_atim.tv_sec, 1000000);
	cr_assert_geq(st.st_mtim.tv_sec, now - 1);
	s = (struct fuse_setattr_in){ .valid = FATTR_MTIME, .mtimensec = 1000000000 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), -EINVAL);

	s = (struct fuse_setattr_in){ .valid = FATTR_SIZE, .size = 5 };
	cr_assert_eq(setattr(FUSE_ROOT_ID, &s, &a), -EISDIR);
	s.size = (uint64_t)INT64_MAX + 1;
	cr_assert_eq(setattr(e.nodeid, &s, &a), -EINVAL);
	cr_assert_eq(setattr(31337, &s, &a), -ESTALE);
}

Test(fuse_files, xattrs)
{
	write_file(tpath("share/f"), "x");
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	struct rq q;

	rq_start(&q, FUSE_SETXATTR, e.nodeid);
	struct fuse_setxattr_in sx = { .size = 5 };
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "user.test");
	rq_add(&q, "value", 5);
	cr_assert_eq(xfer0(&q), 0);
	char hv[16];
	cr_assert_eq(getxattr(tpath("share/f"), "user.test", hv, sizeof(hv)), 5);
	cr_assert_eq(memcmp(hv, "value", 5), 0);

	sx.flags = XATTR_CREATE;
	rq_start(&q, FUSE_SETXATTR, e.nodeid);
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "user.test");
	rq_add(&q, "other", 5);
	cr_assert_eq(xfer0(&q), -EEXIST);

	/* Size query, then the value, then too small a buffer. */
	struct fuse_getxattr_in gx = { .size = 0 };
	rq_start(&q, FUSE_GETXATTR, e.nodeid);
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "user.test");
	struct fuse_getxattr_out go;
	cr_assert_eq(xfer_fixed(&q, &go, sizeof(go)), 0);
	cr_assert_eq(go.size, 5);
	char v[64];
	size_t n;
	gx.size = sizeof(v);
	rq_start(&q, FUSE_GETXATTR, e.nodeid);
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "user.test");
	cr_assert_eq(xfer(&q, v, sizeof(v), &n), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(v, "value", 5), 0);
	gx.size = 2;
	rq_start(&q, FUSE_GETXATTR, e.nodeid);
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "user.test");
	cr_assert_eq(xfer(&q, v, 2, &n), -ERANGE);

	/* The host's trusted.* names are neither listed nor readable nor settable. */
	cr_assert_eq(setxattr(tpath("share/f"), "trusted.overlay.redirect", "/x", 2, 0), 0);
	gx.size = sizeof(v);
	rq_start(&q, FUSE_GETXATTR, e.nodeid);
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "trusted.overlay.redirect");
	cr_assert_eq(xfer(&q, v, sizeof(v), &n), -ENODATA);
	rq_start(&q, FUSE_SETXATTR, e.nodeid);
	sx.flags = 0;
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "trusted.overlay.opaque");
	rq_add(&q, "yyyyy", 5);
	cr_assert_eq(xfer0(&q), -EPERM);

	rq_start(&q, FUSE_LISTXATTR, e.nodeid);
	gx.size = 0;
	rq_add(&q, &gx, sizeof(gx));
	cr_assert_eq(xfer_fixed(&q, &go, sizeof(go)), 0);
	cr_assert_eq(go.size, sizeof("user.test"));
	rq_start(&q, FUSE_LISTXATTR, e.nodeid);
	gx.size = sizeof(v);
	rq_add(&q, &gx, sizeof(gx));
	cr_assert_eq(xfer(&q, v, sizeof(v), &n), 0);
	cr_assert_eq(n, sizeof("user.test"));
	cr_assert_str_eq(v, "user.test");

	rq_start(&q, FUSE_REMOVEXATTR, e.nodeid);
	rq_str(&q, "user.test");
	cr_assert_eq(xfer0(&q), 0);
	cr_assert_eq(getxattr(tpath("share/f"), "user.test", hv, sizeof(hv)), -1);
	rq_start(&q, FUSE_REMOVEXATTR, e.nodeid);
	rq_str(&q, "user.test");
	cr_assert_eq(xfer0(&q), -ENODATA);

	/* Directories have xattrs too. */
	rq_start(&q, FUSE_SETXATTR, FUSE_ROOT_ID);
	sx.size = 1;
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "user.dir");
	rq_add(&q, "1", 1);
	cr_assert_eq(xfer0(&q), 0);
	cr_assert_eq(getxattr(tpath("share"), "user.dir", hv, sizeof(hv)), 1);
}

Test(fuse_files, fsync_flush_fallocate_lseek_copy)
{
	struct fuse_entry_out e, e2;
	uint64_t fh, fh2;
	cr_assert_eq(create(FUSE_ROOT_ID, "a", 0644, O_RDWR, &e, &fh), 0);
	cr_assert_eq(create(FUSE_ROOT_ID, "b", 0644, O_RDWR, &e2, &fh2), 0);
	cr_assert_eq(write_(e.nodeid, fh, 0, "hello world", 11, 0), 11);
	struct rq q;

	rq_start(&q, FUSE_FSYNC, e.nodeid);
	struct fuse_fsync_in fs = { .fh = fh, .fsync_flags = FUSE_FSYNC_FDATASYNC };
	rq_add(&q, &fs, sizeof(fs));
	cr_assert_eq(xfer0(&q), 0);
	rq_start(&q, FUSE_FLUSH, e.nodeid);
	struct fuse_flush_in fl = { .fh = fh };
	rq_add(&q, &fl, sizeof(fl));
	cr_assert_eq(xfer0(&q), 0);
	fl.fh = 0;
	rq_start(&q, FUSE_FLUSH, e.nodeid);
	rq_add(&q, &fl, sizeof(fl));
	cr_assert_eq(xfer0(&q), -EBADF);

	rq_start(&q, FUSE_FALLOCATE, e.nodeid);
	struct fuse_fallocate_in fa = { .fh = fh, .offset = 0, .length = 1 << 20 };
	rq_add(&q, &fa, sizeof(fa));
	cr_assert_eq(xfer0(&q), 0);
	struct stat st;
	cr_assert_eq(stat(tpath("share/a"), &st), 0);
	cr_assert_eq(st.st_size, 1 << 20);

	rq_start(&q, FUSE_LSEEK, e.nodeid);
	struct fuse_lseek_in ls = { .fh = fh, .offset = 0, .whence = SEEK_DATA };
	rq_add(&q, &ls, sizeof(ls));
	struct fuse_lseek_out lo;
	cr_assert_eq(xfer_fixed(&q, &lo, sizeof(lo)), 0);
	cr_assert_eq(lo.offset, 0);
	ls.whence = SEEK_SET;
	rq_start(&q, FUSE_LSEEK, e.nodeid);
	rq_add(&q, &ls, sizeof(ls));
	cr_assert_eq(xfer_fixed(&q, &lo, sizeof(lo)), -EINVAL);

	rq_start(&q, FUSE_COPY_FILE_RANGE, e.nodeid);
	struct fuse_copy_file_range_in cp = { .fh_in = fh, .off_in = 6, .nodeid_out = e2.nodeid,
					      .fh_out = fh2, .off_out = 0, .len = 5 };
	rq_add(&q, &cp, sizeof(cp));
	struct fuse_write_out wo;
	cr_assert_eq(xfer_fixed(&q, &wo, sizeof(wo)), 0);
	cr_assert_eq(wo.size, 5);
	cr_assert_str_eq(read_file(tpath("share/b")), "world");
	cp.flags = 1;
	rq_start(&q, FUSE_COPY_FILE_RANGE, e.nodeid);
	rq_add(&q, &cp, sizeof(cp));
	cr_assert_eq(xfer_fixed(&q, &wo, sizeof(wo)), -EINVAL);

	rq_start(&q, FUSE_ACCESS, e.nodeid);
	struct fuse_access_in ac = { .mask = R_OK | W_OK };
	rq_add(&q, &ac, sizeof(ac));
	cr_assert_eq(xfer0(&q), 0);
	rq_start(&q, FUSE_ACCESS, e.nodeid);
	ac.mask = X_OK;
	rq_add(&q, &ac, sizeof(ac));
	cr_assert_eq(xfer0(&q), -EACCES);

	rq_start(&q, FUSE_SYNCFS, FUSE_ROOT_ID);
	struct fuse_syncfs_in sy = { 0 };
	rq_add(&q, &sy, sizeof(sy));
	cr_assert_eq(xfer0(&q), 0);
}
