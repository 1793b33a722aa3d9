/* The container's filesystem view: the root share with the system
 * filesystems and the spec's shares mounted inside it, made the root.
 *
 * Every mount point inside the new root is resolved with openat2's
 * RESOLVE_IN_ROOT, so a symlink in the image (say /proc -> /) cannot send a
 * mount outside the root, and mounted through /proc/self/fd/N.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"
#include "guest-init/process/process.h"
#include "guest-init/rootfs/rootfs.h"

/* <linux/openat2.h>, which musl-gcc cannot see. */
struct mvi_open_how {
	uint64_t flags, mode, resolve;
};
#define MVI_RESOLVE_NO_MAGICLINKS 0x02
#define MVI_RESOLVE_IN_ROOT 0x10

static int open_in_root(int rootfd, const char *path)
{
	struct mvi_open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = MVI_RESOLVE_IN_ROOT | MVI_RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

int rootfs_open(int rootfd, const char *path)
{
	struct mvi_open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = MVI_RESOLVE_IN_ROOT | MVI_RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Open directory `path` inside the root, creating what is missing (mode
 * 0755) as mkdir -p would. Returns an O_PATH fd, or -1 with errno (EROFS
 * when something is missing from a read-only root). */
static int dir_in_root(int rootfd, const char *path)
{
	char prefix[4096];
	int parent, fd;
	size_t i = 0, len = strlen(path);

	if (len >= sizeof(prefix)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open_in_root(rootfd, path)) >= 0 || errno != ENOENT)
		return fd;
	if ((parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	while (i < len) {
		size_t start;

		while (path[i] == '/')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		fd = open_in_root(rootfd, prefix);
		if (fd < 0 && errno == ENOENT) {
			/* parent is this component's directory, already resolved
			 * in the root: a one-name mkdirat cannot leave it. */
			char name[256];

			if (i - start >= sizeof(name)) {
				errno = ENAMETOOLONG;
				break;
			}
			memcpy(name, path + start, i - start);
			name[i - start] = '\0';
			if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
				break;
			fd = open_in_root(rootfd, prefix);
		}
		if (fd < 0)
			break;
		close(parent);
		parent = fd;
	}
	if (fd < 0) {
		int err = errno;

		close(parent);
		errno = err;
		return -1;
	}
	return parent;
}

int rootfs_dir(int rootfd, const char *path)
{
	return dir_in_root(rootfd, path);
}

/* Mount onto directory `path` inside the root; ro is enforced per mount
 * (MS_RDONLY, else a read-only bind remount). optional: a mount point
 * missing from a read-only root is skipped with a warning. */
static int mount_in_root(int rootfd, const char *src, const char *path, const char *type,
			 unsigned long flags, const char *data, bool optional, struct err *e)
{
	char target[32];
	int fd = dir_in_root(rootfd, path);
	int ret = 0;

	if (fd < 0) {
		if (optional && errno == EROFS) {
			mvi_warn("no %s in the read-only root: not mounting %s there", path, type);
			return 0;
		}
		if (errno == EROFS)
			return err_set(e, MVI_EXIT_SETUP,
				       "mount %s on %s: the mount point is missing and the root is read-only",
				       type, path);
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount %s on %s: mount point", type, path);
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(src, target, type, flags, data) < 0) {
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "mount %s \"%s\" on %s", type, src, path);
	} else if (flags & MS_RDONLY) {
		/* fd is the covered directory; look at what is mounted now. */
		int top = open_in_root(rootfd, path);
		struct statvfs sv;

		if (top < 0 || fstatvfs(top, &sv) < 0)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "check %s is read-only", path);
		else if (!(sv.f_flag & ST_RDONLY) &&
			 mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
			       (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) < 0)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "make %s read-only", path);
		if (top >= 0)
			close(top);
	}
	close(fd);
	return ret;
}

int rootfs_mount(int rootfd, const char *src, const char *path, const char *type,
		 unsigned long flags, const char *data, struct err *e)
{
	return mount_in_root(rootfd, src, path, type, flags, data, false, e);
}

static const struct sysmount {
	const char *src, *path, *type;
	unsigned long flags;
	const char *data;
	bool optional; /* an image may lack it; a read-only one keeps lacking it */
} sysmounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, false },
	/* runc's /dev (dev.c), unless the spec has a /dev tmpfs of its own. */
	{ "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", false },
	/* A private instance: ptys of the container only; gid 5 is "tty". */
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5", false },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
	{ "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
	/* /run as systemd makes it (root-writable); /tmp for everyone. */
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", true },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true },
};

