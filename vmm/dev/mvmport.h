/* The mvm control port (proto/mvm_port.h): boot milestones timed against
 * mvm's start, mvinit's shutdown notice carrying the exit status, the save
 * point, and the fresh record (clock, entropy) a guest reads after it. */
#ifndef MVM_DEV_MVMPORT_H
#define MVM_DEV_MVMPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto/mvm_port.h"
#include "vmm/core/bus.h"
#include "vmm/core/stop.h"

struct mvmport {
	struct timespec t0;       /* mvm's start (CLOCK_MONOTONIC) */
	atomic_uint mark_us;      /* µs from t0 to the latest milestone, 0 = none */
	atomic_int mark;          /* the latest milestone id, 0 = none */
	atomic_uint first_us[MVM_MARK_COUNT]; /* µs from t0 to each milestone's first
					       * write, 0 = not seen; [0] unused */
	atomic_int shutdown;      /* status from the notice, -1 = no notice */
	atomic_uint bad_writes;   /* malformed accesses, ignored */
	/* The save point: with save_stop set (mvm --snapshot-save), mvinit's
	 * notice stops the VM there with VM_STOP_SAVE. */
	struct vm_stop *save_stop;
	atomic_bool at_save_point; /* the notice came */
	bool restored;            /* this guest came from a snapshot */
	pthread_mutex_t fresh_lock; /* the record and its cursor (vCPU threads) */
	uint32_t fresh[MVM_FRESH_WORDS];
	uint32_t fresh_pos;
	uint8_t entropy[64];      /* drawn at attach, before any filter */
};

/* Register the port window on `pio`; t0 is the time milestones are measured
 * from. Draws the fresh record's entropy (getrandom). Returns 0 or -1 (bus
 * conflict, no entropy). */
int mvmport_attach(struct mvmport *d, struct bus *pio, const struct timespec *t0);

#endif
