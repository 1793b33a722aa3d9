/* The container's tmpfs mounts (the spec's PROTO_MOUNT_TMPFS, and with a
 * user namespace their owner), as runc mounts them: the config's options,
 * the mode of the directory they cover, the image's files with tmpcopyup. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/rootfs/rootfs.h"
#include "proto/mountopt.h"

/* A tmpfs from the spec: its options are mount flags or tmpfs's own
 * size/mode/inode/owner settings; anything else is refused. Always nosuid;
 * nodev too but on /dev. keep_rw: mount it read-write even if it is to be
 * read-only (the caller fills it, then remounts it). */
int rootfs_tmpfs(int rootfd, const struct proto_mount *m, bool keep_rw, struct err *e)
{
	const char *fs = m->source && *m->source ? m->source : "tmpfs";
	char opts[512], data[512] = "";
	unsigned long flags = MS_NOSUID | (strcmp(m->path, "/dev") ? MS_NODEV : MS_STRICTATIME);
	size_t dl = 0;
	bool copyup = false;

	if (strlen(m->tag) >= sizeof(opts))
		return err_set(e, MVI_EXIT_SETUP, "tmpfs on %s: options too long", m->path);
	strcpy(opts, m->tag);
	for (char *save, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		bool known = false;
		if (!strcmp(o, "ro"))
			flags |= MS_RDONLY, known = true;
		else if (!strcmp(o, "rw"))
			known = true;
		else if (!strcmp(o, "noexec"))
			flags |= MS_NOEXEC, known = true;
		else if (!strcmp(o, "exec") || !strcmp(o, "nosuid") || !strcmp(o, "nodev"))
			known = true; /* nosuid and nodev always; exec is the default */
		else if (!strcmp(o, "tmpcopyup"))
			copyup = known = true;
		if (!known && mountopt_is_data("tmpfs", o)) {
			dl += (size_t)snprintf(data + dl, sizeof(data) - dl, "%s%s", dl ? "," : "", o);
			known = dl < sizeof(data);
		}
		if (!known)
			return err_set(e, MVI_EXIT_SETUP, "tmpfs on %s: option \"%s\" is not supported",
				       m->path, o);
	}
	if (keep_rw)
		flags &= ~MS_RDONLY;
	/* runc gives the tmpfs the mode of the directory it covers, over
	 * its mode= (the last mode= is the one tmpfs takes). */
	int dir = rootfs_open(rootfd, m->path);
	struct stat st;
	if (dir >= 0 && fstat(dir, &st) == 0) {
		dl += (size_t)snprintf(data + dl, sizeof(data) - dl, "%smode=%o", dl ? "," : "",
				       (unsigned)(st.st_mode & 07777));
		if (dl >= sizeof(data)) {
			close(dir);
			return err_set(e, MVI_EXIT_SETUP, "tmpfs on %s: options too long", m->path);
		}
	}
	if (dir >= 0)
		close(dir);
	if (!copyup)
		return rootfs_mount(rootfd, fs, m->path, "tmpfs", flags, data[0] ? data : NULL, e);
	/* What the image has there, opened before the tmpfs covers it; the
	 * copy goes in before a read-only tmpfs is made so. */
	int src = -1, dst = -1, ret, at = rootfs_open(rootfd, m->path);
	if (at >= 0) {
		src = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(at);
	}
	ret = rootfs_mount(rootfd, fs, m->path, "tmpfs", flags & ~MS_RDONLY,
			   data[0] ? data : NULL, e);
	if (!ret && src >= 0) {
		if ((at = rootfs_open(rootfd, m->path)) >= 0) {
			dst = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			close(at);
		}
		ret = dst < 0 ? err_sys(e, MVI_EXIT_SETUP, errno, "tmpcopyup of %s: open the tmpfs",
					m->path)
			      : copyup_tree(src, dst, m->path, e);
	}
	if (!ret && (flags & MS_RDONLY) && (at = rootfs_open(rootfd, m->path)) >= 0) {
		char target[32];
		snprintf(target, sizeof(target), "/proc/self/fd/%d", at);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			  (flags & MS_NOEXEC), NULL) < 0)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "make %s read-only", m->path);
		close(at);
	}
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return ret;
}

/* With a user namespace, a tmpfs is the container's root's, as one it
 * mounts itself would be (mvinit made it as the guest's root): its owner
 * is mapped. A read-only one stays as it is. */
void rootfs_own_tmpfs(int rootfd, const char *path, const struct proto_setup *maps)
{
	struct stat st;
	int fd = rootfs_open(rootfd, path);

	if (fd < 0)
		return; /* skipped: optional, missing from a read-only root */
	if (fstat(fd, &st) == 0 &&
	    fchownat(fd, "", mvi_map_id(maps->uidmap, maps->nuidmap, st.st_uid),
		     mvi_map_id(maps->gidmap, maps->ngidmap, st.st_gid), AT_EMPTY_PATH) < 0 &&
	    errno != EROFS)
		mvi_warn("chown the tmpfs on %s: %s", path, strerror(errno));
	close(fd);
}
