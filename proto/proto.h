/* The host<->guest control protocol: one codec, compiled into mvm and into
 * mvinit, and the only code that parses control bytes.
 *
 * Framing: every message is a 8-byte header followed by `len` payload bytes.
 *   u16 version (PROTO_VERSION) | u16 type (enum proto_type) | u32 len
 * All integers are little-endian. Strings are u32 n, then n bytes of which
 * the last is NUL and no other is. A message never exceeds PROTO_MAX_MSG.
 *
 * Conversation on the control stream (guest port PROTO_PORT_CONTROL, opened
 * by the guest to the host):
 *   guest HELLO → host SPEC [→ host CONFINE] [→ host SETUP] [→ host HOOKS] →
 *   guest READY
 *   (or ERROR) → host START → guest STARTED once the process has been
 *   executed (or ERROR: it could not be) →
 *   host SIGNAL/RESIZE any time → guest EXIT → guest powers off.
 * With a virtio-net device, the host sends NET (proto_net.h) right before
 * START; the guest configures eth0 from it before the process runs.
 * The process's stdio are separate vsock streams the guest opens to ports
 * PROTO_PORT_STDIN/STDOUT/STDERR (with a tty: only PROTO_PORT_TTY).
 *
 * Exec (another process in the running container), after START:
 *   host EXEC{id} → guest opens the exec's stdio streams (ports
 *   PROTO_EXEC_PORT(id, PROTO_EXEC_STDIN..)) → guest EXEC_STARTED{id} (or
 *   EXEC_ERROR{id}) → host EXEC_SIGNAL/EXEC_RESIZE{id} any time → guest
 *   EXEC_EXIT{id}. Exactly one EXEC_ERROR or EXEC_EXIT ends each id; the
 *   host picks ids below PROTO_MAX_EXECS and reuses one only after that.
 * mvm's exec clients (mvrun exec, on the control socket) speak the same
 * framing: they send EXEC (id ignored), SIGNAL and RESIZE, and get
 * EXEC_FD (one per stdio stream, the fd attached as SCM_RIGHTS),
 * EXEC_STARTED, EXEC_ERROR and EXEC_EXIT.
 *
 * Pods: a member is another container in the running VM (the sandbox's),
 * with its own root, mounts, cgroup and process, and the sandbox's network,
 * IPC and UTS namespaces. Its client (the member's host process, mvrun) sends
 * mvm MEMBER{0, stream}: the member's container stream exactly as
 * LAUNCH_STREAM_FD carries one (launch.h), whose shares are all tags under
 * the pod share (PROTO_POD_TAG: "pod/NAME/..."). mvm checks it as a
 * container's, gives the member an id (an exec slot: below PROTO_MAX_EXECS,
 * at most PROTO_MAX_MEMBERS at once) and passes each of its messages on as
 * MEMBER{id, message}. The member's conversation inside the envelope is a
 * container's: host SPEC [CONFINE] [SETUP] [HOOKS] → guest opens the
 * member's stdio streams (ports PROTO_EXEC_PORT(id, ...)) → guest READY (or
 * ERROR) → host START → guest STARTED (or ERROR) → host SIGNAL/RESIZE →
 * guest EXIT; exactly one ERROR or EXIT ends a member. A member's EXEC,
 * EXEC_CONFINE, EXEC_SIGNAL, EXEC_RESIZE and UPDATE go the same way, its
 * EXEC_STARTED, EXEC_ERROR and EXEC_EXIT come back so; their ids are mvm's
 * exec ids. To its client mvm answers as to an exec client: EXEC_FD for
 * each stream, READY, then EXEC_STARTED, EXEC_ERROR{id} and EXEC_EXIT{id};
 * the client sends START, SIGNAL and RESIZE. A client that leaves takes its
 * member with it (SIGNAL SIGKILL, before or after START).
 */
