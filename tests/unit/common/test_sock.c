/* common/sock: unix-socket addresses for paths of any length, and one fd
 * passed with SCM_RIGHTS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sock.h"

static char base[64];

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/mvrun-socktest-XXXXXX");
	cr_assert(mkdtemp(base));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sock, .init = setup, .fini = teardown);

/* A listener at path, through sock_unix_addr; returns its fd. */
static int listen_at(const char *path)
{
	struct sockaddr_un sa;
	int dirfd;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), 0, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 1), 0);
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

static void connect_to(const char *path)
{
	struct sockaddr_un sa;
	int dirfd;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), 0);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	close(fd);
	if (dirfd >= 0)
		close(dirfd);
}

Test(sock, short_path_is_the_address_itself)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/s", base);
	struct sockaddr_un sa;
	int dirfd = 99;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), 0);
	cr_assert_eq(dirfd, -1);
	cr_assert_eq(sa.sun_family, AF_UNIX);
	cr_assert_str_eq(sa.sun_path, path);
	close(listen_at(path));
}

/* Longer than sun_path: bound and connected through the directory's fd,
 * and the socket is where the path says. */
Test(sock, long_path_goes_through_its_directory)
{
	char dir[256], path[300];
	snprintf(dir, sizeof(dir), "%s/%0100d", base, 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	cr_assert_gt(strlen(path), sizeof(((struct sockaddr_un *)0)->sun_path));
	struct sockaddr_un sa;
	int dirfd;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), 0);
	cr_assert_geq(dirfd, 0);
	char want[64];
	snprintf(want, sizeof(want), "/proc/self/fd/%d/ctl.sock", dirfd);
	cr_assert_str_eq(sa.sun_path, want);
	close(dirfd);
	int l = listen_at(path);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	connect_to(path);
	close(l);
}

Test(sock, what_cannot_be_reached_is_told_apart)
{
	char path[PATH_MAX + 64];
	struct sockaddr_un sa;
	int dirfd;
	memset(path, 'a', 200);
	path[200] = 0;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), SOCK_PATH_TOO_LONG, "no directory");
	snprintf(path, sizeof(path), "/%0*d/s", PATH_MAX, 0);
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), SOCK_PATH_TOO_LONG, "a directory too long");
	snprintf(path, sizeof(path), "%s/%0120d", base, 0);
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), SOCK_NAME_TOO_LONG);
	snprintf(path, sizeof(path), "%s/missing/%0120d", base, 0);
	errno = 0;
	cr_assert_eq(sock_unix_addr(path, &sa, &dirfd), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(dirfd, -1);
}

/* The fd arrives as the same open file. */
Test(sock, attached_fd_arrives)
{
	int sp[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	union sock_fd_cmsg u;
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	sock_attach_fd(&msg, &u, fd);
	cr_assert_eq(sendmsg(sp[0], &msg, 0), 1);

	union sock_fd_cmsg r;
	char c;
	struct iovec riov = { &c, 1 };
	struct msghdr rmsg = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = r.buf,
			       .msg_controllen = sizeof(r.buf) };
	cr_assert_eq(recvmsg(sp[1], &rmsg, MSG_CMSG_CLOEXEC), 1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&rmsg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	struct stat a, b;
	cr_assert_eq(fstat(fd, &a), 0);
	cr_assert_eq(fstat(got, &b), 0);
	cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(got);
	close(fd);
	close(sp[0]);
	close(sp[1]);
}
