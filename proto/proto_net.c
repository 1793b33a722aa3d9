/* The NET message's codec (proto_net.h). Every read is bounds-checked. */
#include "proto/proto_net.h"

#include <stdbool.h>
#include <string.h>

#define ADDR_LEN 20
#define ROUTE_LEN 40

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool addr_ok(uint8_t family, uint8_t prefix, const uint8_t *a)
{
	if (family == PROTO_NET_INET6)
		return prefix <= 128;
	if (family != PROTO_NET_INET || prefix > 32)
		return false;
	for (int i = 4; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

static bool net_ok(const struct proto_net *n)
{
	if ((n->flags & ~PROTO_NET_UP) || n->naddrs > PROTO_NET_MAX_ADDRS ||
	    n->nroutes > PROTO_NET_MAX_ROUTES)
		return false;
	if (n->flags & PROTO_NET_UP) {
		static const uint8_t zero[6];
		if (n->mtu < 68 || n->mtu > 65535 || (n->mac[0] & 1) || !memcmp(n->mac, zero, 6))
			return false;
	}
	for (uint32_t i = 0; i < n->naddrs; i++)
		if (!addr_ok(n->addrs[i].family, n->addrs[i].prefix, n->addrs[i].addr))
			return false;
	for (uint32_t i = 0; i < n->nroutes; i++) {
		const struct proto_net_route *r = &n->routes[i];
		if ((r->flags & ~PROTO_NET_ROUTE_GW) || !addr_ok(r->family, r->dst_len, r->dst) ||
		    !addr_ok(r->family, 0, r->gw))
			return false;
	}
	return true;
}

int proto_encode_net(struct proto_buf *b, const struct proto_net *n)
{
	if (!net_ok(n)) {
		b->failed = 1;
		return -1;
	}
	uint8_t m[18 + 4 + PROTO_NET_MAX_ADDRS * ADDR_LEN +
		  PROTO_NET_MAX_ROUTES * ROUTE_LEN];
	size_t k = 0;
	memset(m, 0, sizeof(m));
	le32(m + k, n->flags), k += 4;
	le32(m + k, n->mtu), k += 4;
	memcpy(m + k, n->mac, 6), k += 6;
	le32(m + k, n->naddrs), k += 4;
	for (uint32_t i = 0; i < n->naddrs; i++, k += ADDR_LEN) {
		m[k] = n->addrs[i].family;
		m[k + 1] = n->addrs[i].prefix;
		memcpy(m + k + 4, n->addrs[i].addr, 16);
	}
	le32(m + k, n->nroutes), k += 4;
	for (uint32_t i = 0; i < n->nroutes; i++, k += ROUTE_LEN) {
		const struct proto_net_route *r = &n->routes[i];
		m[k] = r->family;
		m[k + 1] = r->dst_len;
		m[k + 2] = r->flags;
		memcpy(m + k + 4, r->dst, 16);
		memcpy(m + k + 20, r->gw, 16);
		le32(m + k + 36, r->metric);
	}
	return proto_encode_raw(b, PROTO_NET, m, k);
}

int proto_decode_net(const uint8_t *p, size_t len, struct proto_net *n)
{
	memset(n, 0, sizeof(*n));
	if (len < 18)
		return -1;
	n->flags = rd32(p);
	n->mtu = rd32(p + 4);
	memcpy(n->mac, p + 8, 6);
	n->naddrs = rd32(p + 14);
	size_t k = 18;
	if (n->naddrs > PROTO_NET_MAX_ADDRS || len - k < (size_t)n->naddrs * ADDR_LEN + 4)
		return -1;
	for (uint32_t i = 0; i < n->naddrs; i++, k += ADDR_LEN) {
		if (p[k + 2] || p[k + 3])
			return -1;
		n->addrs[i].family = p[k];
		n->addrs[i].prefix = p[k + 1];
		memcpy(n->addrs[i].addr, p + k + 4, 16);
	}
	n->nroutes = rd32(p + k), k += 4;
	if (n->nroutes > PROTO_NET_MAX_ROUTES || len - k != (size_t)n->nroutes * ROUTE_LEN)
		return -1;
	for (uint32_t i = 0; i < n->nroutes; i++, k += ROUTE_LEN) {
		struct proto_net_route *r = &n->routes[i];
		if (p[k + 3])
			return -1;
		r->family = p[k];
		r->dst_len = p[k + 1];
		r->flags = p[k + 2];
		memcpy(r->dst, p + k + 4, 16);
		memcpy(r->gw, p + k + 20, 16);
		r->metric = rd32(p + k + 36);
	}
	return net_ok(n) ? 0 : -1;
}
