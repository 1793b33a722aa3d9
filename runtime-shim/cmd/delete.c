/* mvrun delete [--force] ID: the poststop hooks, then the cgroup and the
 * state go. A created container is killed first (as runc does); a running
 * one only with --force. `delete --force` of an unknown id succeeds: engines
 * run it after every exit. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/host/member.h"
#include "runtime-shim/cmd/cmd.h"

#define GONE_WAIT_MS 10000

/* SIGKILL mvm (thawing it if frozen) and wait until it is gone (a zombie counts: its parent is the
 * engine, which reaps it when it likes). */
static int kill_and_wait(const struct store_state *st, bool frozen, struct err *err)
{
	if (kill(st->pid, SIGKILL) < 0 && errno != ESRCH)
		return err_sys(err, 1, errno, "kill %d", (int)st->pid);
	/* A frozen mvm takes SIGKILL only once thawed (cgroup v1 freezer). */
	if (frozen && shim_freeze(st, false, err) < 0)
		return -1;
	for (int ms = 0; store_alive(st->pid, st->start_time); ms += 10) {
		if (ms >= GONE_WAIT_MS)
			return err_set(err, 1, "mvm (pid %d) is still there %d s after SIGKILL",
				       (int)st->pid, GONE_WAIT_MS / 1000);
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return 0;
}

int shim_destroy(struct shim_ctx *g, const char *id, bool force, struct err *err)
{
	struct store_state st;
	bool missing;
	int lock = store_lock(g->root, id, err);
	if (lock < 0)
		return -1;
	if (store_read(g->root, id, &st, &missing, err) < 0) {
		/* A directory without state.json is what a crashed create leaves. */
		if (missing)
			store_remove(g->root, id, NULL);
		close(lock);
		return -1;
	}
	int r = -1;
	enum store_status now = store_current(&st);
	if (now == STORE_RUNNING && !force) {
		err_set(err, 1, "cannot delete container \"%s\": it is running (kill it first, or "
				  "use delete --force)", id);
		goto out;
	}
	if (now == STORE_PAUSED && !force) {
		err_set(err, 1, "cannot delete container \"%s\": it is paused (resume it, or use "
				  "delete --force)", id);
		goto out;
	}
	if (now != STORE_STOPPED && kill_and_wait(&st, now == STORE_PAUSED, err) < 0)
		goto out;
	/* A pod member's shares leave its sandbox's mvm, if it still runs (its
	 * mount namespace goes with it otherwise). */
	if (st.sandbox) {
		struct store_state sb;
		if (store_read(g->root, st.sandbox, &sb, NULL, NULL) == 0) {
			if (store_current(&sb) != STORE_STOPPED && member_detach(sb.pid, id, err) < 0) {
				store_free(&sb);
				goto out;
			}
			store_free(&sb);
		}
	}
	/* The spec: a failing poststop hook is a warning; deletion goes on. */
	hooks_run_saved(g, "delete", CFG_HOOK_POSTSTOP, &st, STORE_STOPPED);
	if (st.cgroup_path) {
		struct cg_layout l;
		if (cg_detect(&l, "/sys/fs/cgroup", err) < 0 || cg_remove(&l, st.cgroup_path, err) < 0)
			goto out;
	}
	r = store_remove(g->root, id, err);
out:
	store_free(&st);
	close(lock);
	return r;
}

int shim_delete(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { "force", no_argument, 0, 'f' }, { 0, 0, 0, 0 } };
	bool force = false;
	int c;
	while ((c = shim_getopt(argc, argv, "f", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		force = true;
	}
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	struct err e = { 0 };
	if (shim_destroy(g, argv[optind], force, &e) == 0)
		return 0;
	if (force && store_check_id(argv[optind], NULL) == 0) {
		struct store_state st;
		bool missing = false;
		if (store_read(g->root, argv[optind], &st, &missing, NULL) < 0 && missing)
			return 0; /* gone, or never there */
		if (!missing)
			store_free(&st);
	}
	*err = e;
	return err->status;
}
