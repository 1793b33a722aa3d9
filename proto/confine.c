/* CONFINE, EXEC_CONFINE and SETUP (confine.h): the codec of the container's
 * confinement. Like proto.c, libc only and every read bounds-checked. */
#include "proto/confine.h"

#include <stdbool.h>
#include <string.h>

#include "proto/codec.h"
#include "proto/sigfwd.h"

static bool confine_ok(const struct proto_confine *c)
{
	if (c->flags & ~(uint32_t)PROTO_CONFINE_ALL || c->nbpf > PROTO_MAX_BPF)
		return false;
	if ((c->flags & PROTO_CONFINE_OOM) ? c->oom_score_adj < PROTO_OOM_MIN ||
						     c->oom_score_adj > PROTO_OOM_MAX
					   : c->oom_score_adj != 0)
		return false;
	return (c->flags & PROTO_CONFINE_SECCOMP) ? c->nbpf > 0 && c->bpf : c->nbpf == 0;
}

static void put_confine(struct proto_buf *b, const struct proto_confine *c)
{
	put_u32(b, c->flags);
	for (int i = 0; i < PROTO_CAP_SETS; i++)
		put_u64(b, c->caps[i]);
	put_u32(b, c->seccomp_flags);
	put_u32(b, c->nbpf);
	if (c->nbpf)
		put(b, c->bpf, (size_t)c->nbpf * PROTO_BPF_INSN);
	if (c->flags & PROTO_CONFINE_OOM)
		put_u32(b, (uint32_t)c->oom_score_adj);
}

int proto_encode_confine(struct proto_buf *b, const struct proto_confine *c)
{
	if (!confine_ok(c)) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_CONFINE);
	put_confine(b, c);
	return finish(b, at);
}

int proto_encode_exec_confine(struct proto_buf *b, uint32_t id, const struct proto_confine *c)
{
	if (!confine_ok(c)) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_EXEC_CONFINE);
	put_u32(b, id);
	put_confine(b, c);
	return finish(b, at);
}

static int get_confine(struct rd *r, struct proto_confine *c)
{
	memset(c, 0, sizeof(*c));
	c->flags = get_u32(r);
	for (int i = 0; i < PROTO_CAP_SETS; i++)
		c->caps[i] = get_u64(r);
	c->seccomp_flags = get_u32(r);
	c->nbpf = get_u32(r);
	if (r->bad || c->nbpf > PROTO_MAX_BPF)
		return -1;
	c->bpf = c->nbpf ? take(r, (size_t)c->nbpf * PROTO_BPF_INSN) : NULL;
	if (c->flags & PROTO_CONFINE_OOM)
		c->oom_score_adj = (int32_t)get_u32(r);
	if (done(r) < 0 || !confine_ok(c))
		return -1;
	return 0;
}

int proto_decode_confine(const uint8_t *p, size_t len, struct proto_confine *c)
{
	struct rd r = { p, len, 0, 0 };
	return get_confine(&r, c);
}

int proto_decode_exec_confine(const uint8_t *p, size_t len, uint32_t *id,
			      struct proto_confine *c)
{
	struct rd r = { p, len, 0, 0 };
	*id = get_u32(&r);
	if (r.bad) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return get_confine(&r, c);
}

int proto_append(struct proto_buf *b, const void *bytes, size_t n)
{
	size_t at = b->len;
	put(b, bytes, n);
	if (b->failed) {
		b->len = at;
		return -1;
	}
	return 0;
}

static bool devnum_ok(uint32_t n)
{
	return n == PROTO_DEV_ANY || n < (1u << 20);
}

static bool devrule_ok(const struct proto_devrule *r)
{
	return r->allow <= 1 && (r->type == 'a' || r->type == 'b' || r->type == 'c') &&
	       devnum_ok(r->major) && devnum_ok(r->minor) &&
	       !(r->access & ~(uint32_t)(PROTO_DEV_R | PROTO_DEV_W | PROTO_DEV_M));
}

static bool idmap_ok(const struct proto_idmap *m)
{
	return m->count >= 1 && m->count - 1 <= UINT32_MAX - m->inside &&
	       m->count - 1 <= UINT32_MAX - m->outside;
}

static bool idmaps_ok(const struct proto_setup *s)
{
	if (s->nuidmap > PROTO_MAX_IDMAPS || s->ngidmap > PROTO_MAX_IDMAPS ||
	    !s->nuidmap != !s->ngidmap)
		return false;
	for (uint32_t i = 0; i < s->nuidmap; i++)
		if (!idmap_ok(&s->uidmap[i]))
			return false;
	for (uint32_t i = 0; i < s->ngidmap; i++)
		if (!idmap_ok(&s->gidmap[i]))
			return false;
	return true;
}

