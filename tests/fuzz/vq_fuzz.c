/* libFuzzer target for the split-virtqueue walker (vmm/virtio/queue.c): the
 * guest writes the descriptor table, the avail ring and any indirect tables,
 * and may do so badly on purpose.
 *
 * An input is a 10-byte control block, then guest RAM:
 *   u16 size      queue size the driver writes (any value, power of two or not)
 *   u8  feat      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 device max 256
 *                 (else VQ_MAX_SIZE), bit 3 rings far above RAM
 *   u8  rounds    how many times the driver adds one more avail entry
 *   u16 desc, avail, used   ring addresses (little-endian, may be misaligned)
 *   ...           the first bytes of a 64 KiB guest RAM (the rest is zero)
 * The queue is activated; then up to 1 + rounds times vq_drain() serves
 * every available chain (each pop bounded by the walker's own caps, the
 * whole run by MAX_POPS), pushes it back and runs the notification logic,
 * and the driver bumps avail->idx by one. Every iovec a pop returns must lie inside guest
 * RAM, and the counts and byte totals must obey the documented caps.
 *
 *   make build/fuzz/vq_fuzz
 *   MVRUN_VQ_SEEDS=DIR build/fuzz/vq_fuzz   # writes seed inputs, exits
 *   tests/fuzz/run.sh build/fuzz/vq_fuzz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/virtio/queue.h"

#define RAM (64u << 10)
#define CTL 10
#define MAX_POPS 4096

static struct gmem gm;
static struct vq_chain ch;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "vq_fuzz: %s\n", what);
		abort();
	}
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void check_iovs(const struct iovec *iov, int n, uint32_t bytes)
{
	uint64_t sum = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *b = iov[i].iov_base;
		check(b >= gm.base && iov[i].iov_len <= RAM && (size_t)(b - gm.base) <= RAM - iov[i].iov_len,
		      "an iovec outside guest RAM");
		sum += iov[i].iov_len;
		if (iov[i].iov_len) { /* touch both ends: a stray pointer faults here */
			volatile uint8_t sink = b[0] ^ b[iov[i].iov_len - 1];
			(void)sink;
		}
	}
	check(sum == bytes, "byte count differs from the iovecs");
}

struct run {
	struct vq q;
	int pops;
};

/* Every chain a drain hands out must obey the walker's documented caps. */
static uint32_t serve(void *ctx, const struct vq_chain *c)
{
	const struct vq *q = &((struct run *)ctx)->q;
	check(c->head < q->size, "head beyond the queue");
	check(c->nout >= 0 && c->nout <= VQ_MAX_IOV && c->nin >= 0 && c->nin <= VQ_MAX_IOV &&
		      c->nout + c->nin >= 1,
	      "iovec count out of range");
	check((uint64_t)c->out_bytes + c->in_bytes <= VQ_MAX_CHAIN_BYTES, "chain over the byte cap");
	check_iovs(c->out, c->nout, c->out_bytes);
	check_iovs(c->in, c->nin, c->in_bytes);
	return c->in_bytes;
}

/* Rings may overlap, so the device's own pushes can rewrite avail->idx and
 * keep a drain going: past MAX_POPS a reset of the queue ends the run. */
static void pushed(void *ctx)
{
	struct run *r = ctx;
	vq_should_notify(&r->q);
	if (++r->pops == MAX_POPS)
		vq_reset(&r->q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CTL)
		return 0;
	memset(gm.base, 0, RAM);
	memcpy(gm.base, data + CTL, size - CTL > RAM ? RAM : size - CTL);
	uint8_t feat = data[2];
	uint64_t far = feat & 8 ? 1ull << 40 : 0;
	struct run r = { .q = { .size = le16(data), .desc_gpa = far + le16(data + 4),
				.avail_gpa = le16(data + 6), .used_gpa = le16(data + 8) } };
	struct vq *q = &r.q;
	uint16_t max = feat & 4 ? 256 : VQ_MAX_SIZE;
	if (vq_activate(q, &gm, max, feat & 1, feat & 2) < 0)
		return 0;
	check(q->size >= 1 && q->size <= max && !(q->size & (q->size - 1)), "bad size activated");

	static const struct vq_drain_ops ops = { serve, pushed };
	for (int round = 0; round <= data[3]; round++) {
		size_t n;
		if (vq_drain(q, &ch, &ops, &r, &n) < 0)
			return 0; /* the queue is dead until reset */
		/* The driver makes one more entry available. */
		uint16_t *idx = gmem_ptr(&gm, q->avail_gpa + 2, 2);
		__atomic_store_n(idx, (uint16_t)(__atomic_load_n(idx, __ATOMIC_RELAXED) + 1),
				 __ATOMIC_RELEASE);
	}
	return 0;
}

