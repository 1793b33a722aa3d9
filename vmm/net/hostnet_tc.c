/* hostnet_tc.c: the rtnetlink socket, and the tc steps that join the
 * namespace's interface and the tap both ways (ingress qdisc, u32 filter,
 * mirred redirect) and undo them. */
#include "vmm/net/hostnet_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

/* Send nlh and run cb on every reply (a dump, or just the ACK). Returns 0,
 * or -1 with errno from the kernel's answer. */
int hn_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
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

struct nlmsghdr *hn_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	return h;
}

int hn_tap_up(struct nl *nl, int ifindex, uint32_t mtu)
{
	struct nlmsghdr *h = hn_msg(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(h, IFLA_MTU, mtu);
	return hn_talk(nl, h, NULL, NULL);
}

static struct nlmsghdr *tc_msg(struct nl *nl, uint16_t type, int ifindex, uint32_t parent,
			       uint32_t handle, uint32_t info)
{
	struct nlmsghdr *h = hn_msg(nl, type, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(h, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	t->tcm_info = info;
	return h;
}

/* tc qdisc del dev IF ingress (its filters go with it); 0 if there was none
 * or IF is gone. */
static int unqdisc(struct nl *nl, int ifindex)
{
	struct nlmsghdr *h = tc_msg(nl, RTM_DELQDISC, ifindex, TC_H_INGRESS, 0, 0);
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (hn_talk(nl, h, NULL, NULL) < 0 && errno != ENOENT && errno != EINVAL && errno != ENODEV)
		return -1;
	return 0;
}

/* tc qdisc replace dev IF ingress: a fresh one, without the redirect an
 * earlier VM in this namespace left to its own (now gone) tap. */
int hn_ingress(struct nl *nl, int ifindex)
{
	if (unqdisc(nl, ifindex) < 0)
		return -1;
	struct nlmsghdr *h = tc_msg(nl, RTM_NEWQDISC, ifindex, TC_H_INGRESS, TC_H_MAKE(TC_H_INGRESS, 0), 0);
	mnl_attr_put_strz(h, TCA_KIND, "ingress");
	return hn_talk(nl, h, NULL, NULL);
}

/* tc filter add dev FROM parent ffff: protocol all u32 match u8 0 0
 *    action mirred egress redirect dev TO
 * (u32 rather than matchall: it is built into more kernels; Kata does the same). */
int hn_redirect(struct nl *nl, int from, int to)
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
	return hn_talk(nl, h, NULL, NULL);
}

/* Undo a join, in part or whole: no ingress qdisc on the interface or the
 * tap, the tap down. Keeps going past a step that fails. */
int hn_unjoin(struct nl *nl, int ifindex, int tap)
{
	int r = unqdisc(nl, ifindex);
	if (tap > 0) {
		r |= unqdisc(nl, tap);
		struct nlmsghdr *h = hn_msg(nl, RTM_NEWLINK, NLM_F_ACK);
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
		ifi->ifi_index = tap;
		ifi->ifi_change = IFF_UP;
		if (hn_talk(nl, h, NULL, NULL) < 0 && errno != ENODEV)
			r = -1;
	}
	return r;
}

int hn_open(struct nl *nl, struct err *err)
{
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (nl->sk)
			mnl_socket_close(nl->sk);
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: rtnetlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned)time(NULL);
	return 0;
}
