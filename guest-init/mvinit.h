/* mvinit's core, which every module includes: exit statuses, util.c, ctl.c
 * and net.c. The modules and their headers:
 *
 *   mvinit.c          main: console, boot mark, plain mode, the container-mode
 *                     driver, power-off (the only place that ends PID 1)
 *   mvi.h             struct mvi, what container mode holds between its steps
 *   util.c            pure helpers: kernel cmdline, PATH lookup, exit statuses
 *                     (unit-tested on the host: tests/unit/guest-init/)
 *   ctl.c             vsock streams and the control conversation (proto.h framing)
 *   net.c             eth0 from NET, or a network namespace with only lo
 *   rootfs/rootfs.h   the container's root: rootfs.c (mounts, switch root,
 *                     hostname, loopback), tmpfs.c, kernfs.c, filebind.c (the
 *                     config's single-file binds), dev.c (/dev as runc makes it),
 *                     copyup.c (tmpcopyup)
 *   confine/confine.h what confines it: confine.c (sysctls, domain name, devices,
 *                     read-only and masked paths; caps, no_new_privs, seccomp in
 *                     each process), cgroup.c (cgroup2 in the guest; devices on
 *                     v1), userns.c (its user namespace)
 *   process/process.h its processes: relay.c (stdio pumps), pidns.c (its PID
 *                     namespace), spawn.c (fork and exec with the spec's
 *                     settings), exec.c (EXEC), member.c (pod members:
 *                     other containers in the running VM, each with an init
 *                     of its own), hooks.c (hooks in the container), proc.c
 *                     (stdio, reaping, signals, supervision)
 *
 * Exit statuses mvinit reports (to the host in ERROR/EXIT and to mvm through
 * MVM_PORT_SHUTDOWN); the process's own status is 0..255 or 128+signal.
 */
#ifndef MVRUN_MVINIT_H
#define MVRUN_MVINIT_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "proto/confine.h"
#include "proto/hooks.h"
#include "proto/proto.h"
#include "proto/proto_net.h"

#define MVI_EXIT_SETUP 1      /* container setup failed (as runc's create) */
#define MVI_EXIT_NOEXEC 126   /* argv[0] found but not executable */
#define MVI_EXIT_NOTFOUND 127 /* argv[0] not found */
#define MVI_EXIT_HOOK 255     /* a startContainer hook failed (runc's init's status) */
#define MVI_EXIT_HOSTGONE 137 /* control stream dropped: as if SIGKILLed */

#define MVI_NEWROOT "/mnt/root" /* where the root share is set up */
#define MVI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MVI_MAX_PENDING_SIGS 32

/* ---- util.c ---- */

/* Print "mvinit: <formatted>" on stderr (the console). */
void mvi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What the kernel command line asks of mvinit. */
struct mvi_boot {
	int exit_status; /* mvinit.exit=N (plain mode), 0..255 */
	bool panic;      /* mvinit.panic=1 (plain mode) */
	bool control;    /* mvinit.control=1: container mode */
};

/* Parse /proc/cmdline's text into b (fields keep their value unless
 * a param sets them; later params win). Malformed values are reported on
 * stderr and ignored. Modifies line. */
void mvi_parse_cmdline(char *line, struct mvi_boot *b);

/* Count the CPUs in a sysfs cpu list such as "0-1,3\n"; -1 if malformed. */
int mvi_count_cpus(const char *s);

/* The exit status a wait status stands for: the code, or 128+signal. */
int mvi_wait_status(int wstatus);

/* The value of NAME in a NULL-terminated "K=V" list, or NULL. */
const char *mvi_env_get(const char *const *env, const char *name);

/* Resolve an argv[0] as runc does (Go's exec.LookPath): a name with a '/'
 * is used as is (relative to the cwd); otherwise each element of path
 * (NULL: MVI_DEFAULT_PATH; an empty element is ".") is tried for a
 * regular file with an x bit. Writes the result to out. Returns 0, or an
 * errno: ENOENT when not found, EACCES for a directory or a file without
 * x bits (named with a '/'), ENAMETOOLONG, or stat's error. */
