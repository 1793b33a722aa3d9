/* mvrun check: whether this host can run mvrun, one line an item with a
 * status (ok, warn, FAIL), the first thing to run when something fails.
 * Exits 1 if any item failed. Whether KVM can boot a Linux guest is mvm's
 * own check (mvm --check-host), so the two never disagree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/cmd/cmd.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

enum level { OK, WARN, FAIL };

struct report {
	int failed;
};

static void item(struct report *r, enum level l, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void item(struct report *r, enum level l, const char *what, const char *fmt, ...)
{
	static const char *const word[] = { "ok", "warn", "FAIL" };
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("%-5s %-11s %s\n", word[l], what, msg);
	r->failed |= l == FAIL;
}

/* The first `cap` bytes of path's first line, or "" . */
static void first_bytes(const char *path, char *out, size_t cap)
{
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, cap - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
}

static void check_file(struct report *r, enum shim_file f, const char *what, const char *magic,
		       size_t mlen, char *path)
{
	struct err err = { 0 };
	if (shim_find_file(f, path, &err) < 0) {
		item(r, FAIL, what, "%s", err.msg);
		path[0] = 0;
		return;
	}
	char head[16];
	first_bytes(path, head, sizeof(head));
	if (memcmp(head, magic, mlen))
		item(r, FAIL, what, "%s: not what mvrun built (no %s header)", path,
		     magic[0] == 0x7f ? "ELF" : "cpio");
	else
		item(r, OK, what, "%s", path);
}

/* Run mvm --check-host; its one line goes to line. Returns its status. */
static int mvm_check_host(const char *mvm, char *line, size_t cap)
{
	int p[2];
	line[0] = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(mvm, mvm, "--check-host", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (pid > 0 && n + 1 < cap && (k = read(p[0], line + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	close(p[0]);
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *kvm_module(void)
{
	static const char *const mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
		if (access(p, F_OK) == 0)
			return mods[i];
	}
	return NULL;
}

static void check_kvm(struct report *r, const char *mvm)
{
	struct stat st;
	if (stat("/dev/kvm", &st) < 0 || !S_ISCHR(st.st_mode))
		item(r, FAIL, "/dev/kvm", "missing: load kvm_intel or kvm_amd (modprobe), or enable "
					  "virtualization in the firmware");
	else if (access("/dev/kvm", R_OK | W_OK) < 0)
		item(r, FAIL, "/dev/kvm", "not readable and writable by uid %d (%s)", (int)geteuid(),
		     strerror(errno));
	else
		item(r, OK, "/dev/kvm", "readable and writable");
	const char *mod = kvm_module();
	item(r, mod && strcmp(mod, "kvm_pvm") ? OK : WARN, "kvm module", "%s",
	     mod ? mod : "none of kvm_intel, kvm_amd, kvm_pvm is loaded");
	char flags[8192] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(flags, sizeof(flags), f) && strncmp(flags, "flags", 5))
		flags[0] = 0;
	if (f)
		fclose(f);
	const char *virt = strstr(flags, " vmx") ? "vmx" : strstr(flags, " svm") ? "svm" : NULL;
	item(r, virt ? OK : WARN, "cpu", "%s", virt ? virt : "no vmx or svm in /proc/cpuinfo");
	if (!mvm[0]) {
		item(r, FAIL, "boot", "cannot tell without mvm");
		return;
	}
	char line[512];
	int s = mvm_check_host(mvm, line, sizeof(line));
	if (s == 0)
		item(r, OK, "boot", "%s", line);
	else
		item(r, FAIL, "boot", "%s", line[0] ? line : "mvm --check-host failed");
}

static void check_cgroups(struct report *r)
{
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) < 0)
		item(r, WARN, "cgroups", "/sys/fs/cgroup: %s: containers get no cgroup limits",
		     strerror(errno));
	else if (fs.f_type == CGROUP2_SUPER_MAGIC)
		item(r, OK, "cgroups", "v2 (unified) at /sys/fs/cgroup");
	else if (fs.f_type == TMPFS_MAGIC && access("/sys/fs/cgroup/unified", F_OK) == 0)
		item(r, OK, "cgroups", "hybrid: v1 controllers, v2 at /sys/fs/cgroup/unified");
	else if (fs.f_type == TMPFS_MAGIC)
		item(r, OK, "cgroups", "v1 at /sys/fs/cgroup");
	else
		item(r, WARN, "cgroups", "/sys/fs/cgroup is neither cgroup2 nor a v1 tmpfs");
}

static bool in_path(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if ((size_t)snprintf(out, cap, "%s/%s", d, name) < cap && access(out, X_OK) == 0)
			return true;
	return false;
}

int shim_check(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	(void)g;
	if (argc > 1)
		return shim_operands(argc, argv, 0, err), err->status;
	struct report r = { 0 };
	char mvm[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], p[PATH_MAX];
	struct err e = { 0 };
	if (shim_find_file(SHIM_FILE_MVM, mvm, &e) < 0) {
		item(&r, FAIL, "mvm", "%s", e.msg);
		mvm[0] = 0;
	} else {
		item(&r, access(mvm, X_OK) == 0 ? OK : FAIL, "mvm", "%s%s", mvm,
		     access(mvm, X_OK) == 0 ? "" : ": not executable");
	}
	check_file(&r, SHIM_FILE_KERNEL, "kernel", "\x7f" "ELF", 4, kernel);
	check_file(&r, SHIM_FILE_INITRD, "initramfs", "070701", 6, initrd);
	check_kvm(&r, mvm);
	item(&r, geteuid() == 0 ? OK : FAIL, "root",
	     geteuid() == 0 ? "running as root" : "mvm needs root (CAP_SYS_ADMIN) for its jail");
	item(&r, access("/dev/net/tun", R_OK | W_OK) == 0 ? OK : WARN, "tun",
	     access("/dev/net/tun", R_OK | W_OK) == 0 ? "/dev/net/tun"
						       : "no /dev/net/tun (modprobe tun): containers with a "
							 "network namespace cannot get one");
	item(&r, OK, "vhost", "not needed: mvm serves vsock, fs and net itself (no vhost modules)");
	check_cgroups(&r);
	if (in_path("slirp4netns", p, sizeof(p)))
		item(&r, OK, "slirp4netns", "%s (mvrun box --net nat)", p);
	else
		item(&r, WARN, "slirp4netns", "not found: mvrun box --net nat needs it (apt-get install "
					       "slirp4netns)");
	return r.failed ? 1 : 0;
}
