/* libFuzzer target for the snapshot format (vmm/snap/snapshot.c): a snapshot is
 * input (a template file any root process could have replaced), so
 * snap_parse must refuse every malformed one and never read past it.
 *
 * What is checked beyond "no crash": an accepted snapshot re-encodes, section
 * by section through the writer, to the very same bytes (the format is
 * canonical); every section lies inside the input; snap_find finds each.
 * The checksum would stop almost every mutation at the door, so every input
 * is also tried with its checksum fixed up, to reach the section walk.
 * An accepted one is then loaded into a set of devices (serial, i8042, the
 * mvm port, a two-queue virtio transport over 1 MiB of RAM, a virtio-net on
 * a socket pair at virtio slot 2, a read-only virtio-fs share "fuzz" at slot
 * 3): the device parsers (vmm/snap/snap_dev.c, snap_virtio.c) must refuse
 * or apply it
 * without reading outside a section or RAM, and a refused load must leave
 * the device as it was.
 *
 *   make build/fuzz/snapshot_fuzz && tests/fuzz/run.sh build/fuzz/snapshot_fuzz
 */
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/snap/snap_dev.h"
#include "vmm/snap/snapshot.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "snapshot_fuzz: %s\n", what);
		abort();
	}
}

/* The devices, made once (a fuzz target's process is its own). */
struct devs {
	struct gmem gm;
	struct bus pio, mmio;
	struct evloop loop;
	struct serial serial;
	struct i8042 kbd;
	struct mvmport port;
	struct virtio_mmio t;
	struct virtio_dev dev;
	struct vnet net;
	struct vfsdev fs;
	struct bus net_mmio, fs_mmio;
};

static struct devs *devs(void)
{
	static struct devs *d;
	if (d)
		return d;
	struct err err = { 0 };
	struct timespec t0 = { 0 };
	d = calloc(1, sizeof(*d));
	check(d && gmem_init(&d->gm, 1 << 20, &err) == 0 && evloop_init(&d->loop, &err) == 0,
	      "set-up");
	check(serial_attach(&d->serial, &d->pio, -1, (struct irq_line){ 0 }) == 0, "serial");
	check(mvmport_attach(&d->port, &d->pio, &t0) == 0, "port");
	d->dev = (struct virtio_dev){ .name = "fuzz", .device_id = 42, .nqueues = 2,
				      .queue_max = 64, .opaque = d };
	check(virtio_mmio_attach(&d->t, &d->dev, -1, false, &d->gm, &d->mmio, &d->loop,
				 0xd0000000ull, 5, &err) == 0, "transport");
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	int sp[2];
	check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0 &&
	      vnet_init(&d->net, sp[0], false, mac, &err) == 0 &&
	      virtio_mmio_attach(&d->net.transport, &d->net.vdev, -1, false, &d->gm, &d->net_mmio,
				 &d->loop, 0xd0001000ull, 6, &err) == 0, "virtio-net");
	check(vfsdev_init(&d->fs, "fuzz", "/", true, &err) == 0 &&
	      virtio_mmio_attach(&d->fs.transport, &d->fs.vdev, -1, false, &d->gm, &d->fs_mmio,
				 &d->loop, 0xd0002000ull, 7, &err) == 0, "virtio-fs");
	return d;
}

/* A device over a transport: a refused load leaves the transport as it was,
 * an accepted one has every ready ring inside RAM. */
static void check_rings(const struct virtio_mmio *t, const struct gmem *gm)
{
	for (int q = 0; q < t->dev->nqueues; q++) {
		const struct vq *vq = &t->vq[q];
		if (!vq->ready)
			continue;
		check(gmem_ptr(gm, vq->desc_gpa, 16ull * vq->size) != NULL &&
		      gmem_ptr(gm, vq->avail_gpa, 6ull + 2ull * vq->size) != NULL &&
		      gmem_ptr(gm, vq->used_gpa, 6ull + 8ull * vq->size) != NULL,
		      "a loaded ring outside RAM");
	}
}

