/* queue: the split-virtqueue walker against well-formed and hostile rings.
 * Rings are laid out by hand in a struct gmem, as a guest driver would. */
#include "tests/unit/vmm/virtio/vq_ring.h"

TestSuite(vq, .init = setup, .fini = teardown, .timeout = 10);

/* ---- well-formed chains ---- */

Test(vq, empty_ring_gives_nothing)
{
	cr_assert_eq(vq_pop(&q, &ch), 0);
	cr_assert_not(vq_rearm(&q));
}

Test(vq, readable_then_writable_chain_maps_into_guest_ram)
{
	set_desc(3, DATA, 16, VIRTQ_DESC_F_NEXT, 7);
	set_desc(7, DATA + 0x1000, 100, VIRTQ_DESC_F_NEXT, 0);
	set_desc(0, DATA + 0x2000, 4096, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 15);
	set_desc(15, DATA + 0x5001, 1, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(3), 1);
	cr_assert_eq(ch.head, 3);
	cr_assert_eq(ch.nout, 2);
	cr_assert_eq(ch.nin, 2);
	cr_assert_eq(ch.out[0].iov_base, ram(DATA));
	cr_assert_eq(ch.out[0].iov_len, 16);
	cr_assert_eq(ch.out[1].iov_base, ram(DATA + 0x1000));
	cr_assert_eq(ch.out[1].iov_len, 100);
	cr_assert_eq(ch.in[0].iov_base, ram(DATA + 0x2000));
	cr_assert_eq(ch.in[0].iov_len, 4096);
	cr_assert_eq(ch.in[1].iov_base, ram(DATA + 0x5001));
	cr_assert_eq(ch.in[1].iov_len, 1);
	cr_assert_eq(ch.out_bytes, 116);
	cr_assert_eq(ch.in_bytes, 4097);
	cr_assert_eq(vq_pop(&q, &ch), 0, "one chain was posted");
}

Test(vq, chains_come_out_in_avail_order_across_the_index_wrap)
{
	ring_setup(4, false, false); /* a fresh, smaller ring */
	for (uint16_t i = 0; i < 4; i++)
		set_desc(i, DATA + 0x100ull * i, 8 + i, 0, 0);
	for (uint32_t n = 0; n < 70000; n++) { /* avail->idx passes 65535 */
		uint16_t head = (uint16_t)((n * 3) % 4);
		cr_assert_eq(pop1(head), 1, "chain %u", n);
		cr_assert_eq(ch.head, head);
		cr_assert_eq(ch.out_bytes, 8u + head);
		vq_push(&q, head, 0);
	}
	cr_assert_eq(vq_pop(&q, &ch), 0);
	cr_assert_eq(r16(USED + 2), (uint16_t)70000, "used->idx wraps the same way");
}

Test(vq, a_full_ring_is_fine)
{
	for (uint16_t i = 0; i < 16; i++) {
		set_desc(i, DATA, 1, 0, 0);
		post(i);
	}
	for (uint16_t i = 0; i < 16; i++) {
		cr_assert_eq(vq_pop(&q, &ch), 1, "entry %u", i);
		cr_assert_eq(ch.head, i);
	}
	cr_assert_eq(vq_pop(&q, &ch), 0);
}

