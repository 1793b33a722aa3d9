/* mvrun: the runc-compatible CLI. For now it only knows its version and its
 * usage; the verbs (create, start, kill, delete, ...) arrive with the OCI
 * runtime work, one file per verb. */
#include <stdio.h>
#include <string.h>

#include "proto/version.h"

static const char usage[] =
	"usage: mvrun [global options] COMMAND [options] [args]\n"
	"mvrun runs OCI containers, each in its own KVM microVM.\n"
	"Commands available in this version: --version, help.\n"
	"To boot the guest by hand: build/mvm --help.\n";

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0) {
		/* dockerd parses "<name> version X\ncommit: Y\nspec: Z". */
		printf("mvrun version %s\ncommit: unknown\nspec: 1.0.2-dev\n", MVRUN_VERSION);
		return 0;
	}
	fprintf(stderr, "mvrun: %s: not available in this version (see mvrun help)\n", argv[1]);
	return 1;
}
