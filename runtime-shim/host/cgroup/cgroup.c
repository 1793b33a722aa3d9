/* The cgroup layout and its files (cgroup.h, cgroup_int.h).
 *
 * A "hierarchy" here is one directory under the layout's root that holds a
 * cgroup tree: every v1 mount (memory, "cpu,cpuacct", name=systemd, ...), the
 * cgroup2 at root/unified in the hybrid layout, or root itself on pure v2.
 * mvrun creates the path in all of them and moves the pid into all of them,
 * as runc does, so /proc/<pid>/cgroup names the container's cgroup on every
 * line (cgroup_place.c). Resources go to the v1 controllers, or to the v2
 * leaf on pure v2 (cgroup_res.c); the hybrid layout's cgroup2 has no
 * controllers, so it only holds the pid. The freezer is cgroup_freeze.c.
 *
 * The unit tests run this code against plain directories. On a real cgroupfs
 * the kernel provides every file and directory contents; on a plain directory
 * cg_write creates a missing file and cgroup_place.c's rm_cgdir empties a
 * directory before removing it, so a test can read back what would have gone
 * to the kernel. Both fallbacks are gated on cg_on_cgroupfs() saying "not a
 * cgroup filesystem". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/cgroup/cgroup_int.h"

bool cg_on_cgroupfs(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) == 0 &&
	       (s.f_type == CGROUP_SUPER_MAGIC || s.f_type == CGROUP2_SUPER_MAGIC);
}

int cg_join(char *out, size_t cap, const char *a, const char *b)
{
	int n = (b && *b) ? snprintf(out, cap, "%s/%s", a, b) : snprintf(out, cap, "%s", a);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int cg_hdir(char *out, size_t cap, const struct cg_layout *l, const char *name, const char *cg,
	    struct err *err)
{
	int n = snprintf(out, cap, "%s%s%s%s", l->root, *name ? "/" : "", name, cg ? cg : "");
	if (n < 0 || (size_t)n >= cap)
		return err_set(err, 1, "cgroup: path too long: %s/%s%s", l->root, name, cg ? cg : "");
	return 0;
}

int cg_write(const char *dir, const char *file, const char *val, struct err *err)
{
	char path[PATH_MAX];
	if (cg_join(path, sizeof(path), dir, file))
		return err_set(err, 1, "cgroup: path too long: %s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !cg_on_cgroupfs(dir))
		fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, 1, errno, "cgroup: write %s to %s", val, path);
	size_t len = strlen(val);
	ssize_t w = write(fd, val, len); /* cgroup files take one write */
	int e = w < 0 ? errno : EIO;
	close(fd);
	if (w != (ssize_t)len) {
		errno = e;
		return err_sys(err, 1, errno, "cgroup: write %s to %s", val, path);
	}
	return 0;
}

ssize_t cg_read(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[PATH_MAX];
	if (cg_join(path, sizeof(path), dir, file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == cap - 1)
			break;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

bool cg_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	return cg_join(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

void cg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

bool cg_has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '+')
			p++;
		size_t n = strcspn(p, " \n");
		if (n == wl && memcmp(p, word, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static int cmp_hier(const void *a, const void *b)
{
	return strcmp(((const struct cg_hier *)a)->name, ((const struct cg_hier *)b)->name);
}

int cg_hier_list(const struct cg_layout *l, struct cg_hiers *hs, struct err *err)
{
	hs->n = 0;
	if (l->unified) {
		hs->h[hs->n++] = (struct cg_hier){ .name = "", .v2 = true };
		return 0;
	}
	DIR *d = opendir(l->root);
	if (!d)
		return err_sys(err, 1, errno, "cgroup: open %s", l->root);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		struct stat st;
		char dir[PATH_MAX];
		if (nm[0] == '.' || strcmp(nm, "unified") == 0 || strlen(nm) >= sizeof(hs->h[0].name))
			continue;
		if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		if (cg_join(dir, sizeof(dir), l->root, nm) || !cg_exists(dir, "cgroup.procs"))
			continue;
		if (hs->n == CG_MAX_HIER - 1) {
			closedir(d);
			return err_set(err, 1, "cgroup: more than %d hierarchies under %s", CG_MAX_HIER - 1, l->root);
		}
		memcpy(hs->h[hs->n++].name, nm, strlen(nm) + 1); /* length checked above */
	}
	closedir(d);
	qsort(hs->h, (size_t)hs->n, sizeof(hs->h[0]), cmp_hier);
	if (l->hybrid)
		hs->h[hs->n++] = (struct cg_hier){ .name = "unified", .v2 = true };
	if (hs->n == 0)
		return err_set(err, 1, "cgroup: no cgroup hierarchy under %s", l->root);
	return 0;
}

bool cg_v1_has(const struct cg_layout *l, const char *ctrl)
{
	char dir[PATH_MAX];
	return cg_join(dir, sizeof(dir), l->root, ctrl) == 0 && cg_exists(dir, "cgroup.procs");
}

bool cg_is_kthread(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long flags = 0;
	/* after "comm)": state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000; /* PF_KTHREAD */
}

int cg_detect(struct cg_layout *l, const char *root, struct err *err)
{
	memset(l, 0, sizeof(*l));
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 0 || rl >= sizeof(l->root))
		return err_set(err, 1, "cgroup: bad cgroup root \"%s\"", root);
	memcpy(l->root, root, rl);
	char uni[PATH_MAX];
	snprintf(uni, sizeof(uni), "%s/unified", l->root);
	bool v1 = false, v2_sub = false;
	if (strcmp(l->root, CG_ROOT) == 0) {
		/* The real root: believe the mount table, not the directories
		 * (an unmounted leftover directory is not a hierarchy).
		 * mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTS [OPT...] - FSTYPE ... */
		FILE *f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return err_sys(err, 1, errno, "cgroup: open /proc/self/mountinfo");
		char line[4096], mnt[PATH_MAX];
		while (fgets(line, sizeof(line), f)) {
			const char *sep = strstr(line, " - ");
			char fstype[32];
			if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
			    sscanf(sep + 3, "%31s", fstype) != 1)
				continue;
			if (strcmp(fstype, "cgroup2") == 0 && strcmp(mnt, l->root) == 0)
				l->unified = true;
			else if (strcmp(fstype, "cgroup2") == 0 && strcmp(mnt, uni) == 0)
				v2_sub = true;
			else if (strcmp(fstype, "cgroup") == 0 && strncmp(mnt, l->root, rl) == 0 && mnt[rl] == '/')
				v1 = true;
		}
		fclose(f);
	} else {
		/* A fake tree (tests): its shape says what it imitates. */
		if (cg_exists(l->root, "cgroup.controllers")) {
			l->unified = true;
		} else {
			struct cg_hiers hs;
			v1 = cg_hier_list(l, &hs, &(struct err){ 0 }) == 0;
			v2_sub = cg_exists(uni, "cgroup.controllers");
		}
	}
	if (l->unified)
		return 0;
	if (!v1)
		return err_set(err, 1, "cgroup: no cgroup filesystem at %s", l->root);
	l->hybrid = v2_sub;
	return 0;
}
