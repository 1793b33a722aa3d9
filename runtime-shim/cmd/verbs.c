/* The verb table: each verb's handler, its one-line summary (mvrun help),
 * its synopsis (errors and --help) and its options (--help, and what
 * mvrun(8) is checked against). One place, so a verb's help, its usage
 * errors and its man page entry cannot drift apart. */
#include <stddef.h>
#include <string.h>

#include "runtime-shim/cmd/cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int verb_box(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	(void)g;
	(void)err;
	return shim_box(argc, argv);
}

#define CREATE_OPTS                                                                          \
	"  -b, --bundle DIR         the bundle holding config.json (default: the current directory)\n" \
	"  --pid-file FILE          write the container's pid (its mvm) to FILE\n"                 \
	"  --console-socket SOCK    send the pty's master to SOCK (process.terminal)\n"         \
	"  --preserve-fds N         refused unless 0: host fds cannot reach the VM\n"             \
	"  --no-pivot, --no-new-keyring  accepted; the guest has nothing to skip\n"

static const struct shim_verb verbs[] = {
	{ "create", shim_create, "create a container from a bundle (runs until start)",
	  "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID", CREATE_OPTS },
	{ "start", shim_start, "start the process of a created container", "ID", "" },
	{ "state", shim_state, "print a container's state as JSON", "ID", "" },
	{ "kill", shim_kill, "send a signal to a container's process (default SIGTERM)",
	  "[--all] ID [SIGNAL]",
	  "  -a, --all                signal every process of the container\n"
	  "  --pid PID                refused: not supported\n" },
	{ "delete", shim_delete, "delete a stopped container (--force: any)", "[--force] ID",
	  "  -f, --force              kill a container that still runs, then delete it\n" },
	{ "run", shim_run, "create and start a container, and wait for it unless --detach",
	  "[--detach] [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID",
	  CREATE_OPTS
	  "  -d, --detach             return once the process runs, leaving the container\n"
	  "  --keep                   do not delete the container when it stops\n" },
	{ "exec", shim_exec, "run another process in a running container",
	  "[--process FILE] [--detach] [--pid-file FILE] [--tty] [--console-socket SOCK] "
	  "[--cwd DIR] [--env K=V]... [--user UID[:GID]] [--additional-gids G]... "
	  "[--cap CAP]... [--no-new-privs] [--ignore-paused] [--cgroup [:]SUB] ID [ARGS...]",
	  "  -p, --process FILE       the process as JSON (config.json's process); a pipe may do\n"
	  "  -d, --detach             leave a host process relaying it, and return\n"
	  "  --pid-file FILE          write that host process's pid to FILE\n"
	  "  -t, --tty                give the process a pty\n"
	  "  --console-socket SOCK    send the pty's master to SOCK\n"
	  "  --cwd DIR                the working directory\n"
	  "  -e, --env K=V            set a variable (repeatable)\n"
	  "  -u, --user UID[:GID]     the user and group\n"
	  "  -g, --additional-gids G  add a supplementary group (repeatable)\n"
	  "  -c, --cap CAP            add a capability (repeatable)\n"
	  "  --no-new-privs           set no_new_privs\n"
	  "  --ignore-paused          exec into a paused container (it runs on resume)\n"
	  "  --cgroup [:]SUB          put the relay in the container's sub-cgroup SUB (v2)\n"
	  "  --preserve-fds N         refused unless 0: host fds cannot reach the VM\n"
	  "  --apparmor P, --process-label L  noted in --log and ignored\n" },
	{ "pause", shim_pause, "freeze a running container's VM", "ID", "" },
	{ "resume", shim_resume, "thaw a paused container's VM", "ID", "" },
	{ "ps", shim_ps, "list a container's host processes (--format json: their pids)",
	  "[--format table|json] ID [PS_ARGS...]",
	  "  -f, --format table|json  ps(1)'s table (default) or a JSON array of pids\n" },
	{ "update", shim_update, "change a running container's cgroup limits",
	  "[--resources FILE|-] [--memory N] [--cpu-quota N] ... ID",
	  "  -r, --resources FILE|-   linux.resources as JSON, from FILE or stdin\n"
	  "  --memory N               the memory limit in bytes\n"
	  "  --memory-swap N          the memory plus swap limit in bytes\n"
	  "  --cpu-quota N            the CPU quota in microseconds a period\n"
	  "  --cpu-period N           the CPU period in microseconds\n"
	  "  --cpu-share N            the CPU shares\n"
	  "  --cpuset-cpus LIST       the CPUs the container may use\n"
	  "  --cpuset-mems LIST       the memory nodes the container may use\n"
	  "  --pids-limit N           the pids limit in the guest (-1: none)\n" },
	{ "events", shim_events, "print a container's stats as JSON every --interval (--stats: once)",
	  "[--stats] [--interval DURATION] ID",
	  "  --interval DURATION      a Go duration between stats (default 5s)\n"
	  "  --stats                  print the stats once and exit\n" },
	{ "list", shim_list, "list the containers under --root", "[-q] [--format table|json]",
	  "  -q, --quiet              the ids only\n"
	  "  -f, --format table|json  a table (default) or runc's JSON\n" },
	{ "spec", shim_spec, "write a default config.json", "[--bundle DIR]",
	  "  -b, --bundle DIR         where to write config.json (default: here)\n"
	  "  --rootless               refused: rootless containers are not supported\n" },
	{ "features", shim_features, "print what this mvrun supports, as JSON", "", "" },
	{ "check", shim_check, "say whether this host can run mvrun, one line an item", "", "" },
	{ "setup", shim_setup,
	  "register mvrun with docker, podman or containerd (kubernetes: a RuntimeClass)",
	  "docker|podman|containerd|kubernetes [--config FILE]",
	  "  --config FILE            edit FILE instead of the engine's usual one\n" },
	{ "box", verb_box, "run CMD from a host rootfs in a microVM: mvrun box ROOTFS -- CMD",
	  "[options] ROOTFS -- CMD [ARG...]", NULL },
};

const struct shim_verb *shim_verb_at(size_t i)
{
	return i < sizeof(verbs) / sizeof(verbs[0]) ? &verbs[i] : NULL;
}

const struct shim_verb *shim_verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int shim_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		struct err *err)
{
	char spec[64];
	snprintf(spec, sizeof(spec), "+:%s", shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		if (optopt)
			return err_set(err, 1, "%s: unknown option -%c", argv[0], optopt), -2;
		return err_set(err, 1, "%s: unknown option %s", argv[0], argv[optind - 1]), -2;
	}
	if (c == ':')
		return err_set(err, 1, "%s: %s needs a value", argv[0], argv[optind - 1]), -2;
	return c;
}

int shim_operands(int argc, char **argv, int want, struct err *err)
{
	char usage[512];
	shim_usage(argv[0], usage, sizeof(usage));
	int have = argc - optind;
	if (have == want)
		return 0;
	if (have < want)
		return err_set(err, 1, "%s: missing argument (usage: %s)", argv[0], usage);
	return err_set(err, 1, "%s: unexpected argument \"%s\" (usage: %s)", argv[0],
		       argv[optind + want], usage);
}

const char *shim_usage(const char *name, char *buf, size_t size)
{
	const struct shim_verb *v = shim_verb_find(name);
	snprintf(buf, size, "mvrun %s%s%s", name, v && v->usage[0] ? " " : "", v ? v->usage : "");
	return buf;
}
