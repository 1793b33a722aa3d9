/* mvm's pod members (vmm/agent/exec.c, proto/proto.h "Pods"): a member's
 * client on the control socket, a fake guest on the control stream, the
 * event loop pumped on the test's thread. The stream is checked as a
 * container's, every message goes to the guest as MEMBER{id, message}, and
 * what the guest says for a member reaches its client alone. */
#include <criterion/criterion.h>
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
static struct proto_buf init_stream;
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
	snprintf(path, sizeof(path), "/tmp/mvm-member-test.%d", (int)getpid());
	unlink(path);
	cr_assert_eq(ctr_listen(c, path, &err), 0, "%s", err.msg);
	guest = ctr_accept(c, PROTO_PORT_CONTROL);
	cr_assert_geq(guest, 0);
	c->state = CTR_RUNNING;
}

static void teardown(void)
{
	ctr_fini(c);
	free(c);
	close(guest);
	evloop_fini(&loop);
}

TestSuite(member, .init = setup, .fini = teardown);

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

/* A member's client that sent MEMBER{0, SPEC} with this root tag. */
static int client(const char *root)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct proto_spec s = { .cwd = "/", .hostname = "", .root_tag = root, .argc = 1,
				.argv = (const char *[]){ "sleep", NULL },
				.env = (const char *[]){ NULL } };
	s.mounts[s.nmounts++] = (struct proto_mount){ .tag = "pod/m/files0/f1", .path = "/etc/hosts",
						      .flags = PROTO_MOUNT_FILE };
	struct proto_buf spec = { 0 }, payload = { 0 }, b = { 0 };
	uint8_t zero[4] = { 0 };
	cr_assert_eq(proto_encode_spec(&spec, &s), 0);
	proto_append(&payload, zero, 4);
	proto_append(&payload, spec.data, spec.len);
	cr_assert_eq(proto_encode_raw(&b, PROTO_MEMBER, payload.data, payload.len), 0);
	send_buf(fd, &b);
	proto_buf_free(&spec);
	proto_buf_free(&payload);
	pump(&loop);
	pump(&loop);
	return fd;
}

/* The guest reads MEMBER{id, message}: the inner type, the id in *id. */
static int guest_gets(uint32_t *id, uint8_t *inner, size_t cap, uint32_t *len)
{
	static uint8_t p[8192];
	uint32_t n;
	struct proto_hdr h;
	const uint8_t *q;
	cr_assert_eq(read_msg(guest, p, sizeof(p), &n, NULL), PROTO_MEMBER);
	cr_assert_eq(proto_decode_member(p, n, id, &h, &q), 0);
	cr_assert_leq(h.len, cap);
	memcpy(inner, q, h.len);
	*len = h.len;
	return h.type;
}

/* The guest says message m (an encoder's output) for member id. */
static void guest_says(uint32_t id, struct proto_buf *m)
{
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_member(&b, id, m->data, m->len), 0);
	proto_buf_free(m);
	send_buf(guest, &b);
	pump(&loop);
}

