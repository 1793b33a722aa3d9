/* mvrun create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID:
 * boots the container's VM and returns once the guest holds the process,
 * set up, until mvrun start (launch.c does the work). */
#include <getopt.h>
#include <stdlib.h>

#include "runtime-shim/cmd/cmd.h"

/* The options create and run share; returns -1 at the end of the options,
 * 0 for one handled here, the option otherwise, -2 with err on a bad one. */
int shim_create_opt(int c, struct launch_opts *o, struct err *err);

int shim_create_opt(int c, struct launch_opts *o, struct err *err)
{
	char *end;
	switch (c) {
	case 'b': o->bundle = optarg; return 0;
	case 'p': o->pid_file = optarg; return 0;
	case 's': o->console_socket = optarg; return 0;
	case 'k': /* --no-pivot, --no-new-keyring: the guest has neither to skip */
		return 0;
	case 'f':
		o->preserve_fds = (int)strtol(optarg, &end, 10);
		if (*end || o->preserve_fds < 0)
			return err_set(err, 1, "--preserve-fds %s: not a count", optarg), -2;
		return 0;
	default: return c;
	}
}

#define CREATE_OPTS                                                                   \
	{ "bundle", required_argument, 0, 'b' }, { "pid-file", required_argument, 0, 'p' }, \
		{ "console-socket", required_argument, 0, 's' },                            \
		{ "no-pivot", no_argument, 0, 'k' }, { "no-new-keyring", no_argument, 0, 'k' }, \
		{ "preserve-fds", required_argument, 0, 'f' }

int shim_create(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { CREATE_OPTS, { 0, 0, 0, 0 } };
	struct launch_opts o = { 0 };
	int c;
	while ((c = shim_getopt(argc, argv, "b:", opts, err)) != -1)
		if (c == -2 || shim_create_opt(c, &o, err) != 0)
			return err->status ? err->status : 1;
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	o.id = argv[optind];
	pid_t pid;
	return shim_launch(g, &o, &pid, err) < 0 ? err->status : 0;
}
