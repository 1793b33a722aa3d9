/* The legacy devices in and out of snapshot sections, and the walk over all
 * of a VM's devices (vmm/snap/snap_dev.h). */
#include "vmm/snap/snap_dev.h"

#include "vmm/snap/snap_codec.h"

static int open_dev(const struct snap_view *v, uint32_t slot, const char *dev, struct dec *d,
		    struct err *err)
{
	const struct snap_section *s = snap_find(v, SNAP_DEVICE, slot);
	if (!s)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: no state for %s", dev);
	*d = (struct dec){ .p = s->data, .n = s->len };
	return 0;
}

static int malformed(struct err *err, const char *dev, const char *what)
{
	return err_set(err, MVM_EXIT_BADARG, "snapshot: %s: %s", dev, what);
}

/* ---- serial: the registers the guest's 8250 driver set. Output still
 * buffered is written out before the save. ---- */

int snap_serial_save(struct serial *s, struct snap_writer *w, struct err *err)
{
	(void)err;
	serial_flush(s);
	pthread_mutex_lock(&s->lock);
	uint8_t b[8] = { s->ier, s->lcr, s->mcr, s->scr, s->dll, s->dlm, s->fcr, s->thre_pending };
	pthread_mutex_unlock(&s->lock);
	snap_add(w, SNAP_DEVICE, SNAP_DEV_SERIAL, b, sizeof(b));
	return 0;
}

int snap_serial_load(struct serial *s, const struct snap_view *v, struct err *err)
{
	struct dec d = { 0 };
	uint8_t b[8];
	if (open_dev(v, SNAP_DEV_SERIAL, "serial", &d, err) < 0)
		return -1;
	dec_bytes(&d, b, sizeof(b));
	if (!dec_done(&d))
		return malformed(err, "serial", "malformed state");
	/* The masks the register writes apply (serial.c). */
	if ((b[0] & ~0x0f) || (b[2] & ~0x1f) || b[7] > 1)
		return malformed(err, "serial", "register values no guest could set");
	pthread_mutex_lock(&s->lock);
	s->ier = b[0];
	s->lcr = b[1];
	s->mcr = b[2];
	s->scr = b[3];
	s->dll = b[4];
	s->dlm = b[5];
	s->fcr = b[6];
	s->thre_pending = b[7];
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- i8042: only a reset line, no state; its empty section says the
 * snapshot's VM had one. ---- */

int snap_i8042_save(struct i8042 *d, struct snap_writer *w, struct err *err)
{
	(void)d;
	(void)err;
	snap_add(w, SNAP_DEVICE, SNAP_DEV_I8042, NULL, 0);
	return 0;
}

int snap_i8042_load(struct i8042 *d, const struct snap_view *v, struct err *err)
{
	struct dec dc = { 0 };
	(void)d;
	if (open_dev(v, SNAP_DEV_I8042, "i8042", &dc, err) < 0)
		return -1;
	return dc.n ? malformed(err, "i8042", "state where none is kept") : 0;
}

/* ---- the mvm port: the latest milestone's id. Times are not carried:
 * they count from the start of the mvm that runs the guest. ---- */

int snap_port_save(struct mvmport *d, struct snap_writer *w, struct err *err)
{
	if (atomic_load(&d->shutdown) >= 0)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: mvinit has announced its "
			       "shutdown: not a point to save at");
	struct enc e = { .n = 0 };
	enc_u(&e, (uint32_t)atomic_load(&d->mark), 4);
	enc_u(&e, 0, 4);
	snap_add(w, SNAP_DEVICE, SNAP_DEV_PORT, e.b, e.n);
	return 0;
}

int snap_port_load(struct mvmport *d, const struct snap_view *v, struct err *err)
{
	struct dec dc = { 0 };
	if (open_dev(v, SNAP_DEV_PORT, "mvm port", &dc, err) < 0)
		return -1;
	uint32_t mark = (uint32_t)dec_u(&dc, 4), pad = (uint32_t)dec_u(&dc, 4);
	if (!dec_done(&dc) || pad || mark > 255)
		return malformed(err, "mvm port", "malformed state");
	atomic_store(&d->mark, (int)mark);
	return 0;
}

/* ---- the whole VM ---- */

int snap_dev_save(struct vm *vm, struct snap_writer *w, struct err *err)
{
	if ((vm->has_serial && snap_serial_save(&vm->serial, w, err) < 0) ||
	    snap_i8042_save(&vm->i8042, w, err) < 0 || snap_port_save(&vm->port, w, err) < 0)
		return -1;
	for (int i = 0; i < vm->nvirtio; i++) {
		struct virtio_mmio *t = vm->virtio[i];
		uint32_t idx = (uint32_t)i;
		int r;
		switch (t->dev->device_id) {
		case VSOCK_DEVICE_ID: r = snap_vsock_save(t->dev->opaque, idx, w, err); break;
		case VIRTIO_ID_FS: r = snap_vfs_save(t->dev->opaque, idx, w, err); break;
		case VNET_DEVICE_ID: r = snap_vnet_save(t->dev->opaque, idx, w, err); break;
		default:
			return err_set(err, MVM_EXIT_INTERNAL, "snapshot: %s cannot be saved",
				       t->dev->name);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int snap_dev_restore(struct vm *vm, const struct snap_view *v, struct err *err)
{
	/* Every device section must be one of this VM's devices. */
	for (uint32_t i = 0; i < v->nsections; i++) {
		const struct snap_section *s = &v->sections[i];
		uint32_t k = s->instance;
		bool ours = s->type == SNAP_VIRTIO ? k < (uint32_t)vm->nvirtio
			  : s->type != SNAP_DEVICE ? true
			  : k == SNAP_DEV_SERIAL ? vm->has_serial
			  : k == SNAP_DEV_I8042 || k == SNAP_DEV_PORT ||
			    (k >= SNAP_DEV_VIRTIO0 && k - SNAP_DEV_VIRTIO0 < (uint32_t)vm->nvirtio);
		if (!ours)
			return err_set(err, MVM_EXIT_BADARG, "snapshot: state for a device this VM "
				       "does not have (section %u/%u)", s->type, k);
	}
	if ((vm->has_serial && snap_serial_load(&vm->serial, v, err) < 0) ||
	    snap_i8042_load(&vm->i8042, v, err) < 0 || snap_port_load(&vm->port, v, err) < 0)
		return -1;
	for (int i = 0; i < vm->nvirtio; i++) {
		struct virtio_mmio *t = vm->virtio[i];
		uint32_t idx = (uint32_t)i;
		int r;
		switch (t->dev->device_id) {
		case VSOCK_DEVICE_ID: r = snap_vsock_load(t->dev->opaque, idx, v, err); break;
		case VIRTIO_ID_FS: r = snap_vfs_load(t->dev->opaque, idx, v, err); break;
		case VNET_DEVICE_ID: r = snap_vnet_load(t->dev->opaque, idx, v, err); break;
		default:
			return err_set(err, MVM_EXIT_INTERNAL, "snapshot: %s cannot be restored",
				       t->dev->name);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}
