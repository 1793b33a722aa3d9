/* Internal to the vsock device: one connection, and the operations the
 * packet state machine (vsock.c), the rx side (vsock_rx.c) and the host fd
 * side (vsock_conn.c) share. Everything runs with the transport lock held
 * on the I/O thread. */
#ifndef MVM_VIRTIO_VSOCK_CONN_H
#define MVM_VIRTIO_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio/vsock/vsock.h"

enum vsock_cstate {
	VC_HANDSHAKE,   /* host client connected, its CONNECT line not read yet */
	VC_CONNECTING,  /* host-initiated: REQUEST queued or sent, awaiting RESPONSE */
	VC_ESTABLISHED,
	VC_CLOSING,     /* fd closed; an RST to the guest is queued, then freed */
};

/* Control packets owed to the guest (sent before any data, in this order). */
#define VC_P_REQUEST 1u
#define VC_P_RESPONSE 2u
#define VC_P_CREDIT 4u
#define VC_P_RST 8u

struct vsock_conn {
	uint32_t slot;
	enum vsock_cstate state;
	uint32_t gport, hport;   /* guest port, host port */
	int fd;                  /* -1 once closed */
	bool pollable;           /* false: epoll refused it (regular file): always ready */
	bool is_sock;            /* send with MSG_NOSIGNAL, shutdown() works */
	bool readable, writable; /* edge-triggered readiness not yet consumed */
	bool host_eof;           /* read() hit EOF (SHUTDOWN SEND sent) */
	bool guest_shut_rcv, guest_shut_send;
	bool shut_wr_done;
	bool hashed;
	uint32_t pend;           /* VC_P_* */
	/* Guest → host: our credit (5.10.6.3). Bytes taken from the guest and
	 * not yet written to fd sit in buf, never more than v->buf_alloc. */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *buf;
	uint32_t cap, head, len;
	/* Host → guest: the guest's credit. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	char line[VSOCK_CONNECT_MAX];
	uint32_t line_len;
	struct vsock_conn *hnext;
	struct vsock_conn *sprev, *snext;
	bool in_svc;
};

/* vsock_conn.c: table and host fds. */

/* A new connection around fd (owned from now; -1 for none yet) in `state`,
 * registered in the epoll set. Returns NULL (fd closed) at the cap or on
 * failure. Not hashed: see vsock_conn_hash. */
struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum vsock_cstate state);

/* Enter c under (gport, hport) for vsock_conn_find. */
void vsock_conn_hash(struct vsock *v, struct vsock_conn *c, uint32_t gport, uint32_t hport);

/* The connection for (guest port, host port), or NULL. */
struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t gport, uint32_t hport);

/* Close the fd and release c. No RST is sent. */
void vsock_conn_free(struct vsock *v, struct vsock_conn *c);

/* Drop every connection (driver reset, fini). */
void vsock_conn_free_all(struct vsock *v);

/* Give up on c: close its fd and queue an RST; freed once the RST is sent. */
void vsock_conn_fail(struct vsock *v, struct vsock_conn *c);

/* Take `len` payload bytes of a guest RW at byte `off` of iov: write what the
 * fd takes now, buffer the rest. Returns 0, or -1 if the guest overran its
 * credit or the fd failed (the caller resets the connection). */
int vsock_conn_from_guest(struct vsock *v, struct vsock_conn *c, const struct iovec *iov, int n,
			  size_t off, uint32_t len);

/* Write buffered bytes to fd; then shut down its write side if the guest
 * has, queue a credit update if due, and finish c if both sides are done. */
void vsock_conn_flush(struct vsock *v, struct vsock_conn *c);

/* Both directions finished: close fd and queue an RST to the guest. */
void vsock_conn_check_done(struct vsock *v, struct vsock_conn *c);

/* Serve the epoll set (listener, wake fd, connection fds). */
void vsock_conn_events(struct vsock *v);

/* Listen at v->uds_path (edge-triggered in the epoll set). 0 or -1 with err. */
int vsock_conn_listen(struct vsock *v, struct err *err);

/* Put v->wake_fd in the epoll set. 0 or -1. */
int vsock_conn_wake_init(struct vsock *v);

/* Unix socket "<uds_path>_<port>", connected without blocking; -1 if none. */
int vsock_conn_default_accept(struct vsock *v, uint32_t port);

/* vsock_rx.c: host → guest. */

/* Describe bytes [off, off+len) of iov (clamped to what it holds) in out,
 * at most max entries. Returns the entry count. */
int vsock_iov_slice(const struct iovec *iov, int n, size_t off, size_t len, struct iovec *out,
		    int max);

/* Bytes the guest can still take on c. */
uint32_t vsock_peer_credit(const struct vsock_conn *c);

/* Put c on (or off) the list of connections with something for the guest,
 * from its current state. */
void vsock_svc_update(struct vsock *v, struct vsock_conn *c);

/* Take c off that list (before freeing it). */
void vsock_svc_remove(struct vsock *v, struct vsock_conn *c);

/* Queue an RST to the guest's port dst_port from (src_cid, src_port), for a
 * packet that has no connection. Dropped (counted) when the ring is full. */
void vsock_queue_rst(struct vsock *v, uint64_t src_cid, uint32_t src_port, uint32_t dst_port);

/* Fill rx buffers with what is owed to the guest: queued RSTs, control
 * packets, then data read from ready fds, round-robin. */
void vsock_rx_pump(struct vsock *v);

#endif
