/* mvrun box --net nat (box.c): outbound access for the standalone sandbox
 * through user-mode NAT rather than a masquerade rule on the host.
 * slirp4netns (Debian's) makes a tap "tap0" in a private network namespace
 * and turns the guest's TCP and UDP into ordinary sockets of an unprivileged
 * process in the host's namespace: nothing on the host changes (no
 * forwarding, no iptables), and the guest cannot reach the host's loopback
 * (--disable-host-loopback). mvm --net, exec'd next in that namespace, joins
 * its own tap to tap0 as it would join an engine's veth. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/host/host.h"

#define SLIRP "slirp4netns"

int box_net_nat(char *msg, size_t cap)
{
	int ready[2], ex[2];
	int orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(ex, 0) < 0) {
		snprintf(msg, cap, "--net nat: %s", strerror(errno));
		return -1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(msg, cap, "--net nat: a network namespace: %s", strerror(errno));
		return -1;
	}
	char ns[64], rfd[32], efd[32];
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)getpid());
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, cap, "--net nat: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* slirp4netns's sockets must be the host's: back to its namespace. */
		close(ready[0]);
		close(ex[1]);
		int r = fcntl(ready[1], F_DUPFD, 10), e = fcntl(ex[0], F_DUPFD, 10);
		snprintf(rfd, sizeof(rfd), "--ready-fd=%d", r);
		snprintf(efd, sizeof(efd), "--exit-fd=%d", e);
		if (r < 0 || e < 0 || setns(orig, CLONE_NEWNET) < 0)
			_exit(127);
		/* It chats on stdout and stderr; a failure shows as no ready byte. */
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp(SLIRP, SLIRP, "--configure", "--mtu=65520", "--disable-host-loopback", rfd, efd,
		       "--netns-type=path", ns, "tap0", (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(ex[0]);
	close(orig);
	char c;
	ssize_t n;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		waitpid(pid, NULL, 0);
		snprintf(msg, cap, "--net nat: %s did not set the network up (is the %s package "
			 "installed?)", SLIRP, SLIRP);
		return -1;
	}
	/* ex[1] stays open, without CLOEXEC, in mvm: when mvm ends, so does
	 * slirp4netns. */
	return 0;
}
