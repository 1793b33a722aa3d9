/* pause: the CRI tests' pod sandbox process, in the role of Kubernetes'
 * pause image: it holds the pod's namespaces open and does nothing else.
 * As PID 1 of a shared PID namespace it reaps the pod's orphans. SIGINT or
 * SIGTERM ends it with status 0. Built static, so that the image holds only
 * /pause (FROM scratch). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "pause: takes no arguments\n");
		return 2;
	}
	/* Signals are taken synchronously: with them blocked and waited for,
	 * nothing runs in a handler and no wakeup is lost. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		perror("pause: sigprocmask");
		return 1;
	}
	if (getpid() != 1)
		fprintf(stderr, "pause: not PID 1, orphans are not mine to reap\n");
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			perror("pause: sigwaitinfo");
			return 1;
		}
		if (sig == SIGINT || sig == SIGTERM)
			return 0;
		/* SIGCHLD: one signal may stand for many exits. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
