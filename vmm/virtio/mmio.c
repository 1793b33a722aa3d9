#include "vmm/virtio/mmio.h"

#include <errno.h>
#include <sys/epoll.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Register offsets, virtio 1.1 table 4.1. */
enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014, R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024, R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050,
	R_INTERRUPT_STATUS = 0x060, R_INTERRUPT_ACK = 0x064, R_STATUS = 0x070,
	R_QUEUE_DESC_LOW = 0x080, R_QUEUE_DESC_HIGH = 0x084, R_QUEUE_DRIVER_LOW = 0x090,
	R_QUEUE_DRIVER_HIGH = 0x094, R_QUEUE_DEVICE_LOW = 0x0a0, R_QUEUE_DEVICE_HIGH = 0x0a4,
	R_SHM_LEN_LOW = 0x0b0, R_SHM_LEN_HIGH = 0x0b4, R_CONFIG_GENERATION = 0x0fc,
	R_CONFIG = 0x100,
};
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4e52564d /* "MVRN" */

uint64_t virtio_mmio_offered(const struct virtio_mmio *t)
{
	return t->dev->features | (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_EVENT_IDX) |
	       (1ULL << VIRTIO_F_INDIRECT_DESC);
}

static void raise_irq(struct virtio_mmio *t, unsigned bit)
{
	atomic_fetch_or(&t->isr, bit);
	uint64_t one = 1;
	if (write(t->irq_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, an interrupt is pending anyway. */
	}
}

void virtio_mmio_notify_used(struct virtio_mmio *t, int q)
{
	if (vq_should_notify(&t->vq[q]))
		raise_irq(t, 1);
}

void virtio_mmio_set_broken(struct virtio_mmio *t, const char *why)
{
	if (t->broken)
		return;
	t->broken = true;
	snprintf(t->broken_why, sizeof(t->broken_why), "%s", why);
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(t, 2); /* 2.1.2: NEEDS_RESET comes with a config-change interrupt */
}

void virtio_mmio_drain(struct virtio_mmio *t, int q, struct vq_chain *c,
		       const struct vq_drain_ops *ops, void *ctx, const char *why)
{
	size_t pushed;
	if (vq_drain(&t->vq[q], c, ops, ctx, &pushed) < 0)
		virtio_mmio_set_broken(t, why);
	if (pushed && !ops->pushed)
		virtio_mmio_notify_used(t, q);
}

bool virtio_mmio_queue_live(const struct virtio_mmio *t, int q)
{
	return q >= 0 && q < t->dev->nqueues && !t->broken &&
	       (t->status & VIRTIO_STATUS_DRIVER_OK) && t->vq[q].ready && t->vq[q].desc;
}

static void device_reset(struct virtio_mmio *t)
{
	for (int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&t->vq[i]);
	t->status = t->dfsel = t->drvfsel = t->qsel = 0;
	t->driver_features = 0;
	t->broken = false;
	t->broken_why[0] = 0;
	atomic_store(&t->isr, 0);
	if (t->dev->reset)
		t->dev->reset(t);
}

static void write_status(struct virtio_mmio *t, uint32_t v)
{
	if (v == 0) {
		device_reset(t);
		return;
	}
	uint32_t added = v & ~t->status;
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		/* 3.1.1: accept only a subset of what we offered, with VERSION_1. */
		uint64_t f = t->driver_features;
		if ((f & ~virtio_mmio_offered(t)) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	t->status = v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	if ((added & VIRTIO_STATUS_DRIVER_OK) && (t->status & VIRTIO_STATUS_FEATURES_OK) &&
	    t->dev->activate)
		t->dev->activate(t);
}

static void queue_ready(struct virtio_mmio *t, uint32_t v)
{
	if (t->qsel >= (uint32_t)t->dev->nqueues)
		return;
	struct vq *q = &t->vq[t->qsel];
	if (!v) {
		q->ready = false;
		return;
	}
	bool eidx = t->driver_features & (1ULL << VIRTIO_F_EVENT_IDX);
	bool ind = t->driver_features & (1ULL << VIRTIO_F_INDIRECT_DESC);
	if (vq_activate(q, t->gm, t->dev->queue_max, eidx, ind) < 0) {
		virtio_mmio_set_broken(t, "queue rings outside guest RAM or misaligned");
		return;
	}
	q->ready = true;
}

static void set_half(uint64_t *dst, uint32_t v, bool high)
{
	*dst = high ? (*dst & 0xffffffffULL) | ((uint64_t)v << 32)
		    : (*dst & ~0xffffffffULL) | v;
}

static uint32_t reg_read(struct virtio_mmio *t, uint64_t off)
{
	struct vq *q = t->qsel < VIRTIO_MAX_QUEUES ? &t->vq[t->qsel] : NULL;
	bool qvalid = t->qsel < (uint32_t)t->dev->nqueues;
	switch (off) {
	case R_MAGIC: return VIRTIO_MMIO_MAGIC;
	case R_VERSION: return 2;
	case R_DEVICE_ID: return t->dev->device_id;
	case R_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case R_DEV_FEATURES:
		return t->dfsel > 1 ? 0 : (uint32_t)(virtio_mmio_offered(t) >> (32 * t->dfsel));
	case R_QUEUE_NUM_MAX: return qvalid ? t->dev->queue_max : 0;
	case R_QUEUE_READY: return qvalid && q->ready;
	case R_INTERRUPT_STATUS: return atomic_load(&t->isr);
	case R_STATUS: return t->status | (t->broken ? VIRTIO_STATUS_NEEDS_RESET : 0);
	case R_CONFIG_GENERATION: return t->config_gen;
	/* 4.2.2: no shared memory regions; an absent one has length -1 (Linux
	 * takes any other value, 0 included, as a region). */
	case R_SHM_LEN_LOW: case R_SHM_LEN_HIGH: return 0xffffffff;
	default: return 0;
	}
}

static void reg_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	bool qvalid = t->qsel < (uint32_t)t->dev->nqueues;
	struct vq *q = qvalid ? &t->vq[t->qsel] : NULL;
	/* 4.2.2.2: queue layout may change only while the queue is not ready. */
	bool qwritable = qvalid && !q->ready;
	switch (off) {
	case R_DEV_FEATURES_SEL: t->dfsel = v; break;
	case R_DRV_FEATURES_SEL: t->drvfsel = v; break;
	case R_DRV_FEATURES:
		if (t->drvfsel <= 1 && !(t->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&t->driver_features, v, t->drvfsel == 1);
		break;
	case R_QUEUE_SEL: t->qsel = v; break;
	case R_QUEUE_NUM: if (qwritable) q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
	case R_QUEUE_READY: if (qvalid) queue_ready(t, v); break;
	case R_INTERRUPT_ACK: atomic_fetch_and(&t->isr, ~v); break;
	case R_STATUS: write_status(t, v); break;
	case R_QUEUE_DESC_LOW: if (qwritable) set_half(&q->desc_gpa, v, false); break;
	case R_QUEUE_DESC_HIGH: if (qwritable) set_half(&q->desc_gpa, v, true); break;
	case R_QUEUE_DRIVER_LOW: if (qwritable) set_half(&q->avail_gpa, v, false); break;
	case R_QUEUE_DRIVER_HIGH: if (qwritable) set_half(&q->avail_gpa, v, true); break;
	case R_QUEUE_DEVICE_LOW: if (qwritable) set_half(&q->used_gpa, v, false); break;
	case R_QUEUE_DEVICE_HIGH: if (qwritable) set_half(&q->used_gpa, v, true); break;
	default: break;
	}
}

static void mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	struct virtio_mmio *t = opaque;
	if (off >= R_CONFIG) {
		uint64_t c = off - R_CONFIG;
		if (!wr) {
			memset(data, 0, len);
			pthread_mutex_lock(&t->lock);
			if (c < t->dev->config_len) {
				uint64_t n = t->dev->config_len - c < len ? t->dev->config_len - c : len;
				memcpy(data, (const uint8_t *)t->dev->config + c, n);
			}
			pthread_mutex_unlock(&t->lock);
		}
		return; /* config writes: no device here has writable config */
	}
	if (len != 4 || (off & 3)) {
		if (!wr)
			memset(data, 0, len);
		return; /* 4.2.2.2: registers are 32-bit, aligned */
	}
	uint32_t v;
	if (wr) {
		memcpy(&v, data, 4);
		if (off == R_QUEUE_NOTIFY) {
			/* Only reached without ioeventfd: hand the kick to the I/O thread. */
			if (v < (uint32_t)t->dev->nqueues) {
				uint64_t one = 1;
				if (write(t->kick_fd[v], &one, sizeof(one)) < 0) {
					/* saturated counter: a kick is pending */
				}
			}
			return;
		}
		pthread_mutex_lock(&t->lock);
		reg_write(t, off, v);
		pthread_mutex_unlock(&t->lock);
	} else {
		if (off == R_INTERRUPT_STATUS) {
			v = atomic_load(&t->isr);
		} else {
			pthread_mutex_lock(&t->lock);
			v = reg_read(t, off);
			pthread_mutex_unlock(&t->lock);
		}
		memcpy(data, &v, 4);
	}
}

struct kick_ctx {
	struct virtio_mmio *t;
	int q;
};

static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_mmio *t = opaque;
	(void)events;
	/* Which queue: the opaque is the transport, the fd identifies the queue. */
	for (int q = 0; q < t->dev->nqueues; q++) {
		uint64_t n;
		if (read(t->kick_fd[q], &n, sizeof(n)) != sizeof(n))
			continue;
		pthread_mutex_lock(&t->lock);
		if (virtio_mmio_queue_live(t, q) && t->dev->notify)
			t->dev->notify(t, q);
		pthread_mutex_unlock(&t->lock);
	}
}

