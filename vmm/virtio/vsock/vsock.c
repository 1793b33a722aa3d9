/* virtio-vsock: device set-up, the virtio callbacks and the connection state
 * machine driven by guest packets (virtio 1.1, 5.10.6). The packet bytes are
 * decoded in vsock_pkt.c; host fds live in vsock_conn.c; vsock_rx.c fills
 * the rx queue. */
#include "vmm/virtio/vsock/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_conn.h"

/* A driver reset ran (on a vCPU thread): the guest forgot every socket, so
 * drop them all before touching the new queues. Every I/O-thread entry
 * calls this first. */
static void sync_reset(struct vsock *v)
{
	if (!v->reset_pending)
		return;
	vsock_conn_free_all(v);
	v->rx_held = v->rx_pushed = false;
	v->reset_pending = false;
}

static void on_epoll(void *opaque, uint32_t events)
{
	struct vsock *v = opaque;
	(void)events;
	pthread_mutex_lock(&v->transport.lock);
	sync_reset(v);
	vsock_conn_events(v);
	vsock_rx_pump(v);
	pthread_mutex_unlock(&v->transport.lock);
}

/* The guest asked for a connection to host port p->dst_port. */
static void guest_request(struct vsock *v, const struct vsock_pkt *p, struct vsock_conn *old)
{
	if (old) { /* a second REQUEST on a live pair: the guest lost track of it */
		vsock_conn_fail(v, old);
		return;
	}
	int fd = -1;
	if (v->nconns < v->max_conns)
		fd = v->accept ? v->accept(v->accept_opaque, p->dst_port)
			       : vsock_conn_default_accept(v, p->dst_port);
	struct vsock_conn *c = fd >= 0 ? vsock_conn_new(v, fd, VC_ESTABLISHED) : NULL;
	if (!c) {
		vsock_queue_rst(v, VSOCK_HOST_CID, p->dst_port, p->src_port);
		return;
	}
	vsock_conn_hash(v, c, p->src_port, p->dst_port);
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
	c->pend |= VC_P_RESPONSE;
	vsock_svc_update(v, c);
}

/* The guest accepted a host client's connection: tell the client. */
static int guest_response(struct vsock_conn *c)
{
	if (c->state != VC_CONNECTING || (c->pend & VC_P_REQUEST))
		return -1; /* nothing was asked */
	char ok[24];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->hport);
	/* The first bytes on a fresh socket: its buffer is empty, so a short
	 * write means the client is gone. */
	struct iovec iov = { ok, (size_t)n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != n) /* sendmsg: exec needs it anyway */
		return -1;
	c->state = VC_ESTABLISHED;
	return 0;
}

static void guest_shutdown(struct vsock *v, struct vsock_conn *c, uint32_t flags)
{
	if ((flags & VIRTIO_VSOCK_SHUTDOWN_RCV) && !c->guest_shut_rcv) {
		c->guest_shut_rcv = true; /* stop reading the host fd */
		if (c->is_sock)
			shutdown(c->fd, SHUT_RD);
	}
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true; /* SHUT_WR once the buffer is written */
	vsock_conn_flush(v, c);
}

static void handle_pkt(struct vsock *v, const struct vsock_pkt *p, const struct vq_chain *ch)
{
	struct vsock_conn *c = vsock_conn_find(v, p->src_port, p->dst_port);
	if (p->op == VIRTIO_VSOCK_OP_REQUEST) {
		guest_request(v, p, c);
		return;
	}
	if (!c) { /* 5.10.6.4: unknown connection */
		if (p->op != VIRTIO_VSOCK_OP_RST)
			vsock_queue_rst(v, VSOCK_HOST_CID, p->dst_port, p->src_port);
		return;
	}
	if (p->op == VIRTIO_VSOCK_OP_RST) {
		vsock_conn_free(v, c);
		return;
	}
	if (c->state == VC_CLOSING)
		return; /* our RST is on its way */
	c->peer_buf_alloc = p->buf_alloc; /* every packet carries the guest's credit */
	c->peer_fwd_cnt = p->fwd_cnt;
	bool ok = true;
	switch (p->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		ok = guest_response(c) == 0;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		ok = c->state == VC_ESTABLISHED;
		if (ok)
			guest_shutdown(v, c, p->flags);
		break;
	case VIRTIO_VSOCK_OP_RW:
		ok = c->state == VC_ESTABLISHED && !c->guest_shut_send &&
		     vsock_conn_from_guest(v, c, ch->out, ch->nout, VSOCK_HDR_SIZE, p->len) == 0;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		ok = c->state == VC_ESTABLISHED;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		ok = c->state == VC_ESTABLISHED;
		c->pend |= VC_P_CREDIT;
		break;
	}
	if (!ok)
		vsock_conn_fail(v, c);
	else
		vsock_svc_update(v, c); /* credit or state may let data flow */
}

