/* mvm's check of the container stream (proto/launch.h): the messages mvrun
 * wrote, which mvm forwards to the guest unchanged. It is input: mvm checks
 * the framing, each message's form (the codec's decoders) and that the
 * shares it names are the ones mvm serves, and takes from it only what it
 * acts on itself. */
#ifndef MVM_STREAM_H
#define MVM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "vmm/core/err.h"
#include "vmm/fuse/fuse_server.h"

/* SPEC, CONFINE, SETUP and HOOKS together: what the control queue takes
 * (CTR_MAX_OUT), as they go to the guest at once. */
#define STREAM_MAX_LEN (2ull * PROTO_MAX_MSG)

/* Check that p holds a SPEC, then a CONFINE, a SETUP and a HOOKS exactly as
 * the SPEC's flags announce them, in that order, and nothing else; that the
 * SPEC's root and every share it mounts is one of tags (ntags). SETUP's
 * device nodes and id maps go into policy (its other fields are kept).
 * *spec_flags gets the SPEC's PROTO_SPEC_*. Returns 0, or -1 with err
 * (MVM_EXIT_BADARG) naming the problem. A pod member's stream (proto.h)
 * passes tags NULL: its shares must then be tags under the pod share
 * (proto_pod_tag). */
int stream_check(const uint8_t *p, size_t len, const char *const *tags, int ntags,
		 struct vfs_policy *policy, uint32_t *spec_flags, struct err *err);

#endif