static void drain_kicks(struct virtio_mmio *t)
{
	for (int q = 0; q < t->dev->nqueues; q++) {
		uint64_t n;
		if (read(t->kick_fd[q], &n, sizeof(n)) < 0) {
			/* not kicked: the queue is not ready */
		}
	}
}

static int load_net(struct devs *d, const struct snap_view *v, struct err *err)
{
	return snap_vnet_load(&d->net, 2, v, err);
}

static int load_fs(struct devs *d, const struct snap_view *v, struct err *err)
{
	return snap_vfs_load(&d->fs, 3, v, err);
}

static void load_devices(const struct snap_view *v)
{
	struct devs *d = devs();
	struct err err = { 0 };
	uint8_t before = d->serial.ier;
	if (snap_serial_load(&d->serial, v, &err) < 0)
		check(d->serial.ier == before && err.msg[0], "a refused serial load changed it");
	memset(&err, 0, sizeof(err));
	snap_i8042_load(&d->kbd, v, &err);
	memset(&err, 0, sizeof(err));
	snap_port_load(&d->port, v, &err);
	for (uint32_t i = 0; i < 2; i++) {
		memset(&err, 0, sizeof(err));
		uint32_t st = d->t.status;
		if (snap_virtio_load(&d->t, i, v, &err) < 0) {
			check(d->t.status == st, "a refused transport load changed it");
			continue;
		}
		for (int q = 0; q < 2; q++) {
			uint64_t n;
			if (read(d->t.kick_fd[q], &n, sizeof(n)) < 0) {
				/* not kicked: the queue is not ready */
			}
			if (d->t.vq[q].ready)
				check(gmem_ptr(&d->gm, d->t.vq[q].desc_gpa, 16ull * d->t.vq[q].size) != NULL,
				      "a loaded ring outside RAM");
		}
	}
	struct { struct virtio_mmio *t; int (*load)(struct devs *, const struct snap_view *,
						   struct err *); } more[] = {
		{ &d->net.transport, load_net }, { &d->fs.transport, load_fs },
	};
	for (size_t k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
		memset(&err, 0, sizeof(err));
		uint32_t st = more[k].t->status;
		uint64_t feat = more[k].t->driver_features;
		if (more[k].load(d, v, &err) < 0) {
			check(err.msg[0] && more[k].t->status == st &&
			      more[k].t->driver_features == feat, "a refused device load changed it");
			continue;
		}
		drain_kicks(more[k].t);
		check_rings(more[k].t, &d->gm);
	}
}

static void one(const uint8_t *buf, size_t len)
{
	struct snap_view v;
	struct err err = { 0 };
	if (snap_parse(buf, len, &v, &err) < 0) {
		check(err.status != 0 && err.msg[0], "refused without an error");
		snap_view_free(&v);
		return;
	}
	struct snap_writer w = { 0 };
	for (uint32_t i = 0; i < v.nsections; i++) {
		const struct snap_section *s = &v.sections[i];
		check(s->data >= buf && s->data + s->len <= buf + len, "section outside the input");
		check(snap_find(&v, s->type, s->instance) == s, "snap_find misses a section");
		snap_add(&w, s->type, s->instance, s->data, s->len);
	}
	const uint8_t *out;
	size_t out_len;
	struct err err2 = { 0 };
	check(snap_finish(&w, &out, &out_len, &err2) == 0, "an accepted snapshot does not re-encode");
	check(out_len == len && !memcmp(out, buf, len), "re-encoding differs");
	load_devices(&v);
	snap_writer_free(&w);
	snap_view_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	one(buf, size);
	if (size >= SNAP_HEADER_BYTES) { /* fix the length and checksum, try again */
		memcpy(buf, SNAP_MAGIC, 8);
		for (int i = 0; i < 8; i++)
			buf[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
		uint32_t crc = snap_crc32c(0, buf + SNAP_HEADER_BYTES, size - SNAP_HEADER_BYTES);
		for (int i = 0; i < 4; i++)
			buf[24 + i] = (uint8_t)(crc >> (8 * i));
		one(buf, size);
	}
	free(buf);
	return 0;
}
