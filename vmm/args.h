/* mvm's command line. Parsing is separate from main() so tests can check
 * every rejection without running a VM. */
#ifndef MVM_ARGS_H
#define MVM_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/launch.h"
#include "vmm/core/err.h"
#include "vmm/x86/load.h"
#include "vmm/sandbox/seccomp.h"

#define MVM_MAX_FILE_DIRS 2 /* with 12 volumes, the root and vsock: 16 devices */

/* A share mvm serves besides the root: --volume HOST[:ro|:rw] (a directory)
 * or --file HOSTFILE[:ro|:rw]. A file's directory is shared whole (once per
 * directory), so the guest can reach every entry there: it should hold only
 * files meant for the guest (mvrun stages each file into such a directory).
 * Where the guest mounts them, and how, is the container stream's. */
struct mvm_share {
	const char *host;
	bool ro;
};

struct mvm_args {
	const char *kernel, *initrd, *cmdline; /* cmdline: the user's part; may be NULL */
	uint64_t mem_mib;
	int cpus;
	bool console, no_xsave, report, help, version;
	enum boot_mode boot;
	/* Container mode (--root): the container stream's process, from a shared rootfs. */
	const char *root;           /* host directory shared as the container's / */
	bool read_only;             /* the root is served read-only */
	bool share_privileges;      /* --share-privileges: set-id bits and file capabilities may
				     * land on the shares (OCI containers, as under runc) */
	int nvolumes;
	struct mvm_share volumes[MVM_MAX_VOLUMES];
	int nfiles;
	struct mvm_share files[MVM_MAX_FILES];
	int stream_fd;              /* --stream-fd N: the container stream (launch.h), read to
				     * EOF at set-up; required with --root, else -1 */
	const char *vsock_uds;      /* unix socket for host-initiated vsock, or NULL */
	const char *control_socket; /* with --wait-start: where START arrives, or NULL */
	bool wait_start;            /* hold the process after READY until START */
	int ready_fd;               /* gets READY or ERROR (launch.h); -1 none */
	bool net;                   /* --net: virtio-net over a tap in mvm's network namespace,
				     * joined to its interface when the process starts */
	enum sec_mode seccomp;      /* --seccomp kill (default) or log */
	bool print_seccomp, print_surface;
	bool check_host; /* --check-host: say whether this host can boot a Linux guest */
	int seccomp_test;           /* --test-seccomp-violation KIND: a thread kind, or -1 */
	const char *snapshot_save;  /* --snapshot-save DIR: save at the save point, exit; or NULL */
	const char *restore;        /* --restore DIR: start from that snapshot; or NULL */
	bool build_id;              /* --build-id: print snap_build_id() */
	const char *check_snapshot; /* --check-snapshot DIR: would --restore DIR use it? */
};

#define MVM_DEFAULT_MEM_MIB 128

/* Parse argv into a. MVM_NO_XSAVE=1 in the environment implies --no-xsave.
 * Returns 0, or -1 with err (MVM_EXIT_BADARG) naming the flag and the
 * problem. Checks ranges that need no KVM: memory between MVM_MEM_MIN_MIB
 * and the host's RAM, 1 to MVM_MAX_VCPUS vCPUs, a kernel given; in container
 * mode, a stream fd, shares of the form HOST[:ro]. Files are checked when
 * they are loaded, the stream when it is read (agent/session.c). */
int args_parse(int argc, char **argv, struct mvm_args *a, struct err *err);

/* The usage text. */
extern const char mvm_usage[];

#endif
