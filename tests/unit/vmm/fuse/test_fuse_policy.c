/* The share policy (struct vfs_policy) against a guest that sends what it
 * likes: device nodes, set-id bits, file capabilities and owners outside
 * the id maps; and the files-only shares of single-file binds. */
#include <linux/capability.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "tests/unit/vmm/fuse/test_fuse.h"

TestSuite(fuse_policy, .init = setup_rw, .fini = share_down);

static int setxattr_(uint64_t node, const char *name, const void *v, size_t n)
{
	struct rq q;
	rq_start(&q, FUSE_SETXATTR, node);
	struct fuse_setxattr_in sx = { .size = (uint32_t)n };
	rq_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	rq_str(&q, name);
	rq_add(&q, v, n);
	return xfer0(&q);
}

static mode_t mode_of(const char *rel)
{
	struct stat st;
	cr_assert_eq(lstat(tpath("share/%s", rel), &st), 0, "%s", rel);
	return st.st_mode & 07777;
}

/* A revision-3 capability set (what a guest kernel writes for a process in
 * a user namespace) rooted at rootid, or a revision 2. */
static size_t fcap(struct vfs_ns_cap_data *c, int rev, uint32_t rootid)
{
	memset(c, 0, sizeof(*c));
	c->magic_etc = htole32((rev == 3 ? VFS_CAP_REVISION_3 : VFS_CAP_REVISION_2) |
			       VFS_CAP_FLAGS_EFFECTIVE);
	c->data[0].permitted = htole32(1u << CAP_NET_RAW);
	c->rootid = htole32(rootid);
	return rev == 3 ? XATTR_CAPS_SZ_3 : XATTR_CAPS_SZ_2;
}

/* The default (mvrun box, bare mvm): nothing privileged lands on the host. */
Test(fuse_policy, strict_default_plants_no_privilege)
{
	struct fuse_entry_out e;
	uint64_t fh;
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "null", S_IFCHR | 0666, makedev(1, 3), &e), -EPERM);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "sda", S_IFBLK | 0666, makedev(8, 0), &e), -EPERM);
	cr_assert_eq(access(tpath("share/null"), F_OK), -1);
	cr_assert_eq(access(tpath("share/sda"), F_OK), -1);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "fifo", S_IFIFO | 0644, 0, &e), 0, "fifos are no privilege");

	cr_assert_eq(create(FUSE_ROOT_ID, "suid", 06755, O_WRONLY, &e, &fh), 0);
	cr_assert_eq(mode_of("suid"), 0755);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "suid2", S_IFREG | 04755, 0, &e), 0);
	cr_assert_eq(mode_of("suid2"), 0755);
	struct fuse_setattr_in s = { .valid = FATTR_MODE, .mode = S_IFREG | 06711 };
	struct fuse_attr a;
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0);
	cr_assert_eq(mode_of("suid2"), 0711);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "sgdir", 02755, &e), 0);
	cr_assert_eq(mode_of("sgdir"), 02755, "a set-group-ID directory only passes its group on");

	struct vfs_ns_cap_data c;
	size_t n = fcap(&c, 2, 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "suid", &e), 0);
	cr_assert_eq(setxattr_(e.nodeid, "security.capability", &c, n), -EPERM);
	cr_assert_eq(getxattr(tpath("share/suid"), "security.capability", NULL, 0), -1);
	cr_assert_eq(errno, ENODATA);
}

/* linux.devices names the only device nodes a container may make. */
Test(fuse_policy, devices_only_as_linux_devices_asks)
{
	need_root();
	struct vfs_policy p = { .setid = true, .ndevs = 2,
				.devs = { { S_IFCHR, 1, 3 }, { S_IFBLK, 7, 0 } } };
	vfs_set_policy(&srv, &p);
	struct fuse_entry_out e;
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "null", S_IFCHR | 0666, makedev(1, 3), &e), 0);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "loop0", S_IFBLK | 0660, makedev(7, 0), &e), 0);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "mem", S_IFCHR | 0666, makedev(1, 1), &e), -EPERM);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "blk13", S_IFBLK | 0666, makedev(1, 3), &e), -EPERM,
		     "the type counts too");
	cr_assert_eq(access(tpath("share/mem"), F_OK), -1);
	cr_assert_eq(access(tpath("share/blk13"), F_OK), -1);
}

