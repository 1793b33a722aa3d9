/* The container's confinement, as mvrun asks mvinit to apply it: the
 * process's capabilities, no_new_privs and seccomp program (CONFINE, and
 * EXEC_CONFINE for an exec), the container's masked and read-only paths,
 * sysctls, device nodes, domain name and cgroup (SETUP), and a running
 * container's new cgroup limits or a signal for all its processes (UPDATE).
 * Same framing and string rules as proto.h; these messages follow a SPEC
 * or precede an EXEC as its flags announce (PROTO_SPEC_CONFINE,
 * PROTO_SPEC_SETUP).
 *
 * CONFINE payload:
 *   u32 flags (PROTO_CONFINE_*) | 5 x u64 capability sets (enum
 *   proto_cap_set order) | u32 seccomp flags | u32 n | n x 8 bytes of BPF |
 *   with PROTO_CONFINE_OOM only: u32 oom_score_adj (two's complement)
 * SETUP payload:
 *   str domainname | u32 n, n x str masked | u32 n, n x str readonly |
 *   u32 n, n x (str key, str value) sysctl |
 *   u32 n, n x (str path, u32 type, major, minor, mode, uid, gid) devices |
 *   u32 n, n x (u32 allow, type, major, minor, access) device cgroup rules |
 *   u32 n, n x (str name, str value) the container's cgroup v2 files |
 *   str cgroupfs (where the container's cgroup2 is mounted, "" for nowhere) |
 *   u32 cgroupfs flags (PROTO_MOUNT_RO, _NOSUID, _NODEV, _NOEXEC) |
 *   u32 n, n x (u32 inside, outside, count) uid map |
 *   u32 n, n x (u32 inside, outside, count) gid map
 *   (both maps empty: no user namespace; else both given, and the
 *   container's processes run in a user namespace with them) |
 *   u32 flags (PROTO_SETUP_*)
 * UPDATE payload (host, any time after SPEC: a running container's new
 * limits; mvrun update sends it to mvm in place of an EXEC, and mvm passes it
 * on with the exec id it picked; the guest answers EXEC_EXIT{id, 0} once it
 * is applied, or EXEC_ERROR{id, status, message}):
 *   u32 id | u32 n, n x (str name, str value) cgroup v2 files |
 *   u32 signal (0, or 1..PROTO_SIG_MAX: then sent to every process in the
 *   container's cgroup once the files are written: mvrun kill --all)
 * A cgroup file is written as is to the file `name` of the container's
 * cgroup v2 directory in the guest ("memory.max" = "33554432"), in order:
 * the host turns linux.resources into them as runc's cgroup v2 driver does,
 * and linux.resources.unified's keys come last.
 */
#ifndef MVRUN_PROTO_CONFINE_H
#define MVRUN_PROTO_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

enum proto_cap_set { PROTO_CAP_BOUNDING, PROTO_CAP_EFFECTIVE, PROTO_CAP_PERMITTED,
		     PROTO_CAP_INHERITABLE, PROTO_CAP_AMBIENT, PROTO_CAP_SETS };

#define PROTO_CONFINE_CAPS 0x1    /* set the five sets to caps[] (else root keeps all) */
#define PROTO_CONFINE_NNP 0x2     /* PR_SET_NO_NEW_PRIVS before execve */
#define PROTO_CONFINE_SECCOMP 0x4 /* install bpf[] (at least one instruction) */
#define PROTO_CONFINE_OOM 0x8     /* write oom_score_adj to /proc/self/oom_score_adj */
#define PROTO_CONFINE_ALL 0xf
#define PROTO_OOM_MIN (-1000)     /* the kernel's OOM_SCORE_ADJ_MIN and _MAX */
#define PROTO_OOM_MAX 1000
#define PROTO_MAX_BPF 4096        /* the kernel's BPF_MAXINSNS */
#define PROTO_BPF_INSN 8          /* bytes per instruction */

/* A decoded bpf points into the message buffer, unaligned: copy it out. */
struct proto_confine {
	uint32_t flags;
	uint64_t caps[PROTO_CAP_SETS]; /* bit N is capability N */
	uint32_t seccomp_flags;        /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	uint32_t nbpf;                 /* instructions; 0 without PROTO_CONFINE_SECCOMP */
	const uint8_t *bpf;            /* struct sock_filter, little-endian: u16 code,
					* u8 jt, u8 jf, u32 k */
	int32_t oom_score_adj;         /* PROTO_OOM_MIN..MAX, with PROTO_CONFINE_OOM; else 0 */
};

#define PROTO_MAX_PATHS 128   /* masked, and read-only, each */
#define PROTO_MAX_SYSCTL 64
#define PROTO_MAX_DEVICES 64
#define PROTO_MAX_DEVRULES 256
#define PROTO_MAX_IDMAPS 64  /* lines of a uid_map or gid_map, each */
#define PROTO_MAX_CGFILES 64 /* cgroup files a SETUP or UPDATE writes */
#define PROTO_CGFILE_NAME_MAX 64
#define PROTO_CGROUPFS_FLAGS (PROTO_MOUNT_RO | PROTO_MOUNT_NOSUID | PROTO_MOUNT_NODEV | \
			      PROTO_MOUNT_NOEXEC)

