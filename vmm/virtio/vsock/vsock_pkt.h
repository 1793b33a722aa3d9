/* virtio-vsock packets (virtio 1.1, 5.10.6): the only code that decodes the
 * bytes a guest puts on the tx queue, and the encoder for what the device
 * puts on the rx queue. Also the host-side `CONNECT <port>\n` line. Pure
 * functions: no device state, so unit tests and the fuzz target drive them
 * directly. */
#ifndef MVM_VIRTIO_VSOCK_PKT_H
#define MVM_VIRTIO_VSOCK_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_vsock.h>

#define VSOCK_HDR_SIZE 44u            /* sizeof(struct virtio_vsock_hdr), 5.10.6 */
#define VSOCK_HOST_CID 2u             /* the host's well-known CID, 5.10.4 */
#define VSOCK_MAX_PKT (64u << 10)     /* largest payload per packet (Linux's MAX_PKT_BUF_SIZE) */
#define VSOCK_CONNECT_MAX 32          /* longest "CONNECT <port>\n" line a client may send */

_Static_assert(sizeof(struct virtio_vsock_hdr) == VSOCK_HDR_SIZE, "virtio_vsock_hdr is 44 bytes");

/* A header in host byte order. */
struct vsock_pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;        /* payload bytes after the header */
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

/* What the device does with a guest packet. */
enum vsock_verdict {
	VSOCK_PKT_OK,    /* well-formed: hand it to the connection state machine */
	VSOCK_PKT_DROP,  /* ignore silently: no header, a spoofed source, or a bad RST */
	VSOCK_PKT_RST,   /* misuse: answer with RST to the packet's source port */
};

/* Decode the header of a tx chain (out[0..nout), out_bytes in all; the header
 * may be split anywhere across buffers) sent by the guest whose CID is
 * guest_cid, and check it: dst_cid is the host, type STREAM, op known, len
 * at most VSOCK_MAX_PKT and inside the chain, no payload except on RW. *p is
 * filled whenever the header could be read (always unless DROP for a short
 * chain). The payload starts at byte VSOCK_HDR_SIZE of the chain. */
enum vsock_verdict vsock_pkt_parse(const struct iovec *out, int nout, size_t out_bytes,
				   uint64_t guest_cid, struct vsock_pkt *p);

/* Encode p as the 44 little-endian header bytes the guest reads. */
void vsock_pkt_encode(const struct vsock_pkt *p, uint8_t out[VSOCK_HDR_SIZE]);

/* Decode the first n bytes of a host client's handshake, "CONNECT <port>\n"
 * (decimal port, no sign or leading zeros needed, up to UINT32_MAX; the
 * newline is the last byte). Returns 0 with *port, or -1 if malformed. */
int vsock_parse_connect(const char *line, size_t n, uint32_t *port);

#endif
