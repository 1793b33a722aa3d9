/* vsock host side: host-initiated connections over the unix socket
 * ("CONNECT <port>\n" / "OK <hostport>\n"), the default accept to
 * "<uds>_<port>", fds epoll cannot watch, and driver reset. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tests/unit/vmm/virtio/vsock/test_vsock_util.h"

static struct guest g;
static struct acc acc;
static int fds_before;
static char dir[64], uds[128];

static void setup(void)
{
	fds_before = open_fds();
	memset(&acc, 0, sizeof(acc));
	acc.peer = -1;
	strcpy(dir, "/tmp/mvm-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	g_setup(&g, uds, acc_fn, &acc);
	g_post_rx(&g, 16);
}

static void teardown(void)
{
	g_teardown(&g);
	if (acc.peer >= 0)
		close(acc.peer);
	cr_assert_eq(open_fds(), fds_before, "fds leaked");
	struct stat st;
	cr_assert_neq(stat(uds, &st), 0, "fini removes the socket");
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vsock_host, .init = setup, .fini = teardown);

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s", strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int client(const char *line)
{
	int fd = unix_connect(uds);
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	g_pump(&g);
	return fd;
}

Test(vsock_host, connect_ok_and_relay)
{
	int fd = client("CONNECT 52\nearly");
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST);
	cr_assert_eq(p->h.src_cid, 2);
	cr_assert_eq(p->h.dst_port, 52);
	cr_assert_geq(p->h.src_port, VSOCK_HPORT_BASE);
	cr_assert_eq(p->h.buf_alloc, VSOCK_BUF_ALLOC);
	uint32_t hport = p->h.src_port;
	char buf[64];
	cr_assert_lt(read(fd, buf, sizeof(buf)), 0, "nothing before the guest answers");

	g_send(&g, VIRTIO_VSOCK_OP_RESPONSE, 52, hport, 0, 65536, 0, NULL, 0);
	char want[32];
	int n = snprintf(want, sizeof(want), "OK %u\n", hport);
	read_n(&g, fd, buf, (size_t)n);
	cr_assert_eq(memcmp(buf, want, (size_t)n), 0);
	/* Bytes the client sent behind its CONNECT line come through, in order. */
	p = expect_pkt(&g, VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p->h.len, 5);
	cr_assert_eq(memcmp(p->data, "early", 5), 0);
	cr_assert_eq(p->h.dst_port, 52);
	cr_assert_eq(p->h.src_port, hport);

	g_send(&g, VIRTIO_VSOCK_OP_RW, 52, hport, 0, 65536, 5, "from guest", 10);
	read_n(&g, fd, buf, 10);
	cr_assert_eq(memcmp(buf, "from guest", 10), 0);
	close(fd);
	g_pump(&g);
	expect_pkt(&g, VIRTIO_VSOCK_OP_SHUTDOWN);
	g_send(&g, VIRTIO_VSOCK_OP_SHUTDOWN, 52, hport, 3, 65536, 5, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(g.v.nconns, 0);
}

Test(vsock_host, second_client_gets_a_new_port)
{
	int a = client("CONNECT 52\n");
	int b = client("CONNECT 52\n");
	uint32_t pa = expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST)->h.src_port;
	uint32_t pb = expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST)->h.src_port;
	cr_assert_neq(pa, pb);
	close(a);
	close(b);
}

Test(vsock_host, guest_refuses)
{
	int fd = client("CONNECT 53\n");
	uint32_t hport = expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST)->h.src_port;
	g_send(&g, VIRTIO_VSOCK_OP_RST, 53, hport, 0, 0, 0, NULL, 0);
	cr_assert(at_eof(fd));
	cr_assert_eq(g.v.nconns, 0);
	close(fd);
}

Test(vsock_host, bad_lines_are_closed)
{
	const char *bad[] = { "CONNECT x\n", "HELLO\n", "CONNECT 99999999999\n",
			      "CONNECT 1111111111111111111111111111111111111" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = client(bad[i]);
		cr_assert(at_eof(fd), "%s", bad[i]);
		close(fd);
	}
	int fd = client("CONN"); /* a partial line waits */
	cr_assert_eq(g.v.nconns, 1);
	cr_assert_eq(write(fd, "ECT 9\n", 6), 6);
	g_pump(&g);
	cr_assert_eq(expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST)->h.dst_port, 9);
	close(fd);
	cr_assert_eq(g_rx_pending(&g), 0, "nothing reached the guest");
}

