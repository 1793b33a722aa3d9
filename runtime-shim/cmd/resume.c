/* mvrun resume ID: thaw a paused container's VM (pause.c does the work). */
#include "runtime-shim/cmd/cmd.h"

int shim_resume(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	return shim_set_paused(g, argc, argv, false, err);
}
