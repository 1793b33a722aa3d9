/* Confinement and readonly shares: whatever names, symlinks and nodeids the
 * guest sends, nothing outside the share is read, written or reached. The
 * share is top/share; top/outside/secret is beside it on the host. */
#include "tests/unit/vmm/fuse/test_fuse.h"

#include <sys/xattr.h>

TestSuite(fuse_confine, .init = setup_rw, .fini = share_down);

/* The secret beside the share is exactly as share_up left it. */
static void assert_secret_untouched(void)
{
	struct stat st;
	cr_assert_eq(stat(tpath("outside/secret"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_eq(st.st_nlink, 1);
	cr_assert_str_eq(read_file(tpath("outside/secret")), SECRET);
	char v[8];
	cr_assert_eq(getxattr(tpath("outside/secret"), "user.x", v, sizeof(v)), -1);
	cr_assert_eq(access(tpath("evil"), F_OK), -1, "something was made beside the share");
	cr_assert_eq(access(tpath("outside/evil"), F_OK), -1);
}

Test(fuse_confine, names_must_be_one_component)
{
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "..", &e), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, ".", &e), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "", &e), -ENOENT);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "a/b", &e), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "../outside/secret", &e), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "/etc", &e), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "x/", &e), -EINVAL);
	char lng[300];
	memset(lng, 'a', 256);
	lng[256] = 0;
	cr_assert_eq(lookup(FUSE_ROOT_ID, lng, &e), -ENAMETOOLONG);
	lng[255] = 0;
	cr_assert_eq(lookup(FUSE_ROOT_ID, lng, &e), -ENOENT, "255 bytes is a legal name");

	uint64_t fh;
	cr_assert_eq(create(FUSE_ROOT_ID, "../evil", 0644, O_RDWR, &e, &fh), -EINVAL);
	cr_assert_eq(create(FUSE_ROOT_ID, "..", 0644, O_RDWR, &e, &fh), -EINVAL);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "../evil", 0755, NULL), -EINVAL);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "../evil", S_IFREG | 0644, 0, NULL), -EINVAL);
	cr_assert_eq(symlink_(FUSE_ROOT_ID, "../evil", "x", NULL), -EINVAL);
	write_file(tpath("share/f"), "f");
	struct fuse_entry_out f;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &f), 0);
	cr_assert_eq(link_(f.nodeid, FUSE_ROOT_ID, "../evil", NULL), -EINVAL);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "../evil", 0), -EINVAL);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "..", FUSE_ROOT_ID, "x", 0), -EINVAL);
	cr_assert_eq(unlink_(FUSE_UNLINK, FUSE_ROOT_ID, "../outside/secret"), -EINVAL);
	cr_assert_eq(unlink_(FUSE_RMDIR, FUSE_ROOT_ID, ".."), -EINVAL);
	cr_assert_eq(unlink_(FUSE_RMDIR, FUSE_ROOT_ID, "../outside"), -EINVAL);
	assert_secret_untouched();
	cr_assert_str_eq(read_file(tpath("share/f")), "f");
}

