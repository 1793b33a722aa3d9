/* spec2vm: a parsed config.json → mvm's command line, the container stream
 * and the VM's size, on a temp bundle (rootfs/, data/ and a file). Each plan
 * mvrun accepts is also fed to mvm's own argument parser and stream check,
 * so the two cannot drift apart; each refusal is checked for the exact
 * message, which names the config field. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "runtime-shim/plan/spec2vm.h"
#include "vmm/args.h"
#include "vmm/agent/session.h"
#include "vmm/agent/stream.h"
#include "vmm/core/vm.h"

static char bundle[PATH_MAX];
static struct cfg c;
static struct s2v_plan plan;
static struct err err;
static struct s2v_inputs in;

static void setup(void)
{
	char tmpl[] = "/tmp/mvrun-s2vtest-XXXXXX", p[PATH_MAX + 16];
	cr_assert(mkdtemp(tmpl));
	cr_assert(realpath(tmpl, bundle)); /* /tmp may be a symlink */
	snprintf(p, sizeof(p), "%s/rootfs", bundle);
	cr_assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/data", bundle);
	cr_assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/file", bundle);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fclose(f);
	in = (struct s2v_inputs){ .bundle = bundle, .mvm = "/opt/mvm", .kernel = "/opt/vmlinux",
				  .initrd = "/opt/initramfs.cpio", .ready_fd = -1 };
	memset(&c, 0, sizeof(c));
	memset(&plan, 0, sizeof(plan));
	memset(&err, 0, sizeof(err));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void teardown(void)
{
	s2v_free(&plan);
	cfg_free(&c);
	nftw(bundle, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spec2vm, .init = setup, .fini = teardown);

/* The minimal config, in JSON with ' for ", plus `extra` members (text that
 * starts with a comma, or ""). A later duplicate key replaces an earlier one
 * (jansson keeps the last). */
static int build(const char *extra)
{
	char *text;
	cr_assert(asprintf(&text,
			   "{'ociVersion': '1.0.2', 'root': {'path': 'rootfs'}, 'hostname': 'box',"
			   " 'process': {'args': ['sh'], 'env': ['PATH=/bin'], 'cwd': '/'}%s}",
			   extra) > 0);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	s2v_free(&plan);
	cfg_free(&c);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(cfg_parse(text, strlen(text), &c, &err), 0, "%s", err.msg);
	free(text);
	int r = s2v_build(&c, &in, &plan, &err);
	if (r < 0) {
		cr_assert_eq(err.status, CFG_EXIT);
		cr_assert(!plan.argv && !plan.rootfs && !plan.nnotes, "a failed build left allocations");
	}
	return r;
}

/* mvm's argv without argv[0], space-separated, with the bundle as "B". */
static const char *args(void)
{
	static char out[8192];
	size_t o = 0, blen = strlen(bundle);
	out[0] = 0;
	for (int i = 1; i < plan.argc; i++) {
		const char *a = plan.argv[i];
		o += snprintf(out + o, sizeof(out) - o, "%s", i > 1 ? " " : "");
		for (const char *b; (b = strstr(a, bundle)); a = b + blen)
			o += snprintf(out + o, sizeof(out) - o, "%.*sB", (int)(b - a), a);
		o += snprintf(out + o, sizeof(out) - o, "%s", a);
	}
	cr_assert_null(plan.argv[plan.argc]);
	return out;
}

/* The plan's stream, as the child writes it (no window size, no HOOKS). */
static struct proto_buf *stream(void)
{
	static struct proto_buf b;
	proto_buf_free(&b);
	cr_assert_eq(s2v_encode_stream(&plan, 0, 0, &b), 0);
	return &b;
}

/* The stream's SPEC, decoded, as text: its flags, then hostname=, cwd=,
 * user=, groups=, umask= (octal), rlimit=, env= and mount= items, then "--"
 * and argv; a share's mount is TAG:PATH[:FLAGS], a filesystem of the guest's
 * own TYPE:SOURCE:PATH:OPTIONS. */
static const char *spec(void)
{
	static char out[16384];
	static struct proto_spec sp;
	static const char *scratch[PROTO_MAX_STRS + 2]; /* 8194 */
	static const struct {
		uint32_t bit;
		const char *name;
	} fl[] = { { PROTO_SPEC_TTY, "tty" }, { PROTO_SPEC_READONLY_ROOT, "ro-root" },
		   { PROTO_SPEC_NO_ONLCR, "no-onlcr" }, { PROTO_SPEC_ALL_MOUNTS, "all-mounts" },
		   { PROTO_SPEC_CONFINE, "confine" }, { PROTO_SPEC_SETUP, "setup" },
		   { PROTO_SPEC_HOOKS, "hooks" } },
	  mf[] = { { PROTO_MOUNT_RO, "ro" }, { PROTO_MOUNT_FILES, "files" },
		   { PROTO_MOUNT_FILE, "file" }, { PROTO_MOUNT_NOSUID, "nosuid" },
		   { PROTO_MOUNT_NODEV, "nodev" }, { PROTO_MOUNT_NOEXEC, "noexec" },
		   { PROTO_MOUNT_SHARED, "shared" }, { PROTO_MOUNT_SLAVE, "slave" },
		   { PROTO_MOUNT_PRIVATE, "private" }, { PROTO_MOUNT_UNBINDABLE, "unbindable" } };
	struct proto_buf *b = stream();
	struct proto_hdr h;
	cr_assert_eq(proto_parse_hdr(b->data, &h), 0);
	cr_assert_eq(h.type, PROTO_SPEC);
	cr_assert_eq(proto_decode_spec(b->data + PROTO_HDR_LEN, h.len, &sp, scratch, 8194), 0);
	size_t o = 0;
#define OUT(...) (o += (size_t)snprintf(out + o, sizeof(out) - o, __VA_ARGS__))
	out[0] = 0;
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (sp.flags & fl[i].bit)
			OUT("%s ", fl[i].name);
	if (sp.hostname[0])
		OUT("hostname=%s ", sp.hostname);
	OUT("cwd=%s user=%u:%u ", sp.cwd, sp.uid, sp.gid);
	for (uint32_t i = 0; i < sp.ngroups; i++)
		OUT("%s%u%s", i ? "," : "groups=", sp.groups[i], i + 1 == sp.ngroups ? " " : "");
	OUT("umask=%o ", sp.umask);
	for (uint32_t i = 0; i < sp.nrlimits; i++)
		OUT("rlimit=%u:%llu:%llu ", sp.rlimits[i].resource,
		    (unsigned long long)sp.rlimits[i].soft, (unsigned long long)sp.rlimits[i].hard);
	for (uint32_t i = 0; i < sp.envc; i++)
		OUT("env=%s ", sp.env[i]);
	for (uint32_t i = 0; i < sp.nmounts; i++) {
		const struct proto_mount *m = &sp.mounts[i];
		if (m->flags & (PROTO_MOUNT_TMPFS | PROTO_MOUNT_KERNFS)) {
			OUT("mount=%s:%s:%s:%s ", m->fstype, m->source, m->path, m->tag);
			continue;
		}
		OUT("mount=%s:%s", m->tag, m->path);
		const char *sep = ":";
		for (size_t k = 0; k < sizeof(mf) / sizeof(mf[0]); k++)
			if (m->flags & mf[k].bit) {
				OUT("%s%s%s", sep, k >= 6 && m->flags & PROTO_MOUNT_PROP_REC ? "r" : "",
				    mf[k].name);
				sep = ",";
			}
		OUT(" ");
	}
	OUT("--");
	for (uint32_t i = 0; i < sp.argc; i++)
		OUT(" %s", sp.argv[i]);
#undef OUT
	cr_assert_null(strstr(out, bundle), "%s: the spec names no host path", out);
	return out;
}

/* mvm parses the plan's command line into the plan's own values, and takes
 * its stream for the shares it serves. */
static void mvm_accepts(void)
{
	struct mvm_args a;
	struct err merr = { 0 };
	char *argv[256], fdarg[16];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_lt(plan.argc + 3, 256);
	memcpy(argv, plan.argv, (size_t)plan.argc * sizeof(*argv));
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	argv[plan.argc] = "--stream-fd";
	argv[plan.argc + 1] = fdarg;
	argv[plan.argc + 2] = NULL;
	cr_assert_eq(args_parse(plan.argc + 2, argv, &a, &merr), 0, "mvm refuses it: %s", merr.msg);
	close(fd);
	cr_assert_eq(a.mem_mib, plan.mem_mib);
	cr_assert_eq(a.cpus, plan.cpus);
	cr_assert_str_eq(a.root, plan.rootfs);
	static struct session_files bf;
	const char *tags[SESSION_MAX_TAGS];
	cr_assert_eq(session_files(&a, &bf, &merr), 0, "%s", merr.msg);
	int n = session_share_tags(&a, &bf, tags);
	struct proto_buf *b = stream();
	struct vfs_policy pol = { 0 };
	uint32_t flags = 0;
	cr_assert_eq(stream_check(b->data, b->len, tags, n, &pol, &flags, &merr), 0,
		     "mvm refuses the stream: %s", merr.msg);
	cr_assert_eq(flags, plan.spec.flags);
}

static bool noted(const char *needle)
{
	for (int i = 0; i < plan.nnotes; i++)
		if (strstr(plan.notes[i], needle))
			return true;
	return false;
}

static bool has_arg(const char *a)
{
	for (int i = 1; i < plan.argc; i++)
		if (!strcmp(plan.argv[i], a))
			return true;
	return false;
}

#define OK(extra) cr_assert_eq(build(extra), 0, "%s", err.msg)
#define REFUSE(extra, want)                                                        \
	do {                                                                         \
		cr_assert_eq(build(extra), -1, "accepted %s; expected \"%s\"", extra, want); \
		cr_assert_str_eq(err.msg, want);                                     \
	} while (0)
#define ARGS(want) cr_assert_str_eq(args(), want)

Test(spec2vm, minimal_config)
{
	OK("");
	ARGS("--kernel /opt/vmlinux --initrd /opt/initramfs.cpio --mem 256 --cpus 1 --root B/rootfs "
	     "--share-privileges");
	cr_assert_str_eq(spec(), "confine setup hostname=box cwd=/ user=0:0 umask=22 env=PATH=/bin -- sh");
	cr_assert_str_eq(plan.argv[0], "/opt/mvm");
	cr_assert_eq(plan.mem_mib, S2V_DEFAULT_MEM_MIB);
	cr_assert_eq(plan.cpus, 1);
	cr_assert_not(plan.tty);
	cr_assert_not(plan.new_netns);
	cr_assert_null(plan.cgroups_path);
	cr_assert_eq(plan.res.memory_limit, -1);
	cr_assert_eq(plan.nnotes, 0, "%s", plan.notes[0]);
	mvm_accepts();
}

Test(spec2vm, every_process_option)
{
	in.control_socket = "/run/mvrun/c1/ctl.sock";
	OK(", 'root': {'path': 'rootfs', 'readonly': true},"
	   " 'process': {'args': ['/bin/app', '--flag', '--'], 'env': ['A=1', 'B=x y'], 'cwd': '/srv',"
	   "  'terminal': true, 'user': {'uid': 1000, 'gid': 50, 'umask': 18}}");
	ARGS("--kernel /opt/vmlinux --initrd /opt/initramfs.cpio --mem 256 --cpus 1 --root B/rootfs "
	     "--read-only --share-privileges --wait-start --control-socket /run/mvrun/c1/ctl.sock");
	cr_assert_str_eq(spec(), "tty ro-root confine setup hostname=box cwd=/srv user=1000:50 umask=22 "
				 "env=A=1 env=B=x y -- /bin/app --flag --");
	cr_assert(plan.tty);
	mvm_accepts();
	in.own_terminal = true;
	OK(", 'process': {'args': ['sh'], 'cwd': '/', 'terminal': true}");
	cr_assert(strstr(spec(), "tty no-onlcr confine "), "%s", spec());
	in.own_terminal = false;
	in.control_socket = NULL;
	in.ready_fd = 3;
	in.stream_fd = 4;
	in.initrd = NULL;
	OK(", 'hostname': ''");
	ARGS("--kernel /opt/vmlinux --mem 256 --cpus 1 --root B/rootfs --share-privileges "
	     "--ready-fd 3 --stream-fd 4");
	cr_assert_str_eq(spec(), "confine setup cwd=/ user=0:0 umask=22 env=PATH=/bin -- sh");
}

Test(spec2vm, root_path)
{
	char extra[PATH_MAX + 64];
	snprintf(extra, sizeof(extra), ", 'root': {'path': '%s/data/../rootfs'}", bundle);
	OK(extra);
	cr_assert(!strcmp(plan.rootfs + strlen(bundle), "/rootfs"), "%s", plan.rootfs);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "config.json: root.path: %s/nope: No such file or directory",
		 bundle);
	REFUSE(", 'root': {'path': 'nope'}", want);
	snprintf(want, sizeof(want), "config.json: root.path: %s/file is not a directory", bundle);
	REFUSE(", 'root': {'path': 'file'}", want);
}

