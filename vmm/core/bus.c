#include "vmm/core/bus.h"

#include <stddef.h>

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn io, void *opaque,
		 const char *name)
{
	if (len == 0 || base > UINT64_MAX - len || b->nr >= BUS_MAX_DEVS || !io)
		return -1;
	int pos = 0;
	while (pos < b->nr && b->devs[pos].base < base)
		pos++;
	if (pos > 0 && b->devs[pos - 1].base + b->devs[pos - 1].len > base)
		return -1;
	if (pos < b->nr && base + len > b->devs[pos].base)
		return -1;
	for (int i = b->nr; i > pos; i--)
		b->devs[i] = b->devs[i - 1];
	b->devs[pos] = (struct bus_dev){ base, len, io, opaque, name };
	b->nr++;
	return 0;
}

const struct bus_dev *bus_find(const struct bus *b, uint64_t addr, uint32_t len)
{
	int lo = 0, hi = b->nr - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct bus_dev *d = &b->devs[mid];
		if (addr < d->base) {
			hi = mid - 1;
		} else if (addr - d->base >= d->len) {
			lo = mid + 1;
		} else {
			return len <= d->len - (addr - d->base) ? d : NULL;
		}
	}
	return NULL;
}

bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct bus_dev *d = bus_find(b, addr, len);
	if (!d)
		return false;
	d->io(d->opaque, addr - d->base, data, len, is_write);
	return true;
}