/* ---- seeds ---- */

struct seed {
	uint8_t b[CTL + 0x800];
	size_t n;
};

static void s_at(struct seed *s, uint32_t gpa, const void *p, size_t n)
{
	memcpy(s->b + CTL + gpa, p, n);
	if (CTL + gpa + n > s->n)
		s->n = CTL + gpa + n;
}

static void s_desc(struct seed *s, uint32_t table, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	s_at(s, table + 16u * i, d, 16);
}

/* size 16: desc 0x000, avail 0x100, used 0x140, indirect tables 0x200,
 * buffers from 0x400. */
static void s_ring(struct seed *s, uint8_t feat, uint8_t rounds, uint16_t navail)
{
	memset(s, 0, sizeof(*s));
	uint8_t ctl[CTL] = { 16, 0, feat, rounds, 0x00, 0, 0x00, 1, 0x40, 1 };
	memcpy(s->b, ctl, CTL);
	s->n = CTL;
	for (uint16_t i = 0; i < 16; i++)
		s_at(s, 0x104 + 2u * i, &i, 2);
	s_at(s, 0x102, &navail, 2);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void write_seeds(const char *dir)
{
	static struct seed s;
	mkdir(dir, 0755);

	s_ring(&s, 0, 3, 2); /* two chains: read+write, then one write */
	s_desc(&s, 0, 0, 0x400, 64, VIRTQ_DESC_F_NEXT, 1);
	s_desc(&s, 0, 1, 0x500, 128, VIRTQ_DESC_F_WRITE, 0);
	s_desc(&s, 0, 2, 0x600, 32, VIRTQ_DESC_F_WRITE, 0);
	s_at(&s, 0x106, (uint16_t[]){ 2 }, 2);
	write_seed(dir, "direct", &s);

	s_ring(&s, 3, 2, 1); /* EVENT_IDX + an indirect table of three */
	s_desc(&s, 0, 0, 0x200, 48, VIRTQ_DESC_F_INDIRECT, 0);
	s_desc(&s, 0x200, 0, 0x400, 16, VIRTQ_DESC_F_NEXT, 1);
	s_desc(&s, 0x200, 1, 0x480, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	s_desc(&s, 0x200, 2, 0x500, 700, VIRTQ_DESC_F_WRITE, 0);
	write_seed(dir, "indirect", &s);

	s_ring(&s, 2, 0, 1); /* a loop */
	s_desc(&s, 0, 0, 0x400, 8, VIRTQ_DESC_F_NEXT, 1);
	s_desc(&s, 0, 1, 0x400, 8, VIRTQ_DESC_F_NEXT, 0);
	write_seed(dir, "loop", &s);

	s_ring(&s, 1, 8, 4); /* a chain of all 16, reused */
	for (uint16_t i = 0; i < 16; i++)
		s_desc(&s, 0, i, 0x400 + 8u * i, 8, i < 15 ? VIRTQ_DESC_F_NEXT : 0,
		       (uint16_t)(i + 1));
	write_seed(dir, "long", &s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("MVRUN_VQ_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	struct err err = { 0 };
	if (gmem_init(&gm, RAM, &err) < 0) {
		fprintf(stderr, "vq_fuzz: %s\n", err.msg);
		exit(1);
	}
	return 0;
}
