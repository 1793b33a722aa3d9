/* relay: one-way copies between host fds on the event loop, as mvm uses
 * them for the container's stdio. The loop is pumped on the test's thread;
 * a pump that never goes idle fails the test (a handler that spins). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/pump.h"
#include "vmm/agent/relay.h"

static struct evloop loop;
static struct relay r;
static int pipefd[2], sp[2];
static int done_calls, fds_before;

static void on_done(void *opaque)
{
	cr_assert_eq(opaque, &r);
	done_calls++;
}

static void setup(void)
{
	struct err err = { 0 };
	signal(SIGPIPE, SIG_IGN); /* as mvm does */
	fds_before = open_fds();
	cr_assert_eq(evloop_init(&loop, &err), 0, "%s", err.msg);
	cr_assert_eq(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp), 0);
	int small = 4096; /* fill dst quickly */
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(&r, 0, sizeof(r));
	r.on_done = on_done;
	r.opaque = &r;
	done_calls = 0;
}

static void close_if_open(int fd)
{
	if (fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		close(fd);
}

static void teardown(void)
{
	if (r.loop)
		relay_stop(&r);
	close_if_open(pipefd[0]);
	close_if_open(pipefd[1]);
	close_if_open(sp[0]);
	close_if_open(sp[1]);
	evloop_fini(&loop);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
}

TestSuite(relay, .init = setup, .fini = teardown, .timeout = 20);

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Read what is there from fd into got[*n...]; returns 0 at EOF, 1 if more
 * may come. */
static int drain_into(int fd, uint8_t *got, size_t cap, size_t *n, size_t max)
{
	for (;;) {
		size_t want = cap - *n < max ? cap - *n : max;
		if (want == 0)
			want = 1; /* room only to see EOF or an excess byte */
		uint8_t tmp[65536];
		ssize_t k = read(fd, tmp, want < sizeof(tmp) ? want : sizeof(tmp));
		if (k == 0)
			return 0;
		if (k < 0) {
			cr_assert_eq(errno, EAGAIN);
			return 1;
		}
		cr_assert_leq(*n + (size_t)k, cap, "more bytes than were sent");
		memcpy(got + *n, tmp, (size_t)k);
		*n += (size_t)k;
		if (max != SIZE_MAX)
			return 1;
	}
}

Test(relay, slow_reader_loses_nothing_and_keeps_order)
{
	const size_t total = 2u << 20;
	uint8_t *got = malloc(total);
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), 0);
	cr_assert(r.src_pollable);
	size_t sent = 0, n = 0;
	bool saw_full = false;
	for (int it = 0; sent < total || n < total; it++) {
		cr_assert_lt(it, 1000000, "no progress");
		while (sent < total) { /* the writer is fast */
			uint8_t b[4096];
			size_t k = total - sent < sizeof(b) ? total - sent : sizeof(b);
			for (size_t i = 0; i < k; i++)
				b[i] = pat(sent + i);
			ssize_t w = write(pipefd[1], b, k);
			if (w < 0) {
				cr_assert_eq(errno, EAGAIN);
				break;
			}
			sent += (size_t)w;
		}
		pump(&loop);
		saw_full |= r.dst_watched;
		if (it % 3 == 0) /* the reader is slow: 1000 bytes now and then */
			cr_assert_eq(drain_into(sp[1], got, total, &n, 1000), 1);
	}
	cr_assert(saw_full, "the test never filled dst");
	for (size_t i = 0; i < total; i++)
		if (got[i] != pat(i))
			cr_assert_fail("byte %zu differs", i);
	cr_assert_eq(done_calls, 0, "no EOF yet");
	close(pipefd[1]);
	pump(&loop);
	cr_assert_eq(done_calls, 1);
	cr_assert_eq(drain_into(sp[1], got, total, &n, SIZE_MAX), 0, "EOF after the data");
	cr_assert_eq(n, total);
	free(got);
}

