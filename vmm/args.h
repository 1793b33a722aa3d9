/* mvm's command line. Parsing is separate from main() so tests can check
 * every rejection without running a VM. */
#ifndef MVM_ARGS_H
#define MVM_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/launch.h"
#include "proto/proto.h"
#include "vmm/err.h"
#include "vmm/linux.h"
#include "vmm/seccomp.h"

#define MVM_MAX_GROUPS 64  /* PROTO_MAX_GROUPS */
#define MVM_MAX_RLIMITS 16 /* PROTO_MAX_RLIMITS */

struct mvm_volume {
	const char *host, *guest; /* host directory, absolute path in the container */
	bool ro;
	uint32_t restrict_flags;  /* PROTO_MOUNT_NOSUID, _NODEV, _NOEXEC, for the guest */
	int seq;                  /* where it came among the mount options */
};

#define MVM_MAX_FILE_DIRS 2 /* with 12 volumes, the root and vsock: 16 devices */

/* --file HOST:GUEST[:OPTIONS] (as --volume's): HOST is a file, bound onto GUEST in the container.
 * Its directory is shared whole (once per directory), so the guest can
 * reach every entry there: it should hold only files meant for the guest
 * (mvrun stages each file into such a directory). */
struct mvm_file {
	const char *host, *guest;
	bool ro;
	uint32_t restrict_flags;  /* as a volume's */
	int seq;
};

/* --mount TYPE:SOURCE:DEST[:OPTIONS] for a TYPE of proc, sysfs, devpts or
 * mqueue (a tmpfs goes with --tmpfs's); OPTIONS are for mvinit to check. */
struct mvm_kernfs {
	const char *type, *source, *dest, *opts;
	int seq;
};

struct mvm_args {
	const char *kernel, *initrd, *cmdline; /* cmdline: the user's part; may be NULL */
	uint64_t mem_mib;
	int cpus;
	bool console, no_xsave, report, help, version;
	enum boot_mode boot;
	/* Container mode (--root): a process from a shared rootfs. */
	const char *root;           /* host directory shared as the container's / */
	bool read_only, tty;
	bool no_onlcr;         /* with tty: the guest's pty keeps "\n" (runc's on a caller's terminal) */
	bool share_privileges;      /* --share-privileges: set-id bits and file capabilities may
				     * land on the shares (OCI containers, as under runc) */
	const char *cwd, *hostname; /* NULL: "/" and unchanged */
	uint32_t uid, gid;
	int nvolumes;
	struct mvm_volume volumes[MVM_MAX_VOLUMES];
	int nfiles;
	struct mvm_file files[MVM_MAX_FILES];
	int ntmpfs;                 /* --tmpfs DEST[:OPTIONS] and --mount tmpfs:SOURCE:DEST[:OPTIONS] */
	const char *tmpfs_dest[MVM_MAX_TMPFS], *tmpfs_opts[MVM_MAX_TMPFS];
	const char *tmpfs_source[MVM_MAX_TMPFS]; /* NULL: "tmpfs" */
	int tmpfs_seq[MVM_MAX_TMPFS];
	int nkernfs;
	struct mvm_kernfs kernfs[MVM_MAX_KERNFS];
	int nmountargs;             /* mount options so far: the guest mounts them in this
				     * order (each one's seq); with a --mount, only them */
	int nenv;
	const char *env[MVM_MAX_ENV];
	int argc;                   /* the command after "--" */
	char **argv;
	/* The process's groups, umask and rlimits (args_proc.c). */
	uint32_t ngroups;           /* --groups G,G,... */
	uint32_t groups[MVM_MAX_GROUPS];
	uint32_t umask;             /* --umask OCTAL, default 022 */
	uint32_t nrlimits;          /* --rlimit RESOURCE:SOFT:HARD (numbers) */
	struct mvm_rlimit {
		uint32_t resource;
		uint64_t soft, hard;
	} rlimits[MVM_MAX_RLIMITS];
	int confine_fd;             /* --confine-fd N: CONFINE, SETUP and HOOKS messages to send
				     * after SPEC (proto/confine.h), read at set-up; -1 */
	const char *vsock_uds;      /* unix socket for host-initiated vsock, or NULL */
	const char *control_socket; /* with --wait-start: where "start" arrives, or NULL */
	bool wait_start;            /* hold the process after READY until "start" */
	int ready_fd;               /* gets "ready\n" / "error STATUS MSG\n"; -1 none */
	bool net;                   /* --net: virtio-net over a tap in mvm's network namespace,
				     * joined to its interface when the process starts */
	enum sec_mode seccomp;      /* --seccomp kill (default) or log */
	bool print_seccomp, print_surface;
	bool check_host; /* --check-host: say whether this host can boot a Linux guest */
	int seccomp_test;           /* --test-seccomp-violation KIND: a thread kind, or -1 */
};

#define MVM_DEFAULT_MEM_MIB 128

/* Parse argv into a. MVM_NO_XSAVE=1 in the environment implies --no-xsave. Returns 0, or -1 with err (MVM_EXIT_BADARG) naming the
 * flag and the problem. Checks ranges that need no KVM: memory between
 * MVM_MEM_MIN_MIB and the host's RAM, 1 to MVM_MAX_VCPUS vCPUs, a kernel
 * given; in container mode, a command, volumes of the form HOST:GUEST[:ro]
 * with an absolute GUEST, env entries of the form K=V, a numeric user. Files
 * are checked when they are loaded. */
int args_parse(int argc, char **argv, struct mvm_args *a, struct mvm_err *err);

/* One of the process options above (opt is its name without "--"): parse v
 * into a. Returns 0, or -1 with err (MVM_EXIT_BADARG). (args_proc.c) */
int args_proc(struct mvm_args *a, const char *opt, const char *v, struct mvm_err *err);

/* The usage text. */
extern const char mvm_usage[];

#endif
