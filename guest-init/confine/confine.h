/* What confines the container in the guest: confine.c (sysctls, devices,
 * masked paths; caps, no_new_privs, seccomp per process), cgroup.c, userns.c. */
#ifndef MVRUN_GI_CONFINE_CONFINE_H
#define MVRUN_GI_CONFINE_CONFINE_H

#include "guest-init/mvinit.h"

/* ---- confine.c ---- */

/* SETUP: sysctls through procsys (an fd of the initramfs's /proc/sys)
 * and the domain name (before the root is mounted), then inside the root
 * devices, read-only and masked paths. Return 0 or -1 with e
 * (MVI_EXIT_SETUP). */
int confine_setup_kernel(int procsys, const struct proto_setup *s, struct err *e);
/* The net.* sysctls again, after mvinit moved into a network namespace of
 * its own (net.c): they are per namespace, and procsys, opened before the
 * container's /proc/sys became read-only, resolves them in the caller's.
 * 0 or -1 with e (MVI_EXIT_SETUP). */
int confine_setup_net(int procsys, const struct proto_setup *s, struct err *e);
int confine_setup_root(int rootfd, const struct proto_setup *s, struct err *e);

/* CONFINE, in a process's child, each a no-op when c does not ask for it.
 * They return 0 or -1 with errno; *cap names the capability that failed.
 *   confine_seccomp   install the program (seccomp(2) with c's flags)
 *   confine_bounding  drop what the bounding set lacks; keep caps across setuid
 *   confine_caps      capset effective, permitted, inheritable; raise ambient
 *   confine_nnp       PR_SET_NO_NEW_PRIVS
 *   confine_oom       write oom_score_adj to /proc/self/oom_score_adj */
int confine_seccomp(const struct proto_confine *c);
int confine_bounding(const struct proto_confine *c, uint32_t *cap);
int confine_caps(const struct proto_confine *c, uint32_t *cap);
int confine_nnp(const struct proto_confine *c);
int confine_oom(const struct proto_confine *c);

/* ---- cgroup.c (prefix mvi_cgroup_) ---- */

#define MVI_CGROUP_MAX 4 /* hierarchies: cgroup2, devices (v1), and room for more */

/* The container's cgroup: an fd (O_WRONLY, CLOEXEC) of cgroup.procs in each
 * hierarchy mvinit set up, and of each hierarchy's root cgroup.procs until
 * mvi_cgroup_ns (then -1). Zero it (n = 0) before mvi_cgroup_v2. */
struct mvi_cgroup {
	int n;
	int procs[MVI_CGROUP_MAX];
	int root_procs[MVI_CGROUP_MAX];
	int v2; /* O_PATH fd of the container's cgroup2 directory, 0 before */
	char name[16]; /* the container's cgroup under each root: "" is "c" (a pod member's: "mN") */
};

/* The cgroup2 hierarchy (memory, cpu, pids, cpuset: what the kernel has),
 * mounted in the initramfs, and the container's cgroup "c" in it with s's
 * cgroup files written in order (s NULL: none). Made for every container,
 * so that an UPDATE can set limits later. Before mvi_cgroup_setup. 0 or -1
 * with e naming the file (MVI_EXIT_SETUP). */
int mvi_cgroup_v2(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e);

/* Before switch_root (the hierarchies go in the initramfs): mount the
 * devices controller's v1 hierarchy (the guest kernel has no cgroup BPF for
 * a v2 device filter), make the container's cgroup and apply s to it: deny
 * all, then s->devrules in order. Returns 0, or -1 with e naming the
 * controller and the file (MVI_EXIT_SETUP); the fds already opened stay in
 * cg. */
int mvi_cgroup_setup(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e);

/* Once every hierarchy is set up, before the container's mounts: unshare
 * mvinit's cgroup namespace rooted at the container's cgroup, so every
 * process it starts sees its own cgroup as "/" (/proc/self/cgroup "0::/").
 * mvinit itself stays in the root cgroups. 0 or -1 with e. */
int mvi_cgroup_ns(struct mvi_cgroup *cg, struct err *e);

/* Mount the container's cgroup2 at s->cgroupfs in the root (nothing when
 * it is ""), with s's flags. After mvi_cgroup_ns. 0 or -1 with e. */
int mvi_cgroup_mount(int rootfd, const struct proto_setup *s, struct err *e);

/* In a process's child, before execve: move the caller into the container's
 * cgroup in every hierarchy of cg (NULL or none: a no-op). 0 or -1 with errno. */
int mvi_cgroup_join(const struct mvi_cgroup *cg);

struct mvi;
struct ctl_msg;
/* An UPDATE from the host (msg): write its cgroup files, send its signal
 * (if any) to every process in the container's cgroup tree, and answer
 * EXEC_EXIT{id, 0}, or EXEC_ERROR{id, 1, why}. A malformed one is ignored
 * with a warning. */
void mvi_cgroup_update(struct mvi *m, const struct ctl_msg *msg);

/* ---- userns.c (prefix userns_) ---- */

/* The container's user namespace and the namespaces it owns, as fds to
 * join (-1: none, the container runs in the guest's), and the holder's
 * root (the container's root in its mount namespace); setup holds the
 * maps. */
struct mvi_userns {
	int user, mnt, uts, ipc, root;
	const struct proto_setup *setup;
};

/* No user namespace: every fd -1. */
void userns_init(struct mvi_userns *u);

/* After the switch of root: with id maps in s (NULL or none: u stays
 * empty, 0), make the user namespace (proc: a /proc that shows mvinit's
 * children, the container's may not) with them and a mount, UTS and IPC
 * namespace owned by it (a fresh mqueue on /dev/mqueue), and keep them in
 * u; the container's mounts become shared (the new namespace's are their
 * slaves). s must outlive u. Returns 0, or -1 with e naming the step
 * (MVI_EXIT_SETUP). */
int userns_create(const struct proto_setup *s, int proc, struct mvi_userns *u,
		  struct err *e);

/* In a child before it drops privileges: join u's namespaces (the user
 * namespace first), chroot back into the container's root, and become root
 * of the namespace when the maps have one. 0 (also without a namespace),
 * or -1 with errno. */
int userns_enter(const struct mvi_userns *u);

/* A container uid or gid as the guest knows it (the id itself without a
 * namespace), or MVI_UNMAPPED. */
uint32_t userns_uid(const struct mvi_userns *u, uint32_t id);
uint32_t userns_gid(const struct mvi_userns *u, uint32_t id);

#endif
