/* mvinit's modules and what they promise each other.
 *
 *   mvinit.c     main: console, boot mark, plain mode, container-mode driver,
 *                power-off (the only place that ends PID 1)
 *   util.c       pure helpers: kernel cmdline, PATH lookup, exit
 *                statuses (unit-tested on the host: tests/unit/guest-init/test_mvinit.c)
 *   ctl.c        vsock streams and the control conversation (proto.h framing)
 *   rootfs/rootfs.c the container's mounts, switch root, hostname, loopback
 *   filebind.c   the config's single-file bind mounts (FILES shares)
 *   dev.c        the container's /dev as runc makes it: nodes, links, console
 *   proc.c       the process: stdio, reaping, signals, supervision
 *   spawn.c      fork and exec of a process with the spec's settings
 *   confine.c    the container's confinement: sysctls, domain name, devices,
 *                read-only and masked paths; capabilities, no_new_privs and
 *                seccomp in each process (proto/confine.h)
 *   exec.c       more processes in the running container (EXEC), each
 *                with its own stdio streams, reported by id
 *   cgroup.c     the container's cgroups in the guest (cgroup2; devices on v1),
 *                mounted out of the container's view; joined by each process
 *   userns.c     the container's user namespace (id maps), joined by each
 *                process
 *   pidns.c      the container's PID namespace: its init, made before the
 *                mounts, becomes the process; execs and hooks join it
 *   hooks.c      the OCI hooks that run in the container (createContainer,
 *                startContainer)
 *   member.c     pod members: other containers in the running VM, each with
 *                an init of its own (the "pods" section below)
 *   relay.c      byte pumps between vsock streams and the process's pipes or
 *                pty master
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

/* ---- rootfs/rootfs.c (prefix rootfs_) ---- */

struct mvi_cgroup;

/* Mount the root share at MVI_NEWROOT, the system filesystems and the
 * spec's shares inside it (from pn's waiting init when there is one, so
 * that /proc is its namespace's), apply setup (NULL: none; confine.c) and
 * its cgroups into cg (cgroup.c), then switch root into it (switch_root style:
 * MS_MOVE onto / and chroot; the initramfs stays), set the hostname and
 * bring up lo. Returns 0, or -1 with e naming the step (MVI_EXIT_SETUP). */
struct mvi_pidns;
int rootfs_setup(const struct proto_spec *s, const struct proto_setup *setup, int procsys,
		 struct mvi_cgroup *cg, struct mvi_pidns *pn, struct err *e);

/* Open `path` inside the root (openat2 RESOLVE_IN_ROOT, no magic links) as
 * an O_PATH fd; rootfs_dir() also makes missing directories (mode 0755).
 * Both return the fd or -1 with errno. */
int rootfs_open(int rootfd, const char *path);
int rootfs_dir(int rootfd, const char *path);

/* Mount type from src on directory path inside the root (made if missing),
 * with flags (MS_RDONLY enforced by a remount if the filesystem ignores it)
 * and data. 0 or -1 with e (MVI_EXIT_SETUP). */
int rootfs_mount(int rootfd, const char *src, const char *path, const char *type,
		 unsigned long flags, const char *data, struct err *e);

/* ---- tmpfs.c ---- */

/* Mount TMPFS m (its tag the options: flags, size, mode, inodes, owner,
 * tmpcopyup; others refused) in the root rootfd, in the mode of the
 * directory it covers when there is one (runc's rule). keep_rw: mount it
 * read-write even if it is to be read-only (the caller fills it and
 * remounts it). 0 or -1 with e (MVI_EXIT_SETUP). */
int rootfs_tmpfs(int rootfd, const struct proto_mount *m, bool keep_rw, struct err *e);

/* With a user namespace (maps), give the tmpfs at path to the container's
 * root; warns on failure (a read-only one stays as it is). */
void rootfs_own_tmpfs(int rootfd, const char *path, const struct proto_setup *maps);

/* ---- kernfs.c ---- */

