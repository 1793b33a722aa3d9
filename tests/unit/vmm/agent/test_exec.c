/* mvm's exec clients (vmm/agent/exec.c, vmm/agent/ctlsock.c): a client on the control
 * socket, a fake guest on the control stream, and the event loop pumped on
 * the test's thread. Every byte either side sees goes through proto/. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/confine.h"
#include "tests/unit/pump.h"
#include "vmm/agent/ctr.h"

static struct evloop loop;
static struct ctr *c;
static struct proto_buf init_stream; /* never sent: no HELLO here */
static int guest = -1;
static char path[64];

static void setup(void)
{
	struct err err = { 0 };
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(evloop_init(&loop, &err), 0, "%s", err.msg);
	c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	cr_assert_eq(ctr_init(c, &loop, &init_stream, false, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "/tmp/mvm-exec-test.%d", (int)getpid());
	unlink(path);
	cr_assert_eq(ctr_listen(c, path, &err), 0, "%s", err.msg);
	guest = ctr_accept(c, PROTO_PORT_CONTROL);
	cr_assert_geq(guest, 0);
	c->state = CTR_RUNNING; /* as after HELLO, SPEC, READY and START */
}

static void teardown(void)
{
	ctr_fini(c);
	free(c);
	close(guest);
	evloop_fini(&loop);
}

TestSuite(exec, .init = setup, .fini = teardown);

/* Read exactly n bytes, waiting up to 2 s; collects an SCM_RIGHTS fd. */
static int read_n(int fd, uint8_t *p, size_t n, int *gotfd)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 2000) != 1)
			return -1;
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { p + got, n - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf) };
		ssize_t r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (r <= 0)
			return -1;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_type == SCM_RIGHTS && gotfd)
			memcpy(gotfd, CMSG_DATA(cm), sizeof(int));
		got += (size_t)r;
	}
	return 0;
}

/* One whole message into payload (cap bytes); its type, or -1. */
static int read_msg(int fd, uint8_t *payload, size_t cap, uint32_t *len, int *gotfd)
{
	uint8_t h[PROTO_HDR_LEN];
	struct proto_hdr hd;
	if (read_n(fd, h, sizeof(h), gotfd) < 0 || proto_parse_hdr(h, &hd) < 0 || hd.len > cap ||
	    read_n(fd, payload, hd.len, gotfd) < 0)
		return -1;
	*len = hd.len;
	return hd.type;
}

static void send_buf(int fd, struct proto_buf *b)
{
	cr_assert_not(b->failed);
	cr_assert_eq(write(fd, b->data, b->len), (ssize_t)b->len);
	proto_buf_free(b);
}

static const char *echo_argv[] = { "echo", "hi", NULL };
static const char *echo_env[] = { "PATH=/bin", NULL };

/* A client that connected and sent its EXEC. */
static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct proto_spec s = { .cwd = "/", .hostname = "", .root_tag = "", .argc = 2,
				.argv = echo_argv, .envc = 1, .env = echo_env, .uid = 1000 };
	struct proto_buf b = { 0 };
	proto_encode_exec(&b, 12345, &s);
	send_buf(fd, &b);
	pump(&loop); /* accept */
	pump(&loop); /* the request */
	return fd;
}

/* The guest reads an EXEC and returns its id. */
static uint32_t guest_gets_exec(void)
{
	static uint8_t p[4096];
	uint32_t len, id;
	struct proto_spec s;
	const char *scratch[16];
	cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC);
	cr_assert_eq(proto_decode_exec(p, len, &id, &s, scratch, 16), 0);
	cr_assert_str_eq(s.argv[0], "echo");
	cr_assert_str_eq(s.argv[1], "hi");
	cr_assert_eq(s.uid, 1000);
	return id;
}

static void guest_says(struct proto_buf *b)
{
	send_buf(guest, b);
	pump(&loop);
}

