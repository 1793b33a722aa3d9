/* The virtio-fs device (virtio 1.1 5.11, device id 26): one per shared
 * directory, with a tag the guest mounts by. Requests from its queues go to
 * the FUSE server (vmm/fuse/fuse_server.h) on the I/O thread. */
#ifndef MVM_VIRTIO_FS_H
#define MVM_VIRTIO_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/err.h"
#include "vmm/fuse/fuse_server.h"
#include "vmm/virtio/mmio.h"

#define VFS_TAG_MAX 36
#define VIRTIO_ID_FS 26

struct vfsdev {
	struct virtio_dev vdev;
	struct virtio_mmio transport;
	struct __attribute__((packed)) {
		char tag[VFS_TAG_MAX];
		uint32_t num_request_queues;
	} config;
	struct vfs_server srv;
	struct vq_chain *chain; /* scratch for one request; owned */
	bool reset_pending;     /* the driver reset (vCPU thread); the I/O thread
				 * drops the guest's handles before the next request */
};

/* Serve host_dir under `tag` (1..35 bytes). Returns 0 or -1 with err. The
 * caller then attaches &d->transport with &d->vdev (vm_add_virtio). */
int vfsdev_init(struct vfsdev *d, const char *tag, const char *host_dir, bool readonly,
		struct err *err);

/* The same for a share opened already: root_fd (O_PATH directory) and
 * proc_fd (/proc/self/fd) are taken, also on failure. */
int vfsdev_init_fd(struct vfsdev *d, const char *tag, int root_fd, int proc_fd, bool readonly,
		   struct err *err);

/* Release the server and scratch. */
void vfsdev_fini(struct vfsdev *d);

#endif