/* Mount KERNFS m (proc, sysfs, devpts or mqueue) in the root rootfd with its
 * source and options; with maps (a user namespace's, else NULL) a devpts
 * gid= is the guest's id of the container's. 0 or -1 with e. */
int kernfs_mount(int rootfd, const struct proto_mount *m, const struct proto_setup *maps,
		 struct err *e);

/* ---- filebind.c (rootfs.c's single-file binds) ---- */

/* Mount FILES share m (its tag one name) out of the container's view,
 * where rootfs_bind_file() finds its files. 0 or -1 with e. */
int rootfs_files_share(const struct proto_mount *m, struct err *e);

/* Bind file NAME of FILES share T (m->tag "T/NAME") onto m->path in the
 * root rootfd (made as an empty file if missing; never a symlink or a
 * directory), then apply m's ro, nosuid, nodev and noexec. 0 or -1 with e. */
int rootfs_bind_file(int rootfd, const struct proto_mount *m, struct err *e);

/* m's nosuid, nodev and noexec as mount flags. */
unsigned long rootfs_restrict_flags(const struct proto_mount *m);

/* ---- dev.c (prefix dev_) ---- */

/* In the fresh /dev tmpfs of the root rootfd: the default nodes (null, zero,
 * full, random, urandom, tty; 0666, root's), then the links (ptmx to
 * pts/ptmx, fd, stdin, stdout, stderr). 0 or -1 with e (MVI_EXIT_SETUP). */
int dev_nodes(int rootfd, struct err *e);
int dev_links(int rootfd, struct err *e);

/* In the container's root: bind the terminal (the pty slave fd, by its
 * /dev/pts name, found from its master) on /dev/console, as runc does with
 * a terminal. 0 or -1 with e. */
int dev_console(int master, int slave, struct err *e);

/* ---- copyup.c ---- */

/* Copy what directory src holds into directory dst (both read fds), with
 * modes, owners and times, for a tmpfs with tmpcopyup at path. Returns 0,
 * or -1 with e (MVI_EXIT_SETUP) naming the entry that failed. */
int copyup_tree(int src, int dst, const char *path, struct err *e);

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

/* ---- relay.c (prefix pump_) ---- */

/* Copies bytes from `in` to `out` through a buffer, both non-blocking. */
struct pump {
	int in, out;
	bool drain;      /* an output of the process: flushed when it exits */
	int at_eof;      /* what to do to `out` at EOF on `in`: PUMP_* */
	bool in_eof;     /* no more input (EOF, EIO from a pty, error) */
	bool out_dead;   /* writes failed: input is read and dropped */
	bool done;       /* at_eof applied; the pump is idle */
	size_t off, len; /* pending bytes in buf */
	char buf[16384];
};

enum { PUMP_KEEP, PUMP_SHUT_WR, PUMP_CLOSE };

#define PUMP_MAX 3
#define PUMP_POLLFDS (2 * PUMP_MAX)

struct pumps {
	int n;
	struct pump pump[PUMP_MAX];
};

/* Add a pump to r (at most PUMP_MAX); makes both fds non-blocking. The
 * fds stay the caller's, except that PUMP_CLOSE closes `out` at EOF. */
void pump_add(struct pumps *r, int in, int out, bool drain, int at_eof);

/* Fill PUMP_POLLFDS slots (fd -1 where a pump waits for nothing). */
void pump_poll_setup(struct pumps *r, struct pollfd *pfd);

/* Move what the poll results allow. */
void pump_poll_done(struct pumps *r, const struct pollfd *pfd);

/* The process has exited: move what its output pumps hold or can read now
 * (not waiting for EOF, which orphans may hold off), for at most
 * timeout_ms, then apply their at_eof. */
void pump_drain(struct pumps *r, int timeout_ms);

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

/* ---- pidns.c (prefix pidns_) ---- */

struct spawn;

/* The container's PID namespace: its waiting init (the container's process
 * to be, sharing mvinit's fds and root until it starts) and the namespaces
 * to fork execs into. */
struct mvi_pidns {
	pid_t init;         /* the waiting init, as the guest knows it; 0: no namespace */
	int pidfd;          /* of init, -1 */
	int own, ctr;       /* mvinit's PID namespace and the container's, -1 without */
	int cmd[2], rep[2]; /* pipes to and from the waiting init, -1 once it started */
};