static int mount_root(const struct proto_spec *s, struct err *e)
{
	bool ro = s->flags & PROTO_SPEC_READONLY_ROOT;
	struct statvfs sv;

	if (!*s->root_tag)
		return err_set(e, MVI_EXIT_SETUP, "the spec names no root share");
	if ((mkdir("/mnt", 0755) < 0 && errno != EEXIST) ||
	    (mkdir(MVI_NEWROOT, 0755) < 0 && errno != EEXIST))
		return err_sys(e, MVI_EXIT_SETUP, errno, "mkdir %s", MVI_NEWROOT);
	char pod[600];
	int member = member_share_src(s->root_tag, pod, sizeof(pod));

	if (member < 0)
		return err_set(e, MVI_EXIT_SETUP, "root share \"%s\": too long", s->root_tag);
	if (member ? mount(pod, MVI_NEWROOT, NULL, MS_BIND | MS_REC, NULL) < 0
		   : mount(s->root_tag, MVI_NEWROOT, "virtiofs", ro ? MS_RDONLY : 0, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount virtiofs \"%s\" as the root",
			       s->root_tag);
	if (ro && statvfs(MVI_NEWROOT, &sv) == 0 && !(sv.f_flag & ST_RDONLY) &&
	    mount(NULL, MVI_NEWROOT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "make the root read-only");
	return 0;
}

/* The spec's tmpfs on /dev or /dev/shm, which replaces the default one
 * (its size and mode: docker's --shm-size), or NULL. */
static const struct proto_mount *spec_own(const struct proto_spec *s, const char *path)
{
	if (strcmp(path, "/dev") && strcmp(path, "/dev/shm"))
		return NULL;
	for (uint32_t i = 0; i < s->nmounts; i++)
		if ((s->mounts[i].flags & PROTO_MOUNT_TMPFS) && !strcmp(s->mounts[i].path, path))
			return &s->mounts[i];
	return NULL;
}

/* The propagation the config gave share or file bind m, on what is mounted
 * at m->path now. 0 or -1 with e. */
static int propagate(int rootfd, const struct proto_mount *m, struct err *e)
{
	unsigned long f = m->flags & PROTO_MOUNT_SHARED ? MS_SHARED
			  : m->flags & PROTO_MOUNT_SLAVE ? MS_SLAVE
			  : m->flags & PROTO_MOUNT_PRIVATE ? MS_PRIVATE
			  : m->flags & PROTO_MOUNT_UNBINDABLE ? MS_UNBINDABLE : 0;
	char target[32];
	int fd, ret = 0;

	if (!f)
		return 0;
	if ((fd = rootfs_open(rootfd, m->path)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "reopen %s", m->path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(NULL, target, NULL, f | (m->flags & PROTO_MOUNT_PROP_REC ? MS_REC : 0), NULL) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "set the propagation of %s", m->path);
	close(fd);
	return ret;
}

/* One spec mount; maps: the user namespace's, or NULL.
 * keep_rw: see rootfs_tmpfs. */
static int mount_entry(int rootfd, const struct proto_mount *m, const struct proto_setup *maps,
		       bool keep_rw, struct err *e)
{
	if (m->flags & PROTO_MOUNT_TMPFS) {
		if (rootfs_tmpfs(rootfd, m, keep_rw, e) < 0)
			return -1;
		if (maps)
			rootfs_own_tmpfs(rootfd, m->path, maps);
		return 0;
	}
	if (m->flags & PROTO_MOUNT_FILES)
		return rootfs_files_share(m, e);
	if (!*m->tag && !(m->flags & PROTO_MOUNT_KERNFS))
		return err_set(e, MVI_EXIT_SETUP, "a spec mount on %s has no tag", m->path);
	if (!*m->path)
		return err_set(e, MVI_EXIT_SETUP, "a spec mount has no path");
	if (m->flags & PROTO_MOUNT_KERNFS)
		return kernfs_mount(rootfd, m, maps, e);
	if (m->flags & PROTO_MOUNT_FILE)
		return rootfs_bind_file(rootfd, m, e) < 0 ? -1 : propagate(rootfd, m, e);
	char pod[600];
	int member = member_share_src(m->tag, pod, sizeof(pod));

	if (member < 0)
		return err_set(e, MVI_EXIT_SETUP, "share \"%s\": too long", m->tag);
	/* A pod member's share: a bind from the pod share; the read-only
	 * remount follows in mount_in_root. */
	if (member && mount_in_root(rootfd, pod, m->path, "bind",
				    MS_BIND | MS_REC | (m->flags & PROTO_MOUNT_RO ? MS_RDONLY : 0) |
				    rootfs_restrict_flags(m), NULL, false, e) < 0)
		return -1;
	if (member)
		return propagate(rootfd, m, e);
	if (mount_in_root(rootfd, m->tag, m->path, "virtiofs",
			  (m->flags & PROTO_MOUNT_RO ? MS_RDONLY : 0) | rootfs_restrict_flags(m), NULL,
			  false, e) < 0)
		return -1;
	return propagate(rootfd, m, e);
}

/* The /dev tmpfs m, filled, made read-only if m asks for it. */
static int dev_readonly(int rootfd, const struct proto_mount *m, struct err *e)
{
	char opts[512], target[32];
	bool ro = false;
	int fd, ret = 0;

	snprintf(opts, sizeof(opts), "%s", m->tag);
	for (char *save, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		ro = !strcmp(o, "ro") ? true : !strcmp(o, "rw") ? false : ro;
	if (!ro)
		return 0;
	if ((fd = open_in_root(rootfd, "/dev")) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "reopen /dev");
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		  (strstr(m->tag, "noexec") ? MS_NOEXEC : 0), NULL) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "make /dev read-only");
	close(fd);
	return ret;
}

static int mount_inside(const struct proto_spec *s, const struct proto_setup *setup,
			struct err *e)
{
	int rootfd = open(MVI_NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const struct proto_setup *maps = setup && setup->nuidmap ? setup : NULL;
	int ret = -1;

	if (rootfd < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open %s", MVI_NEWROOT);
	for (size_t i = 0; i < sizeof(sysmounts) / sizeof(sysmounts[0]); i++) {
		const struct sysmount *m = &sysmounts[i];
		bool dev = !strcmp(m->path, "/dev");
		const struct proto_mount *own = spec_own(s, m->path);
		const char *data = m->data;
		char pts[96];

		/* The tty group as the container's user namespace has it (when
		 * the map has it; else the guest's, nobody's there). */
		if (maps && !strcmp(m->type, "devpts") &&
		    mvi_map_id(maps->gidmap, maps->ngidmap, 5) != MVI_UNMAPPED) {
			snprintf(pts, sizeof(pts), "newinstance,ptmxmode=0666,mode=0620,gid=%u",
				 mvi_map_id(maps->gidmap, maps->ngidmap, 5));
			data = pts;
		}
		if (own ? rootfs_tmpfs(rootfd, own, false, e) < 0
			: mount_in_root(rootfd, m->src, m->path, m->type, m->flags, data,
					m->optional, e) < 0)
			goto out;
		if (maps && !strcmp(m->type, "tmpfs"))
			rootfs_own_tmpfs(rootfd, m->path, maps);
		if (dev && dev_nodes(rootfd, e) < 0)
			goto out;
	}
	if (dev_links(rootfd, e) < 0)
		goto out;
	/* After the system mounts, so a share may cover /tmp or /run. */
	for (uint32_t i = 0; i < s->nmounts; i++)
		if (&s->mounts[i] != spec_own(s, s->mounts[i].path) &&
		    mount_entry(rootfd, &s->mounts[i], maps, false, e) < 0)
			goto out;
	if (mvi_cgroup_mount(rootfd, setup, e) < 0)
		goto out;
	/* Last, so read-only and masked paths also cover what is mounted. */
	if (setup && confine_setup_root(rootfd, setup, e) < 0)
		goto out;
	ret = 0;
out:
	close(rootfd);
	return ret;
}

/* With PROTO_SPEC_ALL_MOUNTS: the spec's mounts only, in its order, as
 * runc mounts the config's. A /dev tmpfs gets the default nodes as soon as
 * it is mounted and the links, the config's devices and its read-only
 * remount (if it asks for one) after everything else, as runc. */
static int mount_all(const struct proto_spec *s, const struct proto_setup *setup,
		     struct err *e)
{
	int rootfd = open(MVI_NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const struct proto_setup *maps = setup && setup->nuidmap ? setup : NULL;
	const struct proto_mount *dev = NULL;
	int ret = -1;

	if (rootfd < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open %s", MVI_NEWROOT);
	for (uint32_t i = 0; i < s->nmounts; i++) {
		const struct proto_mount *m = &s->mounts[i];
		bool is_dev = (m->flags & PROTO_MOUNT_TMPFS) && !strcmp(m->path, "/dev");

		if (mount_entry(rootfd, m, maps, is_dev, e) < 0)
			goto out;
		if (is_dev && dev_nodes(rootfd, e) < 0)
			goto out;
		if (is_dev)
			dev = m;
	}
	if (dev && dev_links(rootfd, e) < 0)
		goto out;
	if (mvi_cgroup_mount(rootfd, setup, e) < 0)
		goto out;
	if (setup && confine_setup_root(rootfd, setup, e) < 0)
		goto out;
	if (dev && dev_readonly(rootfd, dev, e) < 0)
		goto out;
	ret = 0;
out:
	close(rootfd);
	return ret;
}

/* Detach every mount of the initramfs but the root's (its /proc, /sys,
 * /dev, the cgroup hierarchies and the files shares): what runc's
 * pivot_root and detach of the old root achieve, which rootfs does not
 * allow. Nothing in the container can reach them any more, and a process
 * with a user namespace finds no procfs or sysfs without the masked paths
 * over it, so it cannot mount a fresh one (mount_too_revealing). mvinit
 * keeps what it holds open there (its /proc/sys, cgroup files), which
 * works on a detached mount. */
static int detach_initramfs(struct err *e)
{
	char line[4096], paths[64][256];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return err_sys(e, MVI_EXIT_SETUP, errno, "read the initramfs's mounts");
	while (fgets(line, sizeof(line), f)) {
		char mp[256];

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ...; no mount point of
		 * mvinit's has a space (which mountinfo escapes). */
		if (sscanf(line, "%*s %*s %*s %*s %255s", mp) != 1 || !strcmp(mp, "/") ||
		    !strncmp(mp, MVI_NEWROOT, strlen(MVI_NEWROOT)))
			continue;
		if (n == 64) {
			fclose(f);
			return err_set(e, MVI_EXIT_SETUP, "more than 64 mounts in the initramfs");
		}
		snprintf(paths[n++], sizeof(paths[0]), "%s", mp);
	}
	fclose(f);
	/* The last listed first: a child before its parent, whose detach
	 * would take it along anyway. */
	while (n-- > 0)
		if (umount2(paths[n], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			return err_sys(e, MVI_EXIT_SETUP, errno, "detach the initramfs's %s",
				       paths[n]);
	return 0;
}

/* switch_root(8): the initramfs is rootfs, which cannot be pivot_root'ed
 * away, so the new root is moved over it, after its other mounts are
 * detached. The initramfs's files stay (only mvinit itself, so nothing
 * worth freeing). */
static int switch_root(struct err *e)
{
	if (detach_initramfs(e) < 0)
		return -1;
	if (chdir(MVI_NEWROOT) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "chdir %s", MVI_NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "move the root onto /");
	if (chroot(".") < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "chroot into the root");
	if (chdir("/") < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "chdir / in the root");
	return 0;
}

/* Containers expect 127.0.0.1 to work; the guest boots with lo down. */
static void loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0))
		mvi_warn("bring up lo: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

int rootfs_setup(const struct proto_spec *s, const struct proto_setup *setup, int procsys,
		 struct mvi_cgroup *cg, struct mvi_pidns *pn, struct err *e)
{
	/* Sysctls through the initramfs's /proc: the VM's kernel is the container's. */
	if (setup && confine_setup_kernel(procsys, setup, e) < 0)
		return -1;
	/* In the initramfs, which the switch covers. */
	if ((setup && mvi_cgroup_setup(setup, cg, e) < 0) || mvi_cgroup_ns(cg, e) < 0)
		return -1;
	/* The PID namespace's init after the cgroup namespace, so that it (and
	 * the cgroup2 it mounts, and the process it becomes) has it too; before
	 * the mounts, so that the /proc it mounts is its namespace's. */
	if (setup && (setup->flags & PROTO_SETUP_PIDNS) && pidns_create(pn, e) < 0)
		return -1;
	pidns_fn mounts = s->flags & PROTO_SPEC_ALL_MOUNTS ? mount_all : mount_inside;

	if (mount_root(s, e) < 0 ||
	    (pn->init ? pidns_call(pn, mounts, s, setup, e) : mounts(s, setup, e)) < 0 ||
	    switch_root(e) < 0)
		return -1;
	if (*s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "sethostname \"%s\"", s->hostname);
	loopback_up();
	return 0;
}
