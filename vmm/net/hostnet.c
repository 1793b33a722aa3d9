/* hostnet.h: the tap, and what the namespace's interface carries, read over
 * rtnetlink (libmnl); the tc steps of the join are hostnet_tc.c's. */
#include "vmm/net/hostnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/net/hostnet_nl.h"
#include "vmm/virtio/net.h"

int hostnet_tap_open(int *ifindex, char name[IFNAMSIZ], struct err *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: open /dev/net/tun");
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", HOSTNET_TAP_NAME);
	int hdr = VNET_HDR_LEN, le = 1;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "net: create a tap in the container's network namespace");
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "net: TUNSETVNETHDRSZ");
		close(fd);
		return -1;
	}
	ioctl(fd, TUNSETVNETLE, &le); /* virtio 1 is little-endian; x86 is anyway */
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	*ifindex = (int)if_nametoindex(name);
	if (*ifindex <= 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "net: tap %s has no index", name);
		close(fd);
		return -1;
	}
	return fd;
}


struct links {
	int skip, found;
	char name[IFNAMSIZ];
	char other[IFNAMSIZ]; /* a second interface, "" if none */
	uint8_t mac[6];
	int maclen;
	uint32_t mtu;
};

/* The devices the kernel makes in every namespace when a tunnel module is
 * loaded (sit0, tunl0, gre0...): down, unconfigured, never the engine's. */
static bool fallback_tunnel(const char *name)
{
	static const char *const fb[] = { "sit0", "tunl0", "ip6tnl0", "gre0", "gretap0", "erspan0",
					  "ip6gre0", "ip6gretap0", "ip6erspan0", "ip_vti0", "ip6_vti0" };
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++)
		if (!strcmp(name, fb[i]))
			return true;
	return false;
}

static int on_link(const struct nlmsghdr *h, void *data)
{
	struct links *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	if (ifi->ifi_flags & IFF_LOOPBACK || ifi->ifi_index == l->skip)
		return MNL_CB_OK;
	const struct nlattr *a, *name = NULL;
	mnl_attr_for_each(a, h, sizeof(*ifi))
		if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			name = a;
	const char *nm = name ? mnl_attr_get_str(name) : "?";
	if (!(ifi->ifi_flags & IFF_UP) && fallback_tunnel(nm))
		return MNL_CB_OK;
	if (l->found) {
		if (!l->other[0])
			snprintf(l->other, sizeof(l->other), "%s", nm);
		return MNL_CB_OK;
	}
	l->found = ifi->ifi_index;
	snprintf(l->name, sizeof(l->name), "%s", nm);
	mnl_attr_for_each(a, h, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_ADDRESS:
			l->maclen = mnl_attr_get_payload_len(a);
			if (l->maclen == 6)
				memcpy(l->mac, mnl_attr_get_payload(a), 6);
			break;
		case IFLA_MTU:
			if (mnl_attr_get_payload_len(a) == 4)
				l->mtu = mnl_attr_get_u32(a);
			break;
		}
	}
	return MNL_CB_OK;
}

struct dump {
	int ifindex;
	struct proto_net *n;
	bool overflow;
};

static uint8_t fam(int af)
{
	return af == AF_INET ? PROTO_NET_INET : PROTO_NET_INET6;
}

static void copy_addr(uint8_t out[16], const struct nlattr *a, int af)
{
	size_t len = af == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(a) == len)
		memcpy(out, mnl_attr_get_payload(a), len);
}

static int on_addr(const struct nlmsghdr *h, void *data)
{
	struct dump *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	if ((int)ifa->ifa_index != d->ifindex || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    ifa->ifa_scope == RT_SCOPE_LINK || ifa->ifa_scope == RT_SCOPE_HOST)
		return MNL_CB_OK; /* the guest makes its own link-local address from the MAC */
	if (d->n->naddrs == PROTO_NET_MAX_ADDRS) {
		d->overflow = true;
		return MNL_CB_OK;
	}
	struct proto_net_addr *o = &d->n->addrs[d->n->naddrs];
	memset(o, 0, sizeof(*o));
	o->family = fam(ifa->ifa_family);
	o->prefix = ifa->ifa_prefixlen;
	const struct nlattr *a, *local = NULL, *addr = NULL;
	mnl_attr_for_each(a, h, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			addr = a;
	}
	if (!local && !addr)
		return MNL_CB_OK;
	copy_addr(o->addr, local ? local : addr, ifa->ifa_family);
	d->n->naddrs++;
	return MNL_CB_OK;
}

static int on_route(const struct nlmsghdr *h, void *data)
{
	struct dump *d = data;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
	if ((rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) || rt->rtm_type != RTN_UNICAST ||
	    rt->rtm_protocol == RTPROT_KERNEL)
		return MNL_CB_OK; /* the guest's kernel makes the connected routes itself */
	struct proto_net_route r = { .family = fam(rt->rtm_family), .dst_len = rt->rtm_dst_len };
	uint32_t table = rt->rtm_table;
	int oif = 0;
	const struct nlattr *a;
	mnl_attr_for_each(a, h, sizeof(*rt)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			copy_addr(r.dst, a, rt->rtm_family);
			break;
		case RTA_GATEWAY:
			copy_addr(r.gw, a, rt->rtm_family);
			r.flags |= PROTO_NET_ROUTE_GW;
			break;
		case RTA_PRIORITY:
			r.metric = mnl_attr_get_u32(a);
			break;
		}
	}
	if (table != RT_TABLE_MAIN || oif != d->ifindex)
		return MNL_CB_OK;
	if (d->n->nroutes == PROTO_NET_MAX_ROUTES) {
		d->overflow = true;
		return MNL_CB_OK;
	}
	d->n->routes[d->n->nroutes++] = r;
	return MNL_CB_OK;
}

