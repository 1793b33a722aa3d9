/* libFuzzer target for the snapshot format (vmm/snap/snapshot.c): a snapshot is
 * input (a template file any root process could have replaced), so
 * snap_parse must refuse every malformed one and never read past it.
 *
 * What is checked beyond "no crash": an accepted snapshot re-encodes, section
 * by section through the writer, to the very same bytes (the format is
 * canonical); every section lies inside the input; snap_find finds each.
 * The checksum would stop almost every mutation at the door, so every input
 * is also tried with its checksum fixed up, to reach the section walk.
 *
 *   make build/fuzz/snapshot_fuzz && tests/fuzz/run.sh build/fuzz/snapshot_fuzz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/snap/snapshot.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "snapshot_fuzz: %s\n", what);
		abort();
	}
}

static void one(const uint8_t *buf, size_t len)
{
	struct snap_view v;
	struct err err = { 0 };
	if (snap_parse(buf, len, &v, &err) < 0) {
		check(err.status != 0 && err.msg[0], "refused without an error");
		snap_view_free(&v);
		return;
	}
	struct snap_writer w = { 0 };
	for (uint32_t i = 0; i < v.nsections; i++) {
		const struct snap_section *s = &v.sections[i];
		check(s->data >= buf && s->data + s->len <= buf + len, "section outside the input");
		check(snap_find(&v, s->type, s->instance) == s, "snap_find misses a section");
		snap_add(&w, s->type, s->instance, s->data, s->len);
	}
	const uint8_t *out;
	size_t out_len;
	struct err err2 = { 0 };
	check(snap_finish(&w, &out, &out_len, &err2) == 0, "an accepted snapshot does not re-encode");
	check(out_len == len && !memcmp(out, buf, len), "re-encoding differs");
	snap_writer_free(&w);
	snap_view_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	one(buf, size);
	if (size >= SNAP_HEADER_BYTES) { /* fix the length and checksum, try again */
		memcpy(buf, SNAP_MAGIC, 8);
		for (int i = 0; i < 8; i++)
			buf[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
		uint32_t crc = snap_crc32c(0, buf + SNAP_HEADER_BYTES, size - SNAP_HEADER_BYTES);
		for (int i = 0; i < 4; i++)
			buf[24 + i] = (uint8_t)(crc >> (8 * i));
		one(buf, size);
	}
	free(buf);
	return 0;
}