Test(fuse_confine, symlink_out_is_a_symlink_never_followed)
{
	cr_assert_eq(symlink("/etc", tpath("share/etc")), 0);
	cr_assert_eq(symlink("../outside/secret", tpath("share/rel")), 0);
	cr_assert_eq(symlink(tpath("outside"), tpath("share/abs")), 0);
	struct fuse_entry_out etc, rel, abs, e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "etc", &etc), 0);
	cr_assert(S_ISLNK(etc.attr.mode));
	cr_assert_eq(etc.attr.size, 4, "the link's own size");
	char buf[4096];
	cr_assert_eq(readlink_(etc.nodeid, buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "/etc");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "rel", &rel), 0);
	cr_assert(S_ISLNK(rel.attr.mode));
	cr_assert_eq(lookup(FUSE_ROOT_ID, "abs", &abs), 0);

	/* A symlink is no directory to look things up in... */
	cr_assert_eq(lookup(etc.nodeid, "passwd", &e), -ENOTDIR);
	cr_assert_eq(lookup(abs.nodeid, "secret", &e), -ENOTDIR);
	cr_assert_eq(mkdir_(abs.nodeid, "evil", 0755, NULL), -ENOTDIR);
	uint64_t fh;
	cr_assert_eq(create(abs.nodeid, "evil", 0644, O_RDWR, &e, &fh), -ENOTDIR);
	cr_assert_eq(symlink_(abs.nodeid, "evil", "x", NULL), -ENOTDIR);
	cr_assert_eq(open_(abs.nodeid, FUSE_OPENDIR, O_RDONLY, &fh), -ENOTDIR);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "rel", abs.nodeid, "evil", 0), -ENOTDIR);
	/* ...nor a file to open. */
	cr_assert_eq(open_(rel.nodeid, FUSE_OPEN, O_RDONLY, &fh), -ELOOP);
	cr_assert_eq(open_(rel.nodeid, FUSE_OPEN, O_RDWR | O_TRUNC, &fh), -ELOOP);
	cr_assert_eq(open_(etc.nodeid, FUSE_OPEN, O_RDONLY, &fh), -ELOOP);
	/* CREATE over it (no O_EXCL, so the name may exist) opens nothing. */
	cr_assert_eq(create(FUSE_ROOT_ID, "rel", 0666, O_RDWR | O_TRUNC, &e, &fh), -ELOOP);
	cr_assert_eq(create(FUSE_ROOT_ID, "rel", 0666, O_RDWR | O_EXCL, &e, &fh), -EEXIST);

	/* Attribute changes land on the link, never on its target. */
	struct fuse_attr a;
	struct fuse_setattr_in s = { .valid = FATTR_SIZE, .size = 0 };
	cr_assert_eq(setattr(rel.nodeid, &s, &a), -EINVAL);
	s = (struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = 0777 };
	cr_assert_eq(setattr(rel.nodeid, &s, &a), -EOPNOTSUPP);
	s = (struct fuse_setattr_in){ .valid = FATTR_MTIME | FATTR_ATIME, .mtime = 12345,
				      .atime = 12345 };
	cr_assert_eq(setattr(rel.nodeid, &s, &a), 0);
	struct stat st;
	cr_assert_eq(lstat(tpath("share/rel"), &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 12345, "the link's own mtime");
	if (geteuid() == 0) {
		s = (struct fuse_setattr_in){ .valid = FATTR_UID | FATTR_GID, .uid = 4321,
					      .gid = 4321 };
		cr_assert_eq(setattr(rel.nodeid, &s, &a), 0);
		cr_assert_eq(lstat(tpath("share/rel"), &st), 0);
		cr_assert_eq(st.st_uid, 4321);
	}
	/* No xattrs through it either. */
	struct rq q;
	rq_start(&q, FUSE_SETXATTR, rel.nodeid);
	struct fuse_setxattr_in sx = { .size = 1 };
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "user.x");
	rq_add(&q, "1", 1);
	cr_assert_eq(xfer0(&q), -EPERM);
	rq_start(&q, FUSE_GETXATTR, rel.nodeid);
	struct fuse_getxattr_in gx = { .size = 64 };
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "user.x");
	size_t n;
	cr_assert_eq(xfer(&q, buf, 64, &n), -ENODATA);
	rq_start(&q, FUSE_LISTXATTR, rel.nodeid);
	rq_add(&q, &gx, sizeof(gx));
	cr_assert_eq(xfer(&q, buf, 64, &n), 0);
	cr_assert_eq(n, 0);
	/* A hard link of it is another symlink, not the secret. */
	cr_assert_eq(link_(rel.nodeid, FUSE_ROOT_ID, "rel2", &e), 0);
	cr_assert(S_ISLNK(e.attr.mode));
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh), -ELOOP);
	assert_secret_untouched();
}