/* What the waiting init runs for mvinit (pidns_call): the container's mounts. */
typedef int (*pidns_fn)(const struct proto_spec *s, const struct proto_setup *setup,
			struct err *e);

/* No PID namespace: pn->init 0, every fd -1. */
void pidns_init(struct mvi_pidns *pn);

/* Clone the waiting init into a new PID namespace (it is PID 1 there).
 * Before the switch of root (the initramfs's /proc shows it). 0, or -1 with
 * e (MVI_EXIT_SETUP). */
int pidns_create(struct mvi_pidns *pn, struct err *e);

/* Run fn(s, setup, e) in the waiting init, so that what it mounts (a
 * procfs) belongs to the namespace; it shares mvinit's fds, root and mounts.
 * s and setup must have been decoded before pidns_create. fn's result, or
 * -1 with e when fn failed or the init is gone. */
int pidns_call(struct mvi_pidns *pn, pidns_fn fn, const struct proto_spec *s,
	       const struct proto_setup *setup, struct err *e);

/* Hand sp (copied) to the waiting init, which joins mvinit's network
 * namespace, unshares its fds and root, and goes on as spawn_child(sp,
 * report). Returns once it has, 0, or -1 with e; the pipes are closed. */
int pidns_go(struct mvi_pidns *pn, const struct spawn *sp, int report, struct err *e);

/* Around a fork: make the children mvinit forks join pn's namespace, and
 * go back to mvinit's. No-ops for NULL or no namespace. pidns_enter
 * returns 0 or -1 with errno. */
int pidns_enter(const struct mvi_pidns *pn);
void pidns_leave(const struct mvi_pidns *pn);

/* ---- spawn.c ---- */

/* A process to start: the spec's argv, env, ids, groups, rlimits, umask and
 * cwd; exe is argv[0] resolved, or NULL to resolve it in the child (after
 * the chdir and as the user) with the spec's PATH. child_fd are its 0/1/2
 * (above 2; equal ones are one fd), a pty slave when tty. */
struct spawn {
	const struct proto_spec *spec;
	const struct proto_confine *confine; /* NULL: none */
	const struct mvi_cgroup *cgroup; /* joined before anything else; NULL: none */
	const struct mvi_userns *userns; /* joined before the ids change; NULL: none */
	const struct mvi_pidns *pidns;   /* forked into its namespace, if any; NULL: none */
	const char *exe;
	int child_fd[3];
	bool tty;
};

/* Fork and exec (a new session; with tty, child_fd[0] becomes its
 * controlling terminal). child_fd are closed here and set to -1. Returns
 * the pid once execve succeeded, or -1 with e set (1 for a setup step,
 * 126/127 as mvi_exec_fail); the child has then been reaped. */
pid_t spawn_process(struct spawn *sp, struct err *e);

/* The same for the container's process in pn's waiting init (pidns.c),
 * which becomes it in place of a forked child; the pid is pn->init. */
pid_t spawn_init(struct spawn *sp, struct mvi_pidns *pn, struct err *e);

/* The child's steps from its stdio to execve; a failure is reported on
 * pipefd (the caller's wait reads it) and ends the child. */
__attribute__((noreturn)) void spawn_child(const struct spawn *sp, int pipefd);

/* ---- exec.c ---- */

struct mvi;
struct mvi_exec;

#define EXEC_POLLFDS (PROTO_MAX_EXECS * PUMP_POLLFDS)

/* An EXEC from the host (msg's payload is taken): open the exec's stdio
 * streams, start the process, answer EXEC_STARTED or EXEC_ERROR. */
void exec_start(struct mvi *m, struct ctl_msg *msg);

/* An EXEC_CONFINE from the host (msg's payload is taken): kept for the
 * EXEC of the same id that follows, which fails without it when its flags
 * have PROTO_SPEC_CONFINE. */
void exec_confine(struct mvi *m, struct ctl_msg *msg);

