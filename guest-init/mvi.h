/* struct mvi: what container mode holds between its steps (mvinit.c drives
 * them; process/ and confine/cgroup.c act on it). */
#ifndef MVRUN_GI_MVI_H
#define MVRUN_GI_MVI_H

#include "guest-init/confine/confine.h"
#include "guest-init/process/process.h"
#include "guest-init/mvinit.h"

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

/* The container's conversation and life after the control stream is open:
 * SPEC to EXIT (mvinit.c). Never returns: PID 1 powers off, a member's init
 * exits with the status. */
__attribute__((noreturn)) void container_run(struct mvi *m);

#endif
