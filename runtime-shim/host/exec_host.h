/* The host process of one exec or pod member (exec_host.c): connected to mvm's control
 * socket, it sends the exec request, relays its own stdio (or a terminal)
 * to the streams mvm hands it, forwards every catchable signal it gets,
 * and ends with the exec'd process's status. Private to exec.c. */
#ifndef MVRUN_SHIM_EXEC_HOST_H
#define MVRUN_SHIM_EXEC_HOST_H

#include <stdbool.h>

#include "proto/confine.h"
#include "proto/proto.h"
#include "runtime-shim/host/host.h"

struct exec_host {
	int ctl;          /* connected to mvm's control socket */
	int tin, tout;    /* with a tty: the terminal's input and output fds, else -1 */
	int tsize;        /* with a tty: the fd whose window size is the pty's (a terminal), -1 */
	int report_fd;    /* gets "ok\n" or "error STATUS MSG\n" once, then closed; -1 */
	const struct proto_confine *confine; /* sent as CONFINE before the EXEC (whose
					      * flags then have PROTO_SPEC_CONFINE); NULL */
	/* A pod member's host process (member.c): member is its MEMBER message,
	 * sent in place of the EXEC; "ok" goes to report_fd at READY, and
	 * listen (the member's control socket) takes mvrun start's START,
	 * passed on, answered STARTED or ERROR as mvm answers (launch.h). */
	const struct proto_buf *member;
	int listen;       /* -1 for an exec */
};

/* Send the request for spec and serve the exec until it ends. Returns the
 * process's status (exit code, or 128+N; 137 when the container went away
 * under it). Returns -1 with err when it never started (the guest's status
 * and message, or why the request failed); report_fd has been told. Blocks
 * (a member: spec unused)
 * the catchable signals in the calling thread for good (forwarding them). */
int exec_host_run(struct exec_host *h, const struct proto_spec *spec, struct err *err);

#endif