Test(relay, hung_up_src_does_not_spin_while_dst_is_full)
{
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), 0);
	static uint8_t b[60000];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = pat(i);
	cr_assert_eq(write(pipefd[1], b, sizeof(b)), (ssize_t)sizeof(b));
	close(pipefd[1]); /* EOF (EPOLLHUP) behind data that does not fit in dst */
	int calls = pump(&loop);
	cr_assert(r.dst_watched, "dst is full");
	cr_assert_lt(calls, 10, "%d handler calls while waiting for dst: the loop spins", calls);
	cr_assert_eq(pump(&loop), 0, "nothing to do until the reader reads");
	/* Now read it all: the data, then EOF. */
	static uint8_t got[sizeof(b)];
	size_t n = 0;
	for (int it = 0; n < sizeof(b) || done_calls == 0; it++) {
		cr_assert_lt(it, 100000);
		drain_into(sp[1], got, sizeof(got), &n, SIZE_MAX);
		pump(&loop);
	}
	cr_assert_eq(memcmp(got, b, sizeof(b)), 0);
	cr_assert_eq(drain_into(sp[1], got, sizeof(got), &n, SIZE_MAX), 0);
}

Test(relay, eof_shuts_down_dst_and_calls_on_done_once)
{
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), 0);
	cr_assert_eq(write(pipefd[1], "abc", 3), 3);
	pump(&loop);
	cr_assert_eq(done_calls, 0);
	close(pipefd[1]);
	pump(&loop);
	cr_assert_eq(done_calls, 1);
	cr_assert(r.done);
	char b[8];
	cr_assert_eq(read(sp[1], b, sizeof(b)), 3);
	cr_assert_eq(memcmp(b, "abc", 3), 0);
	cr_assert_eq(read(sp[1], b, sizeof(b)), 0, "SHUT_WR reached the reader");
	cr_assert_not(is_open(pipefd[0]), "close_src");
	cr_assert(is_open(sp[0]), "not close_dst");
	/* dst can still be read from: only the write side was shut. */
	cr_assert_eq(write(sp[1], "x", 1), 1);
	cr_assert_eq(read(sp[0], b, 1), 1);
	relay_stop(&r);
	cr_assert_eq(done_calls, 1, "no second on_done");
}

Test(relay, no_shutdown_when_asked_for_none_and_close_dst)
{
	int dup_dst = dup(sp[0]);
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], dup_dst, -1, false, true), 0);
	close(pipefd[1]);
	pump(&loop);
	cr_assert_eq(done_calls, 1);
	cr_assert(is_open(pipefd[0]), "not close_src");
	cr_assert_not(is_open(dup_dst), "close_dst");
	char b[4];
	cr_assert_eq(read(sp[1], b, sizeof(b)), -1, "no EOF: sp[0] is still open, not shut down");
	cr_assert_eq(errno, EAGAIN);
}

Test(relay, dst_going_away_ends_the_relay)
{
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), 0);
	close(sp[1]);
	cr_assert_eq(write(pipefd[1], "abc", 3), 3);
	pump(&loop);
	cr_assert_eq(done_calls, 1, "EPIPE ends it (SIGPIPE is ignored, as in mvm)");
}

Test(relay, relay_stop_ends_without_on_done)
{
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), 0);
	relay_stop(&r);
	cr_assert_eq(done_calls, 0);
	cr_assert_not(is_open(pipefd[0]));
	cr_assert_eq(write(pipefd[1], "abc", 3), -1, "the read end is gone");
	pump(&loop);
	char b[4];
	cr_assert_eq(read(sp[1], b, sizeof(b)), 0, "dst shut down");
}

static int tmpfile_with(size_t n)
{
	char path[] = "/tmp/relay-test.XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = pat(i);
	cr_assert_eq(write(fd, b, n), (ssize_t)n);
	free(b);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

Test(relay, regular_file_src_is_drained_at_start)
{
	int fd = tmpfile_with(3000);
	cr_assert_eq(relay_start(&r, &loop, fd, sp[0], SHUT_WR, true, false), 0);
	cr_assert_not(r.src_pollable);
	pump(&loop);
	cr_assert_eq(done_calls, 1);
	uint8_t got[4000];
	size_t n = 0;
	cr_assert_eq(drain_into(sp[1], got, sizeof(got), &n, SIZE_MAX), 0, "data, then EOF");
	cr_assert_eq(n, 3000);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], pat(i));
	cr_assert_not(is_open(fd));
}

Test(relay, dev_null_src_is_eof_at_once)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(relay_start(&r, &loop, fd, sp[0], SHUT_WR, true, false), 0);
	pump(&loop);
	cr_assert_eq(done_calls, 1);
	char b[1];
	cr_assert_eq(read(sp[1], b, 1), 0);
}

/* The reader of dst is a handler on the same loop, as the vsock device is
 * for the container's stdin: relay_start() runs on that thread too. */
struct loop_reader {
	int fd;
	uint8_t *got;
	size_t n, cap;
	bool eof;
};

