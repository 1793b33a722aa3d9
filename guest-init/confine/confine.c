/* The container's confinement (proto/confine.h), applied by mvinit as runc
 * applies it:
 *  - SETUP, once, while the container's root is being set up: sysctls and
 *    the domain name (the VM's own kernel: any key may be set), device
 *    nodes, then read-only paths, then masked paths (bind mounts of
 *    /dev/null, or a read-only tmpfs over a directory); a path the image
 *    lacks is skipped, as runc does.
 *  - CONFINE, in each process's child between fork and execve (spawn.c):
 *    without no_new_privs the seccomp program goes in first, while mvinit's
 *    CAP_SYS_ADMIN still allows it (runc's order, so the profile must allow
 *    the set-up calls that follow); then the bounding set, keep-caps across
 *    the user switch, capset, ambient; with no_new_privs the bit is set and
 *    the program goes in last, right before execve. oom_score_adj is
 *    written first, while the child is root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"
#include "guest-init/rootfs/rootfs.h"

/* <linux/filter.h>, <linux/seccomp.h> and <linux/capability.h>, which
 * musl-gcc cannot see. */
struct mvi_sock_filter {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct mvi_sock_fprog {
	unsigned short len;
	struct mvi_sock_filter *filter;
};
#define MVI_SECCOMP_SET_MODE_FILTER 1
struct mvi_cap_header {
	uint32_t version;
	int pid;
};
struct mvi_cap_data {
	uint32_t effective, permitted, inheritable;
};
#define MVI_CAP_VERSION_3 0x20080522

int confine_seccomp(const struct proto_confine *c)
{
	struct mvi_sock_fprog prog;
	int r;

	if (!(c->flags & PROTO_CONFINE_SECCOMP))
		return 0;
	/* The wire layout is struct sock_filter's on x86_64; copied out to
	 * align it. */
	prog.len = (unsigned short)c->nbpf;
	prog.filter = malloc((size_t)c->nbpf * sizeof(*prog.filter));
	if (!prog.filter)
		return -1;
	memcpy(prog.filter, c->bpf, (size_t)c->nbpf * PROTO_BPF_INSN);
	r = (int)syscall(SYS_seccomp, MVI_SECCOMP_SET_MODE_FILTER, c->seccomp_flags, &prog);
	free(prog.filter);
	return r < 0 ? -1 : 0;
}

int confine_bounding(const struct proto_confine *c, uint32_t *cap)
{
	if (!(c->flags & PROTO_CONFINE_CAPS))
		return 0;
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last cap. */
	for (*cap = 0; *cap < 64 && prctl(PR_CAPBSET_READ, *cap, 0, 0, 0) >= 0; (*cap)++)
		if (!(c->caps[PROTO_CAP_BOUNDING] >> *cap & 1) &&
		    prctl(PR_CAPBSET_DROP, *cap, 0, 0, 0) < 0)
			return -1;
	/* Keep the permitted set across setuid; confine_caps() sets it. */
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ? -1 : 0;
}

int confine_caps(const struct proto_confine *c, uint32_t *cap)
{
	struct mvi_cap_header h = { MVI_CAP_VERSION_3, 0 };
	struct mvi_cap_data d[2];

	*cap = 0;
	if (!(c->flags & PROTO_CONFINE_CAPS))
		return 0;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(c->caps[PROTO_CAP_EFFECTIVE] >> (32 * i));
		d[i].permitted = (uint32_t)(c->caps[PROTO_CAP_PERMITTED] >> (32 * i));
		d[i].inheritable = (uint32_t)(c->caps[PROTO_CAP_INHERITABLE] >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	/* The kernel raises an ambient cap only if it is permitted and
	 * inheritable; runc's own default spec asks for ambient caps it
	 * leaves out of the inheritable set, and runc lets them go too. */
	uint64_t amb = c->caps[PROTO_CAP_AMBIENT] & c->caps[PROTO_CAP_PERMITTED] &
		       c->caps[PROTO_CAP_INHERITABLE];
	for (*cap = 0; *cap < 64; (*cap)++)
		if ((amb >> *cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, *cap, 0, 0) < 0)
			return -1;
	return 0;
}

int confine_oom(const struct proto_confine *c)
{
	char v[16];
	int fd, n;
	ssize_t w;

	if (!(c->flags & PROTO_CONFINE_OOM))
		return 0;
	n = snprintf(v, sizeof(v), "%d", (int)c->oom_score_adj);
	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	w = write(fd, v, (size_t)n);
	int err = errno;
	close(fd);
	errno = w == n ? 0 : w < 0 ? err : EIO;
	return w == n ? 0 : -1;
}

int confine_nnp(const struct proto_confine *c)
{
	if (!(c->flags & PROTO_CONFINE_NNP))
		return 0;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -1 : 0;
}

/* ---- SETUP ---- */

/* Write one sysctl through dirfd, an fd of a /proc/sys. */
static int sysctl_set(int dirfd, const char *key, const char *value, struct err *e)
{
	char path[512];
	size_t n = strlen(key), vl = strlen(value);
	int fd;

	if (!n || n > 256 || key[0] == '.' || key[0] == '/' ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") != n)
		return err_set(e, MVI_EXIT_SETUP, "sysctl \"%s\": not a sysctl name", key);
	/* Dots become slashes, so no component can be "..". */
	snprintf(path, sizeof(path), "%s", key);
	for (char *p = path; *p; p++)
		if (*p == '.')
			*p = '/';
	if ((fd = openat(dirfd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "sysctl %s", key);
	ssize_t w = write(fd, value, vl);
	int err = errno;
	close(fd);
	if (w != (ssize_t)vl)
		return err_sys(e, MVI_EXIT_SETUP, w < 0 ? err : EIO, "sysctl %s=%s", key, value);
	return 0;
}

int confine_setup_kernel(int procsys, const struct proto_setup *s, struct err *e)
{
	for (uint32_t i = 0; i < s->nsysctl; i++)
		if (sysctl_set(procsys, s->sysctl_key[i], s->sysctl_value[i], e) < 0)
			return -1;
	if (*s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "setdomainname \"%s\"", s->domainname);
	return 0;
}

int confine_setup_net(int procsys, const struct proto_setup *s, struct err *e)
{
	for (uint32_t i = 0; i < s->nsysctl; i++)
		if (!strncmp(s->sysctl_key[i], "net.", 4) &&
		    sysctl_set(procsys, s->sysctl_key[i], s->sysctl_value[i], e) < 0)
			return -1;
	return 0;
}

static int make_device(int rootfd, const struct proto_device *d, struct err *e)
{
	const char *base = strrchr(d->path, '/');
	char parent[4096];
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	int dfd, ret = 0;

	if (d->path[0] != '/' || !base || !base[1] || !strcmp(base, "/.") || !strcmp(base, "/..") ||
	    (size_t)(base - d->path) >= sizeof(parent) || (d->type != 'c' && d->type != 'b' &&
							  d->type != 'p'))
		return err_set(e, MVI_EXIT_SETUP, "device %s: not an absolute path and a c, b or p "
			       "type", d->path);
	memcpy(parent, d->path, (size_t)(base - d->path));
	parent[base - d->path] = 0;
	if ((dfd = rootfs_dir(rootfd, parent[0] ? parent : "/")) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "device %s: its directory", d->path);
	/* What devtmpfs or the image has there gives way to what was asked. */
	if (unlinkat(dfd, base + 1, 0) < 0 && errno != ENOENT)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "device %s: remove what is there", d->path);
	else if (mknodat(dfd, base + 1, type | (d->mode & 07777),
			 d->type == 'p' ? 0 : makedev(d->major, d->minor)) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "mknod %s", d->path);
	else if (fchownat(dfd, base + 1, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		 fchmodat(dfd, base + 1, d->mode & 07777, 0) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "device %s: owner and mode", d->path);
	close(dfd);
	return ret;
}

/* A read-only bind of path onto itself; absent paths are skipped. */
static int readonly_path(int rootfd, const char *path, struct err *e)
{
	char fdpath[32];
	int fd = rootfs_open(rootfd, path);

	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(e, MVI_EXIT_SETUP, errno, "readonly path %s", path);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	int r = mount(fdpath, fdpath, NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (r < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "readonly path %s: bind", path);
	if ((fd = rootfs_open(rootfd, path)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "readonly path %s: reopen", path);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	r = mount(NULL, fdpath, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	close(fd);
	if (r < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "readonly path %s: remount", path);
	return 0;
}

/* /dev/null over a file, an empty read-only tmpfs over a directory. */
static int mask_path(int rootfd, const char *path, struct err *e)
{
	char fdpath[32];
	struct stat st;
	int fd = rootfs_open(rootfd, path), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(e, MVI_EXIT_SETUP, errno, "masked path %s", path);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) < 0)
		r = -1;
	else if (S_ISDIR(st.st_mode))
		r = mount("tmpfs", fdpath, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0,mode=0555");
	else
		r = mount("/dev/null", fdpath, NULL, MS_BIND, NULL); /* the initramfs's devtmpfs */
	int err = errno;
	close(fd);
	return r < 0 ? err_sys(e, MVI_EXIT_SETUP, err, "masked path %s", path) : 0;
}

int confine_setup_root(int rootfd, const struct proto_setup *s, struct err *e)
{
	for (uint32_t i = 0; i < s->ndevices; i++) {
		/* The owner is the container's; the node's, the guest's. */
		struct proto_device d = s->devices[i];
		if (s->nuidmap) {
			d.uid = mvi_map_id(s->uidmap, s->nuidmap, d.uid);
			d.gid = mvi_map_id(s->gidmap, s->ngidmap, d.gid);
		}
		if (make_device(rootfd, &d, e) < 0)
			return -1;
	}
	for (uint32_t i = 0; i < s->nreadonly; i++)
		if (readonly_path(rootfd, s->readonly[i], e) < 0)
			return -1;
	for (uint32_t i = 0; i < s->nmasked; i++)
		if (mask_path(rootfd, s->masked[i], e) < 0)
			return -1;
	return 0;
}
