/* Fixed little-endian fields in and out of a device section, for
 * vmm/snap/snap_dev.c and snap_virtio.c only. A reader past the end reads
 * zeros and remembers it, so a parser reads every field, then checks once
 * (dec_done) that the section was exactly that long. */
#ifndef MVM_SNAP_CODEC_H
#define MVM_SNAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ENC_MAX 1024 /* the largest device section: a transport with 8 queues */

struct enc {
	uint8_t b[ENC_MAX];
	size_t n;
};

struct dec {
	const uint8_t *p;
	size_t n, off;
	bool past; /* a read went past the end */
};

/* Every section fits ENC_MAX by construction (snap_virtio.c asserts the
 * largest); a field that would not is dropped rather than overrun. */
static inline void enc_bytes(struct enc *e, const void *v, size_t len)
{
	if (len <= ENC_MAX - e->n) {
		memcpy(e->b + e->n, v, len);
		e->n += len;
	}
}

static inline void enc_u(struct enc *e, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	enc_bytes(e, b, (size_t)bytes);
}

static inline void dec_bytes(struct dec *d, void *out, size_t len)
{
	if (d->past || d->n - d->off < len) {
		d->past = true;
		memset(out, 0, len);
		return;
	}
	memcpy(out, d->p + d->off, len);
	d->off += len;
}

static inline uint64_t dec_u(struct dec *d, int bytes)
{
	uint8_t b[8];
	uint64_t v = 0;
	dec_bytes(d, b, (size_t)bytes);
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* True when the section was read exactly to its end. */
static inline bool dec_done(const struct dec *d)
{
	return !d->past && d->off == d->n;
}

#endif
