/* mvrun's verbs: one file per verb (cmd/), dispatched from mvrun.c through
 * the verb table (verbs.c), the option parsing they share, and the
 * lifecycle steps more than one verb takes (start, destroy). */
#ifndef MVRUN_SHIM_CMD_H
#define MVRUN_SHIM_CMD_H

#include "runtime-shim/host/host.h"

/* A verb's handler gets the arguments after the global options (argv[0] is
 * the verb) and returns mvrun's exit status. On failure it fills err, which
 * main() reports once, and returns err->status. It prints nothing to stderr
 * itself. */
struct shim_verb {
	const char *name;
	int (*run)(struct shim_ctx *g, int argc, char **argv, struct err *err);
	const char *summary; /* one line for mvrun help */
	const char *usage;   /* the operands and main options, after "mvrun VERB " */
	const char *options; /* one line an option for VERB --help; NULL: the verb has its own */
};

/* The i-th verb of the table (verbs.c), or NULL past the end. */
const struct shim_verb *shim_verb_at(size_t i);

/* The verb called name, or NULL. */
const struct shim_verb *shim_verb_find(const char *name);

/* The verbs' handlers (runtime-shim/cmd/, one file each), each with the
 * contract of shim_verb.run above. */
int shim_create(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_start(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_state(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_kill(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_delete(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_run(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_exec(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_list(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_spec(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_features(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_pause(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_resume(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_ps(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_update(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_setup(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_check(struct shim_ctx *g, int argc, char **argv, struct err *err);
int shim_events(struct shim_ctx *g, int argc, char **argv, struct err *err);

/* pause and resume: the verb's work, with pause telling which. (pause.c) */
int shim_set_paused(struct shim_ctx *g, int argc, char **argv, bool pause, struct err *err);

/* mvrun box: run CMD from a host rootfs in a microVM (box.c). Prints its own
 * errors and returns its exit status. */
int shim_box(int argc, char **argv);

/* Parse a verb's options with getopt_long from argv[0] (the verb): stops at
 * the first operand. Shared so every verb reports "VERB: unknown option X". */
struct option;
int shim_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		struct err *err);

/* Expect exactly `want` operands at argv[optind...]; else an error naming
 * the usage of verb argv[0] (the verb table's). */
int shim_operands(int argc, char **argv, int want, struct err *err);

/* "mvrun VERB USAGE" for verb name, in buf; returns buf. */
const char *shim_usage(const char *name, char *buf, size_t size);

/* --- the lifecycle steps shared by run, start and delete --- */

/* start: release a created container and run the poststart hooks. (start.c) */
int shim_start_container(struct shim_ctx *g, const char *id, struct err *err);

/* delete: with force, SIGKILL mvm and wait until it is gone; then the
 * poststop hooks, the cgroup and the state. Refuses a running container
 * without force. (delete.c) */
int shim_destroy(struct shim_ctx *g, const char *id, bool force, struct err *err);

#endif
