/* args: mvm's command line. Every rejection is MVM_EXIT_BADARG with a
 * message that names the offending flag or argument. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/args.h"
#include "vmm/box.h"
#include "vmm/vm.h"

static struct mvm_args a;
static struct err err;

/* Parse "mvm" followed by the NULL-terminated arguments. */
static int parse(const char *first, ...)
{
	static char *argv[64];
	int argc = 0;
	argv[argc++] = "mvm";
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		cr_assert_lt(argc, 63);
		argv[argc++] = (char *)s;
	}
	va_end(ap);
	argv[argc] = NULL;
	memset(&err, 0, sizeof(err));
	return args_parse(argc, argv, &a, &err);
}

#define PARSE(...) parse(__VA_ARGS__, (const char *)NULL)

/* Expect a rejection whose message contains `needle`. */
#define REJECT(needle, ...)                                                              \
	do {                                                                               \
		cr_assert_eq(PARSE(__VA_ARGS__), -1, "accepted; expected \"%s\"", needle); \
		cr_assert_eq(err.status, MVM_EXIT_BADARG, "status %d", err.status);        \
		cr_assert(strstr(err.msg, needle), "message \"%s\" does not name \"%s\"",  \
			  err.msg, needle);                                                \
	} while (0)

Test(args, defaults)
{
	cr_assert_eq(PARSE("--kernel", "vmlinux"), 0, "%s", err.msg);
	cr_assert_str_eq(a.kernel, "vmlinux");
	cr_assert_null(a.initrd);
	cr_assert_null(a.cmdline);
	cr_assert_eq(a.mem_mib, MVM_DEFAULT_MEM_MIB);
	cr_assert_eq(a.cpus, 1);
	cr_assert_not(a.console);
	cr_assert_not(a.no_xsave);
	cr_assert_not(a.report);
	cr_assert_not(a.help);
	cr_assert_not(a.version);
	cr_assert_eq(a.boot, BOOT_AUTO);
	cr_assert_eq(err.status, 0);
}

Test(args, every_option)
{
	cr_assert_eq(PARSE("--kernel", "k", "--initrd", "i.cpio", "--cmdline", "a=1 b",
			   "--mem", "256", "--cpus", "4", "--console", "--no-xsave",
			   "--boot", "linux64", "--report"), 0, "%s", err.msg);
	cr_assert_str_eq(a.kernel, "k");
	cr_assert_str_eq(a.initrd, "i.cpio");
	cr_assert_str_eq(a.cmdline, "a=1 b");
	cr_assert_eq(a.mem_mib, 256);
	cr_assert_eq(a.cpus, 4);
	cr_assert(a.console);
	cr_assert(a.no_xsave);
	cr_assert(a.report);
	cr_assert_eq(a.boot, BOOT_LINUX64);
}

Test(args, equals_form_and_boot_modes)
{
	cr_assert_eq(PARSE("--kernel=k", "--mem=16", "--cpus=32", "--boot=pvh"), 0, "%s", err.msg);
	cr_assert_str_eq(a.kernel, "k");
	cr_assert_eq(a.mem_mib, MVM_MEM_MIN_MIB);
	cr_assert_eq(a.cpus, MVM_MAX_VCPUS);
	cr_assert_eq(a.boot, BOOT_PVH);
	cr_assert_eq(PARSE("--kernel", "k", "--boot", "auto"), 0);
	cr_assert_eq(a.boot, BOOT_AUTO);
}

Test(args, reparsing_starts_afresh)
{
	cr_assert_eq(PARSE("--kernel", "k1", "--cpus", "3", "--console"), 0);
	cr_assert_eq(PARSE("--kernel", "k2"), 0, "%s", err.msg);
	cr_assert_str_eq(a.kernel, "k2");
	cr_assert_eq(a.cpus, 1);
	cr_assert_not(a.console);
}

Test(args, help_and_version_need_no_kernel)
{
	cr_assert_eq(PARSE("--help"), 0);
	cr_assert(a.help);
	cr_assert_eq(PARSE("-h"), 0);
	cr_assert(a.help);
	cr_assert_eq(PARSE("--version"), 0);
	cr_assert(a.version);
	cr_assert(strstr(mvm_usage, "--kernel"));
}

Test(args, missing_kernel)
{
	REJECT("--kernel", "--mem", "64");
	REJECT("--kernel", "--console");
}

