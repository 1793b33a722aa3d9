/* The confinement mvinit applies in the guest (proto/confine.h), built from
 * the OCI config: the process's capabilities, no_new_privs and seccomp
 * program (CONFINE), and the container's masked and read-only paths,
 * sysctls, devices, domain name, uid and gid maps and whether it has a PID
 * namespace of its own (SETUP). */
#ifndef MVRUN_SHIM_CONFINE_H
#define MVRUN_SHIM_CONFINE_H

#include "proto/confine.h"
#include "runtime-shim/oci/config.h"
#include "common/err.h"
#include "runtime-shim/oci/seccomp.h"

/* The capability number of "CAP_NAME", or -1 if unknown. */
int cf_cap_number(const char *name);

/* The resource number of "RLIMIT_NAME", or -1 if unknown. */
int cf_rlimit_number(const char *name);

/* The process's confinement: p's capabilities (when p has none, fallback's,
 * if fallback is not NULL, as runc exec does; else none at all, as runc
 * gives), p's noNewPrivileges, p's oomScoreAdj (else fallback's, as runc
 * exec gives the container's), and the program compiled from lx's seccomp
 * (lx NULL or without one: none). out->bpf points into prog, which the
 * caller frees with sc_free(). *unknown_caps counts the names skipped (a
 * capability this runtime does not know, as runc skips it). Returns 0 or -1
 * with err. */
int cf_process(const struct cfg_process *p, const struct cfg_process *fallback,
	       const struct cfg_linux *lx, struct proto_confine *out, struct sc_prog *prog,
	       int *unknown_caps, struct err *err);

/* The container's SETUP from c, but its cgroup files and cgroup mount
 * (guestcg.h, spec2vm_confine.c); strings point into c. Returns 0, or -1
 * with err naming a list longer than the protocol carries. *empty says
 * whether there is nothing to send (never: the device rules always are). */
int cf_setup(const struct cfg *c, struct proto_setup *out, bool *empty, struct err *err);

/* out->devrules from c's linux.resources.devices and runc's default
 * allowed devices (devrules.c). Returns 0, or -1 with err naming a rule the
 * guest's cgroup v1 devices controller cannot apply as written. */
int cf_devrules(const struct cfg *c, struct proto_setup *out, struct err *err);

#endif
