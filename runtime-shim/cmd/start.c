/* mvrun start ID: tell mvm, through its control socket, to run the process
 * mvinit has set up and holds (it answers STARTED once the process has been
 * executed in the guest, or ERROR), then run the poststart hooks. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/launch.h"
#include "proto/proto.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/cmd/cmd.h"

#define START_REPLY_MS 30000

/* START on mvm's control socket; its answer, STARTED or ERROR (launch.h).
 * Returns 0 once started, or -1 with err. */
static int ctl_start(const char *sock, const char *id, struct err *err)
{
	int fd = shim_unix_connect(sock, "connect to mvm's control socket", err);
	if (fd < 0)
		return -1;
	if (launch_send_empty(fd, PROTO_START) < 0) {
		err_sys(err, 1, errno, "write to mvm's control socket");
		close(fd);
		return -1;
	}
	char msg[768];
	uint32_t s = 0;
	enum launch_answer a = launch_read_answer(fd, PROTO_STARTED, START_REPLY_MS, &s, msg, sizeof(msg));
	close(fd);
	switch (a) {
	case LAUNCH_GOT: return 0;
	/* The container's status when the process could not start (a
	 * startContainer hook failed: 255, as runc's init); 1 when mvm
	 * refused. */
	case LAUNCH_GOT_ERROR:
		return err_set(err, s > 0 && s < 256 ? (int)s : 1, "start %s: %s", id, msg);
	case LAUNCH_TIMEOUT:
		return err_set(err, 1, "mvm did not answer within %d s", START_REPLY_MS / 1000);
	case LAUNCH_BAD: return err_set(err, 1, "start %s: mvm answered %s", id, msg);
	case LAUNCH_EOF: break;
	}
	return err_set(err, 1, "mvm closed its control socket without an answer");
}

int shim_start_container(struct shim_ctx *g, const char *id, struct err *err)
{
	struct store_state st;
	char sock[PATH_MAX];
	int lock = store_lock(g->root, id, err);
	if (lock < 0)
		return -1;
	int r = -1;
	if (store_read(g->root, id, &st, NULL, err) < 0) {
		close(lock);
		return -1;
	}
	switch (store_current(&st)) {
	case STORE_CREATED: break;
	case STORE_RUNNING:
		err_set(err, 1, "cannot start container \"%s\": it is already running", id);
		goto out;
	case STORE_STOPPED:
		err_set(err, 1, "cannot start container \"%s\": it has stopped", id);
		goto out;
	case STORE_PAUSED:
		err_set(err, 1, "cannot start container \"%s\": it is paused", id);
		goto out;
	default:
		err_set(err, 1, "cannot start container \"%s\": it is still being created", id);
		goto out;
	}
	if (store_path(g->root, id, "ctl.sock", sock, sizeof(sock), err) < 0 ||
	    ctl_start(sock, id, err) < 0)
		goto out;
	st.status = STORE_RUNNING;
	if (store_write(g->root, &st, err) < 0)
		goto out;
	close(lock);
	lock = -1;
	/* Unlocked: a hook may well run mvrun state. */
	hooks_run_saved(g, "start", CFG_HOOK_POSTSTART, &st, STORE_RUNNING);
	r = 0;
out:
	store_free(&st);
	if (lock >= 0)
		close(lock);
	return r;
}

int shim_start(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	if (shim_getopt(argc, argv, "", opts, err) != -1 ||
	    shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	return shim_start_container(g, argv[optind], err) < 0 ? err->status : 0;
}
