/* The config's single-file bind mounts: the FILES shares (directories of
 * files mvrun staged on the host) mounted out of the container's view, and
 * each file bound from there onto its path in the root, which is resolved
 * in the root and never a symlink or a directory. Used by rootfs.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/process/process.h"
#include "guest-init/rootfs/rootfs.h"

/* Where FILES shares are mounted: in the initramfs, which switch_root
 * leaves covered, so the workload never sees them. */
#define FILES_DIR "/mvrun-files"

/* One path component, as a share tag or a file name must be. */
static bool one_name(const char *s, size_t len)
{
	return len > 0 && len < 256 && !memchr(s, '/', len) && !(len == 1 && s[0] == '.') &&
	       !(len == 2 && s[0] == '.' && s[1] == '.');
}

int rootfs_files_share(const struct proto_mount *m, struct err *e)
{
	char dir[300];

	/* A pod member's: its files are reached in the pod share directly. */
	if (member_share_src(m->tag, dir, sizeof(dir)) != 0)
		return 0;
	if (!one_name(m->tag, strlen(m->tag)))
		return err_set(e, MVI_EXIT_SETUP, "files share tag \"%s\" is not one name", m->tag);
	snprintf(dir, sizeof(dir), FILES_DIR "/%s", m->tag);
	if ((mkdir(FILES_DIR, 0700) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
		return err_sys(e, MVI_EXIT_SETUP, errno, "mkdir %s", dir);
	if (mount(m->tag, dir, "virtiofs", m->flags & PROTO_MOUNT_RO ? MS_RDONLY : 0, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount virtiofs \"%s\" on %s", m->tag, dir);
	return 0;
}

/* The file inside the root that a file bind covers, created empty if
 * missing (as runc does); a symlink there is followed inside the root, as
 * runc's securejoin does (mvrun made its target on the host); never a
 * directory. */
static int file_in_root(int rootfd, const char *path)
{
	char parent[4096];
	const char *base = strrchr(path, '/');
	int dfd, fd;

	if (!base || !one_name(base + 1, strlen(base + 1)) || (size_t)(base - path) >= sizeof(parent)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(parent, path, (size_t)(base - path));
	parent[base - path] = 0;
	if ((dfd = rootfs_dir(rootfd, parent[0] ? parent : "/")) < 0)
		return -1;
	fd = openat(dfd, base + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int c = openat(dfd, base + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (c >= 0)
			close(c);
		fd = openat(dfd, base + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	close(dfd);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		fd = rootfs_open(rootfd, path);
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (fd >= 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : ELOOP;
		return -1;
	}
	return fd;
}

unsigned long rootfs_restrict_flags(const struct proto_mount *m)
{
	return (m->flags & PROTO_MOUNT_NOSUID ? MS_NOSUID : 0) |
	       (m->flags & PROTO_MOUNT_NODEV ? MS_NODEV : 0) |
	       (m->flags & PROTO_MOUNT_NOEXEC ? MS_NOEXEC : 0);
}

int rootfs_bind_file(int rootfd, const struct proto_mount *m, struct err *e)
{
	char src[600], target[32];
	const char *slash = strchr(m->tag, '/');
	struct stat st;
	int fd, ret = 0, pod = member_share_src(m->tag, src, sizeof(src));

	if (pod < 0)
		return err_set(e, MVI_EXIT_SETUP, "file bind \"%s\": too long", m->tag);
	if (!pod && (!slash || !one_name(m->tag, (size_t)(slash - m->tag)) ||
		     !one_name(slash + 1, strlen(slash + 1))))
		return err_set(e, MVI_EXIT_SETUP, "file bind \"%s\" is not SHARE/NAME", m->tag);
	if (!pod)
		snprintf(src, sizeof(src), FILES_DIR "/%s", m->tag);
	if (lstat(src, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(e, MVI_EXIT_SETUP, "file bind \"%s\": not a regular file in a files share",
			       m->tag);
	if ((fd = file_in_root(rootfd, m->path)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "bind a file on %s: mount point", m->path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "bind a file on %s", m->path);
	close(fd);
	/* The read-only (and nosuid...) remount goes to the new mount, reopened
	 * by path; a bind takes those flags only from a remount. */
	unsigned long rf = rootfs_restrict_flags(m) | (m->flags & PROTO_MOUNT_RO ? MS_RDONLY : 0);
	if (!ret && rf) {
		if ((fd = file_in_root(rootfd, m->path)) < 0)
			return err_sys(e, MVI_EXIT_SETUP, errno, "reopen %s", m->path);
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | rf, NULL) < 0)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "remount %s with its options",
				      m->path);
		close(fd);
	}
	return ret;
}
