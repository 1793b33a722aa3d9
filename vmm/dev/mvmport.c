#include "vmm/dev/mvmport.h"

#include <string.h>
#include <sys/random.h>

#include "proto/mvm_port.h"

/* Fill the record a guest reads after its save point: whether it was
 * restored, the host's wall clock now, this mvm's own entropy. */
static void fresh_latch(struct mvmport *d)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&d->fresh_lock);
	memset(d->fresh, 0, sizeof(d->fresh));
	d->fresh[0] = d->restored ? MVM_FRESH_RESTORED : 0;
	d->fresh[1] = (uint32_t)(uint64_t)now.tv_sec;
	d->fresh[2] = (uint32_t)((uint64_t)now.tv_sec >> 32);
	d->fresh[3] = (uint32_t)now.tv_nsec;
	memcpy(&d->fresh[MVM_FRESH_ENTROPY_WORD], d->entropy, sizeof(d->entropy));
	d->fresh_pos = 0;
	pthread_mutex_unlock(&d->fresh_lock);
}

static uint32_t fresh_next(struct mvmport *d)
{
	pthread_mutex_lock(&d->fresh_lock);
	uint32_t v = d->fresh_pos < MVM_FRESH_WORDS ? d->fresh[d->fresh_pos++] : 0;
	pthread_mutex_unlock(&d->fresh_lock);
	return v;
}

static void mvmport_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	struct mvmport *d = opaque;
	uint64_t port = MVM_PORT_BASE + off;
	if (!wr) {
		uint32_t v = port == MVM_PORT_MARK ? atomic_load(&d->mark_us)
			   : port == MVM_PORT_FRESH && len == 4 ? fresh_next(d) : 0;
		memset(data, 0, len);
		memcpy(data, &v, len < 4 ? len : 4);
		return;
	}
	if (port == MVM_PORT_MARK && len == 1 && data[0] != 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t us = (now.tv_sec - d->t0.tv_sec) * 1000000LL +
			     (now.tv_nsec - d->t0.tv_nsec) / 1000;
		uint32_t v = us <= 0 ? 1u : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
		unsigned none = 0;
		atomic_store(&d->mark_us, v);
		atomic_store(&d->mark, data[0]);
		/* The id is the guest's byte: only in-range ids index the table. */
		if (data[0] < MVM_MARK_COUNT)
			atomic_compare_exchange_strong(&d->first_us[data[0]], &none, v);
	} else if (port == MVM_PORT_SHUTDOWN && len == 4) {
		uint32_t v;
		memcpy(&v, data, 4);
		if (v <= 255)
			atomic_store(&d->shutdown, (int)v);
		else
			atomic_fetch_add(&d->bad_writes, 1);
	} else if (port == MVM_PORT_SAVE && len == 4) {
		uint32_t v;
		memcpy(&v, data, 4);
		if (v != MVM_SAVE_POINT) {
			atomic_fetch_add(&d->bad_writes, 1);
			return;
		}
		atomic_store(&d->at_save_point, true);
		if (d->save_stop)
			vmstop_request(d->save_stop, VM_STOP_SAVE, -1, "the guest is at its save point");
	} else if (port == MVM_PORT_FRESH && len == 4) {
		fresh_latch(d);
	} else {
		atomic_fetch_add(&d->bad_writes, 1);
	}
}

int mvmport_attach(struct mvmport *d, struct bus *pio, const struct timespec *t0)
{
	memset(d, 0, sizeof(*d));
	d->t0 = *t0;
	atomic_store(&d->shutdown, -1);
	pthread_mutex_init(&d->fresh_lock, NULL);
	if (getrandom(d->entropy, sizeof(d->entropy), 0) != (ssize_t)sizeof(d->entropy))
		return -1;
	return bus_register(pio, MVM_PORT_BASE, MVM_PORT_LEN, mvmport_io, d, "mvm-port");
}
