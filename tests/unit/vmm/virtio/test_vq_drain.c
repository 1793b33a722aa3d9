/* vq_drain: the loop every device runs on a kick (serve, push, rearm),
 * against well-formed rings and a guest that races or lies. */
#include "tests/unit/vmm/virtio/vq_ring.h"

TestSuite(vq_drain, .init = setup, .fini = teardown, .timeout = 10);

/* A device model that records what it was given and, like a guest racing
 * the device, may post more chains while one is being served. */
struct rec {
	int served;
	uint16_t heads[64];
	uint16_t used_at_push[64]; /* used->idx each time `pushed` ran */
	int npushed;
	int post_more;             /* chains to post from inside serve() */
	uint16_t post_head;
	void (*at_second)(void);   /* the guest's move while the second chain is served */
};

static uint32_t rec_serve(void *ctx, const struct vq_chain *c)
{
	struct rec *r = ctx;
	cr_assert_lt(r->served, 64);
	r->heads[r->served++] = c->head;
	if (r->served == 2 && r->at_second)
		r->at_second();
	if (r->post_more > 0) {
		r->post_more--;
		post(r->post_head);
	}
	return 100u + c->head; /* bytes "written" */
}

static void rec_pushed(void *ctx)
{
	struct rec *r = ctx;
	r->used_at_push[r->npushed++] = r16(USED + 2);
}

static const struct vq_drain_ops rec_ops = { rec_serve, rec_pushed };
static const struct vq_drain_ops rec_ops_batched = { rec_serve, NULL };

/* Three one-buffer chains at heads 0..2, posted. */
static void post_three(void)
{
	for (uint16_t i = 0; i < 3; i++) {
		set_desc(i, DATA + 0x100ull * i, 8, VIRTQ_DESC_F_WRITE, 0);
		post(i);
	}
}

Test(vq_drain, of_an_empty_ring_serves_nothing)
{
	struct rec r = { 0 };
	size_t n = 99;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(r.served, 0);
	cr_assert_eq(r16(USED + 2), 0);
}

Test(vq_drain, serves_each_chain_in_order_and_pushes_what_it_wrote)
{
	post_three();
	struct rec r = { 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(r.served, 3);
	for (uint16_t i = 0; i < 3; i++) {
		cr_assert_eq(r.heads[i], i);
		cr_assert_eq(r32(USED + 4 + 8ull * i), i, "used id %u", i);
		cr_assert_eq(r32(USED + 8 + 8ull * i), 100u + i, "used len %u", i);
		cr_assert_eq(r.used_at_push[i], i + 1, "pushed runs right after each push");
	}
	cr_assert_eq(r16(USED + 2), 3);
	cr_assert_eq(vq_pop(&q, &ch), 0, "nothing left behind");
}

Test(vq_drain, without_a_pushed_callback_still_pushes)
{
	post_three();
	struct rec r = { 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops_batched, &r, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(r.npushed, 0);
	cr_assert_eq(r16(USED + 2), 3);
}

Test(vq_drain, takes_chains_the_guest_adds_while_it_serves)
{
	ring_setup(16, true, false);
	uint64_t avail_event = USED + 4 + 8ull * 16;
	set_desc(0, DATA, 8, 0, 0);
	post(0);
	/* Each serve posts one more: 40 chains through a 16-entry ring, the
	 * later ones seen only by the rearm after the ring looked empty. */
	struct rec r = { .post_more = 39, .post_head = 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), 0);
	cr_assert_eq(n, 40);
	cr_assert_eq(r16(USED + 2), 40);
	cr_assert_eq(r16(avail_event), 40, "rearmed: kick me at the next entry");
	cr_assert_not(vq_rearm(&q));
}

Test(vq_drain, rearms_with_event_idx)
{
	ring_setup(16, true, false);
	uint64_t avail_event = USED + 4 + 8ull * 16;
	w16(avail_event, 0xbeef);
	post_three();
	struct rec r = { 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), 0);
	cr_assert_eq(r16(avail_event), 3);
}

