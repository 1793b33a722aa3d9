/* The host side of the guest's network (issue 7), in mvm's own network
 * namespace (the container's: mvrun starts mvm inside it): a tap with vnet
 * headers for the virtio-net device, and, once the namespace is filled in
 * (Docker's prestart hook runs after create), the join of that tap to the
 * namespace's interface with tc ingress + mirred redirect both ways (Kata's
 * "tcfilter"), through rtnetlink with libmnl. What the interface carries
 * (MAC, MTU, addresses, routes) becomes the NET message for mvinit. */
#ifndef MVM_HOSTNET_H
#define MVM_HOSTNET_H

#include <net/if.h>

#include "proto/proto_net.h"
#include "vmm/core/err.h"

#define HOSTNET_TAP_NAME "mvtap%d" /* the kernel picks the number */

/* Create a tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, 12-byte vnet header,
 * O_NONBLOCK) in the current network namespace. Returns its fd and sets
 * *ifindex and name (IFNAMSIZ), or -1 with err. The tap goes away when the
 * fd is closed: nothing is left behind if mvm dies. */
int hostnet_tap_open(int *ifindex, char name[IFNAMSIZ], struct err *err);

/* Find the namespace's interface: the one that is neither loopback nor the
 * tap (nor a kernel's fallback tunnel device, sit0 and the like, while
 * down). More than one: an error naming two (the guest gets one eth0). None:
 * n->flags = 0 (the guest gets only lo) and returns 0. Otherwise read its
 * MAC, MTU, addresses (not IPv6 link-local) and main-table unicast routes
 * through it (not the kernel's own), redirect each one's ingress (its and
 * the tap's) to the other's egress and bring the tap up at that MTU;
 * fills n with PROTO_NET_UP, its name into ifname and its index into
 * *joined (0 when nothing was joined). expect (may be NULL): the name
 * hostnet_peek gave at create; if it was not "" and no interface is left,
 * that is an error. Returns 0, or -1 with err naming the interface and the
 * step; then whatever the join had done is undone (no ingress qdisc or
 * filter on the interface or the tap, the tap down) and *joined is 0. */
int hostnet_attach(int tap_ifindex, const char *expect, struct proto_net *n,
		   char ifname[IFNAMSIZ], int *joined, struct err *err);

/* Undo hostnet_attach when the VM is over, so the namespace is as the engine
 * made it (a later runc container, or VM, there gets its packets): remove
 * the ingress qdisc, and so the redirect, from interface `ifindex` (and the
 * tap's, if tap_ifindex > 0 and it is still there). An interface already
 * gone is no error. Returns 0 or -1 with err. */
int hostnet_detach(int ifindex, int tap_ifindex, struct err *err);

/* The name of the interface hostnet_attach would join now, "" for none
 * (more than one: an error, as there).
 * Given to it later as `expect`: an interface there at create that is gone
 * at start is an error, not a silent "only lo". Returns 0 or -1 with err. */
int hostnet_peek(int tap_ifindex, char ifname[IFNAMSIZ], struct err *err);

#endif