Test(args, mem_rejections)
{
	REJECT("--mem", "--kernel", "k", "--mem", "0");
	REJECT("--mem", "--kernel", "k", "--mem", "15");
	cr_assert(strstr(err.msg, "16"), "should state the minimum: %s", err.msg);
	REJECT("--mem", "--kernel", "k", "--mem", "abc");
	REJECT("--mem", "--kernel", "k", "--mem", "-5");
	REJECT("--mem", "--kernel", "k", "--mem", "+5");
	REJECT("--mem", "--kernel", "k", "--mem", "");
	REJECT("--mem", "--kernel", "k", "--mem", "64M");
	REJECT("--mem", "--kernel", "k", "--mem", "1e3");
	REJECT("--mem", "--kernel", "k", "--mem", "99999999999999999999999");
	REJECT("--mem", "--kernel", "k", "--mem", "18446744073709551615");
}

Test(args, mem_more_than_host_ram)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	cr_assert_gt(pages, 0);
	unsigned long long host = (unsigned long long)pages * (unsigned long long)psz >> 20;
	char too_much[32];
	snprintf(too_much, sizeof(too_much), "%llu", host + 1);
	REJECT("--mem", "--kernel", "k", "--mem", too_much);
	cr_assert(strstr(err.msg, "host"), "should say why: %s", err.msg);
}

Test(args, cpus_rejections)
{
	REJECT("--cpus", "--kernel", "k", "--cpus", "0");
	REJECT("--cpus", "--kernel", "k", "--cpus", "33");
	cr_assert(strstr(err.msg, "32"), "should state the maximum: %s", err.msg);
	REJECT("--cpus", "--kernel", "k", "--cpus", "x");
	REJECT("--cpus", "--kernel", "k", "--cpus", "-1");
	REJECT("--cpus", "--kernel", "k", "--cpus", "2x");
	REJECT("--cpus", "--kernel", "k", "--cpus", "4294967297"); /* 2^32 + 1 */
}

Test(args, boot_rejection)
{
	REJECT("--boot", "--kernel", "k", "--boot", "bogus");
	REJECT("--boot", "--kernel", "k", "--boot", "PVH");
	REJECT("--boot", "--kernel", "k", "--boot", "");
}

Test(args, unknown_option)
{
	REJECT("--bogus", "--kernel", "k", "--bogus");
	REJECT("-z", "--kernel", "k", "-z");
	REJECT("--console=1", "--kernel", "k", "--console=1");
}

Test(args, stray_argument)
{
	REJECT("extra", "--kernel", "k", "extra");
	REJECT("vmlinux", "vmlinux");
}

Test(args, missing_value)
{
	REJECT("--kernel", "--kernel");
	REJECT("--mem", "--kernel", "k", "--mem");
	REJECT("--cpus", "--kernel", "k", "--cpus");
	REJECT("--boot", "--kernel", "k", "--boot");
	REJECT("--cmdline", "--kernel", "k", "--cmdline");
	REJECT("--initrd", "--kernel", "k", "--initrd");
}

/* Regression (vmm/args.c, the `default:` case of args_parse): for an unknown
 * short option inside a cluster ("-zq"), getopt leaves optind on the same
 * argument, so argv[optind - 1] is the previous argument and the message
 * names the wrong thing ("unknown option k"). */
Test(args, fixed_unknown_short_option_in_a_cluster)
{
	REJECT("-z", "--kernel", "k", "-zq");
}

Test(args, volumes_and_files)
{
	/* The parser splits the values in place, as argv allows. */
	char v[] = "/h:/g:ro", f0[] = "/s/files/f0:/etc/hosts", f1[] = "/s/files-ro/f1:/etc/x:ro";
	char b1[] = "f0:/etc/x", b2[] = "/s/f0:etc/x", b3[] = "/s/f0", b4[] = "/s/f0:/x:rx";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--volume", v, "--file", f0, "--file", f1,
			   "--", "sh"),
		     0, "%s", err.msg);
	cr_assert_eq(a.nvolumes, 1);
	cr_assert(a.volumes[0].ro);
	cr_assert_eq(a.nfiles, 2);
	cr_assert_str_eq(a.files[0].host, "/s/files/f0");
	cr_assert_str_eq(a.files[0].guest, "/etc/hosts");
	cr_assert(!a.files[0].ro && a.files[1].ro);
	REJECT("--file f0:/etc/x: the host file must be a path with a directory", "--kernel", "k",
	       "--root", "/r", "--file", b1, "--", "sh");
	REJECT("--file /s/f0:etc/x: the container path must be absolute", "--kernel", "k", "--root",
	       "/r", "--file", b2, "--", "sh");
	REJECT("--file /s/f0: expected HOSTFILE:GUESTFILE[:ro]", "--kernel", "k", "--root", "/r",
	       "--file", b3, "--", "sh");
	REJECT("--file /s/f0:/x:rx: option \"rx\" is not ro, rw, nosuid, nodev, noexec or a "
	       "propagation", "--kernel", "k", "--root", "/r", "--file", b4, "--", "sh");
}

