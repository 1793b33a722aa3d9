/* proto/hooks.c: HOOKS round trips and the decoder's refusals. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/hooks.h"

static struct proto_hooks h, d;

static void two_hooks(void)
{
	memset(&h, 0, sizeof(h));
	h.state_creating = "{\"status\":\"creating\"}";
	h.state_created = "{\"status\":\"created\"}";
	h.n = 2;
	h.hook[0] = (struct proto_hook){ .kind = PROTO_HOOK_CREATE_CONTAINER, .timeout = 3,
					 .path = "/bin/sh", .nargs = 2, .args = { "sh", "-c" },
					 .nenv = 1, .env = { "A=b" } };
	h.hook[1] = (struct proto_hook){ .kind = PROTO_HOOK_START_CONTAINER, .path = "/x" };
}

static const uint8_t *encode(struct proto_buf *b, size_t *len)
{
	struct proto_hdr hd;
	cr_assert_eq(proto_encode_hooks(b, &h), 0);
	cr_assert_eq(proto_parse_hdr(b->data, &hd), 0);
	cr_assert_eq(hd.type, PROTO_HOOKS);
	*len = hd.len;
	return b->data + PROTO_HDR_LEN;
}

Test(proto_hooks, round_trip_and_truncations)
{
	struct proto_buf b = { 0 };
	size_t len;
	two_hooks();
	const uint8_t *p = encode(&b, &len);
	cr_assert_eq(proto_decode_hooks(p, len, &d), 0);
	cr_assert_str_eq(d.state_creating, h.state_creating);
	cr_assert_str_eq(d.state_created, h.state_created);
	cr_assert_eq(d.n, 2);
	cr_assert_eq(d.hook[0].timeout, 3);
	cr_assert_str_eq(d.hook[0].args[1], "-c");
	cr_assert_null(d.hook[0].args[2], "args come NULL-terminated");
	cr_assert_str_eq(d.hook[0].env[0], "A=b");
	cr_assert_null(d.hook[1].args[0]);
	cr_assert_null(d.hook[1].env[0]);
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_hooks(p, n, &d), -1, "accepted %zu of %zu bytes", n, len);
	proto_buf_free(&b);
}

Test(proto_hooks, rules)
{
	struct proto_buf b = { 0 };
	two_hooks();
	h.hook[1].kind = PROTO_HOOK_KINDS; /* no such kind */
	cr_assert_eq(proto_encode_hooks(&b, &h), -1);
	cr_assert_eq(b.len, 0);
	b.failed = 0;
	two_hooks();
	h.hook[1].path = "relative";
	cr_assert_eq(proto_encode_hooks(&b, &h), -1);
	b.failed = 0;
	two_hooks();
	h.hook[0].nargs = PROTO_MAX_HOOK_STRS + 1;
	cr_assert_eq(proto_encode_hooks(&b, &h), -1);
	b.failed = 0;
	two_hooks();
	h.n = PROTO_MAX_HOOKS + 1;
	cr_assert_eq(proto_encode_hooks(&b, &h), -1);
	b.failed = 0;
	/* The same, by hand: a kind of 2 in an otherwise good message. */
	two_hooks();
	size_t len;
	uint8_t *p = (uint8_t *)encode(&b, &len);
	size_t at = 4 + strlen(h.state_creating) + 1 + 4 + strlen(h.state_created) + 1 + 4;
	p[at] = 2;
	cr_assert_eq(proto_decode_hooks(p, len, &d), -1);
	p[at] = 0;
	cr_assert_eq(proto_decode_hooks(p, len, &d), 0);
	/* A count of args past the limit. */
	size_t nargs = at + 4 + 4 + 4 + strlen("/bin/sh") + 1;
	p[nargs] = PROTO_MAX_HOOK_STRS + 1;
	cr_assert_eq(proto_decode_hooks(p, len, &d), -1);
	proto_buf_free(&b);
}
