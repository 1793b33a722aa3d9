#include "vmm/args.h"
#include "common/hostmem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/proto.h"
#include "vmm/core/vm.h"

const char mvm_usage[] =
	"usage: mvm --kernel VMLINUX [--initrd CPIO] [--cmdline STR] [--mem MiB] [--cpus N]\n"
	"           [--console] [--no-xsave] [--boot auto|pvh|linux64] [--report]\n"
	"           [--root DIR --stream-fd N [--read-only] [--share-privileges]\n"
	"            [--volume HOSTDIR[:ro]]... [--file HOSTFILE[:ro]]... [--vsock-uds PATH]\n"
	"            [--wait-start --control-socket PATH] [--ready-fd N] [--net]\n"
	"            [--snapshot-save DIR | --restore DIR]]\n"
	"           [--seccomp kill|log]\n"
	"       mvm --check-snapshot DIR [--mem MiB] [--cpus N]\n"
	"       mvm --print-seccomp | --print-surface | --check-host | --version | --build-id |\n"
	"           --help\n"
	"Boots a Linux guest in a KVM microVM; with --root, runs the container the stream on\n"
	"fd N describes (proto/launch.h: mvrun writes it) from that rootfs in it. Exit status:\n"
	"the guest's (0 after a clean power-off), 64 bad argument, 69 host cannot run Linux\n"
	"guests, 70 internal error, 71 guest kernel panic, 72 triple fault, 73 KVM internal or\n"
	"emulation error. --snapshot-save stops the guest at mvinit's save point, before\n"
	"anything of the container enters it, saves it into DIR (new) and exits 0;\n"
	"--restore starts the guest from DIR instead of booting (a snapshot that cannot be\n"
	"read, or comes from another mvm build, gives one line and a cold boot).\n"
	"--check-snapshot says in one line why --restore DIR would boot cold (status 64),\n"
	"or nothing (0); --build-id prints the id a snapshot must carry.\n";

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

/* HOST[:ro|:rw] for --volume and --file, split in place. */
static int parse_share(const char *opt, char *v, struct mvm_share *m, struct err *err)
{
	char *colon = strrchr(v, ':');
	m->ro = false;
	if (colon) {
		if (strcmp(colon, ":ro") && strcmp(colon, ":rw"))
			return err_set(err, MVM_EXIT_BADARG, "--%s %s: expected HOST[:ro] (a host path "
				       "without ':')", opt, v);
		m->ro = colon[2] == 'o';
		*colon = 0;
		if (strchr(v, ':')) {
			*colon = ':';
			return err_set(err, MVM_EXIT_BADARG, "--%s %s: expected HOST[:ro] (a host path "
				       "without ':')", opt, v);
		}
	}
	if (!v[0])
		return err_set(err, MVM_EXIT_BADARG, "--%s: an empty host path", opt);
	m->host = v;
	return 0;
}

static int parse_volume(struct mvm_args *a, char *v, struct err *err)
{
	if (a->nvolumes == MVM_MAX_VOLUMES)
		return err_set(err, MVM_EXIT_BADARG, "--volume: at most %d", MVM_MAX_VOLUMES);
	if (parse_share("volume", v, &a->volumes[a->nvolumes], err) < 0)
		return -1;
	a->nvolumes++;
	return 0;
}

static int parse_file(struct mvm_args *a, char *v, struct err *err)
{
	if (a->nfiles == MVM_MAX_FILES)
		return err_set(err, MVM_EXIT_BADARG, "--file: at most %d", MVM_MAX_FILES);
	if (parse_share("file", v, &a->files[a->nfiles], err) < 0)
		return -1;
	if (!strrchr(v, '/') || !strrchr(v, '/')[1])
		return err_set(err, MVM_EXIT_BADARG, "--file %s: the host file must be a path with a "
			       "directory", v);
	a->nfiles++;
	return 0;
}

/* An inherited fd for --ready-fd and --stream-fd. */
static int parse_fd(const char *flag, const char *s, int *fd, struct err *err)
{
	uint64_t v;
	if (parse_u64(flag, s, &v, err) < 0)
		return -1;
	if (v < 3 || v > 65535 || fcntl((int)v, F_GETFD) < 0)
		return err_set(err, MVM_EXIT_BADARG, "%s %s: not an open fd above 2", flag, s);
	*fd = (int)v;
	return 0;
}