/* Guest RAM is the memory limit less mvm's own overhead, never below the minimum. */
Test(spec2vm, memory)
{
	OK(", 'linux': {'resources': {'memory': {'limit': 536870912}}}");
	cr_assert_eq(plan.mem_mib, 512 - S2V_MEM_OVERHEAD_MIB);
	cr_assert_eq(plan.res.memory_limit, 536870912, "the cgroup still gets the whole limit");
	mvm_accepts();
	OK(", 'linux': {'resources': {'memory': {'limit': 537871912}}}"); /* 512 MiB + 1000000 */
	cr_assert_eq(plan.mem_mib, 496);
	OK(", 'linux': {'resources': {'memory': {'limit': 83886080}}}"); /* 80 MiB */
	cr_assert_eq(plan.mem_mib, S2V_MIN_MEM_MIB);
	/* Below what a VM needs (runc's tests use 32 MiB): the VM gets the
	 * least RAM, mvm's cgroup what that takes, and the guest's memory
	 * cgroup (memory.max, guestcg.c) the limit the config asked for. */
	OK(", 'linux': {'resources': {'memory': {'limit': 33554432, 'swap': 67108864}}}");
	cr_assert_eq(plan.mem_mib, S2V_MIN_MEM_MIB);
	cr_assert_eq(plan.res.memory_limit, (int64_t)(S2V_MIN_MEM_MIB + S2V_MEM_OVERHEAD_MIB) << 20);
	cr_assert_eq(plan.res.memory_swap, plan.res.memory_limit, "swap is never below the limit");
	cr_assert(noted("linux.resources.memory.limit: 33554432 bytes is less than the 80 MiB a "
			"microVM needs: the VM gets 64 MiB of RAM and mvm's cgroup 80 MiB; the "
			"container's cgroup in the guest holds it to the limit"));
	mvm_accepts();
	OK(", 'linux': {'resources': {'memory': {'limit': 82837504}}}"); /* 79 MiB */
	cr_assert_eq(plan.mem_mib, S2V_MIN_MEM_MIB);
	OK(", 'linux': {'resources': {'memory': {'limit': -1}}}");
	cr_assert_eq(plan.mem_mib, S2V_DEFAULT_MEM_MIB);
	cr_assert_eq(build(", 'linux': {'resources': {'memory': {'limit': 4611686018427387904}}}"), -1);
	cr_assert(strstr(err.msg, "config.json: linux.resources.memory.limit: 4398046511088 MiB of "
				  "guest RAM is more than this host's "), "%s", err.msg);
}

