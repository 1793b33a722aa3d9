/* hostnet against the real kernel, in a private network namespace of the
 * test's own process (criterion forks one per test): a veth pair stands for
 * the engine's veth, made with ip(8) as an engine would. Skipped, saying
 * why, where the test cannot make a namespace or a tap. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/net/hostnet.h"
#include "vmm/virtio/net.h"

static void private_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		cr_skip_test("unshare(CLONE_NEWNET): %s", strerror(errno));
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		cr_skip_test("/dev/net/tun: %s", strerror(errno));
	if (system("ip link set lo up") != 0)
		cr_skip_test("no ip(8) to set the namespace up");
}

static void sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The engine's side of the veth: a namespace of its own, held by a child
 * that dies with the test. */
static pid_t peer_pid;

/* Make veth v0 here (`opts` are ip link's for it, e.g. "mtu 1400") and its
 * peer v1 in the peer's namespace, both up: the namespace holds v0 alone,
 * as an engine leaves it. */
static void veth(const char *opts)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	peer_pid = fork();
	cr_assert_geq(peer_pid, 0);
	if (peer_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char ok = unshare(CLONE_NEWNET) == 0;
		if (write(p[1], &ok, 1) != 1 || !ok)
			_exit(1);
		for (;;)
			pause();
	}
	char ok = 0;
	cr_assert_eq(read(p[0], &ok, 1), 1);
	cr_assert(ok, "the peer's namespace");
	close(p[0]);
	close(p[1]);
	char cmd[320];
	snprintf(cmd, sizeof(cmd), "ip link add v1 type veth peer name v0 %s && ip link set v1 netns %d && "
		 "ip link set v0 up && nsenter -t %d -n ip link set v1 up", opts, (int)peer_pid,
		 (int)peer_pid);
	sh(cmd);
}

Test(hostnet, only_lo_gives_no_interface)
{
	private_netns();
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(strncmp(name, "mvtap", 5), 0, "%s", name);
	struct proto_net n;
	int joined;
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), 0, "%s", err.msg);
	cr_assert_eq(n.flags, 0);
	close(fd);
}

/* A packet socket on v1, the veth's peer. */
static int packet_on(const char *ifname)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)peer_pid);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), peer = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(self >= 0 && peer >= 0);
	cr_assert_eq(setns(peer, CLONE_NEWNET), 0);
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	cr_assert_geq(s, 0);
	struct sockaddr_ll sl = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname) };
	cr_assert_eq(bind(s, (struct sockaddr *)&sl, sizeof(sl)), 0);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0); /* the socket stays in the peer's */
	close(self);
	close(peer);
	return s;
}

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, 5000) == 1;
}

Test(hostnet, reads_the_veth_and_redirects_both_ways)
{
	private_netns();
	veth("mtu 1400 address 02:42:0a:58:00:05");
	sh("ip addr add 10.88.0.5/16 dev v0 && "
	   "ip -6 addr add fd00::5/64 dev v0 nodad && ip route add default via 10.88.0.1 && "
	   "ip route add 192.168.7.0/24 via 10.88.0.9 metric 7");
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	struct proto_net n;
	int joined;
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), 0, "%s", err.msg);
	cr_assert_str_eq(ifname, "v0");
	cr_assert_eq(n.flags, PROTO_NET_UP);
	cr_assert_eq(n.mtu, 1400);
	static const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0x58, 0, 5 };
	cr_assert_arr_eq(n.mac, mac, 6);
	bool v4 = false, v6 = false;
	for (uint32_t i = 0; i < n.naddrs; i++) {
		if (n.addrs[i].family == PROTO_NET_INET && n.addrs[i].prefix == 16 &&
		    !memcmp(n.addrs[i].addr, "\x0a\x58\x00\x05", 4))
			v4 = true;
		if (n.addrs[i].family == PROTO_NET_INET6 && n.addrs[i].prefix == 64 &&
		    n.addrs[i].addr[0] == 0xfd && n.addrs[i].addr[15] == 5)
			v6 = true;
		cr_assert_neq(n.addrs[i].addr[0], 0xfe, "no link-local address");
	}
	cr_assert(v4 && v6, "both addresses (%u)", n.naddrs);
	bool dflt = false, net7 = false;
	for (uint32_t i = 0; i < n.nroutes; i++) {
		const struct proto_net_route *r = &n.routes[i];
		if (r->family == PROTO_NET_INET && r->dst_len == 0 && (r->flags & PROTO_NET_ROUTE_GW) &&
		    !memcmp(r->gw, "\x0a\x58\x00\x01", 4))
			dflt = true;
		if (r->family == PROTO_NET_INET && r->dst_len == 24 && r->metric == 7 &&
		    !memcmp(r->dst, "\xc0\xa8\x07\x00", 4))
			net7 = true;
		cr_assert_neq(r->dst_len, 16, "the connected route is the guest kernel's own");
	}
	cr_assert(dflt && net7, "the default and the 192.168.7.0/24 routes (%u)", n.nroutes);

	/* A frame written to the tap leaves through v0 and arrives on v1. */
	int s1 = packet_on("v1");
	uint8_t f[VNET_HDR_LEN + 64] = { 0 };
	memset(f + VNET_HDR_LEN, 0xff, 6);                 /* broadcast */
	memcpy(f + VNET_HDR_LEN + 6, mac, 6);
	f[VNET_HDR_LEN + 12] = 0x88, f[VNET_HDR_LEN + 13] = 0xb5; /* local experimental */
	memcpy(f + VNET_HDR_LEN + 14, "from the guest", 14);
	cr_assert_eq(write(fd, f, sizeof(f)), (ssize_t)sizeof(f));
	uint8_t got[2048];
	bool seen = false;
	while (!seen && readable(s1)) {
		ssize_t r = recv(s1, got, sizeof(got), 0);
		seen = r >= 28 && !memcmp(got + 14, "from the guest", 14);
	}
	cr_assert(seen, "the guest's frame reached the veth's peer");
	/* And one sent from v1 comes out of the tap, with a vnet header. */
	uint8_t g[64] = { 0 };
	memcpy(g, mac, 6);
	g[6] = 0x02, g[11] = 0x77;
	g[12] = 0x88, g[13] = 0xb5;
	memcpy(g + 14, "to the guest", 12);
	cr_assert_eq(send(s1, g, sizeof(g), 0), (ssize_t)sizeof(g));
	seen = false;
	while (!seen && readable(fd)) {
		ssize_t r = read(fd, got, sizeof(got));
		seen = r >= VNET_HDR_LEN + 26 && !memcmp(got + VNET_HDR_LEN + 14, "to the guest", 12);
	}
	cr_assert(seen, "the peer's frame reached the tap");
	close(s1);
	close(fd);
}

