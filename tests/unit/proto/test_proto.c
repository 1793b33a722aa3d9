/* proto: the host<->guest control codec. Round trips of every message type,
 * the wire layout, and a decoder that refuses every truncation, trailing
 * byte, bad string and broken limit. Payloads that the encoder would refuse
 * are built by hand with the little writer below (independent of proto.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/sigfwd.h"
#include "proto/hooks.h"

/* ---- a hand-rolled little-endian writer for hostile payloads ---- */

struct raw {
	uint8_t b[1 << 16];
	size_t n;
};

static void r_bytes(struct raw *r, const void *p, size_t n)
{
	cr_assert_leq(r->n + n, sizeof(r->b));
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void r_u16(struct raw *r, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	r_bytes(r, x, 2);
}

static void r_u32(struct raw *r, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	r_bytes(r, x, 4);
}

static void r_u64(struct raw *r, uint64_t v)
{
	r_u32(r, (uint32_t)v);
	r_u32(r, (uint32_t)(v >> 32));
}

static void r_str(struct raw *r, const char *s)
{
	r_u32(r, (uint32_t)strlen(s) + 1);
	r_bytes(r, s, strlen(s) + 1);
}

/* The fixed part of a SPEC payload up to (not including) ngroups. */
static void r_spec_head(struct raw *r)
{
	r_u32(r, 0);      /* flags */
	r_u32(r, 1000);   /* uid */
	r_u32(r, 1000);   /* gid */
	r_u32(r, 022);    /* umask */
	r_u16(r, 0);      /* rows */
	r_u16(r, 0);      /* cols */
	r_str(r, "/");    /* cwd */
	r_str(r, "");     /* hostname */
	r_str(r, "root"); /* root_tag */
}

/* ---- specs ---- */

static const char *full_argv[] = { "/bin/sh", "-c", "echo 'hi there'; exit 3", NULL };
static const char *full_env[] = { "PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY=", NULL };

static void full_spec(struct proto_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->flags = PROTO_SPEC_TTY | PROTO_SPEC_READONLY_ROOT;
	s->uid = 1000;
	s->gid = 0xfffffffe;
	s->umask = 027;
	s->ngroups = 3;
	s->groups[0] = 0;
	s->groups[1] = 10;
	s->groups[2] = 0xfffffffe;
	s->rows = 24;
	s->cols = 0xffff;
	s->cwd = "/home/user";
	s->hostname = "box";
	s->root_tag = "root";
	s->argc = 3;
	s->argv = full_argv;
	s->envc = 3;
	s->env = full_env;
	s->nmounts = 3;
	s->mounts[0] = (struct proto_mount){ "vol0", "/data", PROTO_MOUNT_RO, NULL, NULL };
	s->mounts[1] = (struct proto_mount){ "vol1", "/mnt/x y", 0, NULL, NULL };
	s->mounts[2] = (struct proto_mount){ "nosuid,gid=5", "/dev/pts", PROTO_MOUNT_KERNFS, "devpts",
					     "devpts" };
	s->nrlimits = 2;
	s->rlimits[0] = (struct proto_rlimit){ 7, 1024, 4096 };
	s->rlimits[1] = (struct proto_rlimit){ 3, 0x123456789abcdefULL, UINT64_MAX };
}

static void assert_spec_eq(const struct proto_spec *a, const struct proto_spec *b)
{
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->uid, b->uid);
	cr_assert_eq(a->gid, b->gid);
	cr_assert_eq(a->umask, b->umask);
	cr_assert_eq(a->rows, b->rows);
	cr_assert_eq(a->cols, b->cols);
	cr_assert_str_eq(a->cwd ? a->cwd : "", b->cwd);
	cr_assert_str_eq(a->hostname ? a->hostname : "", b->hostname);
	cr_assert_str_eq(a->root_tag ? a->root_tag : "", b->root_tag);
	cr_assert_eq(a->ngroups, b->ngroups);
	for (uint32_t i = 0; i < a->ngroups; i++)
		cr_assert_eq(a->groups[i], b->groups[i], "group %u", i);
	cr_assert_eq(a->argc, b->argc);
	for (uint32_t i = 0; i < a->argc; i++)
		cr_assert_str_eq(a->argv[i], b->argv[i], "argv[%u]", i);
	cr_assert_null(b->argv[b->argc], "argv ends with NULL, as execve wants");
	cr_assert_eq(a->envc, b->envc);
	for (uint32_t i = 0; i < a->envc; i++)
		cr_assert_str_eq(a->env[i], b->env[i], "env[%u]", i);
	cr_assert_null(b->env[b->envc], "env ends with NULL");
	cr_assert_eq(a->nmounts, b->nmounts);
	for (uint32_t i = 0; i < a->nmounts; i++) {
		cr_assert_str_eq(a->mounts[i].tag, b->mounts[i].tag);
		cr_assert_str_eq(a->mounts[i].path, b->mounts[i].path);
		cr_assert_eq(a->mounts[i].flags, b->mounts[i].flags);
		cr_assert_str_eq(a->mounts[i].fstype ? a->mounts[i].fstype : "", b->mounts[i].fstype);
		cr_assert_str_eq(a->mounts[i].source ? a->mounts[i].source : "", b->mounts[i].source);
	}
	cr_assert_eq(a->nrlimits, b->nrlimits);
	for (uint32_t i = 0; i < a->nrlimits; i++) {
		cr_assert_eq(a->rlimits[i].resource, b->rlimits[i].resource);
		cr_assert_eq(a->rlimits[i].soft, b->rlimits[i].soft);
		cr_assert_eq(a->rlimits[i].hard, b->rlimits[i].hard);
	}
}

/* Check the header of the one message in b and return its payload. */
static const uint8_t *one_msg(const struct proto_buf *b, enum proto_type type, uint32_t *plen)
{
	cr_assert_not(b->failed);
	cr_assert_geq(b->len, PROTO_HDR_LEN);
	struct proto_hdr h;
	cr_assert_eq(proto_parse_hdr(b->data, &h), 0);
	cr_assert_eq(h.version, PROTO_VERSION);
	cr_assert_eq(h.type, type);
	cr_assert_eq(h.len, b->len - PROTO_HDR_LEN, "len covers exactly the payload");
	*plen = h.len;
	return b->data + PROTO_HDR_LEN;
}