Test(spec2vm, memory_annotation)
{
	OK(", 'annotations': {'org.mvrun.mem': '1024'}");
	cr_assert_eq(plan.mem_mib, 1024);
	OK(", 'annotations': {'org.mvrun.mem': '84'},"
	   " 'linux': {'resources': {'memory': {'limit': 104857600}}}");
	cr_assert_eq(plan.mem_mib, 84);
	REFUSE(", 'annotations': {'org.mvrun.mem': '85'},"
	       " 'linux': {'resources': {'memory': {'limit': 104857600}}}",
	       "config.json: annotations[\"org.mvrun.mem\"]: 85 MiB of guest RAM and mvm's 16 MiB do "
	       "not fit in linux.resources.memory.limit (100 MiB)");
	REFUSE(", 'annotations': {'org.mvrun.mem': '63'}",
	       "config.json: annotations[\"org.mvrun.mem\"]: \"63\" is not a number of MiB from 64 up");
	REFUSE(", 'annotations': {'org.mvrun.mem': '128M'}",
	       "config.json: annotations[\"org.mvrun.mem\"]: \"128M\" is not a number of MiB from 64 up");
}

/* vCPUs: the quota rounded up, or the cpuset's size, whichever is smaller. */
Test(spec2vm, cpus)
{
	static const struct {
		const char *cpu;
		int want;
	} cases[] = {
		{ "'quota': 150000, 'period': 100000", 2 },
		{ "'quota': 50000, 'period': 100000", 1 },
		{ "'quota': 200000", 2 }, /* the kernel's 100 ms period */
		{ "'quota': -1", 1 },
		{ "'quota': 0", 1 },
		{ "'cpus': '0-3,6'", 5 },
		{ "'cpus': '7'", 1 },
		{ "'cpus': ''", 1 },
		{ "'quota': 400000, 'cpus': '0-1'", 2 },
		{ "'quota': 100000, 'cpus': '0-3'", 1 },
		{ "'cpus': '0-3,2-5'", 6 }, /* the kernel takes the union */
		{ "'cpus': '0,0,0'", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char extra[256];
		snprintf(extra, sizeof(extra), ", 'linux': {'resources': {'cpu': {%s}}}", cases[i].cpu);
		OK(extra);
		cr_assert_eq(plan.cpus, cases[i].want, "%s: %d vCPUs", cases[i].cpu, plan.cpus);
		mvm_accepts();
	}
	OK(", 'linux': {'resources': {'cpu': {'cpus': '0-63'}}}");
	cr_assert_eq(plan.cpus, MVM_MAX_VCPUS);
	cr_assert(noted("the VM gets 32 vCPUs, mvm's most, not 64"));
	static const char *const bad[] = { "3-1", "0,", "0-", "a", "1-2-3", "0-8192", " 1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[128], want[160];
		snprintf(extra, sizeof(extra), ", 'linux': {'resources': {'cpu': {'cpus': '%s'}}}", bad[i]);
		snprintf(want, sizeof(want),
			 "config.json: linux.resources.cpu.cpus: \"%s\" is not a CPU list like 0-3,6", bad[i]);
		REFUSE(extra, want);
	}
	OK(", 'annotations': {'org.mvrun.cpus': '4'}, 'linux': {'resources': {'cpu': {'cpus': '0'}}}");
	cr_assert_eq(plan.cpus, 4, "the annotation wins");
	REFUSE(", 'annotations': {'org.mvrun.cpus': '33'}",
	       "config.json: annotations[\"org.mvrun.cpus\"]: \"33\" is not a vCPU count from 1 to 32");
	REFUSE(", 'annotations': {'org.mvrun.cpus': '0'}",
	       "config.json: annotations[\"org.mvrun.cpus\"]: \"0\" is not a vCPU count from 1 to 32");
}

Test(spec2vm, annotations)
{
	char extra[PATH_MAX + 128], want[PATH_MAX + 128];
	OK(", 'annotations': {'org.mvrun.console': 'true', 'io.kubernetes.pod': 'x', 'org.mvrunner': '1'}");
	cr_assert(strstr(args(), " --console"), "%s", args());
	OK(", 'annotations': {'org.mvrun.console': '0'}");
	cr_assert_null(strstr(args(), "--console"));
	REFUSE(", 'annotations': {'org.mvrun.console': 'yes'}",
	       "config.json: annotations[\"org.mvrun.console\"]: \"yes\" is not true or false");
	REFUSE(", 'annotations': {'org.mvrun.memory': '512'}",
	       "config.json: annotations: unknown mvrun annotation \"org.mvrun.memory\" (known: "
	       "org.mvrun.mem, org.mvrun.cpus, org.mvrun.kernel, org.mvrun.console)");

	snprintf(extra, sizeof(extra), ", 'annotations': {'org.mvrun.kernel': '%s/file'}", bundle);
	OK(extra);
	cr_assert(!strncmp(args(), "--kernel B/file --initrd", 24), "%s", args());
	cr_assert(noted("annotations: booting the kernel "));
	REFUSE(", 'annotations': {'org.mvrun.kernel': 'vmlinux'}",
	       "config.json: annotations[\"org.mvrun.kernel\"]: \"vmlinux\" must be an absolute path");
	snprintf(extra, sizeof(extra), ", 'annotations': {'org.mvrun.kernel': '%s/data'}", bundle);
	snprintf(want, sizeof(want),
		 "config.json: annotations[\"org.mvrun.kernel\"]: %s/data is not a regular file", bundle);
	REFUSE(extra, want);
	REFUSE(", 'annotations': {'org.mvrun.kernel': '/nonexistent/vmlinux'}",
	       "config.json: annotations[\"org.mvrun.kernel\"]: /nonexistent/vmlinux: No such file "
	       "or directory");
}

Test(spec2vm, bind_mounts)
{
	char extra[2 * PATH_MAX], want[2 * PATH_MAX];
	snprintf(extra, sizeof(extra),
		 ", 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
		 " {'destination': '/data', 'type': 'bind', 'source': 'data', 'options': ['rbind', 'ro']},"
		 " {'destination': '//srv/./x/', 'type': 'none', 'source': '%s/data',"
		 "  'options': ['bind', 'nosuid', 'rw']},"
		 " {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup'}]",
		 bundle);
	OK(extra);
	cr_assert(strstr(args(), " --volume B/data:ro --volume B/data"), "%s", args());
	cr_assert(strstr(spec(), "all-mounts confine setup hostname=box "), "%s", spec());
	cr_assert(strstr(spec(), " env=PATH=/bin mount=proc:proc:/proc: mount=vol0:/data:ro "
				 "mount=vol1:/srv/x:nosuid -- sh"), "%s", spec());
	cr_assert(!noted("nosuid"), "nosuid is applied in the guest");
	cr_assert(plan.cgroupfs, "the container's cgroup2 goes to /sys/fs/cgroup");
	cr_assert_eq(plan.cgroupfs_flags, PROTO_MOUNT_RO, "read-only unless the options say rw");
	cr_assert(!noted("cgroup"), "nothing to note: the guest mounts it");
	mvm_accepts();

	snprintf(want, sizeof(want), "config.json: mounts[0].source: %s/missing: No such file or "
		 "directory", bundle);
	REFUSE(", 'mounts': [{'destination': '/m', 'type': 'bind', 'source': 'missing'}]", want);
	snprintf(want, sizeof(want), "config.json: mounts[0]: bind mount of a single file (%s/file on "
		 "/etc/f) needs a container state directory to stage it in", bundle);
	REFUSE(", 'mounts': [{'destination': '/etc/f', 'type': 'bind', 'source': 'file'}]", want);
	/* With one: staged in STATE/files or STATE/files-ro, which mvm shares. */
	in.state_dir = "/run/mvrun/c1";
	OK(", 'mounts': [{'destination': '/etc/f', 'type': 'bind', 'source': 'file'},"
	   " {'destination': '/etc/g', 'type': 'bind', 'source': 'file', 'options': ['ro']}]");
	cr_assert(strstr(args(), " --file /run/mvrun/c1/files/f0"
				 " --file /run/mvrun/c1/files-ro/f1:ro"), "%s", args());
	cr_assert(strstr(spec(), " mount=files0::files mount=files1::ro,files "
				 "mount=files0/f0:/etc/f:file mount=files1/f1:/etc/g:ro,file -- "), "%s",
		  spec());
	cr_assert_eq(plan.nfiles, 2);
	snprintf(want, sizeof(want), "%s/file", bundle);
	cr_assert_str_eq(plan.files[1].src, want);
	cr_assert_str_eq(plan.files[1].stage, "/run/mvrun/c1/files-ro/f1");
	mvm_accepts();
	in.state_dir = NULL;
	REFUSE(", 'mounts': [{'destination': '/m', 'type': 'bind'}]",
	       "config.json: mounts[0].source: missing (a bind mount needs one)");
	/* runc passes other options as data, which a bind ignores; the
	 * propagation (the last one named) is mvinit's to apply. */
	OK(", 'mounts': [{'destination': '/m', 'source': 'data',"
	   " 'options': ['rbind', 'mode=755', 'shared', 'nosuid', 'rslave']}]");
	cr_assert(strstr(args(), " --volume B/data"), "%s", args());
	cr_assert(strstr(spec(), " mount=vol0:/m:nosuid,rslave -- "), "%s", spec());
	cr_assert(noted("mounts[0]: bind mount option \"mode=755\" ignored (a bind mount takes no data)"));
	cr_assert_eq(plan.nnotes, 1);
	mvm_accepts();
	REFUSE(", 'mounts': [{'destination': '/m', 'source': 'data', 'options': ['bind', 'idmap']}]",
	       "config.json: mounts[0]: idmapped mounts are not supported yet");
	REFUSE(", 'mounts': [{'destination': '/m', 'type': 'bind', 'source': 'data',"
	       " 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],"
	       " 'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]}]",
	       "config.json: mounts[0]: idmapped mounts are not supported yet");
	REFUSE(", 'mounts': [{'destination': '//', 'type': 'bind', 'source': 'data'}]",
	       "config.json: mounts[0]: a bind mount cannot cover the root; use root.path");
	/* ".." stops at the root, as in runc's securejoin. */
	REFUSE(", 'mounts': [{'destination': '/mnt/../..', 'type': 'bind', 'source': 'data'}]",
	       "config.json: mounts[0]: a bind mount cannot cover the root; use root.path");
	OK(", 'mounts': [{'destination': '/a/b/../c/..', 'type': 'bind', 'source': 'data'}]");
	cr_assert(strstr(spec(), " mount=vol0:/a -- "), "%s", spec());
}

Test(spec2vm, other_mounts)
{
	/* The guest's own filesystems, with their sources and options, in the
	 * config's order among the binds. */
	OK(", 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
	   " {'destination': '/dev/', 'type': 'tmpfs', 'options': ['nosuid', 'strictatime', 'mode=755']},"
	   " {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts', 'options': ['nosuid',"
	   "  'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']},"
	   " {'destination': '/data', 'type': 'bind', 'source': 'data'},"
	   " {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm'},"
	   " {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs', 'options': ['ro', 'rprivate']},"
	   " {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue'},"
	   " {'destination': '/run', 'type': 'tmpfs'}]");
	cr_assert(strstr(spec(), " mount=proc:proc:/proc: mount=tmpfs:tmpfs:/dev:nosuid,mode=755 "
			 "mount=devpts:devpts:/dev/pts:nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,"
			 "gid=5 mount=vol0:/data mount=tmpfs:shm:/dev/shm: mount=sysfs:sysfs:/sys:ro "
			 "mount=mqueue:mqueue:/dev/mqueue: mount=tmpfs:tmpfs:/run: -- "), "%s", spec());
	cr_assert(plan.spec.flags & PROTO_SPEC_ALL_MOUNTS, "mvinit adds none of its own");
	mvm_accepts();
	REFUSE(", 'mounts': [{'destination': '/proc', 'type': 'proc', 'options': ['hidepid=2', 'gid=3']}]",
	       "config.json: mounts[0]: proc option \"gid=3\" is not supported");
	REFUSE(", 'mounts': [{'destination': '/m', 'type': 'sysfs', 'source': 'a:b'}]",
	       "config.json: mounts[0]: mvm cannot mount a sysfs from or on a path that contains ':' "
	       "(a:b on /m)");
	/* Elsewhere, a tmpfs of the guest's own with the options mvinit knows. */
	OK(", 'mounts': [{'destination': '/var/tmp', 'type': 'tmpfs', 'source': 'tmpfs',"
	   " 'options': ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup', 'size=65536k', 'mode=1777']},"
	   " {'destination': '/data', 'type': 'tmpfs'}]");
	cr_assert(strstr(spec(), " mount=tmpfs:tmpfs:/var/tmp:rw,nosuid,nodev,tmpcopyup,size=65536k,"
			 "mode=1777 mount=tmpfs:tmpfs:/data: -- "), "%s", spec());
	cr_assert_not(plan.spec.flags & PROTO_SPEC_ALL_MOUNTS, "tmpfs alone: mvinit adds its own");
	cr_assert_eq(plan.nnotes, 0, "tmpcopyup is mvinit's: %s", plan.notes[0]);
	mvm_accepts();
	REFUSE(", 'mounts': [{'destination': '/data', 'type': 'tmpfs', 'options': ['huge=always']}]",
	       "config.json: mounts[0]: tmpfs option \"huge=always\" is not supported");
	REFUSE(", 'mounts': [{'destination': '/', 'type': 'tmpfs'}]",
	       "config.json: mounts[0]: a tmpfs cannot cover the root");
	REFUSE(", 'mounts': [{'destination': '/mnt', 'type': 'nfs', 'source': 'h:/x'}]",
	       "config.json: mounts[0]: a nfs mount at /mnt is not supported (mvrun shares host "
	       "directories with bind mounts; proc, sysfs, devpts, mqueue and tmpfs are the guest's "
	       "own)");
	REFUSE(", 'mounts': [{'destination': '/mnt', 'source': 'x'}]",
	       "config.json: mounts[0].type: missing (required unless the mount is a bind)");
	char extra[4096] = ", 'mounts': [";
	for (int i = 0; i < MVM_MAX_VOLUMES + 1; i++)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "%s{'destination': '/v%d', 'type': 'bind', 'source': 'data'}", i ? "," : "", i);
	strcat(extra, "]");
	REFUSE(extra, "config.json: mounts[12]: more than 12 bind mounts; mvm shares at most 12 "
		      "directories");
}