#ifndef MVRUN_PROTO_H
#define MVRUN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_HDR_LEN 8
#define PROTO_MAX_MSG (1u << 20)
#define PROTO_MAX_STRS 8192   /* argv + env + groups + mounts, per SPEC */
#define PROTO_MAX_MOUNTS 96 /* mvm's files, volumes, tmpfs and --mount, and the FILES shares */
#define PROTO_MAX_RLIMITS 16
#define PROTO_MAX_GROUPS 64
#define PROTO_MAX_MEMBERS 16 /* members of a pod running at once */
#define PROTO_POD_TAG "pod"  /* the pod share's tag; members' shares are "pod/NAME/SHARE" */

/* vsock ports on the host (CID 2) that the guest connects to. */
#define PROTO_PORT_CONTROL 1024
#define PROTO_PORT_STDIN 1025
#define PROTO_PORT_STDOUT 1026
#define PROTO_PORT_STDERR 1027
#define PROTO_PORT_TTY 1028

/* Exec stdio streams: four ports per exec id, from PROTO_PORT_EXEC_BASE. */
#define PROTO_MAX_EXECS 64
#define PROTO_PORT_EXEC_BASE 2048
enum proto_exec_stream { PROTO_EXEC_STDIN, PROTO_EXEC_STDOUT, PROTO_EXEC_STDERR, PROTO_EXEC_TTY,
			 PROTO_EXEC_NSTREAMS };
#define PROTO_EXEC_PORT(id, stream) (PROTO_PORT_EXEC_BASE + 4u * (id) + (stream))

enum proto_type {
	PROTO_HELLO = 1,  /* guest: u32 proto version */
	PROTO_SPEC,       /* host: struct proto_spec */
	PROTO_READY,      /* guest: container set up, process not started */
	PROTO_ERROR,      /* guest: u32 exit status to report, str message */
	PROTO_START,      /* host: run the process */
	PROTO_SIGNAL,     /* host: u32 signal number */
	PROTO_RESIZE,     /* host: u16 rows, u16 cols */
	PROTO_EXIT,       /* guest: u32 status (0..255, 128+N for signal N) */
	PROTO_EXEC,       /* host: u32 id, then a SPEC's payload (root_tag, hostname,
			   * mounts ignored) */
	PROTO_EXEC_STARTED, /* guest: u32 id; the exec's process is running */
	PROTO_EXEC_ERROR, /* guest: u32 id, u32 status, str message; it never ran */
	PROTO_EXEC_EXIT,  /* guest: u32 id, u32 status (as EXIT) */
	PROTO_EXEC_SIGNAL,/* host: u32 id, u32 signal number */
	PROTO_EXEC_RESIZE,/* host: u32 id, u16 rows, u16 cols */
	PROTO_EXEC_FD,    /* mvm to an exec client only: u32 stream (enum
			   * proto_exec_stream), the stream's fd as SCM_RIGHTS */
	/* Networking (proto_net.h). */
	PROTO_NET,        /* host, before START: struct proto_net, eth0's set-up */
	/* Confinement (proto/confine.h). */
	PROTO_CONFINE,    /* host: struct proto_confine; after SPEC when its flags have
			   * PROTO_SPEC_CONFINE. An exec client sends one to mvm before EXEC */
	PROTO_SETUP,      /* host: struct proto_setup; after SPEC (and CONFINE) when its flags
			   * have PROTO_SPEC_SETUP */
	PROTO_EXEC_CONFINE, /* host: u32 id, then a CONFINE's payload; right before an
			     * EXEC{id} whose flags have PROTO_SPEC_CONFINE */
	PROTO_UPDATE,     /* host: u32 id, new limits (confine.h); answered as an exec */
	PROTO_HOOKS,      /* host: the hooks that run in the container (hooks.h); after SPEC
			   * (CONFINE, SETUP) when its flags have PROTO_SPEC_HOOKS */
	PROTO_STARTED,    /* guest, empty: the process runs (its execve succeeded); answers
			   * START before anything the process causes, as EXIT */
	PROTO_MEMBER,     /* either way: u32 member id, then one whole message of that
			   * member's own conversation (pods, below); from a member's
			   * client to mvm: u32 (ignored), then its container stream */
	PROTO_TYPE_MAX,
};

#define PROTO_SPEC_TTY 0x1          /* the process gets a pty */
#define PROTO_SPEC_READONLY_ROOT 0x2
/* With TTY: the pty does not turn "\n" into "\r\n" (ONLCR off), as runc's
 * pty for a caller's own terminal (run or exec without --console-socket). */
