/* Internal to hostnet*.c: the rtnetlink socket (libmnl) and the tc steps
 * that join an interface to the tap and undo it. Every function returns 0,
 * or -1 with errno from the kernel's answer. */
#ifndef MVM_HOSTNET_NL_H
#define MVM_HOSTNET_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "vmm/core/err.h"

struct nl {
	struct mnl_socket *sk;
	unsigned seq, portid;
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is the page size, or 8192 */
};

/* Open and bind the socket into nl. Returns 0 or -1 with err. */
int hn_open(struct nl *nl, struct err *err);

/* Send nlh and run cb on every reply (a dump, or just the ACK). */
int hn_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* A request header of this type in nl's buffer (NLM_F_REQUEST | flags). */
struct nlmsghdr *hn_msg(struct nl *nl, uint16_t type, uint16_t flags);

/* ip link set IF up mtu MTU. */
int hn_tap_up(struct nl *nl, int ifindex, uint32_t mtu);

/* tc qdisc replace dev IF ingress: a fresh one, without what was there. */
int hn_ingress(struct nl *nl, int ifindex);

/* tc filter add dev FROM ingress ... action mirred egress redirect dev TO. */
int hn_redirect(struct nl *nl, int from, int to);

/* Undo a join, in part or whole: no ingress qdisc (so no filter) on the
 * interface, nor, if tap > 0, on the tap, which goes down. An interface
 * already gone counts as done. Keeps going past a step that fails. */
int hn_unjoin(struct nl *nl, int ifindex, int tap);

#endif
