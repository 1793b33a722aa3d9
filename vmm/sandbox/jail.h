/* mvm's jail. jail_begin() (first thing in main) puts mvm in new mount, IPC
 * and UTS namespaces and clones /proc/self/fd of a private proc instance
 * (subset=pid) as a detached mount, which the virtio-fs servers reopen
 * through: nothing above that directory is reachable from it.
 * jail_share() clones each shared directory's mount tree (open_tree), so the
 * server's root fd and the jail's bind mount are the same mounts, submounts
 * included. jail_enter() (last thing before the vCPUs run) builds a
 * read-only tmpfs holding only those trees, pivot_roots into it and drops
 * the old root; then RLIMIT_CORE 0, not dumpable, RLIMIT_NOFILE fixed,
 * every capability dropped but the file-system ones the virtio-fs server
 * needs to act for the guest's root (with shares only), and no_new_privs. */
#ifndef MVM_JAIL_H
#define MVM_JAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/err.h"

#define JAIL_MAX_SHARES 16

/* The capabilities kept with shares: CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH,
 * FOWNER, FSETID, MKNOD, SETFCAP (CapEff 0x8800001f). Without: none. */
#define JAIL_FS_CAPS 0x8800001fULL
/* With --net also NET_ADMIN: at start mvm joins the tap to the namespace's
 * interface (tc) and brings it up. */
#define JAIL_NET_CAPS (1ULL << 12)

struct jail {
	bool begun, entered;
	int proc_fd;                   /* /proc/self/fd, or -1 */
	int nshares;
	int tree[JAIL_MAX_SHARES];     /* detached mount trees, attached at jail_enter */
	char name[JAIL_MAX_SHARES][16];
};

/* New mount (private propagation), IPC and UTS namespaces; the private
 * proc. Needs CAP_SYS_ADMIN. Returns 0 or -1 with err. */
int jail_begin(struct jail *j, struct err *err);

/* Clone the mount tree at path (recursively; read-only with ro; nosuid,
 * nodev and noexec always) to appear in the jail as /name. Returns an O_PATH
 * fd of its root for the caller to keep, or -1 with err. */
int jail_share(struct jail *j, const char *name, const char *path, bool ro, struct err *err);

/* The pod directory: a small writable tmpfs of its own, in the jail at
 * JAIL_POD_DIR, into which mvrun (from outside, in mvm's mount namespace)
 * mounts the shares of pod members (proto/proto.h). Returns an O_PATH-like
 * fd of the tmpfs's root itself, not a clone: mounts made under it later
 * are seen through it. -1 with err. */
int jail_pod(struct jail *j, struct err *err);
#define JAIL_POD_NAME "pod"
#define JAIL_POD_DIR "/" JAIL_POD_NAME

/* A new fd of the private /proc/self/fd (a mount of its own: ".." from it
 * stays in it), or -1 with err. */
int jail_proc_fd(struct jail *j, struct err *err);

/* Build the jail, pivot into it, drop what mvm no longer needs (above):
 * every capability but those in keep (JAIL_FS_CAPS, JAIL_NET_CAPS or 0).
 * Returns 0 or -1 with err. */
int jail_enter(struct jail *j, uint64_t keep, struct err *err);

/* Close the fds the jail holds. Idempotent. */
void jail_fini(struct jail *j);

#endif
