/* Split virtqueues (virtio 1.1, 2.6), seen from the device. The rings live
 * in guest memory and the guest may rewrite them at any moment: every index
 * is bounds-checked, every buffer goes through gmem_ptr(), descriptors are
 * copied before use, chains have a length cap and a loop cap, and indirect
 * tables may not nest. A malformed ring makes vq_pop() fail; the transport
 * then marks the device NEEDS_RESET. */
#ifndef MVM_VIRTIO_QUEUE_H
#define MVM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/core/gmem.h"

#define VQ_MAX_SIZE 1024         /* largest queue size a device offers */
#define VQ_MAX_IOV 512           /* buffers per direction in one chain */
#define VQ_MAX_CHAIN_BYTES (64u << 20) /* total bytes one chain may describe */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct vq {
	/* Set by the driver through the transport. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;
	/* Set by vq_activate(). */
	const struct gmem *gm;
	uint8_t *desc, *avail, *used; /* host pointers, checked for the whole ring */
	bool event_idx, indirect;
	uint16_t last_avail;   /* next avail entry to take */
	uint16_t used_idx;     /* our copy of used->idx */
	uint16_t signalled;    /* used_idx when we last notified */
	bool signalled_valid;
};

/* One descriptor chain: the driver-readable buffers first, then the
 * device-writable ones, as host pointers into guest memory. */
struct vq_chain {
	uint16_t head;
	int nout, nin;
	uint32_t out_bytes, in_bytes;
	struct iovec out[VQ_MAX_IOV]; /* device reads */
	struct iovec in[VQ_MAX_IOV];  /* device writes */
};

/* Check the ring addresses the driver gave (size a power of two up to max,
 * alignment, all three rings inside guest RAM) and make the queue usable.
 * Returns 0, or -1 if the configuration is invalid. */
int vq_activate(struct vq *q, const struct gmem *gm, uint16_t max, bool event_idx, bool indirect);

/* Forget all state (device reset). */
void vq_reset(struct vq *q);

/* Take the next available chain. Returns 1 with *c filled, 0 if the ring is
 * empty, -1 if the ring or chain is malformed (the queue must not be used
 * again until reset). */
int vq_pop(struct vq *q, struct vq_chain *c);

/* Return a chain to the driver with `written` bytes written into its
 * writable buffers. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/* Whether the driver wants an interrupt for what was pushed since the last
 * notification (EVENT_IDX or the NO_INTERRUPT flag). Call after pushing. */
bool vq_should_notify(struct vq *q);

/* Ask the driver to notify on its next addition (EVENT_IDX: avail_event),
 * then report whether more chains arrived meanwhile, so a device can drain
 * the queue without missing a kick: do { pop all } while (vq_rearm(q)). */
bool vq_rearm(struct vq *q);

/* What a device does with the chains vq_drain() takes from its queue. */
struct vq_drain_ops {
	/* Serve one chain; returns the bytes written into its writable buffers. */
	uint32_t (*serve)(void *ctx, const struct vq_chain *c);
	/* If set, runs after each push, for a device that signals each completion
	 * as it happens rather than once per drain; NULL otherwise. */
	void (*pushed)(void *ctx);
};

/* Serve every available chain in ring order and push each back, then rearm
 * and go again while more arrived, so no kick is lost. `c` is the caller's
 * scratch chain. *pushed gets the count of chains pushed. Returns 0 when the
 * queue is empty and rearmed, -1 at a malformed ring or chain: the chains
 * before it stay served and pushed, and the queue must not be used again
 * until reset (the transport marks the device NEEDS_RESET). */
int vq_drain(struct vq *q, struct vq_chain *c, const struct vq_drain_ops *ops, void *ctx,
	     size_t *pushed);

/* Copy up to len bytes from an iovec array starting at byte `off`; returns
 * the count copied. The inverse writes into an iovec array. */
size_t iov_to_buf(const struct iovec *iov, int n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, int n, size_t off, const void *buf, size_t len);

#endif
