#include "vmm/args.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/proto.h"
#include "vmm/vm.h"

const char mvm_usage[] =
	"usage: mvm --kernel VMLINUX [--initrd CPIO] [--cmdline STR] [--mem MiB] [--cpus N]\n"
	"           [--console] [--no-xsave] [--boot auto|pvh|linux64] [--report]\n"
	"           [--root DIR [--read-only] [--share-privileges] [--volume HOST:GUEST[:OPTS]]... [--env K=V]...\n"
	"            [--file HOSTFILE:GUEST[:OPTS]]... [--tmpfs GUEST[:OPTIONS]]...\n"
	"            [--mount TYPE:SOURCE:GUEST[:OPTIONS]]...\n"
	"            [--cwd DIR] [--user UID[:GID]] [--hostname NAME] [--tty [--no-onlcr]]\n"
	"            [--groups G[,G...]] [--umask OCTAL] [--rlimit RES:SOFT:HARD]... [--confine-fd N]\n"
	"            [--vsock-uds PATH] [--wait-start --control-socket PATH] [--ready-fd N] [--net]\n"
	"            -- CMD [ARG...]]\n"
	"           [--seccomp kill|log]\n"
	"       mvm --print-seccomp | --print-surface | --check-host | --version | --help\n"
	"Boots a Linux guest in a KVM microVM; with --root, runs CMD from that rootfs in it. Exit status: the guest's (0 after a clean\n"
	"power-off), 64 bad argument, 69 host cannot run Linux guests, 70 internal error,\n"
	"71 guest kernel panic, 72 triple fault, 73 KVM internal or emulation error.\n";

static int parse_u64(const char *flag, const char *s, uint64_t *out, struct err *err)
{
	char *end;
	errno = 0;
	if (!s || !isdigit((unsigned char)*s))
		return err_set(err, MVM_EXIT_BADARG, "%s: expected a positive integer, got \"%s\"",
			       flag, s ? s : "");
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return err_set(err, MVM_EXIT_BADARG, "%s: expected a positive integer, got \"%s\"",
			       flag, s);
	*out = v;
	return 0;
}

static uint64_t host_ram_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return UINT64_MAX;
	return (uint64_t)pages * (uint64_t)psz >> 20;
}

/* The propagation options of a share, as PROTO_MOUNT_* bits; 0 for another. */
static uint32_t propagation(const char *t)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} props[] = { { "shared", PROTO_MOUNT_SHARED }, { "slave", PROTO_MOUNT_SLAVE },
		      { "private", PROTO_MOUNT_PRIVATE }, { "unbindable", PROTO_MOUNT_UNBINDABLE } };
	uint32_t rec = t[0] == 'r' && strcmp(t, "rw") ? PROTO_MOUNT_PROP_REC : 0;

	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (!strcmp(t + (rec ? 1 : 0), props[i].name))
			return props[i].flag | rec;
	return 0;
}

/* HOST:GUEST[:OPTIONS] for --volume and --file, split in place; OPTIONS
 * is a comma-separated list of ro, rw, nosuid, nodev and noexec (the last
 * three into *restrict_flags as PROTO_MOUNT_* bits) and a propagation
 * (shared, slave, private, unbindable, or one with an r; the last wins). */
