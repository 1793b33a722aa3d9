/* A snapshot directory (vmm/snap/snap_vm.c) before any VM exists: what
 * --restore refuses, with the one line mvm prints before booting cold, and
 * how --snapshot-save prepares and abandons its output. No KVM. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/snap/snap_vm.h"

#define MEM (16ull << 20)

static char dir[] = "/tmp/snapvm-XXXXXX";
static char snap[64];

static void put_file(const char *name, const void *data, size_t len)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", snap, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* DIR/state with the given build id and shape, DIR/mem of mem bytes. */
static void make_snap(const char *id, uint64_t vm_mem, uint64_t file_mem)
{
	struct snap_writer w = { 0 };
	struct snap_vm_info info = { .mem_bytes = vm_mem, .ncpus = 1, .irqchip = 1 };
	const uint8_t *buf;
	size_t len;
	struct err err = { 0 };
	snap_add(&w, SNAP_BUILD, 0, id, strlen(id));
	snap_add(&w, SNAP_VM, 0, &info, sizeof(info));
	cr_assert_eq(snap_finish(&w, &buf, &len, &err), 0, "%s", err.msg);
	put_file("state", buf, len);
	snap_writer_free(&w);
	char p[128];
	snprintf(p, sizeof(p), "%s/mem", snap);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)file_mem), 0);
	close(fd);
}

static void setup(void)
{
	strcpy(dir, "/tmp/snapvm-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(snap, sizeof(snap), "%s/snap", dir);
	cr_assert_eq(mkdir(snap, 0700), 0);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(snap_vm, .init = setup, .fini = teardown);

static void refused(const char *needle)
{
	struct snap_file f;
	struct err err = { 0 };
	cr_assert_eq(snap_vm_open(&f, snap, MEM, 1, &err), -1, "accepted; wanted \"%s\"", needle);
	cr_assert(strstr(err.msg, needle), "\"%s\" does not say \"%s\"", err.msg, needle);
	cr_assert_null(f.buf, "nothing held after a refusal");
	cr_assert_eq(f.mem_fd, -1);
}

Test(snap_vm, a_good_one_opens)
{
	struct snap_file f;
	struct err err = { 0 };
	make_snap(snap_build_id(), MEM, MEM);
	cr_assert_eq(snap_vm_open(&f, snap, MEM, 1, &err), 0, "%s", err.msg);
	cr_assert_geq(f.mem_fd, 0);
	cr_assert_not_null(snap_find(&f.v, SNAP_VM, 0));
	snap_vm_close(&f);
	snap_vm_close(&f);
}

Test(snap_vm, every_bad_one_is_refused_by_name)
{
	refused("state");                                 /* no state file */
	make_snap("another build", MEM, MEM);
	refused("snapshot from another mvm build");
	make_snap(snap_build_id(), MEM * 2, MEM);
	refused("snapshot of a VM with 32 MiB and 1 vCPUs, not 16 MiB");
	make_snap(snap_build_id(), MEM, MEM - 4096);
	refused("memory file missing or not 16777216 bytes");
	make_snap(snap_build_id(), MEM, MEM);
	put_file("state", "MVMSNAP\0", 8);
	refused("shorter than its header");
	char p[128];
	snprintf(p, sizeof(p), "%s/state", snap);
	unlink(p);
	cr_assert_eq(mkdir(p, 0700), 0);
	refused("state: not a regular file");
	snprintf(p, sizeof(p), "%s/none", dir);
	struct snap_file f;
	struct err err = { 0 };
	cr_assert_eq(snap_vm_open(&f, p, MEM, 1, &err), -1);
	cr_assert(strstr(err.msg, "none"), "%s", err.msg);
}

Test(snap_vm, a_save_never_overwrites_and_an_abort_leaves_nothing)
{
	struct snap_out o;
	struct err err = { 0 };
	cr_assert_eq(snap_out_prepare(&o, snap, &err), -1, "onto an existing snapshot");
	cr_assert(strstr(err.msg, "exists already"), "%s", err.msg);
	char p[128];
	snprintf(p, sizeof(p), "%s/new/", dir);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(snap_out_prepare(&o, p, &err), 0, "%s", err.msg);
	cr_assert_str_eq(o.name, "new");
	struct stat st;
	char tmp[400];
	snprintf(tmp, sizeof(tmp), "%s/%s", dir, o.tmp);
	cr_assert_eq(stat(tmp, &st), 0, "made beside it under a temporary name");
	snap_out_abort(&o);
	cr_assert_eq(stat(tmp, &st), -1, "removed after an abort");
	snprintf(p, sizeof(p), "%s/new", dir);
	cr_assert_eq(stat(p, &st), -1);
	snap_out_abort(&o);
}

/* A FIFO where a file should be: opening it for reading would wait for a
 * writer forever, so mvm would hang instead of booting cold. The timeout
 * only turns such a hang into a failure. */
Test(snap_vm, a_fifo_is_refused_not_waited_on, .timeout = 20)
{
	char p[128];
	make_snap(snap_build_id(), MEM, MEM);
	snprintf(p, sizeof(p), "%s/mem", snap);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkfifo(p, 0600), 0);
	refused("memory file missing or not 16777216 bytes");
	snprintf(p, sizeof(p), "%s/state", snap);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkfifo(p, 0600), 0);
	refused("state: not a regular file");
}

/* Out of descriptors right after the temporary directory is made: the
 * failed prepare takes that directory away again, as every other failure
 * does, instead of leaving it beside the cache's snapshots. */
Test(snap_vm, a_failed_prepare_leaves_no_temporary_directory)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/new", dir);
	int low = dup(0);
	cr_assert_geq(low, 0);
	close(low);
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	struct rlimit tight = { .rlim_cur = (rlim_t)low + 1, .rlim_max = rl.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	struct snap_out o;
	struct err err = { 0 };
	int r = snap_out_prepare(&o, p, &err); /* the parent takes the last descriptor */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert_eq(r, -1, "prepared with no descriptor left");
	snap_out_abort(&o);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep -v '^snap$')\"", dir);
	cr_assert_eq(system(cmd), 0, "something left in %s after a failed prepare", dir);
}
