/* The container's /dev, as runc makes it (libcontainer/rootfs_linux.go):
 * a tmpfs (the config's own /dev tmpfs options, else mode=755,size=65536k)
 * holding only the default device nodes, made with mknod (the guest
 * kernel's null, zero... have the standard numbers), the standard links,
 * and with a terminal /dev/console bound to the process's pty. The VM's own
 * devices (its disks, vsock, console) stay in the initramfs's devtmpfs,
 * which the container never sees. The config's linux.devices are added by
 * confine.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "guest-init/rootfs/rootfs.h"

static const struct {
	const char *name;
	unsigned major, minor;
} nodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 },    { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* The container's /dev as a directory fd (rootfs_open gives O_PATH, which
 * mknodat and symlinkat cannot use), or -1 with e set. */
static int open_dev(int rootfd, struct err *e)
{
	int dev = rootfs_open(rootfd, "/dev");

	if (dev < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open /dev");
	int dfd = openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dev);
	if (dfd < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open /dev");
	return dfd;
}

int dev_nodes(int rootfd, struct err *e)
{
	int dfd = open_dev(rootfd, e);
	int ret = 0;

	if (dfd < 0)
		return -1;
	for (size_t i = 0; !ret && i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		dev_t d = makedev(nodes[i].major, nodes[i].minor);

		/* 0666 whatever mvinit's umask; owner root (mvinit's). */
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666, d) < 0 && errno != EEXIST)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "mknod /dev/%s", nodes[i].name);
		else if (fchmodat(dfd, nodes[i].name, 0666, 0) < 0)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "chmod /dev/%s", nodes[i].name);
	}
	close(dfd);
	return ret;
}

int dev_links(int rootfd, struct err *e)
{
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" },		{ "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },
	};
	int dfd = open_dev(rootfd, e);

	if (dfd < 0)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST) {
			int err = errno;

			close(dfd);
			return err_sys(e, MVI_EXIT_SETUP, err, "symlink /dev/%s", links[i][1]);
		}
	}
	close(dfd);
	return 0;
}

int dev_console(int master, int slave, struct err *e)
{
	char src[32];
	unsigned n;
	struct stat a, b;

	/* In the container's root by now; /dev is its tmpfs. A mount point
	 * only: never opened, in case linux.devices made it a device. */
	if (mknod("/dev/console", S_IFREG | 0666, 0) < 0 && errno != EEXIST)
		return err_sys(e, MVI_EXIT_SETUP, errno, "create /dev/console");
	/* By its name in the container's devpts, as runc binds it: mvinit has
	 * no /proc/self in a container with a PID namespace of its own. */
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "the terminal's number");
	snprintf(src, sizeof(src), "/dev/pts/%u", n);
	if (stat(src, &a) < 0 || fstat(slave, &b) < 0 || a.st_rdev != b.st_rdev ||
	    !S_ISCHR(a.st_mode))
		return err_set(e, MVI_EXIT_SETUP, "%s is not the container's terminal", src);
	if (mount(src, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "bind the terminal on /dev/console");
	return 0;
}