/* A copy of a payload in its own exact-size allocation, so the sanitizer
 * build catches a read past the end. */
static uint8_t *dup_payload(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	cr_assert_not_null(q);
	memcpy(q, p, n);
	return q;
}

static int decode_spec_copy(const uint8_t *p, size_t n, struct proto_spec *s,
			    const char **scratch, size_t nscratch)
{
	uint8_t *q = dup_payload(p, n);
	int rc = proto_decode_spec(q, n, s, scratch, nscratch);
	free(q); /* the strings are gone now: only the result is usable */
	return rc;
}

TestSuite(proto);

/* ---- wire layout ---- */

Test(proto, header_and_u32_are_little_endian_on_the_wire)
{
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_u32(&b, PROTO_SIGNAL, 0x0a0b0c0d), 0);
	const uint8_t want[] = { 1, 0, 6, 0, 4, 0, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a };
	cr_assert_eq(b.len, sizeof(want));
	cr_assert_eq(memcmp(b.data, want, sizeof(want)), 0);
	proto_buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
}

Test(proto, error_string_is_length_then_bytes_with_the_nul)
{
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_error(&b, 127, "no"), 0);
	const uint8_t want[] = { 1, 0, 4, 0, 11, 0, 0, 0, 127, 0, 0, 0, 3, 0, 0, 0, 'n', 'o', 0 };
	cr_assert_eq(b.len, sizeof(want));
	cr_assert_eq(memcmp(b.data, want, sizeof(want)), 0);
	proto_buf_free(&b);
}

Test(proto, spec_layout_matches_the_hand_written_one)
{
	/* The guest and the host share the codec, but an older mvinit in an
	 * initramfs must still read what a newer mvm writes: pin the layout. */
	static const char *argv[] = { "true", NULL };
	static const char *env[] = { "A=1", NULL };
	struct proto_spec s = { .flags = 1, .uid = 2, .gid = 3, .umask = 4, .ngroups = 1,
				.groups = { 5 }, .rows = 6, .cols = 7, .cwd = "/", .hostname = "h",
				.root_tag = "root", .argc = 1, .argv = argv, .envc = 1, .env = env,
				.nmounts = 1, .mounts = { { "t", "/m", 1, NULL, NULL } }, .nrlimits = 1,
				.rlimits = { { 8, 9, 10 } } };
	struct raw r = { .n = 0 };
	r_u32(&r, 1), r_u32(&r, 2), r_u32(&r, 3), r_u32(&r, 4), r_u16(&r, 6), r_u16(&r, 7);
	r_str(&r, "/"), r_str(&r, "h"), r_str(&r, "root");
	r_u32(&r, 1), r_u32(&r, 5);
	r_u32(&r, 1), r_str(&r, "true");
	r_u32(&r, 1), r_str(&r, "A=1");
	r_u32(&r, 1), r_str(&r, "t"), r_str(&r, "/m"), r_u32(&r, 1), r_str(&r, ""), r_str(&r, "");
	r_u32(&r, 1), r_u32(&r, 8), r_u64(&r, 9), r_u64(&r, 10);

	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&b, &s), 0);
	uint32_t plen;
	const uint8_t *p = one_msg(&b, PROTO_SPEC, &plen);
	cr_assert_eq(plen, r.n);
	cr_assert_eq(memcmp(p, r.b, r.n), 0);
	proto_buf_free(&b);
}

/* ---- round trips ---- */

Test(proto, u32_messages_round_trip)
{
	const enum proto_type types[] = { PROTO_HELLO, PROTO_SIGNAL, PROTO_EXIT };
	const uint32_t vals[] = { 0, 1, 7, 128 + 9, 0x80000000u, UINT32_MAX };
	for (size_t t = 0; t < 3; t++) {
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			struct proto_buf b = { 0 };
			cr_assert_eq(proto_encode_u32(&b, types[t], vals[i]), 0);
			uint32_t plen, v = 12345;
			const uint8_t *p = one_msg(&b, types[t], &plen);
			cr_assert_eq(plen, 4);
			cr_assert_eq(proto_decode_u32(p, plen, &v), 0);
			cr_assert_eq(v, vals[i]);
			proto_buf_free(&b);
		}
	}
}

Test(proto, empty_messages_have_no_payload)
{
	const enum proto_type types[] = { PROTO_READY, PROTO_START, PROTO_STARTED };
	for (size_t t = 0; t < 3; t++) {
		struct proto_buf b = { 0 };
		cr_assert_eq(proto_encode_empty(&b, types[t]), 0);
		uint32_t plen;
		const uint8_t *p = one_msg(&b, types[t], &plen);
		cr_assert_eq(plen, 0);
		cr_assert_eq(b.len, PROTO_HDR_LEN);
		cr_assert_eq(proto_decode_empty(p, plen), 0);
		proto_buf_free(&b);
	}
	/* A STARTED with a payload is not one. */
	const uint8_t extra[1] = { 0 };
	cr_assert_eq(proto_decode_empty(extra, 1), -1);
}

Test(proto, resize_round_trips)
{
	const uint16_t rc[][2] = { { 24, 80 }, { 0, 0 }, { 0xffff, 1 }, { 1, 0xffff } };
	for (size_t i = 0; i < 4; i++) {
		struct proto_buf b = { 0 };
		cr_assert_eq(proto_encode_resize(&b, rc[i][0], rc[i][1]), 0);
		uint32_t plen;
		const uint8_t *p = one_msg(&b, PROTO_RESIZE, &plen);
		uint16_t rows = 1234, cols = 1234;
		cr_assert_eq(proto_decode_resize(p, plen, &rows, &cols), 0);
		cr_assert_eq(rows, rc[i][0]);
		cr_assert_eq(cols, rc[i][1]);
		proto_buf_free(&b);
	}
}