bool proto_cgfile_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n >= 1 && n <= PROTO_CGFILE_NAME_MAX && name[0] != '.' && !strchr(name, '/');
}

static bool cgfiles_ok(uint32_t n, const struct proto_cgfile *f)
{
	if (n > PROTO_MAX_CGFILES)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!proto_cgfile_name_ok(f[i].name) || !f[i].value)
			return false;
	return true;
}

static bool cgroupfs_ok(const char *path, uint32_t flags)
{
	return !(flags & ~(uint32_t)PROTO_CGROUPFS_FLAGS) && (!path || !*path || path[0] == '/');
}

static void put_cgfiles(struct proto_buf *b, uint32_t n, const struct proto_cgfile *f)
{
	put_u32(b, n);
	for (uint32_t i = 0; i < n; i++) {
		put_str(b, f[i].name);
		put_str(b, f[i].value);
	}
}

/* n cgroup files from r into f; -1 (r bad) past the limit or on a bad name. */
static int get_cgfiles(struct rd *r, uint32_t *n, struct proto_cgfile *f)
{
	*n = get_u32(r);
	if (r->bad || *n > PROTO_MAX_CGFILES) {
		*n = 0;
		r->bad = 1;
		return -1;
	}
	for (uint32_t i = 0; i < *n; i++) {
		f[i].name = get_str(r);
		f[i].value = get_str(r);
	}
	if (r->bad || !cgfiles_ok(*n, f)) {
		r->bad = 1;
		return -1;
	}
	return 0;
}

static void put_idmaps(struct proto_buf *b, uint32_t n, const struct proto_idmap *m)
{
	put_u32(b, n);
	for (uint32_t i = 0; i < n; i++) {
		put_u32(b, m[i].inside);
		put_u32(b, m[i].outside);
		put_u32(b, m[i].count);
	}
}

int proto_encode_setup(struct proto_buf *b, const struct proto_setup *s)
{
	bool ok = s->nmasked <= PROTO_MAX_PATHS && s->nreadonly <= PROTO_MAX_PATHS &&
		  s->nsysctl <= PROTO_MAX_SYSCTL && s->ndevices <= PROTO_MAX_DEVICES &&
		  s->ndevrules <= PROTO_MAX_DEVRULES && idmaps_ok(s) &&
		  cgfiles_ok(s->ncgfiles, s->cgfiles) && cgroupfs_ok(s->cgroupfs, s->cgroupfs_flags) &&
		  !(s->flags & ~(uint32_t)PROTO_SETUP_ALL);
	for (uint32_t i = 0; ok && i < s->ndevrules; i++)
		ok = devrule_ok(&s->devrules[i]);
	if (!ok) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_SETUP);
	put_str(b, s->domainname);
	put_u32(b, s->nmasked);
	for (uint32_t i = 0; i < s->nmasked; i++)
		put_str(b, s->masked[i]);
	put_u32(b, s->nreadonly);
	for (uint32_t i = 0; i < s->nreadonly; i++)
		put_str(b, s->readonly[i]);
	put_u32(b, s->nsysctl);
	for (uint32_t i = 0; i < s->nsysctl; i++) {
		put_str(b, s->sysctl_key[i]);
		put_str(b, s->sysctl_value[i]);
	}
	put_u32(b, s->ndevices);
	for (uint32_t i = 0; i < s->ndevices; i++) {
		const struct proto_device *d = &s->devices[i];
		put_str(b, d->path);
		put_u32(b, d->type);
		put_u32(b, d->major);
		put_u32(b, d->minor);
		put_u32(b, d->mode);
		put_u32(b, d->uid);
		put_u32(b, d->gid);
	}
	put_u32(b, s->ndevrules);
	for (uint32_t i = 0; i < s->ndevrules; i++) {
		const struct proto_devrule *r = &s->devrules[i];
		put_u32(b, r->allow);
		put_u32(b, r->type);
		put_u32(b, r->major);
		put_u32(b, r->minor);
		put_u32(b, r->access);
	}
	put_cgfiles(b, s->ncgfiles, s->cgfiles);
	put_str(b, s->cgroupfs ? s->cgroupfs : "");
	put_u32(b, s->cgroupfs_flags);
	put_idmaps(b, s->nuidmap, s->uidmap);
	put_idmaps(b, s->ngidmap, s->gidmap);
	put_u32(b, s->flags);
	return finish(b, at);
}

