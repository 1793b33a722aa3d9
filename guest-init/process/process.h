/* The container's processes in the guest: relay.c (stdio pumps), pidns.c,
 * spawn.c, exec.c, member.c (pod members), hooks.c, proc.c (the process and
 * its supervision). */
#ifndef MVRUN_GI_PROCESS_PROCESS_H
#define MVRUN_GI_PROCESS_PROCESS_H

#include "guest-init/mvinit.h"

struct mvi;
struct mvi_cgroup;
struct mvi_userns;

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

/* ---- member.c ----
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

/* ---- proc.c ---- */


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
