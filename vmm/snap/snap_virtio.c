/* Virtio transports and devices in and out of snapshot sections
 * (vmm/snap/snap_dev.h). */
#include "vmm/snap/snap_dev.h"

#include <unistd.h>

#include "vmm/snap/snap_codec.h"

/* A transport's section: 40 bytes, then 40 a queue. */
#define TRANSPORT_BYTES 40
#define QUEUE_BYTES 40
_Static_assert(TRANSPORT_BYTES + VIRTIO_MAX_QUEUES * QUEUE_BYTES <= ENC_MAX,
	       "a transport's section fits the encoder");

#define STATUS_KNOWN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
		      VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

static int bad(struct err *err, const char *dev, const char *what)
{
	return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: %s", dev, what);
}

/* The section's payload as a reader, or -1 with err when it is missing. */
static int open_sec(const struct snap_view *v, enum snap_type type, uint32_t inst,
		    const char *dev, struct dec *d, struct err *err)
{
	const struct snap_section *s = snap_find(v, type, inst);
	if (!s)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: no state for %s (section %u/%u)",
			       dev, (unsigned)type, inst);
	*d = (struct dec){ .p = s->data, .n = s->len };
	return 0;
}

int snap_virtio_save(struct virtio_mmio *t, uint32_t index, const uint16_t *unpop,
		     struct snap_writer *w, struct err *err)
{
	struct enc e = { .n = 0 };
	pthread_mutex_lock(&t->lock);
	if (t->broken) {
		pthread_mutex_unlock(&t->lock);
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: %s is broken (%s): not saved",
			       t->dev->name, t->broken_why);
	}
	enc_u(&e, t->dev->device_id, 4);
	enc_u(&e, (uint32_t)t->dev->nqueues, 4);
	enc_u(&e, t->status, 4);
	enc_u(&e, t->dfsel, 4);
	enc_u(&e, t->drvfsel, 4);
	enc_u(&e, t->qsel, 4);
	enc_u(&e, t->config_gen, 4);
	enc_u(&e, atomic_load(&t->isr), 4);
	enc_u(&e, t->driver_features, 8);
	for (int i = 0; i < t->dev->nqueues; i++) {
		const struct vq *q = &t->vq[i];
		enc_u(&e, q->size, 2);
		enc_u(&e, q->ready, 1);
		enc_u(&e, q->signalled_valid, 1);
		enc_u(&e, (uint16_t)(q->last_avail - (unpop ? unpop[i] : 0)), 2);
		enc_u(&e, q->used_idx, 2);
		enc_u(&e, q->signalled, 2);
		enc_u(&e, 0, 6);
		enc_u(&e, q->desc_gpa, 8);
		enc_u(&e, q->avail_gpa, 8);
		enc_u(&e, q->used_gpa, 8);
	}
	pthread_mutex_unlock(&t->lock);
	snap_add(w, SNAP_VIRTIO, index, e.b, e.n);
	return 0;
}

