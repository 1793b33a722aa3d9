/* HOOKS (hooks.h): libc only, every read bounds-checked, as proto.c. */
#include "proto/hooks.h"

#include <stdbool.h>
#include <string.h>

#include "proto/codec.h"

static bool hook_ok(const struct proto_hook *k)
{
	return k->kind < PROTO_HOOK_KINDS && k->path && k->path[0] == '/' &&
	       k->nargs <= PROTO_MAX_HOOK_STRS && k->nenv <= PROTO_MAX_HOOK_STRS;
}

int proto_encode_hooks(struct proto_buf *b, const struct proto_hooks *h)
{
	bool ok = h->n <= PROTO_MAX_HOOKS;
	for (uint32_t i = 0; ok && i < h->n; i++)
		ok = hook_ok(&h->hook[i]);
	if (!ok) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_HOOKS);
	put_str(b, h->state_creating);
	put_str(b, h->state_created);
	put_u32(b, h->n);
	for (uint32_t i = 0; i < h->n; i++) {
		const struct proto_hook *k = &h->hook[i];
		put_u32(b, k->kind);
		put_u32(b, k->timeout);
		put_str(b, k->path);
		put_u32(b, k->nargs);
		for (uint32_t j = 0; j < k->nargs; j++)
			put_str(b, k->args[j]);
		put_u32(b, k->nenv);
		for (uint32_t j = 0; j < k->nenv; j++)
			put_str(b, k->env[j]);
	}
	return finish(b, at);
}

/* n strings (n read first, at most PROTO_MAX_HOOK_STRS) into v, then NULL. */
static uint32_t get_strs(struct rd *r, const char **v)
{
	uint32_t n = get_u32(r);
	if (n > PROTO_MAX_HOOK_STRS) {
		r->bad = 1;
		n = 0;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = get_str(r);
	v[n] = NULL;
	return n;
}

int proto_decode_hooks(const uint8_t *p, size_t len, struct proto_hooks *h)
{
	struct rd r = { p, len, 0, 0 };
	memset(h, 0, sizeof(*h));
	h->state_creating = get_str(&r);
	h->state_created = get_str(&r);
	h->n = get_u32(&r);
	if (r.bad || h->n > PROTO_MAX_HOOKS)
		return -1;
	for (uint32_t i = 0; i < h->n; i++) {
		struct proto_hook *k = &h->hook[i];
		k->kind = get_u32(&r);
		k->timeout = get_u32(&r);
		k->path = get_str(&r);
		k->nargs = get_strs(&r, k->args);
		k->nenv = get_strs(&r, k->env);
		if (r.bad || !hook_ok(k))
			return -1;
	}
	return done(&r);
}
