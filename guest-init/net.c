/* eth0 from the host's NET message (proto_net.h), by raw rtnetlink: mvinit
 * is static musl with no netlink library. Runs before START is handled, so
 * the process starts with its network in place. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-init/mvinit.h"

#define ETH "eth0" /* the one virtio-net device: the kernel's first Ethernet name */

struct req {
	struct nlmsghdr h;
	uint8_t body[512];
};

static void *put_hdr(struct req *r, uint16_t type, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	return NLMSG_DATA(&r->h);
}

static void put_attr(struct req *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send r and read the kernel's ACK. Returns 0, or an errno (EEXIST counts
 * as done: the kernel made that route itself). */
static int talk(int fd, struct req *r)
{
	static uint32_t seq;
	r->h.nlmsg_seq = ++seq;
	if (send(fd, r, r->h.nlmsg_len, 0) < 0)
		return errno;
	for (;;) {
		union {
			struct nlmsghdr h;
			uint8_t b[4096];
		} ans;
		ssize_t n = recv(fd, &ans, sizeof(ans), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return n < 0 ? errno : EPROTO;
		for (struct nlmsghdr *h = &ans.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			return e == EEXIST ? 0 : e;
		}
	}
}

static size_t alen(uint8_t family)
{
	return family == PROTO_NET_INET ? 4 : 16;
}

static uint8_t af(uint8_t family)
{
	return family == PROTO_NET_INET ? AF_INET : AF_INET6;
}

static int link_up(int fd, int idx, const struct proto_net *n)
{
	struct req r;
	struct ifinfomsg *ifi = put_hdr(&r, RTM_NEWLINK, sizeof(*ifi));
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi->ifi_index = idx;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	put_attr(&r, IFLA_ADDRESS, n->mac, 6); /* applied before the link goes up */
	put_attr(&r, IFLA_MTU, &n->mtu, 4);
	return talk(fd, &r);
}

static int add_addr(int fd, int idx, const struct proto_net_addr *a)
{
	struct req r;
	struct ifaddrmsg *ifa = put_hdr(&r, RTM_NEWADDR, sizeof(*ifa));
	ifa->ifa_family = af(a->family);
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = (uint32_t)idx;
	/* The namespace on the host owns the same address: no duplicate
	 * detection, which would hold it tentative past the process's start. */
	ifa->ifa_flags = a->family == PROTO_NET_INET6 ? IFA_F_NODAD : 0;
	put_attr(&r, IFA_LOCAL, a->addr, alen(a->family));
	put_attr(&r, IFA_ADDRESS, a->addr, alen(a->family));
	return talk(fd, &r);
}

static int add_route(int fd, int idx, const struct proto_net_route *rt)
{
	struct req r;
	struct rtmsg *m = put_hdr(&r, RTM_NEWROUTE, sizeof(*m));
	bool gw = rt->flags & PROTO_NET_ROUTE_GW;
	m->rtm_family = af(rt->family);
	m->rtm_dst_len = rt->dst_len;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = RTPROT_BOOT;
	m->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	m->rtm_type = RTN_UNICAST;
	if (rt->dst_len)
		put_attr(&r, RTA_DST, rt->dst, alen(rt->family));
	if (gw)
		put_attr(&r, RTA_GATEWAY, rt->gw, alen(rt->family));
	put_attr(&r, RTA_OIF, &idx, 4);
	if (rt->metric)
		put_attr(&r, RTA_PRIORITY, &rt->metric, 4);
	return talk(fd, &r);
}

/* No interface in the container's namespace: the process gets a network
 * namespace of its own with only lo, as it would under runc. eth0 stays
 * behind, down, in mvinit's. */
static int only_lo(struct err *e)
{
	if (unshare(CLONE_NEWNET) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "net: a namespace with only lo");
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(ifr.ifr_name, "lo");
	int r = fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
		(ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0);
	int err = errno;
	if (fd >= 0)
		close(fd);
	return r ? err_sys(e, MVI_EXIT_SETUP, err, "net: bring up lo") : 0;
}

int net_apply(const struct proto_net *n, struct err *e)
{
	if (!(n->flags & PROTO_NET_UP))
		return only_lo(e);
	int idx = (int)if_nametoindex(ETH);
	if (idx <= 0)
		return err_set(e, MVI_EXIT_SETUP, "net: the guest has no %s (no virtio-net device?)", ETH);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "net: rtnetlink socket");
	int err = link_up(fd, idx, n);
	if (err) {
		close(fd);
		return err_sys(e, MVI_EXIT_SETUP, err, "net: set %s's MAC and MTU %u and bring it up",
			       ETH, n->mtu);
	}
	for (uint32_t i = 0; i < n->naddrs; i++)
		if ((err = add_addr(fd, idx, &n->addrs[i]))) {
			close(fd);
			return err_sys(e, MVI_EXIT_SETUP, err, "net: add address %u/%u to %s",
				       i, n->addrs[i].prefix, ETH);
		}
	/* Routes without a gateway first: the gateways are reached through them. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < n->nroutes; i++) {
			const struct proto_net_route *rt = &n->routes[i];
			if (!!(rt->flags & PROTO_NET_ROUTE_GW) != pass)
				continue;
			if ((err = add_route(fd, idx, rt))) {
				close(fd);
				return err_sys(e, MVI_EXIT_SETUP, err, "net: add route %u (/%u%s) via %s",
					       i, rt->dst_len, pass ? " with a gateway" : "", ETH);
			}
		}
	close(fd);
	return 0;
}
