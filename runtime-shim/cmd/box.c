/* mvrun box: run CMD from a host directory used as the root filesystem, in
 * its own microVM, with no bundle. Checks what it can on the host so bad
 * input gets one clear line, then runs mvm in container mode (exec'd, so
 * signals and the exit status are mvm's, which are the process's) with the
 * container stream (proto/launch.h) in a memfd. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/launch.h"
#include "proto/proto.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/cmd/cmd.h"
#include "runtime-shim/plan/spec2vm.h"

#define BOX_MAX_ARGS 4096
#define BOX_DEFAULT_MEM "256"
#define BOX_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* mvrun's own failures, as `docker run` numbers them. */
#define BOX_EXIT_ERROR 125
#define BOX_EXIT_NOEXEC 126
#define BOX_EXIT_NOTFOUND 127
#define BOX_EXIT_TIMEOUT 124

static const char box_usage[] =
	"usage: mvrun box [--mem MiB] [--cpus N] [-v HOSTDIR:GUESTDIR[:ro]]... [-e K=V]...\n"
	"                 [-w DIR] [-u UID[:GID]] [-t] [--read-only] [--hostname NAME]\n"
	"                 [--timeout SEC] [--net none|nat] ROOTFS -- CMD [ARG...]\n"
	"Runs CMD from the host directory ROOTFS in its own KVM microVM. The exit status\n"
	"is CMD's (128+N if killed by signal N); 125 means mvrun itself failed, 126 CMD\n"
	"cannot be executed, 127 CMD was not found, 124 --timeout expired.\n"
	"--net none (the default): only lo. --net nat: eth0 with outbound access through\n"
	"user-mode NAT (slirp4netns: 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3).\n";

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mvrun: box: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Resolve `path` inside the rootfs as the guest will (symlinks stay inside).
 * Returns 0 with *st filled, or -errno. */
static int stat_in_root(int rootfd, const char *path, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	int r = fstat(fd, st) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Check CMD as the guest will run it: found through PATH unless it has a
 * slash, a regular file with an execute bit. Returns 0 or a box exit status
 * after printing why. */
static int check_cmd(const char *rootfs, const char *cmd, const char *path)
{
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail(BOX_EXIT_ERROR, "rootfs %s: %s", rootfs, strerror(errno));
	struct stat st;
	int r = -ENOENT;
	char full[PATH_MAX];
	if (strchr(cmd, '/')) {
		r = stat_in_root(rootfd, cmd, &st);
	} else {
		const char *p = path;
		while (r != 0 && *p) {
			size_t n = strcspn(p, ":");
			if (n && snprintf(full, sizeof(full), "%.*s/%s", (int)n, p, cmd) <
					 (int)sizeof(full)) {
				r = stat_in_root(rootfd, full, &st);
				if (r == 0 && !S_ISREG(st.st_mode))
					r = -ENOENT;
			}
			p += n + (p[n] == ':');
		}
	}
	close(rootfd);
	if (r == -ENOENT || r == -ENOTDIR)
		return fail(BOX_EXIT_NOTFOUND, "%s: %s in rootfs %s", cmd,
			    strchr(cmd, '/') ? "no such file" : "executable file not found in $PATH",
			    rootfs);
	if (r < 0)
		return fail(BOX_EXIT_NOEXEC, "%s: %s", cmd, strerror(-r));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return fail(BOX_EXIT_NOEXEC, "%s: permission denied (not an executable file)", cmd);
	return 0;
}

static int check_volume(const char *spec)
{
	char host[PATH_MAX];
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host))
		return fail(BOX_EXIT_ERROR, "-v %s: expected HOSTDIR:GUESTDIR[:ro]", spec);
	memcpy(host, spec, colon - spec);
	host[colon - spec] = 0;
	const char *guest = colon + 1, *opt = strchr(guest, ':');
	if (guest[0] != '/')
		return fail(BOX_EXIT_ERROR, "-v %s: the container path must be absolute", spec);
	if (opt && strcmp(opt + 1, "ro") && strcmp(opt + 1, "rw"))
		return fail(BOX_EXIT_ERROR, "-v %s: option \"%s\" is not ro or rw", spec, opt + 1);
	struct stat st;
	if (stat(host, &st) < 0)
		return fail(BOX_EXIT_ERROR, "-v %s: %s: %s", spec, host, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(BOX_EXIT_ERROR, "-v %s: %s is not a directory (only directories can be shared)",
			    spec, host);
	return 0;
}

