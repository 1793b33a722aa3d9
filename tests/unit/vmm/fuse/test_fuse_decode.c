/* The FUSE request decoder and vfs_handle() on malformed requests:
 * truncated at every length, lengths that lie, unknown opcodes, bad
 * strings, and out buffers too small for the reply. Each gets an error
 * reply (or none when there is no room), changes nothing, and crashes
 * nothing. */
#include "tests/unit/vmm/fuse/test_fuse.h"

static uint8_t argbuf[VFS_ARG_MAX] __attribute__((aligned(8)));

TestSuite(fuse_decode, .init = setup_rw, .fini = share_down);

Test(fuse_decode, iov_helpers)
{
	uint8_t a[3], b[1], c[5];
	struct iovec v[4] = { { a, 3 }, { NULL, 0 }, { b, 1 }, { c, 5 } };
	cr_assert_eq(vfs_iov_total(v, 4), 9);
	cr_assert_eq(vfs_iov_total(v, 0), 0);
	cr_assert_eq(vfs_iov_total(v, -1), 0);
	uint8_t src[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, dst[9];
	cr_assert_eq(vfs_iov_write(v, 4, 0, src, 9), 9);
	cr_assert_eq(b[0], 4);
	cr_assert_eq(c[4], 9);
	cr_assert_eq(vfs_iov_write(v, 4, 7, src, 9), 2, "stops at the end");
	cr_assert_eq(vfs_iov_write(v, 4, 9, src, 1), 0);
	cr_assert_eq(vfs_iov_write(v, 4, 100, src, 1), 0);
	memset(dst, 0, sizeof(dst));
	cr_assert_eq(vfs_iov_read(v, 4, 2, dst, 3), 3);
	cr_assert_eq(dst[0], 3);
	cr_assert_eq(dst[1], 4);
	cr_assert_eq(dst[2], 5);
	cr_assert_eq(vfs_iov_read(v, 4, 8, dst, 5), 1);

	struct iovec s[4];
	size_t got;
	cr_assert_eq(vfs_iov_slice(v, 4, 2, 5, s, 4, &got), 3);
	cr_assert_eq(got, 5);
	cr_assert_eq(s[0].iov_base, a + 2);
	cr_assert_eq(s[0].iov_len, 1);
	cr_assert_eq(s[1].iov_base, b, "the empty iovec is skipped");
	cr_assert_eq(s[2].iov_base, c);
	cr_assert_eq(s[2].iov_len, 3);
	cr_assert_eq(vfs_iov_slice(v, 4, 0, 100, s, 2, &got), 2, "max iovecs");
	cr_assert_eq(got, 4);
	cr_assert_eq(vfs_iov_slice(v, 4, 9, 1, s, 4, &got), 0);
	cr_assert_eq(got, 0);
	struct iovec huge[2] = { { a, SIZE_MAX }, { b, 2 } };
	cr_assert_eq(vfs_iov_total(huge, 2), SIZE_MAX, "saturates");
}

static int decode(struct rq *q, size_t outlen, struct vfs_req *r)
{
	q->h.len = q->len;
	struct iovec in = { q->b, q->len };
	return vfs_decode(&in, 1, outlen, argbuf, r);
}

Test(fuse_decode, valid_requests)
{
	struct rq q;
	struct vfs_req r;
	rq_start(&q, FUSE_LOOKUP, 7);
	rq_str(&q, "name");
	cr_assert_eq(decode(&q, 4096, &r), 0);
	cr_assert_eq(r.h.nodeid, 7);
	cr_assert_str_eq(r.name, "name");
	cr_assert_null(r.name2);
	cr_assert((const uint8_t *)r.name >= argbuf && (const uint8_t *)r.name < argbuf + sizeof(argbuf),
		  "strings point into the local copy");

	rq_start(&q, FUSE_RENAME2, 1);
	struct fuse_rename2_in rn = { .newdir = 9, .flags = 1 };
	rq_add(&q, &rn, sizeof(rn));
	rq_str(&q, "a");
	rq_str(&q, "b");
	cr_assert_eq(decode(&q, 16, &r), 0);
	cr_assert_str_eq(r.name, "a");
	cr_assert_str_eq(r.name2, "b");
	cr_assert_eq(((const struct fuse_rename2_in *)r.arg)->newdir, 9);

	rq_start(&q, FUSE_WRITE, 1);
	struct fuse_write_in w = { .size = 5 };
	rq_add(&q, &w, sizeof(w));
	rq_add(&q, "hello", 5);
	cr_assert_eq(decode(&q, 24, &r), 0);
	cr_assert_eq(r.data_off, sizeof(struct fuse_in_header) + sizeof(w));
	cr_assert_eq(r.data_len, 5);

	rq_start(&q, FUSE_SETXATTR, 1);
	struct fuse_setxattr_in sx = { .size = 3 };
	rq_add(&q, &sx, 8);
	rq_str(&q, "user.a");
	rq_add(&q, "xyz", 3);
	cr_assert_eq(decode(&q, 16, &r), 0);
	cr_assert_eq(r.valuelen, 3);
	cr_assert_eq(memcmp(r.value, "xyz", 3), 0);

	/* A 16-byte INIT is zero-filled to the full struct. */
	memset(argbuf, 0xff, sizeof(argbuf));
	rq_start(&q, FUSE_INIT, 0);
	struct fuse_init_in in = { .major = 7, .minor = 20 };
	rq_add(&q, &in, 16);
	cr_assert_eq(decode(&q, 24, &r), 0);
	cr_assert_eq(((const struct fuse_init_in *)r.arg)->flags2, 0);
	cr_assert_eq(((const struct fuse_init_in *)r.arg)->minor, 20);

	/* The header split over 1-byte iovecs decodes the same. */
	rq_start(&q, FUSE_LOOKUP, 3);
	rq_str(&q, "split");
	struct iovec v[128];
	for (size_t i = 0; i < q.len; i++)
		v[i] = (struct iovec){ q.b + i, 1 };
	cr_assert_eq(vfs_decode(v, q.len, 4096, argbuf, &r), 0);
	cr_assert_str_eq(r.name, "split");
	cr_assert_eq(r.h.nodeid, 3);
}

Test(fuse_decode, bad_headers_and_opcodes)
{
	struct rq q;
	struct vfs_req r;
	rq_start(&q, FUSE_LOOKUP, 1);
	rq_str(&q, "x");
	size_t full = q.len;
	for (size_t n = 0; n < sizeof(struct fuse_in_header); n++) {
		q.len = n;
		cr_assert_eq(decode(&q, 4096, &r), -EINVAL, "%zu header bytes", n);
		cr_assert_eq(r.h.unique, 0, "no header, no unique");
	}
	q.len = full;
	q.h.len = full + 1;
	struct iovec in = { q.b, full };
	cr_assert_eq(vfs_decode(&in, 1, 4096, argbuf, &r), -EINVAL, "len beyond the buffers");
	cr_assert_eq(r.h.unique, q.h.unique);
	q.h.len = UINT32_MAX;
	cr_assert_eq(vfs_decode(&in, 1, 4096, argbuf, &r), -EINVAL);
	q.h.len = 39;
	cr_assert_eq(vfs_decode(&in, 1, 4096, argbuf, &r), -EINVAL, "len inside the header");
	q.h.len = 0;
	cr_assert_eq(vfs_decode(&in, 1, 4096, argbuf, &r), -EINVAL);
	cr_assert_eq(vfs_decode(&in, 0, 4096, argbuf, &r), -EINVAL);
	cr_assert_eq(vfs_decode(&in, -5, 4096, argbuf, &r), -EINVAL);

	uint32_t unknown[] = { 0, 7, 19, FUSE_GETLK, FUSE_SETLK, FUSE_SETLKW, FUSE_INTERRUPT,
			       FUSE_BMAP, FUSE_IOCTL, FUSE_POLL, FUSE_NOTIFY_REPLY,
			       FUSE_SETUPMAPPING, FUSE_REMOVEMAPPING, FUSE_TMPFILE, 52, CUSE_INIT,
			       FUSE_INIT_BSWAP_RESERVED, UINT32_MAX };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		rq_start(&q, unknown[i], 1);
		uint8_t junk[64] = { 0 };
		rq_add(&q, junk, sizeof(junk));
		cr_assert_eq(decode(&q, 4096, &r), -ENOSYS, "opcode %u", unknown[i]);
		cr_assert_null(r.op);
		cr_assert_eq(xfer0(&q), -ENOSYS, "opcode %u", unknown[i]);
	}
}