int snap_virtio_load(struct virtio_mmio *t, uint32_t index, const struct snap_view *v,
		     struct err *err)
{
	const char *name = t->dev->name;
	struct dec d = { 0 };
	if (open_sec(v, SNAP_VIRTIO, index, name, &d, err) < 0)
		return -1;
	uint32_t id = (uint32_t)dec_u(&d, 4), nq = (uint32_t)dec_u(&d, 4);
	uint32_t status = (uint32_t)dec_u(&d, 4), dfsel = (uint32_t)dec_u(&d, 4);
	uint32_t drvfsel = (uint32_t)dec_u(&d, 4), qsel = (uint32_t)dec_u(&d, 4);
	uint32_t gen = (uint32_t)dec_u(&d, 4), isr = (uint32_t)dec_u(&d, 4);
	uint64_t feat = dec_u(&d, 8);
	if (d.past)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: section of %zu bytes, not the "
			       "size of a transport", name, d.n);
	if (id != t->dev->device_id || nq != (uint32_t)t->dev->nqueues)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: virtio slot %u holds device id %u "
			       "with %u queues, this VM has %s (id %u, %d queues)", index, id, nq,
			       name, t->dev->device_id, t->dev->nqueues);
	if (status & ~(uint32_t)STATUS_KNOWN)
		return bad(err, name, "unknown status bits");
	if (feat & ~virtio_mmio_offered(t))
		return bad(err, name, "driver features beyond those offered");
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(feat & (1ULL << VIRTIO_F_VERSION_1)))
		return bad(err, name, "FEATURES_OK without VERSION_1");
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FEATURES_OK))
		return bad(err, name, "DRIVER_OK without FEATURES_OK");
	if (isr & ~3u)
		return bad(err, name, "unknown interrupt status bits");
	bool eidx = feat & (1ULL << VIRTIO_F_EVENT_IDX), ind = feat & (1ULL << VIRTIO_F_INDIRECT_DESC);
	struct vq qs[VIRTIO_MAX_QUEUES];
	for (uint32_t i = 0; i < nq; i++) {
		struct vq *q = &qs[i];
		memset(q, 0, sizeof(*q));
		q->size = (uint16_t)dec_u(&d, 2);
		uint8_t ready = (uint8_t)dec_u(&d, 1), sv = (uint8_t)dec_u(&d, 1);
		q->last_avail = (uint16_t)dec_u(&d, 2);
		q->used_idx = (uint16_t)dec_u(&d, 2);
		q->signalled = (uint16_t)dec_u(&d, 2);
		uint64_t pad = dec_u(&d, 6);
		q->desc_gpa = dec_u(&d, 8);
		q->avail_gpa = dec_u(&d, 8);
		q->used_gpa = dec_u(&d, 8);
		if (d.past)
			break;
		if (ready > 1 || sv > 1 || pad)
			return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: queue %u: bad flags", name, i);
		if (ready) {
			/* The ring indices are free-running (2.6): any value is one a
			 * driver could have; the rings must be where a driver may put
			 * them, which vq_activate checks as at set-up. */
			uint16_t la = q->last_avail, ui = q->used_idx, sg = q->signalled;
			if (vq_activate(q, t->gm, t->dev->queue_max, eidx, ind) < 0)
				return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: queue %u: rings "
					       "outside guest RAM, misaligned or of a bad size", name, i);
			q->ready = true;
			q->last_avail = la;
			q->used_idx = ui;
			q->signalled = sg;
		}
		q->signalled_valid = sv;
	}
	if (!dec_done(&d))
		return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: section of %zu bytes, not the "
			       "size of %u queues", name, d.n, nq);
	pthread_mutex_lock(&t->lock);
	t->status = status;
	t->dfsel = dfsel;
	t->drvfsel = drvfsel;
	t->qsel = qsel;
	t->config_gen = gen;
	t->driver_features = feat;
	atomic_store(&t->isr, isr);
	for (uint32_t i = 0; i < nq; i++)
		t->vq[i] = qs[i];
	if ((status & VIRTIO_STATUS_DRIVER_OK) && t->dev->activate)
		t->dev->activate(t);
	pthread_mutex_unlock(&t->lock);
	for (uint32_t i = 0; i < nq; i++) {
		uint64_t one = 1;
		if (qs[i].ready && write(t->kick_fd[i], &one, sizeof(one)) < 0) {
			/* a saturated counter: a kick is pending anyway */
		}
	}
	return 0;
}

/* ---- vsock: the CID the guest knows and the next host port; connections
 * are never carried (save refuses while one exists). ---- */

int snap_vsock_save(struct vsock *d, uint32_t index, struct snap_writer *w, struct err *err)
{
	uint16_t unpop[VIRTIO_MAX_QUEUES] = { 0 };
	pthread_mutex_lock(&d->transport.lock);
	bool busy = d->nconns || d->rst_len || d->reset_pending;
	unpop[VSOCK_RXQ] = d->rx_held; /* the held rx chain goes back to the guest's ring */
	struct enc e = { .n = 0 };
	enc_u(&e, d->guest_cid, 8);
	enc_u(&e, d->next_hport, 4);
	enc_u(&e, 0, 4);
	pthread_mutex_unlock(&d->transport.lock);
	if (busy)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: vsock has live connections "
			       "(%u): a guest is saved before any exists", d->nconns);
	if (snap_virtio_save(&d->transport, index, unpop, w, err) < 0)
		return -1;
	snap_add(w, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, e.b, e.n);
	return 0;
}

