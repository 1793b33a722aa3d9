/* vsock_pkt: the decoder of guest tx headers and the CONNECT line. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/vmm/virtio/vsock/test_vsock_guest.h"
#include "vmm/virtio/vsock/vsock_pkt.h"

static struct vsock_pkt good(void)
{
	return (struct vsock_pkt){ .src_cid = 3, .dst_cid = 2, .src_port = 1234,
				   .dst_port = 52, .type = 1, .op = VIRTIO_VSOCK_OP_REQUEST,
				   .buf_alloc = 65536, .fwd_cnt = 7 };
}

/* Parse hdr+payload laid out in one buffer, cut at the given offsets. */
static enum vsock_verdict parse_cut(const struct vsock_pkt *in, uint32_t avail, const int *cuts,
				    int ncut, struct vsock_pkt *out)
{
	static uint8_t buf[44 + 70000];
	g_hdr(buf, in);
	memset(buf + 44, 'x', sizeof(buf) - 44);
	struct iovec iov[16];
	int n = 0, at = 0;
	for (int i = 0; i <= ncut; i++) {
		int end = i < ncut ? cuts[i] : (int)avail;
		iov[n++] = (struct iovec){ buf + at, (size_t)(end - at) };
		at = end;
	}
	return vsock_pkt_parse(iov, n, avail, 3, out);
}

static enum vsock_verdict parse(const struct vsock_pkt *in, uint32_t avail, struct vsock_pkt *out)
{
	return parse_cut(in, avail, NULL, 0, out);
}

TestSuite(vsock_pkt);

Test(vsock_pkt, decodes_every_field)
{
	struct vsock_pkt in = good(), out;
	in.flags = 0x12345678;
	in.op = VIRTIO_VSOCK_OP_SHUTDOWN;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_OK);
	cr_assert_eq(memcmp(&in, &out, sizeof(in)), 0);
}

Test(vsock_pkt, header_split_anywhere_is_legal)
{
	struct vsock_pkt in = good(), out;
	in.op = VIRTIO_VSOCK_OP_RW;
	in.len = 100;
	int cuts1[] = { 1, 2, 20, 43, 44, 45 };
	cr_assert_eq(parse_cut(&in, 144, cuts1, 6, &out), VSOCK_PKT_OK);
	cr_assert_eq(out.len, 100);
	cr_assert_eq(out.fwd_cnt, 7);
	int cuts2[] = { 0, 0, 44 }; /* empty descriptors too */
	cr_assert_eq(parse_cut(&in, 144, cuts2, 3, &out), VSOCK_PKT_OK);
	cr_assert_eq(out.src_port, 1234);
}

Test(vsock_pkt, chain_shorter_than_header_is_dropped)
{
	struct vsock_pkt in = good(), out;
	for (uint32_t n = 0; n < 44; n++)
		cr_assert_eq(parse(&in, n, &out), VSOCK_PKT_DROP, "%u bytes", n);
	/* out_bytes claiming more than the iovecs hold */
	uint8_t h[44];
	g_hdr(h, &in);
	struct iovec iov = { h, 20 };
	cr_assert_eq(vsock_pkt_parse(&iov, 1, 44, 3, &out), VSOCK_PKT_DROP);
}

Test(vsock_pkt, spoofed_source_is_dropped_silently)
{
	struct vsock_pkt in = good(), out;
	in.src_cid = 4;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_DROP);
	in.src_cid = 3ull | (1ull << 32);
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_DROP);
}

