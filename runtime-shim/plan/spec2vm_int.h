/* Shared among the spec2vm*.c files only. */
#ifndef MVRUN_SHIM_SPEC2VM_INT_H
#define MVRUN_SHIM_SPEC2VM_INT_H

#include "runtime-shim/oci/config_json.h"
#include "runtime-shim/plan/spec2vm.h"

/* "config.json: FIELD: message", as the parser reports (config_json.c). */
#define s2v_bad cj_bad
/* Add a note (dropped beyond S2V_MAX_NOTES). */
void s2v_note(struct s2v_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append one formatted argument to p->argv. Returns 0 or -1 (out of memory). */
int s2v_push(struct s2v_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Own a formatted string for the spec (freed with the plan). Returns it, or
 * NULL (out of memory). */
const char *s2v_own(struct s2v_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Check every mount: the SPEC's mounts, mvm's --volume and --file shares.
 * Returns 0 or -1 with err. */
int s2v_mounts(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
	       struct err *err);

/* Check the process's groups and rlimits against the codec's limits, build
 * p->confine from c and announce it in p->spec's flags. Returns 0 or -1 with
 * err. (spec2vm_confine.c) */
int s2v_confine(const struct cfg *c, struct s2v_plan *p, struct err *err);

/* Check the createContainer and startContainer hooks (counts; a
 * createContainer path must be in the rootfs) and set p->guest_hooks.
 * Returns 0 or -1 with err. (spec2vm_hooks.c) */
int s2v_hooks(const struct cfg *c, struct s2v_plan *p, struct err *err);

/* Check c's user namespace and its maps (a user namespace iff maps, both
 * maps, no overlapping entries, the process's and devices' ids mapped).
 * Returns 0 or -1 with err. (spec2vm_userns.c) */
int s2v_userns(const struct cfg *c, struct s2v_plan *p, struct err *err);

#endif