/* Every mount point mvrun makes in the image for a read-only root, as runc
 * makes them: the system filesystems' too (a FROM scratch image has no
 * /proc), but not one under an earlier mount (/dev/pts is made in the /dev
 * tmpfs), and each once. */
Test(spec2vm, mount_points)
{
	OK(", 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
	   " {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs'},"
	   " {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts'},"
	   " {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm'},"
	   " {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs'},"
	   " {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup'},"
	   " {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
	   " {'destination': '/run', 'type': 'tmpfs', 'source': 'tmpfs'},"
	   " {'destination': '/data', 'type': 'bind', 'source': 'data'}]");
	const char *want[] = { "/proc", "/dev", "/sys", "/run", "/data" };
	cr_assert_eq(plan.nmps, 5);
	for (int i = 0; i < 5; i++) {
		cr_assert_str_eq(plan.mps[i].path, want[i]);
		cr_assert(!plan.mps[i].file);
	}
}

Test(spec2vm, process_refusals_and_notes)
{
	/* (uid_t)-1 is no user: setresuid reads it as "unchanged", and mvm refuses it. */
	REFUSE(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 4294967295, 'gid': 0}}",
	       "config.json: process.user.uid: 4294967295 is not a valid id");
	REFUSE(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 0, 'gid': 4294967295}}",
	       "config.json: process.user.gid: 4294967295 is not a valid id");
	OK(", 'process': {'args': ['sh'], 'cwd': '/', 'noNewPrivileges': true, 'oomScoreAdj': 5,"
	   "  'user': {'uid': 4294967294, 'gid': 7, 'additionalGids': [7, 8]},"
	   "  'capabilities': {'bounding': ['CAP_KILL']}, 'apparmorProfile': 'p', 'selinuxLabel': '',"
	   "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 1}]}");
	cr_assert_eq(plan.nnotes, 1, "%s", plan.notes[0]);
	cr_assert(!noted("process.oomScoreAdj"), "oomScoreAdj is applied in the guest");
	cr_assert(noted("process.apparmorProfile: ignored"));
	/* The process, groups and rlimits go in the SPEC, the rest in CONFINE. */
	cr_assert(strstr(spec(), "user=4294967294:7 groups=7,8 umask=22 rlimit=7:1:1 "), "%s",
		  spec());
	cr_assert_gt(plan.confine.len, 0);
	cr_assert_eq(plan.seccomp_insns, 0);
	mvm_accepts();

	/* The umask and the domain name are mvinit's now. */
	OK(", 'domainname': 'example.org', 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 0, "
	   "'gid': 0, 'umask': 63}, 'capabilities': {'bounding': ['CAP_NEW_ONE', 'CAP_KILL']}}");
	cr_assert(strstr(spec(), " umask=77 "), "%s", spec());
	cr_assert(noted("process.capabilities: 1 unknown capability names skipped"));
	mvm_accepts();

	char many[MVM_MAX_ENV * 12 + 256] = ", 'process': {'args': ['sh'], 'cwd': '/', 'env': [";
	for (int i = 0; i <= MVM_MAX_ENV; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s'E%d=1'", i ? "," : "", i);
	strcat(many, "]}");
	cr_assert_eq(build(many), -1);
	cr_assert_str_eq(err.msg, "config.json: process.env: 1025 entries; mvm passes at most 1024");
}

