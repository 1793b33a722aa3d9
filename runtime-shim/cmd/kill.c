/* mvrun kill [--all] ID [SIGNAL]: signal mvm, which forwards every catchable
 * signal to the container's process; SIGKILL ends mvm and so the VM. --all
 * asks mvinit to signal every process in the container's cgroup.
 *
 * Before start there is no process in the guest to forward to, and mvm
 * ignores forwarded signals then; runc's created container would die of a
 * terminating signal, so mvrun ends the VM with SIGKILL instead. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime-shim/plan/guestcg.h"
#include "runtime-shim/cmd/cmd.h"

/* Signals whose default action does not end a process (0 only checks). */
static bool harmless(int sig)
{
	return sig == 0 || sig == SIGCHLD || sig == SIGCONT || sig == SIGSTOP || sig == SIGTSTP ||
	       sig == SIGTTIN || sig == SIGTTOU || sig == SIGURG || sig == SIGWINCH;
}

int shim_kill(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { "all", no_argument, 0, 'a' },
					      { "pid", required_argument, 0, 'p' },
					      { 0, 0, 0, 0 } };
	bool all = false;
	int c;
	while ((c = shim_getopt(argc, argv, "a", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		if (c == 'a')
			all = true;
		else
			return err_set(err, 1, "kill: --pid is not supported"), 1;
	}
	int n = argc - optind;
	if (n < 1 || n > 2)
		return shim_operands(argc, argv, n < 1 ? 1 : 2, err), err->status;
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (n == 2 && (sig = shim_parse_signal(argv[optind + 1])) < 0)
		return err_set(err, 1, "kill: \"%s\" is not a signal", argv[optind + 1]), 1;
	if (sig == SIGSYS)
		return err_set(err, 1, "kill: SIGSYS is not supported: mvm keeps it for its "
			       "seccomp report"), 1;
	struct store_state st;
	if (store_read(g->root, id, &st, NULL, err) < 0)
		return err->status;
	enum store_status now = store_current(&st);
	pid_t pid = st.pid;
	if (now == STORE_STOPPED) {
		store_free(&st);
		/* runc 1.1's --all signals whatever its cgroup holds: nothing. */
		if (all)
			return 0;
		return err_set(err, 1, "container not running"), 1;
	}
	/* --all, as runc's: every process in the container's cgroup, which
	 * is in the guest (an UPDATE with the signal); SIGKILL ends the VM and
	 * so all of them. A paused guest cannot answer: mvm forwards the
	 * signal to the process once it is thawed. */
	if (all && now == STORE_RUNNING && sig != SIGKILL && sig != 0) {
		const struct proto_update u = { .signal = (uint32_t)sig };
		store_free(&st);
		return guest_update_send(g, id, &u, "kill --all", err) < 0 ? err->status : 0;
	}
	if (now == STORE_CREATED && sig != SIGKILL && !harmless(sig)) {
		shim_debug(g, "kill %s: signal %d before start: ending the VM with SIGKILL", id, sig);
		sig = SIGKILL;
	}
	if (kill(pid, sig) < 0) {
		store_free(&st);
		if (errno == ESRCH)
			return err_set(err, 1, "container not running"), 1;
		return err_sys(err, 1, errno, "kill %d", (int)pid), 1;
	}
	/* A frozen mvm takes SIGKILL only once thawed (cgroup v1 freezer). */
	if (now == STORE_PAUSED && sig == SIGKILL)
		shim_freeze(&st, false, err);
	store_free(&st);
	return err->status;
}
