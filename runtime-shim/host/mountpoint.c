/* Mount points made as runc 1.1's mountToRootfs makes them: the path is
 * resolved as filepath-securejoin does (symlinks followed, but within the
 * rootfs, ".." stopping at its root), what is missing is made in the
 * rootfs, where it stays; proc and sysfs refuse anything but a real
 * directory at the path. */
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

/* As the kernel's MAXSYMLINKS and securejoin's limit. */
#define MP_MAX_LINKS 255

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* The walk's state: `done` is the resolved part, symlink-free, relative to
 * the root ("" is the root, else "/a/b"); `todo` what is left to resolve. */
struct walk {
	char done[4096], todo[8192];
	int links;
};

/* Next component of todo into name (cap bytes); false when none is left.
 * One too long for name comes out empty, which the caller refuses. */
static bool next_name(struct walk *w, char *name, size_t cap)
{
	char *t = w->todo;
	t += strspn(t, "/");
	size_t n = strcspn(t, "/");
	if (!n)
		return false;
	snprintf(name, cap, "%.*s", (int)(n < cap ? n : 0), t);
	memmove(w->todo, t + n, strlen(t + n) + 1);
	return true;
}

static bool last_name(const struct walk *w)
{
	return !w->todo[strspn(w->todo, "/")];
}

/* Makes name in the resolved directory: a directory, or an empty file. */
static int make(int rootfd, const struct walk *w, const char *name, bool file)
{
	int pfd = open_in_root(rootfd, w->done[0] ? w->done : "/", O_PATH | O_DIRECTORY), r = 0;
	if (pfd < 0)
		return -1;
	if (file) {
		int c = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
		if (c < 0 && errno != EEXIST)
			r = -1;
		if (c >= 0)
			close(c);
	} else if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) {
		r = -1;
	}
	int e = errno;
	close(pfd);
	errno = e;
	return r;
}

int mp_create(const char *rootfs, const char *path, enum mp_kind kind, struct err *err)
{
	struct walk w = { .done = "" };
	if (strlen(path) >= sizeof(w.done))
		return err_set(err, 1, "mount point %s: too long", path);
	snprintf(w.todo, sizeof(w.todo), "%s", path);
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, 1, errno, "root.path %s", rootfs);
	char name[256], link[4096];
	int r = 0;
	while (r == 0 && next_name(&w, name, sizeof(name))) {
		bool last = last_name(&w);
		size_t dl = strlen(w.done);
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			while (dl && w.done[--dl] != '/')
				;
			w.done[dl] = 0;
			continue;
		}
		if (!name[0] || dl + 1 + strlen(name) >= sizeof(w.done)) {
			r = err_set(err, 1, "mount point %s in %s: too long", path, rootfs);
			break;
		}
		snprintf(w.done + dl, sizeof(w.done) - dl, "/%s", name);
		struct stat st;
		int fd = open_in_root(rootfd, w.done, O_PATH | O_NOFOLLOW);
		if (fd >= 0 && fstat(fd, &st) < 0)
			st.st_mode = 0;
		if (fd >= 0)
			close(fd);
		if (fd < 0 && errno == ENOENT) {
			w.done[dl] = 0;
			if (make(rootfd, &w, name, last && kind == MP_FILE) < 0)
				r = err_sys(err, 1, errno, "mount point %s in %s", path, rootfs);
			snprintf(w.done + dl, sizeof(w.done) - dl, "/%s", name);
			continue;
		}
		if (fd < 0) {
			r = err_sys(err, 1, errno, "mount point %s in %s", path, rootfs);
		} else if (last && kind == MP_KERNFS && !S_ISDIR(st.st_mode)) {
			/* runc: "must be mounted on ordinary directory", a symlink
			 * included, so /proc cannot be sent anywhere else. */
			r = err_set(err, 1, "mount point %s in %s: proc and sysfs must be mounted on an "
					    "ordinary directory", path, rootfs);
		} else if (S_ISLNK(st.st_mode)) {
			/* Its target takes its place, resolved from the root if
			 * absolute, else from the directory it is in. */
			ssize_t n = -1;
			int pfd = open_in_root(rootfd, w.done, O_PATH | O_NOFOLLOW);
			if (pfd >= 0)
				n = readlinkat(pfd, "", link, sizeof(link) - 1);
			if (pfd >= 0)
				close(pfd);
			if (n < 0 || ++w.links > MP_MAX_LINKS ||
			    (size_t)n + 1 + strlen(w.todo) >= sizeof(w.todo)) {
				r = err_sys(err, 1, n < 0 ? errno : ELOOP, "mount point %s in %s", path,
					    rootfs);
				break;
			}
			link[n] = 0;
			memmove(w.todo + n + 1, w.todo, strlen(w.todo) + 1);
			memcpy(w.todo, link, (size_t)n);
			w.todo[n] = '/';
			w.done[link[0] == '/' ? 0 : dl] = 0;
		} else if (!S_ISDIR(st.st_mode) && (!last || kind != MP_FILE)) {
			r = err_set(err, 1, "mount point %s in %s: %s is not a directory", path, rootfs,
				    w.done);
		} else if (last && kind == MP_FILE && S_ISDIR(st.st_mode)) {
			r = err_set(err, 1, "mount point %s in %s: a file is bound there, and %s is a "
					    "directory", path, rootfs, w.done);
		}
	}
	close(rootfd);
	return r;
}
