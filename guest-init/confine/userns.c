/* The container's user namespace (SETUP's id maps), as runc makes it: the
 * container's processes run in a user namespace with the config's maps, and
 * the mount, UTS and IPC namespaces they use are owned by it, so root in the
 * container is root over its own mounts, host name and IPC objects only.
 *
 * A short-lived holder makes them: it unshares the user namespace, mvinit
 * (root of the guest) writes its uid_map and gid_map, the holder unshares
 * the others (its root, the container's, carries over), mounts a fresh
 * mqueue for the new IPC namespace, and mvinit keeps the namespaces (and
 * the holder's root) as fds; each process joins them with setns before it
 * drops to the spec's ids (spawn.c).
 *
 * The container's mounts are made shared first: the holder's copies are
 * their slaves (the kernel makes them so for a less privileged namespace),
 * and what mvinit mounts later (the console) reaches the container too.
 *
 * Files the container writes to a share are created with the mapped ids:
 * the guest's FUSE passes its global ids, which mvm gives the new file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"

/* What the holder reports: the step that failed and its errno, or 0. */
struct holder_report {
	int step, err;
};

enum { HOLD_OK, HOLD_USER, HOLD_IDS, HOLD_UNSHARE, HOLD_MQUEUE };

static void report(int fd, int step)
{
	struct holder_report r = { step, step ? errno : 0 };

	(void)!write(fd, &r, sizeof(r));
}

/* In the holder: unshare, wait for the maps, unshare the rest, then wait
 * for mvinit to be done with it (EOF on `go`). */
static __attribute__((noreturn)) void holder(const struct proto_setup *s, int rep, int go)
{
	char c;

	if (unshare(CLONE_NEWUSER) < 0) {
		report(rep, HOLD_USER);
		_exit(1);
	}
	report(rep, HOLD_OK);
	if (read(go, &c, 1) != 1)
		_exit(1);
	/* Root of the namespace, if it has one: what it mounts is its own.
	 * Capabilities in the namespace stay (uid 0 there). */
	uint32_t root_uid = mvi_map_id(s->uidmap, s->nuidmap, 0);
	uint32_t root_gid = mvi_map_id(s->gidmap, s->ngidmap, 0);
	if (root_uid != MVI_UNMAPPED && root_gid != MVI_UNMAPPED &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		report(rep, HOLD_IDS);
		_exit(1);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) < 0) {
		report(rep, HOLD_UNSHARE);
		_exit(1);
	}
	/* /dev/mqueue shows the IPC namespace that mounted it. */
	if (mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		report(rep, HOLD_MQUEUE);
		_exit(1);
	}
	report(rep, HOLD_OK);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int read_report(int fd, struct holder_report *r)
{
	ssize_t n;

	while ((n = read(fd, r, sizeof(*r))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*r)) {
		*r = (struct holder_report){ -1, EPIPE };
		return -1;
	}
	return r->step ? -1 : 0;
}

/* Write one map file of the holder: the whole map in one write, as the
 * kernel wants it. */
