/* hooks.c's internals, for its unit tests: one hook run to its end, with
 * what it left behind. */
#ifndef MVRUN_SHIM_HOOKS_INT_H
#define MVRUN_SHIM_HOOKS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime-shim/host/hooks.h"

#define HOOK_OUT_MAX 4096 /* output kept for the error message */

struct hook_run {
	const struct hook *h;
	const char *what;
	pid_t pid;
	int status;           /* wait status once reaped */
	bool timed_out;
	int exec_errno;       /* exec failed in the child */
	char out[HOOK_OUT_MAX + 1];
	size_t out_len;
};

/* Run r->h to completion (or to its timeout) with `state` (NULL: nothing)
 * on its stdin. Returns 0 once it was reaped (r->status, r->timed_out,
 * r->exec_errno and r->out say how it ended), or -1 with err when mvrun
 * could not run it at all. */
int hooks_run_one(struct hook_run *r, const char *state, struct err *err);

#endif
