/* OCI hooks (runtime-spec config.md#posix-platform-hooks) run on the host:
 * path, args, env, timeout, with the container state JSON on stdin. */
#ifndef MVRUN_SHIM_HOOKS_H
#define MVRUN_SHIM_HOOKS_H

#include "runtime-shim/err.h"

struct hook {
	const char *path;    /* absolute */
	char **args;         /* NULL-terminated, or NULL: just path */
	char **env;          /* NULL-terminated, or NULL: empty environment */
	int timeout;         /* seconds, 0 = none */
};

/* Run each hook in order, feeding `state_json` on its stdin. Its stdout and
 * stderr are captured (the engine owns mvrun's stdio), and the first 4 KiB
 * go into the error message if it fails, as runc does. Stops at the first
 * failure: a non-zero exit, a signal, or the timeout (the hook is killed).
 * `what` names the hook kind in messages ("prestart hook /usr/bin/x exited
 * with status 1: <output>"). Returns 0 or -1 with err. */
int hooks_run(const struct hook *hooks, int n, const char *what, const char *state_json,
	      struct shim_err *err);

#endif