Test(fuse_confine, proc_magic_links_are_plain_symlinks)
{
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", srv.proc_fd);
	cr_assert_eq(symlink(target, tpath("share/pfd")), 0);
	cr_assert_eq(symlink("/proc/self/root", tpath("share/proot")), 0);
	struct fuse_entry_out p, r, e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "pfd", &p), 0);
	cr_assert(S_ISLNK(p.attr.mode));
	cr_assert_eq(lookup(FUSE_ROOT_ID, "proot", &r), 0);
	uint64_t fh;
	cr_assert_eq(open_(p.nodeid, FUSE_OPEN, O_RDONLY, &fh), -ELOOP);
	cr_assert_eq(open_(p.nodeid, FUSE_OPENDIR, O_RDONLY, &fh), -ENOTDIR);
	cr_assert_eq(lookup(r.nodeid, "etc", &e), -ENOTDIR);
	cr_assert_eq(lookup(p.nodeid, "0", &e), -ENOTDIR);
	assert_secret_untouched();
}

/* A directory the guest holds is swapped for a symlink to the outside (as
 * hostile code racing a lookup would): later lookups under the held nodeid
 * still see the original directory, never the symlink's target. */
Test(fuse_confine, swapped_directory_stays_put)
{
	cr_assert_eq(mkdir(tpath("share/x"), 0755), 0);
	write_file(tpath("share/x/inside"), "in");
	struct fuse_entry_out x, e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "x", &x), 0);
	cr_assert_eq(rename(tpath("share/x"), tpath("share/x.old")), 0);
	cr_assert_eq(symlink(tpath("outside"), tpath("share/x")), 0);
	cr_assert_eq(lookup(x.nodeid, "secret", &e), -ENOENT);
	cr_assert_eq(lookup(x.nodeid, "inside", &e), 0);
	uint64_t fh;
	cr_assert_eq(create(x.nodeid, "new", 0644, O_RDWR, &e, &fh), 0);
	cr_assert_eq(access(tpath("share/x.old/new"), F_OK), 0);
	struct fuse_entry_out now;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "x", &now), 0);
	cr_assert(S_ISLNK(now.attr.mode));

	/* The guest renaming a held directory deeper keeps it inside too. */
	cr_assert_eq(mkdir(tpath("share/deep"), 0755), 0);
	struct fuse_entry_out deep;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "deep", &deep), 0);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "x.old", deep.nodeid, "x", 0), 0);
	cr_assert_eq(lookup(x.nodeid, "inside", &e), 0);
	cr_assert_str_eq(read_file(tpath("share/deep/x/inside")), "in");
	assert_secret_untouched();
}

Test(fuse_confine, nodeids_and_handles_are_checked)
{
	struct fuse_entry_out e;
	uint64_t bad[] = { 0, 2, 3, 1000, 1ull << 32, UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(lookup(bad[i], "x", &e), -ESTALE);
		cr_assert_eq(getattr(bad[i], NULL), -ESTALE);
		cr_assert_eq(link_(bad[i], FUSE_ROOT_ID, "l", NULL), -ESTALE);
		char b[8];
		cr_assert_eq(read_(FUSE_ROOT_ID, bad[i], 0, b, 8), -EBADF);
		cr_assert_eq(write_(FUSE_ROOT_ID, bad[i], 0, "x", 1, 0), -EBADF);
		uint64_t fh;
		cr_assert_eq(open_(bad[i], FUSE_OPEN, O_RDONLY, &fh), -ESTALE);
	}
	/* A handle number with a stale generation is refused. */
	write_file(tpath("share/f"), "abc");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	uint64_t fh, fh2;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh), 0);
	cr_assert_eq(release_(e.nodeid, FUSE_RELEASE, fh), 0);
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh2), 0);
	cr_assert_eq((uint32_t)fh2, (uint32_t)fh, "slot reused");
	char b[8];
	cr_assert_eq(read_(e.nodeid, fh, 0, b, 8), -EBADF);
	cr_assert_eq(read_(e.nodeid, fh2, 0, b, 8), 3);
	assert_secret_untouched();
}

