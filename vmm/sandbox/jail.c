#include "vmm/sandbox/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int jail_begin(struct jail *j, struct err *err)
{
	memset(j, 0, sizeof(*j));
	j->proc_fd = -1;
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: new mount, IPC and UTS namespaces "
			       "(mvm needs CAP_SYS_ADMIN)");
	j->begun = true;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: make / private");
	/* The virtio-fs servers reopen inodes through /proc/self/fd, and need
	 * nothing else of proc. So they get that one directory as a detached
	 * mount of its own (a clone of a private proc with only the pid
	 * directories, Linux 5.8+): ".." at the root of a mount with no parent
	 * stays there, so no other process's /proc/PID/root is reachable from
	 * it, and once the old root is gone no proc is mounted in the jail.
	 * Before Linux 6.5 open_tree clones only mounts of our namespace, so
	 * the private proc is stacked on our /proc (this namespace's only)
	 * for the clone, and taken off again. */
	int fs = fsopen("proc", FSOPEN_CLOEXEC), m = -1;
	if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "subset", "pid", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "hidepid", "invisible", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	bool stacked = m >= 0 && move_mount(m, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) == 0;
	j->proc_fd = open_tree(AT_FDCWD, "/proc/self/fd", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int saved = errno;
	if (stacked && umount2("/proc", MNT_DETACH) < 0 && j->proc_fd >= 0) {
		close(j->proc_fd);
		j->proc_fd = -1;
		saved = errno;
	}
	errno = saved;
	if (fs >= 0)
		close(fs);
	if (m >= 0)
		close(m);
	if (j->proc_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: /proc/self/fd");
	return 0;
}

int jail_share(struct jail *j, const char *name, const char *path, bool ro, struct err *err)
{
	if (j->nshares == JAIL_MAX_SHARES || strlen(name) >= sizeof(j->name[0]))
		return err_set(err, MVM_EXIT_INTERNAL, "jail: too many shares");
	int t = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (t < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "virtio-fs: cannot share %s", path);
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			    (ro ? MOUNT_ATTR_RDONLY : 0),
	};
	struct stat st;
	if (mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0 ||
	    fstat(t, &st) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: %s", path);
		close(t);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(t);
		return err_set(err, MVM_EXIT_BADARG, "virtio-fs: cannot share %s: not a directory",
			       path);
	}
	int mine = fcntl(t, F_DUPFD_CLOEXEC, 0);
	if (mine < 0) {
		close(t);
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: dup");
	}
	j->tree[j->nshares] = t;
	snprintf(j->name[j->nshares], sizeof(j->name[0]), "%s", name);
	j->nshares++;
	return mine;
}

int jail_pod(struct jail *j, struct err *err)
{
	if (j->nshares == JAIL_MAX_SHARES)
		return err_set(err, MVM_EXIT_INTERNAL, "jail: too many shares");
	/* Small: mvrun puts only directories and mounts here; what the guest
	 * may write through the share stays within these caps. */
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "256k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "512", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			 MOUNT_ATTR_NOEXEC)) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: make the pod directory");
		if (fs >= 0)
			close(fs);
		return -1;
	}
	close(fs);
	int mine = fcntl(m, F_DUPFD_CLOEXEC, 0);
	if (mine < 0) {
		close(m);
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: dup");
	}
	j->tree[j->nshares] = m;
	snprintf(j->name[j->nshares], sizeof(j->name[0]), "%s", JAIL_POD_NAME);
	j->nshares++;
	return mine;
}

int jail_proc_fd(struct jail *j, struct err *err)
{
	int fd = fcntl(j->proc_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: dup /proc/self/fd");
	return fd;
}

/* A read-only tmpfs holding the share trees, made the root. */
static int pivot(struct jail *j, struct err *err)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			 MOUNT_ATTR_NOEXEC)) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: make its tmpfs");
		goto out;
	}
	/* Attached over / of our namespace, only to be pivoted into. */
	if (move_mount(m, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: attach its tmpfs");
		goto out;
	}
	for (int i = 0; i < j->nshares; i++)
		if (mkdirat(m, j->name[i], 0755) < 0 ||
		    move_mount(j->tree[i], "", m, j->name[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: bind share %s", j->name[i]);
			goto out;
		}
	if (fchdir(m) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: pivot_root");
		goto out;
	}
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: make / read-only");
		goto out;
	}
	close(fs);
	close(m);
	return 0;
out:
	if (fs >= 0)
		close(fs);
	if (m >= 0)
		close(m);
	return -1;
}

static int drop_caps(uint64_t keep, struct err *err)
{
	for (int c = 0; c <= 63; c++) {
		if ((keep >> c) & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: drop capability %d", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: clear ambient capabilities");
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)keep, .permitted = (uint32_t)keep },
		{ .effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32) },
	};
	if (syscall(SYS_capset, &h, d) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: capset");
	return 0;
}

int jail_enter(struct jail *j, uint64_t keep, struct err *err)
{
	if (!j->begun)
		return err_set(err, MVM_EXIT_INTERNAL, "jail: not begun");
	if (pivot(j, err) < 0)
		return -1;
	for (int i = 0; i < j->nshares; i++)
		close(j->tree[i]);
	j->nshares = 0;
	struct rlimit core = { 0, 0 }, nofile;
	if (setrlimit(RLIMIT_CORE, &core) < 0 || getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: rlimits");
	nofile.rlim_max = nofile.rlim_cur; /* what main() raised it to, for good */
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: rlimits");
	if (drop_caps(keep, err) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "jail: no_new_privs");
	j->entered = true;
	return 0;
}

void jail_fini(struct jail *j)
{
	for (int i = 0; i < j->nshares; i++)
		close(j->tree[i]);
	j->nshares = 0;
	if (j->proc_fd >= 0)
		close(j->proc_fd);
	j->proc_fd = -1;
}
