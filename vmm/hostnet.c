/* hostnet.h: the tap, and the rtnetlink conversation (libmnl) that reads
 * the namespace's interface and joins it to the tap. */
#include "vmm/hostnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vmm/virtio/net.h"

int hostnet_tap_open(int *ifindex, char name[IFNAMSIZ], struct mvm_err *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: open /dev/net/tun");
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", HOSTNET_TAP_NAME);
	int hdr = VNET_HDR_LEN, le = 1;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		mvm_errno(err, MVM_EXIT_INTERNAL, "net: create a tap in the container's network namespace");
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		mvm_errno(err, MVM_EXIT_INTERNAL, "net: TUNSETVNETHDRSZ");
		close(fd);
		return -1;
	}
	ioctl(fd, TUNSETVNETLE, &le); /* virtio 1 is little-endian; x86 is anyway */
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	*ifindex = (int)if_nametoindex(name);
	if (*ifindex <= 0) {
		mvm_errno(err, MVM_EXIT_INTERNAL, "net: tap %s has no index", name);
		close(fd);
		return -1;
	}
	return fd;
}

struct nl {
	struct mnl_socket *sk;
	unsigned seq, portid;
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is the page size, or 8192 */
};

/* Send nlh and run cb on every reply (a dump, or just the ACK). Returns 0,
 * or -1 with errno from the kernel's answer. */
static int talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -1;
		int r = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (r <= MNL_CB_STOP)
			return r;
	}
}

static struct nlmsghdr *msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	return h;
}

struct links {
	int skip, found;
	char name[IFNAMSIZ];
	uint8_t mac[6];
	int maclen;
	uint32_t mtu;
};

