/* The guest-visible surface: every PIO port range and MMIO range mvm
 * answers, in one table. Devices register on the buses at set-up; mvm
 * refuses to run the guest if a bus holds a range this table does not list
 * (surface_covers), so the table and `mvm --print-surface` cannot drift
 * from the code. */
#ifndef MVM_SURFACE_H
#define MVM_SURFACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/core/bus.h"

enum surface_space { SURF_PIO, SURF_MMIO };

struct surface_entry {
	enum surface_space space;
	uint64_t base, len;
	const char *device;
	const char *when; /* which mvm options attach it */
	const char *notes;
};

extern const struct surface_entry surface_table[];
extern const int surface_nentries;

/* True if every range on the bus lies inside an entry of that space.
 * Otherwise false, with the first stray range's name in *stray. */
bool surface_covers(const struct bus *b, enum surface_space space, const char **stray);

/* Print the table, the in-kernel devices and the KVM exit kinds handled
 * (mvm --print-surface). */
void surface_print(FILE *f);

#endif
