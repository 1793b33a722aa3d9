/* FUSE server sessions and inodes: INIT negotiation, DESTROY and reset,
 * LOOKUP/GETATTR, FORGET and BATCH_FORGET, STATFS, several servers in one
 * process. Requests are built in memory and sent through vfs_handle(). */
#include "tests/unit/vmm/fuse/test_fuse.h"

#include <sys/statfs.h>

TestSuite(fuse_node, .init = setup_rw, .fini = share_down);

Test(fuse_session, init_handshake, .fini = share_down)
{
	share_up(false);
	struct rq q;
	/* Nothing but INIT before INIT. */
	rq_start(&q, FUSE_GETATTR, FUSE_ROOT_ID);
	struct fuse_getattr_in g = { 0 };
	rq_add(&q, &g, sizeof(g));
	struct fuse_attr_out ao;
	cr_assert_eq(xfer_fixed(&q, &ao, sizeof(ao)), -EIO);

	rq_start(&q, FUSE_INIT, 0);
	struct fuse_init_in in = { .major = 7, .minor = 37, .max_readahead = 4 << 20,
				   .flags = 0xffffffff };
	rq_add(&q, &in, sizeof(in));
	struct fuse_init_out o;
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0);
	cr_assert_eq(o.major, 7);
	cr_assert_eq(o.minor, FUSE_KERNEL_MINOR_VERSION);
	uint32_t want = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES |
			FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_MAX_PAGES |
			FUSE_PARALLEL_DIROPS;
	cr_assert_eq(o.flags & want, want, "flags 0x%x", o.flags);
	uint32_t never = FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | FUSE_EXPORT_SUPPORT |
			 FUSE_WRITEBACK_CACHE | FUSE_DONT_MASK | FUSE_HANDLE_KILLPRIV |
			 FUSE_HANDLE_KILLPRIV_V2 | FUSE_POSIX_ACL | FUSE_SETXATTR_EXT |
			 FUSE_MAP_ALIGNMENT | FUSE_NO_OPEN_SUPPORT;
	cr_assert_eq(o.flags & never, 0, "flags 0x%x", o.flags);
	cr_assert_eq(o.max_write, 1u << 20);
	cr_assert_eq(o.max_readahead, 1u << 20);
	cr_assert_eq(o.max_pages, 256);
	cr_assert_eq(o.time_gran, 1);
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0, "INIT again is fine");

	/* Only flags the guest offered come back. */
	in.flags = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS;
	rq_start(&q, FUSE_INIT, 0);
	rq_add(&q, &in, sizeof(in));
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0);
	cr_assert_eq(o.flags, FUSE_ASYNC_READ);

	rq_start(&q, FUSE_GETATTR, FUSE_ROOT_ID);
	rq_add(&q, &g, sizeof(g));
	cr_assert_eq(xfer_fixed(&q, &ao, sizeof(ao)), 0);
	cr_assert(S_ISDIR(ao.attr.mode));
}

Test(fuse_session, init_versions, .fini = share_down)
{
	share_up(false);
	struct rq q;
	struct fuse_init_out o;
	/* A newer major: we answer with ours, and the guest retries. */
	struct fuse_init_in in = { .major = 8, .minor = 0 };
	rq_start(&q, FUSE_INIT, 0);
	rq_add(&q, &in, sizeof(in));
	size_t n;
	cr_assert_eq(xfer(&q, &o, sizeof(o), &n), 0);
	cr_assert_eq(o.major, 7);
	/* Too old. */
	in = (struct fuse_init_in){ .major = 7, .minor = 8 };
	rq_start(&q, FUSE_INIT, 0);
	rq_add(&q, &in, sizeof(in));
	cr_assert_eq(xfer(&q, &o, sizeof(o), &n), -EPROTO);
	/* A 7.31 guest's 16-byte fuse_init_in (before flags2). */
	in = (struct fuse_init_in){ .major = 7, .minor = 31, .flags = FUSE_DO_READDIRPLUS };
	rq_start(&q, FUSE_INIT, 0);
	rq_add(&q, &in, 16);
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0);
	cr_assert_eq(o.flags, FUSE_DO_READDIRPLUS);
	cr_assert_eq(srv.minor, 31);
}