/* EXEC_SIGNAL and EXEC_RESIZE for a running exec; others are ignored. */
void exec_signal(struct mvi *m, const struct ctl_msg *msg);
void exec_resize(struct mvi *m, const struct ctl_msg *msg);

/* A reaped child: if it is an exec's process, note its status. */
void exec_reaped(struct mvi *m, pid_t pid, int status);

/* The execs' stdio: EXEC_POLLFDS slots, then move what poll allows. */
void exec_poll_setup(struct mvi *m, struct pollfd *pfd);
void exec_poll_done(struct mvi *m, const struct pollfd *pfd);

/* For each exec whose process has exited: drain its output, send
 * EXEC_EXIT, close its streams and free it. */
void exec_finish_exited(struct mvi *m);

/* ---- proc.c ---- */

/* Everything container mode holds between the steps. */
struct mvi {
	bool have_port;         /* mvm's port is usable (ioperm succeeded) */
	int ctl;                /* control stream, -1 once finished */
	struct ctl_reader rd;
	struct ctl_msg spec_msg; /* the SPEC; spec's strings point into it */
	struct proto_spec spec;
	struct ctl_msg confine_msg, setup_msg, hooks_msg; /* CONFINE, SETUP and HOOKS, if the
							   * SPEC announced them */
	struct proto_confine confine;
	struct proto_setup setup;
	struct proto_hooks hooks;
	struct ctl_msg exec_confine[PROTO_MAX_EXECS]; /* EXEC_CONFINE by id, until its EXEC */
	const char **scratch;
	char exe[4096];         /* argv[0] resolved */
	int sigfd;              /* signalfd for SIGCHLD */
	int child_fd[3];        /* the process's fds 0/1/2, closed after fork */
	int master;             /* pty master with a tty, else -1 */
	struct pumps pumps;       /* the process's stdio */
	pid_t pid;              /* the process, 0 before START */
	int pending[MVI_MAX_PENDING_SIGS]; /* SIGNALs before START */
	int npending;
	struct mvi_exec *execs[PROTO_MAX_EXECS]; /* by id; NULL when free */
	int procsys;            /* the initramfs's /proc/sys (O_PATH) with SETUP, else -1 */
	struct mvi_cgroup cgroup; /* the container's, every process joins it */
	struct mvi_userns userns; /* the container's, every process joins it */
	struct mvi_pidns pidns;   /* the container's, every process joins it */
	int proc;               /* the initramfs's /proc (O_PATH): shows every guest pid */
	bool net_failed;        /* NET could not be applied: net_err says why */
	struct err net_err;
	/* Pods (member.c): in PID 1, the members by id; in a member's own init,
	 * which member it is. */
	struct mvi_member *members[PROTO_MAX_EXECS];
	int nmembers;
	bool member;            /* this is a member's init (a child of PID 1), not PID 1 */
	uint32_t member_id;
	bool killed;            /* a member's SIGKILL came before START */
};

/* ---- pods: process/member.c (a section of its own, to move with it) ----
 * A pod member (proto/proto.h, "Pods") runs in a child of PID 1, its own
 * init, which sets it up as PID 1 sets up the container (container_run),
 * in a mount namespace of its own whose root is a tmpfs holding the pod
 * share: the member's shares are tags "pod/NAME/SHARE", bound from it
 * (member_share_src). It shares the guest's network, IPC and UTS
 * namespaces with the sandbox's process, and has its own cgroup "mID".
 * PID 1 routes MEMBER{id, message} to the member's init over a socketpair
 * (the init's control stream) and wraps what comes back. */

struct mvi_member;
#define MVI_POD_DIR "/mvrun-pod" /* where a member's init mounts the pod share */
#define MEMBER_POLLFDS PROTO_MAX_MEMBERS

/* The container's conversation and life after the control stream is open:
 * SPEC to EXIT (mvinit.c). Never returns: PID 1 powers off, a member's init
 * exits with the status. */
__attribute__((noreturn)) void container_run(struct mvi *m);

/* A member's init ends: its execs end with it (exec.c). */
void exec_kill_all(struct mvi *m);

