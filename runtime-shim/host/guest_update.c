/* An UPDATE to a running container's guest through mvm (host.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/confine.h"
#include "proto/proto.h"
#include "runtime-shim/host/host.h"

#define GUEST_REPLY_MS 30000

int guest_update_send(struct shim_ctx *g, const char *id, const struct proto_update *u, const char *verb,
	     struct err *err)
{
	char sock[4096], what[64];
	struct proto_buf b = { 0 };
	uint8_t in[PROTO_HDR_LEN + 1024];
	size_t got = 0;
	struct proto_hdr h = { 0 };
	int fd = -1, r = -1;
	snprintf(what, sizeof(what), "%s: connect to mvm's control socket", verb);
	if (store_path(g->root, id, "ctl.sock", sock, sizeof(sock), err) < 0 ||
	    (fd = shim_unix_connect(sock, what, err)) < 0)
		return -1;
	if (proto_encode_update(&b, u) < 0 || write(fd, b.data, b.len) != (ssize_t)b.len) {
		err_sys(err, 1, errno, "%s: send the request to mvm", verb);
		goto out;
	}
	while (got < PROTO_HDR_LEN || got < PROTO_HDR_LEN + h.len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, GUEST_REPLY_MS) <= 0) {
			err_set(err, 1, "%s: the guest did not answer within %d s", verb,
				GUEST_REPLY_MS / 1000);
			goto out;
		}
		if ((n = read(fd, in + got, sizeof(in) - got)) <= 0)
			break;
		got += (size_t)n;
		if (got >= PROTO_HDR_LEN && (proto_parse_hdr(in, &h) < 0 || h.len > sizeof(in) - PROTO_HDR_LEN))
			break;
	}
	uint32_t rid, v;
	const char *msg;
	if (got < PROTO_HDR_LEN + h.len || got < PROTO_HDR_LEN)
		err_set(err, 1, "%s: mvm closed its control socket without an answer", verb);
	else if (h.type == PROTO_EXEC_EXIT && proto_decode_pair(in + PROTO_HDR_LEN, h.len, &rid, &v) == 0)
		r = 0;
	else if (h.type == PROTO_EXEC_ERROR &&
		 proto_decode_exec_error(in + PROTO_HDR_LEN, h.len, &rid, &v, &msg) == 0)
		err_set(err, 1, "%s: %s", verb, msg);
	else if (h.type == PROTO_ERROR && proto_decode_error(in + PROTO_HDR_LEN, h.len, &v, &msg) == 0)
		err_set(err, 1, "%s: mvm refused: %s", verb, msg);
	else
		err_set(err, 1, "%s: a malformed answer from mvm", verb);
out:
	proto_buf_free(&b);
	close(fd);
	return r;
}
