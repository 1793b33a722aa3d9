/* virtio-net: the tx path (guest chains → writev on the fd) and the rx path
 * (one read per frame → one or, with MRG_RXBUF, several rx chains). */
#include "vmm/virtio/net.h"

#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define ETH_HLEN 14

static bool has(uint64_t f, int bit)
{
	return (f >> bit) & 1;
}

int vnet_check_tx_hdr(uint8_t *h, uint64_t neg)
{
	uint8_t flags = h[0], gso = h[1];
	if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return -1;
	if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(neg, VIRTIO_NET_F_CSUM))
		return -1;
	h[0] = flags & VIRTIO_NET_HDR_F_NEEDS_CSUM; /* DATA_VALID is for rx only */
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !has(neg, VIRTIO_NET_F_HOST_ECN))
		return -1;
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (gso & VIRTIO_NET_HDR_GSO_ECN)
			return -1;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(neg, VIRTIO_NET_F_HOST_TSO4))
			return -1;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(neg, VIRTIO_NET_F_HOST_TSO6))
			return -1;
		break;
	default:
		return -1; /* UDP fragmentation offload and the like: never offered */
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE && !(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return -1; /* 5.1.6.2: GSO needs a partial checksum */
	h[10] = h[11] = 0; /* num_buffers: rx only */
	return 0;
}

/* One guest frame: the checked header, then the rest of the chain as it is.
 * A vq_drain() serve callback: nothing is written back. */
static uint32_t tx_one(void *ctx, const struct vq_chain *c)
{
	struct vnet *n = ctx;
	uint8_t h[VNET_HDR_LEN];
	if (c->out_bytes < VNET_HDR_LEN + ETH_HLEN || c->out_bytes > VNET_MAX_PKT ||
	    iov_to_buf(c->out, c->nout, 0, h, sizeof(h)) != sizeof(h) ||
	    vnet_check_tx_hdr(h, n->neg) < 0) {
		n->st.tx_bad++;
		return 0;
	}
	int k = 0;
	n->txiov[k++] = (struct iovec){ h, sizeof(h) };
	size_t skip = VNET_HDR_LEN;
	for (int i = 0; i < c->nout; i++) {
		size_t l = c->out[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		n->txiov[k++] = (struct iovec){ (uint8_t *)c->out[i].iov_base + skip, l - skip };
		skip = 0;
	}
	ssize_t w;
	do
		w = pwritev2(n->fd, n->txiov, k, -1, 0); /* -1: writev; seccomp lists pwritev2 */
	while (w < 0 && errno == EINTR);
	if (w < 0)
		n->st.tx_dropped++; /* a full or downed tap drops, as a NIC would */
	else
		n->st.tx_packets++;
	return 0;
}

static void process_tx(struct vnet *n)
{
	static const struct vq_drain_ops ops = { tx_one, NULL };
	virtio_mmio_drain(&n->transport, VNET_TXQ, n->txc, &ops, n, "net: malformed tx queue");
}

static void watch(struct vnet *n, bool on)
{
	if (n->registered && n->watching != on &&
	    evloop_mod(n->transport.loop, n->fd, on ? EPOLLIN : 0) == 0)
		n->watching = on;
}

/* The host address of byte `off` of a chain's writable buffers, or NULL. */
static uint8_t *in_byte(const struct vq_chain *c, size_t off)
{
	for (int i = 0; i < c->nin; i++) {
		if (off < c->in[i].iov_len)
			return (uint8_t *)c->in[i].iov_base + off;
		off -= c->in[i].iov_len;
	}
	return NULL;
}

/* Give every chain of the current frame back with `ok` its length, else 0
 * (a frame the guest's buffers could not hold: it sees runt buffers and
 * drops them, 5.1.6.4). */
static void rx_finish(struct vnet *n, bool ok)
{
	struct vq *q = &n->transport.vq[VNET_RXQ];
	if (ok) {
		n->nbuf[0][0] = (uint8_t)n->nused; /* le16 num_buffers */
		n->nbuf[1][0] = (uint8_t)(n->nused >> 8);
		n->st.rx_packets++;
	} else {
		n->st.rx_dropped++;
	}
	for (uint32_t i = 0; i < n->nused; i++)
		vq_push(q, n->heads[i], ok ? n->lens[i] : 0);
	n->nused = 0;
	n->pkt_len = n->pkt_off = 0;
}

/* Spread the current frame over rx chains. Returns 1 when it is delivered
 * (or dropped), 0 when the guest has no more buffers, -1 on a bad ring. */
static int rx_deliver(struct vnet *n)
{
	struct vq *q = &n->transport.vq[VNET_RXQ];
	bool mrg = has(n->neg, VIRTIO_NET_F_MRG_RXBUF);
	while (n->pkt_off < n->pkt_len) {
		if (!n->rx_held) {
			int r = vq_pop(q, n->rxc);
			if (r == 0 && vq_rearm(q))
				continue;
			if (r <= 0)
				return r;
			n->rx_held = true;
		}
		struct vq_chain *c = n->rxc;
		bool first = n->nused == 0;
		if (first && (c->in_bytes < VNET_HDR_LEN || (!mrg && c->in_bytes < n->pkt_len))) {
			/* Too small for the header, or for the whole frame
			 * without MRG_RXBUF: drop the frame, keep the chain
			 * unless it cannot even hold a header. */
			if (c->in_bytes < VNET_HDR_LEN) {
				n->heads[n->nused] = c->head;
				n->lens[n->nused++] = 0;
				n->rx_held = false;
			}
			rx_finish(n, false);
			return 1;
		}
		uint32_t k = n->pkt_len - n->pkt_off;
		if (k > c->in_bytes)
			k = c->in_bytes;
		iov_from_buf(c->in, c->nin, 0, n->pkt + n->pkt_off, k);
		if (first) {
			n->nbuf[0] = in_byte(c, 10);
			n->nbuf[1] = in_byte(c, 11);
		}
		n->heads[n->nused] = c->head;
		n->lens[n->nused++] = k;
		n->pkt_off += k;
		n->rx_held = false;
		if (n->pkt_off < n->pkt_len && n->nused == VNET_MAX_MRG) {
			rx_finish(n, false); /* buffers too small to be a real driver's */
			return 1;
		}
	}
	rx_finish(n, true);
	return 1;
}

/* Move frames from the fd to the guest while both have some. */
static void rx_pump(struct vnet *n)
{
	struct virtio_mmio *t = &n->transport;
	if (n->dead)
		return;
	if (!virtio_mmio_queue_live(t, VNET_RXQ)) {
		watch(n, false); /* the driver's next rx kick resumes */
		return;
	}
	uint64_t before = n->st.rx_packets + n->st.rx_dropped;
	for (;;) {
		if (!n->pkt_len) {
			ssize_t r = read(n->fd, n->pkt, VNET_MAX_PKT);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN) {
				watch(n, true);
				break;
			}
			if (r <= 0) { /* the fd is gone (a test's peer): stop reading */
				evloop_del(t->loop, n->fd);
				n->registered = false;
				n->dead = true;
				break;
			}
			if (r < VNET_HDR_LEN + ETH_HLEN) {
				n->st.rx_dropped++;
				continue;
			}
			n->pkt_len = (uint32_t)r;
			n->pkt_off = 0;
		}
		int d = rx_deliver(n);
		if (d < 0) {
			virtio_mmio_set_broken(t, "net: malformed rx queue");
			return;
		}
		if (d == 0) { /* no buffers: the guest's next rx kick resumes */
			watch(n, false);
			break;
		}
	}
	if (n->st.rx_packets + n->st.rx_dropped != before)
		virtio_mmio_notify_used(t, VNET_RXQ);
}

