/* args: mvm's command line. Every rejection is MVM_EXIT_BADARG with a
 * message that names the offending flag or argument. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/args.h"
#include "vmm/agent/session.h"
#include "vmm/core/vm.h"

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

/* An open fd above 2 for --stream-fd, as a string. */
static const char *stream_fd(void)
{
	static char n[16];
	static int fd = -1;
	if (fd < 0)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_gt(fd, 2);
	snprintf(n, sizeof(n), "%d", fd);
	return n;
}

/* Container mode: the shares mvm serves and the stream's fd; what the guest
 * does with them is the stream's (stream.c). */
Test(args, volumes_and_files)
{
	/* The parser splits the values in place, as argv allows. */
	char v[] = "/h:ro", v2[] = "/h2:rw", f0[] = "/s/files/f0", f1[] = "/s/files-ro/f1:ro";
	char b1[] = "f0", b2[] = "/s/f0:rx", b3[] = "/a:/b", b4[] = "/a:/b:ro";
	const char *fd = stream_fd();
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--stream-fd", fd, "--volume", v,
			   "--volume", v2, "--file", f0, "--file", f1),
		     0, "%s", err.msg);
	cr_assert_eq(a.stream_fd, atoi(fd));
	cr_assert_eq(a.nvolumes, 2);
	cr_assert_str_eq(a.volumes[0].host, "/h");
	cr_assert(a.volumes[0].ro && !a.volumes[1].ro);
	cr_assert_str_eq(a.volumes[1].host, "/h2");
	cr_assert_eq(a.nfiles, 2);
	cr_assert_str_eq(a.files[0].host, "/s/files/f0");
	cr_assert_str_eq(a.files[1].host, "/s/files-ro/f1");
	cr_assert(!a.files[0].ro && a.files[1].ro);
	REJECT("--file f0: the host file must be a path with a directory", "--kernel", "k",
	       "--root", "/r", "--stream-fd", fd, "--file", b1);
	REJECT("--file /s/f0:rx: expected HOST[:ro]", "--kernel", "k", "--root", "/r", "--stream-fd",
	       fd, "--file", b2);
	REJECT("--volume /a:/b: expected HOST[:ro]", "--kernel", "k", "--root", "/r", "--stream-fd",
	       fd, "--volume", b3);
	REJECT("--volume /a:/b:ro: expected HOST[:ro]", "--kernel", "k", "--root", "/r",
	       "--stream-fd", fd, "--volume", b4);
}

Test(args, container_mode_needs_root_and_a_stream)
{
	const char *fd = stream_fd();
	char v[] = "/h";
	REJECT("--root needs --stream-fd", "--kernel", "k", "--root", "/r");
	REJECT("--stream-fd needs --root", "--kernel", "k", "--stream-fd", fd);
	REJECT("--volume needs --root", "--kernel", "k", "--volume", v);
	REJECT("--net needs --root", "--kernel", "k", "--net");
	REJECT("--wait-start needs --root", "--kernel", "k", "--wait-start", "--control-socket", "/s");
	REJECT("--stream-fd 1: not an open fd above 2", "--kernel", "k", "--root", "/r",
	       "--stream-fd", "1");
	REJECT("--stream-fd and --ready-fd are one fd", "--kernel", "k", "--root", "/r",
	       "--stream-fd", fd, "--ready-fd", fd);
	/* The save point is container mode's. */
	REJECT("--snapshot-save needs --root", "--kernel", "k", "--snapshot-save", "/s");
	REJECT("--restore needs --root", "--kernel", "k", "--restore", "/s");
	REJECT("exclude each other", "--kernel", "k", "--root", "/r", "--stream-fd", fd,
	       "--snapshot-save", "/s", "--restore", "/t");
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--stream-fd", fd, "--restore", "/t"), 0,
		     "%s", err.msg);
	cr_assert_str_eq(a.restore, "/t");
	cr_assert_null(a.snapshot_save);
	/* The process is the stream's: no command on the line. */
	REJECT("unexpected argument \"sh\"", "--kernel", "k", "--root", "/r", "--stream-fd", fd,
	       "--", "sh");
}

/* The shares' tags, as launch.h names them: the stream's mounts name these. */
Test(args, share_tags)
{
	char v[] = "/srv", v2[] = "/srv2:ro", f0[] = "/s/files/f0", f1[] = "/s/files-ro/f1:ro",
	     f2[] = "/s/files/f2";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--stream-fd", stream_fd(), "--volume",
			   v, "--volume", v2, "--file", f0, "--file", f1, "--file", f2),
		     0, "%s", err.msg);
	struct session_files bf;
	cr_assert_eq(session_files(&a, &bf, &err), 0, "%s", err.msg);
	cr_assert_str_eq(bf.vol_tags[0], "vol0");
	cr_assert_str_eq(bf.vol_tags[1], "vol1");
	cr_assert_eq(bf.ndirs, 2);
	cr_assert_str_eq(bf.dirs[0], "/s/files");
	cr_assert_str_eq(bf.dir_tags[0], "files0");
	cr_assert_not(bf.dir_ro[0]);
	cr_assert_str_eq(bf.dir_tags[1], "files1");
	cr_assert(bf.dir_ro[1]);
	cr_assert_str_eq(bf.file_tags[0], "files0/f0");
	cr_assert_str_eq(bf.file_tags[1], "files1/f1");
	cr_assert_str_eq(bf.file_tags[2], "files0/f2");
	char g[] = "/s/files/f3:ro";
	cr_assert_eq(PARSE("--kernel", "k", "--root", "/r", "--stream-fd", stream_fd(), "--file", f0,
			   "--file", g),
		     0, "%s", err.msg);
	cr_assert_eq(session_files(&a, &bf, &err), -1);
	cr_assert(strstr(err.msg, "all must be ro or all rw"), "%s", err.msg);
}

/* The queries a runtime keeping templates makes need no VM options. */
Test(args, build_id_and_check_snapshot)
{
	cr_assert_eq(PARSE("--build-id"), 0, "%s", err.msg);
	cr_assert(a.build_id);
	cr_assert_eq(PARSE("--check-snapshot", "/t/k", "--mem", "256", "--cpus", "2"), 0, "%s",
		     err.msg);
	cr_assert_str_eq(a.check_snapshot, "/t/k");
	cr_assert_eq(a.mem_mib, 256);
	cr_assert_eq(a.cpus, 2);
	REJECT("--check-snapshot", "--check-snapshot");
}