int virtio_mmio_attach(struct virtio_mmio *t, struct virtio_dev *dev, int vm_fd, bool irqchip,
		       const struct gmem *gm, struct bus *mmio, struct evloop *loop, uint64_t base,
		       int gsi, struct err *err)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->dev = dev;
	t->gm = gm;
	t->loop = loop;
	t->base = base;
	t->gsi = gsi;
	t->irq_fd = -1;
	for (int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		t->kick_fd[i] = -1;
	if (dev->nqueues < 1 || dev->nqueues > VIRTIO_MAX_QUEUES || dev->queue_max > VQ_MAX_SIZE)
		return err_set(err, MVM_EXIT_INTERNAL, "%s: bad queue configuration", dev->name);
	t->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->irq_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "%s: eventfd", dev->name);
	if (irqchip) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)t->irq_fd, .gsi = (uint32_t)gsi };
		if (ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "%s: KVM_IRQFD gsi %d", dev->name, gsi);
	}
	for (int q = 0; q < dev->nqueues; q++) {
		t->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->kick_fd[q] < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "%s: eventfd", dev->name);
		if (vm_fd >= 0) {
			struct kvm_ioeventfd io = {
				.datamatch = (uint64_t)q, .addr = base + R_QUEUE_NOTIFY, .len = 4,
				.fd = t->kick_fd[q], .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
			};
			if (ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0)
				return err_sys(err, MVM_EXIT_INTERNAL, errno, "%s: KVM_IOEVENTFD", dev->name);
		}
		if (evloop_add(loop, t->kick_fd[q], EPOLLIN, on_kick, t) < 0)
			return err_set(err, MVM_EXIT_INTERNAL, "%s: event loop full", dev->name);
	}
	if (bus_register(mmio, base, VIRTIO_MMIO_SIZE, mmio_io, t, dev->name) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "%s: MMIO window 0x%llx taken", dev->name,
			       (unsigned long long)base);
	return 0;
}

void virtio_mmio_detach(struct virtio_mmio *t)
{
	for (int q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (t->kick_fd[q] >= 0) {
			if (t->loop)
				evloop_del(t->loop, t->kick_fd[q]);
			close(t->kick_fd[q]);
		}
		t->kick_fd[q] = -1;
	}
	if (t->irq_fd >= 0)
		close(t->irq_fd);
	t->irq_fd = -1;
}

int virtio_mmio_cmdline(const struct virtio_mmio *t, char *out, size_t cap)
{
	return snprintf(out, cap, "virtio_mmio.device=4K@0x%llx:%d", (unsigned long long)t->base,
			t->gsi);
}