/* -u UID[:GID] as numbers (GID 0 without one, as docker -u UID). */
static int parse_user(const char *v, struct cfg_process *p)
{
	char *end;
	errno = 0;
	unsigned long u = strtoul(v, &end, 10), g = 0;
	if (v[0] < '0' || v[0] > '9' || errno || u > UINT32_MAX - 1)
		goto bad;
	if (*end == ':') {
		if (end[1] < '0' || end[1] > '9')
			goto bad;
		g = strtoul(end + 1, &end, 10);
		if (errno || g > UINT32_MAX - 1)
			goto bad;
	}
	if (*end)
		goto bad;
	p->uid = (uint32_t)u;
	p->gid = (uint32_t)g;
	return 0;
bad:
	return fail(BOX_EXIT_ERROR, "-u %s: expected UID[:GID] as numbers", v);
}

/* The plan's container stream, with the terminal's size, into fd (a memfd
 * mvm inherits). Returns 0, or a box exit status after saying why. */
static int write_stream(int fd, const struct s2v_plan *plan)
{
	struct proto_buf b = { 0 };
	struct winsize ws = { 0 };
	if (plan->tty)
		ioctl(0, TIOCGWINSZ, &ws);
	if (s2v_encode_stream(plan, ws.ws_row, ws.ws_col, &b) < 0) {
		proto_buf_free(&b);
		return fail(BOX_EXIT_ERROR, "the command and environment do not fit in a control "
			    "message");
	}
	bool ok = s2v_write_stream(fd, &b) == 0;
	int e = errno;
	proto_buf_free(&b);
	return ok ? 0 : fail(BOX_EXIT_ERROR, "pass the container to mvm: %s", strerror(e));
}

/* Run mvm as a child, forwarding signals, and kill it after `timeout` s. */
static int run_with_timeout(char **argv, unsigned timeout)
{
	sigset_t set;
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid < 0)
		return fail(BOX_EXIT_ERROR, "fork: %s", strerror(errno));
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		execv(argv[0], argv);
		_exit(fail(BOX_EXIT_ERROR, "%s: %s", argv[0], strerror(errno)));
	}
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	for (;;) {
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000L;
			left.tv_sec--;
		}
		int st;
		if (left.tv_sec < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return fail(BOX_EXIT_TIMEOUT, "timed out after %u s; the VM was killed", timeout);
		}
		int sig = sigtimedwait(&set, NULL, &left);
		if (sig == SIGCHLD || sig < 0) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		kill(pid, sig); /* mvm forwards it into the guest */
	}
}

/* -v HOSTDIR:GUESTDIR[:ro|:rw] (checked) as the config's bind mount. */
static int bind_mount(const char *v, struct cfg_mount *m)
{
	static const char *const ro[] = { "rbind", "ro" }, *const rw[] = { "rbind", "rw" };
	const char *colon = strchr(v, ':'), *guest = colon + 1, *opt = strchr(guest, ':');
	m->type = "bind";
	m->source = strndup(v, (size_t)(colon - v));
	m->destination = opt ? strndup(guest, (size_t)(opt - guest)) : guest;
	m->options = (const char **)(opt && !strcmp(opt, ":ro") ? ro : rw);
	m->noptions = 2;
	return m->source && m->destination ? 0 : fail(BOX_EXIT_ERROR, "out of memory");
}

/* The box as the plan sees an OCI container (spec2vm.h, in->sandbox): one
 * validator, one writer of mvm's command line and the stream. Returns 0
 * with plan (the stream written in its memfd), or a box exit status after
 * saying why. */