int proto_encode_update(struct proto_buf *b, const struct proto_update *u)
{
	if (!cgfiles_ok(u->ncgfiles, u->cgfiles) || u->signal > PROTO_SIG_MAX) {
		b->failed = 1;
		return -1;
	}
	size_t at = begin(b, PROTO_UPDATE);
	put_u32(b, u->id);
	put_cgfiles(b, u->ncgfiles, u->cgfiles);
	put_u32(b, u->signal);
	return finish(b, at);
}

int proto_decode_update(const uint8_t *p, size_t len, struct proto_update *u)
{
	struct rd r = { p, len, 0, 0 };
	memset(u, 0, sizeof(*u));
	u->id = get_u32(&r);
	if (get_cgfiles(&r, &u->ncgfiles, u->cgfiles) < 0)
		return -1;
	u->signal = get_u32(&r);
	if (u->signal > PROTO_SIG_MAX)
		return -1;
	return done(&r);
}

/* A count read from r, or -1 when it is above max (r marked bad). */
static int64_t get_count(struct rd *r, uint32_t max)
{
	uint32_t n = get_u32(r);
	if (r->bad || n > max) {
		r->bad = 1;
		return -1;
	}
	return n;
}

static void get_idmap(struct rd *r, struct proto_idmap *m)
{
	m->inside = get_u32(r);
	m->outside = get_u32(r);
	m->count = get_u32(r);
}

int proto_decode_setup(const uint8_t *p, size_t len, struct proto_setup *s)
{
	struct rd r = { p, len, 0, 0 };
	int64_t n;
	memset(s, 0, sizeof(*s));
	s->domainname = get_str(&r);
	if ((n = get_count(&r, PROTO_MAX_PATHS)) < 0)
		return -1;
	s->nmasked = (uint32_t)n;
	for (uint32_t i = 0; i < s->nmasked; i++)
		s->masked[i] = get_str(&r);
	if ((n = get_count(&r, PROTO_MAX_PATHS)) < 0)
		return -1;
	s->nreadonly = (uint32_t)n;
	for (uint32_t i = 0; i < s->nreadonly; i++)
		s->readonly[i] = get_str(&r);
	if ((n = get_count(&r, PROTO_MAX_SYSCTL)) < 0)
		return -1;
	s->nsysctl = (uint32_t)n;
	for (uint32_t i = 0; i < s->nsysctl; i++) {
		s->sysctl_key[i] = get_str(&r);
		s->sysctl_value[i] = get_str(&r);
	}
	if ((n = get_count(&r, PROTO_MAX_DEVICES)) < 0)
		return -1;
	s->ndevices = (uint32_t)n;
	for (uint32_t i = 0; i < s->ndevices; i++) {
		struct proto_device *d = &s->devices[i];
		d->path = get_str(&r);
		d->type = get_u32(&r);
		d->major = get_u32(&r);
		d->minor = get_u32(&r);
		d->mode = get_u32(&r);
		d->uid = get_u32(&r);
		d->gid = get_u32(&r);
	}
	if ((n = get_count(&r, PROTO_MAX_DEVRULES)) < 0)
		return -1;
	s->ndevrules = (uint32_t)n;
	for (uint32_t i = 0; i < s->ndevrules; i++) {
		struct proto_devrule *d = &s->devrules[i];
		d->allow = get_u32(&r);
		d->type = get_u32(&r);
		d->major = get_u32(&r);
		d->minor = get_u32(&r);
		d->access = get_u32(&r);
		if (r.bad || !devrule_ok(d))
			return -1;
	}
	if (get_cgfiles(&r, &s->ncgfiles, s->cgfiles) < 0)
		return -1;
	s->cgroupfs = get_str(&r);
	s->cgroupfs_flags = get_u32(&r);
	if (r.bad || !cgroupfs_ok(s->cgroupfs, s->cgroupfs_flags))
		return -1;
	if ((n = get_count(&r, PROTO_MAX_IDMAPS)) < 0)
		return -1;
	s->nuidmap = (uint32_t)n;
	for (uint32_t i = 0; i < s->nuidmap; i++)
		get_idmap(&r, &s->uidmap[i]);
	if ((n = get_count(&r, PROTO_MAX_IDMAPS)) < 0)
		return -1;
	s->ngidmap = (uint32_t)n;
	for (uint32_t i = 0; i < s->ngidmap; i++)
		get_idmap(&r, &s->gidmap[i]);
	s->flags = get_u32(&r);
	if (r.bad || !idmaps_ok(s) || (s->flags & ~(uint32_t)PROTO_SETUP_ALL))
		return -1;
	return done(&r);
}