Test(exec, a_whole_exec_goes_through_with_its_streams_signals_and_status)
{
	int cl = client();
	uint32_t id = guest_gets_exec();
	cr_assert_eq(id, 0, "the client's id is ignored; mvm picks the slot");

	int s = ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDOUT));
	cr_assert_geq(s, 0);
	uint8_t p[600];
	uint32_t len, v, st;
	int fd = -1;
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, &fd), PROTO_EXEC_FD);
	cr_assert_eq(proto_decode_u32(p, len, &v), 0);
	cr_assert_eq(v, PROTO_EXEC_STDOUT);
	cr_assert_geq(fd, 0, "the stream's fd rides along");
	cr_assert_eq(write(s, "out", 3), 3);
	char buf[8];
	cr_assert_eq(read_n(fd, (uint8_t *)buf, 3, NULL), 0);
	cr_assert_arr_eq(buf, "out", 3, "the client holds the other end of the guest's stream");

	struct proto_buf b = { 0 };
	proto_encode_u32(&b, PROTO_EXEC_STARTED, id);
	guest_says(&b);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_STARTED);
	cr_assert_eq(ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDERR)), -1,
		     "streams come before EXEC_STARTED, never after");

	proto_encode_u32(&b, PROTO_SIGNAL, SIGTERM);
	proto_encode_resize(&b, 24, 80);
	send_buf(cl, &b);
	pump(&loop);
	cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_SIGNAL);
	cr_assert_eq(proto_decode_pair(p, len, &v, &st), 0);
	cr_assert_eq(v, id);
	cr_assert_eq(st, SIGTERM);
	uint16_t rows, cols;
	cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_RESIZE);
	cr_assert_eq(proto_decode_exec_resize(p, len, &v, &rows, &cols), 0);
	cr_assert(v == id && rows == 24 && cols == 80);

	proto_encode_pair(&b, PROTO_EXEC_EXIT, id, 3);
	guest_says(&b);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_EXIT);
	cr_assert_eq(proto_decode_pair(p, len, &v, &st), 0);
	cr_assert_eq(st, 3);
	cr_assert_eq(read(cl, buf, 1), 0, "then the connection ends");
	cr_assert_eq(c->execs.slot[0].state, EXEC_FREE);
	close(s);
	close(fd);
	close(cl);
}

Test(exec, a_client_that_leaves_takes_its_process_and_the_id_waits_for_the_guest)
{
	int cl = client();
	uint32_t id = guest_gets_exec(), v, sig, len;
	close(cl);
	pump(&loop);
	uint8_t p[64];
	cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_SIGNAL);
	cr_assert_eq(proto_decode_pair(p, len, &v, &sig), 0);
	cr_assert(v == id && sig == SIGKILL);
	cr_assert_eq(c->execs.slot[id].state, EXEC_ORPHAN);
	int cl2 = client();
	cr_assert_neq(guest_gets_exec(), id, "an orphan's id is not reused");
	struct proto_buf b = { 0 };
	proto_encode_pair(&b, PROTO_EXEC_EXIT, id, 137);
	guest_says(&b);
	cr_assert_eq(c->execs.slot[id].state, EXEC_FREE);
	close(cl2);
}

/* A CONFINE before the EXEC reaches the guest as EXEC_CONFINE{id} right
 * before EXEC{id}; a flag without its CONFINE (or the reverse) is refused. */