Test(spec2vm, linux_refusals_and_plan)
{
	REFUSE(", 'linux': {'namespaces': [{'type': 'ipc', 'path': '/run/ipcns/x'}]}",
	       "config.json: linux.namespaces[0]: joining an existing ipc namespace "
	       "(/run/ipcns/x) is not supported yet");
	REFUSE(", 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'mount'}]}",
	       "config.json: linux.namespaces: no network namespace: the container would share "
	       "the host's network namespace, which a VM cannot (use a bridge network, or none)");
	OK(", 'linux': {'namespaces': [{'type': 'network', 'path': '/run/netns/x'}]}");
	cr_assert_str_eq(plan.netns_path, "/run/netns/x");
	cr_assert_not(plan.new_netns);
	cr_assert(has_arg("--net"), "mvm gets a virtio-net device");
	mvm_accepts();
	OK("");
	cr_assert_not(has_arg("--net"), "no namespaces listed: no network device");
	/* Hooks of the container's run in the guest (spec2vm_hooks.c). */
	OK(", 'hooks': {'startContainer': [{'path': '/bin/true'}]}");
	cr_assert(plan.guest_hooks);
	cr_assert(strstr(spec(), "confine setup hooks "), "%s", spec());
	OK(", 'hooks': {'prestart': [{'path': '/bin/true'}]},"
	   " 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': ''}],"
	   "  'cgroupsPath': 'mvrun:c1', 'resources': {'pids': {'limit': 100},"
	   "   'cpu': {'shares': 512}, 'unified': {'memory.high': '1G'}, 'hugepageLimits': [],"
	   "   'memory': {'disableOOMKiller': false, 'swappiness': 0}},"
	   "  'maskedPaths': ['/proc/kcore'], 'sysctl': {'a.b': '1'},"
	   "  'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64'],"
	   "   'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO'}]},"
	   "  'devices': [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229}]}");
	cr_assert(plan.new_netns);
	cr_assert_str_eq(plan.cgroups_path, "mvrun:c1");
	cr_assert_eq(plan.res.cpu_shares, 512);
	cr_assert_eq(plan.res.pids_limit, -1, "mvm's threads are not the container's pids");
	cr_assert(!noted("linux.resources.pids"), "the limit goes to the guest's pids cgroup");
	cr_assert(!noted("linux.resources.unified"), "unified goes to the guest's cgroup");
	cr_assert(noted("linux.resources.memory.swappiness: not applied"));
	cr_assert(!noted("linux.resources.hugepageLimits"), "an empty list asks for nothing");
	cr_assert(!noted("linux.resources.memory.disableOOMKiller"), "false asks for nothing");
	cr_assert(noted("linux.devices: made in the guest's /dev"));
	cr_assert_gt(plan.seccomp_insns, 3);
	cr_assert(strstr(spec(), "confine setup "), "%s", spec());
	in.stream_fd = 4;
	OK(", 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW'}}");
	cr_assert(strstr(args(), " --stream-fd 4"), "%s", args());
	in.stream_fd = 0;
	REFUSE(", 'linux': {'seccomp': {}}",
	       "config.json: linux.seccomp.defaultAction: missing (required)");
	REFUSE(", 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_NOTIFY'}}",
	       "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported: the "
	       "container's seccomp agent would have to run inside its VM, not behind listenerPath "
	       "on the host");
}

