/* HOOKS: the OCI hooks that run inside the container, so inside the guest
 * (runtime-spec config.md "POSIX-platform Hooks": createContainer and
 * startContainer run in the container's namespaces), with the state JSON
 * the host made for each. Same framing and string rules as proto.h; sent
 * after SPEC (and CONFINE, SETUP) when the SPEC's flags have
 * PROTO_SPEC_HOOKS.
 *
 * Payload:
 *   str state_creating (createContainer's stdin) | str state_created
 *   (startContainer's stdin) | u32 n, n x hook:
 *     u32 kind (enum proto_hook_kind) | u32 timeout (s, 0 none) | str path |
 *     u32 nargs, nargs x str | u32 nenv, nenv x str
 */
#ifndef MVRUN_PROTO_HOOKS_H
#define MVRUN_PROTO_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define PROTO_SPEC_HOOKS 0x400   /* a HOOKS follows (SPEC only) */
#define PROTO_MAX_HOOKS 16       /* of both kinds together */
#define PROTO_MAX_HOOK_STRS 64   /* args, and env, each */

enum proto_hook_kind { PROTO_HOOK_CREATE_CONTAINER, PROTO_HOOK_START_CONTAINER, PROTO_HOOK_KINDS };

struct proto_hook {
	uint32_t kind;       /* enum proto_hook_kind */
	uint32_t timeout;    /* seconds, 0: none */
	const char *path;    /* absolute, resolved in the container */
	uint32_t nargs, nenv;
	const char *args[PROTO_MAX_HOOK_STRS + 1]; /* NULL-terminated; none: argv is path alone */
	const char *env[PROTO_MAX_HOOK_STRS + 1];  /* NULL-terminated */
};

/* Strings point into the message buffer. */
struct proto_hooks {
	const char *state_creating, *state_created;
	uint32_t n;
	struct proto_hook hook[PROTO_MAX_HOOKS];
};

/* Encode h (0, or -1 with b->failed and nothing appended, as proto.h's):
 * refused are counts above the limits, an unknown kind and a path that is
 * not absolute, as the decoder refuses them. */
int proto_encode_hooks(struct proto_buf *b, const struct proto_hooks *h);

/* Decode HOOKS' payload into h: 0, or -1 when truncated, with trailing
 * bytes, or breaking a rule above. The arrays come NULL-terminated. */
int proto_decode_hooks(const uint8_t *p, size_t len, struct proto_hooks *h);

#endif
