/* mp_create: mount points inside a rootfs, never outside it. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
	cr_assert_eq(mp_create(root, "/a/b/c", false, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/a/b/c"), S_IFDIR);
	cr_assert_eq(mp_create(root, "/etc/hosts", true, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/etc/hosts"), S_IFREG);
	cr_assert_eq(mp_create(root, "//etc//hosts/", true, &err), 0, "existing: %s", err.msg);
	cr_assert_eq(mp_create(root, "/a/b/c", false, &err), 0, "existing: %s", err.msg);
}

Test(mountpoint, symlinks_resolve_inside_the_root)
{
	char p[512];
	struct stat st;
	/* out -> the host's outside dir, which the rootfs does not have */
	cr_assert_eq(mp_create(root, "/out/x", false, &err), -1);
	snprintf(p, sizeof(p), "%s/x", outside);
	cr_assert_neq(stat(p, &st), 0, "created outside the rootfs");
	/* up -> ../../.., which is the root's own / */
	cr_assert_eq(mp_create(root, "/up/y", true, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/y"), S_IFREG);
	/* abs -> /real, the rootfs's /real */
	snprintf(p, sizeof(p), "%s/real", root);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/abs", root);
	cr_assert_eq(symlink("/real", p), 0);
	cr_assert_eq(mp_create(root, "/abs/z/w", false, &err), 0, "%s", err.msg);
	cr_assert_eq(kind("/real/z/w"), S_IFDIR);
}

Test(mountpoint, errors_name_the_path)
{
	cr_assert_eq(mp_create(root, "/etc/hosts", true, &err), 0);
	cr_assert_eq(mp_create(root, "/etc/hosts/sub", false, &err), -1);
	cr_assert(strstr(err.msg, "mount point /etc/hosts/sub in "), "%s", err.msg);
	err = (struct err){ 0 };
	cr_assert_eq(mp_create("/nonexistent-root", "/x", false, &err), -1);
	cr_assert(strstr(err.msg, "root.path /nonexistent-root"), "%s", err.msg);
}