Test(proto, error_round_trips_and_msg_points_into_the_payload)
{
	const char *msgs[] = { "exec /bin/nope: No such file or directory", "", "x" };
	for (size_t i = 0; i < 3; i++) {
		struct proto_buf b = { 0 };
		cr_assert_eq(proto_encode_error(&b, 127, msgs[i]), 0);
		uint32_t plen, st;
		const char *m;
		const uint8_t *p = one_msg(&b, PROTO_ERROR, &plen);
		cr_assert_eq(proto_decode_error(p, plen, &st, &m), 0);
		cr_assert_eq(st, 127);
		cr_assert_str_eq(m, msgs[i]);
		cr_assert((const uint8_t *)m >= p && (const uint8_t *)m < p + plen);
		proto_buf_free(&b);
	}
}

Test(proto, error_with_null_msg_sends_empty_string)
{
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_error(&b, 1, NULL), 0);
	uint32_t plen, st;
	const char *m;
	const uint8_t *p = one_msg(&b, PROTO_ERROR, &plen);
	cr_assert_eq(proto_decode_error(p, plen, &st, &m), 0);
	cr_assert_str_eq(m, "");
	proto_buf_free(&b);
}

Test(proto, full_spec_round_trips)
{
	struct proto_spec in, out;
	full_spec(&in);
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&b, &in), 0);
	uint32_t plen;
	const uint8_t *p = one_msg(&b, PROTO_SPEC, &plen);
	const char *scratch[16];
	cr_assert_eq(proto_decode_spec(p, plen, &out, scratch, 16), 0);
	assert_spec_eq(&in, &out);
	cr_assert_eq(out.argv, scratch, "argv lives in the scratch space");
	proto_buf_free(&b);
}

Test(proto, minimal_spec_round_trips_with_null_strings_as_empty)
{
	static const char *argv[] = { "x", NULL };
	struct proto_spec in = { .argc = 1, .argv = argv }, out;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&b, &in), 0);
	uint32_t plen;
	const uint8_t *p = one_msg(&b, PROTO_SPEC, &plen);
	const char *scratch[3];
	cr_assert_eq(proto_decode_spec(p, plen, &out, scratch, 3), 0, "argc + envc + 2 is enough");
	assert_spec_eq(&in, &out);
	cr_assert_eq(out.envc, 0);
	cr_assert_null(out.env[0]);
	proto_buf_free(&b);
}

Test(proto, spec_at_every_limit_round_trips)
{
	static char names[PROTO_MAX_MOUNTS][2][16];
	static const char *argv[100], *env[200];
	static char av[100][8], ev[200][12];
	struct proto_spec in = { 0 }, out;
	in.ngroups = PROTO_MAX_GROUPS;
	for (uint32_t i = 0; i < PROTO_MAX_GROUPS; i++)
		in.groups[i] = i * 1000;
	in.nmounts = PROTO_MAX_MOUNTS;
	for (uint32_t i = 0; i < PROTO_MAX_MOUNTS; i++) {
		snprintf(names[i][0], 16, "vol%u", i);
		snprintf(names[i][1], 16, "/m/%u", i);
		in.mounts[i] = (struct proto_mount){ names[i][0], names[i][1], i & 1, "", "" };
	}
	in.nrlimits = PROTO_MAX_RLIMITS;
	for (uint32_t i = 0; i < PROTO_MAX_RLIMITS; i++)
		in.rlimits[i] = (struct proto_rlimit){ i, i, UINT64_MAX - i };
	for (int i = 0; i < 100; i++)
		snprintf(av[i], sizeof(av[i]), "a%d", i & 127), argv[i] = av[i];
	for (int i = 0; i < 200; i++)
		snprintf(ev[i], sizeof(ev[i]), "E%d=%d", i & 255, i & 255), env[i] = ev[i];
	in.argc = 100;
	in.argv = argv;
	in.envc = 200;
	in.env = env;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&b, &in), 0);
	uint32_t plen;
	const uint8_t *p = one_msg(&b, PROTO_SPEC, &plen);
	static const char *scratch[302];
	cr_assert_eq(proto_decode_spec(p, plen, &out, scratch, 302), 0);
	assert_spec_eq(&in, &out);
	cr_assert_eq(proto_decode_spec(p, plen, &out, scratch, 301), -1,
		     "one scratch slot short of argc + envc + 2");
	proto_buf_free(&b);
}

Test(proto, messages_stack_in_one_buffer_and_parse_in_order)
{
	struct proto_buf b = { 0 };
	struct proto_spec s;
	full_spec(&s);
	cr_assert_eq(proto_encode_u32(&b, PROTO_HELLO, PROTO_VERSION), 0);
	cr_assert_eq(proto_encode_spec(&b, &s), 0);
	cr_assert_eq(proto_encode_empty(&b, PROTO_START), 0);
	cr_assert_eq(proto_encode_resize(&b, 50, 132), 0);
	cr_assert_eq(proto_encode_error(&b, 2, "bad"), 0);
	const enum proto_type want[] = { PROTO_HELLO, PROTO_SPEC, PROTO_START, PROTO_RESIZE,
					 PROTO_ERROR };
	size_t at = 0;
	for (int i = 0; i < 5; i++) {
		struct proto_hdr h;
		cr_assert_leq(at + PROTO_HDR_LEN, b.len);
		cr_assert_eq(proto_parse_hdr(b.data + at, &h), 0);
		cr_assert_eq(h.type, want[i]);
		at += PROTO_HDR_LEN + h.len;
	}
	cr_assert_eq(at, b.len);
	proto_buf_free(&b);
}

/* ---- truncation and trailing bytes ---- */

