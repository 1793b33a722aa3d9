/* jail_begin's /proc/self/fd: the virtio-fs servers reopen their own fds
 * through it, and nothing else of proc (no other process's root) can be
 * reached from it. Needs CAP_SYS_ADMIN (a mount namespace of the test's
 * own process: Criterion runs each test in a child). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/sandbox/jail.h"

static struct jail j;

static void begin(void)
{
	struct err err = { 0 };
	if (geteuid() != 0)
		cr_skip_test("needs root (a mount namespace)");
	cr_assert_eq(jail_begin(&j, &err), 0, "%s", err.msg);
}

Test(jail, proc_fd_reopens_our_own_fds)
{
	begin();
	char path[] = "/tmp/mvrun-jailtest-XXXXXX";
	int w = mkstemp(path);
	cr_assert_geq(w, 0);
	cr_assert_eq(write(w, "inside", 6), 6);
	close(w);
	int p = open(path, O_PATH | O_CLOEXEC);
	cr_assert_geq(p, 0);
	char name[16], buf[16] = "";
	snprintf(name, sizeof(name), "%d", p);
	int fd = openat(j.proc_fd, name, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "reopen through the jail's proc: %s", strerror(errno));
	cr_assert_eq(read(fd, buf, sizeof(buf) - 1), 6);
	cr_assert_str_eq(buf, "inside");
	close(fd);
	close(p);
	unlink(path);
	jail_fini(&j);
}

Test(jail, no_other_process_is_reachable_from_proc_fd)
{
	begin();
	struct stat root, st, self;
	cr_assert_eq(stat("/", &root), 0);
	cr_assert_eq(fstat(j.proc_fd, &self), 0);
	int up = openat(j.proc_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(up, 0);
	cr_assert_eq(fstat(up, &st), 0);
	cr_assert(st.st_ino == self.st_ino && st.st_dev == self.st_dev,
		  "\"..\" of the fd directory leaves it");
	close(up);
	static const char *const paths[] = { "../../1/root", "../../1/root/etc", "../1/root",
					     "../../self/root", "../../1/cwd", "../../../1/root" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = openat(j.proc_fd, paths[i], O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		cr_assert_eq(fstat(fd, &st), 0);
		cr_assert(!S_ISDIR(st.st_mode), "%s opens a directory (inode %lu; / is %lu)", paths[i],
			  (unsigned long)st.st_ino, (unsigned long)root.st_ino);
		close(fd);
	}
	jail_fini(&j);
}
