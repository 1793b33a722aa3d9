/* The ring of the virtqueue tests (test_vq.c, test_vq_drain.c), laid out by
 * hand in a struct gmem as a guest driver would. Each test file has its own;
 * the suites' init, setup(), makes it 16 entries with INDIRECT. */
#ifndef MVM_TESTS_VQ_RING_H
#define MVM_TESTS_VQ_RING_H

#include <criterion/criterion.h>
#include <string.h>

#include "vmm/virtio/queue.h"

#define MEM (8ull << 20)
#define DESC 0x10000ull  /* up to 1024 descriptors */
#define AVAIL 0x20000ull
#define USED 0x30000ull
#define IND 0x40000ull   /* indirect tables */
#define IND2 0x50000ull
#define DATA 0x100000ull

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct gmem gm;
static struct vq q;
static struct vq_chain ch;
static uint16_t avail_idx;

static inline void ring_setup(uint16_t size, bool event_idx, bool indirect)
{
	struct err err = { 0 };
	gmem_fini(&gm); /* a test may start over with another ring */
	cr_assert_eq(gmem_init(&gm, MEM, &err), 0, "%s", err.msg);
	memset(&q, 0, sizeof(q));
	q.size = size;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	cr_assert_eq(vq_activate(&q, &gm, VQ_MAX_SIZE, event_idx, indirect), 0);
	avail_idx = 0;
}

static inline void setup(void)
{
	ring_setup(16, false, true);
}

static inline void teardown(void)
{
	gmem_fini(&gm);
}

static inline void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
			    uint16_t flags, uint16_t next)
{
	struct desc d = { addr, len, flags, next };
	cr_assert_eq(gmem_write(&gm, table + 16ull * i, &d, sizeof(d)), 0);
}

static inline void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	put_desc(DESC, i, addr, len, flags, next);
}

static inline void w16(uint64_t gpa, uint16_t v)
{
	cr_assert_eq(gmem_write(&gm, gpa, &v, 2), 0);
}

static inline uint16_t r16(uint64_t gpa)
{
	uint16_t v;
	cr_assert_eq(gmem_read(&gm, gpa, &v, 2), 0);
	return v;
}

static inline uint32_t r32(uint64_t gpa)
{
	uint32_t v;
	cr_assert_eq(gmem_read(&gm, gpa, &v, 4), 0);
	return v;
}

/* Make head available and publish the new avail->idx. */
static inline void post(uint16_t head)
{
	w16(AVAIL + 4 + 2ull * (avail_idx % q.size), head);
	avail_idx++;
	w16(AVAIL + 2, avail_idx);
}

static inline int pop1(uint16_t head)
{
	post(head);
	return vq_pop(&q, &ch);
}

static inline void *ram(uint64_t gpa)
{
	return gmem_ptr(&gm, gpa, 0);
}

#endif