Test(vsock_host, request_waits_for_rx_buffers)
{
	g_driver_init(&g); /* no buffers */
	int fd = client("CONNECT 52\n");
	cr_assert_eq(g_rx_pending(&g), 0);
	g_post_rx(&g, 2);
	expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST);
	close(fd);
}

Test(vsock_host, response_on_wrong_port_is_reset)
{
	int fd = client("CONNECT 52\n");
	uint32_t hport = expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST)->h.src_port;
	g_send(&g, VIRTIO_VSOCK_OP_RESPONSE, 52, hport + 1, 0, 65536, 0, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	g_send(&g, VIRTIO_VSOCK_OP_RW, 52, hport, 0, 65536, 0, "x", 1);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST); /* data before RESPONSE */
	cr_assert(at_eof(fd));
	close(fd);
}

Test(vsock_host, driver_reset_closes_everything)
{
	guest_connect(&g, 1000, 50, 65536);
	int fd = client("CONNECT 52\n");
	cr_assert_eq(g.v.nconns, 2);
	g_w32(&g, 0x070, 0);
	g_pump(&g);
	cr_assert_eq(g.v.nconns, 0);
	cr_assert(at_eof(acc.peer));
	cr_assert(at_eof(fd));
	close(fd);
}

static int listen_at(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

Test(vsock_host, default_accept_connects_to_uds_port)
{
	g_teardown(&g);
	g_setup(&g, uds, NULL, NULL);
	g_post_rx(&g, 16);
	char path[160];
	snprintf(path, sizeof(path), "%s_60", uds);
	int l = listen_at(path);
	guest_connect(&g, 1000, 60, 65536);
	int fd = accept(l, NULL, NULL);
	cr_assert_geq(fd, 0);
	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 60, 0, 65536, 0, "ping", 4);
	char buf[4];
	read_n(&g, fd, buf, 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	/* No listener on port 61: RST. */
	g_send(&g, VIRTIO_VSOCK_OP_REQUEST, 1001, 61, 0, 65536, 0, NULL, 0);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	close(fd);
	close(l);
	unlink(path);
}

Test(vsock_host, unpollable_fds_are_always_ready)
{
	acc.mode = ACC_FD;
	acc.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	guest_connect(&g, 1000, 50, 65536);
	struct vsock_conn *c = vsock_conn_find(&g.v, 1000, 50);
	cr_assert_not(c->pollable, "epoll refuses /dev/null");
	struct gpkt *p = expect_pkt(&g, VIRTIO_VSOCK_OP_SHUTDOWN); /* read EOF at once */
	cr_assert_eq(p->h.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	g_send(&g, VIRTIO_VSOCK_OP_RW, 1000, 50, 0, 65536, 0, "discard", 7);
	g_send(&g, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1000, 50, 0, 65536, 0, NULL, 0);
	cr_assert_eq(expect_pkt(&g, VIRTIO_VSOCK_OP_CREDIT_UPDATE)->h.fwd_cnt, 7);

	/* A regular file: its whole content, then EOF. */
	char path[160];
	snprintf(path, sizeof(path), "%s/file", dir);
	FILE *f = fopen(path, "w");
	static char content[10000];
	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (char)('a' + i % 26);
	fwrite(content, 1, sizeof(content), f);
	fclose(f);
	acc.fd = open(path, O_RDONLY | O_CLOEXEC);
	guest_connect(&g, 1001, 50, 65536);
	static char got[10000];
	uint32_t n = 0;
	for (;;) {
		struct gpkt q;
		if (!g_recv(&g, &q)) {
			g_post_rx(&g, 0);
			cr_assert_eq(g_recv(&g, &q), 1);
		}
		if (q.h.op == VIRTIO_VSOCK_OP_SHUTDOWN)
			break;
		cr_assert_eq(q.h.op, VIRTIO_VSOCK_OP_RW);
		memcpy(got + n, q.data, q.h.len);
		n += q.h.len;
	}
	cr_assert_eq(n, sizeof(content));
	cr_assert_eq(memcmp(got, content, n), 0);
	/* Guest writes to a read-only fd fail: RST. */
	g_send(&g, VIRTIO_VSOCK_OP_RW, 1001, 50, 0, 65536, 0, "x", 1);
	expect_pkt(&g, VIRTIO_VSOCK_OP_RST);
	unlink(path);
}

Test(vsock_host, listener_at_the_cap_closes_new_clients)
{
	g.v.max_conns = 1;
	int a = client("CONNECT 52\n");
	int b = client("CONNECT 52\n");
	cr_assert(at_eof(b));
	expect_pkt(&g, VIRTIO_VSOCK_OP_REQUEST);
	cr_assert_eq(g_rx_pending(&g), 0);
	close(a);
	close(b);
}
