/* The plan's part for mvinit's confinement: the process's groups, umask and
 * rlimits as mvm options, and CONFINE and SETUP (proto/confine.h) for mvm to
 * pass on after the SPEC. */
#include <stdio.h>
#include <string.h>

#include "runtime-shim/confine.h"
#include "runtime-shim/guestcg.h"
#include "runtime-shim/spec2vm_int.h"

static int process_args(const struct cfg_process *pr, struct s2v_plan *p, struct err *err)
{
	char groups[PROTO_MAX_GROUPS * 11 + 1] = "";
	size_t gl = 0;
	if (pr->nadditional_gids > PROTO_MAX_GROUPS)
		return s2v_bad(err, "process.user.additionalGids", "more than %d groups",
			       PROTO_MAX_GROUPS);
	for (int i = 0; i < pr->nadditional_gids; i++)
		gl += (size_t)snprintf(groups + gl, sizeof(groups) - gl, "%s%u", i ? "," : "",
				       pr->additional_gids[i]);
	if (gl && (s2v_push(p, "--groups") < 0 || s2v_push(p, "%s", groups) < 0))
		goto oom;
	if (pr->has_umask && (s2v_push(p, "--umask") < 0 || s2v_push(p, "%o", pr->umask) < 0))
		goto oom;
	if (pr->nrlimits > PROTO_MAX_RLIMITS)
		return s2v_bad(err, "process.rlimits", "more than %d", PROTO_MAX_RLIMITS);
	for (int i = 0; i < pr->nrlimits; i++) {
		const struct cfg_rlimit *r = &pr->rlimits[i];
		if (s2v_push(p, "--rlimit") < 0 ||
		    s2v_push(p, "%d:%llu:%llu", cf_rlimit_number(r->type),
			     (unsigned long long)r->soft, (unsigned long long)r->hard) < 0)
			goto oom;
	}
	return 0;
oom:
	return err_set(err, CFG_EXIT, "out of memory building mvm's command line");
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

int s2v_confine(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
		struct err *err)
{
	static struct proto_setup setup; /* large; strings point into c and cgf */
	static struct gcg_files cgf;
	struct proto_confine conf;
	struct sc_prog prog;
	int unknown;
	bool empty;
	if (process_args(&c->process, p, err) < 0 ||
	    cf_process(&c->process, NULL, &c->lx, &conf, &prog, &unknown, err) < 0)
		return -1;
	if (unknown)
		s2v_note(p, "process.capabilities: %d unknown capability names skipped (as runc)",
			 unknown);
	p->seccomp_insns = prog.ninsns;
	int r = proto_encode_confine(&p->confine, &conf);
	sc_free(&prog);
	if (r < 0 || cf_setup(c, &setup, &empty, err) < 0 ||
	    s2v_guest_cgroup(c, p, &cgf, &setup, err) < 0 ||
	    ((!empty || setup.ncgfiles || setup.cgroupfs[0]) && proto_encode_setup(&p->confine, &setup) < 0))
		return err->status ? -1 : s2v_bad(err, "linux", "the confinement does not fit in a "
						  "control message");
	if (c->lx.ndevices)
		s2v_note(p, "linux.devices: made in the guest's /dev; they are the guest kernel's "
			    "devices with those numbers, never the host's");
	if (in->confine_fd > 2 && (s2v_push(p, "--confine-fd") < 0 ||
				   s2v_push(p, "%d", in->confine_fd) < 0))
		return err_set(err, CFG_EXIT, "out of memory building mvm's command line");
	return 0;
}
