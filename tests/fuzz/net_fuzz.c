/* libFuzzer target for the virtio-net device (vmm/virtio/net.c) behind the
 * real mmio transport: the guest owns the rings and the buffers, the host
 * side (a seqpacket pair standing in for the tap) sends frames of sizes the
 * input picks.
 *
 * An input is a 4-byte control block, then guest RAM:
 *   u8 feat     bit 0 MRG_RXBUF, 1 CSUM, 2 GUEST_CSUM, 3 HOST_TSO4, 4 HOST_ECN
 *   u8 nframes  frames the host sends (at most 8)
 *   u16 size    the frames' base size (each next one is 1.5 times larger, capped)
 *   ...         the first bytes of a 64 KiB guest RAM: descriptor tables and
 *               avail rings of both queues (size 16) sit at fixed places in it
 * The driver resets the device and brings it up; the host sends its frames;
 * both queues are kicked and the loop runs until idle; what reached the
 * host side is drained. ASan and UBSan judge; the device may end broken.
 *
 *   make build/fuzz/net_fuzz
 *   MVRUN_NET_SEEDS=DIR build/fuzz/net_fuzz   # writes seed inputs, exits
 *   tests/fuzz/run.sh build/fuzz/net_fuzz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/core/bus.h"
#include "vmm/core/evloop.h"
#include "vmm/virtio/net.h"

#define RAM (64u << 10)
#define CTL 4
#define BASE 0xd0000000ULL
#define QS 16
static const uint64_t ring[2] = { 0x1000, 0x4000 }; /* desc; avail +0x1000; used +0x2000 */

static struct gmem gm;
static struct bus bus;
static struct evloop loop;
static struct vnet n;
static int peer = -1;
static uint8_t frame[VNET_MAX_PKT];

static void w32(uint64_t off, uint32_t v)
{
	bus_access(&bus, BASE + off, (uint8_t *)&v, 4, true);
}

static void pump(void)
{
	for (int round = 0; round < 64; round++) {
		struct epoll_event evs[8];
		int k = epoll_wait(loop.epfd, evs, 8, 0);
		if (k <= 0)
			return;
		for (int i = 0; i < k; i++) {
			struct evloop_reg *r = evs[i].data.ptr;
			if (r->fd >= 0 && r->fn)
				r->fn(r->opaque, evs[i].events);
		}
	}
}

static void setup_once(void)
{
	struct err err = { 0 };
	int sp[2];
	if (gmem_init(&gm, RAM, &err) < 0 || evloop_init(&loop, &err) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) {
		fprintf(stderr, "net_fuzz: set-up: %s\n", err.msg);
		abort();
	}
	int big = 4 << 20;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	peer = sp[1];
	if (vnet_init(&n, sp[0], false, NULL, &err) < 0 ||
	    virtio_mmio_attach(&n.transport, &n.vdev, -1, false, &gm, &bus, &loop, BASE, 5, &err) < 0) {
		fprintf(stderr, "net_fuzz: %s\n", err.msg);
		abort();
	}
}

static void driver_up(uint8_t feat)
{
	uint32_t f = (feat & 1 ? 1u << VIRTIO_NET_F_MRG_RXBUF : 0) |
		     (feat & 2 ? 1u << VIRTIO_NET_F_CSUM : 0) |
		     (feat & 4 ? 1u << VIRTIO_NET_F_GUEST_CSUM : 0) |
		     (feat & 8 ? 1u << VIRTIO_NET_F_HOST_TSO4 : 0) |
		     (feat & 16 ? 1u << VIRTIO_NET_F_HOST_ECN : 0);
	w32(0x070, 0);
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(0x024, 0);
	w32(0x020, f);
	w32(0x024, 1);
	w32(0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (int q = 0; q < 2; q++) {
		w32(0x030, (uint32_t)q);
		w32(0x038, QS);
		w32(0x080, (uint32_t)ring[q]);
		w32(0x090, (uint32_t)(ring[q] + 0x1000));
		w32(0x0a0, (uint32_t)(ring[q] + 0x2000));
		w32(0x044, 1);
	}
	w32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			   VIRTIO_STATUS_DRIVER_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CTL)
		return 0;
	if (peer < 0)
		setup_once();
	memset(gm.base, 0, RAM);
	driver_up(data[0]);
	memcpy(gm.base, data + CTL, size - CTL > RAM ? RAM : size - CTL);
	uint32_t len = data[2] | (uint32_t)data[3] << 8;
	for (int i = 0; i < (data[1] & 7); i++) {
		uint32_t l = len < VNET_HDR_LEN ? VNET_HDR_LEN : len > VNET_MAX_PKT ? VNET_MAX_PKT : len;
		memset(frame, i, l);
		if (send(peer, frame, l, 0) < 0)
			break;
		len += len / 2 + 1;
	}
	w32(0x050, VNET_RXQ);
	w32(0x050, VNET_TXQ);
	pump();
	while (recv(peer, frame, sizeof(frame), 0) > 0)
		; /* what the guest sent */
	w32(0x070, 0); /* the next input's driver starts from a reset */
	pump();
	while (recv(n.fd, frame, sizeof(frame), MSG_DONTWAIT) > 0)
		; /* frames the guest had no room for */
	return 0;
}

/* Seeds: a ring with rx buffers and one tx frame, with and without merging. */
static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);
	for (int k = 0; k < 2; k++) {
		static uint8_t in[CTL + 0x8000];
		memset(in, 0, sizeof(in));
		in[0] = k ? 0x1f : 0;
		in[1] = 3;
		in[2] = 0xdc, in[3] = 0x05; /* 1500 */
		uint8_t *ram = in + CTL;
		for (int d = 0; d < 4; d++) { /* rx: 4 buffers of 2 KiB at 0x7000 */
			uint64_t a = 0x7000 + 0x800u * (unsigned)d;
			memcpy(ram + ring[0] + 16 * d, &a, 8);
			uint32_t l = 0x800;
			memcpy(ram + ring[0] + 16 * d + 8, &l, 4);
			uint16_t fl = 2;
			memcpy(ram + ring[0] + 16 * d + 12, &fl, 2);
			ram[ring[0] + 0x1000 + 4 + 2 * d] = (uint8_t)d;
		}
		ram[ring[0] + 0x1000 + 2] = 4; /* avail idx */
		uint64_t a = 0x6800; /* tx: one 100-byte frame */
		memcpy(ram + ring[1], &a, 8);
		uint32_t l = 100;
		memcpy(ram + ring[1] + 8, &l, 4);
		ram[ring[1] + 0x1000 + 2] = 1;
		char path[4096];
		snprintf(path, sizeof(path), "%s/seed%d", dir, k);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(in, 1, sizeof(in), f) != sizeof(in) || fclose(f) != 0) {
			perror(path);
			exit(1);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("MVRUN_NET_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