Test(exec, confine_goes_before_the_exec)
{
	static const uint8_t bpf[8] = { 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f };
	struct proto_confine conf = { .flags = PROTO_CONFINE_ALL, .caps = { 1, 2, 3, 4, 5 },
				      .nbpf = 1, .bpf = bpf }, got;
	struct proto_spec s = { .flags = PROTO_SPEC_CONFINE, .cwd = "/", .hostname = "",
				.root_tag = "", .argc = 2, .argv = echo_argv, .envc = 1,
				.env = echo_env, .uid = 1000 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	strcpy(sa.sun_path, path);
	for (int k = 0; k < 3; k++) {
		int cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof(sa)), 0);
		struct proto_buf b = { 0 };
		if (k != 1)
			proto_encode_confine(&b, &conf);
		s.flags = k == 2 ? 0 : PROTO_SPEC_CONFINE;
		proto_encode_exec(&b, 7, &s);
		send_buf(cl, &b);
		pump(&loop);
		pump(&loop);
		pump(&loop);
		if (k) {
			cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
			cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
			cr_assert(strstr(msg, "CONFINE flag does not match"), "%s", msg);
			close(cl);
			continue;
		}
		cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_CONFINE);
		cr_assert_eq(proto_decode_exec_confine(p, len, &id, &got), 0);
		cr_assert_eq(got.caps[4], 5);
		cr_assert_eq(got.nbpf, 1);
		cr_assert_eq(guest_gets_exec(), id, "EXEC_CONFINE and EXEC carry the same id");
		close(cl);
		pump(&loop);
		cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_SIGNAL);
		struct proto_buf e = { 0 };
		proto_encode_pair(&e, PROTO_EXEC_EXIT, id, 137);
		guest_says(&e);
	}
}

Test(exec, refused_before_start_and_when_malformed)
{
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	c->state = CTR_WAIT_READY;
	int cl = client();
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert(strstr(msg, "still being created"), "%s", msg);
	close(cl);
	/* Created and waiting for start: execs go through, as under runc. */
	c->state = CTR_WAIT_START;
	cl = client();
	id = guest_gets_exec();
	close(cl);
	pump(&loop);
	cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_EXEC_SIGNAL, "the orphan is killed");
	c->state = CTR_RUNNING;

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct proto_buf b = { 0 };
	proto_encode_u32(&b, PROTO_SIGNAL, 9); /* not an EXEC */
	send_buf(cl, &b);
	pump(&loop);
	pump(&loop);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert(strstr(msg, "malformed"), "%s", msg);
	close(cl);
	struct pollfd pfd = { guest, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "the guest heard nothing");
}

