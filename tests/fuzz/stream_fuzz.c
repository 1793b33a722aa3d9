/* libFuzzer target for mvm's check of the container stream (vmm/agent/stream.c):
 * the bytes mvrun writes on the stream fd, which mvm takes as input before
 * forwarding them to the guest whole.
 *
 * An input is a stream. What is checked beyond "no crash": a stream the
 * check accepts is a SPEC first, then whole messages only, each of a type
 * the SPEC's flags announce, and the share policy taken from its SETUP
 * stays within its arrays.
 *
 *   make build/fuzz/stream_fuzz
 *   tests/fuzz/run.sh build/fuzz/stream_fuzz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "vmm/agent/stream.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "stream_fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "root", "vol0", "files0", "files0/f0" };
	/* An exact-size copy: ASan sees any read past the end. */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	struct vfs_policy pol = { 0 };
	struct err err = { 0 };
	uint32_t flags = 0;
	if (stream_check(p, size, tags, 4, &pol, &flags, &err) != 0) {
		check(err.status == MVM_EXIT_BADARG || err.status == MVM_EXIT_INTERNAL,
		      "a refusal without a status");
		check(!strncmp(err.msg, "container stream: ", 18), "a refusal that does not say so");
		free(p);
		return 0;
	}
	check(pol.ndevs <= VFS_POLICY_MAX_DEVS && pol.nuids <= VFS_POLICY_MAX_IDS &&
		      pol.ngids <= VFS_POLICY_MAX_IDS, "the policy past its arrays");
	size_t off = 0;
	int n = 0;
	while (off < size) {
		struct proto_hdr h;
		check(size - off >= PROTO_HDR_LEN && proto_parse_hdr(p + off, &h) == 0 &&
			      h.len <= size - off - PROTO_HDR_LEN, "accepted a broken frame");
		check(n > 0 ? (h.type == PROTO_CONFINE && flags & PROTO_SPEC_CONFINE) ||
				      (h.type == PROTO_SETUP && flags & PROTO_SPEC_SETUP) ||
				      (h.type == PROTO_HOOKS && flags & PROTO_SPEC_HOOKS)
			    : h.type == PROTO_SPEC,
		      "accepted a message out of place");
		off += PROTO_HDR_LEN + h.len;
		n++;
	}
	check(n >= 1 && n <= 4, "accepted a stream without a SPEC or with more than four messages");
	free(p);
	return 0;
}