static int on_link(const struct nlmsghdr *h, void *data)
{
	struct links *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	if (ifi->ifi_flags & IFF_LOOPBACK || ifi->ifi_index == l->skip || l->found)
		return MNL_CB_OK;
	l->found = ifi->ifi_index;
	const struct nlattr *a;
	mnl_attr_for_each(a, h, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
			break;
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
	struct nlmsghdr *h = msg(nl, type, NLM_F_DUMP);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(h, hdrlen);
	g->rtgen_family = AF_UNSPEC;
	return talk(nl, h, cb, data);
}

static int tap_up(struct nl *nl, int ifindex, uint32_t mtu)
{
	struct nlmsghdr *h = msg(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(h, IFLA_MTU, mtu);
	return talk(nl, h, NULL, NULL);
}

static struct nlmsghdr *tc_msg(struct nl *nl, uint16_t type, int ifindex, uint32_t parent,
			       uint32_t handle, uint32_t info)
{
	struct nlmsghdr *h = msg(nl, type, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(h, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	t->tcm_info = info;
	return h;
}

/* tc qdisc replace dev IF ingress: a fresh one, without the redirect an
 * earlier VM in this namespace left to its own (now gone) tap. */
static int ingress(struct nl *nl, int ifindex)
{
	struct nlmsghdr *h = tc_msg(nl, RTM_DELQDISC, ifindex, TC_H_INGRESS, 0, 0);
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (talk(nl, h, NULL, NULL) < 0 && errno != ENOENT && errno != EINVAL)
		return -1;
	h = tc_msg(nl, RTM_NEWQDISC, ifindex, TC_H_INGRESS, TC_H_MAKE(TC_H_INGRESS, 0), 0);
	mnl_attr_put_strz(h, TCA_KIND, "ingress");
	return talk(nl, h, NULL, NULL);
}

/* tc filter add dev FROM parent ffff: protocol all u32 match u8 0 0
 *    action mirred egress redirect dev TO
 * (u32 rather than matchall: it is built into more kernels; Kata does the same). */
static int redirect(struct nl *nl, int from, int to)
{
	struct nlmsghdr *h = tc_msg(nl, RTM_NEWTFILTER, from, TC_H_MAKE(TC_H_INGRESS, 0), 0,
				    TC_H_MAKE(1u << 16, htons(ETH_P_ALL)));
	mnl_attr_put_strz(h, TCA_KIND, "u32");
	struct nlattr *opts = mnl_attr_nest_start(h, TCA_OPTIONS);
	/* One key, mask 0 at offset 0: every packet. */
	uint8_t sel[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)] = { 0 };
	struct tc_u32_sel head = { .flags = TC_U32_TERMINAL, .nkeys = 1 };
	memcpy(sel, &head, sizeof(head));
	mnl_attr_put(h, TCA_U32_SEL, sizeof(sel), sel);
	struct nlattr *acts = mnl_attr_nest_start(h, TCA_U32_ACT);
	struct nlattr *act = mnl_attr_nest_start(h, 1); /* the first action */
	mnl_attr_put_strz(h, TCA_ACT_KIND, "mirred");
	struct nlattr *aopts = mnl_attr_nest_start(h, TCA_ACT_OPTIONS);
	struct tc_mirred m = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR,
			       .ifindex = (uint32_t)to };
	mnl_attr_put(h, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(h, aopts);
	mnl_attr_nest_end(h, act);
	mnl_attr_nest_end(h, acts);
	mnl_attr_nest_end(h, opts);
	return talk(nl, h, NULL, NULL);
}

static int nl_open(struct nl *nl, struct mvm_err *err)
{
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (nl->sk)
			mnl_socket_close(nl->sk);
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: rtnetlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

static int join(struct nl *nl, int tap, const struct links *l, struct proto_net *n,
		struct mvm_err *err)
{
	struct dump d = { .ifindex = l->found, .n = n };
	if (l->maclen != 6)
		return mvm_errf(err, MVM_EXIT_BADARG, "net: %s is not an Ethernet interface "
				"(its link address has %d bytes)", l->name, l->maclen);
	n->flags = PROTO_NET_UP;
	n->mtu = l->mtu;
	memcpy(n->mac, l->mac, 6);
	if (dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), on_addr, &d) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: read %s's addresses", l->name);
	if (dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), on_route, &d) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: read the routes through %s", l->name);
	if (d.overflow)
		return mvm_errf(err, MVM_EXIT_BADARG, "net: %s has more than %d addresses or %d "
				"routes", l->name, PROTO_NET_MAX_ADDRS, PROTO_NET_MAX_ROUTES);
	if (tap_up(nl, tap, l->mtu) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: bring the tap up at MTU %u", l->mtu);
	if (ingress(nl, l->found) < 0 || ingress(nl, tap) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: add an ingress qdisc to %s and the tap "
				 "(is sch_ingress available?)", l->name);
	if (redirect(nl, l->found, tap) < 0 || redirect(nl, tap, l->found) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: redirect between %s and the tap "
				 "(are cls_u32 and act_mirred available?)", l->name);
	return 0;
}

/* The namespace's interface (see hostnet_attach) into *l; l->found 0: none. */
static int find_link(struct nl *nl, int tap_ifindex, struct links *l, struct mvm_err *err)
{
	memset(l, 0, sizeof(*l));
	l->skip = tap_ifindex;
	if (dump(nl, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, l) < 0)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: list the interfaces");
	return 0;
}

int hostnet_peek(int tap_ifindex, char ifname[IFNAMSIZ], struct mvm_err *err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	struct links l;
	if (!nl)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: calloc");
	int r = -1;
	if (nl_open(nl, err) == 0) {
		r = find_link(nl, tap_ifindex, &l, err);
		mnl_socket_close(nl->sk);
	}
	free(nl);
	snprintf(ifname, IFNAMSIZ, "%s", r == 0 && l.found ? l.name : "");
	return r;
}

int hostnet_attach(int tap_ifindex, const char *expect, struct proto_net *n,
		   char ifname[IFNAMSIZ], struct mvm_err *err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return mvm_errno(err, MVM_EXIT_INTERNAL, "net: calloc");
	memset(n, 0, sizeof(*n));
	ifname[0] = 0;
	int r = -1;
	struct links l;
	if (nl_open(nl, err) < 0) {
		free(nl);
		return -1;
	}
	if (find_link(nl, tap_ifindex, &l, err) < 0)
		;
	else if (!l.found && expect && *expect)
		mvm_errf(err, MVM_EXIT_BADARG, "net: %s, the container's network interface at create, "
			 "is gone", expect);
	else if (!l.found)
		r = 0; /* only lo: so is the guest */
	else if (join(nl, tap_ifindex, &l, n, err) == 0)
		r = 0;
	snprintf(ifname, IFNAMSIZ, "%s", l.name);
	mnl_socket_close(nl->sk);
	free(nl);
	return r;
}