TestSuite(fuse_readonly, .init = setup_ro, .fini = share_down);

Test(fuse_readonly, refuses_every_change)
{
	write_file(tpath("share/f"), "keep");
	cr_assert_eq(mkdir(tpath("share/d"), 0755), 0);
	struct fuse_entry_out f, d, e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &f), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "d", &d), 0);
	uint64_t fh;
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_RDWR, &e, &fh), -EROFS);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "new", 0755, NULL), -EROFS);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "new", S_IFIFO | 0644, 0, NULL), -EROFS);
	cr_assert_eq(symlink_(FUSE_ROOT_ID, "new", "f", NULL), -EROFS);
	cr_assert_eq(link_(f.nodeid, FUSE_ROOT_ID, "new", NULL), -EROFS);
	cr_assert_eq(unlink_(FUSE_UNLINK, FUSE_ROOT_ID, "f"), -EROFS);
	cr_assert_eq(unlink_(FUSE_RMDIR, FUSE_ROOT_ID, "d"), -EROFS);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "g", 0), -EROFS);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "d", RENAME_EXCHANGE), -EROFS);
	struct fuse_setattr_in s = { .valid = FATTR_MODE, .mode = 0777 };
	cr_assert_eq(setattr(f.nodeid, &s, NULL), -EROFS);
	s = (struct fuse_setattr_in){ .valid = FATTR_SIZE };
	cr_assert_eq(setattr(f.nodeid, &s, NULL), -EROFS);
	cr_assert_eq(open_(f.nodeid, FUSE_OPEN, O_WRONLY, &fh), -EROFS);
	cr_assert_eq(open_(f.nodeid, FUSE_OPEN, O_RDWR, &fh), -EROFS);
	cr_assert_eq(open_(f.nodeid, FUSE_OPEN, O_RDONLY | O_TRUNC, &fh), -EROFS);
	struct rq q;
	rq_start(&q, FUSE_SETXATTR, f.nodeid);
	struct fuse_setxattr_in sx = { .size = 1 };
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, "user.x");
	rq_add(&q, "1", 1);
	cr_assert_eq(xfer0(&q), -EROFS);
	rq_start(&q, FUSE_REMOVEXATTR, f.nodeid);
	rq_str(&q, "user.x");
	cr_assert_eq(xfer0(&q), -EROFS);

	/* Reading works, and a read-only handle cannot be used to write. */
	cr_assert_eq(open_(f.nodeid, FUSE_OPEN, O_RDONLY, &fh), 0);
	char b[16];
	cr_assert_eq(read_(f.nodeid, fh, 0, b, sizeof(b)), 4);
	cr_assert_eq(write_(f.nodeid, fh, 0, "XXXX", 4, 0), -EROFS);
	rq_start(&q, FUSE_FALLOCATE, f.nodeid);
	struct fuse_fallocate_in fa = { .fh = fh, .length = 4096 };
	rq_add(&q, &fa, sizeof(fa));
	cr_assert_eq(xfer0(&q), -EROFS);
	rq_start(&q, FUSE_COPY_FILE_RANGE, f.nodeid);
	struct fuse_copy_file_range_in cp = { .fh_in = fh, .fh_out = fh, .off_out = 4, .len = 4 };
	rq_add(&q, &cp, sizeof(cp));
	struct fuse_write_out wo;
	cr_assert_eq(xfer_fixed(&q, &wo, sizeof(wo)), -EROFS);
	uint64_t dh;
	cr_assert_eq(open_(d.nodeid, FUSE_OPENDIR, O_RDONLY, &dh), 0);

	struct stat st;
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_str_eq(read_file(tpath("share/f")), "keep");
	cr_assert_eq(access(tpath("share/new"), F_OK), -1);
	cr_assert_eq(access(tpath("share/d"), F_OK), 0);
}
