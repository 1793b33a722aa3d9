/* The control-protocol codec (proto.h). Built into mvm and into mvinit; keep
 * it free of anything but libc. Every read is bounds-checked. */
#include "proto/proto.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

int proto_encode_u32(struct proto_buf *b, enum proto_type type, uint32_t v)
{
	size_t at = begin(b, type);
	put_u32(b, v);
	return finish(b, at);
}

int proto_encode_raw(struct proto_buf *b, enum proto_type type, const void *payload, size_t len)
{
	size_t at = begin(b, type);
	put(b, payload, len);
	return finish(b, at);
}

int proto_encode_empty(struct proto_buf *b, enum proto_type type)
{
	return finish(b, begin(b, type));
}

int proto_encode_resize(struct proto_buf *b, uint16_t rows, uint16_t cols)
{
	size_t at = begin(b, PROTO_RESIZE);
	put_u16(b, rows);
	put_u16(b, cols);
	return finish(b, at);
}

int proto_encode_error(struct proto_buf *b, uint32_t status, const char *msg)
{
	size_t at = begin(b, PROTO_ERROR);
	put_u32(b, status);
	put_str(b, msg);
	return finish(b, at);
}

static bool spec_fits(struct proto_buf *b, const struct proto_spec *s)
{
	if (s->ngroups > PROTO_MAX_GROUPS || s->nmounts > PROTO_MAX_MOUNTS ||
	    s->nrlimits > PROTO_MAX_RLIMITS || s->argc == 0 ||
	    (uint64_t)s->argc + s->envc + 2 > PROTO_MAX_STRS) {
		b->failed = 1;
		return false;
	}
	return true;
}

/* SPEC's payload, also the tail of EXEC's. */
static void put_spec(struct proto_buf *b, const struct proto_spec *s)
{
	put_u32(b, s->flags);
	put_u32(b, s->uid);
	put_u32(b, s->gid);
	put_u32(b, s->umask);
	put_u16(b, s->rows);
	put_u16(b, s->cols);
	put_str(b, s->cwd);
	put_str(b, s->hostname);
	put_str(b, s->root_tag);
	put_u32(b, s->ngroups);
	for (uint32_t i = 0; i < s->ngroups; i++)
		put_u32(b, s->groups[i]);
	put_u32(b, s->argc);
	for (uint32_t i = 0; i < s->argc; i++)
		put_str(b, s->argv[i]);
	put_u32(b, s->envc);
	for (uint32_t i = 0; i < s->envc; i++)
		put_str(b, s->env[i]);
	put_u32(b, s->nmounts);
	for (uint32_t i = 0; i < s->nmounts; i++) {
		put_str(b, s->mounts[i].tag);
		put_str(b, s->mounts[i].path);
		put_u32(b, s->mounts[i].flags);
		put_str(b, s->mounts[i].fstype ? s->mounts[i].fstype : "");
		put_str(b, s->mounts[i].source ? s->mounts[i].source : "");
	}
	put_u32(b, s->nrlimits);
	for (uint32_t i = 0; i < s->nrlimits; i++) {
		put_u32(b, s->rlimits[i].resource);
		put_u64(b, s->rlimits[i].soft);
		put_u64(b, s->rlimits[i].hard);
	}
}

int proto_encode_spec(struct proto_buf *b, const struct proto_spec *s)
{
	if (!spec_fits(b, s))
		return -1;
	size_t at = begin(b, PROTO_SPEC);
	put_spec(b, s);
	return finish(b, at);
}

int proto_encode_exec(struct proto_buf *b, uint32_t id, const struct proto_spec *s)
{
	if (!spec_fits(b, s))
		return -1;
	size_t at = begin(b, PROTO_EXEC);
	put_u32(b, id);
	put_spec(b, s);
	return finish(b, at);
}

int proto_encode_pair(struct proto_buf *b, enum proto_type type, uint32_t id, uint32_t v)
{
	size_t at = begin(b, type);
	put_u32(b, id);
	put_u32(b, v);
	return finish(b, at);
}

int proto_encode_exec_error(struct proto_buf *b, uint32_t id, uint32_t status, const char *msg)
{
	size_t at = begin(b, PROTO_EXEC_ERROR);
	put_u32(b, id);
	put_u32(b, status);
	put_str(b, msg);
	return finish(b, at);
}

int proto_encode_exec_resize(struct proto_buf *b, uint32_t id, uint16_t rows, uint16_t cols)
{
	size_t at = begin(b, PROTO_EXEC_RESIZE);
	put_u32(b, id);
	put_u16(b, rows);
	put_u16(b, cols);
	return finish(b, at);
}

void proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- input ---- */

int proto_parse_hdr(const uint8_t h[PROTO_HDR_LEN], struct proto_hdr *out)
{
	struct rd r = { h, PROTO_HDR_LEN, 0, 0 };
	out->version = get_u16(&r);
	out->type = get_u16(&r);
	out->len = get_u32(&r);
	if (out->version != PROTO_VERSION || out->type == 0 || out->type >= PROTO_TYPE_MAX ||
	    out->len > PROTO_MAX_MSG - PROTO_HDR_LEN)
		return -1;
	return 0;
}

int proto_decode_u32(const uint8_t *p, size_t len, uint32_t *v)
{
	struct rd r = { p, len, 0, 0 };
	*v = get_u32(&r);
	return done(&r);
}

int proto_decode_empty(const uint8_t *p, size_t len)
{
	struct rd r = { p, len, 0, 0 };
	return done(&r);
}

