/* The control stream: vsock connections to the host and the framing of
 * proto.h. Bytes from the host are only ever parsed by proto.c; this file
 * reassembles whole messages and hands them over. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "guest-init/mvinit.h"
#include "common/io.h"

/* <linux/vm_sockets.h>, which musl-gcc cannot see. */
struct mvi_sockaddr_vm {
	sa_family_t svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_flags;
	unsigned char svm_zero[3];
};
#define MVI_VMADDR_CID_HOST 2

#define MVI_SO_VM_SOCKETS_CONNECT_TIMEOUT 6 /* <linux/vm_sockets.h>, the timeval form */
#define CTL_CONNECT_TIMEOUT_S 30

int ctl_connect(uint32_t port, struct err *e)
{
	struct mvi_sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_port = port,
		.svm_cid = MVI_VMADDR_CID_HOST,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "vsock socket for port %u", port);
	/* The kernel gives up after 2 s; mvm's I/O thread answers in
	 * microseconds, but a host that starves the VM (nested TCG test hosts
	 * with several vCPUs on one CPU) can take longer than that. */
	struct timeval tv = { .tv_sec = CTL_CONNECT_TIMEOUT_S };
	if (setsockopt(fd, AF_VSOCK, MVI_SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv)) < 0)
		mvi_warn("vsock connect timeout: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(fd);
		return err_sys(e, MVI_EXIT_SETUP, err, "connect to host vsock port %u", port);
	}
	return fd;
}

enum ctl_status ctl_read(int fd, struct ctl_reader *r, struct ctl_msg *out)
{
	for (;;) {
		uint8_t *dst;
		size_t want;
		ssize_t n;

		if (r->got < PROTO_HDR_LEN) {
			dst = r->hdr + r->got;
			want = PROTO_HDR_LEN - r->got;
		} else {
			size_t off = r->got - PROTO_HDR_LEN;

			dst = r->msg.payload + off;
			want = r->msg.hdr.len - off;
		}
		n = read(fd, dst, want);
		if (n == 0)
			return CTL_EOF;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return CTL_MORE;
			if (errno == ECONNRESET || errno == ENOTCONN || errno == EPIPE)
				return CTL_EOF;
			return CTL_FAIL;
		}
		r->got += (size_t)n;
		if (r->got == PROTO_HDR_LEN) {
			if (proto_parse_hdr(r->hdr, &r->msg.hdr) < 0)
				return CTL_BAD;
			r->msg.payload = NULL;
			if (r->msg.hdr.len && !(r->msg.payload = malloc(r->msg.hdr.len)))
				return CTL_FAIL;
		}
		if (r->got >= PROTO_HDR_LEN && r->got - PROTO_HDR_LEN == r->msg.hdr.len) {
			*out = r->msg;
			memset(r, 0, sizeof(*r));
			return CTL_MSG;
		}
	}
}

enum ctl_status ctl_wait(int fd, struct ctl_reader *r, struct ctl_msg *out)
{
	enum ctl_status st;

	while ((st = ctl_read(fd, r, out)) == CTL_MORE) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return CTL_FAIL;
	}
	return st;
}

void ctl_msg_free(struct ctl_msg *m)
{
	free(m->payload);
	m->payload = NULL;
}

/* Send what an encoder put in b, and free b. */
static int send_buf(int fd, struct proto_buf *b, int encoded)
{
	int ret = -1;

	if (encoded < 0)
		errno = ENOMEM;
	else
		ret = io_send_all(fd, b->data, b->len);
	proto_buf_free(b);
	return ret;
}

int ctl_send_hello(int fd)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_u32(&b, PROTO_HELLO, PROTO_VERSION));
}

int ctl_send_ready(int fd)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_empty(&b, PROTO_READY));
}

int ctl_send_started(int fd)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_empty(&b, PROTO_STARTED));
}

int ctl_send_error(int fd, const struct err *e)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_error(&b, e->status, e->msg));
}

int ctl_send_exit(int fd, uint32_t status)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_u32(&b, PROTO_EXIT, status));
}

int ctl_send_exec_started(int fd, uint32_t id)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_u32(&b, PROTO_EXEC_STARTED, id));
}

int ctl_send_exec_error(int fd, uint32_t id, const struct err *e)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_exec_error(&b, id, e->status, e->msg));
}

int ctl_send_exec_exit(int fd, uint32_t id, uint32_t status)
{
	struct proto_buf b = { 0 };

	return send_buf(fd, &b, proto_encode_pair(&b, PROTO_EXEC_EXIT, id, status));
}

void ctl_finish(int fd, int linger_s)
{
	struct linger l = { .l_onoff = 1, .l_linger = linger_s };

	/* A reset right after send() could lose the message: the guest's vsock
	 * driver hands packets to a worker. With SO_LINGER, close() sends a
	 * full SHUTDOWN and waits for the host's RST, which a peer sends once
	 * it has taken everything (virtio 1.2, 5.10.6.6; Linux's vhost-vsock
	 * when the host closes, mvm once the bytes are on the host socket). */
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
		mvi_warn("SO_LINGER on the control stream: %s", strerror(errno));
	close(fd);
}
