/* The contract between mvrun and mvm, the one place both sides take it from.
 *
 * mvrun create forks and execs mvm with:
 *   LAUNCH_READY_FD   a pipe mvm answers on, once: READY when the guest has
 *                     set the container up and holds the process, or
 *                     ERROR{status, message} (set-up failed; mvrun exits with
 *                     the status). mvrun's child reports its own failures
 *                     there too, before it becomes mvm.
 *   LAUNCH_STREAM_FD  the container stream, the whole container once: SPEC,
 *                     then CONFINE, SETUP and HOOKS as its flags announce, read
 *                     to EOF before the VM starts. mvm checks it (vmm/agent/stream.h)
 *                     and forwards it to the guest unchanged.
 * mvm's command line holds only what mvm itself acts on: the VM's size, the
 * shares it serves and their policy, the sockets and these fds. The SPEC
 * names the shares by tag: LAUNCH_TAG_ROOT for --root, LAUNCH_TAG_VOLUME
 * with the --volume's index, LAUNCH_TAG_FILES with the index of a --file
 * directory (in the order the directories first come) for its FILES mount,
 * and LAUNCH_TAG_FILE with that index and the file's name for its FILE bind.
 * and serves its control socket (--control-socket) in proto framing only:
 * a client's first message says what it is: START (mvrun start) is answered
 * STARTED once the process has been executed, or ERROR{status, message};
 * EXEC, CONFINE (before an EXEC) and UPDATE make it an exec client
 * (vmm/agent/exec.h), MEMBER a pod member's (proto.h, "Pods": its stream is
 * checked as LAUNCH_STREAM_FD's, its shares under the pod share). A client mvm cannot take (busy, out of fds, a malformed first
 * message) gets ERROR{1, message} and is closed.
 *
 * mvm's exit status is the container's when the guest powers off cleanly,
 * else one of enum mvm_status. The limits are mvm's, which mvrun checks the
 * config against so that a config past them fails naming its field. */
#ifndef MVRUN_PROTO_LAUNCH_H
#define MVRUN_PROTO_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#define LAUNCH_READY_FD 3
#define LAUNCH_STREAM_FD 4

#define LAUNCH_TAG_ROOT "root"
#define LAUNCH_TAG_VOLUME "vol%d"
#define LAUNCH_TAG_FILES "files%d"
#define LAUNCH_TAG_FILE "files%d/%s"

/* mvm's exit statuses. A guest that powers off cleanly gives the status from
 * mvinit's shutdown notice (0 by default); everything else is one of these. */
enum mvm_status {
	MVM_EXIT_OK = 0,
	MVM_EXIT_BADARG = 64,   /* bad argument: missing/non-ELF kernel, memory, vCPUs */
	MVM_EXIT_NOHOST = 69,   /* this host cannot run a Linux guest (no KVM, kvm_pvm) */
	MVM_EXIT_INTERNAL = 70, /* a host-side failure in mvm or a KVM setup ioctl */
	MVM_EXIT_PANIC = 71,    /* the guest reset without mvinit's notice: a kernel panic */
	MVM_EXIT_TRIPLE = 72,   /* the guest triple-faulted (KVM_EXIT_SHUTDOWN) */
	MVM_EXIT_KVMERR = 73,   /* KVM internal or emulation error, or failed entry */
};

#define MVM_MAX_VCPUS 32
#define MVM_MAX_VOLUMES 12 /* directories shared besides the root */
#define MVM_MAX_FILES 32   /* single files bound into the container */
#define MVM_MAX_TMPFS 16
#define MVM_MAX_KERNFS 16  /* proc, sysfs, devpts, mqueue mounts */
#define MVM_MAX_ENV 1024

/* Write one ERROR{status, "message"} to fd (blocking; a message too long is
 * cut). Returns 0, or -1 if it could not be written whole. */
int launch_send_error(int fd, uint32_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write one empty message of this type (READY, START, STARTED) to fd.
 * Returns 0 or -1. */
int launch_send_empty(int fd, uint16_t type);

enum launch_answer {
	LAUNCH_GOT = 0,       /* the awaited empty message */
	LAUNCH_GOT_ERROR = 1, /* ERROR: *status and msg set */
	LAUNCH_EOF = -1,      /* the peer closed (or failed) before a whole message */
	LAUNCH_TIMEOUT = -2,  /* nothing whole within timeout_ms */
	LAUNCH_BAD = -3,      /* a malformed message or one of another type: msg says which */
};

/* Read one answer from fd: the empty message `want` or an ERROR, within
 * timeout_ms (< 0: no limit). ERROR's message is copied to msg (cap bytes,
 * NUL-terminated) as mvm sent it. */
enum launch_answer launch_read_answer(int fd, uint16_t want, int timeout_ms, uint32_t *status,
				      char *msg, size_t cap);

#endif