/* With id maps: owners inside them only, as the kernel of a user namespace. */
Test(fuse_policy, owners_inside_the_id_maps)
{
	need_root();
	struct vfs_policy p = { .setid = true, .nuids = 1, .ngids = 1,
				.uids = { { 100000, 65536 } }, .gids = { { 200000, 65536 } } };
	vfs_set_policy(&srv, &p);
	struct fuse_entry_out e, m;
	struct fuse_attr a;
	uint64_t fh;
	struct stat st;

	req_uid = 0, req_gid = 0; /* the guest's root, outside the maps */
	cr_assert_eq(create(FUSE_ROOT_ID, "r", 0644, O_WRONLY, &e, &fh), -EOVERFLOW);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "rd", 0755, &e), -EOVERFLOW);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "rf", S_IFIFO | 0644, 0, &e), -EOVERFLOW);
	cr_assert_eq(symlink_(FUSE_ROOT_ID, "rl", "x", &e), -EOVERFLOW);
	req_uid = 100000, req_gid = 200000; /* the container's root */
	cr_assert_eq(create(FUSE_ROOT_ID, "mine", 04755, O_WRONLY, &m, &fh), 0);
	cr_assert_eq(stat(tpath("share/mine"), &st), 0);
	cr_assert_eq(st.st_uid, 100000);
	cr_assert_eq(st.st_gid, 200000);
	cr_assert_eq(st.st_mode & 07777, 04755, "set-uid of a mapped owner, as under runc");
	cr_assert_eq(access(tpath("share/r"), F_OK), -1);
	cr_assert_eq(access(tpath("share/rd"), F_OK), -1);

	struct fuse_setattr_in s = { .valid = FATTR_UID | FATTR_GID, .uid = 0, .gid = 200000 };
	cr_assert_eq(setattr(m.nodeid, &s, &a), -EINVAL, "chown to host root");
	s.uid = 100000, s.gid = 0;
	cr_assert_eq(setattr(m.nodeid, &s, &a), -EINVAL, "chgrp to host root's group");
	s.uid = 101000, s.gid = 201000;
	cr_assert_eq(setattr(m.nodeid, &s, &a), 0);
	cr_assert_eq(stat(tpath("share/mine"), &st), 0);
	cr_assert_eq(st.st_uid, 101000);

	/* A file of host root's: neither its owner nor its mode is the
	 * container's to change. */
	write_file(tpath("share/roots"), "x");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "roots", &e), 0);
	s = (struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = S_IFREG | 04755 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), -EPERM);
	s = (struct fuse_setattr_in){ .valid = FATTR_UID, .uid = 100000 };
	cr_assert_eq(setattr(e.nodeid, &s, &a), -EPERM);
	cr_assert_eq(stat(tpath("share/roots"), &st), 0);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(st.st_mode & 07777, 0644);

	/* File capabilities: only rooted at a mapped id (revision 3). */
	struct vfs_ns_cap_data c;
	size_t n = fcap(&c, 2, 0);
	cr_assert_eq(setxattr_(m.nodeid, "security.capability", &c, n), -EPERM);
	n = fcap(&c, 3, 0);
	cr_assert_eq(setxattr_(m.nodeid, "security.capability", &c, n), -EPERM);
	cr_assert_eq(setxattr_(m.nodeid, "security.capability", &c, 7), -EPERM);
	cr_assert_eq(getxattr(tpath("share/mine"), "security.capability", NULL, 0), -1);
	n = fcap(&c, 3, 100000);
	cr_assert_eq(setxattr_(m.nodeid, "security.capability", &c, n), 0);
	cr_assert_gt(getxattr(tpath("share/mine"), "security.capability", NULL, 0), 0);
}

/* A single-file bind's share: the named files, and nothing else to make. */
Test(fuse_policy, files_only_share)
{
	write_file(tpath("share/f0"), "hosts\n");
	write_file(tpath("share/f1"), "other\n");
	const char *names[] = { "f0" };
	cr_assert_eq(vfs_expose_only(&srv, names, 1), 0);
	const char *bad[] = { "a/b" };
	cr_assert_eq(vfs_expose_only(&srv, bad, 1), -EINVAL);

	struct fuse_entry_out e, o;
	uint64_t fh;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f1", &o), -ENOENT, "a file not bound");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f0", &e), 0);
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDWR, &fh), 0);
	cr_assert_eq(write_(e.nodeid, fh, 6, "more\n", 5, 0), 5);
	cr_assert_str_eq(read_file(tpath("share/f0")), "hosts\nmore\n");
	struct fuse_setattr_in s = { .valid = FATTR_MODE, .mode = S_IFREG | 0600 };
	struct fuse_attr a;
	cr_assert_eq(setattr(e.nodeid, &s, &a), 0, "the bound file's own mode is the guest's");

	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_WRONLY, &o, &fh), -EPERM);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "fifo", S_IFIFO | 0644, 0, &o), -EPERM);
	cr_assert_eq(mknod_(FUSE_ROOT_ID, "reg", S_IFREG | 04755, 0, &o), -EPERM);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "d", 0755, &o), -EPERM);
	cr_assert_eq(symlink_(FUSE_ROOT_ID, "l", "/etc/shadow", &o), -EPERM);
	cr_assert_eq(link_(e.nodeid, FUSE_ROOT_ID, "f0-again", &o), -EPERM);
	cr_assert_eq(unlink_(FUSE_UNLINK, FUSE_ROOT_ID, "f0"), -EPERM);
	cr_assert_eq(unlink_(FUSE_UNLINK, FUSE_ROOT_ID, "f1"), -EPERM);
	cr_assert_eq(rename_(FUSE_ROOT_ID, "f0", FUSE_ROOT_ID, "f1", 0), -EPERM);
	cr_assert_eq(open_(FUSE_ROOT_ID, FUSE_OPENDIR, O_RDONLY, &fh), -EPERM);
	s = (struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = S_IFDIR | 0777 };
	cr_assert_eq(setattr(FUSE_ROOT_ID, &s, &a), -EPERM);
	cr_assert_eq(setxattr_(FUSE_ROOT_ID, "user.x", "1", 1), -EPERM);

	DIR *d = opendir(tpath("share"));
	cr_assert_not_null(d);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	cr_assert_eq(n, 2, "the staging directory holds what it held");
	cr_assert_str_eq(read_file(tpath("share/f1")), "other\n");
}