static int parse_mapping(const char *opt, const char *what, char *v, const char **guest_out,
			 bool *ro, uint32_t *restrict_flags, struct err *err)
{
	char *orig = strdupa(v);
	char *colon = strchr(v, ':');
	if (!colon || colon == v)
		return err_set(err, MVM_EXIT_BADARG, "--%s %s: expected HOST%s:GUEST%s[:ro]", opt,
			       orig, what, what);
	*colon = 0;
	char *guest = colon + 1, *o = strchr(guest, ':');
	*ro = false;
	*restrict_flags = 0;
	if (o) {
		*o++ = 0;
		for (char *save, *t = strtok_r(o, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (strcmp(t, "ro") == 0)
				*ro = true;
			else if (strcmp(t, "rw") == 0)
				*ro = false;
			else if (strcmp(t, "nosuid") == 0)
				*restrict_flags |= PROTO_MOUNT_NOSUID;
			else if (strcmp(t, "nodev") == 0)
				*restrict_flags |= PROTO_MOUNT_NODEV;
			else if (strcmp(t, "noexec") == 0)
				*restrict_flags |= PROTO_MOUNT_NOEXEC;
			else if (propagation(t))
				*restrict_flags = (*restrict_flags & ~PROTO_MOUNT_PROP_MASK) | propagation(t);
			else
				return err_set(err, MVM_EXIT_BADARG, "--%s %s: option \"%s\" is not ro, rw, "
					       "nosuid, nodev, noexec or a propagation", opt, orig, t);
		}
	}
	if (guest[0] != '/')
		return err_set(err, MVM_EXIT_BADARG, "--%s %s: the container path must be absolute",
			       opt, orig);
	*guest_out = guest;
	return 0;
}

static int parse_volume(struct mvm_args *a, char *v, struct err *err)
{
	struct mvm_volume *m = &a->volumes[a->nvolumes];
	if (a->nvolumes == MVM_MAX_VOLUMES)
		return err_set(err, MVM_EXIT_BADARG, "--volume: at most %d", MVM_MAX_VOLUMES);
	if (parse_mapping("volume", "DIR", v, &m->guest, &m->ro, &m->restrict_flags, err) < 0)
		return -1;
	m->host = v;
	m->seq = a->nmountargs++;
	a->nvolumes++;
	return 0;
}

static int parse_file(struct mvm_args *a, char *v, struct err *err)
{
	struct mvm_file *f = &a->files[a->nfiles];
	if (a->nfiles == MVM_MAX_FILES)
		return err_set(err, MVM_EXIT_BADARG, "--file: at most %d", MVM_MAX_FILES);
	char *orig = strdupa(v);
	if (parse_mapping("file", "FILE", v, &f->guest, &f->ro, &f->restrict_flags, err) < 0)
		return -1;
	f->host = v;
	f->seq = a->nmountargs++;
	if (!strrchr(v, '/') || !strrchr(v, '/')[1])
		return err_set(err, MVM_EXIT_BADARG, "--file %s: the host file must be a path with a "
			       "directory", orig);
	a->nfiles++;
	return 0;
}

/* DEST[:OPTIONS] of a tmpfs from source (NULL: "tmpfs"), split in place. */
static int add_tmpfs(struct mvm_args *a, const char *source, char *v, struct err *err)
{
	if (a->ntmpfs == MVM_MAX_TMPFS)
		return err_set(err, MVM_EXIT_BADARG, "--tmpfs: at most %d", MVM_MAX_TMPFS);
	if (v[0] != '/')
		return err_set(err, MVM_EXIT_BADARG, "--tmpfs %s: the container path must be absolute",
			       v);
	a->tmpfs_dest[a->ntmpfs] = v;
	a->tmpfs_opts[a->ntmpfs] = "";
	if (strchr(v, ':')) {
		*strchr(v, ':') = 0;
		a->tmpfs_opts[a->ntmpfs] = v + strlen(v) + 1;
	}
	a->tmpfs_source[a->ntmpfs] = source;
	a->tmpfs_seq[a->ntmpfs++] = a->nmountargs++;
	return 0;
}

/* --mount TYPE:SOURCE:DEST[:OPTIONS], split in place. */
static int parse_kernfs(struct mvm_args *a, char *v, struct err *err)
{
	static const char *const types[] = { "proc", "sysfs", "devpts", "mqueue" };
	char *orig = strdupa(v), *src = strchr(v, ':'), *dest = src ? strchr(src + 1, ':') : NULL;
	bool known = false;

	if (!dest)
		return err_set(err, MVM_EXIT_BADARG, "--mount %s: expected TYPE:SOURCE:DEST[:OPTIONS]",
			       orig);
	*src++ = 0;
	*dest++ = 0;
	if (!strcmp(v, "tmpfs"))
		return add_tmpfs(a, src, dest, err);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= !strcmp(v, types[i]);
	if (!known)
		return err_set(err, MVM_EXIT_BADARG, "--mount %s: the type is not proc, sysfs, devpts, "
			       "mqueue or tmpfs", orig);
	if (a->nkernfs == MVM_MAX_KERNFS)
		return err_set(err, MVM_EXIT_BADARG, "--mount: at most %d", MVM_MAX_KERNFS);
	if (dest[0] != '/')
		return err_set(err, MVM_EXIT_BADARG, "--mount %s: the container path must be absolute",
			       orig);
	struct mvm_kernfs *k = &a->kernfs[a->nkernfs++];
	*k = (struct mvm_kernfs){ v, src, dest, "", a->nmountargs++ };
	if (strchr(dest, ':')) {
		*strchr(dest, ':') = 0;
		k->opts = dest + strlen(dest) + 1;
	}
	return 0;
}

static int parse_user(struct mvm_args *a, const char *v, struct err *err)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	unsigned long u = strtoul(v, &end, 10), g = u;
	if (errno || u > UINT32_MAX - 1)
		goto bad;
	if (*end == ':') {
		if (!isdigit((unsigned char)end[1]))
			goto bad;
		g = strtoul(end + 1, &end, 10);
		if (errno || g > UINT32_MAX - 1)
			goto bad;
	} else {
		g = 0; /* like docker -u UID: group 0 */
	}
	if (*end)
		goto bad;
	a->uid = (uint32_t)u;
	a->gid = (uint32_t)g;
	return 0;
bad:
	return err_set(err, MVM_EXIT_BADARG, "--user %s: expected UID[:GID] as numbers", v);
}