int args_parse(int argc, char **argv, struct mvm_args *a, struct err *err)
{
	enum { O_KERNEL = 256, O_INITRD, O_CMDLINE, O_MEM, O_CPUS, O_CONSOLE, O_NOXSAVE,
	       O_BOOT, O_REPORT, O_VERSION, O_ROOT, O_RO, O_VOLUME, O_UDS, O_WAIT, O_CTLSOCK,
	       O_READYFD, O_STREAMFD, O_FILE, O_NET, O_SECCOMP, O_PRINT_SEC, O_PRINT_SURF,
	       O_CHECK_HOST, O_SEC_TEST, O_SHAREPRIV, O_SNAP_SAVE, O_RESTORE, O_BUILD_ID, O_CHECK_SNAP };
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
		{ "stream-fd", required_argument, 0, O_STREAMFD },
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
		{ "snapshot-save", required_argument, 0, O_SNAP_SAVE },
		{ "restore", required_argument, 0, O_RESTORE },
		{ "build-id", no_argument, 0, O_BUILD_ID },
		{ "check-snapshot", required_argument, 0, O_CHECK_SNAP },
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
	a->stream_fd = -1;
	const char *nx = getenv("MVM_NO_XSAVE");
	a->no_xsave = nx && strcmp(nx, "1") == 0;
	a->cpus = 1;
	uint64_t v;
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	int c, li;
	while ((c = getopt_long(argc, argv, ":h", opts, &li)) != -1) {
		switch (c) {
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
		case O_UDS: a->vsock_uds = optarg; break;
		case O_WAIT: a->wait_start = true; break;
		case O_NET: a->net = true; break;
		case O_CTLSOCK: a->control_socket = optarg; break;
		case O_SNAP_SAVE: a->snapshot_save = optarg; break;
		case O_RESTORE: a->restore = optarg; break;
		case O_READYFD:
			if (parse_fd("--ready-fd", optarg, &a->ready_fd, err) < 0)
				return -1;
			break;
		case O_STREAMFD:
			if (parse_fd("--stream-fd", optarg, &a->stream_fd, err) < 0)
				return -1;
			break;
		case O_VOLUME:
			if (parse_volume(a, optarg, err) < 0)
				return -1;
			break;
		case O_FILE:
			if (parse_file(a, optarg, err) < 0)
				return -1;
			break;
		case O_VERSION: a->version = true; return 0;
		case O_BUILD_ID: a->build_id = true; return 0;
		case O_CHECK_SNAP: a->check_snapshot = optarg; break;
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
	if ((a->wait_start || a->ready_fd >= 0 || a->net || a->nvolumes || a->nfiles ||
	     a->read_only || a->share_privileges) && !a->root)
		return err_set(err, MVM_EXIT_BADARG, "--%s needs --root",
			       a->wait_start ? "wait-start" : a->ready_fd >= 0 ? "ready-fd" :
			       a->net ? "net" : a->nvolumes ? "volume" : a->nfiles ? "file" :
			       a->read_only ? "read-only" : "share-privileges");
	if ((a->snapshot_save || a->restore) && !a->root)
		return err_set(err, MVM_EXIT_BADARG, "--%s needs --root (the save point is container "
			       "mode's)", a->snapshot_save ? "snapshot-save" : "restore");
	if (a->snapshot_save && a->restore)
		return err_set(err, MVM_EXIT_BADARG, "--snapshot-save and --restore exclude each other");
	if (a->root && a->stream_fd < 0)
		return err_set(err, MVM_EXIT_BADARG, "--root needs --stream-fd (the container to run)");
	if (a->stream_fd >= 0 && !a->root)
		return err_set(err, MVM_EXIT_BADARG, "--stream-fd needs --root");
	if (a->stream_fd >= 0 && a->stream_fd == a->ready_fd)
		return err_set(err, MVM_EXIT_BADARG, "--stream-fd and --ready-fd are one fd");
	if (optind < argc)
		return err_set(err, MVM_EXIT_BADARG, "unexpected argument \"%s\" (see mvm --help)",
			       argv[optind]);
	if (!a->kernel && !a->check_snapshot)
		return err_set(err, MVM_EXIT_BADARG, "--kernel: required (see mvm --help)");
	if (a->mem_mib < MVM_MEM_MIN_MIB)
		return err_set(err, MVM_EXIT_BADARG, "--mem %llu: too small; at least %d MiB",
			       (unsigned long long)a->mem_mib, MVM_MEM_MIN_MIB);
	uint64_t host = hostmem_mib();
	if (a->mem_mib > host)
		return err_set(err, MVM_EXIT_BADARG, "--mem %llu: more than this host's %llu MiB of RAM",
			       (unsigned long long)a->mem_mib, (unsigned long long)host);
	return 0;
}
