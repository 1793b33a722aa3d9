/* linux.resources.devices → the SETUP's device cgroup rules (confine.h).
 *
 * As runc (libcontainer/specconv CreateCgroupConfig): the config's rules in
 * order, then runc's default allowed devices (mknod of anything; null, zero,
 * full, random, urandom, tty; the ptys; tun), less a default whose path a
 * linux.devices entry takes. mvinit writes them after "a" to devices.deny
 * into the guest's cgroup v1 devices controller.
 *
 * v1 takes a rule that goes the default's way (a deny under default-deny) as
 * "remove this exact exception": it cannot cut a piece out of a wider one
 * (deny c 1:3 after allow c *:*). Such a list is refused rather than
 * applied weaker. */
#include <stdio.h>
#include <string.h>

#include "runtime-shim/oci/config_json.h"
#include "runtime-shim/plan/confine.h"

#define ANY PROTO_DEV_ANY
#define RWM (PROTO_DEV_R | PROTO_DEV_W | PROTO_DEV_M)

static const struct {
	const char *path; /* NULL: a rule only */
	struct proto_devrule rule;
} defaults[] = {
	{ NULL, { 1, 'c', ANY, ANY, PROTO_DEV_M } }, { NULL, { 1, 'b', ANY, ANY, PROTO_DEV_M } },
	{ "/dev/null", { 1, 'c', 1, 3, RWM } },	     { "/dev/random", { 1, 'c', 1, 8, RWM } },
	{ "/dev/full", { 1, 'c', 1, 7, RWM } },	     { "/dev/tty", { 1, 'c', 5, 0, RWM } },
	{ "/dev/zero", { 1, 'c', 1, 5, RWM } },	     { "/dev/urandom", { 1, 'c', 1, 9, RWM } },
	{ NULL, { 1, 'c', 136, ANY, RWM } },	     { NULL, { 1, 'c', 5, 2, RWM } },
	{ NULL, { 1, 'c', 10, 200, RWM } },
};

/* The kernel's view while the rules are written, to check each does what
 * it says (security/device_cgroup.c: dev_exception_add/_rm). */
struct emu {
	bool allow_all;
	int n;
	struct proto_devrule ex[PROTO_MAX_DEVRULES];
};

static bool num_overlap(uint32_t a, uint32_t b)
{
	return a == ANY || b == ANY || a == b;
}

static bool same_dev(const struct proto_devrule *a, const struct proto_devrule *b)
{
	return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

/* Apply r; false when v1 would leave part of what r takes away. */
static bool emu_apply(struct emu *m, const struct proto_devrule *r)
{
	if (r->type == 'a') {
		m->allow_all = r->allow;
		m->n = 0;
		return true;
	}
	if ((bool)r->allow != m->allow_all) { /* a new exception, or more access */
		for (int i = 0; i < m->n; i++)
			if (same_dev(&m->ex[i], r)) {
				m->ex[i].access |= r->access;
				return true;
			}
		if (m->n < PROTO_MAX_DEVRULES)
			m->ex[m->n++] = *r;
		return true;
	}
	bool ok = true;
	for (int i = 0; i < m->n; i++) {
		struct proto_devrule *x = &m->ex[i];
		if (same_dev(x, r))
			x->access &= ~r->access;
		else if (x->type == r->type && num_overlap(x->major, r->major) &&
			 num_overlap(x->minor, r->minor) && (x->access & r->access))
			ok = false;
	}
	return ok;
}

static void rule_text(const struct proto_devrule *r, char *out, size_t size)
{
	char maj[12] = "*", min[12] = "*";
	if (r->major != ANY)
		snprintf(maj, sizeof(maj), "%u", r->major);
	if (r->minor != ANY)
		snprintf(min, sizeof(min), "%u", r->minor);
	snprintf(out, size, "%s %c %s:%s", r->allow ? "allow" : "deny", (char)r->type, maj, min);
}

/* Append r (checked against m) to out; field names it in errors. */
static int push(struct proto_setup *out, struct emu *m, const struct proto_devrule *r,
		const char *field, struct err *err)
{
	char what[64];
	if (out->ndevrules == PROTO_MAX_DEVRULES)
		return cj_bad(err, "linux.resources.devices", "more than %d rules with runc's defaults",
			      PROTO_MAX_DEVRULES);
	if (!emu_apply(m, r)) {
		rule_text(r, what, sizeof(what));
		return cj_bad(err, field, "%s takes part of an earlier, wider rule away; the guest's "
			      "cgroup v1 devices controller cannot do that", what);
	}
	out->devrules[out->ndevrules++] = *r;
	return 0;
}

int cf_devrules(const struct cfg *c, struct proto_setup *out, struct err *err)
{
	static struct emu m; /* large; the shim is single-threaded */
	const struct cfg_linux *l = &c->lx;
	char f[64];
	m.allow_all = false;
	m.n = 0;
	out->ndevrules = 0;
	for (int i = 0; i < l->ndevrules; i++) {
		const struct cfg_devrule *d = &l->devrules[i];
		struct proto_devrule r = { d->allow, (uint32_t)d->type,
					   d->major < 0 ? ANY : (uint32_t)d->major,
					   d->minor < 0 ? ANY : (uint32_t)d->minor, d->access };
		snprintf(f, sizeof(f), "linux.resources.devices[%d]", i);
		/* runc 1.1 (its v1 emulator) takes an "a" rule as every device with
		 * every access whatever its access says, and a b or c rule with
		 * none of r, w, m in its access as nothing. */
		if (r.type == 'a' && r.major == ANY && r.minor == ANY)
			r.access = RWM;
		if (!r.access)
			continue;
		if (r.type == 'a' && (r.major != ANY || r.minor != ANY || r.access != RWM)) {
			/* v1's "a" is every device with every access: split it. */
			r.type = 'c';
			if (push(out, &m, &r, f, err) < 0)
				return -1;
			r.type = 'b';
		}
		if (push(out, &m, &r, f, err) < 0)
			return -1;
	}
	for (size_t k = 0; k < sizeof(defaults) / sizeof(defaults[0]); k++) {
		bool taken = false;
		for (int i = 0; defaults[k].path && i < l->ndevices; i++)
			taken |= !strcmp(l->devices[i].path, defaults[k].path);
		if (!taken && push(out, &m, &defaults[k].rule,
				   "linux.resources.devices (with runc's default devices after it)",
				   err) < 0)
			return -1;
	}
	return 0;
}