/* cfg_parse insists on a process, but s2v_build is its own line of defence. */
Test(spec2vm, no_process)
{
	struct cfg none = { 0 };
	cr_assert_eq(s2v_build(&none, &in, &plan, &err), -1);
	cr_assert_str_eq(err.msg, "config.json: process: missing (required)");
}

Test(spec2vm, hooks_in_the_container)
{
	char p[PATH_MAX + 32], want[PATH_MAX + 300];
	snprintf(p, sizeof(p), "%s/rootfs/bin", bundle);
	cr_assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/rootfs/bin/hook", bundle);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fclose(f);
	/* An absolute link resolves inside the rootfs, as the guest sees it. */
	snprintf(p, sizeof(p), "%s/rootfs/bin/esc", bundle);
	cr_assert(symlink("/etc/passwd", p) == 0);
	OK(", 'hooks': {'createContainer': [{'path': '/bin/hook', 'args': ['hook', 'a'], 'env': ['X=1'],"
	   " 'timeout': 5}], 'startContainer': [{'path': '/no/such'}]}");
	cr_assert(plan.guest_hooks);
	cr_assert(noted("hooks.createContainer: run inside the VM"));
	/* The message the guest gets, with the states launch.c makes. */
	struct proto_buf b = { 0 };
	static struct proto_hooks h;
	struct proto_hdr hd;
	cr_assert_eq(s2v_encode_hooks(&c, "{\"status\":\"creating\"}", "{}", &b), 0);
	cr_assert_eq(proto_parse_hdr(b.data, &hd), 0);
	cr_assert_eq(hd.type, PROTO_HOOKS);
	cr_assert_eq(proto_decode_hooks(b.data + PROTO_HDR_LEN, hd.len, &h), 0);
	cr_assert_eq(h.n, 2);
	cr_assert_str_eq(h.state_creating, "{\"status\":\"creating\"}");
	cr_assert_eq(h.hook[0].kind, PROTO_HOOK_CREATE_CONTAINER);
	cr_assert_eq(h.hook[0].timeout, 5);
	cr_assert_str_eq(h.hook[0].args[1], "a");
	cr_assert_null(h.hook[0].args[2]);
	cr_assert_str_eq(h.hook[0].env[0], "X=1");
	cr_assert_eq(h.hook[1].kind, PROTO_HOOK_START_CONTAINER);
	cr_assert_eq(h.hook[1].nargs, 0);
	proto_buf_free(&b);
	s2v_free(&plan);
	cfg_free(&c);
	/* createContainer's path must be in the rootfs (the host's is out of reach). */
	snprintf(want, sizeof(want), "config.json: hooks.createContainer[0]: /bin/esc is not in the "
		 "container's rootfs (%s/rootfs): mvrun runs createContainer hooks inside the VM, in the "
		 "container, with the path resolved there, since no host binary can run in it", bundle);
	REFUSE(", 'hooks': {'createContainer': [{'path': '/bin/esc'}]}", want);
	/* Unless a mount brings it. */
	OK(", 'mounts': [{'destination': '/hooks', 'type': 'bind', 'source': 'data'}],"
	   " 'hooks': {'createContainer': [{'path': '/hooks/x'}]}");
}