Test(fuse_decode, bad_strings_and_sizes)
{
	struct rq q;
	struct vfs_req r;
	rq_start(&q, FUSE_LOOKUP, 1);
	rq_add(&q, "abc", 3); /* no NUL */
	cr_assert_eq(decode(&q, 4096, &r), -EINVAL);
	rq_start(&q, FUSE_LOOKUP, 1);
	cr_assert_eq(decode(&q, 4096, &r), -EINVAL, "no name at all");
	rq_start(&q, FUSE_RENAME, 1);
	struct fuse_rename_in rn = { .newdir = 1 };
	rq_add(&q, &rn, sizeof(rn));
	rq_str(&q, "a");
	cr_assert_eq(decode(&q, 16, &r), -EINVAL, "second name missing");
	rq_add(&q, "b", 1);
	cr_assert_eq(decode(&q, 16, &r), -EINVAL, "second name unterminated");
	rq_start(&q, FUSE_RENAME, 1);
	rq_add(&q, &rn, sizeof(rn));
	rq_str(&q, "a");
	rq_str(&q, "..");
	cr_assert_eq(decode(&q, 16, &r), -EINVAL);

	rq_start(&q, FUSE_SYMLINK, 1);
	rq_str(&q, "l");
	static char longt[PATH_MAX + 1];
	memset(longt, 't', PATH_MAX);
	rq_str(&q, longt);
	cr_assert_eq(decode(&q, 4096, &r), -ENAMETOOLONG);

	rq_start(&q, FUSE_GETXATTR, 1);
	struct fuse_getxattr_in gx = { .size = 10 };
	rq_add(&q, &gx, sizeof(gx));
	rq_str(&q, "");
	cr_assert_eq(decode(&q, 4096, &r), -ERANGE);

	rq_start(&q, FUSE_SETXATTR, 1);
	struct fuse_setxattr_in sx = { .size = 100 };
	rq_add(&q, &sx, 8);
	rq_str(&q, "user.a");
	rq_add(&q, "short", 5);
	cr_assert_eq(decode(&q, 16, &r), -EINVAL, "value shorter than its size");
	rq_start(&q, FUSE_SETXATTR, 1);
	sx.size = VFS_XATTR_MAX + 1;
	rq_add(&q, &sx, 8);
	rq_str(&q, "user.a");
	cr_assert_eq(decode(&q, 16, &r), -E2BIG);

	rq_start(&q, FUSE_WRITE, 1);
	struct fuse_write_in w = { .size = 6 };
	rq_add(&q, &w, sizeof(w));
	rq_add(&q, "hello", 5);
	cr_assert_eq(decode(&q, 24, &r), -EINVAL, "less data than size");
	w.size = UINT32_MAX;
	memcpy(q.b + sizeof(struct fuse_in_header), &w, sizeof(w));
	cr_assert_eq(decode(&q, 24, &r), -EINVAL);

	/* BATCH_FORGET claiming more entries than it carries forgets only those. */
	rq_start(&q, FUSE_BATCH_FORGET, 0);
	struct fuse_batch_forget_in b = { .count = UINT32_MAX };
	rq_add(&q, &b, sizeof(b));
	struct fuse_forget_one f[2] = { { 5, 1 }, { 6, 1 } };
	rq_add(&q, f, sizeof(f));
	rq_add(&q, "odd", 3);
	cr_assert_eq(decode(&q, 0, &r), 0);
	cr_assert_eq(r.data_len, sizeof(f));
	b.count = 1;
	memcpy(q.b + sizeof(struct fuse_in_header), &b, sizeof(b));
	cr_assert_eq(decode(&q, 0, &r), 0);
	cr_assert_eq(r.data_len, sizeof(f[0]));
}