/* Every message the codec makes, encoded alone. */
static void each_message(void (*fn)(enum proto_type type, const uint8_t *p, uint32_t len))
{
	struct proto_spec s;
	full_spec(&s);
	for (int k = 0; k < 11; k++) {
		struct proto_buf b = { 0 };
		enum proto_type t;
		switch (k) {
		case 6: t = PROTO_EXEC, proto_encode_exec(&b, 5, &s); break;
		case 7: t = PROTO_EXEC_EXIT, proto_encode_pair(&b, t, 63, 137); break;
		case 8: t = PROTO_EXEC_SIGNAL, proto_encode_pair(&b, t, 2, 15); break;
		case 9: t = PROTO_EXEC_ERROR, proto_encode_exec_error(&b, 1, 127, "not found"); break;
		case 10: t = PROTO_EXEC_RESIZE, proto_encode_exec_resize(&b, 4, 25, 81); break;
		case 0: t = PROTO_HELLO, proto_encode_u32(&b, t, 1); break;
		case 1: t = PROTO_SIGNAL, proto_encode_u32(&b, t, 15); break;
		case 2: t = PROTO_EXIT, proto_encode_u32(&b, t, 7); break;
		case 3: t = PROTO_RESIZE, proto_encode_resize(&b, 24, 80); break;
		case 4: t = PROTO_ERROR, proto_encode_error(&b, 126, "permission denied"); break;
		default: t = PROTO_SPEC, proto_encode_spec(&b, &s); break;
		}
		uint32_t plen;
		const uint8_t *p = one_msg(&b, t, &plen);
		fn(t, p, plen);
		proto_buf_free(&b);
	}
}

static int decode_any(enum proto_type t, const uint8_t *p, size_t len)
{
	uint8_t *q = dup_payload(p, len);
	uint32_t v;
	uint16_t r, c;
	const char *m;
	struct proto_spec s;
	const char *scratch[16];
	int rc;
	switch (t) {
	case PROTO_RESIZE: rc = proto_decode_resize(q, len, &r, &c); break;
	case PROTO_ERROR: rc = proto_decode_error(q, len, &v, &m); break;
	case PROTO_SPEC: rc = proto_decode_spec(q, len, &s, scratch, 16); break;
	case PROTO_EXEC: rc = proto_decode_exec(q, len, &v, &s, scratch, 16); break;
	case PROTO_EXEC_EXIT:
	case PROTO_EXEC_SIGNAL: rc = proto_decode_pair(q, len, &v, &v); break;
	case PROTO_EXEC_ERROR: rc = proto_decode_exec_error(q, len, &v, &v, &m); break;
	case PROTO_EXEC_RESIZE: rc = proto_decode_exec_resize(q, len, &v, &r, &c); break;
	default: rc = proto_decode_u32(q, len, &v); break;
	}
	free(q);
	return rc;
}

static void check_truncations(enum proto_type t, const uint8_t *p, uint32_t len)
{
	cr_assert_eq(decode_any(t, p, len), 0, "type %d whole", t);
	for (uint32_t n = 0; n < len; n++)
		cr_assert_eq(decode_any(t, p, n), -1, "type %d cut to %u of %u bytes", t, n, len);
}

Test(proto, every_truncation_of_every_message_is_rejected)
{
	each_message(check_truncations);
}

static void check_trailing(enum proto_type t, const uint8_t *p, uint32_t len)
{
	uint8_t *q = malloc(len + 8);
	memcpy(q, p, len);
	for (uint32_t extra = 1; extra <= 8; extra++) {
		memset(q + len, extra == 1 ? 0 : 0xff, extra);
		cr_assert_eq(decode_any(t, q, len + extra), -1, "type %d with %u trailing bytes", t,
			     extra);
	}
	free(q);
}

Test(proto, trailing_bytes_are_rejected)
{
	each_message(check_trailing);
}

/* ---- strings ---- */

static int decode_error_raw(const struct raw *r)
{
	uint32_t st;
	const char *m;
	uint8_t *q = dup_payload(r->b, r->n);
	int rc = proto_decode_error(q, r->n, &st, &m);
	free(q);
	return rc;
}

Test(proto, string_without_nul_is_rejected)
{
	struct raw r = { .n = 0 };
	r_u32(&r, 1);
	r_u32(&r, 3);
	r_bytes(&r, "abc", 3);
	cr_assert_eq(decode_error_raw(&r), -1);
}

Test(proto, string_with_interior_nul_is_rejected)
{
	struct raw r = { .n = 0 };
	r_u32(&r, 1);
	r_u32(&r, 5);
	r_bytes(&r, "ab\0c", 5);
	cr_assert_eq(decode_error_raw(&r), -1);
	r.n = 0; /* a NUL first, then bytes: "" with a hidden tail */
	r_u32(&r, 1);
	r_u32(&r, 3);
	r_bytes(&r, "\0x", 3);
	cr_assert_eq(decode_error_raw(&r), -1);
}

Test(proto, zero_length_string_is_rejected)
{
	struct raw r = { .n = 0 };
	r_u32(&r, 1);
	r_u32(&r, 0);
	cr_assert_eq(decode_error_raw(&r), -1);
}

Test(proto, string_length_beyond_the_payload_is_rejected)
{
	const uint32_t lens[] = { 4, 0x7fffffff, 0xfffffffc, UINT32_MAX };
	for (int i = 0; i < 4; i++) {
		struct raw r = { .n = 0 };
		r_u32(&r, 1);
		r_u32(&r, lens[i]);
		r_bytes(&r, "ab\0", 3);
		cr_assert_eq(decode_error_raw(&r), -1, "length %u", lens[i]);
	}
}

