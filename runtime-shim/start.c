/* mvrun start ID: tell mvm, through its control socket, to run the process
 * mvinit has set up and holds (it answers "ok" once the process has been
 * executed in the guest, or "error MESSAGE"), then run the poststart hooks. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime-shim/config.h"
#include "runtime-shim/shim.h"

#define START_REPLY_MS 30000

/* One request line, one reply line. Returns 0 with the reply (without its
 * newline) in out, or -1 with err. */
static int ctl_request(const char *sock, const char *line, char *out, size_t cap,
		       struct err *err)
{
	int fd = shim_unix_connect(sock, "connect to mvm's control socket", err);
	if (fd < 0)
		return -1;
	size_t len = strlen(line), got = 0;
	if (write(fd, line, len) != (ssize_t)len) {
		err_sys(err, 1, errno, "write to mvm's control socket");
		close(fd);
		return -1;
	}
	while (got + 1 < cap) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, START_REPLY_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return err_set(err, 1, "mvm did not answer within %d s", START_REPLY_MS / 1000);
		}
		ssize_t n = read(fd, out + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(out, '\n', got))
			break;
	}
	close(fd);
	out[got] = 0;
	char *nl = strchr(out, '\n');
	if (!nl)
		return err_set(err, 1, "mvm closed its control socket without an answer");
	*nl = 0;
	return 0;
}

int shim_start_container(struct shim_ctx *g, const char *id, struct err *err)
{
	struct store_state st;
	char sock[PATH_MAX], reply[512];
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
	    ctl_request(sock, "start\n", reply, sizeof(reply), err) < 0)
		goto out;
	if (strcmp(reply, "ok") != 0) {
		/* "error STATUS MSG" when the process could not start (a
		 * startContainer hook failed): the container's status, 255 for a
		 * hook as runc's init; "error MSG" when mvm refused. */
		const char *m = !strncmp(reply, "error ", 6) ? reply + 6 : reply;
		char *end;
		long s = strtol(m, &end, 10);
		bool st = end != m && *end == ' ' && s > 0 && s < 256 && m[0] >= '0' && m[0] <= '9';
		err_set(err, st ? (int)s : 1, "start %s: %s", id, st ? end + 1 : m);
		goto out;
	}
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