Test(args, mount_restrictions)
{
	char v[] = "/srv:/data:ro,nosuid,noexec", f[] = "/s/files/f0:/etc/x:nodev";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--volume", v, "--file", f, "--", "sh"),
		     0, "%s", err.msg);
	cr_assert(a.volumes[0].ro);
	cr_assert_eq(a.volumes[0].restrict_flags, PROTO_MOUNT_NOSUID | PROTO_MOUNT_NOEXEC);
	cr_assert_not(a.files[0].ro);
	cr_assert_eq(a.files[0].restrict_flags, PROTO_MOUNT_NODEV);
}

/* A propagation for the guest to apply: the last one named wins. */
Test(args, mount_propagation)
{
	char v[] = "/srv:/data:shared,ro,rslave", v2[] = "/srv:/d2:runbindable,private",
	     f[] = "/s/files/f0:/etc/x:rshared,nodev";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--volume", v, "--volume", v2, "--file",
			   f, "--", "sh"),
		     0, "%s", err.msg);
	cr_assert(a.volumes[0].ro);
	cr_assert_eq(a.volumes[0].restrict_flags, PROTO_MOUNT_SLAVE | PROTO_MOUNT_PROP_REC);
	cr_assert_eq(a.volumes[1].restrict_flags, PROTO_MOUNT_PRIVATE);
	cr_assert_eq(a.files[0].restrict_flags,
		     PROTO_MOUNT_NODEV | PROTO_MOUNT_SHARED | PROTO_MOUNT_PROP_REC);
}

/* --mount: the guest's own filesystems with their sources; the spec lists
 * every mount in the order of the options (the FILES shares first, out of
 * the container's view) and says that mvinit adds none of its own. */
Test(args, mounts_in_order)
{
	char m1[] = "proc:proc:/proc:", m2[] = "tmpfs:shm:/dev/shm:mode=1777", v[] = "/srv:/data",
	     t[] = "/run:size=1m", f[] = "/s/files/f0:/etc/hosts:ro", m3[] = "devpts:x:/dev/pts:gid=5";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--mount", m1, "--volume", v, "--file", f,
			   "--mount", m2, "--tmpfs", t, "--mount", m3, "--", "sh"),
		     0, "%s", err.msg);
	struct box_files bf;
	struct proto_spec s;
	cr_assert_eq(box_spec(&a, &bf, &s, &err), 0, "%s", err.msg);
	cr_assert(s.flags & PROTO_SPEC_ALL_MOUNTS);
	cr_assert_eq(s.nmounts, 7);
	const struct {
		const char *path;
		uint32_t flags;
		const char *fstype, *source, *tag;
	} want[] = {
		{ "", PROTO_MOUNT_FILES | PROTO_MOUNT_RO, NULL, NULL, "files0" },
		{ "/proc", PROTO_MOUNT_KERNFS, "proc", "proc", "" },
		{ "/data", 0, NULL, NULL, "vol0" },
		{ "/etc/hosts", PROTO_MOUNT_FILE | PROTO_MOUNT_RO, NULL, NULL, "files0/f0" },
		{ "/dev/shm", PROTO_MOUNT_TMPFS, "tmpfs", "shm", "mode=1777" },
		{ "/run", PROTO_MOUNT_TMPFS, "tmpfs", NULL, "size=1m" },
		{ "/dev/pts", PROTO_MOUNT_KERNFS, "devpts", "x", "gid=5" },
	};
	for (int i = 0; i < 7; i++) {
		cr_assert_str_eq(s.mounts[i].path, want[i].path, "mount %d", i);
		cr_assert_eq(s.mounts[i].flags, want[i].flags, "mount %d", i);
		cr_assert_str_eq(s.mounts[i].tag, want[i].tag, "mount %d", i);
		if (want[i].fstype)
			cr_assert_str_eq(s.mounts[i].fstype, want[i].fstype, "mount %d", i);
		if (want[i].source)
			cr_assert_str_eq(s.mounts[i].source, want[i].source, "mount %d", i);
		else
			cr_assert_null(s.mounts[i].source, "mount %d", i);
	}
	char bad[] = "ext4:/dev/vda:/x";
	REJECT("--mount ext4:/dev/vda:/x: the type is not proc, sysfs, devpts, mqueue or tmpfs",
	       "--kernel", "k", "--root", "/r", "--mount", bad, "--", "sh");
	char bad2[] = "proc:/proc";
	REJECT("--mount proc:/proc: expected TYPE:SOURCE:DEST[:OPTIONS]", "--kernel", "k", "--root",
	       "/r", "--mount", bad2, "--", "sh");
}
