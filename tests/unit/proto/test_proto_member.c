/* proto: the pods' envelope MEMBER{id, message} and the pod share's tags
 * (proto/proto.h, "Pods"). The decoder takes exactly one whole message of
 * another type after the id, nothing else. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/proto.h"

Test(proto_member, round_trip_and_wire_layout)
{
	struct proto_buf in = { 0 }, b = { 0 };
	cr_assert_eq(proto_encode_u32(&in, PROTO_SIGNAL, 15), 0);
	cr_assert_eq(proto_encode_member(&b, 7, in.data, in.len), 0);
	cr_assert_eq(b.len, PROTO_HDR_LEN + 4 + in.len);
	struct proto_hdr h, inner;
	cr_assert_eq(proto_parse_hdr(b.data, &h), 0);
	cr_assert_eq(h.type, PROTO_MEMBER);
	cr_assert_eq(memcmp(b.data + PROTO_HDR_LEN, "\x07\0\0\0", 4), 0);
	cr_assert_eq(memcmp(b.data + PROTO_HDR_LEN + 4, in.data, in.len), 0);
	uint32_t id, sig;
	const uint8_t *p;
	cr_assert_eq(proto_decode_member(b.data + PROTO_HDR_LEN, h.len, &id, &inner, &p), 0);
	cr_assert_eq(id, 7);
	cr_assert_eq(inner.type, PROTO_SIGNAL);
	cr_assert_eq(proto_decode_u32(p, inner.len, &sig), 0);
	cr_assert_eq(sig, 15);
	proto_buf_free(&in);
	proto_buf_free(&b);
}

Test(proto_member, the_encoder_takes_one_whole_message_only)
{
	struct proto_buf in = { 0 }, b = { 0 };
	cr_assert_eq(proto_encode_empty(&in, PROTO_START), 0);
	cr_assert_eq(proto_encode_empty(&in, PROTO_START), 0); /* two */
	cr_assert_eq(proto_encode_member(&b, 1, in.data, in.len), -1);
	cr_assert(b.failed);
	proto_buf_free(&b);
	cr_assert_eq(proto_encode_member(&b, 1, in.data, 3), -1); /* less than a header */
	proto_buf_free(&b);
	proto_buf_free(&in);
}

/* MEMBER's payload built by hand: id, then the bytes given. */
static int decode(const uint8_t *rest, size_t n)
{
	uint8_t p[64] = { 9, 0, 0, 0 };
	uint32_t id;
	struct proto_hdr h;
	const uint8_t *q;
	memcpy(p + 4, rest, n);
	return proto_decode_member(p, 4 + n, &id, &h, &q);
}

Test(proto_member, the_decoder_refuses_what_is_not_one_message)
{
	/* START, empty: version 1, type 5, len 0. */
	const uint8_t start[] = { 1, 0, PROTO_START, 0, 0, 0, 0, 0 };
	cr_assert_eq(decode(start, sizeof(start)), 0);
	cr_assert_eq(decode(start, 7), -1, "truncated header");
	const uint8_t trailing[] = { 1, 0, PROTO_START, 0, 0, 0, 0, 0, 0xff };
	cr_assert_eq(decode(trailing, sizeof(trailing)), -1, "a trailing byte");
	const uint8_t longer[] = { 1, 0, PROTO_SIGNAL, 0, 4, 0, 0, 0, 1, 2 };
	cr_assert_eq(decode(longer, sizeof(longer)), -1, "shorter than its length");
	const uint8_t version[] = { 2, 0, PROTO_START, 0, 0, 0, 0, 0 };
	cr_assert_eq(decode(version, sizeof(version)), -1, "another version");
	const uint8_t nested[] = { 1, 0, PROTO_MEMBER, 0, 0, 0, 0, 0 };
	cr_assert_eq(decode(nested, sizeof(nested)), -1, "a MEMBER in a MEMBER");
	const uint8_t unknown[] = { 1, 0, 0xff, 0, 0, 0, 0, 0 };
	cr_assert_eq(decode(unknown, sizeof(unknown)), -1, "an unknown type");
	uint32_t id;
	struct proto_hdr h;
	const uint8_t *q;
	cr_assert_eq(proto_decode_member((const uint8_t *)"\1\0\0", 3, &id, &h, &q), -1);
}

Test(proto_member, pod_tags)
{
	cr_assert(proto_pod_tag("pod/m1/root"));
	cr_assert(proto_pod_tag("pod/m1/vol3"));
	cr_assert(proto_pod_tag("pod/m1/files0/f2"));
	static const char *const bad[] = { "pod", "pod/", "pod/m1", "pod/m1/", "pod//root",
					   "pod/../root", "pod/m1/..", "pod/./root", "root", "vol0",
					   "pod/m1/files0/f2/x", "/pod/m1/root", "pods/m1/root",
					   "pod/m1/files0/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!proto_pod_tag(bad[i]), "%s accepted", bad[i]);
	char longtag[300] = "pod/m1/";
	memset(longtag + 7, 'a', 260);
	cr_assert(!proto_pod_tag(longtag));
}
