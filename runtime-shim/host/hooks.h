/* OCI hooks (runtime-spec config.md#posix-platform-hooks) run on the host:
 * path, args, env, timeout, with the container state JSON on stdin. */
#ifndef MVRUN_SHIM_HOOKS_H
#define MVRUN_SHIM_HOOKS_H

#include "common/err.h"
#include "runtime-shim/oci/config.h" /* struct hook */

/* Run each hook in order, feeding `state_json` (NULL: nothing) on its stdin,
 * then closing it; a hook that does not read it is fine. Its stdout and
 * stderr are captured (the engine owns mvrun's stdio), and the first 4 KiB
 * go into the error message (on one line) if it fails, as runc does. The
 * hook gets no other fd of mvrun's, an empty signal mask and default
 * dispositions. Stops at the first failure; `what` names the hook kind:
 *   "prestart hook /usr/bin/x exited with status 1: <output>"
 *   "... was killed by signal 15 (Terminated): <output>"
 *   "... timed out after N s: <output>"   (SIGKILLed at the timeout)
 *   "prestart hook /usr/bin/x: exec: No such file or directory"
 * Returns once the hook has exited, not when children it left behind
 * close its output. The caller must not ignore SIGCHLD (no exit status
 * then: an error). Returns 0 or -1 with err. */
int hooks_run(const struct hook *hooks, int n, const char *what, const char *state_json,
	      struct err *err);

#endif