int mvi_lookpath(const char *file, const char *path, char *out, size_t size);

/* Describe a failure to run `file` (err from mvi_lookpath or execve) in e,
 * runc style: `exec "foo": executable file not found in $PATH` (searched,
 * ENOENT) and other ENOENT/ENOTDIR give MVI_EXIT_NOTFOUND, anything else
 * (`exec "/etc": permission denied`) MVI_EXIT_NOEXEC. Returns -1. */
int mvi_exec_fail(struct err *e, const char *file, int err, bool searched);

#define MVI_UNMAPPED 0xffffffffu /* an id no map line covers */

/* Id `id` of a user namespace with map m (n lines, as proto_idmap) as its
 * parent knows it, or MVI_UNMAPPED. */
uint32_t mvi_map_id(const struct proto_idmap *m, uint32_t n, uint32_t id);

/* ---- ctl.c ---- */

/* A message read from the control stream; payload is malloc'd (hdr.len
 * bytes, NULL if 0) and owned by whoever holds the message. */
struct ctl_msg {
	struct proto_hdr hdr;
	uint8_t *payload;
};

/* Reassembles messages from a non-blocking stream, reading no further than
 * the end of the current message. */
struct ctl_reader {
	uint8_t hdr[PROTO_HDR_LEN];
	size_t got; /* bytes of the current message so far (header included) */
	struct ctl_msg msg;
};

enum ctl_status {
	CTL_MORE = 0,  /* no whole message yet (EAGAIN) */
	CTL_MSG = 1,   /* *out holds a message */
	CTL_EOF = -1,  /* the host closed the stream (or reset it) */
	CTL_BAD = -2,  /* a header proto_parse_hdr rejects: the stream is lost */
	CTL_FAIL = -3, /* out of memory or an unexpected read error */
};

/* Connect a stream socket to the host (CID 2) on port. Returns the fd
 * (O_CLOEXEC, blocking), or -1 with e set (MVI_EXIT_SETUP). */
int ctl_connect(uint32_t port, struct err *e);

/* Read what fd has for r (fd non-blocking). On CTL_MSG the message moves to
 * *out and r starts over. Any other result leaves r resumable (CTL_MORE)
 * or dead. */
enum ctl_status ctl_read(int fd, struct ctl_reader *r, struct ctl_msg *out);

/* Block (poll) until a whole message arrives; same results but CTL_MORE. */
enum ctl_status ctl_wait(int fd, struct ctl_reader *r, struct ctl_msg *out);

/* Free the message's payload. */
void ctl_msg_free(struct ctl_msg *m);

/* Send a whole message, waiting for the stream as needed. Return 0, or -1
 * (errno) if the stream failed. */
int ctl_send_hello(int fd);
int ctl_send_ready(int fd);
int ctl_send_started(int fd);
int ctl_send_error(int fd, const struct err *e);
int ctl_send_exit(int fd, uint32_t status);
int ctl_send_exec_started(int fd, uint32_t id);
int ctl_send_exec_error(int fd, uint32_t id, const struct err *e);
int ctl_send_exec_exit(int fd, uint32_t id, uint32_t status);

/* End the conversation so that what was sent reaches the host before the
 * VM resets: close fd, waiting at most linger_s seconds for the host to
 * acknowledge the close. */
void ctl_finish(int fd, int linger_s);

/* ---- net.c ---- */

/* Set eth0 up as n says (MAC, MTU, addresses, then routes), or, without
 * PROTO_NET_UP, move mvinit (and so the process to come) into a network
 * namespace of its own with only lo. Returns 0, or -1 with e naming the
 * step (MVI_EXIT_SETUP). */
int net_apply(const struct proto_net *n, struct err *e);

/* ---- fresh.c ---- */

/* The save point (proto/mvm_port.h): tell mvm mvinit is up and waiting
 * (an mvm making a snapshot saves the guest here), then reseed the RNG and
 * set the clock from the fresh record mvm gives, restored or not. Call
 * before anything of a container is read. No-op without the port. */
void mvi_save_point(bool have_port);

#endif
