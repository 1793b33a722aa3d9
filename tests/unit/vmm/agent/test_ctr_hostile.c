/* mvm's container bookkeeping (vmm/agent/ctr.c, vmm/agent/ctlsock.c) against a
 * hostile guest: what it can make the I/O thread hold is capped, and
 * reaching a cap fails that stream or request, never the loop. The guest's
 * streams come through ctr_accept() as the vsock device calls it; mvm's
 * fds 0 and 1 are pipes of the test's, as an engine gives them; the loop is
 * pumped on the test's thread, and a loop that never goes idle fails. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/launch.h"
#include "tests/unit/pump.h"
#include "vmm/agent/ctr.h"

static struct evloop loop;
static struct ctr *c;
static struct proto_buf stream; /* the container stream, sent at HELLO */
static int in_pipe[2], out_pipe[2]; /* mvm's stdin and stdout */
static int saved0 = -1, saved1 = -1;
static int fillers[EVLOOP_MAX], nfillers;

static void start(bool tty)
{
	struct err err = { 0 };
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe2(in_pipe, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out_pipe, O_CLOEXEC), 0); /* blocking, as an engine's */
	saved0 = dup(0);
	saved1 = dup(1);
	cr_assert_eq(dup2(in_pipe[0], 0), 0);
	cr_assert_eq(dup2(out_pipe[1], 1), 1);
	cr_assert_eq(evloop_init(&loop, &err), 0, "%s", err.msg);
	c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	cr_assert_eq(ctr_init(c, &loop, &stream, tty, &err), 0, "%s", err.msg);
	/* ctr_init blocks the forwarded signals; the runner's timeout is one. */
	sigset_t prof;
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	pthread_sigmask(SIG_UNBLOCK, &prof, NULL);
}

static void setup(void)
{
	start(false);
}

static void teardown(void)
{
	for (int i = 0; i < nfillers; i++) {
		evloop_del(&loop, fillers[i]);
		close(fillers[i]);
	}
	nfillers = 0;
	ctr_fini(c);
	free(c);
	evloop_fini(&loop);
	dup2(saved0, 0);
	dup2(saved1, 1);
	close(saved0);
	close(saved1);
	for (int i = 0; i < 2; i++) {
		close(in_pipe[i]);
		close(out_pipe[i]);
	}
}

TestSuite(ctr_hostile, .init = setup, .fini = teardown, .timeout = 20);

static int free_slots(void)
{
	int n = 0;
	for (int i = 0; i < EVLOOP_MAX; i++)
		n += loop.regs[i].fd < 0;
	return n;
}

static void nothing(void *opaque, uint32_t events)
{
	(void)opaque;
	(void)events;
}

/* Take loop slots until `leave` are free. */
static void fill_loop(int leave)
{
	while (free_slots() > leave) {
		int fd = eventfd(0, EFD_CLOEXEC);
		cr_assert_geq(fd, 0);
		cr_assert_eq(evloop_add(&loop, fd, EPOLLIN, nothing, NULL), 0);
		fillers[nfillers++] = fd;
	}
}

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, 0) == 1;
}

Test(ctr_hostile, a_stdio_port_takes_one_stream_for_the_life_of_the_container)
{
	int out = ctr_accept(c, PROTO_PORT_STDOUT);
	cr_assert_geq(out, 0);
	int fds = open_fds(), slots = free_slots();
	for (int i = 0; i < 300; i++) { /* past the loop's 256 slots */
		cr_assert_eq(ctr_accept(c, PROTO_PORT_STDOUT), -1, "stream %d taken", i);
		cr_assert_eq(ctr_accept(c, PROTO_PORT_TTY), -1, "no tty port without --tty");
	}
	cr_assert_eq(open_fds(), fds, "refused streams leak no fd");
	cr_assert_eq(free_slots(), slots, "nor a loop slot");
	/* The first stream still relays, in order. */
	cr_assert_eq(write(out, "hello\n", 6), 6);
	pump(&loop);
	char b[16];
	cr_assert_eq(read(out_pipe[0], b, sizeof(b)), 6);
	cr_assert_eq(memcmp(b, "hello\n", 6), 0);
	/* After it ends, the port stays taken. */
	close(out);
	pump(&loop);
	cr_assert_eq(ctr_accept(c, PROTO_PORT_STDOUT), -1);
	cr_assert_eq(free_slots(), slots + 1, "the ended relay gave its slot back");
}

