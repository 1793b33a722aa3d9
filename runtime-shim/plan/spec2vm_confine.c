/* The plan's part for mvinit's process and confinement: the SPEC's user,
 * groups, umask and rlimits, and CONFINE and SETUP (proto/confine.h), which
 * the container stream carries after the SPEC. */
#include <stdio.h>
#include <string.h>

#include "runtime-shim/plan/confine.h"
#include "runtime-shim/plan/guestcg.h"
#include "runtime-shim/plan/spec2vm_int.h"

void s2v_process_spec(const struct cfg_process *p, const struct cfg_process *ctr,
		      struct proto_spec *s)
{
	const struct cfg_process *rl = p->nrlimits || !ctr ? p : ctr;
	memset(s, 0, sizeof(*s));
	s->flags = p->terminal ? PROTO_SPEC_TTY : 0;
	s->uid = p->uid;
	s->gid = p->gid;
	s->umask = p->has_umask ? p->umask : 022;
	for (int i = 0; i < p->nadditional_gids && s->ngroups < PROTO_MAX_GROUPS; i++)
		s->groups[s->ngroups++] = p->additional_gids[i];
	s->rows = (uint16_t)p->console_height;
	s->cols = (uint16_t)p->console_width;
	s->cwd = p->cwd;
	s->hostname = s->root_tag = "";
	s->argc = (uint32_t)p->nargs;
	s->argv = p->args;
	s->envc = (uint32_t)p->nenv;
	s->env = p->env;
	for (int i = 0; i < rl->nrlimits && s->nrlimits < PROTO_MAX_RLIMITS; i++)
		s->rlimits[s->nrlimits++] = (struct proto_rlimit){
			(uint32_t)cf_rlimit_number(rl->rlimits[i].type), rl->rlimits[i].soft,
			rl->rlimits[i].hard };
}

/* The container's cgroup in the guest: its files (guestcg.c), and the
 * config's cgroup mount at /sys/fs/cgroup (s2v_mounts found it). */
static int s2v_guest_cgroup(const struct cfg *c, struct s2v_plan *p, struct gcg_files *cgf,
			    struct proto_setup *setup, struct err *err)
{
	if (gcg_build(&c->lx, p->cpus, cgf, err) < 0)
		return -1;
	setup->ncgfiles = cgf->n;
	memcpy(setup->cgfiles, cgf->f, cgf->n * sizeof(cgf->f[0]));
	setup->cgroupfs = p->cgroupfs ? "/sys/fs/cgroup" : "";
	setup->cgroupfs_flags = p->cgroupfs_flags;
	return 0;
}

int s2v_confine(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	static struct proto_setup setup; /* large; strings point into c and cgf */
	static struct gcg_files cgf;
	struct proto_confine conf;
	struct sc_prog prog;
	int unknown;
	bool empty;
	const struct cfg_process *pr = &c->process;
	if (pr->nadditional_gids > PROTO_MAX_GROUPS)
		return s2v_bad(err, "process.user.additionalGids", "more than %d groups",
			       PROTO_MAX_GROUPS);
	if (pr->nrlimits > PROTO_MAX_RLIMITS)
		return s2v_bad(err, "process.rlimits", "more than %d", PROTO_MAX_RLIMITS);
	if (cf_process(pr, NULL, &c->lx, &conf, &prog, &unknown, err) < 0)
		return -1;
	if (unknown)
		s2v_note(p, "process.capabilities: %d unknown capability names skipped (as runc)",
			 unknown);
	p->seccomp_insns = prog.ninsns;
	int r = proto_encode_confine(&p->confine, &conf);
	sc_free(&prog);
	if (r < 0 || cf_setup(c, &setup, &empty, err) < 0 ||
	    s2v_guest_cgroup(c, p, &cgf, &setup, err) < 0)
		return err->status ? -1 : s2v_bad(err, "linux", "the confinement does not fit in a "
						  "control message");
	empty = empty && !setup.ncgfiles && !setup.cgroupfs[0];
	if (!empty && proto_encode_setup(&p->confine, &setup) < 0)
		return s2v_bad(err, "linux", "the confinement does not fit in a control message");
	p->spec.flags |= PROTO_SPEC_CONFINE | (empty ? 0 : PROTO_SPEC_SETUP);
	if (c->lx.ndevices)
		s2v_note(p, "linux.devices: made in the guest's /dev; they are the guest kernel's "
			    "devices with those numbers, never the host's");
	return 0;
}
