/* mvrun run [--detach] [create's options] ID: create and start; without
 * --detach, wait for the container, forwarding signals to mvm, delete it,
 * and exit with its status (128+N for signal N). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "runtime-shim/cmd/cmd.h"

int shim_create_opt(int c, struct launch_opts *o, struct err *err);

static int wait_forwarding(struct shim_ctx *g, pid_t pid, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int st;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0 && errno != EINTR)
			return 1;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		/* A signal the terminal sent reached mvm too: mvm shares our
		 * process group. */
		if (sig > 0 && sig != SIGCHLD && si.si_code != SI_KERNEL) {
			shim_debug(g, "run: forwarding signal %d to mvm", sig);
			kill(pid, sig);
		}
	}
}

int shim_run(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, 0, 'b' },   { "pid-file", required_argument, 0, 'p' },
		{ "console-socket", required_argument, 0, 's' }, { "no-pivot", no_argument, 0, 'k' },
		{ "no-new-keyring", no_argument, 0, 'k' }, { "preserve-fds", required_argument, 0, 'f' },
		{ "detach", no_argument, 0, 'd' },	   { "keep", no_argument, 0, 'K' },
		{ 0, 0, 0, 0 },
	};
	struct launch_opts o = { 0 };
	bool detach = false, keep = false;
	int c;
	while ((c = shim_getopt(argc, argv, "b:d", opts, err)) != -1) {
		if (c == -2 || (c = shim_create_opt(c, &o, err)) == -2)
			return err->status;
		if (c == 'd')
			detach = true;
		else if (c == 'K')
			keep = true;
	}
	if (shim_operands(argc, argv, 1, err) < 0)
		return err->status;
	o.id = argv[optind];
	o.foreground = !detach;
	sigset_t all, old;
	sigfillset(&all);
	if (!detach) /* from before the fork, so no SIGCHLD is missed */
		sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid;
	if (shim_launch(g, &o, &pid, err) < 0)
		return err->status;
	if (shim_start_container(g, o.id, err) < 0) {
		shim_destroy(g, o.id, true, NULL);
		return err->status;
	}
	if (detach)
		return 0;
	int status = wait_forwarding(g, pid, &all);
	sigprocmask(SIG_SETMASK, &old, NULL);
	struct err e = { 0 };
	if (!keep && shim_destroy(g, o.id, true, &e) < 0)
		shim_warn(g, "run %s: delete after exit: %s", o.id, e.msg);
	return status;
}
