#include "vmm/virtio/vsock/vsock_pkt.h"

#include <endian.h>
#include <string.h>

#include "vmm/virtio/queue.h"

enum vsock_verdict vsock_pkt_parse(const struct iovec *out, int nout, size_t out_bytes,
				   uint64_t guest_cid, struct vsock_pkt *p)
{
	struct virtio_vsock_hdr h;
	memset(p, 0, sizeof(*p));
	/* 5.10.6: the header may be split across descriptors; a chain that does
	 * not even hold one gives no address to answer. */
	if (out_bytes < VSOCK_HDR_SIZE || iov_to_buf(out, nout, 0, &h, sizeof(h)) != sizeof(h))
		return VSOCK_PKT_DROP;
	p->src_cid = le64toh(h.src_cid);
	p->dst_cid = le64toh(h.dst_cid);
	p->src_port = le32toh(h.src_port);
	p->dst_port = le32toh(h.dst_port);
	p->len = le32toh(h.len);
	p->type = le16toh(h.type);
	p->op = le16toh(h.op);
	p->flags = le32toh(h.flags);
	p->buf_alloc = le32toh(h.buf_alloc);
	p->fwd_cnt = le32toh(h.fwd_cnt);

	/* Never answer a packet claiming another source (vhost drops those too),
	 * nor an RST: two devices must not bounce RSTs. */
	if (p->src_cid != guest_cid)
		return VSOCK_PKT_DROP;
	bool bad = p->dst_cid != VSOCK_HOST_CID || p->type != VIRTIO_VSOCK_TYPE_STREAM ||
		   p->len > VSOCK_MAX_PKT || p->len > out_bytes - VSOCK_HDR_SIZE ||
		   p->op < VIRTIO_VSOCK_OP_REQUEST || p->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST ||
		   (p->len && p->op != VIRTIO_VSOCK_OP_RW);
	if (p->op == VIRTIO_VSOCK_OP_RST)
		return bad ? VSOCK_PKT_DROP : VSOCK_PKT_OK;
	return bad ? VSOCK_PKT_RST : VSOCK_PKT_OK;
}

void vsock_pkt_encode(const struct vsock_pkt *p, uint8_t out[VSOCK_HDR_SIZE])
{
	struct virtio_vsock_hdr h = {
		.src_cid = htole64(p->src_cid),
		.dst_cid = htole64(p->dst_cid),
		.src_port = htole32(p->src_port),
		.dst_port = htole32(p->dst_port),
		.len = htole32(p->len),
		.type = htole16(p->type),
		.op = htole16(p->op),
		.flags = htole32(p->flags),
		.buf_alloc = htole32(p->buf_alloc),
		.fwd_cnt = htole32(p->fwd_cnt),
	};
	memcpy(out, &h, sizeof(h));
}

int vsock_parse_connect(const char *line, size_t n, uint32_t *port)
{
	static const char verb[] = "CONNECT ";
	size_t vl = sizeof(verb) - 1;
	if (n < vl + 2 || n > VSOCK_CONNECT_MAX || memcmp(line, verb, vl) || line[n - 1] != '\n')
		return -1;
	uint64_t v = 0;
	for (size_t i = vl; i < n - 1; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*port = (uint32_t)v;
	return 0;
}
