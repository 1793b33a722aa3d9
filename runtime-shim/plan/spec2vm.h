/* The OCI config → the container's plan: mvm's command line (what mvm acts
 * on), the container stream (proto/launch.h: the SPEC and what mvinit
 * applies, written once here), the VM's size, the cgroup to join, and what
 * mvrun accepts without applying it yet.
 *
 * The rule for a setting mvrun cannot honour: if going without it would let
 * the container reach past its own VM, or change what the workload sees of
 * the host (joined namespaces, idmapped mounts), create fails naming the
 * field. mvinit applies the process's user, groups, umask, rlimits,
 * capabilities, no_new_privs and seccomp, and the container's masked and
 * read-only paths, sysctls, devices, domain name and user namespace with its
 * uid and gid maps (spec2vm_confine.c, spec2vm_userns.c), and runs the
 * createContainer and startContainer hooks in the container
 * (spec2vm_hooks.c). What is accepted but
 * weaker in a VM is listed in the plan's notes, which mvrun logs as
 * warnings. */
#ifndef MVRUN_SHIM_SPEC2VM_H
#define MVRUN_SHIM_SPEC2VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/launch.h" /* mvm's limits, MVM_MAX_* */
#include "proto/proto.h"
#include "runtime-shim/oci/config.h"
#include "common/err.h"

#define S2V_DEFAULT_MEM_MIB 256  /* guest RAM without a memory limit */
#define S2V_MEM_OVERHEAD_MIB 16  /* what mvm itself needs beyond guest RAM, within the limit */
#define S2V_MIN_MEM_MIB 64       /* the least guest RAM mvrun boots a container with */
#define S2V_MAX_NOTES 48
/* A pod's sandbox (CRI's io.kubernetes.cri.container-type "sandbox", podman's
 * infra container) without a size of its own: its VM runs the pod's members
 * too, whose limits are held in the guest's cgroups. Guest RAM costs the
 * host only what the guest touches. */
#define S2V_POD_MEM_MIB 1024
#define S2V_POD_CPUS 2

/* What mvrun supplies beyond the config. */
struct s2v_inputs {
	const char *bundle;         /* absolute */
	const char *mvm, *kernel, *initrd;
	const char *control_socket; /* NULL: no --wait-start (never for OCI containers) */
	int ready_fd;               /* the fd number mvm reports readiness on, or -1 */
	const char *state_dir;      /* ROOT/ID, where single files are staged; NULL refuses them */
	int stream_fd;              /* the fd number mvm reads the container stream from (below
				     * 3: not given, unit tests) */
	bool own_terminal;          /* the process's terminal is the caller's (a foreground run
				     * without --console-socket): ONLCR off, as runc's */
	/* mvrun box: the VM's size is mem_mib and cpus (checked by mvm), the
	 * process keeps the guest root's privileges (no CONFINE or SETUP) and
	 * the shares take no set-id files (no --share-privileges). */
	bool sandbox;
	uint64_t mem_mib;
	int cpus;
	/* A pod member (runtime-shim/host/member.c): its namespace paths name
	 * its sandbox's, which it joins in the guest; the hostname is the pod's. */
	bool member;
};

/* A bind mount of a single file: mvm shares directories, so the file is
 * bound (in mvm's own mount namespace) onto `stage`, an empty file in
 * STATE/files or STATE/files-ro, which hold nothing else; mvm shares those
 * with --file and mvinit binds each file onto its destination. */
struct s2v_file {
	char *src;                  /* the host file (absolute) */
	char *stage;                /* STATE/files[-ro]/fN */
};