Test(proto, bad_strings_anywhere_in_a_spec_are_rejected)
{
	struct proto_spec in, out;
	full_spec(&in);
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&b, &in), 0);
	uint32_t plen;
	const uint8_t *p = one_msg(&b, PROTO_SPEC, &plen);
	uint8_t *q = malloc(plen);
	const char *scratch[16];
	int nuls = 0;
	/* Every NUL in the payload that ends a string: replace it by 'x' (no
	 * terminator), and the byte before it by NUL (interior NUL). */
	for (uint32_t i = 1; i < plen; i++) {
		if (p[i] != 0 || p[i - 1] == 0 || p[i - 1] < 0x20)
			continue; /* not the end of a printable string */
		nuls++;
		memcpy(q, p, plen);
		q[i] = 'x';
		cr_assert_eq(decode_spec_copy(q, plen, &out, scratch, 16), -1, "no NUL at %u", i);
		memcpy(q, p, plen);
		q[i - 1] = 0;
		cr_assert_eq(decode_spec_copy(q, plen, &out, scratch, 16), -1, "NUL inside at %u",
			     i - 1);
	}
	/* cwd, hostname, root_tag, 3 argv, 3 env, 2 x (tag, path), the devpts's
	 * tag, path, fstype and source (the shares' empty ones end no printable
	 * string) */
	cr_assert_eq(nuls, 17);
	free(q);
	proto_buf_free(&b);
}

/* ---- limits ---- */

/* A SPEC with ngroups groups, argc/envc strings, nmounts, nrlimits, each
 * count as given and with that many entries really present. */
static void r_spec(struct raw *r, uint32_t ngroups, uint32_t argc, uint32_t envc,
		   uint32_t nmounts, uint32_t nrlimits)
{
	r->n = 0;
	r_spec_head(r);
	r_u32(r, ngroups);
	for (uint32_t i = 0; i < ngroups; i++)
		r_u32(r, i);
	r_u32(r, argc);
	for (uint32_t i = 0; i < argc; i++)
		r_str(r, "arg");
	r_u32(r, envc);
	for (uint32_t i = 0; i < envc; i++)
		r_str(r, "K=V");
	r_u32(r, nmounts);
	for (uint32_t i = 0; i < nmounts; i++)
		r_str(r, "tag"), r_str(r, "/p"), r_u32(r, 0), r_str(r, ""), r_str(r, "");
	r_u32(r, nrlimits);
	for (uint32_t i = 0; i < nrlimits; i++)
		r_u32(r, i), r_u64(r, 1), r_u64(r, 2);
}

static int decode_raw_spec(const struct raw *r, size_t nscratch)
{
	static const char *scratch[PROTO_MAX_STRS + 16];
	struct proto_spec s;
	cr_assert_leq(nscratch, sizeof(scratch) / sizeof(scratch[0]));
	return decode_spec_copy(r->b, r->n, &s, scratch, nscratch);
}

Test(proto, hand_built_spec_at_the_limits_is_accepted)
{
	static struct raw r;
	r_spec(&r, PROTO_MAX_GROUPS, 2, 3, PROTO_MAX_MOUNTS, PROTO_MAX_RLIMITS);
	cr_assert_eq(decode_raw_spec(&r, 7), 0);
}

Test(proto, too_many_groups_is_rejected)
{
	static struct raw r;
	r_spec(&r, PROTO_MAX_GROUPS + 1, 1, 0, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 16), -1);
}

Test(proto, too_many_mounts_is_rejected)
{
	static struct raw r;
	r_spec(&r, 0, 1, 0, PROTO_MAX_MOUNTS + 1, 0);
	cr_assert_eq(decode_raw_spec(&r, 16), -1);
}

Test(proto, too_many_rlimits_is_rejected)
{
	static struct raw r;
	r_spec(&r, 0, 1, 0, 0, PROTO_MAX_RLIMITS + 1);
	cr_assert_eq(decode_raw_spec(&r, 16), -1);
}

Test(proto, argc_zero_is_rejected)
{
	static struct raw r;
	r_spec(&r, 0, 0, 1, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 16), -1);
}

Test(proto, argv_and_env_beyond_the_scratch_are_rejected)
{
	static struct raw r;
	r_spec(&r, 0, 4, 2, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 8), 0, "4 + 2 + 2 fits 8");
	r_spec(&r, 0, 4, 3, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 8), -1, "env does not fit");
	r_spec(&r, 0, 7, 0, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 8), -1, "argv and its NULL fit, env's NULL does not");
	r_spec(&r, 0, 9, 0, 0, 0);
	cr_assert_eq(decode_raw_spec(&r, 8), -1, "argv alone does not fit");
}

Test(proto, huge_counts_with_a_short_payload_are_rejected)
{
	/* Counts the payload cannot hold: refused without walking them. */
	const uint32_t big[] = { PROTO_MAX_STRS, PROTO_MAX_STRS + 1, 0x7fffffff, UINT32_MAX };
	for (int i = 0; i < 4; i++) {
		static struct raw r;
		r.n = 0;
		r_spec_head(&r);
		r_u32(&r, 0);
		r_u32(&r, big[i]); /* argc */
		r_str(&r, "x");
		cr_assert_eq(decode_raw_spec(&r, PROTO_MAX_STRS + 16), -1, "argc %u", big[i]);
		r.n = 0;
		r_spec_head(&r);
		r_u32(&r, 0);
		r_u32(&r, 1);
		r_str(&r, "x");
		r_u32(&r, big[i]); /* envc */
		r_str(&r, "y");
		cr_assert_eq(decode_raw_spec(&r, PROTO_MAX_STRS + 16), -1, "envc %u", big[i]);
	}
}

/* ---- the encoder's limits ---- */

static void assert_spec_refused(const struct proto_spec *s, const char *why)
{
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_u32(&b, PROTO_HELLO, 1), 0);
	size_t before = b.len;
	cr_assert_eq(proto_encode_spec(&b, s), -1, "%s", why);
	cr_assert(b.failed, "%s: failed is set", why);
	cr_assert_eq(b.len, before, "%s: nothing of it is left in the buffer", why);
	proto_buf_free(&b);
}

Test(proto, encoder_refuses_specs_beyond_the_limits)
{
	struct proto_spec s;
	full_spec(&s);
	s.ngroups = PROTO_MAX_GROUPS + 1;
	assert_spec_refused(&s, "groups");
	full_spec(&s);
	s.nmounts = PROTO_MAX_MOUNTS + 1;
	assert_spec_refused(&s, "mounts");
	full_spec(&s);
	s.nrlimits = PROTO_MAX_RLIMITS + 1;
	assert_spec_refused(&s, "rlimits");
	full_spec(&s);
	s.argc = 0;
	assert_spec_refused(&s, "argc 0");
	full_spec(&s);
	s.argc = PROTO_MAX_STRS - 1; /* + envc 3 + 2: over; nothing is read from argv */
	assert_spec_refused(&s, "argc + envc");
}