Test(vq, chain_as_long_as_the_queue_is_fine)
{
	for (uint16_t i = 0; i < 16; i++)
		set_desc(i, DATA + i, 1, i < 15 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(ch.nout, 16);
}

Test(vq, last_bytes_of_ram_are_usable)
{
	set_desc(0, MEM - 16, 16, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(ch.in[0].iov_base, ram(MEM - 16));
}

/* ---- hostile avail rings ---- */

Test(vq, avail_idx_more_than_size_ahead_is_rejected)
{
	set_desc(0, DATA, 1, 0, 0);
	w16(AVAIL + 2, 17);
	cr_assert_eq(vq_pop(&q, &ch), -1);
}

Test(vq, avail_idx_behind_us_is_rejected)
{
	set_desc(0, DATA, 1, 0, 0);
	cr_assert_eq(pop1(0), 1);
	w16(AVAIL + 2, 0); /* the driver "takes back" an entry: 65535 pending */
	cr_assert_eq(vq_pop(&q, &ch), -1);
}

Test(vq, head_out_of_range_is_rejected)
{
	cr_assert_eq(pop1(16), -1);
}

Test(vq, head_far_out_of_range_is_rejected)
{
	cr_assert_eq(pop1(0xffff), -1);
}

/* ---- hostile descriptors ---- */

Test(vq, buffer_outside_ram_is_rejected)
{
	set_desc(0, MEM, 1, 0, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, buffer_straddling_the_end_of_ram_is_rejected)
{
	set_desc(0, MEM - 8, 16, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, buffer_far_above_ram_is_rejected)
{
	set_desc(0, 1ull << 40, 4096, 0, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, address_plus_length_overflow_is_rejected)
{
	set_desc(0, UINT64_MAX, 1, 0, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, address_plus_length_wrapping_to_low_ram_is_rejected)
{
	set_desc(0, UINT64_MAX - 0xf, 0x1000, 0, 0); /* ends at 0xff0 after the wrap */
	cr_assert_eq(pop1(0), -1);
}

Test(vq, length_beyond_ram_is_rejected)
{
	set_desc(0, DATA, UINT32_MAX, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, good_buffer_then_bad_one_rejects_the_chain)
{
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, MEM - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, descriptor_loop_is_rejected)
{
	set_desc(0, DATA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 1, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, DATA, 1, VIRTQ_DESC_F_NEXT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, descriptor_pointing_at_itself_is_rejected)
{
	set_desc(5, DATA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	cr_assert_eq(pop1(5), -1);
}

Test(vq, chain_longer_than_the_queue_is_rejected)
{
	/* 16 distinct descriptors, then back to the middle: 17 steps or more. */
	for (uint16_t i = 0; i < 16; i++)
		set_desc(i, DATA + i, 1, VIRTQ_DESC_F_NEXT, i < 15 ? (uint16_t)(i + 1) : 8);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, next_out_of_range_is_rejected)
{
	set_desc(0, DATA, 1, VIRTQ_DESC_F_NEXT, 16);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, readable_after_writable_is_rejected)
{
	set_desc(0, DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 8, 0, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, chain_of_exactly_the_byte_cap_is_fine_and_one_more_byte_is_not)
{
	ring_setup(32, false, false);
	/* The same 4 MiB, 16 times: 64 MiB described. */
	for (uint16_t i = 0; i < 16; i++)
		set_desc(i, 0, 4u << 20, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	set_desc(16, 0, 0, 0, 0);
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(ch.out_bytes, VQ_MAX_CHAIN_BYTES);
	set_desc(16, 0, 1, 0, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, writable_buffers_count_towards_the_byte_cap_too)
{
	ring_setup(32, false, false);
	for (uint16_t i = 0; i < 17; i++)
		set_desc(i, 0, 4u << 20, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	set_desc(17, 0, 4u << 20, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), -1);
}

/* ---- indirect tables ---- */

Test(vq, indirect_table_is_walked)
{
	put_desc(IND, 0, DATA, 10, VIRTQ_DESC_F_NEXT, 2);
	put_desc(IND, 2, DATA + 0x100, 20, VIRTQ_DESC_F_NEXT, 1);
	put_desc(IND, 1, DATA + 0x200, 30, VIRTQ_DESC_F_WRITE, 0);
	set_desc(4, IND, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(4), 1);
	cr_assert_eq(ch.head, 4, "the head is the ring's descriptor, not the table's");
	cr_assert_eq(ch.nout, 2);
	cr_assert_eq(ch.nin, 1);
	cr_assert_eq(ch.out[0].iov_base, ram(DATA));
	cr_assert_eq(ch.out[1].iov_base, ram(DATA + 0x100));
	cr_assert_eq(ch.in[0].iov_base, ram(DATA + 0x200));
	cr_assert_eq(ch.in[0].iov_len, 30);
}

Test(vq, indirect_descriptor_write_flag_is_ignored)
{
	/* 2.6.5.3.2: the device ignores WRITE on the descriptor of a table. */
	put_desc(IND, 0, DATA, 10, 0, 0);
	set_desc(0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(ch.nout, 1);
}

Test(vq, indirect_table_of_the_largest_size_is_fine)
{
	/* 512 readable then 512 writable: VQ_MAX_IOV each way. */
	for (uint16_t i = 0; i < 1024; i++)
		put_desc(IND, i, DATA + i, 1, (i >= 512 ? VIRTQ_DESC_F_WRITE : 0) |
			 (i < 1023 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	set_desc(0, IND, 1024 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(ch.nout, VQ_MAX_IOV);
	cr_assert_eq(ch.nin, VQ_MAX_IOV);
}

Test(vq, more_than_max_iov_readable_buffers_is_rejected)
{
	for (uint16_t i = 0; i <= VQ_MAX_IOV; i++)
		put_desc(IND, i, DATA, 1, i < VQ_MAX_IOV ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	set_desc(0, IND, (VQ_MAX_IOV + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, more_than_max_iov_writable_buffers_is_rejected)
{
	for (uint16_t i = 0; i <= VQ_MAX_IOV; i++)
		put_desc(IND, i, DATA, 1,
			 VIRTQ_DESC_F_WRITE | (i < VQ_MAX_IOV ? VIRTQ_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	set_desc(0, IND, (VQ_MAX_IOV + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, indirect_table_larger_than_a_queue_is_rejected)
{
	set_desc(0, IND, (VQ_MAX_SIZE + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, indirect_in_indirect_is_rejected)
{
	put_desc(IND2, 0, DATA, 8, 0, 0);
	put_desc(IND, 0, IND2, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, indirect_with_next_is_rejected)
{
	put_desc(IND, 0, DATA, 8, 0, 0);
	set_desc(0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, indirect_without_the_feature_is_rejected)
{
	ring_setup(16, false, false);
	put_desc(IND, 0, DATA, 8, 0, 0);
	set_desc(0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, indirect_table_length_not_a_multiple_of_16_is_rejected)
{
	const uint32_t lens[] = { 0, 8, 17, 31 };
	for (int i = 0; i < 4; i++) {
		ring_setup(16, false, true); /* a fresh queue each time */
		put_desc(IND, 0, DATA, 8, 0, 0);
		put_desc(IND, 1, DATA, 8, 0, 0);
		set_desc(0, IND, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
		cr_assert_eq(pop1(0), -1, "table of %u bytes", lens[i]);
	}
}

Test(vq, indirect_table_outside_ram_is_rejected)
{
	set_desc(0, MEM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1, "straddling the end");
	ring_setup(16, false, true);
	set_desc(0, UINT64_MAX - 15, 32, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1, "wrapping");
}

Test(vq, loop_inside_an_indirect_table_is_rejected)
{
	put_desc(IND, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(IND, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(0, IND, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, next_beyond_the_indirect_table_is_rejected)
{
	/* Entry 2 exists in memory but not in the 2-entry table. */
	put_desc(IND, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
	put_desc(IND, 2, DATA, 8, 0, 0);
	set_desc(0, IND, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

Test(vq, readable_after_writable_in_an_indirect_table_is_rejected)
{
	put_desc(IND, 0, DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(IND, 1, DATA, 8, 0, 0);
	set_desc(0, IND, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop1(0), -1);
}

/* ---- used ring and notifications ---- */

Test(vq, push_writes_the_used_element_and_index)
{
	ring_setup(4, false, false);
	for (uint16_t n = 0; n < 6; n++) {
		vq_push(&q, (uint16_t)(3 - n % 4), 1000u + n);
		uint64_t e = USED + 4 + 8ull * (n % 4);
		cr_assert_eq(r32(e), 3u - n % 4, "id of element %u", n);
		cr_assert_eq(r32(e + 4), 1000u + n, "len of element %u", n);
		cr_assert_eq(r16(USED + 2), n + 1);
	}
}

Test(vq, without_event_idx_notify_follows_no_interrupt)
{
	vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q));
	w16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq_push(&q, 0, 0);
	cr_assert_not(vq_should_notify(&q));
	w16(AVAIL, 0);
	cr_assert(vq_should_notify(&q));
}

static void set_used_event(uint16_t v)
{
	w16(AVAIL + 4 + 2ull * q.size, v);
}

Test(vq, with_event_idx_notify_when_used_event_is_crossed)
{
	ring_setup(16, true, false);
	vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q), "the first notification always goes out");
	/* signalled = 1 now. Push two: used_idx = 3. */
	vq_push(&q, 1, 0);
	vq_push(&q, 2, 0);
	set_used_event(5);
	cr_assert_not(vq_should_notify(&q), "the driver wants to hear at 6");
	/* signalled = 3. Two more: 5; crossing used_event 4 (the driver waits for
	 * entry index 4 to be used, i.e. used->idx to pass 4). */
	vq_push(&q, 3, 0);
	vq_push(&q, 4, 0);
	set_used_event(4);
	cr_assert(vq_should_notify(&q));
	/* signalled = 5. One more: 6; used_event 5 is exactly crossed. */
	vq_push(&q, 5, 0);
	set_used_event(5);
	cr_assert(vq_should_notify(&q));
	/* signalled = 6. One more: 7, and the driver waits for 7 to pass. */
	vq_push(&q, 6, 0);
	set_used_event(7);
	cr_assert_not(vq_should_notify(&q));
	vq_push(&q, 7, 0);
	cr_assert(vq_should_notify(&q), "used_event 7 now crossed (8 > 7)");
}

Test(vq, with_event_idx_an_old_used_event_suppresses)
{
	ring_setup(16, true, false);
	vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q));
	set_used_event(0); /* already notified for it */
	vq_push(&q, 0, 0);
	cr_assert_not(vq_should_notify(&q));
}

Test(vq, with_event_idx_notify_across_the_index_wrap)
{
	ring_setup(4, true, false);
	for (uint32_t n = 0; n < 65534; n++)
		vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q)); /* signalled = 65534 */
	vq_push(&q, 0, 0);
	vq_push(&q, 0, 0);
	vq_push(&q, 0, 0); /* used_idx = 1 after the wrap */
	set_used_event(65535);
	cr_assert(vq_should_notify(&q), "65535 lies in [65534, 1)");
	vq_push(&q, 0, 0);
	set_used_event(2);
	cr_assert_not(vq_should_notify(&q));
}

Test(vq, with_event_idx_the_no_interrupt_flag_is_ignored)
{
	/* 2.6.7.2: with EVENT_IDX the device ignores the avail flags. */
	ring_setup(16, true, false);
	w16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q));
	set_used_event(1);
	vq_push(&q, 0, 0);
	cr_assert(vq_should_notify(&q));
}

Test(vq, rearm_writes_avail_event_and_reports_pending_work)
{
	ring_setup(16, true, false);
	uint64_t avail_event = USED + 4 + 8ull * 16;
	w16(avail_event, 0xbeef);
	set_desc(0, DATA, 1, 0, 0);
	cr_assert_eq(pop1(0), 1);
	cr_assert_eq(pop1(0), 1);
	cr_assert_not(vq_rearm(&q), "nothing pending");
	cr_assert_eq(r16(avail_event), 2, "kick me when you add entry 2");
	post(0);
	cr_assert(vq_rearm(&q), "a chain arrived meanwhile");
	cr_assert_eq(vq_pop(&q, &ch), 1);
	cr_assert_not(vq_rearm(&q));
	cr_assert_eq(r16(avail_event), 3);
}

Test(vq, rearm_without_event_idx_leaves_the_used_ring_alone)
{
	uint64_t avail_event = USED + 4 + 8ull * 16;
	w16(avail_event, 0xbeef);
	set_desc(0, DATA, 1, 0, 0);
	post(0);
	cr_assert(vq_rearm(&q));
	cr_assert_eq(r16(avail_event), 0xbeef);
	cr_assert_eq(vq_pop(&q, &ch), 1);
	cr_assert_not(vq_rearm(&q));
}

Test(vq, reset_queue_is_not_usable)
{
	vq_reset(&q);
	cr_assert_eq(vq_pop(&q, &ch), -1);
	cr_assert_not(vq_rearm(&q));
}

/* ---- activation ---- */

static int activate(uint16_t size, uint16_t max, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vq t = { .size = size, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };
	return vq_activate(&t, &gm, max, true, true);
}

Test(vq, activate_takes_power_of_two_sizes_up_to_max)
{
	const uint16_t good[] = { 1, 2, 64, 256 };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(activate(good[i], 256, DESC, AVAIL, USED), 0, "size %u", good[i]);
	const uint16_t bad[] = { 0, 3, 6, 100, 255, 257, 512, 0x8000 };
	for (int i = 0; i < 8; i++)
		cr_assert_eq(activate(bad[i], 256, DESC, AVAIL, USED), -1, "size %u", bad[i]);
}

Test(vq, activate_checks_ring_alignment)
{
	cr_assert_eq(activate(16, 256, DESC + 8, AVAIL, USED), -1, "desc: 16 bytes");
	cr_assert_eq(activate(16, 256, DESC, AVAIL + 1, USED), -1, "avail: 2 bytes");
	cr_assert_eq(activate(16, 256, DESC, AVAIL, USED + 2), -1, "used: 4 bytes");
	cr_assert_eq(activate(16, 256, DESC + 16, AVAIL + 2, USED + 4), 0);
}

Test(vq, activate_wants_whole_rings_inside_ram)
{
	/* desc 16n, avail 6 + 2n (with used_event), used 6 + 8n (with avail_event) */
	cr_assert_eq(activate(16, 256, MEM - 256, AVAIL, USED), 0);
	cr_assert_eq(activate(16, 256, MEM - 240, AVAIL, USED), -1);
	cr_assert_eq(activate(16, 256, DESC, MEM - 38, USED), 0);
	cr_assert_eq(activate(16, 256, DESC, MEM - 36, USED), -1, "used_event past the end");
	cr_assert_eq(activate(16, 256, DESC, AVAIL, MEM - 136), 0);
	cr_assert_eq(activate(16, 256, DESC, AVAIL, MEM - 132), -1, "avail_event past the end");
	cr_assert_eq(activate(16, 256, 1ull << 40, AVAIL, USED), -1);
	cr_assert_eq(activate(16, 256, DESC, UINT64_MAX - 1, USED), -1);
	cr_assert_eq(activate(16, 256, DESC, AVAIL, UINT64_MAX - 3), -1);
}

/* ---- iovec copies ---- */

Test(vq, iov_copies_cross_buffers_from_an_offset)
{
	char a[4] = "abcd", b[3] = "efg", c[5] = "hijkl", out[16];
	struct iovec iov[4] = { { a, 4 }, { NULL, 0 }, { b, 3 }, { c, 5 } };
	memset(out, 0, sizeof(out));
	cr_assert_eq(iov_to_buf(iov, 4, 2, out, 7), 7);
	cr_assert_eq(memcmp(out, "cdefghi", 7), 0);
	cr_assert_eq(iov_to_buf(iov, 4, 5, out, 100), 7, "only what is there");
	cr_assert_eq(memcmp(out, "fghijkl", 7), 0);
	cr_assert_eq(iov_to_buf(iov, 4, 12, out, 4), 0, "offset at the end");
	cr_assert_eq(iov_to_buf(iov, 4, 100, out, 4), 0, "offset beyond the end");
	cr_assert_eq(iov_to_buf(iov, 4, 0, out, 0), 0);

	cr_assert_eq(iov_from_buf(iov, 4, 3, "XYZW", 4), 4);
	cr_assert_eq(memcmp(a, "abcX", 4), 0);
	cr_assert_eq(memcmp(b, "YZW", 3), 0);
	cr_assert_eq(memcmp(c, "hijkl", 5), 0, "untouched after len");
	cr_assert_eq(iov_from_buf(iov, 4, 10, "1234", 4), 2, "only what fits");
	cr_assert_eq(memcmp(c, "hij12", 5), 0);
	cr_assert_eq(iov_from_buf(iov, 4, 12, "1", 1), 0);
}