static int plan_box(const struct cfg *c, const char *mem, const char *cpus, struct s2v_plan *plan)
{
	static char mvm[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], bundle[PATH_MAX];
	struct err e = { 0 };
	if (shim_vm_files(mvm, kernel, initrd, &e) < 0)
		return fail(BOX_EXIT_ERROR, "%s", e.msg);
	if (!getcwd(bundle, sizeof(bundle)))
		return fail(BOX_EXIT_ERROR, "the current directory: %s", strerror(errno));
	int sfd = memfd_create("mvrun-stream", 0); /* inherited by mvm */
	if (sfd < 0)
		return fail(BOX_EXIT_ERROR, "pass the container to mvm: %s", strerror(errno));
	unsigned long n = strtoul(cpus, NULL, 10);
	struct s2v_inputs in = { .bundle = bundle, .mvm = mvm, .kernel = kernel, .initrd = initrd,
				 .ready_fd = -1, .stream_fd = sfd, .sandbox = true,
				 .mem_mib = strtoull(mem, NULL, 10),
				 .cpus = n > INT_MAX ? INT_MAX : (int)n };
	if (s2v_build(c, &in, plan, &e) < 0)
		return fail(BOX_EXIT_ERROR, "%s", e.msg);
	return write_stream(sfd, plan);
}

