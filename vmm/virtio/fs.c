#include "vmm/virtio/fs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VFS_QUEUES 2 /* hiprio + one request queue */
#define VFS_QUEUE_SIZE 1024

/* The queue a drain serves, for its callbacks. */
struct vfs_drain {
	struct vfsdev *d;
	struct virtio_mmio *t;
	int qi;
};

static uint32_t serve(void *ctx, const struct vq_chain *c)
{
	struct vfs_drain *x = ctx;
	return vfs_handle(&x->d->srv, c->out, c->nout, c->in, c->nin);
}

/* A request may take a while (disk I/O): each completion is signalled as it
 * happens, not after the whole batch. */
static void pushed(void *ctx)
{
	struct vfs_drain *x = ctx;
	virtio_mmio_notify_used(x->t, x->qi);
}

static void vfsdev_notify(struct virtio_mmio *t, int qi)
{
	static const struct vq_drain_ops ops = { serve, pushed };
	struct vfsdev *d = t->dev->opaque;
	if (d->reset_pending) {
		vfs_reset(&d->srv);
		d->reset_pending = false;
	}
	struct vfs_drain x = { d, t, qi };
	virtio_mmio_drain(t, qi, d->chain, &ops, &x, "malformed virtqueue");
}

/* On a vCPU thread: only flag it. Closing the guest's fds and freeing
 * their buffers here would put close and the allocator's syscalls in the
 * vCPU threads' seccomp filter; the I/O thread does it before it serves
 * the next request (the driver's new INIT). */
static void vfsdev_reset(struct virtio_mmio *t)
{
	struct vfsdev *d = t->dev->opaque;
	d->reset_pending = true;
}

static int init(struct vfsdev *d, const char *tag, const char *host_dir, int root_fd, int proc_fd,
		bool readonly, struct err *err)
{
	memset(d, 0, sizeof(*d));
	size_t tl = strlen(tag);
	if (tl == 0 || tl >= VFS_TAG_MAX) {
		err_set(err, MVM_EXIT_BADARG, "share tag \"%s\": must be 1 to %d bytes", tag,
			VFS_TAG_MAX - 1);
		goto early;
	}
	memcpy(d->config.tag, tag, tl);
	d->config.num_request_queues = VFS_QUEUES - 1;
	d->chain = malloc(sizeof(*d->chain));
	if (!d->chain) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "malloc");
		goto early;
	}
	if ((host_dir ? vfs_init(&d->srv, host_dir, readonly, err)
		      : vfs_init_fd(&d->srv, root_fd, proc_fd, readonly, err)) < 0) {
		free(d->chain);
		d->chain = NULL;
		return -1;
	}
	d->vdev = (struct virtio_dev){
		.name = "virtio-fs",
		.device_id = VIRTIO_ID_FS,
		.nqueues = VFS_QUEUES,
		.queue_max = VFS_QUEUE_SIZE,
		.config = &d->config,
		.config_len = sizeof(d->config),
		.notify = vfsdev_notify,
		.reset = vfsdev_reset,
		.opaque = d,
	};
	return 0;
early: /* the fds were given but never reached vfs_init_fd */
	if (!host_dir && root_fd >= 0)
		close(root_fd);
	if (!host_dir && proc_fd >= 0)
		close(proc_fd);
	return -1;
}

int vfsdev_init(struct vfsdev *d, const char *tag, const char *host_dir, bool readonly,
		struct err *err)
{
	return init(d, tag, host_dir, -1, -1, readonly, err);
}

int vfsdev_init_fd(struct vfsdev *d, const char *tag, int root_fd, int proc_fd, bool readonly,
		   struct err *err)
{
	return init(d, tag, NULL, root_fd, proc_fd, readonly, err);
}

void vfsdev_fini(struct vfsdev *d)
{
	vfs_fini(&d->srv);
	free(d->chain);
	d->chain = NULL;
}
