/* The codec's little-endian writer and bounds-checked reader, shared by
 * the message files of proto/ (proto.c, proto_confine.c) and by nothing
 * else. A writer marks the buffer failed instead of overflowing; a reader
 * marks itself bad at the first short or malformed field and then yields
 * zeros and NULLs, so a decoder checks once, at the end (done()). */
#ifndef MVRUN_PROTO_CODEC_H
#define MVRUN_PROTO_CODEC_H

#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

/* ---- output ---- */

static inline void put(struct proto_buf *b, const void *src, size_t n)
{
	if (b->failed)
		return;
	if (n > PROTO_MAX_MSG || b->len + n > PROTO_MAX_MSG * 2ULL) {
		b->failed = 1;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, src, n);
	b->len += n;
}

static inline void put_u16(struct proto_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	put(b, x, 2);
}

static inline void put_u32(struct proto_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(b, x, 4);
}

static inline void put_u64(struct proto_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static inline void put_str(struct proto_buf *b, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s) + 1;
	if (n > PROTO_MAX_MSG) {
		b->failed = 1;
		return;
	}
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

/* Start a message: the header, with len patched by finish(). */
static inline size_t begin(struct proto_buf *b, enum proto_type type)
{
	size_t at = b->len;
	put_u16(b, PROTO_VERSION);
	put_u16(b, (uint16_t)type);
	put_u32(b, 0);
	return at;
}

/* A message that does not fit is dropped whole: a partial one left in the
 * buffer would go out with len 0 and desynchronise the stream. */
static inline int finish(struct proto_buf *b, size_t at)
{
	if (!b->failed && b->len - at - PROTO_HDR_LEN > PROTO_MAX_MSG - PROTO_HDR_LEN)
		b->failed = 1;
	if (b->failed) {
		b->len = at;
		return -1;
	}
	size_t plen = b->len - at - PROTO_HDR_LEN;
	uint8_t *h = b->data + at + 4;
	h[0] = (uint8_t)plen;
	h[1] = (uint8_t)(plen >> 8);
	h[2] = (uint8_t)(plen >> 16);
	h[3] = (uint8_t)(plen >> 24);
	return 0;
}

/* ---- input ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static inline const uint8_t *take(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

static inline uint16_t get_u16(struct rd *r)
{
	const uint8_t *q = take(r, 2);
	return q ? (uint16_t)(q[0] | q[1] << 8) : 0;
}

static inline uint32_t get_u32(struct rd *r)
{
	const uint8_t *q = take(r, 4);
	return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
			   (uint32_t)q[3] << 24
		 : 0;
}

static inline uint64_t get_u64(struct rd *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

static inline const char *get_str(struct rd *r)
{
	uint32_t n = get_u32(r);
	if (n == 0) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *q = take(r, n);
	if (!q || q[n - 1] != 0 || memchr(q, 0, n - 1)) {
		r->bad = 1;
		return NULL;
	}
	return (const char *)q;
}

static inline int done(const struct rd *r)
{
	return r->bad || r->off != r->len ? -1 : 0;
}

#endif
