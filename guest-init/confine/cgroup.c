/* The container's cgroups inside the guest. memory, cpu, pids and cpuset
 * are on cgroup2, as on a host with cgroup v2: the container's cgroup "c"
 * gets the files the host computed (SETUP's and UPDATE's cgroup files:
 * memory.max, cpu.max, pids.max, unified keys...), and the container sees
 * it at /sys/fs/cgroup with the limits runtimes size themselves from.
 * devices stays on a v1 hierarchy: the guest kernel has no cgroup BPF, so
 * no v2 device filter, and a controller can be on one hierarchy only.
 *
 * The hierarchies are mounted in the initramfs under CG_DIR, which the
 * switch of root detaches: the container sees only its own cgroup, through
 * a cgroup namespace rooted at "c" (mvi_cgroup_ns). mvinit stays in the
 * root cgroups; each process joins "c" in its child, before execve,
 * through fds of cgroup.procs held open across the switch
 * (mvi_cgroup_join).
 *
 * devices: "a" to devices.deny (deny everything, runc's start), then the
 * SETUP's rules in order to devices.allow or devices.deny
 * (Documentation/admin-guide/cgroup-v1/devices.rst). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"
#include "guest-init/rootfs/rootfs.h"
#include "guest-init/mvi.h"

#define CG_DIR "/mvrun-cgroup"

/* Write text to file `name` in directory dirfd; 0 or -1 with e. */
static int cg_write(int dirfd, const char *ctl, const char *name, const char *text,
		    struct err *e)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	ssize_t w = -1;
	int err;

	if (fd >= 0)
		w = write(fd, text, n);
	err = errno;
	if (fd >= 0)
		close(fd);
	if (w != (ssize_t)n)
		return err_sys(e, MVI_EXIT_SETUP, w < 0 ? err : EIO, "cgroup %s: write \"%s\" to %s",
			       ctl, text, name);
	return 0;
}

/* Mount hierarchy `name` (fstype "cgroup" with data ctl, or "cgroup2"
 * with ctl NULL), make the container's cgroup in it and keep its
 * cgroup.procs and the root's in cg. Returns an O_PATH fd of the cgroup's
 * directory, or -1 with e. */
static int cg_hierarchy(const char *name, const char *ctl, struct mvi_cgroup *cg,
			struct err *e)
{
	char dir[64];
	int dfd, procs, root;