/* The user namespace mvinit makes in the guest: the checks runc and the
 * kernel would make, each naming the field, and the maps in SETUP. */
#define NS_USER "'namespaces': [{'type': 'network'}, {'type': 'user'}]"
#define UIDS(x) "'uidMappings': [" x "]"
#define GIDS(x) "'gidMappings': [" x "]"
#define M(cid, hid, n) "{'containerID': " #cid ", 'hostID': " #hid ", 'size': " #n "}"
#define MAPS UIDS(M(0, 100000, 65536)) ", " GIDS(M(0, 200000, 1000) ", " M(1000, 5, 1))

Test(spec2vm, user_namespace_refusals)
{
	REFUSE(", 'linux': {" UIDS(M(0, 1000, 1)) ", " GIDS(M(0, 1000, 1)) "}",
	       "config.json: linux.uidMappings: given, but linux.namespaces has no user namespace");
	REFUSE(", 'linux': {'namespaces': [{'type': 'network'}], " GIDS(M(0, 1000, 1)) "}",
	       "config.json: linux.gidMappings: given, but linux.namespaces has no user namespace");
	REFUSE(", 'linux': {" NS_USER "}",
	       "config.json: linux.namespaces[1]: a user namespace needs both linux.uidMappings and "
	       "linux.gidMappings; both are missing or empty");
	REFUSE(", 'linux': {" NS_USER ", " UIDS(M(0, 1000, 1)) ", 'gidMappings': []}",
	       "config.json: linux.namespaces[1]: a user namespace needs both linux.uidMappings and "
	       "linux.gidMappings; linux.gidMappings is missing or empty");
	REFUSE(", 'linux': {" NS_USER ", " GIDS(M(0, 1000, 1)) "}",
	       "config.json: linux.namespaces[1]: a user namespace needs both linux.uidMappings and "
	       "linux.gidMappings; linux.uidMappings is missing or empty");
	REFUSE(", 'linux': {'namespaces': [{'type': 'network'}, {'type': 'user', 'path': "
	       "'/proc/1/ns/user'}], " MAPS "}",
	       "config.json: linux.namespaces[1]: joining an existing user namespace "
	       "(/proc/1/ns/user) is not supported yet");
	/* Overlaps, as the kernel's mappings_overlap() refuses them. */
	REFUSE(", 'linux': {" NS_USER ", " UIDS(M(0, 100000, 1000) ", " M(500, 1000, 1000)) ", "
	       GIDS(M(0, 1000, 1)) "}",
	       "config.json: linux.uidMappings[1]: containerID range 500-1499 overlaps "
	       "linux.uidMappings[0]'s 0-999");
	REFUSE(", 'linux': {" NS_USER ", " UIDS(M(0, 1000, 1)) ", "
	       GIDS(M(0, 100000, 10) ", " M(10, 5, 1) ", " M(20, 100009, 1000)) "}",
	       "config.json: linux.gidMappings[2]: hostID range 100009-101008 overlaps "
	       "linux.gidMappings[0]'s 100000-100009");
	/* The process's ids, and the devices', must be mapped. */
	REFUSE(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 65536, 'gid': 0}},"
	       " 'linux': {" NS_USER ", " MAPS "}",
	       "config.json: process.user.uid: 65536 is not mapped by linux.uidMappings");
	REFUSE(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 1000, 'gid': 1001}},"
	       " 'linux': {" NS_USER ", " MAPS "}",
	       "config.json: process.user.gid: 1001 is not mapped by linux.gidMappings");
	REFUSE(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 1000, 'gid': 1000,"
	       " 'additionalGids': [999, 1000, 2000]}}, 'linux': {" NS_USER ", " MAPS "}",
	       "config.json: process.user.additionalGids[2]: 2000 is not mapped by linux.gidMappings");
	REFUSE(", 'linux': {" NS_USER ", " MAPS ", 'devices': [{'path': '/dev/fuse', 'type': 'c',"
	       " 'major': 10, 'minor': 229, 'uid': 0, 'gid': 1001}]}",
	       "config.json: linux.devices[0].gid: 1001 is not mapped by linux.gidMappings");
	REFUSE(", 'linux': {" NS_USER ", " MAPS ", 'devices': [{'path': '/dev/fuse', 'type': 'c',"
	       " 'major': 10, 'minor': 229}, {'path': '/dev/x', 'type': 'p', 'uid': 70000}]}",
	       "config.json: linux.devices[1].uid: 70000 is not mapped by linux.uidMappings");
}

