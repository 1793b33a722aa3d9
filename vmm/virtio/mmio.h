/* The virtio-mmio transport, version 2 only (virtio 1.1, 4.2): feature
 * negotiation, the status state machine, queue set-up, reset, ioeventfd
 * kicks delivered on the I/O thread and irqfd interrupts. Each device fills
 * a struct virtio_dev and is attached at its own 4 KiB window and GSI. */
#ifndef MVM_VIRTIO_MMIO_H
#define MVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/bus.h"
#include "vmm/core/err.h"
#include "vmm/core/evloop.h"
#include "vmm/core/gmem.h"
#include "vmm/virtio/queue.h"

#define VIRTIO_MMIO_SIZE 0x1000
#define VIRTIO_MAX_QUEUES 8

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

struct virtio_mmio;

/* What a device model provides. Callbacks run with the transport lock held:
 * notify() on the I/O thread, activate() and reset() on a vCPU thread
 * (whose seccomp filter allows writes to eventfds and little else: defer
 * real work to the I/O thread). */
struct virtio_dev {
	const char *name;
	uint32_t device_id;
	uint64_t features;   /* device-specific bits; the transport adds its own */
	int nqueues;
	uint16_t queue_max;
	const void *config;  /* device config space, config_len bytes */
	uint32_t config_len;
	void (*notify)(struct virtio_mmio *t, int q); /* queue q was kicked */
	void (*activate)(struct virtio_mmio *t);      /* the driver set DRIVER_OK */
	void (*reset)(struct virtio_mmio *t);         /* the driver reset the device */
	const int *vcpu_fd;  /* an fd activate()/reset() write on a vCPU thread (its
			      * seccomp filter allows it), or NULL */
	void *opaque;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	struct virtio_dev *dev;
	const struct gmem *gm;
	struct evloop *loop;
	uint64_t base;
	int gsi;
	int irq_fd;                 /* eventfd bound by KVM_IRQFD when there is an irqchip */
	int kick_fd[VIRTIO_MAX_QUEUES];
	uint32_t status, dfsel, drvfsel, qsel, config_gen;
	uint64_t driver_features;
	atomic_uint isr;            /* InterruptStatus: bit 0 used ring, bit 1 config */
	bool broken;                /* set on a malformed ring: NEEDS_RESET until reset */
	char broken_why[128];
	struct vq vq[VIRTIO_MAX_QUEUES];
};

/* Wire the device at `base` (a VIRTIO_MMIO_SIZE window on `mmio`) with
 * interrupt `gsi`. vm_fd < 0 means no irqchip and no ioeventfd: kicks then
 * go through the MMIO handler to the same eventfds. Returns 0 or -1. */
int virtio_mmio_attach(struct virtio_mmio *t, struct virtio_dev *dev, int vm_fd, bool irqchip,
		       const struct gmem *gm, struct bus *mmio, struct evloop *loop, uint64_t base,
		       int gsi, struct err *err);

/* Release the eventfds. */
void virtio_mmio_detach(struct virtio_mmio *t);

/* After pushing to queue q: raise the used-buffer interrupt if the driver
 * wants one. Call with the lock held. */
void virtio_mmio_notify_used(struct virtio_mmio *t, int q);

/* Serve queue q with vq_drain() (c: the device's scratch chain). A malformed
 * ring marks the device NEEDS_RESET with `why`. What was pushed is signalled
 * once at the end, unless ops->pushed signals each chain itself. Call with
 * the lock held. */
void virtio_mmio_drain(struct virtio_mmio *t, int q, struct vq_chain *c,
		       const struct vq_drain_ops *ops, void *ctx, const char *why);

/* Mark the device NEEDS_RESET (a malformed ring or request) and tell the
 * driver. The device ignores its queues until the driver resets it. */
void virtio_mmio_set_broken(struct virtio_mmio *t, const char *why);

/* True when queue q may be processed: DRIVER_OK, ready, not broken. */
bool virtio_mmio_queue_live(const struct virtio_mmio *t, int q);

/* The features the transport offers: the device's and its own. */
uint64_t virtio_mmio_offered(const struct virtio_mmio *t);

/* The kernel command-line fragment that describes the device:
 * "virtio_mmio.device=4K@0x...:GSI". */
int virtio_mmio_cmdline(const struct virtio_mmio *t, char *out, size_t cap);

#endif