Test(proto, largest_error_fits_and_one_byte_more_is_refused_whole)
{
	/* payload = status 4 + length 4 + strlen + 1; at most PROTO_MAX_MSG - 8 */
	size_t max = PROTO_MAX_MSG - PROTO_HDR_LEN - 9;
	char *m = malloc(max + 2);
	memset(m, 'e', max + 1);
	m[max] = 0;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_error(&b, 1, m), 0);
	cr_assert_eq(b.len, PROTO_MAX_MSG);
	struct proto_hdr h;
	cr_assert_eq(proto_parse_hdr(b.data, &h), 0);
	uint32_t st;
	const char *got;
	cr_assert_eq(proto_decode_error(b.data + PROTO_HDR_LEN, h.len, &st, &got), 0);
	cr_assert_eq(strlen(got), max);
	proto_buf_free(&b);

	m[max] = 'e';
	m[max + 1] = 0;
	cr_assert_eq(proto_encode_empty(&b, PROTO_READY), 0);
	cr_assert_eq(proto_encode_error(&b, 1, m), -1);
	cr_assert(b.failed);
	cr_assert_eq(b.len, PROTO_HDR_LEN, "the READY before it is all the buffer holds");
	cr_assert_eq(proto_parse_hdr(b.data, &h), 0);
	cr_assert_eq(h.type, PROTO_READY);
	proto_buf_free(&b);
	free(m);
}

Test(proto, oversize_spec_is_refused_whole)
{
	/* Many strings that together pass PROTO_MAX_MSG, each one small. */
	enum { N = 300 };
	static const char *env[N + 1];
	char *big = malloc(8192);
	memset(big, 'v', 8191);
	big[8191] = 0;
	for (int i = 0; i < N; i++)
		env[i] = big;
	struct proto_spec s;
	full_spec(&s);
	s.envc = N;
	s.env = env;
	assert_spec_refused(&s, "1 MiB of environment");
	free(big);
}

Test(proto, after_a_failure_the_buffer_stays_failed)
{
	struct proto_buf b = { 0 };
	struct proto_spec s;
	full_spec(&s);
	s.argc = 0;
	cr_assert_eq(proto_encode_spec(&b, &s), -1);
	cr_assert_eq(proto_encode_u32(&b, PROTO_HELLO, 1), -1, "failed is sticky");
	cr_assert_eq(b.len, 0);
	proto_buf_free(&b);
	cr_assert_eq(b.failed, 0, "proto_buf_free resets the buffer");
	cr_assert_eq(proto_encode_u32(&b, PROTO_HELLO, 1), 0);
	proto_buf_free(&b);
}

/* ---- the header ---- */

static int parse(uint16_t version, uint16_t type, uint32_t len, struct proto_hdr *h)
{
	uint8_t b[PROTO_HDR_LEN] = { (uint8_t)version, (uint8_t)(version >> 8), (uint8_t)type,
				     (uint8_t)(type >> 8), (uint8_t)len, (uint8_t)(len >> 8),
				     (uint8_t)(len >> 16), (uint8_t)(len >> 24) };
	return proto_parse_hdr(b, h);
}

Test(proto, parse_hdr_accepts_every_known_type)
{
	struct proto_hdr h;
	for (uint16_t t = 1; t < PROTO_TYPE_MAX; t++) {
		cr_assert_eq(parse(PROTO_VERSION, t, 5, &h), 0, "type %u", t);
		cr_assert_eq(h.type, t);
		cr_assert_eq(h.len, 5);
		cr_assert_eq(h.version, PROTO_VERSION);
	}
}

Test(proto, parse_hdr_rejects_bad_version)
{
	struct proto_hdr h;
	const uint16_t v[] = { 0, PROTO_VERSION + 1, 0x0100, 0xffff };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(parse(v[i], PROTO_HELLO, 4, &h), -1, "version %u", v[i]);
}

Test(proto, parse_hdr_rejects_unknown_types)
{
	struct proto_hdr h;
	const uint16_t t[] = { 0, PROTO_TYPE_MAX, PROTO_TYPE_MAX + 1, 0x0100, 0xffff };
	for (int i = 0; i < 5; i++)
		cr_assert_eq(parse(PROTO_VERSION, t[i], 4, &h), -1, "type %u", t[i]);
}

Test(proto, parse_hdr_bounds_len)
{
	struct proto_hdr h;
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, 0, &h), 0);
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, PROTO_MAX_MSG - PROTO_HDR_LEN, &h), 0);
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, PROTO_MAX_MSG - PROTO_HDR_LEN + 1, &h), -1);
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, PROTO_MAX_MSG, &h), -1);
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, UINT32_MAX, &h), -1);
	cr_assert_eq(parse(PROTO_VERSION, PROTO_SPEC, UINT32_MAX - PROTO_HDR_LEN + 1, &h), -1,
		     "a len that wraps when the header is added");
}

/* ---- exec messages ---- */

Test(proto, exec_is_the_id_then_a_spec_payload)
{
	struct proto_spec in, out;
	struct proto_buf a = { 0 }, b = { 0 };
	full_spec(&in);
	cr_assert_eq(proto_encode_spec(&a, &in), 0);
	cr_assert_eq(proto_encode_exec(&b, 0x01020304, &in), 0);
	uint32_t alen, blen;
	const uint8_t *pa = one_msg(&a, PROTO_SPEC, &alen), *pb = one_msg(&b, PROTO_EXEC, &blen);
	cr_assert_eq(blen, alen + 4);
	const uint8_t id[4] = { 4, 3, 2, 1 };
	cr_assert_arr_eq(pb, id, 4, "the id leads, little-endian");
	cr_assert_arr_eq(pb + 4, pa, alen, "then exactly SPEC's payload");
	const char *scratch[16];
	uint32_t got;
	cr_assert_eq(proto_decode_exec(pb, blen, &got, &out, scratch, 16), 0);
	cr_assert_eq(got, 0x01020304);
	assert_spec_eq(&in, &out);
	cr_assert_eq(proto_decode_exec(pb, blen, &got, &out, scratch, in.argc + in.envc + 1), -1,
		     "the scratch limit holds as for SPEC");
	proto_buf_free(&a);
	proto_buf_free(&b);
}

