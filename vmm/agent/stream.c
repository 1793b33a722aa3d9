#include "vmm/agent/stream.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "proto/proto.h"

/* A well-formed HOOKS payload? (decoded into the heap: 17 KiB) */
static bool hooks_ok(const uint8_t *p, size_t len)
{
	struct proto_hooks *h = malloc(sizeof(*h));
	bool ok = h && proto_decode_hooks(p, len, h) == 0;
	free(h);
	return ok;
}

/* What the shares take from SETUP: the device nodes of linux.devices (the
 * only ones MKNOD may make) and the id maps' host ranges (the only owners). */
static void setup_policy(struct vfs_policy *p, const struct proto_setup *s)
{
	p->ndevs = 0;
	for (uint32_t i = 0; i < s->ndevices && p->ndevs < VFS_POLICY_MAX_DEVS; i++) {
		const struct proto_device *d = &s->devices[i];
		if (d->type == 'b' || d->type == 'c')
			p->devs[p->ndevs++] = (struct vfs_devnode){ d->type == 'b' ? S_IFBLK : S_IFCHR,
								    d->major, d->minor };
	}
	p->nuids = s->nuidmap < VFS_POLICY_MAX_IDS ? s->nuidmap : VFS_POLICY_MAX_IDS;
	p->ngids = s->ngidmap < VFS_POLICY_MAX_IDS ? s->ngidmap : VFS_POLICY_MAX_IDS;
	for (uint32_t i = 0; i < p->nuids; i++)
		p->uids[i] = (struct vfs_idrange){ s->uidmap[i].outside, s->uidmap[i].count };
	for (uint32_t i = 0; i < p->ngids; i++)
		p->gids[i] = (struct vfs_idrange){ s->gidmap[i].outside, s->gidmap[i].count };
}

/* A well-formed SETUP payload? If so, its share policy goes into p. */
static bool setup_ok(const uint8_t *m, size_t len, struct vfs_policy *p)
{
	struct proto_setup *s = malloc(sizeof(*s)); /* large */
	bool ok = s && proto_decode_setup(m, len, s) == 0;
	if (ok)
		setup_policy(p, s);
	free(s);
	return ok;
}

static bool is_tag(const char *t, const char *const *tags, int ntags)
{
	if (!tags)
		return proto_pod_tag(t);
	for (int i = 0; i < ntags; i++)
		if (!strcmp(t, tags[i]))
			return true;
	return false;
}

/* The SPEC: well-formed, and naming only shares mvm serves. */
static int spec_ok(const uint8_t *p, size_t len, const char *const *tags, int ntags,
		   uint32_t *flags, struct err *err)
{
	struct proto_spec *s = malloc(sizeof(*s));
	const char **scratch = calloc(PROTO_MAX_STRS + 2, sizeof(*scratch));
	int r = -1;
	if (!s || !scratch) {
		err_set(err, MVM_EXIT_INTERNAL, "container stream: out of memory");
		goto out;
	}
	if (proto_decode_spec(p, len, s, scratch, PROTO_MAX_STRS + 2) < 0) {
		err_set(err, MVM_EXIT_BADARG, "container stream: a malformed SPEC");
		goto out;
	}
	if (!is_tag(s->root_tag, tags, ntags)) {
		err_set(err, MVM_EXIT_BADARG, "container stream: the root is share \"%.64s\", which "
			"mvm does not serve", s->root_tag);
		goto out;
	}
	for (uint32_t i = 0; i < s->nmounts; i++) {
		const struct proto_mount *m = &s->mounts[i];
		if (m->flags & (PROTO_MOUNT_TMPFS | PROTO_MOUNT_KERNFS) || is_tag(m->tag, tags, ntags))
			continue;
		err_set(err, MVM_EXIT_BADARG, "container stream: mount %u is share \"%.64s\", which "
			"mvm does not serve", i, m->tag);
		goto out;
	}
	*flags = s->flags;
	r = 0;
out:
	free(scratch);
	free(s);
	return r;
}

int stream_check(const uint8_t *p, size_t len, const char *const *tags, int ntags,
		 struct vfs_policy *policy, uint32_t *spec_flags, struct err *err)
{
	static const struct {
		uint16_t type;
		uint32_t flag;
	} after[] = { { PROTO_CONFINE, PROTO_SPEC_CONFINE },
		      { PROTO_SETUP, PROTO_SPEC_SETUP },
		      { PROTO_HOOKS, PROTO_SPEC_HOOKS } };
	uint32_t flags = 0, seen = 0;
	size_t next = 0; /* the index in after[] the next message may have, at least */
	bool spec = false;
	if (len > STREAM_MAX_LEN)
		return err_set(err, MVM_EXIT_BADARG, "container stream: more than %llu bytes",
			       STREAM_MAX_LEN);
	for (size_t off = 0; off < len;) {
		struct proto_hdr h;
		const uint8_t *m = p + off + PROTO_HDR_LEN;
		if (len - off < PROTO_HDR_LEN || proto_parse_hdr(p + off, &h) < 0 ||
		    h.len > len - off - PROTO_HDR_LEN)
			return err_set(err, MVM_EXIT_BADARG, "container stream: a malformed message "
				       "at byte %zu", off);
		off += PROTO_HDR_LEN + h.len;
		if (!spec) {
			if (h.type != PROTO_SPEC)
				return err_set(err, MVM_EXIT_BADARG, "container stream: message type %u "
					       "before the SPEC", h.type);
			if (spec_ok(m, h.len, tags, ntags, &flags, err) < 0)
				return -1;
			spec = true;
			continue;
		}
		size_t k = next;
		while (k < 3 && after[k].type != h.type)
			k++;
		if (k == 3 || !(flags & after[k].flag))
			return err_set(err, MVM_EXIT_BADARG, "container stream: message type %u is not "
				       "one the SPEC announces, in the order CONFINE, SETUP, HOOKS",
				       h.type);
		struct proto_confine c;
		bool ok = h.type == PROTO_CONFINE ? proto_decode_confine(m, h.len, &c) == 0 :
			  h.type == PROTO_SETUP	  ? setup_ok(m, h.len, policy) :
						    hooks_ok(m, h.len);
		if (!ok)
			return err_set(err, MVM_EXIT_BADARG, "container stream: a malformed %s",
				       h.type == PROTO_CONFINE ? "CONFINE" :
				       h.type == PROTO_SETUP	? "SETUP" : "HOOKS");
		seen |= after[k].flag;
		next = k + 1; /* each once, in order */
	}
	if (!spec)
		return err_set(err, MVM_EXIT_BADARG, "container stream: no SPEC");
	for (size_t k = 0; k < 3; k++)
		if (flags & after[k].flag && !(seen & after[k].flag))
			return err_set(err, MVM_EXIT_BADARG, "container stream: the SPEC announces a %s "
				       "that does not follow", k == 0 ? "CONFINE" : k == 1 ? "SETUP" : "HOOKS");
	*spec_flags = flags;
	return 0;
}
