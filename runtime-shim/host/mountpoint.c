#include "runtime-shim/host/mountpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

int mp_create(const char *rootfs, const char *path, bool file, struct err *err)
{
	char prefix[4096];
	size_t len = strlen(path);
	if (len >= sizeof(prefix))
		return err_set(err, 1, "mount point %s: too long", path);
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, 1, errno, "root.path %s", rootfs);
	int r = 0;
	for (size_t i = 0; i < len && r == 0;) {
		while (path[i] == '/')
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && path[i] != '/')
			i++;
		bool last = i == len || !path[i + strspn(path + i, "/")];
		memcpy(prefix, path, i);
		prefix[i] = 0;
		int fd = open_in_root(rootfd, prefix, O_PATH | O_NOFOLLOW);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT) {
			r = err_sys(err, 1, errno, "mount point %s in %s: %s", path, rootfs, prefix);
			break;
		}
		/* The parent resolved in the root; one name made in it stays there. */
		char parent[4096];
		snprintf(parent, sizeof(parent), "%.*s", (int)start, path);
		int pfd = open_in_root(rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY);
		char name[256];
		if (pfd < 0 || i - start >= sizeof(name)) {
			r = err_sys(err, 1, errno, "mount point %s in %s", path, rootfs);
			if (pfd >= 0)
				close(pfd);
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(i - start), path + start);
		if (last && file) {
			int c = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (c < 0 && errno != EEXIST)
				r = err_sys(err, 1, errno, "mount point %s in %s", path, rootfs);
			if (c >= 0)
				close(c);
		} else if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) {
			r = err_sys(err, 1, errno, "mount point %s in %s", path, rootfs);
		}
		close(pfd);
	}
	close(rootfd);
	return r;
}
