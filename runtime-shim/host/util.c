/* Small helpers the verbs share (see shim.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sock.h"
#include "runtime-shim/host/host.h"

int shim_write_pidfile(const char *path, pid_t pid, struct err *err)
{
	char tmp[PATH_MAX], num[24];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.mvrun-tmp", dirlen, path,
		     slash ? slash + 1 : path) >= (int)sizeof(tmp))
		return err_set(err, 1, "--pid-file %s: too long", path);
	int n = snprintf(num, sizeof(num), "%d", (int)pid);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, 1, errno, "--pid-file %s", path);
	if (write(fd, num, (size_t)n) != n || close(fd) < 0) {
		err_sys(err, 1, errno, "--pid-file %s: write", path);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		err_sys(err, 1, errno, "--pid-file %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int shim_parse_signal(const char *s)
{
	if (isdigit((unsigned char)s[0])) {
		char *end;
		long v = strtol(s, &end, 10);
		return (*end || v < 0 || v > SIGRTMAX) ? -1 : (int)v;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *name = sigabbrev_np(i);
		if (name && !strcasecmp(s, name))
			return i;
	}
	return -1;
}

int shim_unix_connect(const char *path, const char *what, struct err *err)
{
	struct sockaddr_un sa;
	int dirfd, fd = -1;
	switch (sock_unix_addr(path, &sa, &dirfd)) {
	case 0: break;
	case SOCK_PATH_TOO_LONG: return err_set(err, 1, "%s %s: path too long", what, path);
	case SOCK_NAME_TOO_LONG: return err_set(err, 1, "%s %s: socket name too long", what, path);
	default: return err_sys(err, 1, errno, "%s %s", what, path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(err, 1, errno, "%s %s", what, path);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

int shim_send_pty(int sock, const char *name, int master, const char *path, struct err *err)
{
	union sock_fd_cmsg u;
	struct iovec iov = { (void *)name, strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	sock_attach_fd(&msg, &u, master);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return err_sys(err, 1, errno, "--console-socket %s: send the pty", path);
	return 0;
}