static void on_readable(void *opaque, uint32_t events)
{
	struct loop_reader *lr = opaque;
	(void)events;
	if (drain_into(lr->fd, lr->got, lr->cap, &lr->n, SIZE_MAX) == 0) {
		lr->eof = true;
		evloop_del(&loop, lr->fd);
	}
}

Test(relay, big_regular_file_with_the_reader_on_the_same_loop)
{
	const size_t total = 1u << 20; /* far more than the socket buffers */
	int fd = tmpfile_with(total);
	struct loop_reader lr = { .fd = sp[1], .got = malloc(total), .cap = total };
	cr_assert_eq(evloop_add(&loop, sp[1], EPOLLIN, on_readable, &lr), 0);
	/* Must return without waiting for a reader that only this thread runs. */
	cr_assert_eq(relay_start(&r, &loop, fd, sp[0], SHUT_WR, true, false), 0);
	for (int it = 0; !lr.eof; it++) {
		cr_assert_lt(it, 100000, "stuck after %zu bytes", lr.n);
		pump_wait(&loop, 1000);
	}
	cr_assert_eq(lr.n, total);
	cr_assert_eq(done_calls, 1);
	for (size_t i = 0; i < total; i++)
		if (lr.got[i] != pat(i))
			cr_assert_fail("byte %zu differs", i);
	free(lr.got);
}

/* ---- a hostile guest's reach: the loop's slots, a stale errno ---- */

static void nothing(void *opaque, uint32_t events)
{
	(void)opaque;
	(void)events;
}

Test(relay, a_src_already_in_the_loop_fails_without_spinning)
{
	cr_assert_eq(evloop_add(&loop, pipefd[0], EPOLLIN, nothing, NULL), 0);
	errno = EPERM; /* what a refused virtio-fs request leaves behind */
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), -1);
	cr_assert_eq(errno, EEXIST);
	cr_assert(is_open(pipefd[0]), "nothing closed");
	cr_assert_eq(done_calls, 0);
	relay_stop(&r); /* nothing to stop, nothing closed twice */
	cr_assert(is_open(pipefd[0]));
	evloop_del(&loop, pipefd[0]);
}

Test(relay, a_full_loop_fails_the_relay_without_spinning)
{
	int fill[EVLOOP_MAX], n = 0;
	for (;;) {
		fill[n] = eventfd(0, EFD_CLOEXEC);
		cr_assert_geq(fill[n], 0);
		if (evloop_add(&loop, fill[n], EPOLLIN, nothing, NULL) < 0)
			break;
		n++;
	}
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(evloop_add(&loop, fill[0], EPOLLIN, nothing, NULL), -1);
	cr_assert_eq(errno, EEXIST);
	errno = EPERM;
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], sp[0], SHUT_WR, true, false), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert(is_open(pipefd[0]));
	for (int i = 0; i <= n; i++) {
		evloop_del(&loop, fill[i]);
		close(fill[i]);
	}
}

/* The engine's end of mvm's stdout is a blocking socket that nobody reads:
 * the relay never blocks on it (MSG_DONTWAIT), and leaves its flags alone. */
Test(relay, a_blocking_socket_dst_with_a_stalled_reader_never_blocks)
{
	int bs[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bs), 0);
	cr_assert_eq(relay_start(&r, &loop, pipefd[0], bs[0], -1, true, false), 0);
	static uint8_t b[4096];
	for (int i = 0; i < 200; i++) {
		if (write(pipefd[1], b, sizeof(b)) < 0)
			cr_assert_eq(errno, EAGAIN);
		pump(&loop); /* a blocking send() would never return */
	}
	cr_assert(r.dst_watched, "waiting for the reader");
	cr_assert_eq(fcntl(bs[0], F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(write(pipefd[1], b, sizeof(b)), -1, "src is held back once dst is full");
	cr_assert_eq(errno, EAGAIN);
	relay_stop(&r);
	close(bs[0]);
	close(bs[1]);
}

Test(relay, relay_out_fd_reopens_a_pipe_without_blocking_and_keeps_its_flags)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	int fd = relay_out_fd(p[1]);
	cr_assert_neq(fd, p[1], "a new description");
	cr_assert_neq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(write(fd, "ok", 2), 2);
	char b[2];
	cr_assert_eq(read(p[0], b, 2), 2);
	cr_assert_eq(relay_out_fd(sp[0]), sp[0], "a socket stays: MSG_DONTWAIT");
	close(fd);
	close(p[0]);
	close(p[1]);
}