Test(hostnet, tap_goes_with_its_fd)
{
	private_netns();
	struct err err = { 0 };
	char name[IFNAMSIZ];
	int tap;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_gt(if_nametoindex(name), 0);
	close(fd);
	cr_assert_eq(if_nametoindex(name), 0, "no tap left behind");
}

Test(hostnet, interface_gone_since_create_is_an_error)
{
	private_netns();
	veth("");
	struct err err = { 0 };
	char name[IFNAMSIZ], seen[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_peek(tap, seen, &err), 0, "%s", err.msg);
	cr_assert_str_eq(seen, "v0");
	sh("ip link del v0");
	struct proto_net n;
	int joined;
	cr_assert_eq(hostnet_attach(tap, seen, &n, ifname, &joined, &err), -1);
	cr_assert_str_eq(err.msg, "net: v0, the container's network interface at create, is gone");
	close(fd);
}

/* A second VM in the same namespace (a restarted container) replaces the
 * first one's redirect, which points at a tap that is gone. */
Test(hostnet, second_attach_replaces_a_stale_redirect)
{
	private_netns();
	veth("");
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap;
	struct proto_net n;
	int joined;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), 0, "%s", err.msg);
	close(fd);
	fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), 0, "%s", err.msg);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "test $(tc filter show dev v0 ingress | grep -c 'Redirect to device') = 1 && "
		 "tc filter show dev v0 ingress | grep -q 'Redirect to device %s'", name);
	sh(cmd);
	close(fd);
}

/* A join that fails at its last step (the tap's MTU is at most 65521) undoes
 * the earlier ones: no ingress qdisc (nor filter) on the veth or the tap. */
Test(hostnet, failed_join_leaves_no_qdisc)
{
	private_netns();
	veth("mtu 65535");
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap, joined = -1;
	struct proto_net n;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), -1);
	cr_assert_eq(strncmp(err.msg, "net: bring the tap up at v0's MTU, 65535: ", 42), 0, "%s", err.msg);
	cr_assert_eq(joined, 0);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "! tc qdisc show dev v0 | grep -q ingress && "
		 "! tc qdisc show dev %s | grep -q ingress && ! ip -o link show %s | grep -q ',UP'",
		 name, name);
	sh(cmd);
	close(fd);
}

/* hostnet_detach leaves the veth as the engine made it: no ingress qdisc,
 * so the peer's frames reach the namespace again. */
Test(hostnet, detach_removes_the_redirect)
{
	private_netns();
	veth("");
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ];
	int tap, joined;
	struct proto_net n;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), 0, "%s", err.msg);
	cr_assert_eq(joined, (int)if_nametoindex("v0"));
	sh("tc qdisc show dev v0 | grep -q ingress");
	close(fd); /* as at the VM's end: the tap goes first */
	cr_assert_eq(hostnet_detach(joined, 0, &err), 0, "%s", err.msg);
	sh("! tc qdisc show dev v0 | grep -q ingress");
	/* Gone since: no error. */
	sh("ip link del v0");
	cr_assert_eq(hostnet_detach(joined, 0, &err), 0, "%s", err.msg);
}

/* Two interfaces besides lo: the guest would get one, so create (peek) and
 * start (attach) refuse, naming both, and join nothing. */
Test(hostnet, second_interface_is_refused)
{
	private_netns();
	veth("");
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "ip link add w1 type veth peer name w0 && ip link set w1 netns %d",
		 (int)peer_pid);
	sh(cmd);
	struct err err = { 0 };
	char name[IFNAMSIZ], ifname[IFNAMSIZ], seen[IFNAMSIZ];
	int tap, joined = -1;
	struct proto_net n;
	int fd = hostnet_tap_open(&tap, name, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert_eq(hostnet_peek(tap, seen, &err), -1);
	cr_assert_str_eq(err.msg, "net: the network namespace has more than one interface besides lo "
			 "(v0, w0): the guest gets one, so mvrun joins only a namespace with a single one");
	cr_assert_eq(hostnet_attach(tap, NULL, &n, ifname, &joined, &err), -1);
	cr_assert(strstr(err.msg, "more than one interface besides lo (v0, w0)"), "%s", err.msg);
	cr_assert_eq(joined, 0);
	sh("! tc qdisc show | grep -q ingress");
	close(fd);
}
