/* virtio-vsock, host → guest: everything the device puts on the rx queue.
 * Control packets wait as flags on their connection (or in a small ring for
 * RSTs to unknown ports) until the guest posts rx buffers; data is read from
 * a host fd straight into a guest buffer, only when the guest has credit and
 * a buffer is at hand, so nothing host-side is ever queued for the guest. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_conn.h"

uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	uint32_t used = c->tx_cnt - c->peer_fwd_cnt; /* 5.10.6.3, modulo 2^32 */
	return used >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - used;
}

static bool can_read(const struct vsock_conn *c)
{
	return c->state == VC_ESTABLISHED && c->fd >= 0 && c->readable && !c->host_eof &&
	       !c->guest_shut_rcv && vsock_peer_credit(c) > 0;
}

void vsock_svc_remove(struct vsock *v, struct vsock_conn *c)
{
	if (!c->in_svc)
		return;
	if (c->sprev)
		c->sprev->snext = c->snext;
	else
		v->svc_head = c->snext;
	if (c->snext)
		c->snext->sprev = c->sprev;
	else
		v->svc_tail = c->sprev;
	c->sprev = c->snext = NULL;
	c->in_svc = false;
}

void vsock_svc_update(struct vsock *v, struct vsock_conn *c)
{
	bool want = c->pend || can_read(c);
	if (!want) {
		vsock_svc_remove(v, c);
		return;
	}
	if (c->in_svc)
		return;
	c->sprev = v->svc_tail;
	c->snext = NULL;
	if (v->svc_tail)
		v->svc_tail->snext = c;
	else
		v->svc_head = c;
	v->svc_tail = c;
	c->in_svc = true;
}

void vsock_queue_rst(struct vsock *v, uint64_t src_cid, uint32_t src_port, uint32_t dst_port)
{
	if (v->rst_len == VSOCK_RST_RING) {
		v->rst_dropped++; /* the guest's own timeout ends that socket */
		return;
	}
	uint32_t i = (v->rst_head + v->rst_len++) % VSOCK_RST_RING;
	v->rst[i].src_cid = src_cid;
	v->rst[i].src_port = src_port;
	v->rst[i].dst_port = dst_port;
}

int vsock_iov_slice(const struct iovec *iov, int n, size_t off, size_t len, struct iovec *out,
		    int max)
{
	int k = 0;
	for (int i = 0; i < n && len && k < max; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t m = iov[i].iov_len - off;
		if (m > len)
			m = len;
		out[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, m };
		len -= m;
		off = 0;
	}
	return k;
}

/* Make v->rxc hold an rx chain. Returns 1, 0 if the guest posted none, or
 * -1 if the queue is broken. */
static int rx_get(struct vsock *v)
{
	if (v->rx_held)
		return 1;
	struct vq *q = &v->transport.vq[VSOCK_RXQ];
	int r = vq_pop(q, v->rxc);
	if (r == 0 && vq_rearm(q))
		r = vq_pop(q, v->rxc);
	if (r == 0)
		return 0;
	/* An rx buffer must take a header and some payload (Linux posts a
	 * header and 4 KiB): with no room, a read of 0 bytes would look like EOF. */
	if (r < 0 || v->rxc->in_bytes <= VSOCK_HDR_SIZE) {
		virtio_mmio_set_broken(&v->transport, "vsock: malformed rx queue");
		return -1;
	}
	v->rx_held = true;
	return 1;
}

/* Write the header for c into the held chain and hand it to the guest.
 * Every packet carries our credit, so it doubles as a credit update. */
static void put_conn_pkt(struct vsock *v, struct vsock_conn *c, uint16_t op, uint32_t flags,
			 uint32_t len)
{
	struct vsock_pkt p = {
		.src_cid = VSOCK_HOST_CID, .dst_cid = v->guest_cid,
		.src_port = c->hport, .dst_port = c->gport,
		.len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op, .flags = flags,
		.buf_alloc = op == VIRTIO_VSOCK_OP_RST ? 0 : v->buf_alloc, .fwd_cnt = c->fwd_cnt,
	};
	uint8_t h[VSOCK_HDR_SIZE];
	vsock_pkt_encode(&p, h);
	iov_from_buf(v->rxc->in, v->rxc->nin, 0, h, sizeof(h));
	vq_push(&v->transport.vq[VSOCK_RXQ], v->rxc->head, VSOCK_HDR_SIZE + len);
	v->rx_held = false;
	v->rx_pushed = true;
	c->fwd_sent = c->fwd_cnt;
	c->pend &= ~VC_P_CREDIT;
}