Test(ctr_hostile, a_second_stdin_stream_gets_nothing_and_the_first_keeps_it)
{
	int in = ctr_accept(c, PROTO_PORT_STDIN);
	cr_assert_geq(in, 0);
	cr_assert_eq(ctr_accept(c, PROTO_PORT_STDIN), -1);
	cr_assert_eq(write(in_pipe[1], "abc", 3), 3);
	pump(&loop);
	char b[8];
	cr_assert_eq(read(in, b, sizeof(b)), 3, "host stdin went to the first stream");
	cr_assert_eq(memcmp(b, "abc", 3), 0);
	close(in);
}

Test(ctr_hostile, a_full_loop_fails_the_stream_and_leaks_nothing)
{
	fill_loop(0);
	int fds = open_fds();
	errno = EPERM; /* as after a virtio-fs request the host refused */
	cr_assert_eq(ctr_accept(c, PROTO_PORT_STDOUT), -1);
	cr_assert_eq(ctr_accept(c, PROTO_PORT_STDIN), -1);
	cr_assert_eq(open_fds(), fds);
	cr_assert_eq(pump(&loop), 0, "the loop is idle, not spinning");
	/* A slot free again: the port was not taken by the failure. */
	evloop_del(&loop, fillers[--nfillers]);
	close(fillers[nfillers]);
	int out = ctr_accept(c, PROTO_PORT_STDOUT);
	cr_assert_geq(out, 0);
	close(out);
	pump(&loop);
}

Test(ctr_hostile, the_tty_port_leaks_nothing_when_its_second_relay_fails)
{
	teardown(); /* again, with --tty */
	start(true);
	fill_loop(1); /* room for the stdin half only */
	int fds = open_fds();
	cr_assert_eq(ctr_accept(c, PROTO_PORT_TTY), -1);
	cr_assert_eq(open_fds(), fds, "fds leaked on the tty port's error path");
	cr_assert_eq(free_slots(), 1, "the stdin half gave its slot back");
	cr_assert_eq(ctr_accept(c, PROTO_PORT_STDOUT), -1, "no stdio ports with --tty");
	evloop_del(&loop, fillers[--nfillers]);
	close(fillers[nfillers]);
	int t = ctr_accept(c, PROTO_PORT_TTY);
	cr_assert_geq(t, 0);
	cr_assert_eq(ctr_accept(c, PROTO_PORT_TTY), -1);
	cr_assert_eq(write(t, "out", 3), 3);
	cr_assert_eq(write(in_pipe[1], "in", 2), 2);
	pump(&loop);
	char b[8];
	cr_assert_eq(read(out_pipe[0], b, sizeof(b)), 3);
	cr_assert_eq(read(t, b, sizeof(b)), 2);
	close(t);
	pump(&loop);
}

/* The engine stops reading mvm's stdout while the guest floods it: the
 * loop stays free, the guest's stream is held back, nothing is lost. */
Test(ctr_hostile, a_stalled_stdout_reader_holds_back_the_guest_not_the_loop)
{
	int out = ctr_accept(c, PROTO_PORT_STDOUT);
	cr_assert_geq(out, 0);
	fcntl(out, F_SETFL, O_NONBLOCK);
	const size_t total = 4u << 20;
	size_t sent = 0;
	for (int it = 0; it < 1000; it++) {
		uint8_t b[4096];
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)((sent + i) * 7);
		ssize_t w = write(out, b, sizeof(b));
		if (w > 0)
			sent += (size_t)w;
		pump(&loop); /* would block in write(1) with a blocking relay */
	}
	cr_assert_lt(sent, total, "the guest's stream was held back (%zu bytes taken)", sent);
	cr_assert_eq(fcntl(out_pipe[1], F_GETFL) & O_NONBLOCK, 0,
		     "the engine's pipe keeps its flags");
	/* The reader comes back: every byte arrives, in order. */
	size_t got = 0;
	for (int it = 0; got < sent; it++) {
		cr_assert_lt(it, 100000, "stuck at %zu of %zu", got, sent);
		uint8_t b[65536];
		if (readable(out_pipe[0])) {
			ssize_t n = read(out_pipe[0], b, sizeof(b));
			cr_assert_gt(n, 0);
			for (ssize_t i = 0; i < n; i++)
				if (b[i] != (uint8_t)((got + (size_t)i) * 7))
					cr_assert_fail("byte %zu differs", got + (size_t)i);
			got += (size_t)n;
		}
		pump(&loop);
	}
	close(out);
	pump(&loop);
}

/* ---- the control stream ---- */

Test(ctr_hostile, a_dead_control_stream_with_bytes_queued_does_not_spin)
{
	int g = ctr_accept(c, PROTO_PORT_CONTROL);
	cr_assert_geq(g, 0);
	c->state = CTR_RUNNING;
	while (c->out_fd < 0 || c->out.len - c->out_off < (200u << 10)) {
		proto_encode_u32(&c->out, PROTO_SIGNAL, SIGWINCH);
		ctr_flush(c);
	}
	close(g); /* the guest closes with ~200 KiB unread */
	pump(&loop);
	cr_assert_eq(c->out_fd, -1, "EPOLLOUT is not left registered");
	cr_assert_eq(c->state, CTR_FAILED);
	cr_assert_eq(pump(&loop), 0);
}