int snap_vsock_load(struct vsock *d, uint32_t index, const struct snap_view *v,
		    struct err *err)
{
	struct dec dc = { 0 };
	if (open_sec(v, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, "vsock", &dc, err) < 0)
		return -1;
	uint64_t cid = dec_u(&dc, 8);
	uint32_t hport = (uint32_t)dec_u(&dc, 4), pad = (uint32_t)dec_u(&dc, 4);
	if (!dec_done(&dc) || pad)
		return bad(err, "vsock", "malformed state");
	if (cid != d->guest_cid)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: vsock: the guest knows CID %llu, "
			       "this VM gives %llu", (unsigned long long)cid,
			       (unsigned long long)d->guest_cid);
	if (hport < VSOCK_HPORT_BASE)
		return bad(err, "vsock", "host port below the host-initiated range");
	if (snap_virtio_load(&d->transport, index, v, err) < 0)
		return -1;
	pthread_mutex_lock(&d->transport.lock);
	d->next_hport = hport;
	pthread_mutex_unlock(&d->transport.lock);
	return 0;
}

/* ---- virtio-fs: the transport and the tag only. The FUSE session (its
 * inodes and handles) is never carried: a share the guest has mounted (INIT
 * seen) refuses to be saved, so a restored guest mounts afresh. ---- */

int snap_vfs_save(struct vfsdev *d, uint32_t index, struct snap_writer *w, struct err *err)
{
	pthread_mutex_lock(&d->transport.lock);
	bool mounted = d->srv.initialized;
	struct enc e = { .n = 0 };
	enc_bytes(&e, d->config.tag, VFS_TAG_MAX);
	enc_u(&e, d->config.num_request_queues, 4);
	pthread_mutex_unlock(&d->transport.lock);
	if (mounted)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: the guest has mounted share \"%.*s\": "
			       "a guest is saved before it mounts one", VFS_TAG_MAX, d->config.tag);
	if (snap_virtio_save(&d->transport, index, NULL, w, err) < 0)
		return -1;
	snap_add(w, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, e.b, e.n);
	return 0;
}

int snap_vfs_load(struct vfsdev *d, uint32_t index, const struct snap_view *v,
		  struct err *err)
{
	struct dec dc = { 0 };
	char tag[VFS_TAG_MAX];
	if (open_sec(v, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, "virtio-fs", &dc, err) < 0)
		return -1;
	dec_bytes(&dc, tag, sizeof(tag));
	uint32_t nrq = (uint32_t)dec_u(&dc, 4);
	if (!dec_done(&dc))
		return bad(err, "virtio-fs", "malformed state");
	if (memcmp(tag, d->config.tag, sizeof(tag)) || nrq != d->config.num_request_queues)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: virtio-fs slot %u is another share "
			       "than this VM's \"%.*s\"", index, VFS_TAG_MAX, d->config.tag);
	return snap_virtio_load(&d->transport, index, v, err);
}

/* ---- virtio-net: the MAC the guest read. A frame half received is
 * dropped (a lost packet) and its chains given back to the ring. ---- */

int snap_vnet_save(struct vnet *d, uint32_t index, struct snap_writer *w, struct err *err)
{
	uint16_t unpop[VIRTIO_MAX_QUEUES] = { 0 };
	pthread_mutex_lock(&d->transport.lock);
	unpop[VNET_RXQ] = (uint16_t)(d->nused + d->rx_held);
	bool f_mac = d->vdev.features & (1ULL << VIRTIO_NET_F_MAC);
	struct enc e = { .n = 0 };
	enc_bytes(&e, d->config.mac, 6);
	enc_u(&e, f_mac, 1);
	enc_u(&e, 0, 1);
	pthread_mutex_unlock(&d->transport.lock);
	if (snap_virtio_save(&d->transport, index, unpop, w, err) < 0)
		return -1;
	snap_add(w, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, e.b, e.n);
	return 0;
}

int snap_vnet_load(struct vnet *d, uint32_t index, const struct snap_view *v,
		   struct err *err)
{
	struct dec dc = { 0 };
	uint8_t mac[6];
	if (open_sec(v, SNAP_DEVICE, SNAP_DEV_VIRTIO0 + index, "virtio-net", &dc, err) < 0)
		return -1;
	dec_bytes(&dc, mac, 6);
	uint8_t f_mac = (uint8_t)dec_u(&dc, 1), pad = (uint8_t)dec_u(&dc, 1);
	if (!dec_done(&dc) || pad || f_mac > 1)
		return bad(err, "virtio-net", "malformed state");
	bool has_mac = d->vdev.features & (1ULL << VIRTIO_NET_F_MAC);
	if (f_mac != has_mac || (has_mac && memcmp(mac, d->config.mac, 6)))
		return bad(err, "virtio-net", "the guest knows another MAC than this VM offers");
	return snap_virtio_load(&d->transport, index, v, err);
}
