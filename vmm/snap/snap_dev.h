/* Device state in and out of a snapshot (vmm/snap/snapshot.h): each virtio-mmio
 * transport with its queues (a SNAP_VIRTIO section), and each device's own
 * state (a SNAP_DEVICE section, instance = its slot below). The only code
 * that reads device sections: every field is bounds-checked and a section
 * is applied only once all of it passed, so a bad one leaves the device as
 * it was and says what was wrong.
 *
 * What is carried is what the guest's drivers remember, and no more: a
 * device is saved only at a point where nothing is in flight on the host
 * side (no vsock connection, no FUSE session, no frame half received), and
 * refuses to be saved otherwise. Host-side resources (fds, the tap, the
 * share) are the restoring VM's own. */
#ifndef MVM_SNAP_DEV_H
#define MVM_SNAP_DEV_H

#include <stdint.h>

#include "vmm/core/vm.h"
#include "vmm/snap/snapshot.h"
#include "vmm/virtio/fs.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/vsock/vsock.h"

/* SNAP_DEVICE instances. */
enum snap_dev_slot {
	SNAP_DEV_SERIAL = 1,
	SNAP_DEV_I8042 = 2,
	SNAP_DEV_PORT = 3,
	SNAP_DEV_VIRTIO0 = 0x100, /* + the transport's index in vm->virtio */
};

/* The transport t at vm->virtio[index], unpop[q] chains of queue q given
 * back to the ring (chains a device popped and never pushed: the restored
 * guest's ring offers them again). Refuses a broken device. 0, or -1 with
 * err. */
int snap_virtio_save(struct virtio_mmio *t, uint32_t index, const uint16_t *unpop,
		     struct snap_writer *w, struct err *err);
/* Load it into t, a freshly attached transport of the same device and
 * queue count: the rings are checked against t->gm as a driver's set-up
 * would be, activate() runs if the driver had set DRIVER_OK, and every
 * ready queue is kicked once (the guest will not kick for buffers it posted
 * before the save). 0, or -1 with err (t untouched). */
int snap_virtio_load(struct virtio_mmio *t, uint32_t index, const struct snap_view *v,
		     struct err *err);

/* The devices' own state, each with its transport at `index` where it has
 * one. Save refuses a device with host-side state in flight (see above);
 * load refuses a snapshot of another device (id, vsock CID, fs tag, MAC).
 * All return 0, or -1 with err. */
int snap_serial_save(struct serial *s, struct snap_writer *w, struct err *err);
int snap_serial_load(struct serial *s, const struct snap_view *v, struct err *err);
int snap_i8042_save(struct i8042 *d, struct snap_writer *w, struct err *err);
int snap_i8042_load(struct i8042 *d, const struct snap_view *v, struct err *err);
int snap_port_save(struct mvmport *d, struct snap_writer *w, struct err *err);
int snap_port_load(struct mvmport *d, const struct snap_view *v, struct err *err);
int snap_vsock_save(struct vsock *d, uint32_t index, struct snap_writer *w, struct err *err);
int snap_vsock_load(struct vsock *d, uint32_t index, const struct snap_view *v,
		    struct err *err);
int snap_vfs_save(struct vfsdev *d, uint32_t index, struct snap_writer *w, struct err *err);
int snap_vfs_load(struct vfsdev *d, uint32_t index, const struct snap_view *v,
		  struct err *err);
int snap_vnet_save(struct vnet *d, uint32_t index, struct snap_writer *w, struct err *err);
int snap_vnet_load(struct vnet *d, uint32_t index, const struct snap_view *v,
		   struct err *err);

/* Every device of a stopped vm (serial if present, i8042, the port, each
 * virtio device by its id), in and out. Restore also refuses a snapshot
 * with a device this VM lacks or lacking one it has. 0, or -1 with err. */
int snap_dev_save(struct vm *vm, struct snap_writer *w, struct err *err);
int snap_dev_restore(struct vm *vm, const struct snap_view *v, struct err *err);

#endif