/* The one answer on fd (launch.h), as text: "READY", "STARTED" or
 * "ERROR STATUS MESSAGE". */
static void read_answer(int fd, uint16_t want, char *line, size_t cap)
{
	char msg[200];
	uint32_t st = 0;
	enum launch_answer a = launch_read_answer(fd, want, 2000, &st, msg, sizeof(msg));
	cr_assert(a == LAUNCH_GOT || a == LAUNCH_GOT_ERROR, "answer %d: %s", a, msg);
	if (a == LAUNCH_GOT)
		snprintf(line, cap, "%s", want == PROTO_READY ? "READY" : "STARTED");
	else
		snprintf(line, cap, "ERROR %u %s", st, msg);
}

Test(ctr_hostile, an_overflowing_control_queue_fails_the_container_with_a_reason)
{
	int ready[2];
	cr_assert_eq(pipe2(ready, O_CLOEXEC | O_NONBLOCK), 0);
	ctr_set_ready_fd(c, ready[1]);
	int g = ctr_accept(c, PROTO_PORT_CONTROL);
	cr_assert_geq(g, 0);
	c->state = CTR_WAIT_READY;
	size_t msgs = 0;
	while (c->state != CTR_FAILED) { /* the guest never reads */
		cr_assert_lt(msgs, (4u << 20) / 12, "messages dropped without a word");
		proto_encode_u32(&c->out, PROTO_SIGNAL, SIGWINCH);
		ctr_flush(c);
		msgs++;
	}
	char line[256];
	read_answer(ready[0], PROTO_READY, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 the guest stopped reading its control stream (2 MiB queued)");
	cr_assert(strstr(c->error, "stopped reading"), "%s", c->error);
	cr_assert_eq(c->out.len, 0, "the queue is let go");
	cr_assert_eq(c->out_fd, -1);
	/* The guest sees the stream end after what was sent. */
	char b[65536];
	ssize_t n;
	while ((n = read(g, b, sizeof(b))) > 0)
		;
	cr_assert_eq(n, 0, "EOF");
	cr_assert_eq(pump(&loop), 0);
	close(ready[0]);
	close(g);
}

Test(ctr_hostile, the_guests_error_cannot_forge_lines_or_send_escapes)
{
	int ready[2];
	cr_assert_eq(pipe2(ready, O_CLOEXEC | O_NONBLOCK), 0);
	ctr_set_ready_fd(c, ready[1]);
	int g = ctr_accept(c, PROTO_PORT_CONTROL);
	struct proto_buf b = { 0 };
	proto_encode_error(&b, 3, "no\nready\n\x1b]0;owned\x07\r");
	cr_assert_eq(write(g, b.data, b.len), (ssize_t)b.len);
	proto_buf_free(&b);
	pump(&loop);
	char line[256];
	read_answer(ready[0], PROTO_READY, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 3 no\\nready\\n\\x1b]0;owned\\x07\\r");
	cr_assert_str_eq(c->error, "no\\nready\\n\\x1b]0;owned\\x07\\r");
	close(ready[0]);
	close(g);
}

/* ---- the host control socket ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_start(int fd)
{
	cr_assert_eq(launch_send_empty(fd, PROTO_START), 0);
}

/* Lower RLIMIT_NOFILE to a few above what is open and take every fd number
 * left (at most 64, in hog). old gets the limit to put back. Returns how
 * many were taken. */
static int hog_fds(int *hog, struct rlimit *old)
{
	struct rlimit lim;
	getrlimit(RLIMIT_NOFILE, old);
	lim = *old;
	lim.rlim_cur = (rlim_t)open_fds() + 16;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	int n = 0;
	while (n < 64 && (hog[n] = dup(0)) >= 0)
		n++;
	return n;
}

Test(ctr_hostile, the_control_socket_out_of_fds_refuses_the_client_and_does_not_spin)
{
	static char path[64]; /* ctr_fini unlinks it */
	struct err err = { 0 };
	snprintf(path, sizeof(path), "/tmp/mvm-ctr-hostile.%d", (int)getpid());
	unlink(path);
	cr_assert_eq(ctr_listen(c, path, &err), 0, "%s", err.msg);
	int cl = connect_to(path), cl2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* Every fd number below the limit taken. */
	struct rlimit old;
	int hog[64], nhog = hog_fds(hog, &old);
	cr_assert_eq(errno, EMFILE);
	int calls = pump(&loop);
	setrlimit(RLIMIT_NOFILE, &old);
	cr_assert_lt(calls, 10, "%d handler calls: the listener spins", calls);
	char line[128];
	read_answer(cl, PROTO_STARTED, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 mvm is out of file descriptors");
	/* fds again: the next client is served. */
	while (nhog > 0)
		close(hog[--nhog]);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(cl2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pump(&loop);
	send_start(cl2);
	pump(&loop);
	read_answer(cl2, PROTO_STARTED, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 the container is not ready");
	close(cl);
	close(cl2);
}

Test(ctr_hostile, the_control_socket_with_no_reserve_fd_pauses_until_an_fd_is_freed)
{
	static char path[64];
	struct err err = { 0 };
	snprintf(path, sizeof(path), "/tmp/mvm-ctr-hostile2.%d", (int)getpid());
	unlink(path);
	cr_assert_eq(ctr_listen(c, path, &err), 0, "%s", err.msg);
	close(c->reserve_fd); /* as when taking it back failed */
	c->reserve_fd = -1;
	int cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct rlimit old;
	int hog[64], nhog = hog_fds(hog, &old);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof(sa)), 0);
	int calls = pump(&loop);
	setrlimit(RLIMIT_NOFILE, &old);
	cr_assert_lt(calls, 10, "%d handler calls: the listener spins", calls);
	cr_assert(c->listen_paused);
	cr_assert_eq(pump(&loop), 0);
	while (nhog > 0)
		close(hog[--nhog]);
	ctr_listen_resume(c); /* what a leaving client or exec calls */
	cr_assert_not(c->listen_paused);
	cr_assert_geq(c->reserve_fd, 0, "the reserve is taken back");
	pump(&loop);
	send_start(cl);
	pump(&loop);
	char line[128];
	read_answer(cl, PROTO_STARTED, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 the container is not ready");
	close(cl);
}

Test(ctr_hostile, the_control_socket_refuses_what_is_not_a_proto_message)
{
	static char path[64];
	struct err err = { 0 };
	snprintf(path, sizeof(path), "/tmp/mvm-ctr-hostile3.%d", (int)getpid());
	unlink(path);
	cr_assert_eq(ctr_listen(c, path, &err), 0, "%s", err.msg);
	c->state = CTR_WAIT_START;
	/* The text line of old, and a START that carries a payload. */
	int cl = connect_to(path);
	pump(&loop);
	cr_assert_eq(write(cl, "start\nstart\n", 12), 12);
	pump(&loop);
	char line[128];
	read_answer(cl, PROTO_STARTED, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 not a control message");
	close(cl);
	struct proto_buf b = { 0 };
	proto_encode_u32(&b, PROTO_START, 1);
	cl = connect_to(path);
	pump(&loop);
	cr_assert_eq(write(cl, b.data, b.len), (ssize_t)b.len);
	proto_buf_free(&b);
	pump(&loop);
	read_answer(cl, PROTO_STARTED, line, sizeof(line));
	cr_assert_str_eq(line, "ERROR 1 a malformed START");
	cr_assert_eq(c->state, CTR_WAIT_START, "nothing started");
	close(cl);
}

/* mvm forwards the container stream as mvrun wrote it (checked by stream.c
 * before), whole, at the guest's HELLO and not before. */
Test(ctr_hostile, the_guest_gets_the_container_stream_whole_at_hello)
{
	struct proto_spec s = { .cwd = "/", .hostname = "h", .root_tag = "root", .argc = 1,
				.argv = (const char *[]){ "sh", NULL } };
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_spec(&stream, &s), 0);
	cr_assert_eq(proto_encode_empty(&stream, PROTO_CONFINE), 0); /* forwarded, not decoded */
	int g = ctr_accept(c, PROTO_PORT_CONTROL);
	cr_assert_geq(g, 0);
	pump(&loop);
	uint8_t got[4096];
	cr_assert_eq(recv(g, got, sizeof(got), MSG_DONTWAIT), -1, "nothing before HELLO");
	proto_encode_u32(&b, PROTO_HELLO, PROTO_VERSION);
	cr_assert_eq(write(g, b.data, b.len), (ssize_t)b.len);
	proto_buf_free(&b);
	pump(&loop);
	size_t n = 0;
	ssize_t r;
	while (n < stream.len && (r = read(g, got + n, sizeof(got) - n)) > 0)
		n += (size_t)r;
	cr_assert_eq(n, stream.len);
	cr_assert_eq(memcmp(got, stream.data, n), 0);
	cr_assert_eq(c->state, CTR_WAIT_READY);
	proto_buf_free(&stream);
	close(g);
}