/* PID 1: a MEMBER from the host (takes msg's payload). A SPEC for a free id
 * starts a member's init; every message goes to its init. */
void member_route(struct mvi *m, struct ctl_msg *msg);
/* PID 1's poll over the members' inits (MEMBER_POLLFDS entries). */
void member_poll_setup(struct mvi *m, struct pollfd *pfd);
void member_poll_done(struct mvi *m, const struct pollfd *pfd);
/* PID 1 reaped pid: if it is a member's init, note its end. Returns true
 * if it was one. */
bool member_reaped(struct mvi *m, pid_t pid, int status);
/* For a share tag "pod/NAME/SHARE[/FILE]" in a member's init: the path to
 * bind from (under MVI_POD_DIR) in buf. Returns 1 if t is one, 0 if t is
 * a tag of the VM's own, -1 (errno ENAMETOOLONG) when it does not fit. */
int member_share_src(const char *t, char *buf, size_t cap);

/* ---- hooks.c ---- */

/* Run the HOOKS of kind (enum proto_hook_kind) in order, in the container
 * (after the switch of root; the cwd is the process's), each with its
 * state JSON on stdin; a no-op without HOOKS. Returns 0, or -1 with e
 * naming the hook and how it failed (status MVI_EXIT_SETUP; the caller
 * picks another if it must). */
int hooks_run(struct mvi *m, uint32_t kind, struct err *e);

/* ---- net.c ---- */

/* Set eth0 up as n says (MAC, MTU, addresses, then routes), or, without
 * PROTO_NET_UP, move mvinit (and so the process to come) into a network
 * namespace of its own with only lo. Returns 0, or -1 with e naming the
 * step (MVI_EXIT_SETUP). */
int net_apply(const struct proto_net *n, struct err *e);

/* How supervision ended. */
enum proc_end { PROC_EXITED, PROC_HOST_GONE };

/* Block SIGCHLD into a signalfd (m->sigfd) and ignore SIGPIPE. Returns 0 or
 * -1 with e set. */
int proc_signals(struct mvi *m, struct err *e);

/* In the container's root: chdir to the cwd and resolve argv[0] into
 * m->exe, as root, so that the common mistakes are reported before READY.
 * Returns 0, or -1 with e set (1, 126 or 127). */
int proc_resolve(struct mvi *m, struct err *e);

/* Open the process's stdio: three vsock streams relayed through pipes, or
 * a pty relayed to one stream. Returns 0 or -1 with e set. */
int proc_stdio(struct mvi *m, struct err *e);

/* One stdio stream: connect to the host on port and relay it through a
 * pipe, whose other end (for the process's fd `fd`) goes to *child_fd; the
 * pump is added to pumps. Returns 0 or -1 with e set. */
int proc_stream(struct pumps *pumps, uint32_t port, int fd, int *child_fd, struct err *e);

/* Open a pty in the current root's /dev/pts with the window size (if
 * known) and the slave owned by uid: *master and *slave (both CLOEXEC, the
 * slave nobody's controlling tty yet); no_onlcr: ONLCR off (output "\n"
 * stays "\n"). Returns 0, or -1 with e set. */
int proc_open_pty(uint16_t rows, uint16_t cols, uid_t uid, bool no_onlcr, int *master, int *slave,
		  struct err *e);

/* Wait for START, applying RESIZE and queueing SIGNAL. Returns 0, or -1 if
 * the host went away (or broke the stream). */
int proc_wait_start(struct mvi *m);

/* Fork and exec the process (m->pid). Returns 0 once execve succeeded, or
 * -1 with e set (1 for a setup step in the child, 126/127 for execve); the
 * child has then been reaped. */
int proc_spawn(struct mvi *m, struct err *e);

/* As PID 1 until the process exits: reap every child, forward SIGNAL,
 * apply RESIZE, relay stdio. Then drain the process's output. *status is
 * the process's exit status (PROC_EXITED). On PROC_HOST_GONE every process
 * has been sent SIGKILL. */
enum proc_end proc_supervise(struct mvi *m, int *status);

#endif