Test(proto, exec_refuses_what_spec_refuses)
{
	struct proto_spec s;
	struct proto_buf b = { 0 };
	full_spec(&s);
	s.argc = 0;
	cr_assert_eq(proto_encode_exec(&b, 1, &s), -1);
	cr_assert_eq(b.len, 0);
	struct raw r = { .n = 0 };
	r_u32(&r, 7);
	r_spec_head(&r);
	r_u32(&r, PROTO_MAX_GROUPS + 1);
	uint32_t id;
	const char *scratch[16];
	cr_assert_eq(proto_decode_exec(r.b, r.n, &id, &s, scratch, 16), -1);
	cr_assert_eq(proto_decode_exec(r.b, 3, &id, &s, scratch, 16), -1, "no whole id");
	proto_buf_free(&b);
}

Test(proto, exec_pairs_error_and_resize_round_trip)
{
	struct proto_buf b = { 0 };
	uint32_t plen, id, v;
	cr_assert_eq(proto_encode_pair(&b, PROTO_EXEC_EXIT, 63, 255), 0);
	const uint8_t *p = one_msg(&b, PROTO_EXEC_EXIT, &plen);
	cr_assert_eq(plen, 8);
	cr_assert_eq(proto_decode_pair(p, plen, &id, &v), 0);
	cr_assert_eq(id, 63);
	cr_assert_eq(v, 255);
	proto_buf_free(&b);

	const char *msg;
	cr_assert_eq(proto_encode_exec_error(&b, 9, 126, "exec \"/etc\": permission denied"), 0);
	p = one_msg(&b, PROTO_EXEC_ERROR, &plen);
	cr_assert_eq(proto_decode_exec_error(p, plen, &id, &v, &msg), 0);
	cr_assert_eq(id, 9);
	cr_assert_eq(v, 126);
	cr_assert_str_eq(msg, "exec \"/etc\": permission denied");
	cr_assert(msg > (const char *)p && msg < (const char *)p + plen, "msg points into p");
	proto_buf_free(&b);

	uint16_t rows, cols;
	cr_assert_eq(proto_encode_exec_resize(&b, 0xffffffff, 0xffff, 1), 0);
	p = one_msg(&b, PROTO_EXEC_RESIZE, &plen);
	cr_assert_eq(plen, 8);
	cr_assert_eq(proto_decode_exec_resize(p, plen, &id, &rows, &cols), 0);
	cr_assert_eq(id, 0xffffffff);
	cr_assert_eq(rows, 0xffff);
	cr_assert_eq(cols, 1);
	proto_buf_free(&b);
}

Test(proto, exec_error_with_a_bad_string_is_rejected)
{
	struct raw r = { .n = 0 };
	uint32_t id, st;
	const char *msg;
	r_u32(&r, 1);
	r_u32(&r, 1);
	r_u32(&r, 3);
	r_bytes(&r, "abc", 3); /* no NUL */
	cr_assert_eq(proto_decode_exec_error(r.b, r.n, &id, &st, &msg), -1);
}

Test(proto, exec_ports_do_not_overlap_the_init_ports)
{
	cr_assert_gt(PROTO_EXEC_PORT(0, PROTO_EXEC_STDIN), PROTO_PORT_TTY);
	cr_assert_eq(PROTO_EXEC_PORT(1, PROTO_EXEC_STDIN), PROTO_EXEC_PORT(0, PROTO_EXEC_TTY) + 1);
	cr_assert_eq(PROTO_EXEC_NSTREAMS, 4);
	cr_assert_lt(PROTO_EXEC_PORT(PROTO_MAX_EXECS - 1, PROTO_EXEC_TTY), 1u << 30,
		     "below the vsock device's host-initiated ports");
}

/* ---- NET (proto_net.h) ---- */

#include "proto/proto_net.h"

static struct proto_net sample_net(void)
{
	struct proto_net n = { .flags = PROTO_NET_UP, .mtu = 1450,
			       .mac = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 } };
	n.addrs[n.naddrs++] = (struct proto_net_addr){ PROTO_NET_INET, 16, { 172, 17, 0, 2 } };
	n.addrs[n.naddrs++] = (struct proto_net_addr){ PROTO_NET_INET6, 64, { 0xfd, 0, [15] = 2 } };
	n.routes[n.nroutes++] = (struct proto_net_route){ PROTO_NET_INET, 0, PROTO_NET_ROUTE_GW,
							  { 0 }, { 172, 17, 0, 1 }, 0 };
	n.routes[n.nroutes++] = (struct proto_net_route){ PROTO_NET_INET, 24, 0,
							  { 10, 1, 2, 0 }, { 0 }, 100 };
	return n;
}

Test(proto, net_round_trip_and_layout)
{
	struct proto_net n = sample_net(), m;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_net(&b, &n), 0);
	struct proto_hdr h;
	cr_assert_eq(proto_parse_hdr(b.data, &h), 0);
	cr_assert_eq(h.type, PROTO_NET);
	cr_assert_eq(h.len, 18 + 2 * 20 + 4 + 2 * 40, "the documented layout");
	cr_assert_eq(proto_decode_net(b.data + PROTO_HDR_LEN, h.len, &m), 0);
	cr_assert_eq(m.flags, n.flags);
	cr_assert_eq(m.mtu, 1450);
	cr_assert_arr_eq(m.mac, n.mac, 6);
	cr_assert_eq(m.naddrs, 2);
	cr_assert_eq(m.nroutes, 2);
	cr_assert_arr_eq(&m.addrs[1], &n.addrs[1], sizeof(n.addrs[1]));
	cr_assert_arr_eq(&m.routes[1], &n.routes[1], sizeof(n.routes[1]));
	cr_assert_eq(m.routes[1].metric, 100);
	/* Every truncation and a trailing byte are refused. */
	for (uint32_t l = 0; l < h.len; l++)
		cr_assert_eq(proto_decode_net(b.data + PROTO_HDR_LEN, l, &m), -1, "len %u", l);
	uint8_t longer[512];
	memcpy(longer, b.data + PROTO_HDR_LEN, h.len);
	longer[h.len] = 0;
	cr_assert_eq(proto_decode_net(longer, h.len + 1, &m), -1);
	proto_buf_free(&b);
}