static int dump(struct nl *nl, uint16_t type, size_t hdrlen, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *h = hn_msg(nl, type, NLM_F_DUMP);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(h, hdrlen);
	g->rtgen_family = AF_UNSPEC;
	return hn_talk(nl, h, cb, data);
}


static int join(struct nl *nl, int tap, const struct links *l, struct proto_net *n,
		struct err *err)
{
	struct dump d = { .ifindex = l->found, .n = n };
	if (l->maclen != 6)
		return err_set(err, MVM_EXIT_BADARG, "net: %s is not an Ethernet interface "
			       "(its link address has %d bytes)", l->name, l->maclen);
	n->flags = PROTO_NET_UP;
	n->mtu = l->mtu;
	memcpy(n->mac, l->mac, 6);
	if (dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), on_addr, &d) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: read %s's addresses", l->name);
	if (dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), on_route, &d) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: read the routes through %s", l->name);
	if (d.overflow)
		return err_set(err, MVM_EXIT_BADARG, "net: %s has more than %d addresses or %d "
			       "routes", l->name, PROTO_NET_MAX_ADDRS, PROTO_NET_MAX_ROUTES);
	/* The tap comes up last: until then the redirect drops what the
	 * interface receives, and an MTU the tap cannot take (above 65521,
	 * its maximum) fails with the rest undone. */
	if (hn_ingress(nl, l->found) < 0 || hn_ingress(nl, tap) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "net: add an ingress qdisc to %s and the tap "
			"(is sch_ingress available?)", l->name);
		goto undo;
	}
	if (hn_redirect(nl, l->found, tap) < 0 || hn_redirect(nl, tap, l->found) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "net: redirect between %s and the tap "
			"(are cls_u32 and act_mirred available?)", l->name);
		goto undo;
	}
	if (hn_tap_up(nl, tap, l->mtu) < 0) {
		err_sys(err, MVM_EXIT_BADARG, errno, "net: bring the tap up at %s's MTU, %u", l->name, l->mtu);
		goto undo;
	}
	return 0;
undo:
	/* Whatever step failed, neither the interface nor the tap keeps an
	 * ingress qdisc (their filters go with it), and the tap is down. */
	hn_unjoin(nl, l->found, tap);
	return -1;
}

/* The namespace's interface (see hostnet_attach) into *l; l->found 0: none. */
static int find_link(struct nl *nl, int tap_ifindex, struct links *l, struct err *err)
{
	memset(l, 0, sizeof(*l));
	l->skip = tap_ifindex;
	if (dump(nl, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, l) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: list the interfaces");
	if (l->other[0])
		return err_set(err, MVM_EXIT_BADARG, "net: the network namespace has more than one "
			       "interface besides lo (%s, %s): the guest gets one, so mvrun joins "
			       "only a namespace with a single one", l->name, l->other);
	return 0;
}

int hostnet_peek(int tap_ifindex, char ifname[IFNAMSIZ], struct err *err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	struct links l;
	if (!nl)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: calloc");
	int r = -1;
	if (hn_open(nl, err) == 0) {
		r = find_link(nl, tap_ifindex, &l, err);
		mnl_socket_close(nl->sk);
	}
	free(nl);
	snprintf(ifname, IFNAMSIZ, "%s", r == 0 && l.found ? l.name : "");
	return r;
}

int hostnet_attach(int tap_ifindex, const char *expect, struct proto_net *n,
		   char ifname[IFNAMSIZ], int *joined, struct err *err)
{
	*joined = 0;
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: calloc");
	memset(n, 0, sizeof(*n));
	ifname[0] = 0;
	int r = -1;
	struct links l;
	if (hn_open(nl, err) < 0) {
		free(nl);
		return -1;
	}
	if (find_link(nl, tap_ifindex, &l, err) < 0)
		;
	else if (!l.found && expect && *expect)
		err_set(err, MVM_EXIT_BADARG, "net: %s, the container's network interface at create, "
			"is gone", expect);
	else if (!l.found)
		r = 0; /* only lo: so is the guest */
	else if (join(nl, tap_ifindex, &l, n, err) == 0) {
		*joined = l.found;
		r = 0;
	}
	snprintf(ifname, IFNAMSIZ, "%s", l.name);
	mnl_socket_close(nl->sk);
	free(nl);
	return r;
}

int hostnet_detach(int ifindex, int tap_ifindex, struct err *err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: calloc");
	int r = hn_open(nl, err);
	if (r == 0) {
		if (hn_unjoin(nl, ifindex, tap_ifindex) < 0)
			r = err_sys(err, MVM_EXIT_INTERNAL, errno, "net: remove the ingress qdisc "
				    "(interface %d)", ifindex);
		mnl_socket_close(nl->sk);
	}
	free(nl);
	return r;
}
