/* libFuzzer target for the bytes a guest controls on the vsock tx queue
 * and the host client's CONNECT line. The input is cut into a chain of
 * buffers (first byte: how many cuts, then one byte per cut offset), so
 * headers split at odd places are covered; then decoded with the device's
 * own guest CID. The same bytes also go through the CONNECT parser.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     tests/fuzz/vsock_fuzz.c vmm/virtio/vsock/vsock_pkt.c vmm/virtio/queue.c vmm/core/gmem.c vmm/err.c \
 *     -o build/vsock-fuzz && build/vsock-fuzz -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/virtio/vsock/vsock_pkt.h"

#define MAX_SEG 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int ncut = data[0] % MAX_SEG;
	if (size < 1 + (size_t)ncut)
		return 0;
	const uint8_t *cuts = data + 1;
	const uint8_t *body = data + 1 + ncut;
	size_t len = size - 1 - (size_t)ncut;

	/* Copy into its own allocation so ASan sees any read past the end. */
	uint8_t *buf = malloc(len ? len : 1);
	memcpy(buf, body, len);
	struct iovec iov[MAX_SEG];
	size_t at = 0;
	int n = 0;
	for (int i = 0; i < ncut && at < len; i++) {
		size_t k = cuts[i] % (len - at + 1);
		iov[n++] = (struct iovec){ buf + at, k };
		at += k;
	}
	iov[n++] = (struct iovec){ buf + at, len - at };

	struct vsock_pkt p;
	enum vsock_verdict v = vsock_pkt_parse(iov, n, len, 3, &p);
	if (v == VSOCK_PKT_OK) {
		/* What the state machine relies on. */
		if (p.src_cid != 3 || p.dst_cid != VSOCK_HOST_CID || p.type != 1 ||
		    p.len > VSOCK_MAX_PKT || (size_t)p.len + VSOCK_HDR_SIZE > len ||
		    p.op < 1 || p.op > 7 || (p.len && p.op != VIRTIO_VSOCK_OP_RW))
			abort();
		uint8_t h[VSOCK_HDR_SIZE];
		vsock_pkt_encode(&p, h);
		if (memcmp(h, buf, VSOCK_HDR_SIZE) != 0)
			abort(); /* decode and encode are inverses */
	}
	if (v == VSOCK_PKT_RST && p.op == VIRTIO_VSOCK_OP_RST)
		abort(); /* never answer an RST */

	uint32_t port;
	if (vsock_parse_connect((const char *)buf, len, &port) == 0 &&
	    (len > VSOCK_CONNECT_MAX || buf[len - 1] != '\n'))
		abort();
	free(buf);
	return 0;
}