/* One cgroup v2 file and its new content. name is a plain file name
 * (1..PROTO_CGFILE_NAME_MAX bytes, no '/', not starting with '.'), so it
 * can only name a file of the container's cgroup directory. */
struct proto_cgfile {
	const char *name, *value;
};

/* One line of /proc/PID/uid_map: ids inside..inside+count-1 of the user
 * namespace are outside..outside+count-1 of the guest. count >= 1, and
 * neither range wraps past 2^32 - 1. */
struct proto_idmap {
	uint32_t inside, outside, count;
};

/* Device cgroup rules (config-linux.md "Allowed Device List"): mvinit
 * denies everything first, then writes these in order. */
#define PROTO_DEV_ANY 0xffffffffu /* a major or minor of "*" */
#define PROTO_DEV_R 0x1
#define PROTO_DEV_W 0x2
#define PROTO_DEV_M 0x4
struct proto_devrule {
	uint32_t allow;        /* 1 allow, 0 deny */
	uint32_t type;         /* 'a' (every device: the rule is "a", numbers and
				* access ignored, as the kernel does), 'b' or 'c' */
	uint32_t major, minor; /* a number below 2^20, or PROTO_DEV_ANY */
	uint32_t access;       /* PROTO_DEV_* bits */
};

struct proto_device {
	const char *path;      /* absolute, in the container */
	uint32_t type;         /* 'c', 'b' or 'p' (a FIFO) */
	uint32_t major, minor;
	uint32_t mode;         /* permission bits (07777) */
	uint32_t uid, gid;
};

#define PROTO_SETUP_PIDNS 0x1 /* a new PID namespace: the process is its PID 1 */
#define PROTO_SETUP_ALL 0x1

/* Strings point into the message buffer. */
struct proto_setup {
	const char *domainname; /* "" leaves it as it is */
	uint32_t nmasked, nreadonly, nsysctl, ndevices, ndevrules;
	const char *masked[PROTO_MAX_PATHS];
	const char *readonly[PROTO_MAX_PATHS];
	const char *sysctl_key[PROTO_MAX_SYSCTL], *sysctl_value[PROTO_MAX_SYSCTL];
	struct proto_device devices[PROTO_MAX_DEVICES];
	struct proto_devrule devrules[PROTO_MAX_DEVRULES];
	uint32_t ncgfiles;
	struct proto_cgfile cgfiles[PROTO_MAX_CGFILES];
	const char *cgroupfs;    /* absolute, or "" (NULL encodes as "") */
	uint32_t cgroupfs_flags; /* PROTO_CGROUPFS_FLAGS bits only */
	uint32_t nuidmap, ngidmap; /* both 0, or both above 0 */
	struct proto_idmap uidmap[PROTO_MAX_IDMAPS], gidmap[PROTO_MAX_IDMAPS];
	uint32_t flags;         /* PROTO_SETUP_* */
};

/* UPDATE: a running container's new cgroup files. Strings point into the
 * message buffer. */
struct proto_update {
	uint32_t id;
	uint32_t ncgfiles;
	struct proto_cgfile cgfiles[PROTO_MAX_CGFILES];
	uint32_t signal; /* 0 none, else 1..PROTO_SIG_MAX (proto/sigfwd.h) */
};

/* Encoders: as proto.h's (0, or -1 with b->failed and nothing appended).
 * They refuse what the decoders would: unknown flags, a count above its
 * limit, seccomp without a program or a program without the flag, an
 * oom_score_adj out of range or one given without its flag, a device rule
 * outside the ranges above, an id map line that breaks its rules or a uid
 * map without a gid map (or the reverse), a cgroup file name that is not a
 * plain file name, a cgroupfs that is not absolute or other cgroupfs flags,
 * an UPDATE's signal above PROTO_SIG_MAX, or unknown SETUP flags. */
int proto_encode_confine(struct proto_buf *b, const struct proto_confine *c);
int proto_encode_exec_confine(struct proto_buf *b, uint32_t id, const struct proto_confine *c);
int proto_encode_setup(struct proto_buf *b, const struct proto_setup *s);
/* UPDATE{u->id, u's cgroup files}. */
int proto_encode_update(struct proto_buf *b, const struct proto_update *u);

/* Append n bytes that already are whole messages (checked by the caller)
 * to b, as proto.h's encoders append. Returns 0 or -1 (b->failed). */
int proto_append(struct proto_buf *b, const void *bytes, size_t n);

/* Decoders: 0, or -1 if the payload is truncated, has trailing bytes or
 * breaks a rule above. The id of EXEC_CONFINE is not range-checked. */
int proto_decode_confine(const uint8_t *p, size_t len, struct proto_confine *c);
int proto_decode_exec_confine(const uint8_t *p, size_t len, uint32_t *id,
			      struct proto_confine *c);
int proto_decode_setup(const uint8_t *p, size_t len, struct proto_setup *s);
int proto_decode_update(const uint8_t *p, size_t len, struct proto_update *u);

/* Whether name may name a cgroup file (struct proto_cgfile's rule). */
bool proto_cgfile_name_ok(const char *name);

#endif
