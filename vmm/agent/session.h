/* Container mode of mvm (--root): the container stream (launch.h), the
 * virtio-fs shares, the vsock device and the control client. */
#ifndef MVM_BOX_H
#define MVM_BOX_H

#include <stdbool.h>
#include <termios.h>

#include "proto/proto.h"
#include "vmm/args.h"
#include "vmm/agent/ctr.h"
#include "vmm/core/err.h"
#include "vmm/sandbox/jail.h"
#include "vmm/virtio/fs.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/vsock/vsock.h"
#include "vmm/core/vm.h"

#define BOX_GUEST_CID 3

/* The shares' tags (launch.h), and the shares behind --file: one per
 * directory, and each file's tag. */
struct session_files {
	char vol_tags[MVM_MAX_VOLUMES][16];
	int ndirs;
	char dirs[MVM_MAX_FILE_DIRS][4096];
	bool dir_ro[MVM_MAX_FILE_DIRS];
	char dir_tags[MVM_MAX_FILE_DIRS][16];
	char file_tags[MVM_MAX_FILES][16 + 256]; /* "filesD/NAME" */
	int nnames[MVM_MAX_FILE_DIRS];           /* the files of each share, by name: */
	const char *names[MVM_MAX_FILE_DIRS][MVM_MAX_FILES]; /* its only entries */
};

struct session {
	struct proto_buf stream;  /* --stream-fd's messages, checked; the guest gets them whole */
	uint32_t spec_flags;      /* the stream's SPEC's PROTO_SPEC_* */
	struct ctr ctr;
	bool ctr_made;  /* ctr_init ran (its fds are valid or -1) */
	struct vsock vsock;
	bool vsock_ok;
	struct vnet net;   /* with --net */
	bool net_ok;
	int nfs;
	struct vfsdev fs[1 + MVM_MAX_VOLUMES + MVM_MAX_FILE_DIRS + 1]; /* + the pod share */
	struct session_files files;
	struct vfs_policy policy; /* every share's: --share-privileges and SETUP's */
	struct vfs_budget budget; /* the inodes and handles of all the shares */
	struct termios saved;
	bool raw; /* the caller's terminal is in raw mode until session_fini */
};

/* The volumes' tags, and the --file files grouped by directory: one share
 * each, all ro or all rw, tagged as launch.h says. Returns 0 or -1 with err. */
int session_files(const struct mvm_args *a, struct session_files *f, struct err *err);

/* The tags of the shares mvm serves for a, with f from session_files: the
 * root, the volumes, the file directories, the single files, in that order,
 * into tags (room for SESSION_MAX_TAGS). Returns how many. */
#define SESSION_MAX_TAGS (1 + MVM_MAX_VOLUMES + MVM_MAX_FILE_DIRS + MVM_MAX_FILES)
int session_share_tags(const struct mvm_args *a, const struct session_files *f, const char **tags);

/* Read and check the container stream, open the shares (through the jail j, or by path when j
 * is NULL), create the vsock device and the control client, and attach the
 * devices to vm. Call before vm_run() on the main thread (it blocks the
 * forwarded signals for every thread to come). Puts the terminal in raw
 * mode when the SPEC asks for a tty. Returns 0 or -1 with err. */
int session_setup(struct session *b, const struct mvm_args *a, struct vm *vm, struct jail *j,
	      struct err *err);

/* mvm's status once the VM stopped: the process's, or the status of a
 * container error (with its message in line). vm_status is what the stop
 * reason alone gave. Tells the ready fd, if it never heard, why. */
int session_status(struct session *b, int vm_status, char *line, size_t cap);

/* Put the caller's terminal back as it was (--tty). Idempotent. */
void session_restore_tty(struct session *b);

/* A failure before the container was ready, told to whoever waits on the
 * ready fd (mvrun) as ERROR{1, MSG} (launch.h) whatever mvm's exit code:
 * through the container once it has the fd, else on ready_fd itself.
 * Returns true when told, false when no one waits or the container said
 * ready already (then the caller prints it). */
bool session_fail_ready(struct session *b, int ready_fd, const char *msg);

/* Release everything; restore the terminal. Safe after a failed setup. */
void session_fini(struct session *b);

#endif
