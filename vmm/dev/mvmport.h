/* The mvm control port (proto/mvm_port.h): boot milestones timed against
 * mvm's start, and mvinit's shutdown notice carrying the exit status. */
#ifndef MVM_DEV_MVMPORT_H
#define MVM_DEV_MVMPORT_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "proto/mvm_port.h"
#include "vmm/core/bus.h"

struct mvmport {
	struct timespec t0;       /* mvm's start (CLOCK_MONOTONIC) */
	atomic_uint mark_us;      /* µs from t0 to the latest milestone, 0 = none */
	atomic_int mark;          /* the latest milestone id, 0 = none */
	atomic_uint first_us[MVM_MARK_COUNT]; /* µs from t0 to each milestone's first
					       * write, 0 = not seen; [0] unused */
	atomic_int shutdown;      /* status from the notice, -1 = no notice */
	atomic_uint bad_writes;   /* malformed accesses, ignored */
};

/* Register the port window on `pio`; t0 is the time milestones are measured
 * from. Returns 0 or -1 (bus conflict). */
int mvmport_attach(struct mvmport *d, struct bus *pio, const struct timespec *t0);

#endif
