/* A fake virtio-vsock driver for unit tests: guest RAM in a struct gmem,
 * split rings laid out by hand, the transport driven through bus_access()
 * like a guest's MMIO, and the event loop pumped on the test's thread. No
 * KVM: kicks land on the transport's eventfds. */
#ifndef MVM_TESTS_VSOCK_GUEST_H
#define MVM_TESTS_VSOCK_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/bus.h"
#include "vmm/core/evloop.h"
#include "vmm/core/gmem.h"
#include "vmm/virtio/vsock/vsock.h"

#define G_CID 3
#define G_BASE 0xd0000000ULL
#define G_QSIZE 256
#define G_NRX (G_QSIZE / 2)   /* rx buffers: a 44-byte header + 4 KiB, as Linux posts */
#define G_RXBUF 4096

struct guest {
	struct gmem gm;
	struct bus bus;
	struct evloop loop;
	struct vsock v;
	uint16_t avail[3];     /* our avail->idx per queue */
	uint16_t used_seen[3]; /* used entries consumed */
	uint32_t ntx;          /* tx packets sent (picks the descriptor slot) */
	bool rx_posted[G_NRX];
	bool threaded;         /* the loop runs on another thread: kicks do not pump */
};

/* One received packet. */
struct gpkt {
	struct vsock_pkt h;
	uint8_t data[G_RXBUF];
};

/* Map RAM, make the loop and bus, vsock_init() and attach, and bring the
 * driver up to DRIVER_OK with all three queues. */
void g_setup(struct guest *g, const char *uds, vsock_accept_fn accept, void *opaque);
void g_teardown(struct guest *g);

/* Reset the device (status 0) and bring the driver up again, with fresh
 * rings and no rx buffers posted. */
void g_driver_init(struct guest *g);

/* MMIO register access at offset off of the device window. */
uint32_t g_r32(struct guest *g, uint64_t off);
void g_w32(struct guest *g, uint64_t off, uint32_t v);

/* Run every ready handler of the loop until none is ready (nothing when
 * g->threaded: the loop's own thread does that). */
void g_pump(struct guest *g);

/* Post n more rx buffers and kick the rx queue (then pump). n = 0: kick
 * only, e.g. after g_recv() re-posted buffers. */
void g_post_rx(struct guest *g, int n);

/* Send a tx chain made of nseg device-readable buffers (one descriptor
 * each), kick, pump. */
void g_send_segs(struct guest *g, const void *const *seg, const uint32_t *len, int nseg);

/* Send a packet from (G_CID, sport) to (2, dport); the header is split
 * over two descriptors, the payload in a third. */
void g_send(struct guest *g, uint16_t op, uint32_t sport, uint32_t dport, uint32_t flags,
	    uint32_t buf_alloc, uint32_t fwd_cnt, const void *data, uint32_t len);

/* Encode a header the way a guest does (independently of vsock_pkt.c). */
void g_hdr(uint8_t out[44], const struct vsock_pkt *p);

/* Take the next used rx buffer: 1 with *p filled (the buffer is posted
 * again, without a kick), 0 if none. */
int g_recv(struct guest *g, struct gpkt *p);

/* Count used rx buffers not yet taken. */
int g_rx_pending(struct guest *g);

/* Whether the device reports NEEDS_RESET. */
bool g_broken(struct guest *g);

#endif
