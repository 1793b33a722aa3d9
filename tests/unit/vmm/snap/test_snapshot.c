/* The snapshot format (vmm/snap/snapshot.c): a round trip, and every kind of
 * damage a file can have refused with one error naming it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/snap/snapshot.h"

struct built {
	struct snap_writer w;
	uint8_t *buf; /* a private copy, free to damage */
	size_t len;
};

static void build(struct built *b)
{
	memset(b, 0, sizeof(*b));
	struct snap_vm_info info = { .mem_bytes = 1 << 20, .ncpus = 2, .irqchip = 1 };
	uint8_t odd[13];
	for (size_t i = 0; i < sizeof(odd); i++)
		odd[i] = (uint8_t)(0xa0 + i);
	snap_add(&b->w, SNAP_VM, 0, &info, sizeof(info));
	snap_add(&b->w, SNAP_CPU_REGS, 0, odd, sizeof(odd));
	snap_add(&b->w, SNAP_CPU_REGS, 1, odd, 5);
	snap_add(&b->w, SNAP_DEVICE, 7, NULL, 0);
	const uint8_t *out;
	struct err err = { 0 };
	cr_assert_eq(snap_finish(&b->w, &out, &b->len, &err), 0, "%s", err.msg);
	b->buf = malloc(b->len);
	cr_assert_not_null(b->buf);
	memcpy(b->buf, out, b->len);
}

static void unbuild(struct built *b)
{
	snap_writer_free(&b->w);
	free(b->buf);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Re-seal the checksum after a deliberate change past the header, so the
 * check under test is the one that refuses it. */
static void reseal(struct built *b)
{
	put32(b->buf + 24, snap_crc32c(0, b->buf + SNAP_HEADER_BYTES, b->len - SNAP_HEADER_BYTES));
}

static void refused(const uint8_t *buf, size_t len, const char *needle)
{
	struct snap_view v;
	struct err err = { 0 };
	cr_assert_eq(snap_parse(buf, len, &v, &err), -1, "accepted; wanted \"%s\"", needle);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, needle), "\"%s\" does not say \"%s\"", err.msg, needle);
	cr_assert_null(v.sections, "no index left behind");
}

