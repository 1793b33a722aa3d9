/* The NET control message (issue 7): how the guest's eth0 is set up, as
 * the host read it from the container's network namespace. Encoded and
 * decoded only here (the rest of the codec is proto.c).
 *
 * Payload (little-endian): u32 flags | u32 mtu | 6 bytes mac | u32 naddrs |
 *   naddrs x (u8 family, u8 prefix, u16 0, 16 bytes address) | u32 nroutes |
 *   nroutes x (u8 family, u8 dst_len, u8 flags, u8 0, 16 bytes dst,
 *   16 bytes gateway, u32 metric).
 * family is PROTO_NET_INET (IPv4 in the first 4 address bytes, the rest 0)
 * or PROTO_NET_INET6. */
#ifndef MVRUN_PROTO_NET_H
#define MVRUN_PROTO_NET_H

#include <stdint.h>

#include "proto/proto.h"

#define PROTO_NET_MAX_ADDRS 16
#define PROTO_NET_MAX_ROUTES 32
#define PROTO_NET_INET 4
#define PROTO_NET_INET6 6

#define PROTO_NET_UP 0x1        /* configure eth0; without it: no interface, eth0 goes away */
#define PROTO_NET_ROUTE_GW 0x1  /* the route has a gateway */

struct proto_net_addr {
	uint8_t family, prefix;
	uint8_t addr[16];
};

struct proto_net_route {
	uint8_t family, dst_len, flags;
	uint8_t dst[16], gw[16];
	uint32_t metric;
};

struct proto_net {
	uint32_t flags;  /* PROTO_NET_* */
	uint32_t mtu;    /* 68 .. 65535 with PROTO_NET_UP */
	uint8_t mac[6];  /* unicast with PROTO_NET_UP */
	uint32_t naddrs, nroutes;
	struct proto_net_addr addrs[PROTO_NET_MAX_ADDRS];
	struct proto_net_route routes[PROTO_NET_MAX_ROUTES];
};

/* Append a whole NET message. Returns 0, or -1 (b->failed) if n breaks a
 * limit the decoder checks or memory ran out. */
int proto_encode_net(struct proto_buf *b, const struct proto_net *n);

/* Decode NET's payload. Returns 0, or -1 if truncated, with trailing bytes,
 * or breaking a limit: counts above the maxima, unknown family or flags, a
 * prefix longer than the family's address, a non-zero pad or address tail,
 * with PROTO_NET_UP an MTU outside 68..65535 or a multicast or zero MAC. */
int proto_decode_net(const uint8_t *p, size_t len, struct proto_net *n);

#endif
