/* mvrun: the runc-compatible CLI. runc's global options, then a verb from a
 * {name, handler} table (one file per verb); the handler fills an error
 * object that is reported here, once, on stderr and in --log. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/version.h"
#include "runtime-shim/shim.h"

static int verb_box(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	(void)g;
	(void)err;
	return shim_box(argc, argv);
}

static const struct shim_verb verbs[] = {
	{ "create", shim_create, "create a container from a bundle (runs until start)" },
	{ "start", shim_start, "start the process of a created container" },
	{ "state", shim_state, "print a container's state as JSON" },
	{ "kill", shim_kill, "send a signal to a container's process (default SIGTERM)" },
	{ "delete", shim_delete, "delete a stopped container (--force: any)" },
	{ "run", shim_run, "create and start a container, and wait for it unless --detach" },
	{ "exec", shim_exec, "run another process in a running container" },
	{ "pause", shim_pause, "freeze a running container's VM" },
	{ "resume", shim_resume, "thaw a paused container's VM" },
	{ "ps", shim_ps, "list a container's host processes (--format json: their pids)" },
	{ "update", shim_update, "change a running container's cgroup limits" },
	{ "events", shim_events, "print a container's stats as JSON every --interval (--stats: once)" },
	{ "list", shim_list, "list the containers under --root" },
	{ "spec", shim_spec, "write a default config.json" },
	{ "features", shim_features, "print what this mvrun supports, as JSON" },
	{ "check", shim_check, "say whether this host can run mvrun, one line an item" },
	{ "setup", shim_setup, "register mvrun with docker, podman or containerd (kubernetes: a RuntimeClass)" },
	{ "box", verb_box, "run CMD from a host rootfs in a microVM: mvrun box ROOTFS -- CMD" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mvrun [global options] COMMAND [options] [args]\n"
		   "mvrun runs containers, each in its own KVM microVM.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "  %-9s %s\n", "help", "show this text");
	fprintf(f, "\nglobal options:\n"
		   "  --root DIR             container state (default " SHIM_DEFAULT_ROOT ")\n"
		   "  --log FILE             append errors, warnings and debug lines to FILE\n"
		   "                         (runc's format; made even when nothing is logged)\n"
		   "  --log-format text|json the format of log lines (default text)\n"
		   "  --debug                debug lines, and warnings, in --log, else on stderr\n"
		   "  --systemd-cgroup       use systemd for cgroups (not supported)\n"
		   "  --version              print the version\n");
}

/* --debug: the command line first, as runc's debug log opens with what it
 * was asked to do. */
static void debug_command(const struct shim_ctx *g, int argc, char **argv)
{
	char line[900];
	size_t n = 0;
	line[0] = 0;
	for (int i = 0; i < argc && n < sizeof(line) - 1; i++) {
		int w = snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
		if (w < 0)
			break;
		n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
	}
	shim_debug(g, "mvrun %s: %s (root %s)", MVRUN_VERSION, line, g->root);
}

static int version(void)
{
	/* dockerd parses "<name> version X\ncommit: Y\nspec: Z". */
	printf("mvrun version %s\ncommit: unknown\nspec: %s\n", MVRUN_VERSION, SHIM_OCI_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_ROOT = 256, O_LOG, O_FMT, O_DEBUG, O_SYSTEMD, O_CRIU, O_ROOTLESS, O_VERSION };
	static const struct option opts[] = {
		{ "root", required_argument, 0, O_ROOT },
		{ "log", required_argument, 0, O_LOG },
		{ "log-format", required_argument, 0, O_FMT },
		{ "debug", no_argument, 0, O_DEBUG },
		{ "systemd-cgroup", no_argument, 0, O_SYSTEMD },
		{ "criu", required_argument, 0, O_CRIU },
		{ "rootless", required_argument, 0, O_ROOTLESS },
		{ "version", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct shim_ctx g = { .root = SHIM_DEFAULT_ROOT };
	struct err err = { 0 };
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: g.root = optarg; break;
		case O_LOG: g.log_path = optarg; break;
		case O_FMT:
			if (!strcmp(optarg, "json"))
				g.log_json = true;
			else if (strcmp(optarg, "text"))
				err_set(&err, 1, "--log-format %s: must be text or json", optarg);
			break;
		case O_DEBUG: g.debug = true; break;
		case O_SYSTEMD: g.systemd_cgroup = true; break;
		case O_CRIU: break; /* checkpointing is not supported; the path is irrelevant */
		case O_ROOTLESS:
			if (strcmp(optarg, "false") && strcmp(optarg, "auto"))
				err_set(&err, 1, "--rootless %s: rootless containers are not supported",
					optarg);
			break;
		case 'v': return version();
		case 'h': usage(stdout); return 0;
		case ':': err_set(&err, 1, "%s needs a value", argv[optind - 1]); break;
		default: err_set(&err, 1, "unknown global option %s (see mvrun help)", argv[optind - 1]);
		}
	}
	if (!err.status && optind >= argc) {
		usage(stderr);
		return 1;
	}
	if (!err.status && g.root[0] != '/')
		err_set(&err, 1, "--root %s: must be an absolute path", g.root);
	if (!err.status)
		shim_log_open(&g, &err);
	if (err.status) {
		shim_report(&g, &err);
		return err.status;
	}
	const char *v = argv[optind];
	if (!strcmp(v, "help")) {
		usage(stdout);
		return 0;
	}
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(v, verbs[i].name))
			continue;
		if (g.debug)
			debug_command(&g, argc, argv);
		optind = 0; /* the verb parses its own options from argv[0] */
		int status = verbs[i].run(&g, argc, argv, &err);
		if (err.status) {
			shim_report(&g, &err);
			status = err.status;
		}
		shim_debug(&g, "%s: exit status %d", v, status);
		return status;
	}
	err_set(&err, 1, "%s: unknown command (see mvrun help)", v);
	shim_report(&g, &err);
	return 1;
}