Test(proto, net_without_interface_is_flags_0)
{
	struct proto_net n = { 0 }, m;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_net(&b, &n), 0);
	cr_assert_eq(proto_decode_net(b.data + PROTO_HDR_LEN, b.len - PROTO_HDR_LEN, &m), 0);
	cr_assert_eq(m.flags, 0);
	proto_buf_free(&b);
}

/* Encode n by hand-patching a good encoding at byte `at` of the payload. */
static int net_patched(size_t at, uint8_t v)
{
	struct proto_net n = sample_net(), m;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_net(&b, &n), 0);
	b.data[PROTO_HDR_LEN + at] = v;
	int r = proto_decode_net(b.data + PROTO_HDR_LEN, b.len - PROTO_HDR_LEN, &m);
	proto_buf_free(&b);
	return r;
}

Test(proto, net_limits)
{
	cr_assert_eq(net_patched(0, 3), -1, "unknown flag");
	cr_assert_eq(net_patched(6, 1), -1, "MTU above 65535");
	cr_assert_eq(net_patched(8, 0x03), -1, "multicast MAC");
	cr_assert_eq(net_patched(14, 17), -1, "17 addresses");
	cr_assert_eq(net_patched(18, 5), -1, "family 5");
	cr_assert_eq(net_patched(19, 33), -1, "an IPv4 prefix of 33");
	cr_assert_eq(net_patched(20, 1), -1, "non-zero pad");
	cr_assert_eq(net_patched(18 + 4 + 5, 1), -1, "an IPv4 address with a non-zero tail");
	cr_assert_eq(net_patched(38 + 1, 129), -1, "an IPv6 prefix of 129");
	size_t routes = 18 + 2 * 20;
	cr_assert_eq(net_patched(routes, 33), -1, "33 routes");
	cr_assert_eq(net_patched(routes + 4 + 2, 2), -1, "unknown route flag");
	cr_assert_eq(net_patched(routes + 4 + 3, 1), -1, "non-zero route pad");
	cr_assert_eq(net_patched(routes + 4 + 20 + 4, 1), -1, "an IPv4 gateway with a tail");
	cr_assert_eq(net_patched(routes + 4 + 40 + 1, 24), 0, "a good change is taken");
	struct proto_net n = sample_net();
	n.naddrs = PROTO_NET_MAX_ADDRS + 1;
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_net(&b, &n), -1, "the encoder keeps the limits too");
	cr_assert_eq(b.len, 0);
	proto_buf_free(&b);
}

/* The forwarded set (sigfwd.h): every signal kill can name but the two
 * nobody can catch, the C library's own and the real-time ones included. */
Test(proto, every_catchable_signal_is_forwarded)
{
	int sigs[] = { SIGHUP, SIGUSR1, SIGABRT, SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGIO,
		       SIGCHLD, SIGSYS, 32, 33, 37, 64 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		cr_assert(proto_sig_forwardable(sigs[i]), "signal %d", sigs[i]);
		cr_assert(proto_sig_forward_mask() & (1ULL << (sigs[i] - 1)), "signal %d", sigs[i]);
	}
	cr_assert(!proto_sig_forwardable(SIGKILL));
	cr_assert(!proto_sig_forwardable(SIGSTOP));
	cr_assert(!proto_sig_forwardable(0));
	cr_assert(!proto_sig_forwardable(65));
	cr_assert_eq(__builtin_popcountll(proto_sig_forward_mask()), 62);
}

Test(proto, only_signals_from_outside_are_forwarded)
{
	/* kill, sigqueue, tgkill from another process; a terminal's hangup */
	cr_assert(proto_sig_from_outside(SI_USER, 100, 200));
	cr_assert(proto_sig_from_outside(SI_QUEUE, 100, 200));
	cr_assert(proto_sig_from_outside(SI_TKILL, 100, 200));
	cr_assert(proto_sig_from_outside(SI_KERNEL, 0, 200));
	/* the vCPU kick (tgkill of our own), our own SIGPIPE (SI_USER, our pid) */
	cr_assert(!proto_sig_from_outside(SI_TKILL, 200, 200));
	cr_assert(!proto_sig_from_outside(SI_USER, 200, 200));
	/* the kernel's reports: a child's exit, a fault, SIGIO */
	cr_assert(!proto_sig_from_outside(CLD_EXITED, 100, 200));
	cr_assert(!proto_sig_from_outside(SEGV_MAPERR, 0, 200));
	cr_assert(!proto_sig_from_outside(POLL_IN, 0, 200));
}

/* Each SPEC flag is a bit of its own (two once shared 0x4, so a terminal's
 * ONLCR went off whenever the config listed its mounts). */
Test(proto, spec_flags_are_distinct_bits)
{
	static const uint32_t f[] = { PROTO_SPEC_TTY, PROTO_SPEC_READONLY_ROOT, PROTO_SPEC_NO_ONLCR,
				      PROTO_SPEC_ALL_MOUNTS, PROTO_SPEC_CONFINE, PROTO_SPEC_SETUP,
				      PROTO_SPEC_HOOKS };
	uint32_t seen = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		cr_assert_eq(f[i] & (f[i] - 1), 0, "flag %zu is not one bit", i);
		cr_assert_eq(seen & f[i], 0, "flag %zu shares its bit", i);
		seen |= f[i];
	}
}