Test(snapshot, round_trip)
{
	struct built b;
	build(&b);
	cr_assert_eq(b.len % 8, 0);
	struct snap_view v;
	struct err err = { 0 };
	cr_assert_eq(snap_parse(b.buf, b.len, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v.nsections, 4);
	struct snap_vm_info info;
	cr_assert_eq(snap_get(&v, SNAP_VM, 0, &info, sizeof(info), &err), 0, "%s", err.msg);
	cr_assert_eq(info.mem_bytes, 1 << 20);
	cr_assert_eq(info.ncpus, 2);
	const struct snap_section *s = snap_find(&v, SNAP_CPU_REGS, 1);
	cr_assert_not_null(s);
	cr_assert_eq(s->len, 5);
	cr_assert_eq(s->data[4], 0xa4);
	cr_assert_eq(snap_find(&v, SNAP_CPU_REGS, 0)->len, 13);
	cr_assert_eq(snap_find(&v, SNAP_DEVICE, 7)->len, 0);
	cr_assert_null(snap_find(&v, SNAP_CPU_REGS, 2));
	uint8_t small[4];
	cr_assert_eq(snap_get(&v, SNAP_CPU_REGS, 1, small, sizeof(small), &err), -1);
	cr_assert(strstr(err.msg, "has 5 bytes, not 4"), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(snap_get(&v, SNAP_PIT, 0, small, sizeof(small), &err), -1);
	cr_assert(strstr(err.msg, "no section type"), "%s", err.msg);
	snap_view_free(&v);
	snap_view_free(&v); /* twice is safe */
	unbuild(&b);
}

Test(snapshot, empty_is_valid)
{
	struct snap_writer w = { 0 };
	const uint8_t *out;
	size_t len;
	struct err err = { 0 };
	cr_assert_eq(snap_finish(&w, &out, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(len, SNAP_HEADER_BYTES);
	struct snap_view v;
	cr_assert_eq(snap_parse(out, len, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v.nsections, 0);
	snap_view_free(&v);
	snap_writer_free(&w);
}

Test(snapshot, every_truncation_is_refused)
{
	struct built b;
	build(&b);
	for (size_t n = 0; n < b.len; n++) {
		struct snap_view v;
		struct err err = { 0 };
		cr_assert_eq(snap_parse(b.buf, n, &v, &err), -1, "%zu of %zu bytes accepted", n, b.len);
		cr_assert(err.msg[0]);
	}
	unbuild(&b);
}

Test(snapshot, every_bit_flip_is_refused)
{
	struct built b;
	build(&b);
	for (size_t i = 0; i < b.len; i++)
		for (int bit = 0; bit < 8; bit++) {
			b.buf[i] ^= (uint8_t)(1 << bit);
			struct snap_view v;
			struct err err = { 0 };
			int r = snap_parse(b.buf, b.len, &v, &err);
			b.buf[i] ^= (uint8_t)(1 << bit);
			cr_assert_eq(r, -1, "a flip of byte %zu bit %d was accepted", i, bit);
		}
	unbuild(&b);
}

Test(snapshot, header_damage_is_named)
{
	struct built b;
	build(&b);
	refused(b.buf, 10, "shorter than its header");
	b.buf[0] = 'X';
	refused(b.buf, b.len, "bad magic");
	b.buf[0] = 'M';
	put32(b.buf + 8, 2);
	refused(b.buf, b.len, "version 2, this mvm reads 1");
	put32(b.buf + 8, SNAP_VERSION);
	uint8_t *longer = calloc(1, b.len + 8);
	memcpy(longer, b.buf, b.len);
	refused(longer, b.len + 8, "truncated or padded");
	free(longer);
	put32(b.buf + 28, 1);
	refused(b.buf, b.len, "reserved header field");
	put32(b.buf + 28, 0);
	b.buf[b.len - 1] ^= 1; /* the last payload or padding byte */
	refused(b.buf, b.len, "checksum mismatch");
	unbuild(&b);
}

Test(snapshot, section_damage_is_named)
{
	struct built b;
	size_t s1 = SNAP_HEADER_BYTES + SNAP_SECTION_HEADER_BYTES + 16; /* the second section */
	build(&b);
	put32(b.buf + s1, 0);
	reseal(&b);
	refused(b.buf, b.len, "section 1 has unknown type 0");
	put32(b.buf + s1, SNAP_TYPE_END);
	reseal(&b);
	refused(b.buf, b.len, "unknown type");
	put32(b.buf + s1, SNAP_VM); /* a second (SNAP_VM, 0) */
	reseal(&b);
	refused(b.buf, b.len, "section type 1 instance 0 twice");
	unbuild(&b);

	build(&b);
	put32(b.buf + s1 + 8, 0x7fffffff); /* payload length past the end */
	reseal(&b);
	refused(b.buf, b.len, "runs past the end");
	unbuild(&b);

	build(&b);
	b.buf[s1 + SNAP_SECTION_HEADER_BYTES + 13] = 1; /* padding after 13 bytes */
	reseal(&b);
	refused(b.buf, b.len, "non-zero padding");
	unbuild(&b);

	build(&b);
	put32(b.buf + 12, 3); /* one section fewer than there are */
	reseal(&b);
	refused(b.buf, b.len, "bytes after the last section");
	put32(b.buf + 12, 5); /* one more than there are */
	reseal(&b);
	refused(b.buf, b.len, "runs past the end");
	put32(b.buf + 12, SNAP_MAX_SECTIONS + 1);
	reseal(&b);
	refused(b.buf, b.len, "too many sections");
	unbuild(&b);
}

Test(snapshot, writer_caps)
{
	struct snap_writer w = { 0 };
	static uint8_t big[SNAP_MAX_PAYLOAD + 1];
	snap_add(&w, SNAP_DEVICE, 0, big, sizeof(big));
	const uint8_t *out;
	size_t len;
	struct err err = { 0 };
	cr_assert_eq(snap_finish(&w, &out, &len, &err), -1);
	cr_assert(strstr(err.msg, "past the format's caps"), "%s", err.msg);
	snap_writer_free(&w);

	for (uint32_t i = 0; i <= SNAP_MAX_SECTIONS; i++)
		snap_add(&w, SNAP_DEVICE, i, NULL, 0);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(snap_finish(&w, &out, &len, &err), -1, "%u sections written", SNAP_MAX_SECTIONS + 1);
	snap_writer_free(&w);
}

Test(snapshot, crc32c_known_value)
{
	/* The standard check value of CRC-32C. */
	cr_assert_eq(snap_crc32c(0, "123456789", 9), 0xe3069283u);
	cr_assert_eq(snap_crc32c(snap_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u, "continues");
}