Test(member, a_whole_member_goes_through)
{
	int cl = client("pod/m/root");
	uint8_t p[4096];
	uint32_t id, len, v, st;
	cr_assert_eq(guest_gets(&id, p, sizeof(p), &len), PROTO_SPEC);
	struct proto_spec s;
	const char *scratch[8];
	cr_assert_eq(proto_decode_spec(p, len, &s, scratch, 8), 0);
	cr_assert_str_eq(s.root_tag, "pod/m/root");
	cr_assert(c->execs.slot[id].member);

	int sfd = ctr_accept(c, PROTO_EXEC_PORT(id, PROTO_EXEC_STDOUT)), fd = -1;
	cr_assert_geq(sfd, 0, "the member's stdio streams are on its id's ports");
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, &fd), PROTO_EXEC_FD);
	cr_assert_geq(fd, 0);

	struct proto_buf m = { 0 };
	proto_encode_empty(&m, PROTO_READY);
	guest_says(id, &m);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_READY);

	struct proto_buf b = { 0 };
	proto_encode_empty(&b, PROTO_START);
	proto_encode_u32(&b, PROTO_SIGNAL, SIGTERM);
	send_buf(cl, &b);
	pump(&loop);
	uint32_t mid;
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_START);
	cr_assert_eq(mid, id);
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_SIGNAL);
	cr_assert_eq(proto_decode_u32(p, len, &v), 0);
	cr_assert_eq(v, SIGTERM);

	proto_encode_empty(&m, PROTO_STARTED);
	guest_says(id, &m);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_STARTED);
	proto_encode_u32(&m, PROTO_EXIT, 3);
	guest_says(id, &m);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_EXIT);
	cr_assert_eq(proto_decode_pair(p, len, &v, &st), 0);
	cr_assert(v == id && st == 3);
	char x;
	cr_assert_eq(read(cl, &x, 1), 0, "then the connection ends");
	cr_assert_eq(c->execs.slot[id].state, EXEC_FREE);
	cr_assert_not(c->execs.slot[id].member);
	close(sfd);
	close(fd);
	close(cl);
}

Test(member, a_stream_naming_a_share_outside_the_pod_share_is_refused)
{
	int cl = client("root");
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert(strstr(msg, "the root is share \"root\""), "%s", msg);
	struct pollfd pfd = { guest, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "nothing went to the guest");
	close(cl);
}

Test(member, a_client_that_leaves_takes_its_member)
{
	int cl = client("pod/m/root");
	uint8_t p[4096];
	uint32_t id, mid, len, v;
	cr_assert_eq(guest_gets(&id, p, sizeof(p), &len), PROTO_SPEC);
	close(cl);
	pump(&loop);
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_SIGNAL);
	cr_assert_eq(mid, id);
	cr_assert_eq(proto_decode_u32(p, len, &v), 0);
	cr_assert_eq(v, SIGKILL);
	cr_assert_eq(c->execs.slot[id].state, EXEC_ORPHAN, "the id waits for the guest's end");
	struct proto_buf m = { 0 };
	proto_encode_u32(&m, PROTO_EXIT, 137);
	guest_says(id, &m);
	cr_assert_eq(c->execs.slot[id].state, EXEC_FREE);
}

/* A hostile guest: MEMBER for an id that is no member, or malformed. */
Test(member, what_the_guest_says_for_no_member_is_ignored)
{
	int cl = client("pod/m/root");
	uint8_t p[4096];
	uint32_t id, len;
	cr_assert_eq(guest_gets(&id, p, sizeof(p), &len), PROTO_SPEC);
	struct proto_buf m = { 0 };
	proto_encode_u32(&m, PROTO_EXIT, 1);
	guest_says(id + 1, &m);
	proto_encode_u32(&m, PROTO_EXIT, 1);
	guest_says(PROTO_MAX_EXECS + 5, &m);
	struct proto_buf bad = { 0 };
	proto_encode_raw(&bad, PROTO_MEMBER, "\0\0\0\0\1\0", 6);
	send_buf(guest, &bad);
	pump(&loop);
	struct pollfd pfd = { cl, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "the member's client heard nothing");
	cr_assert_eq(c->execs.slot[id].state, EXEC_SENT);
	close(cl);
}

/* An exec client whose EXEC names root tag `root`. */
static int exec_client(const char *root)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct proto_spec s = { .cwd = "/", .hostname = "", .root_tag = root, .argc = 1,
				.argv = (const char *[]){ "id", NULL },
				.env = (const char *[]){ NULL } };
	struct proto_buf b = { 0 };
	proto_encode_exec(&b, 0, &s);
	send_buf(fd, &b);
	pump(&loop);
	pump(&loop);
	return fd;
}

