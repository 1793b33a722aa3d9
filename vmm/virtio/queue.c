#include "vmm/virtio/queue.h"

#include <string.h>

/* Ring layouts, virtio 1.1 2.6.2 - 2.6.8. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

static uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

int vq_activate(struct vq *q, const struct gmem *gm, uint16_t max, bool event_idx, bool indirect)
{
	uint32_t n = q->size;
	if (n == 0 || n > max || (n & (n - 1)))
		return -1;
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return -1;
	q->desc = gmem_ptr(gm, q->desc_gpa, 16ULL * n);
	q->avail = gmem_ptr(gm, q->avail_gpa, 6ULL + 2ULL * n);
	q->used = gmem_ptr(gm, q->used_gpa, 6ULL + 8ULL * n);
	if (!q->desc || !q->avail || !q->used)
		return -1;
	q->gm = gm;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->last_avail = q->used_idx = q->signalled = 0;
	q->signalled_valid = false;
	return 0;
}

void vq_reset(struct vq *q)
{
	memset(q, 0, sizeof(*q));
}

static int add_buf(struct vq_chain *c, const struct vq *q, const struct vring_desc *d,
		   uint64_t *total)
{
	void *p = gmem_ptr(q->gm, d->addr, d->len);
	if (!p)
		return -1;
	*total += d->len;
	if (*total > VQ_MAX_CHAIN_BYTES)
		return -1;
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		if (c->nin == VQ_MAX_IOV)
			return -1;
		c->in[c->nin++] = (struct iovec){ p, d->len };
		c->in_bytes += d->len;
	} else {
		/* 2.6.4.2: readable descriptors come before writable ones. */
		if (c->nin || c->nout == VQ_MAX_IOV)
			return -1;
		c->out[c->nout++] = (struct iovec){ p, d->len };
		c->out_bytes += d->len;
	}
	return 0;
}

int vq_pop(struct vq *q, struct vq_chain *c)
{
	if (!q->desc)
		return -1;
	uint16_t avail_idx = ld16(q->avail + AVAIL_IDX);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return -1; /* the driver claims more entries than the ring holds */
	uint16_t head = ld16(q->avail + AVAIL_RING + 2u * (q->last_avail % q->size));
	if (head >= q->size)
		return -1;
	c->head = head;
	c->nout = c->nin = 0;
	c->out_bytes = c->in_bytes = 0;

	const uint8_t *table = q->desc;
	uint32_t table_n = q->size, i = head, steps = 0;
	bool in_indirect = false;
	uint64_t total = 0;
	for (;;) {
		struct vring_desc d;
		memcpy(&d, table + 16ULL * i, sizeof(d)); /* one snapshot per descriptor */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.6.5.3.1: not nested, not with NEXT, a whole number of entries. */
			if (!q->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT) ||
			    d.len == 0 || d.len % 16 || d.len / 16 > VQ_MAX_SIZE)
				return -1;
			table = gmem_ptr(q->gm, d.addr, d.len);
			if (!table)
				return -1;
			table_n = d.len / 16;
			in_indirect = true;
			i = 0;
			steps = 0;
			continue;
		}
		if (add_buf(c, q, &d, &total) < 0)
			return -1;
		/* A chain longer than its table must loop. */
		if (++steps > table_n)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= table_n)
			return -1;
	}
	q->last_avail++;
	return 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	uint8_t *e = q->used + USED_RING + 8u * (q->used_idx % q->size);
	uint32_t id = head;
	memcpy(e, &id, 4);
	memcpy(e + 4, &written, 4);
	q->used_idx++;
	st16(q->used + USED_IDX, q->used_idx); /* release: the entry is visible first */
}

bool vq_should_notify(struct vq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used->idx before reading used_event */
	if (!q->event_idx)
		return !(ld16(q->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t old = q->signalled, now = q->used_idx;
	bool valid = q->signalled_valid;
	q->signalled = now;
	q->signalled_valid = true;
	if (!valid)
		return true;
	uint16_t used_event = ld16(q->avail + AVAIL_RING + 2u * q->size);
	/* vring_need_event(), 2.6.7.2 */
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

bool vq_rearm(struct vq *q)
{
	if (!q->desc)
		return false;
	if (q->event_idx)
		st16(q->used + USED_RING + 8u * q->size, q->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16(q->avail + AVAIL_IDX) != q->last_avail;
}

int vq_drain(struct vq *q, struct vq_chain *c, const struct vq_drain_ops *ops, void *ctx,
	     size_t *pushed)
{
	*pushed = 0;
	do {
		int r;
		while ((r = vq_pop(q, c)) == 1) {
			vq_push(q, c->head, ops->serve(ctx, c));
			++*pushed;
			if (ops->pushed)
				ops->pushed(ctx);
		}
		if (r < 0)
			return -1;
	} while (vq_rearm(q));
	return 0;
}

/* Copy between an iovec array (from byte `off`) and a flat buffer. */
static size_t iov_copy(const struct iovec *iov, int n, size_t off, uint8_t *buf, size_t len,
		       bool into_iov)
{
	size_t done = 0;
	for (int i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off;
		if (k > len - done)
			k = len - done;
		uint8_t *p = (uint8_t *)iov[i].iov_base + off;
		if (into_iov)
			memcpy(p, buf + done, k);
		else
			memcpy(buf + done, p, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, int n, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, int n, size_t off, const void *buf, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)buf, len, true);
}
