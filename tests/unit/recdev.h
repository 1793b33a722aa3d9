/* A fake bus device for unit tests: records every access it gets and answers
 * reads from a script, so tests can check exactly what a bus or the exit
 * handler passed on. Header-only; each test owns its recdev. */
#ifndef MVM_TESTS_RECDEV_H
#define MVM_TESTS_RECDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vmm/core/bus.h"

#define RECDEV_MAX 64

struct recdev_access {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	uint8_t data[8]; /* the written value, or what the device answered */
};

struct recdev {
	int n;                      /* accesses seen (may exceed RECDEV_MAX) */
	struct recdev_access a[RECDEV_MAX];
	uint64_t read_value;        /* answer to reads, little-endian */
	bool read_increments;       /* add 1 to read_value after each read */
};

/* bus_io_fn: record the access; answer reads with read_value. */
static inline void recdev_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct recdev *d = opaque;
	struct recdev_access *x = d->n < RECDEV_MAX ? &d->a[d->n] : NULL;
	d->n++;
	uint32_t n = len < 8 ? len : 8;
	if (!is_write) {
		memset(data, 0, len);
		memcpy(data, &d->read_value, n);
		if (d->read_increments)
			d->read_value++;
	}
	if (x) {
		x->offset = offset;
		x->len = len;
		x->is_write = is_write;
		memset(x->data, 0, sizeof(x->data));
		memcpy(x->data, data, n);
	}
}

/* The recorded bytes of access i as a little-endian integer. */
static inline uint64_t recdev_value(const struct recdev *d, int i)
{
	uint64_t v = 0;
	memcpy(&v, d->a[i].data, 8);
	return v;
}

#endif