/* Send the first n bytes of q as the whole request, with the header's len
 * either kept (it then lies) or set to n. The reply must be an error. */
static void send_prefix(struct rq *q, size_t n, bool fix_len)
{
	struct rq t = *q;
	t.len = n;
	if (n >= 4)
		t.h.len = fix_len ? n : q->len;
	struct iovec in = { t.b, n };
	uint8_t out[4096];
	struct iovec o = { out, sizeof(out) };
	uint32_t got = vfs_handle(&srv, &in, 1, &o, 1);
	struct fuse_out_header oh;
	memcpy(&oh, out, sizeof(oh));
	cr_assert_eq(got, sizeof(oh), "prefix %zu: a header-only reply", n);
	cr_assert_eq(oh.len, got);
	cr_assert_lt(oh.error, 0, "prefix %zu of %zu accepted", n, q->len);
	if (n >= sizeof(struct fuse_in_header))
		cr_assert_eq(oh.unique, q->h.unique);
}

Test(fuse_decode, every_truncation_of_write_lookup_setattr)
{
	write_file(tpath("share/f"), "original");
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	uint64_t fh = 0;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDWR, &fh), 0);
	struct rq q;

	rq_start(&q, FUSE_WRITE, e.nodeid);
	struct fuse_write_in w = { .fh = fh, .offset = 0, .size = 8 };
	rq_add(&q, &w, sizeof(w));
	rq_add(&q, "CHANGED!", 8);
	for (size_t n = 0; n < q.len; n++) {
		send_prefix(&q, n, false);
		send_prefix(&q, n, true);
	}
	cr_assert_str_eq(read_file(tpath("share/f")), "original");

	uint32_t live = srv.inodes_live;
	rq_start(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	rq_str(&q, "f");
	for (size_t n = 0; n < q.len; n++) {
		send_prefix(&q, n, false);
		send_prefix(&q, n, true);
	}
	cr_assert_eq(srv.inodes_live, live);

	rq_start(&q, FUSE_SETATTR, e.nodeid);
	struct fuse_setattr_in s = { .valid = FATTR_MODE | FATTR_SIZE, .mode = 0777, .size = 1 };
	rq_add(&q, &s, sizeof(s));
	for (size_t n = 0; n < q.len; n++) {
		send_prefix(&q, n, false);
		send_prefix(&q, n, true);
	}
	struct stat st;
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_size, 8);

	/* The full requests do work. */
	cr_assert_eq(xfer_fixed(&q, &(struct fuse_attr_out){ 0 }, sizeof(struct fuse_attr_out)), 0);
	cr_assert_eq(stat(tpath("share/f"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0777);
	cr_assert_eq(st.st_size, 1);
}

Test(fuse_decode, out_buffer_too_small)
{
	write_file(tpath("share/f"), "x");
	uint32_t live = srv.inodes_live;
	struct rq q;
	rq_start(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	rq_str(&q, "f");
	struct iovec in = { q.b, q.len };
	uint8_t out[256];
	for (size_t n = 0; n < sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out); n++) {
		memset(out, 0xee, sizeof(out));
		struct iovec o = { out, n };
		uint32_t got = vfs_handle(&srv, &in, 1, &o, 1);
		if (n < sizeof(struct fuse_out_header)) {
			cr_assert_eq(got, 0, "out %zu: no room for a header", n);
			for (size_t i = 0; i < sizeof(out); i++)
				cr_assert_eq(out[i], 0xee, "wrote byte %zu of a %zu-byte out", i, n);
		} else {
			struct fuse_out_header oh;
			memcpy(&oh, out, sizeof(oh));
			cr_assert_eq(got, sizeof(oh));
			cr_assert_eq(oh.error, -EINVAL);
			for (size_t i = n; i < sizeof(out); i++)
				cr_assert_eq(out[i], 0xee);
		}
	}
	cr_assert_eq(srv.inodes_live, live, "no lookup was counted for a reply never sent");
	cr_assert_eq(vfs_handle(&srv, &in, 1, NULL, 0), 0);
	cr_assert_eq(vfs_handle(&srv, &in, 1, NULL, -3), 0);
	cr_assert_eq(vfs_handle(&srv, NULL, 0, NULL, 0), 0);
	struct iovec o = { out, sizeof(out) };
	cr_assert_eq(vfs_handle(&srv, NULL, 0, &o, 1), sizeof(struct fuse_out_header));
	cr_assert_eq(vfs_handle(&srv, NULL, -1, &o, 1), sizeof(struct fuse_out_header));

	/* A READ gets what fits; READLINK and xattrs too small say so. */
	struct fuse_entry_out e;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	uint64_t fh = 0;
	cr_assert_eq(open_(e.nodeid, FUSE_OPEN, O_RDONLY, &fh), 0);
	rq_start(&q, FUSE_READ, e.nodeid);
	struct fuse_read_in r = { .fh = fh, .size = 4096 };
	rq_add(&q, &r, sizeof(r));
	char b[1];
	size_t n;
	cr_assert_eq(xfer(&q, b, 0, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(symlink("0123456789", tpath("share/l")), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "l", &e), 0);
	rq_start(&q, FUSE_READLINK, e.nodeid);
	char t[4];
	cr_assert_eq(xfer(&q, t, sizeof(t), &n), -ENAMETOOLONG);
	rq_start(&q, FUSE_LISTXATTR, FUSE_ROOT_ID);
	struct fuse_getxattr_in gx = { 0 };
	rq_add(&q, &gx, sizeof(gx));
	cr_assert_eq(xfer(&q, t, 4, &n), -EINVAL, "no room for fuse_getxattr_out");
}

Test(fuse_decode, finished_server_answers_eio)
{
	share_down();
	struct rq q;
	rq_start(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	rq_str(&q, "f");
	cr_assert_eq(xfer0(&q), -EIO);
	struct vfs_server zero = { 0 };
	struct iovec in = { q.b, q.len };
	uint8_t out[64];
	struct iovec o = { out, sizeof(out) };
	cr_assert_eq(vfs_handle(&zero, &in, 1, &o, 1), sizeof(struct fuse_out_header));
	vfs_fini(&zero);
	vfs_reset(&zero);
}