int shim_box(int argc, char **argv)
{
	enum { O_MEM = 256, O_CPUS, O_RO, O_TIMEOUT, O_HOSTNAME, O_NET };
	static const struct option opts[] = {
		{ "mem", required_argument, 0, O_MEM },
		{ "cpus", required_argument, 0, O_CPUS },
		{ "volume", required_argument, 0, 'v' },
		{ "env", required_argument, 0, 'e' },
		{ "workdir", required_argument, 0, 'w' },
		{ "user", required_argument, 0, 'u' },
		{ "tty", no_argument, 0, 't' },
		{ "read-only", no_argument, 0, O_RO },
		{ "timeout", required_argument, 0, O_TIMEOUT },
		{ "hostname", required_argument, 0, O_HOSTNAME },
		{ "net", required_argument, 0, O_NET },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static struct s2v_plan plan; /* large, and main's for mvm's argv */
	static struct cfg cfg;       /* the box's config, in memory */
	static struct cfg_mount mounts[MVM_MAX_VOLUMES];
	static const char *env[MVM_MAX_ENV + 4];
	struct cfg_process *proc = &cfg.process;
	const char *mem = BOX_DEFAULT_MEM, *cpus = "1", *path = BOX_DEFAULT_PATH;
	bool has_home = false, has_term = false, nat = false;
	unsigned timeout = 0;
	cfg.oci_version = "1.0.2";
	cfg.hostname = "mvrun";
	cfg.has_process = true;
	cfg.mounts = mounts;
	proc->cwd = "/";
	proc->env = env;
	cfg.lx.resources = (struct cg_resources){ .memory_limit = -1, .memory_swap = -1,
						  .cpu_quota = -1, .pids_limit = -1 };
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:v:e:w:u:th", opts, NULL)) != -1) {
		switch (c) {
		case O_MEM:
			if (!is_uint(optarg) || strtoul(optarg, NULL, 10) < 16)
				return fail(BOX_EXIT_ERROR, "--mem %s: must be a number of MiB, at least 16",
					    optarg);
			mem = optarg;
			break;
		case O_CPUS:
			if (!is_uint(optarg) || strtoul(optarg, NULL, 10) < 1)
				return fail(BOX_EXIT_ERROR, "--cpus %s: must be a positive number", optarg);
			cpus = optarg;
			break;
		case 'v':
			if (check_volume(optarg))
				return BOX_EXIT_ERROR;
			if (cfg.nmounts == MVM_MAX_VOLUMES)
				return fail(BOX_EXIT_ERROR, "-v %s: at most %d volumes", optarg,
					    MVM_MAX_VOLUMES);
			if (bind_mount(optarg, &mounts[cfg.nmounts++]))
				return BOX_EXIT_ERROR;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return fail(BOX_EXIT_ERROR, "-e %s: expected NAME=VALUE", optarg);
			if (proc->nenv == MVM_MAX_ENV)
				return fail(BOX_EXIT_ERROR, "-e %s: at most %d variables", optarg,
					    MVM_MAX_ENV);
			if (!strncmp(optarg, "PATH=", 5))
				path = optarg + 5;
			has_home |= !strncmp(optarg, "HOME=", 5);
			has_term |= !strncmp(optarg, "TERM=", 5);
			env[proc->nenv++] = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return fail(BOX_EXIT_ERROR, "-w %s: must be an absolute path", optarg);
			proc->cwd = optarg;
			break;
		case 'u':
			if (parse_user(optarg, proc))
				return BOX_EXIT_ERROR;
			break;
		case 't': proc->terminal = true; break;
		case O_RO: cfg.root_readonly = true; break;
		case O_HOSTNAME: cfg.hostname = optarg; break;
		case O_TIMEOUT:
			if (!is_uint(optarg) || !(timeout = (unsigned)strtoul(optarg, NULL, 10)))
				return fail(BOX_EXIT_ERROR, "--timeout %s: must be a positive number of seconds",
					    optarg);
			break;
		case O_NET:
			if (strcmp(optarg, "none") && strcmp(optarg, "nat"))
				return fail(BOX_EXIT_ERROR, "--net %s: must be none or nat", optarg);
			nat = !strcmp(optarg, "nat");
			break;
		case 'h': fputs(box_usage, stdout); return 0;
		case ':': return fail(BOX_EXIT_ERROR, "%s: needs a value", argv[optind - 1]);
		default: return fail(BOX_EXIT_ERROR, "unknown option %s\n%s", argv[optind - 1], box_usage);
		}
	}
	if (optind >= argc)
		return fail(BOX_EXIT_ERROR, "no ROOTFS given\n%s", box_usage);
	const char *rootfs = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return fail(BOX_EXIT_ERROR, "no command given after the rootfs\n%s", box_usage);
	struct stat st;
	if (stat(rootfs, &st) < 0)
		return fail(BOX_EXIT_ERROR, "rootfs %s: %s", rootfs, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(BOX_EXIT_ERROR, "rootfs %s: not a directory", rootfs);
	int r = check_cmd(rootfs, argv[optind], path);
	if (r)
		return r;

	/* What a container gets by default, as under docker run. */
	static char pathenv[PATH_MAX + 8], termenv[128];
	if (!strcmp(path, BOX_DEFAULT_PATH)) {
		snprintf(pathenv, sizeof(pathenv), "PATH=%s", BOX_DEFAULT_PATH);
		env[proc->nenv++] = pathenv;
	}
	if (!has_home)
		env[proc->nenv++] = "HOME=/root";
	if (proc->terminal && !has_term) {
		snprintf(termenv, sizeof(termenv), "TERM=%s", getenv("TERM") ? getenv("TERM") : "xterm");
		env[proc->nenv++] = termenv;
	}
	if (argc - optind > BOX_MAX_ARGS)
		return fail(BOX_EXIT_ERROR, "too many arguments");
	proc->args = (const char **)argv + optind;
	proc->nargs = argc - optind;
	cfg.root_path = rootfs;
	static struct cfg_namespace netns = { .type = "network" };
	if (nat) {
		char why[256];
		if (box_net_nat(why, sizeof(why)) < 0)
			return fail(BOX_EXIT_ERROR, "%s", why);
		/* A network namespace of its own: mvm gets --net, and joins tap0. */
		cfg.lx.namespaces = &netns;
		cfg.lx.nnamespaces = 1;
	}
	if ((r = plan_box(&cfg, mem, cpus, &plan)))
		return r;
	char **mv = plan.argv;
	if (timeout)
		return run_with_timeout(mv, timeout);
	execv(mv[0], mv);
	return fail(BOX_EXIT_ERROR, "%s: %s", mv[0], strerror(errno));
}
