/* mvrun: the runc-compatible CLI. runc's global options, then a verb from a
 * {name, handler} table (one file per verb); the handler fills an error
 * object that is reported here, once, on stderr and in --log. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/version.h"
#include "runtime-shim/cmd/cmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mvrun [global options] COMMAND [options] [args]\n"
		   "mvrun runs containers, each in its own KVM microVM.\n\ncommands:\n");
	const struct shim_verb *v;
	for (size_t i = 0; (v = shim_verb_at(i)); i++)
		fprintf(f, "  %-9s %s\n", v->name, v->summary);
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

/* VERB --help (or -h) among the options before the first operand: print
 * the verb's usage and options, as runc's VERB --help. A verb with its own
 * help (box) parses it itself. */
static bool verb_help(const struct shim_verb *v, int argc, char **argv)
{
	if (!v->options)
		return false;
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		char usage[512];
		printf("usage: %s\n%s\n", shim_usage(v->name, usage, sizeof(usage)), v->summary);
		if (v->options[0])
			printf("\noptions:\n%s", v->options);
		return true;
	}
	return false;
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
	const struct shim_verb *verb = shim_verb_find(v);
	if (verb) {
		if (verb_help(verb, argc, argv))
			return 0;
		if (g.debug)
			debug_command(&g, argc, argv);
		optind = 0; /* the verb parses its own options from argv[0] */
		int status = verb->run(&g, argc, argv, &err);
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