#define PROTO_SPEC_NO_ONLCR 0x4
/* The spec's mounts are all of the container's, in the config's order, the
 * system filesystems among them (KERNFS, TMPFS): mvinit adds none of its own. */
#define PROTO_SPEC_ALL_MOUNTS 0x8
#define PROTO_SPEC_CONFINE 0x100    /* a CONFINE (EXEC_CONFINE for an exec) comes with it */
#define PROTO_SPEC_SETUP 0x200      /* a SETUP follows (SPEC only) */
/* 0x400 is PROTO_SPEC_HOOKS (hooks.h) */
#define PROTO_MOUNT_RO 0x1
/* A share of files, mounted outside the container (path unused): its
 * entries are bound one by one by PROTO_MOUNT_FILE entries after it. */
#define PROTO_MOUNT_FILES 0x2
/* tag is "SHARE/NAME": bind file NAME of the FILES share SHARE onto path. */
#define PROTO_MOUNT_FILE 0x4
/* A tmpfs of the guest's own at path; tag is its options: "size=N", "mode=N",
 * "nr_inodes=N", "uid=N", "gid=N", "ro", "nosuid", "nodev", "noexec",
 * comma-separated (mvinit refuses others). */
#define PROTO_MOUNT_TMPFS 0x8
/* On a share or a FILE bind: mount flags mvinit applies in the guest (the
 * config's bind options; mvm's own view of a share has them all). */
#define PROTO_MOUNT_NOSUID 0x10
#define PROTO_MOUNT_NODEV 0x20
#define PROTO_MOUNT_NOEXEC 0x40
/* On a share or a FILE bind: the propagation mvinit gives the mount (the
 * config's shared, slave, private or unbindable; at most one), with
 * PROTO_MOUNT_PROP_REC for its r-form. */
#define PROTO_MOUNT_SHARED 0x80
#define PROTO_MOUNT_SLAVE 0x100
#define PROTO_MOUNT_PRIVATE 0x200
#define PROTO_MOUNT_UNBINDABLE 0x400
#define PROTO_MOUNT_PROP_REC 0x800
#define PROTO_MOUNT_PROP_MASK 0xf80
/* A filesystem of the guest kernel's own at path: fstype proc, sysfs,
 * devpts or mqueue, mounted from source; tag is its options, comma-
 * separated: ro, rw, nosuid, nodev, noexec and the type's data (mvinit
 * refuses others). */
#define PROTO_MOUNT_KERNFS 0x1000

struct proto_mount {
	const char *tag;   /* virtio-fs tag of the share ("SHARE/NAME" for a FILE) */
	const char *path;  /* where it goes in the container */
	uint32_t flags;    /* PROTO_MOUNT_* */
	const char *fstype, *source; /* a KERNFS's type; a KERNFS's or TMPFS's source
				      * (NULL encodes as "": "tmpfs" for a TMPFS) */
};

struct proto_rlimit {
	uint32_t resource;
	uint64_t soft, hard;
};

/* The process and container the host asks for. In a decoded spec every
 * string points into the message buffer and every array into the scratch
 * space given to proto_decode_spec(). */
struct proto_spec {
	uint32_t flags;      /* PROTO_SPEC_* */
	uint32_t uid, gid, umask;
	uint32_t ngroups;
	uint32_t groups[PROTO_MAX_GROUPS];
	uint16_t rows, cols; /* initial window size with a tty, 0 = unknown */
	const char *cwd;
	const char *hostname; /* "" = leave as is */
	const char *root_tag; /* share mounted as / */
	uint32_t argc, envc, nmounts, nrlimits;
	const char **argv;    /* argc entries, then NULL */
	const char **env;     /* envc entries, then NULL */
	struct proto_mount mounts[PROTO_MAX_MOUNTS];
	struct proto_rlimit rlimits[PROTO_MAX_RLIMITS];
};

/* A growable output buffer. */
struct proto_buf {
	uint8_t *data;
	size_t len, cap;
	int failed; /* set when an append did not fit or allocation failed */
};

/* A decoded message header. */
struct proto_hdr {
	uint16_t version, type;
	uint32_t len;
};