Test(vsock_pkt, misuse_gets_rst)
{
	struct vsock_pkt in, out;
	in = good(), in.dst_cid = 5;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST, "dst_cid not the host");
	cr_assert_eq(out.dst_cid, 5, "the header is still decoded for the reply");
	in = good(), in.dst_cid = 3;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST, "to itself");
	in = good(), in.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST, "seqpacket not offered");
	in = good(), in.type = 0;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST);
	in = good(), in.op = 0;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST, "OP_INVALID");
	in = good(), in.op = 8;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST, "unknown op");
	in = good(), in.op = 0xffff;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_RST);
	in = good(), in.op = VIRTIO_VSOCK_OP_RW, in.len = 101;
	cr_assert_eq(parse(&in, 144, &out), VSOCK_PKT_RST, "len past the chain");
	in.len = 0xffffffff;
	cr_assert_eq(parse(&in, 144, &out), VSOCK_PKT_RST, "len wraps");
	in.len = VSOCK_MAX_PKT + 1;
	cr_assert_eq(parse(&in, 44 + VSOCK_MAX_PKT + 1, &out), VSOCK_PKT_RST, "oversize");
	in = good(), in.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE, in.len = 4;
	cr_assert_eq(parse(&in, 48, &out), VSOCK_PKT_RST, "payload on a control op");
}

Test(vsock_pkt, limits_are_inclusive)
{
	struct vsock_pkt in = good(), out;
	in.op = VIRTIO_VSOCK_OP_RW;
	in.len = VSOCK_MAX_PKT;
	cr_assert_eq(parse(&in, 44 + VSOCK_MAX_PKT, &out), VSOCK_PKT_OK);
	in.len = 100;
	cr_assert_eq(parse(&in, 200, &out), VSOCK_PKT_OK, "a chain longer than len is fine");
	in.len = 0;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_OK, "empty RW");
	for (uint16_t op = 1; op <= 7; op++) {
		in = good(), in.op = op;
		cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_OK, "op %u", op);
	}
}

Test(vsock_pkt, bad_rst_is_dropped_not_answered)
{
	struct vsock_pkt in = good(), out;
	in.op = VIRTIO_VSOCK_OP_RST;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_OK);
	in.dst_cid = 7;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_DROP);
	in = good(), in.op = VIRTIO_VSOCK_OP_RST, in.type = 2;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_DROP);
	in = good(), in.op = VIRTIO_VSOCK_OP_RST, in.len = 1000;
	cr_assert_eq(parse(&in, 44, &out), VSOCK_PKT_DROP);
}

Test(vsock_pkt, encode_is_little_endian_and_round_trips)
{
	struct vsock_pkt in = good(), out;
	in.len = 0x01020304;
	uint8_t a[44], b[44];
	vsock_pkt_encode(&in, a);
	g_hdr(b, &in);
	cr_assert_eq(memcmp(a, b, 44), 0);
	cr_assert_eq(a[24], 0x04);
	cr_assert_eq(a[27], 0x01);
	struct iovec iov = { a, 44 };
	vsock_pkt_parse(&iov, 1, 44, 3, &out);
	cr_assert_eq(memcmp(&in, &out, sizeof(in)), 0);
}

static int conn(const char *s, uint32_t *port)
{
	return vsock_parse_connect(s, strlen(s), port);
}

Test(vsock_pkt, connect_line)
{
	uint32_t p = 0;
	cr_assert_eq(conn("CONNECT 52\n", &p), 0);
	cr_assert_eq(p, 52);
	cr_assert_eq(conn("CONNECT 0\n", &p), 0);
	cr_assert_eq(p, 0);
	cr_assert_eq(conn("CONNECT 4294967295\n", &p), 0);
	cr_assert_eq(p, 4294967295u);
	cr_assert_eq(conn("CONNECT 007\n", &p), 0);
	cr_assert_eq(p, 7);
	const char *bad[] = { "CONNECT 4294967296\n", "CONNECT 99999999999999999999\n",
			      "CONNECT \n", "CONNECT 5x\n", "CONNECT 52", "connect 52\n",
			      "CONNECT -1\n", "CONNECT +1\n", "CONNECT 5\n\n", "CONNECT  5\n",
			      "CONNECT 5 \n", "CONNECT 5\r\n", "", "\n", "CONNECT",
			      "CONNECT 000000000000000000000001\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(conn(bad[i], &p), -1, "\"%s\"", bad[i]);
	cr_assert_eq(vsock_parse_connect("CONNECT 5\n", 9, &p), -1, "newline cut off");
}