/* ---- vq_drain against a hostile guest ---- */

/* Two good chains; while the second is served the guest does `bad` (a
 * bad entry at head 2 or a bad avail->idx): the good ones are served and
 * pushed, the drain stops at the bad one and reports it. */
static void drain_stops_at(void (*bad)(void))
{
	for (uint16_t i = 0; i < 2; i++) {
		set_desc(i, DATA + 0x100ull * i, 8, 0, 0);
		post(i);
	}
	struct rec r = { .at_second = bad };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), -1);
	cr_assert_eq(n, 2, "the chains before the bad one stay pushed");
	cr_assert_eq(r.served, 2);
	cr_assert_eq(r.npushed, 2);
	cr_assert_eq(r16(USED + 2), 2);
	/* The queue stays dead: a second kick finds the same bad entry and
	 * serves nothing. */
	struct rec again = { 0 };
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &again, &n), -1);
	cr_assert_eq(n, 0);
	cr_assert_eq(again.served, 0);
	cr_assert_eq(r16(USED + 2), 2);
}

static void bad_head(void)
{
	post(16);
}

static void bad_avail_idx(void)
{
	w16(AVAIL + 2, (uint16_t)(avail_idx + 30)); /* 32 pending on a 16-entry ring */
}

static void bad_avail_idx_backwards(void)
{
	w16(AVAIL + 2, 1); /* behind last_avail (2): 65535 pending */
}

static void bad_loop(void)
{
	set_desc(2, DATA, 1, VIRTQ_DESC_F_NEXT, 3);
	set_desc(3, DATA, 1, VIRTQ_DESC_F_NEXT, 2);
	post(2);
}

static void bad_chain_longer_than_the_queue(void)
{
	/* 2..15 and round again: the walk passes 16 steps without an end. */
	for (uint16_t i = 2; i < 16; i++)
		set_desc(i, DATA + i, 1, VIRTQ_DESC_F_NEXT, i < 15 ? (uint16_t)(i + 1) : 2);
	post(2);
}

static void bad_next(void)
{
	set_desc(2, DATA, 1, VIRTQ_DESC_F_NEXT, 0xffff);
	post(2);
}

static void bad_buffer(void)
{
	set_desc(2, MEM - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	post(2);
}

Test(vq_drain, stops_at_a_head_out_of_range)
{
	drain_stops_at(bad_head);
}

Test(vq_drain, stops_at_an_avail_idx_too_far_ahead)
{
	/* Checked before any chain: nothing is served. */
	set_desc(0, DATA, 8, 0, 0);
	w16(AVAIL + 2, 17);
	struct rec r = { 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), -1);
	cr_assert_eq(n, 0);
	cr_assert_eq(r.served, 0);
	cr_assert_eq(r16(USED + 2), 0);
}

Test(vq_drain, stops_when_avail_idx_jumps_while_it_serves)
{
	drain_stops_at(bad_avail_idx);
}

Test(vq_drain, stops_when_avail_idx_goes_backwards)
{
	drain_stops_at(bad_avail_idx_backwards);
}

Test(vq_drain, stops_at_a_descriptor_loop)
{
	drain_stops_at(bad_loop);
}

Test(vq_drain, stops_at_a_chain_longer_than_the_queue)
{
	drain_stops_at(bad_chain_longer_than_the_queue);
}

Test(vq_drain, stops_at_a_next_out_of_range)
{
	drain_stops_at(bad_next);
}

Test(vq_drain, stops_at_a_buffer_outside_ram)
{
	drain_stops_at(bad_buffer);
}

Test(vq_drain, of_a_reset_queue_fails_without_serving)
{
	vq_reset(&q);
	struct rec r = { 0 };
	size_t n;
	cr_assert_eq(vq_drain(&q, &ch, &rec_ops, &r, &n), -1);
	cr_assert_eq(r.served, 0);
}