static void put_rst(struct vsock *v)
{
	struct vsock_pkt p = {
		.src_cid = v->rst[v->rst_head].src_cid, .dst_cid = v->guest_cid,
		.src_port = v->rst[v->rst_head].src_port, .dst_port = v->rst[v->rst_head].dst_port,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RST,
	};
	v->rst_head = (v->rst_head + 1) % VSOCK_RST_RING;
	v->rst_len--;
	uint8_t h[VSOCK_HDR_SIZE];
	vsock_pkt_encode(&p, h);
	iov_from_buf(v->rxc->in, v->rxc->nin, 0, h, sizeof(h));
	vq_push(&v->transport.vq[VSOCK_RXQ], v->rxc->head, VSOCK_HDR_SIZE);
	v->rx_held = false;
	v->rx_pushed = true;
}

/* Read from c's fd into the held chain, behind the header. Returns true if
 * the chain was used (data, or SHUTDOWN at EOF). */
static bool put_data(struct vsock *v, struct vsock_conn *c)
{
	uint32_t max = vsock_peer_credit(c);
	if (max > v->rxc->in_bytes - VSOCK_HDR_SIZE)
		max = v->rxc->in_bytes - VSOCK_HDR_SIZE;
	if (max > VSOCK_MAX_PKT)
		max = VSOCK_MAX_PKT;
	struct iovec sl[VQ_MAX_IOV];
	int k = vsock_iov_slice(v->rxc->in, v->rxc->nin, VSOCK_HDR_SIZE, max, sl, VQ_MAX_IOV);
	ssize_t n;
	do
		n = preadv2(c->fd, sl, k, -1, 0); /* -1: readv; seccomp lists preadv2 only */
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->tx_cnt += (uint32_t)n;
		put_conn_pkt(v, c, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)n);
		return true;
	}
	if (n < 0 && errno == EAGAIN) {
		c->readable = false; /* the next EPOLLIN edge sets it again */
		return false;
	}
	/* EOF, or an fd that cannot be read (the write end of a pipe given as
	 * stdout): nothing more comes from the host. 5.10.6.6 */
	c->host_eof = true;
	c->readable = false;
	put_conn_pkt(v, c, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, 0);
	vsock_conn_check_done(v, c);
	return true;
}

/* Send the next thing c owes the guest, in protocol order. Returns -1 if
 * c was freed, else whether the chain was used. */
static int serve(struct vsock *v, struct vsock_conn *c)
{
	if (c->pend & VC_P_RST) {
		put_conn_pkt(v, c, VIRTIO_VSOCK_OP_RST, 0, 0);
		vsock_conn_free(v, c);
		return -1;
	}
	if (c->pend & VC_P_REQUEST) {
		c->pend &= ~VC_P_REQUEST;
		put_conn_pkt(v, c, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
		return 1;
	}
	if (c->pend & VC_P_RESPONSE) {
		c->pend &= ~VC_P_RESPONSE;
		put_conn_pkt(v, c, VIRTIO_VSOCK_OP_RESPONSE, 0, 0);
		return 1;
	}
	if (can_read(c) && put_data(v, c))
		return 1;
	if (c->pend & VC_P_CREDIT) {
		put_conn_pkt(v, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
		return 1;
	}
	return 0;
}

void vsock_rx_pump(struct vsock *v)
{
	struct virtio_mmio *t = &v->transport;
	if (!virtio_mmio_queue_live(t, VSOCK_RXQ))
		return;
	/* Ends: each turn uses a chain (the ring has finitely many) or leaves a
	 * connection with nothing to send, which takes it off the list. */
	while ((v->rst_len || v->svc_head) && rx_get(v) > 0) {
		if (v->rst_len) {
			put_rst(v);
			continue;
		}
		struct vsock_conn *c = v->svc_head;
		vsock_svc_remove(v, c);
		int r = serve(v, c);
		if (r >= 0)
			vsock_svc_update(v, c); /* back at the tail: round-robin */
		if (r == 0 && c->in_svc)
			break; /* cannot happen (serve(c) = 0 means c wants nothing); never spin */
	}
	if (v->rx_pushed) {
		v->rx_pushed = false;
		virtio_mmio_notify_used(t, VSOCK_RXQ);
	}
}