static void on_fd(void *opaque, uint32_t events)
{
	struct vnet *n = opaque;
	(void)events;
	pthread_mutex_lock(&n->transport.lock);
	rx_pump(n);
	pthread_mutex_unlock(&n->transport.lock);
}

static void vnet_notify(struct virtio_mmio *t, int q)
{
	struct vnet *n = t->dev->opaque;
	if (!n->registered && !n->dead) {
		/* On the I/O thread: the only thread that may change the loop. */
		if (evloop_add(t->loop, n->fd, EPOLLIN, on_fd, n) < 0) {
			virtio_mmio_set_broken(t, "net: event loop full");
			return;
		}
		n->registered = n->watching = true;
	}
	if (q == VNET_TXQ)
		process_tx(n);
	else if (q == VNET_RXQ)
		rx_pump(n);
}

/* The guest took its features: let the tap hand us only what it can take. */
static void vnet_activate(struct virtio_mmio *t)
{
	struct vnet *n = t->dev->opaque;
	n->neg = t->driver_features;
	if (!n->tap)
		return;
	unsigned off = 0;
	if (has(n->neg, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (has(n->neg, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (has(n->neg, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (has(n->neg, VIRTIO_NET_F_GUEST_ECN) && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
			off |= TUN_F_TSO_ECN;
	}
	if (ioctl(n->fd, TUNSETOFFLOAD, off) < 0)
		ioctl(n->fd, TUNSETOFFLOAD, 0);
}

/* Forget the frame in flight: its chains belong to the old rings. */
static void vnet_reset(struct virtio_mmio *t)
{
	struct vnet *n = t->dev->opaque;
	n->neg = 0;
	n->nused = 0;
	n->pkt_len = n->pkt_off = 0;
	n->rx_held = false;
}

int vnet_init(struct vnet *n, int fd, bool tap, const uint8_t *mac, struct err *err)
{
	memset(n, 0, sizeof(*n));
	n->fd = fd;
	n->tap = tap;
	n->pkt = malloc(VNET_MAX_PKT);
	n->rxc = malloc(sizeof(*n->rxc));
	n->txc = malloc(sizeof(*n->txc));
	n->txiov = malloc((VQ_MAX_IOV + 1) * sizeof(*n->txiov));
	if (!n->pkt || !n->rxc || !n->txc || !n->txiov) {
		vnet_fini(n);
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "net: malloc");
	}
	uint64_t f = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		     1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6 |
		     1ULL << VIRTIO_NET_F_GUEST_ECN | 1ULL << VIRTIO_NET_F_HOST_TSO4 |
		     1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN |
		     1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (mac) {
		memcpy(n->config.mac, mac, 6);
		f |= 1ULL << VIRTIO_NET_F_MAC;
	}
	n->vdev = (struct virtio_dev){
		.name = "virtio-net",
		.device_id = VNET_DEVICE_ID,
		.features = f,
		.nqueues = 2,
		.queue_max = VNET_QUEUE_SIZE,
		.config = &n->config,
		.config_len = sizeof(n->config),
		.notify = vnet_notify,
		.activate = vnet_activate,
		.reset = vnet_reset,
		.opaque = n,
	};
	return 0;
}

void vnet_fini(struct vnet *n)
{
	if (n->registered && n->transport.loop)
		evloop_del(n->transport.loop, n->fd);
	n->registered = false;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	free(n->pkt);
	free(n->rxc);
	free(n->txc);
	free(n->txiov);
	n->pkt = NULL;
	n->rxc = n->txc = NULL;
	n->txiov = NULL;
}