struct s2v_plan {
	char **argv;                /* mvm's argv, NULL-terminated; every string malloc'd */
	int argc;
	char *rootfs;               /* absolute path of root.path */
	uint64_t mem_mib;           /* guest RAM */
	int cpus;                   /* vCPUs */
	bool tty;                   /* process.terminal */
	bool new_netns;             /* the config asks for a new network namespace */
	const char *netns_path;     /* or names one to join (points into the cfg), or NULL */
	const char *cgroups_path;   /* linux.cgroupsPath (points into the cfg), or NULL */
	struct cg_resources res;    /* what to apply to that cgroup */
	bool cgroupfs;              /* a cgroup mount at /sys/fs/cgroup: mvinit mounts the
				     * container's cgroup2 there (SETUP) */
	uint32_t cgroupfs_flags;    /* its PROTO_MOUNT_RO, _NOSUID, _NODEV, _NOEXEC */
	char *notes[S2V_MAX_NOTES]; /* accepted, not applied yet: one line each */
	int nnotes;
	struct s2v_file files[MVM_MAX_FILES];
	int nfiles;
	/* Every mount's destination (once; a system filesystem's only when no
	 * earlier mount covers it), and whether a file goes there: mvrun makes
	 * the missing ones in the rootfs before launch (mountpoint.c), as runc's
	 * setup does before a read-only root goes ro. */
	struct s2v_mountpoint {
		char *path;
		bool file;
		bool kernfs; /* proc or sysfs: runc wants a real directory there */
	} mps[MVM_MAX_VOLUMES + MVM_MAX_FILES + MVM_MAX_TMPFS + MVM_MAX_KERNFS + 1];
	int nmps;
	/* The SPEC (its strings point into the config and the plan); the
	 * window size is the terminal's, read when the stream is written. */
	struct proto_spec spec;
	char *owned[2 * (MVM_MAX_FILES + MVM_MAX_TMPFS + MVM_MAX_KERNFS + MVM_MAX_VOLUMES) + 2];
	int nowned;                 /* the spec's strings the plan made */
	int nfile_dirs;             /* FILES shares: the stages' directories, in their order */
	bool file_dir_ro[2];
	/* What mvinit applies (proto/confine.h): CONFINE, then SETUP if the
	 * config has any; the stream carries them after the SPEC. */
	struct proto_buf confine;
	uint32_t seccomp_insns;     /* the compiled seccomp program's size, 0 without one */
	bool member;                /* s2v_inputs.member */
	bool guest_hooks;           /* createContainer or startContainer hooks: mvrun adds a
				     * HOOKS (s2v_encode_hooks) to the stream once mvm's pid is known */
};

/* Check c against what mvm can do and build the plan. Host checks are made
 * here: root.path and bind sources exist and are directories or files, the kernel
 * named by org.mvrun.kernel is a file. Returns 0, or -1 with err naming the
 * config field ("config.json: mounts[3]: ..."); on failure nothing is left
 * to free. */
int s2v_build(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *plan,
	      struct err *err);

/* Write the container stream's SPEC, CONFINE and SETUP to b (the HOOKS, when
 * p->guest_hooks, go after them: s2v_encode_hooks), with the window size
 * rows x cols (0: unknown). Returns 0, or -1 (b->failed) when it does not
 * fit. */
int s2v_encode_stream(const struct s2v_plan *p, uint16_t rows, uint16_t cols, struct proto_buf *b);

/* Write the encoded stream b whole into fd (the memfd mvm inherits) and
 * rewind it for mvm. Returns 0, or -1 with errno. */
int s2v_write_stream(int fd, const struct proto_buf *b);

/* p's process as a SPEC's (or an EXEC's) fields in s: user, groups, umask,
 * cwd, argv, env, the console size, and its rlimits, or when it has none
 * ctr's (runc exec's fallback; NULL for none). Strings point into p. */
void s2v_process_spec(const struct cfg_process *p, const struct cfg_process *ctr,
		      struct proto_spec *s);

/* Append the HOOKS message for c's createContainer and startContainer
 * hooks (checked by s2v_build) to b, with `creating` and `created`, the
 * state JSON each kind gets on stdin. Returns 0, or -1 (b->failed) when it
 * does not fit. */
int s2v_encode_hooks(const struct cfg *c, const char *creating, const char *created,
		     struct proto_buf *b);

/* The first of pr's uid, gid and additionalGids that l's uid or gid maps
 * leave unmapped: its field ("process.user.uid", "process.user.gid", or
 * "process.user.additionalGids[i]" written in buf) with the id in *id.
 * NULL when all are mapped, or when l has no maps (no user namespace). */
const char *s2v_unmapped(const struct cfg_process *pr, const struct cfg_linux *l, char *buf,
			 size_t len, uint32_t *id);

/* Release the plan's allocations. */
void s2v_free(struct s2v_plan *plan);

#endif
