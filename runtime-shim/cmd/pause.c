/* mvrun pause ID: freeze a running container's VM (freeze.c), or a pod
 * member's cgroup in the guest (its VM is the pod's); state says "paused"
 * until mvrun resume. */
#include <getopt.h>
#include <unistd.h>

#include "runtime-shim/plan/guestcg.h"
#include "runtime-shim/cmd/cmd.h"

/* A member's processes: its cgroup in the guest (cgroup.freeze). */
static int freeze_member(struct shim_ctx *g, const char *id, bool pause, struct err *err)
{
	struct proto_update u = { .ncgfiles = 1 };
	u.cgfiles[0] = (struct proto_cgfile){ "cgroup.freeze", pause ? "1" : "0" };
	return guest_update_send(g, id, &u, pause ? "pause" : "resume", err);
}

int shim_pause(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	return shim_set_paused(g, argc, argv, true, err);
}

int shim_set_paused(struct shim_ctx *g, int argc, char **argv, bool pause, struct err *err)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	int c;
	while ((c = shim_getopt(argc, argv, "", opts, err)) != -1)
		return err->status;
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	const char *id = argv[optind];
	struct store_state st;
	int lock = store_lock(g->root, id, err);
	if (lock < 0)
		return err->status;
	if (store_read(g->root, id, &st, NULL, err) < 0) {
		close(lock);
		return err->status;
	}
	enum store_status now = store_current(&st);
	if (pause && now != STORE_RUNNING)
		err_set(err, 1, now == STORE_PAUSED ? "container \"%s\" is already paused" :
						       "container \"%s\" is not running", id);
	else if (!pause && now != STORE_PAUSED)
		err_set(err, 1, "container \"%s\" is not paused", id);
	else if ((st.sandbox ? freeze_member(g, id, pause, err) : shim_freeze(&st, pause, err)) == 0) {
		st.status = pause ? STORE_PAUSED : STORE_RUNNING;
		store_write(g->root, &st, err);
	}
	store_free(&st);
	close(lock);
	return err->status;
}
