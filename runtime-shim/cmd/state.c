/* mvrun state ID: the OCI state as JSON on stdout (runc's fields and order). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime-shim/cmd/cmd.h"

int shim_state(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	int c;
	while ((c = shim_getopt(argc, argv, "", opts, err)) != -1)
		return err->status;
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	struct store_state st;
	if (store_read(g->root, argv[optind], &st, NULL, err) < 0)
		return err->status;
	char *json = store_oci_state(&st, store_current(&st), true);
	store_free(&st);
	if (!json)
		return err_set(err, 1, "state: out of memory"), 1;
	printf("%s\n", json);
	free(json);
	return 0;
}