int args_parse(int argc, char **argv, struct mvm_args *a, struct err *err)
{
	enum { O_KERNEL = 256, O_INITRD, O_CMDLINE, O_MEM, O_CPUS, O_CONSOLE, O_NOXSAVE,
	       O_BOOT, O_REPORT, O_VERSION, O_ROOT, O_RO, O_VOLUME, O_ENV, O_CWD, O_USER,
	       O_HOSTNAME, O_TTY, O_UDS, O_WAIT, O_CTLSOCK, O_READYFD, O_FILE, O_TMPFS, O_NET,
	       O_SECCOMP, O_PRINT_SEC, O_PRINT_SURF, O_CHECK_HOST, O_SEC_TEST, O_PROC, O_NO_ONLCR, O_MOUNT,
	       O_SHAREPRIV };
	static const struct option opts[] = {
		{ "kernel", required_argument, 0, O_KERNEL },
		{ "initrd", required_argument, 0, O_INITRD },
		{ "cmdline", required_argument, 0, O_CMDLINE },
		{ "mem", required_argument, 0, O_MEM },
		{ "cpus", required_argument, 0, O_CPUS },
		{ "console", no_argument, 0, O_CONSOLE },
		{ "no-xsave", no_argument, 0, O_NOXSAVE },
		{ "boot", required_argument, 0, O_BOOT },
		{ "report", no_argument, 0, O_REPORT },
		{ "version", no_argument, 0, O_VERSION },
		{ "root", required_argument, 0, O_ROOT },
		{ "read-only", no_argument, 0, O_RO },
		{ "share-privileges", no_argument, 0, O_SHAREPRIV },
		{ "volume", required_argument, 0, O_VOLUME },
		{ "file", required_argument, 0, O_FILE },
		{ "tmpfs", required_argument, 0, O_TMPFS },
		{ "mount", required_argument, 0, O_MOUNT },
		{ "env", required_argument, 0, O_ENV },
		{ "cwd", required_argument, 0, O_CWD },
		{ "user", required_argument, 0, O_USER },
		{ "hostname", required_argument, 0, O_HOSTNAME },
		{ "tty", no_argument, 0, O_TTY },
		{ "no-onlcr", no_argument, 0, O_NO_ONLCR },
		{ "vsock-uds", required_argument, 0, O_UDS },
		{ "wait-start", no_argument, 0, O_WAIT },
		{ "net", no_argument, 0, O_NET },
		{ "control-socket", required_argument, 0, O_CTLSOCK },
		{ "ready-fd", required_argument, 0, O_READYFD },
		{ "seccomp", required_argument, 0, O_SECCOMP },
		{ "print-seccomp", no_argument, 0, O_PRINT_SEC },
		{ "print-surface", no_argument, 0, O_PRINT_SURF },
		{ "check-host", no_argument, 0, O_CHECK_HOST },
		{ "test-seccomp-violation", required_argument, 0, O_SEC_TEST },
		{ "groups", required_argument, 0, O_PROC },
		{ "umask", required_argument, 0, O_PROC },
		{ "rlimit", required_argument, 0, O_PROC },
		{ "confine-fd", required_argument, 0, O_PROC },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(a, 0, sizeof(*a));
	a->mem_mib = MVM_DEFAULT_MEM_MIB;
	a->ready_fd = -1;
	a->seccomp_test = -1;
	/* The SIGSYS test through mvrun, which passes its environment on. */
	const char *st = getenv("MVM_TEST_SECCOMP_VIOLATION");
	for (int k = 0; st && k < SEC_NKINDS; k++)
		if (!strcmp(st, sec_kind_name((enum sec_kind)k)))
			a->seccomp_test = k;
	a->confine_fd = -1;
	a->umask = 022;
	const char *nx = getenv("MVM_NO_XSAVE");
	a->no_xsave = nx && strcmp(nx, "1") == 0;
	a->cpus = 1;
	uint64_t v;
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	int c, li;
	while ((c = getopt_long(argc, argv, ":h", opts, &li)) != -1) {
		switch (c) {
		case O_PROC:
			if (args_proc(a, opts[li].name, optarg, err) < 0)
				return -1;
			break;
		case O_KERNEL: a->kernel = optarg; break;
		case O_INITRD: a->initrd = optarg; break;
		case O_CMDLINE: a->cmdline = optarg; break;
		case O_MEM:
			if (parse_u64("--mem", optarg, &v, err) < 0)
				return -1;
			a->mem_mib = v;
			break;
		case O_CPUS:
			if (parse_u64("--cpus", optarg, &v, err) < 0)
				return -1;
			if (v < 1 || v > MVM_MAX_VCPUS)
				return err_set(err, MVM_EXIT_BADARG, "--cpus %s: must be 1 to %d",
					       optarg, MVM_MAX_VCPUS);
			a->cpus = (int)v;
			break;
		case O_CONSOLE: a->console = true; break;
		case O_NOXSAVE: a->no_xsave = true; break;
		case O_BOOT:
			if (strcmp(optarg, "auto") == 0)
				a->boot = BOOT_AUTO;
			else if (strcmp(optarg, "pvh") == 0)
				a->boot = BOOT_PVH;
			else if (strcmp(optarg, "linux64") == 0)
				a->boot = BOOT_LINUX64;
			else
				return err_set(err, MVM_EXIT_BADARG,
					       "--boot %s: must be auto, pvh or linux64", optarg);
			break;
		case O_REPORT: a->report = true; break;
		case O_ROOT: a->root = optarg; break;
		case O_RO: a->read_only = true; break;
		case O_SHAREPRIV: a->share_privileges = true; break;
		case O_TTY: a->tty = true; break;
		case O_NO_ONLCR: a->no_onlcr = true; break;
		case O_CWD: a->cwd = optarg; break;
		case O_HOSTNAME: a->hostname = optarg; break;
		case O_UDS: a->vsock_uds = optarg; break;
		case O_WAIT: a->wait_start = true; break;
		case O_NET: a->net = true; break;
		case O_CTLSOCK: a->control_socket = optarg; break;
		case O_READYFD:
			if (parse_u64("--ready-fd", optarg, &v, err) < 0)
				return -1;
			if (v < 3 || v > 65535 || fcntl((int)v, F_GETFD) < 0)
				return err_set(err, MVM_EXIT_BADARG, "--ready-fd %s: not an open fd above 2",
					       optarg);
			a->ready_fd = (int)v;
			break;
		case O_VOLUME:
			if (parse_volume(a, optarg, err) < 0)
				return -1;
			break;
		case O_FILE:
			if (parse_file(a, optarg, err) < 0)
				return -1;
			break;
		case O_TMPFS:
			if (add_tmpfs(a, NULL, optarg, err) < 0)
				return -1;
			break;
		case O_MOUNT:
			if (parse_kernfs(a, optarg, err) < 0)
				return -1;
			break;
		case O_ENV:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return err_set(err, MVM_EXIT_BADARG, "--env %s: expected NAME=VALUE", optarg);
			if (a->nenv == MVM_MAX_ENV)
				return err_set(err, MVM_EXIT_BADARG, "--env: at most %d", MVM_MAX_ENV);
			a->env[a->nenv++] = optarg;
			break;
		case O_USER:
			if (parse_user(a, optarg, err) < 0)
				return -1;
			break;
		case O_VERSION: a->version = true; return 0;
		case O_PRINT_SEC: a->print_seccomp = true; return 0;
		case O_PRINT_SURF: a->print_surface = true; return 0;
		case O_CHECK_HOST: a->check_host = true; return 0;
		case O_SECCOMP:
			if (sec_mode_parse(optarg, &a->seccomp) < 0)
				return err_set(err, MVM_EXIT_BADARG, "--seccomp %s: expected kill or log",
					       optarg);
			break;
		case O_SEC_TEST: /* the SIGSYS test: that thread breaks its filter */
			a->seccomp_test = -1;
			for (int k = 0; k < SEC_NKINDS; k++)
				if (!strcmp(optarg, sec_kind_name((enum sec_kind)k)))
					a->seccomp_test = k;
			if (a->seccomp_test < 0)
				return err_set(err, MVM_EXIT_BADARG, "--test-seccomp-violation %s: "
					       "expected vcpu, io or main", optarg);
			break;
		case 'h': a->help = true; return 0;
		case ':':
			return err_set(err, MVM_EXIT_BADARG, "%s: needs a value", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256)
				return err_set(err, MVM_EXIT_BADARG, "unknown option -%c (see mvm --help)",
					       optopt);
			return err_set(err, MVM_EXIT_BADARG, "unknown option %s (see mvm --help)",
				       argv[optind - 1]);
		}
	}
	if (a->wait_start != (a->control_socket != NULL))
		return err_set(err, MVM_EXIT_BADARG, "--wait-start and --control-socket go together");
	if ((a->wait_start || a->ready_fd >= 0 || a->confine_fd >= 0) && !a->root)
		return err_set(err, MVM_EXIT_BADARG,
			       "--wait-start, --ready-fd and --confine-fd need --root");
	if (a->net && !a->root)
		return err_set(err, MVM_EXIT_BADARG, "--net needs --root");
	if (a->root) {
		if (optind >= argc)
			return err_set(err, MVM_EXIT_BADARG, "--root: no command given after --");
		a->argc = argc - optind;
		a->argv = argv + optind;
	} else if (optind < argc) {
		return err_set(err, MVM_EXIT_BADARG, "unexpected argument \"%s\" (see mvm --help)",
			       argv[optind]);
	}
	if (!a->kernel)
		return err_set(err, MVM_EXIT_BADARG, "--kernel: required (see mvm --help)");
	if (a->mem_mib < MVM_MEM_MIN_MIB)
		return err_set(err, MVM_EXIT_BADARG, "--mem %llu: too small; at least %d MiB",
			       (unsigned long long)a->mem_mib, MVM_MEM_MIN_MIB);
	uint64_t host = host_ram_mib();
	if (a->mem_mib > host)
		return err_set(err, MVM_EXIT_BADARG, "--mem %llu: more than this host's %llu MiB of RAM",
			       (unsigned long long)a->mem_mib, (unsigned long long)host);
	return 0;
}
