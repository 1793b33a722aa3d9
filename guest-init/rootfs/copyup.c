/* tmpcopyup: a tmpfs mounted over a directory of the image starts with a
 * copy of what the directory held (runc's fileutils.CopyDirectory):
 * directories, regular files, symlinks, FIFOs and device nodes, with their
 * modes, owners and times. Everything is reached through directory fds,
 * never by path, so a symlink in the image cannot lead the copy out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/rootfs/rootfs.h"

#define COPYUP_MAX_DEPTH 64

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st)
{
	char buf[16384];
	int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = in < 0 ? -1 : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       st->st_mode & 07777);
	ssize_t n = 0;

	while (out >= 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	int err = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	errno = err;
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

static int copy_dir(int sfd, int dfd, int depth, const char **failed)
{
	DIR *d;
	struct dirent *de;
	int ret = 0, dup;

	if (depth > COPYUP_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	if ((dup = fcntl(sfd, F_DUPFD_CLOEXEC, 3)) < 0 || !(d = fdopendir(dup))) {
		if (dup >= 0)
			close(dup);
		return -1;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		*failed = name;
		if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int s2 = -1, d2 = -1;
			if (mkdirat(dfd, name, st.st_mode & 07777) < 0 ||
			    (s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
			    (d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
			    copy_dir(s2, d2, depth + 1, failed) < 0)
				ret = -1;
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		} else if (S_ISREG(st.st_mode)) {
			ret = copy_file(sfd, dfd, name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
			if (n < 0 || (target[n] = 0, symlinkat(target, dfd, name) < 0))
				ret = -1;
		} else if (mknodat(dfd, name, st.st_mode, st.st_rdev) < 0) {
			ret = -1; /* FIFOs, sockets and device nodes */
		}
		if (!ret && (fchownat(dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			     (!S_ISLNK(st.st_mode) && fchmodat(dfd, name, st.st_mode & 07777, 0) < 0)))
			ret = -1;
		if (!ret) {
			struct timespec ts[2] = { st.st_atim, st.st_mtim };
			utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		}
	}
	if (!ret && errno)
		ret = -1;
	int err = errno;
	closedir(d);
	errno = err;
	return ret;
}

int copyup_tree(int src, int dst, const char *path, struct err *e)
{
	const char *failed = ".";

	if (copy_dir(src, dst, 0, &failed) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "tmpcopyup of %s: copy %s", path, failed);
	return 0;
}
