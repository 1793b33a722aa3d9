/* A bus maps address ranges (PIO ports or MMIO) to device handlers. It is
 * filled during setup and read-only while vCPUs run, so lookups need no lock;
 * each device serialises its own state. */
#ifndef MVM_BUS_H
#define MVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_DEVS 32

/* Handle one access at `offset` into the device's range. For reads, fill
 * data[0..len); for writes, data holds the value. len is 1, 2, 4 or 8. */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write);

struct bus_dev {
	uint64_t base, len;
	bus_io_fn io;
	void *opaque;
	const char *name;
};

struct bus {
	int nr;
	struct bus_dev devs[BUS_MAX_DEVS]; /* sorted by base, non-overlapping */
};

/* Add [base, base+len) → io. Returns 0, or -1 if len is 0, the range wraps,
 * overlaps a registered one, or the bus is full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn io, void *opaque,
		 const char *name);

/* The device whose range holds all of [addr, addr+len), or NULL. */
const struct bus_dev *bus_find(const struct bus *b, uint64_t addr, uint32_t len);

/* Dispatch an access. Returns true if a device took it. An unclaimed read
 * leaves data as the caller filled it (all-ones for PIO, zeros for MMIO). */
bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
