/* The virtio-vsock device (virtio 1.1, 5.10; device id 19), implemented in
 * mvm: stream sockets between the guest and host fds, with credit-based
 * flow control both ways. Queues: rx 0, tx 1, event 2 (never used).
 *
 * Guest-initiated: a REQUEST to host port P calls accept(opaque, P) for a
 * connected stream fd. Host-initiated (Firecracker's convention): a client
 * connects to the unix socket at uds_path and writes "CONNECT <port>\n";
 * once the guest accepts it reads "OK <hostport>\n", then the stream.
 *
 * Threading: all device state is guarded by the transport lock. Guest kicks
 * and host fds are served on the I/O thread. The device keeps its own epoll
 * set (host fds, the listener, a wake eventfd) and adds that one fd to the
 * transport's loop on the guest's first kick, on the I/O thread itself. A
 * driver reset (vCPU thread) only flags and wakes; the I/O thread closes
 * the connections. */
#ifndef MVM_VIRTIO_VSOCK_H
#define MVM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/err.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/vsock/vsock_pkt.h"

#define VSOCK_DEVICE_ID 19
#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2
#define VSOCK_QUEUE_SIZE 256
#define VSOCK_MAX_CONNS 1024          /* hard cap on live connections */
#define VSOCK_BUF_ALLOC (256u << 10)  /* credit we give the guest per connection */
#define VSOCK_HPORT_BASE (1u << 30)   /* first host port of host-initiated connections */
#define VSOCK_HASH 256
#define VSOCK_RST_RING 64             /* RSTs to unknown connections waiting for rx buffers */

/* Called on the I/O thread, with the transport lock held, when the guest
 * connects to host port `port`. Returns a connected stream fd, which the
 * device owns from then on (it sets O_NONBLOCK on it and closes it), or -1
 * to refuse (the guest gets RST). Must not block. fds epoll refuses (regular
 * files, /dev/null) are accepted and treated as always ready. Sockets are
 * written with MSG_NOSIGNAL; other fds (pipes) with write(), so mvm must
 * ignore or block SIGPIPE. */
typedef int (*vsock_accept_fn)(void *opaque, uint32_t port);

struct vsock_conn;

struct vsock {
	struct virtio_dev vdev;       /* attach this ... */
	struct virtio_mmio transport; /* ... with this: virtio_mmio_attach(&v->transport, &v->vdev, ...) */
	struct __attribute__((packed)) { uint64_t guest_cid; } config; /* 5.10.4, little-endian */
	uint64_t guest_cid;
	vsock_accept_fn accept;
	void *accept_opaque;
	char *uds_path;               /* owned copy, or NULL */
	int listen_fd, epfd, wake_fd; /* -1 when absent */
	bool listening_unlink;        /* we created uds_path and remove it at fini */
	bool registered;              /* epfd is in transport.loop */
	bool reset_pending;           /* the driver reset: drop every connection */
	/* Limits; a test may lower them between init and the first kick. */
	uint32_t max_conns;           /* <= VSOCK_MAX_CONNS */
	uint32_t buf_alloc;           /* our credit per connection, <= VSOCK_BUF_ALLOC */
	uint32_t nconns;
	uint32_t next_hport;
	struct vsock_conn *slot[VSOCK_MAX_CONNS];
	uint32_t slot_gen[VSOCK_MAX_CONNS];
	struct vsock_conn *hash[VSOCK_HASH];
	struct vsock_conn *svc_head, *svc_tail; /* connections with something for the guest */
	struct { uint64_t src_cid; uint32_t src_port, dst_port; } rst[VSOCK_RST_RING];
	uint32_t rst_head, rst_len;
	struct vq_chain *txc, *rxc;   /* scratch chains; owned */
	bool rx_held;                 /* rxc holds a popped, unused rx chain */
	bool rx_pushed;               /* rx chains were used since the last interrupt */
	uint64_t rst_dropped;         /* RSTs lost because the ring was full */
};

/* Set up the device for the guest `guest_cid` (3 .. UINT32_MAX-1): fill
 * v->vdev, create the epoll set and, if uds_path is not NULL, listen there
 * (the path must not exist; fini removes it). accept may be NULL: then
 * guest connections to port P go to the unix socket "<uds_path>_<P>", and
 * are refused when uds_path is NULL too. Returns 0 or -1 with err (nothing
 * to release then). The caller attaches with virtio_mmio_attach(&v->transport,
 * &v->vdev, ...) and runs the transport's loop. */
int vsock_init(struct vsock *v, uint64_t guest_cid, const char *uds_path, vsock_accept_fn accept,
	       void *accept_opaque, struct err *err);

/* Close every connection and fd, remove uds_path and free. Call after the
 * loop has stopped; virtio_mmio_detach() is the caller's, before or after.
 * Safe after a failed vsock_init() and when called twice. */
void vsock_fini(struct vsock *v);

#endif