/* Parse the 8 header bytes. Returns 0, or -1 if the version is not
 * PROTO_VERSION, the type unknown, or len above PROTO_MAX_MSG - header. */
int proto_parse_hdr(const uint8_t hdr[PROTO_HDR_LEN], struct proto_hdr *out);

/* Encoders: append one whole message (header included) to b. They return 0,
 * or -1 if it would exceed PROTO_MAX_MSG or memory ran out (b->failed set,
 * and nothing of that message is left in b).
 * The buffer is malloc'd; free it with proto_buf_free(). */
int proto_encode_u32(struct proto_buf *b, enum proto_type type, uint32_t v);
int proto_encode_empty(struct proto_buf *b, enum proto_type type);
int proto_encode_resize(struct proto_buf *b, uint16_t rows, uint16_t cols);
int proto_encode_error(struct proto_buf *b, uint32_t status, const char *msg);
int proto_encode_spec(struct proto_buf *b, const struct proto_spec *s);
int proto_encode_exec(struct proto_buf *b, uint32_t id, const struct proto_spec *s);
/* Two u32s: EXEC_EXIT and EXEC_SIGNAL (id, value). */
int proto_encode_pair(struct proto_buf *b, enum proto_type type, uint32_t id, uint32_t v);
int proto_encode_exec_error(struct proto_buf *b, uint32_t id, uint32_t status, const char *msg);
int proto_encode_exec_resize(struct proto_buf *b, uint32_t id, uint16_t rows, uint16_t cols);
/* A message whose payload is given whole (for codecs of their own, such as
 * proto_net.c). */
int proto_encode_raw(struct proto_buf *b, enum proto_type type, const void *payload, size_t len);
void proto_buf_free(struct proto_buf *b);

/* Decoders take the payload (after the header). They return 0, or -1 if the
 * payload is truncated, has trailing bytes, or breaks a limit. */
int proto_decode_u32(const uint8_t *p, size_t len, uint32_t *v);
/* READY, START, STARTED: 0 if the payload is empty. */
int proto_decode_empty(const uint8_t *p, size_t len);
int proto_decode_resize(const uint8_t *p, size_t len, uint16_t *rows, uint16_t *cols);
/* msg points into p (NUL-terminated there). */
int proto_decode_error(const uint8_t *p, size_t len, uint32_t *status, const char **msg);
/* `scratch` holds argv and env pointer arrays: nscratch entries, at least
 * argc + envc + 2. Strings point into p, which must outlive the spec. */
int proto_decode_spec(const uint8_t *p, size_t len, struct proto_spec *s, const char **scratch,
		      size_t nscratch);
/* EXEC: the id, then the spec as proto_decode_spec() gives it. The id is
 * not range-checked here: the receiver knows its table. */
int proto_decode_exec(const uint8_t *p, size_t len, uint32_t *id, struct proto_spec *s,
		      const char **scratch, size_t nscratch);
int proto_decode_pair(const uint8_t *p, size_t len, uint32_t *id, uint32_t *v);
/* msg points into p. */
int proto_decode_exec_error(const uint8_t *p, size_t len, uint32_t *id, uint32_t *status,
			    const char **msg);
int proto_decode_exec_resize(const uint8_t *p, size_t len, uint32_t *id, uint16_t *rows,
			     uint16_t *cols);

/* MEMBER{id, msg}: msg is one whole message (header and payload, len
 * bytes), not itself a MEMBER. Returns 0 or -1 as the encoders. */
int proto_encode_member(struct proto_buf *b, uint32_t id, const uint8_t *msg, size_t len);
/* MEMBER{id, message}: *inner gets the message's header, *payload points
 * into p at its payload. -1 unless p holds exactly one well-formed message
 * after the id, of a type other than MEMBER. The id is not range-checked. */
int proto_decode_member(const uint8_t *p, size_t len, uint32_t *id, struct proto_hdr *inner,
			const uint8_t **payload);
/* Is t a member's share tag: "pod/NAME/SHARE[/FILE]", every part a plain
 * name (no "", ".", ".."), at most 255 bytes? */
int proto_pod_tag(const char *t);

#endif
