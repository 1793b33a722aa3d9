/* mvrun exec's command line (exec.c): runc exec's options, and the process
 * they make from the container's own, as runc's getProcess builds it. */
#ifndef MVRUN_SHIM_EXEC_OPTS_H
#define MVRUN_SHIM_EXEC_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime-shim/oci/config.h"
#include "common/err.h"
#include "runtime-shim/cmd/cmd.h"

#define EXEC_MAX_ENV 1024
#define EXEC_MAX_CAPS 64
#define EXEC_MAX_GIDS 64

struct exec_opts {
	const char *process, *pid_file, *console_socket, *cwd, *user;
	const char *apparmor, *label;  /* --apparmor, --process-label: noted, not applied */
	const char *cgroup;            /* --cgroup [:]SUB: the host process goes to the
					* container's cgroup's SUB (cgroup v2: no controller) */
	const char *env[EXEC_MAX_ENV];
	int nenv;
	const char *caps[EXEC_MAX_CAPS]; /* --cap, checked to be capability names */
	int ncaps;
	uint32_t gids[EXEC_MAX_GIDS];  /* --additional-gids */
	int ngids;
	bool detach, tty, nnp, ignore_paused;
};

/* Parse argv into o (getopt's optind then indexes ID). Returns 0, or -1
 * with err (status 1) naming the option: an unknown one, a --cap that is
 * no capability, --preserve-fds above 0 (host fds cannot reach the VM). */
int exec_parse_opts(int argc, char **argv, struct exec_opts *o, struct err *err);

/* The container's own process (config.json as saved at create, in
 * ROOT/id) with args (nargs of them) and o's overrides, as runc exec builds
 * it: --cwd, --env (replacing a variable of the same name), --user,
 * --additional-gids appended, --tty, and each --cap added to the bounding,
 * effective and permitted sets, and to the ambient set when the config
 * has an inheritable one. c is then the caller's to cfg_free(). Returns 0
 * or -1 with err. */
int exec_own_process(struct shim_ctx *g, const char *id, const struct exec_opts *o,
		     char **args, int nargs, struct cfg *c, struct err *err);

#endif