	if (cg->n >= MVI_CGROUP_MAX)
		return err_set(e, MVI_EXIT_SETUP, "cgroup %s: too many hierarchies", name);
	snprintf(dir, sizeof(dir), CG_DIR "/%s", name);
	if ((mkdir(CG_DIR, 0700) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
		return err_sys(e, MVI_EXIT_SETUP, errno, "mkdir %s", dir);
	if (mount("cgroup", dir, ctl ? "cgroup" : "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, ctl) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount the cgroup %s hierarchy", name);
	snprintf(dir, sizeof(dir), CG_DIR "/%s/cgroup.procs", name);
	if ((root = open(dir, O_WRONLY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open %s", dir);
	snprintf(dir, sizeof(dir), CG_DIR "/%s/%s", name, cg->name[0] ? cg->name : "c");
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int err = errno;
		close(root);
		return err_sys(e, MVI_EXIT_SETUP, err, "make %s", dir);
	}
	if ((procs = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0) {
		int err = errno;
		close(dfd);
		close(root);
		return err_sys(e, MVI_EXIT_SETUP, err, "open %s/cgroup.procs", dir);
	}
	cg->root_procs[cg->n] = root;
	cg->procs[cg->n++] = procs;
	return dfd;
}

/* One rule as devices.allow/deny take it: "c 1:3 rwm", "b *:* m", "a". */
static void devrule_text(const struct proto_devrule *r, char *out, size_t size)
{
	char maj[12] = "*", min[12] = "*", acc[4];
	size_t k = 0;

	if (r->type == 'a') {
		snprintf(out, size, "a");
		return;
	}
	if (r->major != PROTO_DEV_ANY)
		snprintf(maj, sizeof(maj), "%u", r->major);
	if (r->minor != PROTO_DEV_ANY)
		snprintf(min, sizeof(min), "%u", r->minor);
	if (r->access & PROTO_DEV_R)
		acc[k++] = 'r';
	if (r->access & PROTO_DEV_W)
		acc[k++] = 'w';
	if (r->access & PROTO_DEV_M)
		acc[k++] = 'm';
	acc[k] = 0;
	snprintf(out, size, "%c %s:%s %s", (char)r->type, maj, min, acc);
}

static int devices_setup(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e)
{
	char text[48];
	int dfd = cg_hierarchy("devices", "devices", cg, e), ret = 0;

	if (dfd < 0)
		return -1;
	if (cg_write(dfd, "devices", "devices.deny", "a", e) < 0)
		ret = -1;
	for (uint32_t i = 0; !ret && i < s->ndevrules && i < PROTO_MAX_DEVRULES; i++) {
		const struct proto_devrule *r = &s->devrules[i];

		devrule_text(r, text, sizeof(text));
		if (cg_write(dfd, "devices", r->allow ? "devices.allow" : "devices.deny", text, e) < 0)
			ret = -1;
	}
	close(dfd);
	return ret;
}

int mvi_cgroup_setup(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e)
{
	return devices_setup(s, cg, e);
}

int mvi_cgroup_join(const struct mvi_cgroup *cg)
{
	for (int i = 0; cg && i < cg->n; i++)
		if (write(cg->procs[i], "0", 1) != 1)
			return -1;
	return 0;
}

/* Write the n cgroup files f to the container's cgroup2 directory, in
 * order; the first that fails is named in e. */
static int cg_files(const struct mvi_cgroup *cg, uint32_t n, const struct proto_cgfile *f,
		    struct err *e)
{
	if (n && cg->v2 <= 2)
		return err_set(e, MVI_EXIT_SETUP, "cgroup: the container's cgroup2 is not set up");
	for (uint32_t i = 0; i < n && i < PROTO_MAX_CGFILES; i++) {
		/* The codec let through plain file names only. */
		int fd = openat(cg->v2, f[i].name, O_WRONLY | O_CLOEXEC);
		size_t len = strlen(f[i].value);
		ssize_t w = -1;
		int err;

		if (fd >= 0)
			w = write(fd, f[i].value, len);
		err = errno;
		if (fd >= 0)
			close(fd);
		if (w != (ssize_t)len)
			return err_set(e, MVI_EXIT_SETUP, "cannot set cgroup file \"%s\" to \"%s\": %s",
				       f[i].name, f[i].value,
				       fd < 0 && err == ENOENT ? "the guest kernel has no such file"
								: strerror(w < 0 ? err : EIO));
	}
	return 0;
}

/* Delegate every controller the kernel has to the root's children, as a
 * cgroup v2 host does, so "c" gets their files. */
static int cg_controllers(struct err *e)
{
	static const char *const want[] = { "memory", "cpu", "pids", "cpuset" };
	char have[256] = "", word[16];
	int fd = open(CG_DIR "/unified/cgroup.controllers", O_RDONLY | O_CLOEXEC), dfd;
	ssize_t n = fd < 0 ? -1 : read(fd, have, sizeof(have) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "read the cgroup2 controllers");
	have[n] = 0;
	if ((dfd = open(CG_DIR "/unified", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open " CG_DIR "/unified");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *p = have;
		size_t l = strlen(want[i]);
		bool found = false;

		while (!found && (p = strstr(p, want[i]))) {
			found = (p == have || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l]);
			p += l;
		}
		snprintf(word, sizeof(word), "+%s", want[i]);
		if (found && cg_write(dfd, want[i], "cgroup.subtree_control", word, e) < 0) {
			close(dfd);
			return -1;
		}
	}
	close(dfd);
	return 0;
}

int mvi_cgroup_v2(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e)
{
	int dfd;

	if ((dfd = cg_hierarchy("unified", NULL, cg, e)) < 0)
		return -1;
	cg->v2 = dfd;
	if (cg_controllers(e) < 0)
		return -1;
	return s ? cg_files(cg, s->ncgfiles, s->cgfiles, e) : 0;
}

int mvi_cgroup_ns(struct mvi_cgroup *cg, struct err *e)
{
	int ret = 0;

	/* A cgroup namespace's root is the cgroup of the process that
	 * unshares it, in each hierarchy: mvinit goes into "c" for that
	 * moment, then back to the roots through fds opened before the
	 * unshare (the kernel checks a move against the namespace the fd was
	 * opened in, which sees the roots). */
	if (mvi_cgroup_join(cg) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "join the container's cgroup");
	else if (unshare(CLONE_NEWCGROUP) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "unshare the cgroup namespace");
	for (int i = 0; i < cg->n; i++) {
		if (cg->root_procs[i] >= 0 && write(cg->root_procs[i], "0", 1) != 1 && !ret)
			ret = err_sys(e, MVI_EXIT_SETUP, errno, "leave the container's cgroup");
		if (cg->root_procs[i] >= 0)
			close(cg->root_procs[i]);
		cg->root_procs[i] = -1;
	}
	return ret;
}

int mvi_cgroup_mount(int rootfd, const struct proto_setup *s, struct err *e)
{
	uint32_t f = s ? s->cgroupfs_flags : 0;

	if (!s || !s->cgroupfs || !*s->cgroupfs)
		return 0;
	return rootfs_mount(rootfd, "cgroup", s->cgroupfs, "cgroup2",
			    (f & PROTO_MOUNT_RO ? MS_RDONLY : 0) | (f & PROTO_MOUNT_NOSUID ? MS_NOSUID : 0) |
				    (f & PROTO_MOUNT_NODEV ? MS_NODEV : 0) |
				    (f & PROTO_MOUNT_NOEXEC ? MS_NOEXEC : 0),
			    NULL, e);
}

/* Send sig to every process in the cgroup dirfd and the cgroups below it
 * (runc's kill --all: its cgroup's whole tree), depth levels at most. */
static void cg_signal(int dirfd, int sig, int depth)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	long pid;
	DIR *d;
	struct dirent *de;

	if (fd >= 0 && !f)
		close(fd);
	while (f && fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			kill((pid_t)pid, sig);
	if (f)
		fclose(f);
	if (depth <= 0 || (fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			int sub = openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				cg_signal(sub, sig, depth - 1);
				close(sub);
			}
		}
	closedir(d);
}

void mvi_cgroup_update(struct mvi *m, const struct ctl_msg *msg)
{
	static struct proto_update u; /* large; mvinit is single-threaded */
	struct err e = { 0 };
	int r;

	if (proto_decode_update(msg->payload, msg->hdr.len, &u) < 0) {
		mvi_warn("bad UPDATE from the host: ignored");
		return;
	}
	if (u.signal && m->cgroup.v2 <= 2)
		err_set(&e, MVI_EXIT_SETUP, "the container's cgroup2 is not set up");
	if (e.msg[0] || cg_files(&m->cgroup, u.ncgfiles, u.cgfiles, &e) < 0) {
		r = ctl_send_exec_error(m->ctl, u.id, &e);
	} else {
		if (u.signal)
			cg_signal(m->cgroup.v2, (int)u.signal, 8);
		r = ctl_send_exec_exit(m->ctl, u.id, 0);
	}
	if (r < 0)
		mvi_warn("answer UPDATE: %s", strerror(errno));
}