Test(fuse_node, lookup_and_getattr)
{
	write_file(tpath("share/f"), "hello");
	cr_assert_eq(mkdir(tpath("share/d"), 0711), 0);
	struct stat hf, hd;
	cr_assert_eq(stat(tpath("share/f"), &hf), 0);
	cr_assert_eq(stat(tpath("share/d"), &hd), 0);

	struct fuse_entry_out e, e2, ed;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	cr_assert_gt(e.nodeid, FUSE_ROOT_ID);
	cr_assert(S_ISREG(e.attr.mode));
	cr_assert_eq(e.attr.mode & 07777, hf.st_mode & 07777);
	cr_assert_eq(e.attr.size, 5);
	cr_assert_eq(e.attr.ino, hf.st_ino);
	cr_assert_eq(e.attr.nlink, 1);
	cr_assert_eq(e.entry_valid, VFS_DEFAULT_TIMEOUT);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e2), 0);
	cr_assert_eq(e2.nodeid, e.nodeid, "one nodeid per host inode");

	cr_assert_eq(lookup(FUSE_ROOT_ID, "d", &ed), 0);
	cr_assert(S_ISDIR(ed.attr.mode));
	cr_assert_eq(ed.attr.mode & 07777, 0711);
	cr_assert_eq(ed.attr.ino, hd.st_ino);
	cr_assert_neq(ed.nodeid, e.nodeid);

	struct fuse_attr a;
	cr_assert_eq(getattr(e.nodeid, &a), 0);
	cr_assert_eq(a.ino, hf.st_ino);
	cr_assert_eq(a.size, 5);
	cr_assert_eq(a.mtime, (uint64_t)hf.st_mtim.tv_sec);
	cr_assert_eq(a.mtimensec, (uint32_t)hf.st_mtim.tv_nsec);
	cr_assert_eq(getattr(FUSE_ROOT_ID, &a), 0);
	cr_assert(S_ISDIR(a.mode));

	cr_assert_eq(lookup(FUSE_ROOT_ID, "nope", &e2), -ENOENT);
	cr_assert_eq(lookup(e.nodeid, "x", &e2), -ENOTDIR);
	cr_assert_eq(lookup(9999, "f", &e2), -ESTALE);
	cr_assert_eq(lookup(0, "f", &e2), -ESTALE);
	cr_assert_eq(getattr(12345, &a), -ESTALE);
}

Test(fuse_node, statfs)
{
	struct rq q;
	rq_start(&q, FUSE_STATFS, FUSE_ROOT_ID);
	struct fuse_statfs_out o;
	cr_assert_eq(xfer_fixed(&q, &o, sizeof(o)), 0);
	struct statfs sf;
	cr_assert_eq(statfs(tpath("share"), &sf), 0);
	cr_assert_eq(o.st.bsize, (uint32_t)sf.f_bsize);
	cr_assert_eq(o.st.blocks, sf.f_blocks);
	cr_assert_eq(o.st.files, sf.f_files);
	cr_assert_eq(o.st.namelen, 255);
	cr_assert_eq(o.st.frsize, (uint32_t)sf.f_frsize);
}