/* The SETUP after CONFINE in plan.confine. */
static void plan_setup(struct proto_setup *s)
{
	struct proto_hdr h;
	size_t off = 0;
	while (off + PROTO_HDR_LEN <= plan.confine.len) {
		cr_assert_eq(proto_parse_hdr(plan.confine.data + off, &h), 0);
		if (h.type == PROTO_SETUP) {
			cr_assert_eq(proto_decode_setup(plan.confine.data + off + PROTO_HDR_LEN, h.len, s),
				     0);
			return;
		}
		off += PROTO_HDR_LEN + h.len;
	}
	cr_assert_fail("no SETUP in the plan");
}

Test(spec2vm, user_namespace_maps_in_setup)
{
	static struct proto_setup s;
	OK(", 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 1000, 'gid': 1000,"
	   " 'additionalGids': [0, 999]}}, 'linux': {" NS_USER ", " MAPS ", 'devices': [{'path':"
	   " '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'uid': 65535, 'gid': 1000}]}");
	cr_assert(strstr(spec(), "user=1000:1000 groups=0,999 "), "%s", spec());
	mvm_accepts();
	plan_setup(&s);
	cr_assert_eq(s.nuidmap, 1);
	cr_assert_eq(s.uidmap[0].inside, 0);
	cr_assert_eq(s.uidmap[0].outside, 100000);
	cr_assert_eq(s.uidmap[0].count, 65536);
	cr_assert_eq(s.ngidmap, 2);
	cr_assert_eq(s.gidmap[1].inside, 1000);
	cr_assert_eq(s.gidmap[1].outside, 5);
	cr_assert_eq(s.gidmap[1].count, 1);
	cr_assert_eq(plan.nnotes, 1, "only the devices' note: %s", plan.notes[0]);
	/* Adjacent ranges do not overlap; the same ids both ways are fine. */
	OK(", 'linux': {" NS_USER ", " UIDS(M(0, 0, 1) ", " M(1, 1, 4294967295)) ", "
	   GIDS(M(0, 0, 4294967295)) "}");
	plan_setup(&s);
	cr_assert_eq(s.nuidmap, 2);
	cr_assert_eq(s.uidmap[1].count, 4294967295u);
	/* Without a user namespace, SETUP carries no maps. */
	OK("");
	plan_setup(&s);
	cr_assert_eq(s.nuidmap, 0);
	cr_assert_eq(s.ngidmap, 0);
}

/* A pod's sandbox runs its members too: a larger VM unless the config sizes it. */
Test(spec2vm, pod_sandbox_size)
{
	OK(", 'annotations': {'io.kubernetes.cri.container-type': 'sandbox'}");
	cr_assert_geq(plan.mem_mib, S2V_DEFAULT_MEM_MIB);
	cr_assert_leq(plan.mem_mib, S2V_POD_MEM_MIB);
	cr_assert_eq(plan.cpus, sysconf(_SC_NPROCESSORS_ONLN) > 1 ? S2V_POD_CPUS : 1);
	mvm_accepts();
	OK(", 'annotations': {'io.podman.annotations.infra': 'true'}");
	cr_assert_geq(plan.mem_mib, S2V_DEFAULT_MEM_MIB);
	OK(", 'annotations': {'io.kubernetes.cri.container-type': 'container'}");
	cr_assert_eq(plan.mem_mib, S2V_DEFAULT_MEM_MIB);
	cr_assert_eq(plan.cpus, 1);
	OK(", 'annotations': {'io.kubernetes.cri.container-type': 'sandbox', 'org.mvrun.mem': '300',"
	   " 'org.mvrun.cpus': '1'}");
	cr_assert_eq(plan.mem_mib, 300);
	cr_assert_eq(plan.cpus, 1);
	OK(", 'annotations': {'io.kubernetes.cri.container-type': 'sandbox'},"
	   " 'linux': {'resources': {'memory': {'limit': 536870912}}}");
	cr_assert_eq(plan.mem_mib, 512 - S2V_MEM_OVERHEAD_MIB);
}
