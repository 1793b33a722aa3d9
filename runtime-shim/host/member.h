/* Pod members (proto/proto.h, "Pods"): a container whose namespace paths
 * lead to a running mvrun container's mvm runs inside that container's VM.
 * mvrun mounts its shares into mvm's pod directory (in mvm's mount
 * namespace: mvm itself is jailed), and its host process (exec_host.c),
 * in the member's host cgroup, sends mvm the member's container stream and
 * serves it: its pid is the member's in --pid-file and state. */
#ifndef MVRUN_SHIM_MEMBER_H
#define MVRUN_SHIM_MEMBER_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime-shim/oci/config.h"
#include "runtime-shim/plan/spec2vm.h"
#include "runtime-shim/host/host.h"

#define MEMBER_MAX_SHARES 16

struct member_ref {
	char sandbox[STORE_ID_MAX + 1]; /* the pod's sandbox container */
};

/* Is c a member of a pod of root? 1 (ref set) if a namespace path of c is
 * one of a running mvrun container's mvm (ipc, uts, pid: any; net alone:
 * only if one container's and not the host's) or names a member's host
 * process; 0 if c joins nothing of mvrun's (an engine's network namespace
 * is the VM's to start in); -1 with err naming the field when an ipc, uts
 * or pid path leads to no mvrun container. */
int member_find(const char *root, const struct cfg *c, struct member_ref *ref, struct err *err);

/* Rewrite p's SPEC to name its shares under the pod share as NAME's
 * ("pod/NAME/TAG"); the new strings go to owned (cap). Returns how many, or
 * -1 (out of memory or room). */
int member_tags(struct s2v_plan *p, const char *name, char **owned, int cap);

/* Mount p's shares (root, volumes, the single files' stage directories with
 * the files bound in) at POD/NAME/TAG in mvm's mount namespace. 0 or -1. */
int member_attach(pid_t mvm, const char *name, const struct s2v_plan *p, struct err *err);

/* Undo member_attach (what is there of it). 0 or -1. */
int member_detach(pid_t mvm, const char *name, struct err *err);

/* create for a member of ref's pod: as shim_launch, with *pid the member's
 * host process. (member_launch.c) */
int member_launch(struct shim_ctx *g, const struct launch_opts *o, const struct member_ref *ref,
		  pid_t *pid, struct err *err);

#endif