Test(member, an_exec_naming_a_member_runs_in_it_and_ends_with_it)
{
	int cl = client("pod/m/root");
	uint8_t p[4096];
	uint32_t id, mid, len, xid, v, st;
	cr_assert_eq(guest_gets(&id, p, sizeof(p), &len), PROTO_SPEC);
	int ex = exec_client("pod/m/root");
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_EXEC, "wrapped for the member");
	cr_assert_eq(mid, id);
	struct proto_spec s;
	const char *scratch[8];
	cr_assert_eq(proto_decode_exec(p, len, &xid, &s, scratch, 8), 0);
	cr_assert_neq(xid, id, "the exec has an id of its own");
	cr_assert_eq(c->execs.slot[xid].in_member, (int)id);

	struct proto_buf m = { 0 };
	proto_encode_u32(&m, PROTO_EXEC_STARTED, xid);
	guest_says(id, &m);
	cr_assert_eq(read_msg(ex, p, sizeof(p), &len, NULL), PROTO_EXEC_STARTED);
	proto_encode_u32(&m, PROTO_EXEC_STARTED, xid);
	guest_says(id + 1, &m); /* a report under another member's id: ignored */

	struct proto_buf b = { 0 };
	proto_encode_u32(&b, PROTO_SIGNAL, SIGINT);
	send_buf(ex, &b);
	pump(&loop);
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_EXEC_SIGNAL);
	cr_assert_eq(mid, id);
	cr_assert_eq(proto_decode_pair(p, len, &v, &st), 0);
	cr_assert(v == xid && st == SIGINT);

	proto_encode_u32(&m, PROTO_EXIT, 0);
	guest_says(id, &m);
	cr_assert_eq(read_msg(ex, p, sizeof(p), &len, NULL), PROTO_EXEC_EXIT,
		     "the member ended, and its exec with it");
	cr_assert_eq(proto_decode_pair(p, len, &v, &st), 0);
	cr_assert(v == xid && st == 137);
	cr_assert_eq(c->execs.slot[xid].state, EXEC_FREE);
	close(ex);
	close(cl);
}

Test(member, an_exec_naming_no_member_is_refused)
{
	int ex = exec_client("pod/nobody/root");
	uint8_t p[600];
	uint32_t len, id, st;
	const char *msg;
	cr_assert_eq(read_msg(ex, p, sizeof(p), &len, NULL), PROTO_EXEC_ERROR);
	cr_assert_eq(proto_decode_exec_error(p, len, &id, &st, &msg), 0);
	cr_assert_str_eq(msg, "no such member runs in this pod");
	close(ex);
}

Test(member, a_members_update_is_answered_to_its_client)
{
	int cl = client("pod/m/root");
	uint8_t p[4096];
	uint32_t id, mid, len, v, st;
	cr_assert_eq(guest_gets(&id, p, sizeof(p), &len), PROTO_SPEC);
	static struct proto_update u;
	u = (struct proto_update){ .id = 77, .ncgfiles = 1 };
	u.cgfiles[0] = (struct proto_cgfile){ "cgroup.freeze", "1" };
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_update(&b, &u), 0);
	send_buf(cl, &b);
	pump(&loop);
	cr_assert_eq(guest_gets(&mid, p, sizeof(p), &len), PROTO_UPDATE);
	cr_assert_eq(proto_decode_update(p, len, &u), 0);
	cr_assert(mid == id && u.id == id, "the member's own id");
	struct proto_buf m = { 0 };
	proto_encode_pair(&m, PROTO_EXEC_EXIT, id, 0);
	guest_says(id, &m);
	cr_assert_eq(read_msg(cl, p, sizeof(p), &len, NULL), PROTO_MEMBER,
		     "the answer comes wrapped, so the client tells it from the member's end");
	struct proto_hdr in;
	const uint8_t *q;
	cr_assert_eq(proto_decode_member(p, len, &mid, &in, &q), 0);
	cr_assert_eq(in.type, PROTO_EXEC_EXIT);
	cr_assert_eq(proto_decode_pair(q, in.len, &v, &st), 0);
	cr_assert_eq(c->execs.slot[id].state, EXEC_SENT, "the member goes on");
	close(cl);
}