/* One packet the guest sent: a vq_drain() serve callback (nothing is
 * written back into a tx chain). */
static uint32_t handle_tx(void *ctx, const struct vq_chain *ch)
{
	struct vsock *v = ctx;
	struct vsock_pkt p;
	switch (vsock_pkt_parse(ch->out, ch->nout, ch->out_bytes, v->guest_cid, &p)) {
	case VSOCK_PKT_DROP:
		return 0;
	case VSOCK_PKT_RST: {
		struct vsock_conn *c = p.dst_cid == VSOCK_HOST_CID
					       ? vsock_conn_find(v, p.src_port, p.dst_port)
					       : NULL;
		if (c)
			vsock_conn_fail(v, c);
		else
			vsock_queue_rst(v, p.dst_cid, p.dst_port, p.src_port);
		return 0;
	}
	case VSOCK_PKT_OK:
		handle_pkt(v, &p, ch);
		return 0;
	}
	return 0;
}

static void process_tx(struct vsock *v)
{
	static const struct vq_drain_ops ops = { handle_tx, NULL };
	virtio_mmio_drain(&v->transport, VSOCK_TXQ, v->txc, &ops, v, "vsock: malformed tx queue");
}

static void vsock_notify(struct virtio_mmio *t, int q)
{
	struct vsock *v = t->dev->opaque;
	sync_reset(v);
	if (!v->registered) {
		/* On the I/O thread: the only thread that may change the loop. */
		if (evloop_add(t->loop, v->epfd, EPOLLIN, on_epoll, v) < 0) {
			virtio_mmio_set_broken(t, "vsock: event loop full");
			return;
		}
		v->registered = true;
	}
	if (q == VSOCK_TXQ)
		process_tx(v);
	if (q != VSOCK_EVQ) /* the event queue only matters for migration */
		vsock_rx_pump(v);
}

static void vsock_reset(struct virtio_mmio *t)
{
	struct vsock *v = t->dev->opaque;
	v->reset_pending = true;
	uint64_t one = 1;
	if (write(v->wake_fd, &one, sizeof(one)) < 0) {
		/* saturated: a wake-up is pending */
	}
}

int vsock_init(struct vsock *v, uint64_t guest_cid, const char *uds_path, vsock_accept_fn accept,
	       void *accept_opaque, struct err *err)
{
	memset(v, 0, sizeof(*v));
	v->listen_fd = v->epfd = v->wake_fd = -1;
	/* 5.10.4: 0-2 are reserved, and the upper 32 bits must be zero; Linux
	 * also reserves U32_MAX (VMADDR_CID_ANY). */
	if (guest_cid < 3 || guest_cid >= UINT32_MAX)
		return err_set(err, MVM_EXIT_BADARG, "vsock: bad guest CID %llu",
			       (unsigned long long)guest_cid);
	v->guest_cid = guest_cid;
	v->config.guest_cid = htole64(guest_cid);
	v->accept = accept;
	v->accept_opaque = accept_opaque;
	v->max_conns = VSOCK_MAX_CONNS;
	v->buf_alloc = VSOCK_BUF_ALLOC;
	v->next_hport = VSOCK_HPORT_BASE;
	v->txc = malloc(sizeof(*v->txc));
	v->rxc = malloc(sizeof(*v->rxc));
	if (!v->txc || !v->rxc) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "vsock: malloc");
		goto fail;
	}
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	v->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->epfd < 0 || v->wake_fd < 0 || vsock_conn_wake_init(v) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "vsock: epoll");
		goto fail;
	}
	if (uds_path) {
		if (!(v->uds_path = strdup(uds_path))) {
			err_sys(err, MVM_EXIT_INTERNAL, errno, "vsock: malloc");
			goto fail;
		}
		if (vsock_conn_listen(v, err) < 0)
			goto fail;
	}
	v->vdev = (struct virtio_dev){
		.name = "virtio-vsock",
		.device_id = VSOCK_DEVICE_ID,
		.nqueues = 3,
		.queue_max = VSOCK_QUEUE_SIZE,
		.config = &v->config,
		.config_len = sizeof(v->config),
		.notify = vsock_notify,
		.reset = vsock_reset,
		.vcpu_fd = &v->wake_fd,
		.opaque = v,
	};
	return 0;
fail:
	vsock_fini(v);
	return -1;
}

void vsock_fini(struct vsock *v)
{
	if (v->registered && v->transport.loop)
		evloop_del(v->transport.loop, v->epfd);
	v->registered = false;
	vsock_conn_free_all(v);
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	if (v->listening_unlink)
		unlink(v->uds_path);
	v->listening_unlink = false;
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	if (v->epfd >= 0)
		close(v->epfd);
	v->listen_fd = v->wake_fd = v->epfd = -1;
	free(v->uds_path);
	free(v->txc);
	free(v->rxc);
	v->uds_path = NULL;
	v->txc = v->rxc = NULL;
}