Test(exec, at_most_64_at_a_time)
{
	int cl[EXEC_MAX + 1];
	for (int i = 0; i < EXEC_MAX; i++) {
		cl[i] = client();
		cr_assert_eq(guest_gets_exec(), (uint32_t)i);
	}
	cl[EXEC_MAX] = client();
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	cr_assert_eq(read_msg(cl[EXEC_MAX], p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert(strstr(msg, "too many execs"), "%s", msg);
	for (int i = 0; i <= EXEC_MAX; i++)
		close(cl[i]);
}

Test(exec, what_a_hostile_guest_sends_is_ignored)
{
	int cl = client();
	uint32_t id = guest_gets_exec();
	struct proto_buf b = { 0 };
	proto_encode_pair(&b, PROTO_EXEC_EXIT, EXEC_MAX, 0);
	proto_encode_pair(&b, PROTO_EXEC_EXIT, UINT32_MAX, 0);
	proto_encode_u32(&b, PROTO_EXEC_STARTED, id + 1);  /* a free slot */
	proto_encode_exec_error(&b, id + 2, 1, "nobody asked");
	proto_encode_u32(&b, PROTO_EXEC_EXIT, id);         /* a pair cut short */
	guest_says(&b);
	cr_assert_eq(c->execs.slot[id].state, EXEC_SENT);
	cr_assert_eq(c->execs.slot[id + 1].state, EXEC_FREE);
	cr_assert_eq(ctr_accept(c, PROTO_EXEC_PORT(id + 1, PROTO_EXEC_STDIN)), -1);
	cr_assert_eq(ctr_accept(c, PROTO_EXEC_PORT(EXEC_MAX, PROTO_EXEC_STDIN)), -1);
	cr_assert_eq(ctr_accept(c, PROTO_PORT_EXEC_BASE - 1), -1);
	struct pollfd pfd = { cl, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "the client heard nothing");
	close(cl);
}

Test(exec, an_update_goes_to_the_guest_and_its_answer_back)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t p[600];
	uint32_t len, id, gid, v;
	static struct proto_update u;
	const struct proto_update ask = { 999, 2, { { "pids.max", "20" }, { "memory.max", "max" } }, 0 };
	const char *msg;
	strcpy(sa.sun_path, path);
	for (int k = 0; k < 2; k++) {
		int cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof(sa)), 0);
		struct proto_buf b = { 0 };
		proto_encode_update(&b, &ask);
		send_buf(cl, &b);
		pump(&loop);
		pump(&loop);
		cr_assert_eq(read_msg(guest, p, sizeof(p), &len, NULL), PROTO_UPDATE);
		cr_assert_eq(proto_decode_update(p, len, &u), 0);
		gid = u.id;
		cr_assert_lt(gid, EXEC_MAX, "mvm's own id, not the client's");
		cr_assert_eq(u.ncgfiles, 2);
		cr_assert_str_eq(u.cgfiles[0].name, "pids.max");
		cr_assert_str_eq(u.cgfiles[0].value, "20");
		cr_assert_str_eq(u.cgfiles[1].value, "max");
		struct proto_buf a = { 0 };
		if (k == 0)
			proto_encode_pair(&a, PROTO_EXEC_EXIT, gid, 0);
		else
			proto_encode_exec_error(&a, gid, 1, "cgroup pids: not set up");
		guest_says(&a);
		if (k == 0) {
			cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_EXIT);
			cr_assert_eq(proto_decode_pair(p, len, &id, &v), 0);
			cr_assert_eq(v, 0);
		} else {
			cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
			cr_assert_eq(proto_decode_exec_error(p, len, &id, &v, &msg), 0);
			cr_assert_str_eq(msg, "cgroup pids: not set up");
		}
		cr_assert_eq(c->execs.slot[gid].state, EXEC_FREE, "the id is free again");
		close(cl);
	}
}

Test(exec, each_stream_of_an_exec_is_accepted_once)
{
	int cl = client();
	uint32_t id = guest_gets_exec();
	int s = ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDOUT));
	cr_assert_geq(s, 0);
	uint8_t p[64];
	uint32_t len;
	int fd = -1;
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, &fd), PROTO_EXEC_FD);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDOUT)), -1);
	struct pollfd pfd = { cl, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "the client got one fd for the stream");
	int e = ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDERR));
	cr_assert_geq(e, 0, "another stream of the same exec is fine");
	close(e);
	close(s);
	close(fd);
	close(cl);
}

/* The guest stops reading its control stream until the queue is at the
 * cap: an exec then fails with the reason, and the container lives on. */
Test(exec, an_exec_past_the_guests_queue_cap_fails_alone)
{
	while (c->out.len - c->out_off + 12 <= 2ull * PROTO_MAX_MSG) {
		proto_encode_u32(&c->out, PROTO_SIGNAL, SIGWINCH);
		ctr_flush(c);
	}
	int cl = client();
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert_str_eq(msg, "the guest is not reading its control stream");
	cr_assert_eq(c->state, CTR_RUNNING);
	close(cl);
	pump(&loop);
	/* The guest reads again: what was queued arrives, then the next exec. */
	static uint8_t big[4096];
	int n = 0;
	for (;;) {
		pump(&loop);
		struct pollfd pfd = { guest, POLLIN, 0 };
		if (poll(&pfd, 1, 0) == 0 && c->out.len == 0)
			break;
		cr_assert_eq(read_msg(guest, big, sizeof(big), &len, NULL), PROTO_SIGNAL);
		n++;
	}
	cr_assert_gt(n, 170000, "the queued signals were not dropped (%d)", n);
	cl = client();
	cr_assert_eq(read_msg(guest, big, sizeof(big), &len, NULL), PROTO_EXEC,
		     "the next exec reaches the guest");
	close(cl);
}
