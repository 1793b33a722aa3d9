/* The virtio-net device (virtio 1.1, 5.1; device id 1): one rx and one tx
 * queue over a host packet fd, normally a tap opened with IFF_VNET_HDR and a
 * 12-byte vnet header (TUNSETVNETHDRSZ), so the guest's checksum and TSO
 * offloads pass through the header to the host kernel untouched.
 *
 * The fd carries one frame per read/write, each preceded by the 12-byte
 * struct virtio_net_hdr_v1 (5.1.6). Tests use a SOCK_SEQPACKET socket pair
 * in place of the tap.
 *
 * Guest bytes parsed here: the tx header (flags and gso_type are checked
 * against what was negotiated; a bad one drops the frame) and the rings
 * (through vq_pop: a malformed ring marks the device NEEDS_RESET).
 *
 * Threading: all state is guarded by the transport lock; guest kicks and the
 * fd's readiness are served on the I/O thread. The fd joins the transport's
 * loop on the guest's first kick, on the I/O thread itself. */
#ifndef MVM_VIRTIO_NET_H
#define MVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/err.h"
#include "vmm/virtio/mmio.h"

#define VNET_DEVICE_ID 1
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_QUEUE_SIZE 256
#define VNET_HDR_LEN 12                 /* virtio_net_hdr_v1, num_buffers included */
#define VNET_MAX_FRAME (65535 + 18)     /* a 64 KiB GSO frame plus the Ethernet header */
#define VNET_MAX_PKT (VNET_HDR_LEN + VNET_MAX_FRAME)
#define VNET_MAX_MRG 64                 /* rx buffers one packet may span */

/* Feature bits, 5.1.3. */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15

/* Header fields, 5.1.6. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

struct vnet_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_dropped;  /* frames the guest had no room for, or that were too big */
	uint64_t tx_dropped;  /* frames the fd refused */
	uint64_t tx_bad;      /* frames with a bad length or header from the guest */
};

struct vnet {
	struct virtio_dev vdev;       /* attach this ... */
	struct virtio_mmio transport; /* ... with this */
	struct __attribute__((packed)) {
		uint8_t mac[6];
		uint16_t status, max_virtqueue_pairs, mtu;
	} config;                     /* 5.1.4; only mac is offered (with F_MAC) */
	int fd;                       /* owned; -1 after fini */
	bool tap;                     /* fd is a tap: set its offloads to what the guest took */
	bool registered;              /* fd is in transport.loop */
	bool watching;                /* EPOLLIN is on: off while the guest has no rx buffers */
	bool dead;                    /* the fd hit EOF or an error: no longer read */
	uint64_t neg;                 /* the features the driver accepted */
	/* The frame being received: read whole from fd, then spread over rx chains. */
	uint8_t *pkt;
	uint32_t pkt_len, pkt_off;    /* pkt_len 0: none */
	uint16_t heads[VNET_MAX_MRG];
	uint32_t lens[VNET_MAX_MRG];
	uint32_t nused;               /* chains filled for this frame, not yet pushed */
	uint8_t *nbuf[2];             /* num_buffers' two bytes in the first chain */
	bool rx_held;                 /* rxc is popped and unused */
	struct vq_chain *rxc, *txc;   /* owned scratch */
	struct iovec *txiov;          /* owned scratch: header + VQ_MAX_IOV */
	struct vnet_stats st;
};

/* Set the device up over fd (taken over: closed by vnet_fini, also on
 * failure). mac may be NULL: then F_MAC is not offered and the guest picks
 * one (mvinit sets the one the host sends). tap: fd is a tap, whose
 * offloads (TUNSETOFFLOAD) follow the guest's features. Returns 0 or -1. */
int vnet_init(struct vnet *n, int fd, bool tap, const uint8_t *mac, struct err *err);

/* Close the fd and free. Call after the loop has stopped. Idempotent. */
void vnet_fini(struct vnet *n);

/* Validate the tx header h (VNET_HDR_LEN bytes, as the guest wrote it)
 * against the negotiated features neg and clear num_buffers. Returns 0, or
 * -1 if the frame must be dropped. Pure: also the fuzz target's entry. */
int vnet_check_tx_hdr(uint8_t *h, uint64_t neg);

#endif
