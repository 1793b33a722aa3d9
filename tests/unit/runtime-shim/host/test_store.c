/* store_remove: the state directory goes with its staging directories, and
 * nothing outside it does. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/host/store.h"

static char root[] = "/tmp/mvrun-storetest-XXXXXX";
static char outside[] = "/tmp/mvrun-storeout-XXXXXX";
static struct err err;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	cr_assert_not_null(mkdtemp(outside));
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, outside);
	cr_assert_eq(system(cmd), 0);
}

static void touch(const char *dir, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0, "%s", p);
	close(fd);
}

static void mkd(const char *dir, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	cr_assert_eq(mkdir(p, 0700), 0, "%s", p);
}

static bool exists(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, remove_takes_the_staging_directories)
{
	cr_assert_eq(store_create(root, "c1", &err), 0);
	touch(root, "c1/config.json");
	touch(root, "c1/lock");
	mkd(root, "c1/files");
	touch(root, "c1/files/f0");
	mkd(root, "c1/files-ro");
	touch(root, "c1/files-ro/f1");
	cr_assert_eq(store_remove(root, "c1", &err), 0, "%s", err.msg);
	cr_assert(!exists(root, "c1"));
}

Test(store, remove_never_follows_a_symlink)
{
	cr_assert_eq(store_create(root, "c2", &err), 0);
	touch(outside, "keep");
	mkd(outside, "sub");
	touch(outside, "sub/keep2");
	char p[512];
	snprintf(p, sizeof(p), "%s/c2/files", root);
	cr_assert_eq(symlink(outside, p), 0);
	mkd(root, "c2/files-ro");
	snprintf(p, sizeof(p), "%s/c2/files-ro/f0", root);
	cr_assert_eq(symlink(outside, p), 0);
	cr_assert_eq(store_remove(root, "c2", &err), 0, "%s", err.msg);
	cr_assert(!exists(root, "c2"));
	cr_assert(exists(outside, "keep"));
	cr_assert(exists(outside, "sub/keep2"));
}

Test(store, remove_stops_at_depth)
{
	cr_assert_eq(store_create(root, "c3", &err), 0);
	mkd(root, "c3/files");
	mkd(root, "c3/files/deeper");
	touch(root, "c3/files/deeper/x");
	cr_assert_eq(store_remove(root, "c3", &err), -1);
	cr_assert(strstr(err.msg, "deeper than mvrun makes"), "%s", err.msg);
	cr_assert(exists(root, "c3/files/deeper/x"));
}

Test(store, remove_of_a_missing_container)
{
	cr_assert_eq(store_remove(root, "nope", &err), 0);
}
