/* mvrun: the runc-compatible CLI. A {name, handler} table of verbs, one file
 * each. So far: box (standalone untrusted workloads), --version and help;
 * the OCI verbs (create, start, kill, delete, ...) come next. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/version.h"
#include "runtime-shim/shim.h"

static const struct shim_verb verbs[] = {
	{ "box", shim_box, "run CMD from a host rootfs in a microVM: mvrun box ROOTFS -- CMD" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mvrun [global options] COMMAND [options] [args]\n"
		   "mvrun runs containers, each in its own KVM microVM.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "show this text");
	fprintf(f, "\nmvrun --version prints the version.\n");
}

int shim_sibling(const char *name, char *out, unsigned cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	if ((unsigned)snprintf(out, cap, "%s/%s", exe, name) >= cap)
		return -1;
	return access(out, F_OK);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	const char *v = argv[1];
	if (!strcmp(v, "help") || !strcmp(v, "--help") || !strcmp(v, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(v, "--version") || !strcmp(v, "-v")) {
		/* dockerd parses "<name> version X\ncommit: Y\nspec: Z". */
		printf("mvrun version %s\ncommit: unknown\nspec: 1.0.2-dev\n", MVRUN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(v, verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mvrun: %s: unknown command (see mvrun help)\n", v);
	return 1;
}
