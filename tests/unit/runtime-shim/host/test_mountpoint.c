/* mp_create: mount points inside a rootfs, never outside it. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/host/mountpoint.h"

static char root[] = "/tmp/mvrun-mptest-XXXXXX";
static char outside[] = "/tmp/mvrun-mpout-XXXXXX";
static struct err err;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	cr_assert_not_null(mkdtemp(outside));
	char p[256];
	snprintf(p, sizeof(p), "%s/out", root);
	cr_assert_eq(symlink(outside, p), 0); /* absolute: means the rootfs's own path */
	snprintf(p, sizeof(p), "%s/up", root);
	cr_assert_eq(symlink("../../..", p), 0);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, outside);
	cr_assert_eq(system(cmd), 0);
}

static mode_t kind(const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", root, rel);
	return lstat(p, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

TestSuite(mountpoint, .init = setup, .fini = teardown);

Test(mountpoint, dirs_and_files)
{
	cr_assert_eq(mp_create(root, "/a/b/c", MP_DIR, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/a/b/c"), S_IFDIR);
	cr_assert_eq(mp_create(root, "/etc/hosts", MP_FILE, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/etc/hosts"), S_IFREG);
	cr_assert_eq(mp_create(root, "//etc//hosts/", MP_FILE, &err), 0, "existing: %s", err.msg);
	cr_assert_eq(mp_create(root, "/a/b/c", MP_DIR, &err), 0, "existing: %s", err.msg);
}

Test(mountpoint, symlinks_resolve_inside_the_root)
{
	char p[512];
	struct stat st;
	/* out -> the host's outside dir: the rootfs's own path of that name,
	 * made there as runc's securejoin + MkdirAll would */
	cr_assert_eq(mp_create(root, "/out/x", MP_DIR, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/x", outside);
	cr_assert_neq(stat(p, &st), 0, "created outside the rootfs");
	char in[64];
	snprintf(in, sizeof(in), "%s/x", outside);
	cr_assert_eq(kind(in), S_IFDIR);
	/* up -> ../../.., which is the root's own / */
	cr_assert_eq(mp_create(root, "/up/y", MP_FILE, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/y"), S_IFREG);
	/* abs -> /real, the rootfs's /real */
	snprintf(p, sizeof(p), "%s/real", root);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/abs", root);
	cr_assert_eq(symlink("/real", p), 0);
	cr_assert_eq(mp_create(root, "/abs/z/w", MP_DIR, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/real/z/w"), S_IFDIR);
}

Test(mountpoint, errors_name_the_path)
{
	cr_assert_eq(mp_create(root, "/etc/hosts", MP_FILE, &err), 0);
	cr_assert_eq(mp_create(root, "/etc/hosts/sub", MP_DIR, &err), -1);
	cr_assert(strstr(err.msg, "mount point /etc/hosts/sub in "), "%s", err.msg);
	err = (struct err){ 0 };
	cr_assert_eq(mp_create("/nonexistent-root", "/x", MP_DIR, &err), -1);
	cr_assert(strstr(err.msg, "root.path /nonexistent-root"), "%s", err.msg);
}

Test(mountpoint, a_dangling_symlink_is_made_at_its_target)
{
	char p[512];
	/* data -> ../../gone/deep: the mount goes where runc would put it,
	 * /gone/deep in the rootfs, and the link stays */
	snprintf(p, sizeof(p), "%s/data", root);
	cr_assert_eq(symlink("../../gone/deep", p), 0);
	cr_assert_eq(mp_create(root, "/data", MP_DIR, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/gone/deep"), S_IFDIR);
	cr_assert_eq(kind("/data"), S_IFLNK);
	/* a file bind through one: the file at the target */
	snprintf(p, sizeof(p), "%s/hosts", root);
	cr_assert_eq(symlink("/gone/hosts", p), 0);
	cr_assert_eq(mp_create(root, "/hosts", MP_FILE, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/gone/hosts"), S_IFREG);
}

Test(mountpoint, proc_and_sysfs_want_a_real_directory)
{
	char p[512];
	cr_assert_eq(mp_create(root, "/proc", MP_KERNFS, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/proc"), S_IFDIR);
	snprintf(p, sizeof(p), "%s/sys", root);
	cr_assert_eq(symlink("/real-sys", p), 0);
	err = (struct err){ 0 };
	cr_assert_eq(mp_create(root, "/sys", MP_KERNFS, &err), -1);
	cr_assert(strstr(err.msg, "must be mounted on an ordinary directory"), "%s", err.msg);
	cr_assert_eq(kind("/real-sys"), 0, "followed the symlink");
	/* the same link for a tmpfs is followed */
	cr_assert_eq(mp_create(root, "/sys", MP_DIR, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/real-sys"), S_IFDIR);
}

Test(mountpoint, the_wrong_kind_fails)
{
	err = (struct err){ 0 };
	cr_assert_eq(mp_create(root, "/f", MP_FILE, &err), 0);
	cr_assert_eq(mp_create(root, "/f", MP_DIR, &err), -1);
	cr_assert(strstr(err.msg, "/f is not a directory"), "%s", err.msg);
	cr_assert_eq(mp_create(root, "/f", MP_KERNFS, &err), -1);
	cr_assert_eq(mp_create(root, "/d", MP_DIR, &err), 0);
	err = (struct err){ 0 };
	cr_assert_eq(mp_create(root, "/d", MP_FILE, &err), -1);
	cr_assert(strstr(err.msg, "/d is a directory"), "%s", err.msg);
}

Test(mountpoint, symlink_loops_end)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/loop", root);
	cr_assert_eq(symlink("loop", p), 0);
	err = (struct err){ 0 };
	cr_assert_eq(mp_create(root, "/loop/x", MP_DIR, &err), -1);
	cr_assert(strstr(err.msg, "mount point /loop/x"), "%s", err.msg);
}

Test(mountpoint, a_name_too_long_is_refused_not_cut)
{
	char path[300] = "/";
	memset(path + 1, 'n', 280);
	path[281] = 0;
	err = (struct err){ 0 };
	cr_assert_eq(mp_create(root, path, MP_DIR, &err), -1);
	cr_assert(strstr(err.msg, "too long"), "%s", err.msg);
	char cut[300];
	snprintf(cut, sizeof(cut), "/%.255s", path + 1);
	cr_assert_eq(kind(cut), 0, "made a cut name");
}

/* runc 1.1's createIfNotExists makes a missing file with mode 0755 (before
 * the umask); a bind onto it shows that mode wherever the bind is undone. */
Test(mountpoint, a_file_is_made_as_runc_makes_it)
{
	char p[512];
	struct stat st;
	umask(022);
	cr_assert_eq(mp_create(root, "/f/g", MP_FILE, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/f/g", root);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
	snprintf(p, sizeof(p), "%s/f", root);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755, "mode %o", st.st_mode & 07777);
}

/* A link through /proc/self names the rootfs's own proc directory (an
 * image's plain files), never the host's procfs, whose root link would lead
 * out: what is made stays in the root. */
Test(mountpoint, proc_self_links_stay_in_the_root)
{
	char p[256], target[256];
	snprintf(p, sizeof(p), "%s/ps", root);
	snprintf(target, sizeof(target), "/proc/self/root%s", outside);
	cr_assert_eq(symlink(target, p), 0);
	cr_assert_eq(mp_create(root, "/ps/x", MP_DIR, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "/proc/self/root%s/x", outside);
	cr_assert_eq(kind(p), S_IFDIR);
	snprintf(p, sizeof(p), "%s/x", outside);
	cr_assert_eq(access(p, F_OK), -1, "made outside the root");
}