Test(fuse_node, forget_drops_the_inode)
{
	write_file(tpath("share/f"), "x");
	write_file(tpath("share/g"), "y");
	struct fuse_entry_out e, g;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "g", &g), 0);
	uint32_t live = srv.inodes_live;
	cr_assert_eq(forget_(e.nodeid, 2), 0, "FORGET gets no reply");
	cr_assert_eq(getattr(e.nodeid, NULL), 0);
	cr_assert_eq(forget_(e.nodeid, 1), 0);
	cr_assert_eq(getattr(e.nodeid, NULL), -ESTALE);
	cr_assert_eq(srv.inodes_live, live - 1);
	cr_assert_eq(forget_(FUSE_ROOT_ID, 100), 0);
	cr_assert_eq(getattr(FUSE_ROOT_ID, NULL), 0, "the root is never forgotten");
	cr_assert_eq(forget_(99999, 1), 0);

	/* BATCH_FORGET, including an unknown nodeid. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	struct rq q;
	rq_start(&q, FUSE_BATCH_FORGET, 0);
	struct fuse_batch_forget_in b = { .count = 3 };
	rq_add(&q, &b, sizeof(b));
	struct fuse_forget_one f[3] = { { e.nodeid, 1 }, { 777777, 1 }, { g.nodeid, 5 } };
	rq_add(&q, f, sizeof(f));
	struct iovec in = { q.b, q.len };
	cr_assert_eq(vfs_handle(&srv, &in, 1, NULL, 0), 0);
	cr_assert_eq(getattr(e.nodeid, NULL), -ESTALE);
	cr_assert_eq(getattr(g.nodeid, NULL), -ESTALE);
	cr_assert_eq(srv.inodes_live, 1);
	/* A freed slot is reused for the next inode, under a new generation. */
	struct fuse_entry_out g2;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "g", &g2), 0);
	cr_assert_lt(g2.nodeid, 4);
	if (g2.nodeid == e.nodeid)
		cr_assert_neq(g2.generation, e.generation);
	else
		cr_assert_neq(g2.generation, g.generation);
}

Test(fuse_node, destroy_forgets_everything)
{
	write_file(tpath("share/f"), "x");
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	uint64_t fh;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh), 0);
	struct rq q;
	rq_start(&q, FUSE_DESTROY, 0);
	cr_assert_eq(xfer0(&q), 0);
	cr_assert_eq(srv.inodes_live, 1);
	cr_assert_eq(srv.fhs_live, 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), -EIO, "INIT first again");
	do_init();
	cr_assert_eq(getattr(e.nodeid, NULL), -ESTALE);
	char b[4];
	cr_assert_eq(read_(e.nodeid, fh, 0, b, 1), -EBADF);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	vfs_reset(&srv);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), -EIO);
}

Test(fuse_session, servers_are_independent, .fini = share_down)
{
	share_up(false);
	do_init();
	write_file(tpath("share/f"), "x");
	struct vfs_server two;
	struct err err = { 0 };
	cr_assert_eq(vfs_init(&two, tpath("outside"), true, &err), 0, "%s", err.msg);
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	/* `two` has not seen INIT, and knows nothing of srv's inodes. */
	struct vfs_server keep = srv;
	srv = two;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "secret", &e), -EIO);
	do_init();
	cr_assert_eq(getattr(e.nodeid, NULL), -ESTALE);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "secret", &e), 0);
	two = srv;
	srv = keep;
	vfs_fini(&two);
	vfs_fini(&two);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
}

Test(fuse_session, init_errors)
{
	struct vfs_server s;
	struct err err = { 0 };
	cr_assert_eq(vfs_init(&s, "/nonexistent/mvrun", false, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, "/nonexistent/mvrun"), "%s", err.msg);
	/* A server whose init failed answers -EIO and is safe to finish. */
	struct fuse_in_header h = { .len = sizeof(h), .opcode = FUSE_STATFS, .unique = 9 };
	struct fuse_out_header oh;
	struct iovec in = { &h, sizeof(h) }, out = { &oh, sizeof(oh) };
	cr_assert_eq(vfs_handle(&s, &in, 1, &out, 1), sizeof(oh));
	cr_assert_eq(oh.error, -EIO);
	cr_assert_eq(oh.unique, 9);
	vfs_fini(&s);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(vfs_init(&s, "/etc/passwd", false, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	vfs_fini(&s);
}