static int write_map(int proc, pid_t pid, const char *file, const struct proto_idmap *m,
		     uint32_t n, struct err *e)
{
	char path[64], buf[PROTO_MAX_IDMAPS * 36];
	size_t len = 0;
	int fd;

	for (uint32_t i = 0; i < n && i < PROTO_MAX_IDMAPS; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].inside,
					m[i].outside, m[i].count);
	snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	if ((fd = openat(proc, path, O_WRONLY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "user namespace: open %s", file);
	ssize_t w = write(fd, buf, len);
	int err = errno;
	close(fd);
	if (w != (ssize_t)len)
		return err_sys(e, MVI_EXIT_SETUP, w < 0 ? err : EIO,
			       "user namespace: write %s (the config's %s)", file,
			       file[0] == 'u' ? "linux.uidMappings" : "linux.gidMappings");
	return 0;
}

static int open_ns(int proc, pid_t pid, const char *what, int *fd, struct err *e)
{
	char path[64];

	snprintf(path, sizeof(path), "%d/%s", (int)pid, what);
	if ((*fd = openat(proc, path, (strcmp(what, "root") ? O_RDONLY : O_PATH | O_DIRECTORY) | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "user namespace: open /proc/%s", path);
	return 0;
}

static int holder_fail(const struct holder_report *r, struct err *e)
{
	static const char *const what[] = {
		[HOLD_USER] = "unshare the user namespace",
		[HOLD_IDS] = "become root in the user namespace",
		[HOLD_UNSHARE] = "unshare the mount, UTS and IPC namespaces in it",
		[HOLD_MQUEUE] = "mount the IPC namespace's mqueue on /dev/mqueue",
	};
	return err_sys(e, MVI_EXIT_SETUP, r->err, "user namespace: %s",
		       r->step > 0 && r->step <= HOLD_MQUEUE ? what[r->step]
								  : "the holder died");
}

void userns_init(struct mvi_userns *u)
{
	u->user = u->mnt = u->uts = u->ipc = u->root = -1;
	u->setup = NULL;
}

uint32_t userns_uid(const struct mvi_userns *u, uint32_t id)
{
	return u->user < 0 ? id : mvi_map_id(u->setup->uidmap, u->setup->nuidmap, id);
}

uint32_t userns_gid(const struct mvi_userns *u, uint32_t id)
{
	return u->user < 0 ? id : mvi_map_id(u->setup->gidmap, u->setup->ngidmap, id);
}

int userns_create(const struct proto_setup *s, int proc, struct mvi_userns *u,
		  struct err *e)
{
	struct holder_report r;
	int rep[2], go[2], ret = -1;
	pid_t pid;

	userns_init(u);
	if (!s || !s->nuidmap)
		return 0;
	/* Shared here, slaves there: later mounts (the console) propagate. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "user namespace: make the root shared");
	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(rep[0]);
		close(rep[1]);
		return err_sys(e, MVI_EXIT_SETUP, errno, "pipe");
	}
	if ((pid = fork()) == 0) {
		close(rep[0]);
		close(go[1]);
		holder(s, rep[1], go[0]);
	}
	close(rep[1]);
	close(go[0]);
	if (pid < 0) {
		err_sys(e, MVI_EXIT_SETUP, errno, "fork");
		goto out;
	}
	if (read_report(rep[0], &r) < 0) {
		holder_fail(&r, e);
		goto out;
	}
	/* Not setgroups: mvinit writes gid_map as root of the parent
	 * namespace, so the container may still setgroups (additionalGids). */
	if (write_map(proc, pid, "uid_map", s->uidmap, s->nuidmap, e) < 0 ||
	    write_map(proc, pid, "gid_map", s->gidmap, s->ngidmap, e) < 0)
		goto out;
	if (write(go[1], "", 1) != 1) {
		err_sys(e, MVI_EXIT_SETUP, errno, "user namespace: wake the holder");
		goto out;
	}
	if (read_report(rep[0], &r) < 0) {
		holder_fail(&r, e);
		goto out;
	}
	if (open_ns(proc, pid, "ns/user", &u->user, e) < 0 ||
	    open_ns(proc, pid, "ns/mnt", &u->mnt, e) < 0 ||
	    open_ns(proc, pid, "ns/uts", &u->uts, e) < 0 ||
	    open_ns(proc, pid, "ns/ipc", &u->ipc, e) < 0 || open_ns(proc, pid, "root", &u->root, e) < 0)
		goto out;
	ret = 0;
out:
	close(rep[0]);
	close(go[1]); /* EOF: the holder exits */
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (ret < 0) {
		int fds[] = { u->user, u->mnt, u->uts, u->ipc, u->root };
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		userns_init(u);
	} else {
		u->setup = s;
	}
	return ret;
}

int userns_enter(const struct mvi_userns *u)
{
	if (u->user < 0)
		return 0;
	/* The user namespace first: the others are owned by it. */
	if (setns(u->user, CLONE_NEWUSER) < 0 || setns(u->mnt, CLONE_NEWNS) < 0 ||
	    setns(u->uts, CLONE_NEWUTS) < 0 || setns(u->ipc, CLONE_NEWIPC) < 0)
		return -1;
	/* setns put the root at the namespace's (the initramfs under the
	 * container's root): back into the container's. */
	if (fchdir(u->root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -1;
	/* Root of the namespace, as a runc container's processes start: its
	 * setuid to the spec's user then drops the capabilities as usual.
	 * (Without a root in the map, the caller clears them.) */
	if (userns_uid(u, 0) != MVI_UNMAPPED && userns_gid(u, 0) != MVI_UNMAPPED &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return -1;
	return 0;
}
