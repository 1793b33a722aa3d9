/* The caps on what a guest makes the FUSE server hold (struct vfs_budget):
 * inode fds, open handles and the entries a directory handle keeps, per
 * VM when its shares share one budget. Past a cap the request fails with
 * ENFILE, and mvm holds no more fds than before. */
#include <dirent.h>

#include "tests/unit/vmm/fuse/test_fuse.h"

TestSuite(fuse_caps, .init = setup_rw, .fini = share_down);

static int nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void files(int n)
{
	for (int i = 0; i < n; i++)
		write_file(tpath("share/f%d", i), "x");
}

static int readdir1(uint64_t node, uint64_t fh)
{
	struct rq q;
	rq_start(&q, FUSE_READDIR, node);
	/* Room for one entry: the rest of the chunk stays with the handle. */
	struct fuse_read_in r = { .fh = fh, .size = 40 };
	rq_add(&q, &r, sizeof(r));
	uint8_t buf[64];
	size_t n;
	return xfer(&q, buf, sizeof(buf), &n);
}

Test(fuse_caps, handles_stop_at_the_cap)
{
	struct vfs_budget b = { .max_inodes = 1000, .max_handles = 4 };
	vfs_set_budget(&srv, &b);
	files(8);
	struct fuse_entry_out e[8];
	uint64_t fh[8], dfh;
	for (int i = 0; i < 8; i++)
		cr_assert_eq(lookup(FUSE_ROOT_ID, tpath("share/f%d", i) + strlen(tpath("share/")), &e[i]), 0);
	/* Directory handles keep their pending entries: within the cap too. */
	cr_assert_eq(open_(FUSE_ROOT_ID, FUSE_OPENDIR, O_RDONLY, &dfh), 0);
	cr_assert_eq(readdir1(FUSE_ROOT_ID, dfh), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(open_(e[i].nodeid, FUSE_OPEN, O_RDWR, &fh[i]), 0);
	cr_assert_eq(b.handles, 4);
	int at_cap = nfds();
	for (int i = 3; i < 8; i++)
		cr_assert_eq(open_(e[i].nodeid, FUSE_OPEN, O_RDONLY, &fh[i]), -ENFILE);
	uint64_t d2;
	cr_assert_eq(open_(FUSE_ROOT_ID, FUSE_OPENDIR, O_RDONLY, &d2), -ENFILE);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_WRONLY, NULL, &fh[7]), -ENFILE);
	cr_assert_eq(access(tpath("share/new"), F_OK), -1, "refused before the file was made");
	cr_assert_eq(nfds(), at_cap, "no fd taken past the cap");
	cr_assert_eq(release_(e[0].nodeid, FUSE_RELEASE, fh[0]), 0);
	cr_assert_eq(b.handles, 3);
	cr_assert_eq(open_(e[5].nodeid, FUSE_OPEN, O_RDONLY, &fh[5]), 0, "room again after a release");
	cr_assert_eq(release_(FUSE_ROOT_ID, FUSE_RELEASEDIR, dfh), 0);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_WRONLY, NULL, &fh[7]), 0);
	vfs_reset(&srv);
	cr_assert_eq(b.handles, 0, "a reset gives every handle back");
	cr_assert_eq(b.inodes, 1, "all but the root");
}

Test(fuse_caps, inodes_stop_at_the_cap)
{
	struct vfs_budget b = { .max_inodes = 4, .max_handles = 10 };
	vfs_set_budget(&srv, &b);
	cr_assert_eq(b.inodes, 1, "the root counts");
	files(5);
	struct fuse_entry_out e[5];
	for (int i = 0; i < 3; i++)
		cr_assert_eq(lookup(FUSE_ROOT_ID, tpath("share/f%d", i) + strlen(tpath("share/")), &e[i]), 0);
	int at_cap = nfds();
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f3", &e[3]), -ENFILE);
	cr_assert_eq(mkdir_(FUSE_ROOT_ID, "d", 0755, &e[4]), -ENFILE);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f0", &e[4]), 0, "a known inode takes nothing more");
	cr_assert_eq(e[4].nodeid, e[0].nodeid);
	cr_assert_eq(nfds(), at_cap);
	forget_(e[0].nodeid, 1);
	cr_assert_eq(b.inodes, 4, "f0 was looked up twice: one forget keeps it");
	forget_(e[1].nodeid, 1);
	cr_assert_eq(b.inodes, 3);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f3", &e[3]), 0, "room again after a forget");
}

/* Shares of one VM share one budget: a guest cannot take the cap once per
 * share. */
Test(fuse_caps, one_budget_for_the_vm)
{
	struct vfs_budget b = { .max_inodes = 100, .max_handles = 2 };
	struct vfs_server two;
	struct err err = { 0 };
	files(2);
	cr_assert_eq(vfs_init(&two, tpath("share"), false, &err), 0, "%s", err.msg);
	vfs_set_budget(&srv, &b);
	vfs_set_budget(&two, &b);
	cr_assert_eq(b.inodes, 2);
	struct fuse_entry_out e;
	uint64_t fh[3];
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f0", &e), 0);
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh[0]), 0);
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh[1]), 0);
	/* The other server has no inode but its root: a request at the cap
	 * is refused there too. */
	struct vfs_server keep = srv;
	srv = two;
	do_init();
	cr_assert_eq(open_(FUSE_ROOT_ID, FUSE_OPENDIR, O_RDONLY, &fh[2]), -ENFILE);
	two = srv;
	srv = keep;
	vfs_fini(&two);
	cr_assert_eq(b.inodes, 2, "the first server's root and f0");
	cr_assert_eq(b.handles, 2);
	vfs_fini(&srv);
	cr_assert_eq(b.inodes, 0);
	cr_assert_eq(b.handles, 0);
}