int proto_decode_resize(const uint8_t *p, size_t len, uint16_t *rows, uint16_t *cols)
{
	struct rd r = { p, len, 0, 0 };
	*rows = get_u16(&r);
	*cols = get_u16(&r);
	return done(&r);
}

int proto_decode_error(const uint8_t *p, size_t len, uint32_t *status, const char **msg)
{
	struct rd r = { p, len, 0, 0 };
	*status = get_u32(&r);
	*msg = get_str(&r);
	return done(&r);
}

static int get_spec(struct rd *r, struct proto_spec *s, const char **scratch, size_t nscratch)
{
	memset(s, 0, sizeof(*s));
	s->flags = get_u32(r);
	s->uid = get_u32(r);
	s->gid = get_u32(r);
	s->umask = get_u32(r);
	s->rows = get_u16(r);
	s->cols = get_u16(r);
	s->cwd = get_str(r);
	s->hostname = get_str(r);
	s->root_tag = get_str(r);
	s->ngroups = get_u32(r);
	if (s->ngroups > PROTO_MAX_GROUPS)
		return -1;
	for (uint32_t i = 0; i < s->ngroups; i++)
		s->groups[i] = get_u32(r);
	s->argc = get_u32(r);
	if (r->bad || s->argc == 0 || s->argc > PROTO_MAX_STRS || s->argc + 2ULL > nscratch)
		return -1;
	s->argv = scratch;
	for (uint32_t i = 0; i < s->argc; i++)
		scratch[i] = get_str(r);
	scratch[s->argc] = NULL;
	s->envc = get_u32(r);
	if (r->bad || (uint64_t)s->argc + s->envc + 2 > nscratch)
		return -1;
	s->env = scratch + s->argc + 1;
	for (uint32_t i = 0; i < s->envc; i++)
		s->env[i] = get_str(r);
	s->env[s->envc] = NULL;
	s->nmounts = get_u32(r);
	if (s->nmounts > PROTO_MAX_MOUNTS)
		return -1;
	for (uint32_t i = 0; i < s->nmounts; i++) {
		s->mounts[i].tag = get_str(r);
		s->mounts[i].path = get_str(r);
		s->mounts[i].flags = get_u32(r);
		s->mounts[i].fstype = get_str(r);
		s->mounts[i].source = get_str(r);
	}
	s->nrlimits = get_u32(r);
	if (s->nrlimits > PROTO_MAX_RLIMITS)
		return -1;
	for (uint32_t i = 0; i < s->nrlimits; i++) {
		s->rlimits[i].resource = get_u32(r);
		s->rlimits[i].soft = get_u64(r);
		s->rlimits[i].hard = get_u64(r);
	}
	return done(r);
}

int proto_decode_spec(const uint8_t *p, size_t len, struct proto_spec *s, const char **scratch,
		      size_t nscratch)
{
	struct rd r = { p, len, 0, 0 };
	return get_spec(&r, s, scratch, nscratch);
}

int proto_decode_exec(const uint8_t *p, size_t len, uint32_t *id, struct proto_spec *s,
		      const char **scratch, size_t nscratch)
{
	struct rd r = { p, len, 0, 0 };
	*id = get_u32(&r);
	if (r.bad) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	return get_spec(&r, s, scratch, nscratch);
}

int proto_decode_pair(const uint8_t *p, size_t len, uint32_t *id, uint32_t *v)
{
	struct rd r = { p, len, 0, 0 };
	*id = get_u32(&r);
	*v = get_u32(&r);
	return done(&r);
}

int proto_decode_exec_error(const uint8_t *p, size_t len, uint32_t *id, uint32_t *status,
			    const char **msg)
{
	struct rd r = { p, len, 0, 0 };
	*id = get_u32(&r);
	*status = get_u32(&r);
	*msg = get_str(&r);
	return done(&r);
}

int proto_decode_exec_resize(const uint8_t *p, size_t len, uint32_t *id, uint16_t *rows,
			     uint16_t *cols)
{
	struct rd r = { p, len, 0, 0 };
	*id = get_u32(&r);
	*rows = get_u16(&r);
	*cols = get_u16(&r);
	return done(&r);
}

int proto_encode_member(struct proto_buf *b, uint32_t id, const uint8_t *msg, size_t len)
{
	struct proto_hdr h;
	if (len < PROTO_HDR_LEN || proto_parse_hdr(msg, &h) < 0 || h.type == PROTO_MEMBER ||
	    h.len != len - PROTO_HDR_LEN) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_MEMBER);
	put_u32(b, id);
	put(b, msg, len);
	return finish(b, at);
}

int proto_decode_member(const uint8_t *p, size_t len, uint32_t *id, struct proto_hdr *inner,
			const uint8_t **payload)
{
	if (len < 4 + PROTO_HDR_LEN || proto_decode_u32(p, 4, id) < 0 ||
	    proto_parse_hdr(p + 4, inner) < 0 || inner->type == PROTO_MEMBER ||
	    inner->len != len - 4 - PROTO_HDR_LEN)
		return -1;
	*payload = p + 4 + PROTO_HDR_LEN;
	return 0;
}

int proto_pod_tag(const char *t)
{
	size_t n = strlen(t), plen = strlen(PROTO_POD_TAG);
	int parts = 0;
	if (n > 255 || strncmp(t, PROTO_POD_TAG "/", plen + 1))
		return 0;
	for (const char *s = t + plen + 1;; parts++) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (!l || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		if (!e) {
			parts++;
			break;
		}
		s = e + 1;
	}
	return parts == 2 || parts == 3;
}
