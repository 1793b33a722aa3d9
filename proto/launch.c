/* The I/O half of the mvrun<->mvm contract (launch.h): one message each way
 * on the ready pipe and on the control socket, in the proto codec. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/launch.h"
#include "proto/proto.h"
#include "common/io.h"

/* The largest answer read: an ERROR with a one-line message. */
#define LAUNCH_MAX_ANSWER 4096

int launch_send_error(int fd, uint32_t status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* On the stack: mvm answers under its seccomp filter, and from any
	 * thread, where an allocation may want a system call it lacks. */
	uint8_t buf[sizeof(msg) + 64];
	struct proto_buf b = { .data = buf, .cap = sizeof(buf) };
	proto_encode_error(&b, status, msg);
	return b.failed ? -1 : io_write_all(fd, b.data, b.len);
}

int launch_send_empty(int fd, uint16_t type)
{
	uint8_t buf[PROTO_HDR_LEN];
	struct proto_buf b = { .data = buf, .cap = sizeof(buf) };
	proto_encode_empty(&b, type);
	return b.failed ? -1 : io_write_all(fd, b.data, b.len);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum launch_answer launch_read_answer(int fd, uint16_t want, int timeout_ms, uint32_t *status,
				      char *msg, size_t cap)
{
	uint8_t in[LAUNCH_MAX_ANSWER];
	size_t got = 0;
	struct proto_hdr h = { 0 };
	long long end = now_ms() + timeout_ms;
	if (cap)
		msg[0] = 0;
	while (got < PROTO_HDR_LEN || got < PROTO_HDR_LEN + h.len) {
		int left = timeout_ms < 0 ? -1 : (int)(end - now_ms());
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return LAUNCH_TIMEOUT;
		/* One message is awaited: read no further than its end. */
		size_t need = got < PROTO_HDR_LEN ? PROTO_HDR_LEN - got : PROTO_HDR_LEN + h.len - got;
		ssize_t n = r < 0 ? -1 : read(fd, in + got, need);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return LAUNCH_EOF;
		got += (size_t)n;
		if (got == PROTO_HDR_LEN) {
			if (proto_parse_hdr(in, &h) < 0 || h.len > sizeof(in) - PROTO_HDR_LEN) {
				snprintf(msg, cap, "a malformed message");
				return LAUNCH_BAD;
			}
		}
	}
	const uint8_t *p = in + PROTO_HDR_LEN;
	const char *m;
	if (h.type == want && proto_decode_empty(p, h.len) == 0)
		return LAUNCH_GOT;
	if (h.type == PROTO_ERROR && proto_decode_error(p, h.len, status, &m) == 0) {
		snprintf(msg, cap, "%s", m);
		return LAUNCH_GOT_ERROR;
	}
	snprintf(msg, cap, "message type %u", h.type);
	return LAUNCH_BAD;
}
