#include "vmm/snap/snapshot.h"

#include <stdlib.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

uint32_t snap_crc32c(uint32_t crc, const void *data, size_t len)
{
	/* Bitwise: the state is a few hundred KiB at most, so no table (and
	 * no table to keep anywhere). */
	const uint8_t *p = data;
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int reserve(struct snap_writer *w, size_t more)
{
	if (w->failed)
		return -1;
	if (more > SNAP_MAX_BYTES || w->len + more > SNAP_MAX_BYTES) {
		w->failed = 2;
		return -1;
	}
	if (w->len + more <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap < w->len + more)
		cap *= 2;
	uint8_t *b = realloc(w->buf, cap);
	if (!b) {
		w->failed = 1;
		return -1;
	}
	w->buf = b;
	w->cap = cap;
	return 0;
}

void snap_add(struct snap_writer *w, enum snap_type type, uint32_t instance, const void *data,
	      size_t len)
{
	if (!w->len && reserve(w, SNAP_HEADER_BYTES) == 0) {
		memset(w->buf, 0, SNAP_HEADER_BYTES);
		w->len = SNAP_HEADER_BYTES;
	}
	if (w->failed)
		return;
	if (len > SNAP_MAX_PAYLOAD || w->nsections >= SNAP_MAX_SECTIONS) {
		w->failed = 2;
		return;
	}
	size_t total = SNAP_SECTION_HEADER_BYTES + pad8(len);
	if (reserve(w, total) < 0)
		return;
	uint8_t *p = w->buf + w->len;
	memset(p, 0, total);
	put32(p, (uint32_t)type);
	put32(p + 4, instance);
	put64(p + 8, len);
	if (len)
		memcpy(p + SNAP_SECTION_HEADER_BYTES, data, len);
	w->len += total;
	w->nsections++;
}

int snap_finish(struct snap_writer *w, const uint8_t **out, size_t *out_len,
		struct err *err)
{
	if (!w->len && !w->failed && reserve(w, SNAP_HEADER_BYTES) == 0) {
		memset(w->buf, 0, SNAP_HEADER_BYTES);
		w->len = SNAP_HEADER_BYTES;
	}
	if (w->failed == 1)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: out of memory");
	if (w->failed)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: past the format's caps "
			       "(%u sections, %u bytes a section, %u bytes)",
			       SNAP_MAX_SECTIONS, SNAP_MAX_PAYLOAD, SNAP_MAX_BYTES);
	uint8_t *h = w->buf;
	memcpy(h, SNAP_MAGIC, 8);
	put32(h + 8, SNAP_VERSION);
	put32(h + 12, w->nsections);
	put64(h + 16, w->len);
	put32(h + 24, snap_crc32c(0, w->buf + SNAP_HEADER_BYTES, w->len - SNAP_HEADER_BYTES));
	put32(h + 28, 0);
	*out = w->buf;
	*out_len = w->len;
	return 0;
}

void snap_writer_free(struct snap_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static int bad(struct err *err, const char *what)
{
	return err_set(err, MVM_EXIT_BADARG, "snapshot: %s", what);
}

int snap_parse(const uint8_t *buf, size_t len, struct snap_view *v, struct err *err)
{
	memset(v, 0, sizeof(*v));
	if (len < SNAP_HEADER_BYTES)
		return bad(err, "shorter than its header");
	if (memcmp(buf, SNAP_MAGIC, 8))
		return bad(err, "not a snapshot (bad magic)");
	uint32_t version = get32(buf + 8), n = get32(buf + 12);
	if (version != SNAP_VERSION)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: version %u, this mvm reads %u",
			       version, SNAP_VERSION);
	if (get64(buf + 16) != len)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: %zu bytes, its header says %llu "
			       "(truncated or padded)", len, (unsigned long long)get64(buf + 16));
	if (len > SNAP_MAX_BYTES)
		return bad(err, "larger than the format's cap");
	if (get32(buf + 28) != 0)
		return bad(err, "reserved header field is not zero");
	if (n > SNAP_MAX_SECTIONS)
		return bad(err, "too many sections");
	if (snap_crc32c(0, buf + SNAP_HEADER_BYTES, len - SNAP_HEADER_BYTES) != get32(buf + 24))
		return bad(err, "checksum mismatch (corrupt)");
	v->sections = calloc(n ? n : 1, sizeof(*v->sections));
	if (!v->sections)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: out of memory");
	size_t off = SNAP_HEADER_BYTES;
	for (uint32_t i = 0; i < n; i++) {
		if (len - off < SNAP_SECTION_HEADER_BYTES)
			goto fail_trunc;
		const uint8_t *p = buf + off;
		uint32_t type = get32(p), inst = get32(p + 4);
		uint64_t plen = get64(p + 8);
		if (type == 0 || type >= SNAP_TYPE_END) {
			snap_view_free(v);
			return err_set(err, MVM_EXIT_BADARG, "snapshot: section %u has unknown type %u",
				       i, type);
		}
		if (plen > SNAP_MAX_PAYLOAD || pad8((size_t)plen) > len - off - SNAP_SECTION_HEADER_BYTES)
			goto fail_trunc;
		const uint8_t *data = p + SNAP_SECTION_HEADER_BYTES;
		for (size_t k = (size_t)plen; k < pad8((size_t)plen); k++)
			if (data[k]) {
				snap_view_free(v);
				return bad(err, "non-zero padding");
			}
		for (uint32_t j = 0; j < i; j++)
			if (v->sections[j].type == type && v->sections[j].instance == inst) {
				snap_view_free(v);
				return err_set(err, MVM_EXIT_BADARG, "snapshot: section type %u "
					       "instance %u twice", type, inst);
			}
		v->sections[i] = (struct snap_section){ type, inst, data, (size_t)plen };
		off += SNAP_SECTION_HEADER_BYTES + pad8((size_t)plen);
	}
	if (off != len) {
		snap_view_free(v);
		return bad(err, "bytes after the last section");
	}
	v->nsections = n;
	return 0;
fail_trunc:
	snap_view_free(v);
	return bad(err, "a section runs past the end");
}

void snap_view_free(struct snap_view *v)
{
	free(v->sections);
	v->sections = NULL;
	v->nsections = 0;
}

const struct snap_section *snap_find(const struct snap_view *v, enum snap_type type,
				     uint32_t instance)
{
	for (uint32_t i = 0; i < v->nsections; i++)
		if (v->sections[i].type == (uint32_t)type && v->sections[i].instance == instance)
			return &v->sections[i];
	return NULL;
}

int snap_get(const struct snap_view *v, enum snap_type type, uint32_t instance, void *out,
	     size_t size, struct err *err)
{
	const struct snap_section *s = snap_find(v, type, instance);
	if (!s)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: no section type %u instance %u",
			       (unsigned)type, instance);
	if (s->len != size)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: section type %u instance %u has "
			       "%zu bytes, not %zu", (unsigned)type, instance, s->len, size);
	memcpy(out, s->data, size);
	return 0;
}
