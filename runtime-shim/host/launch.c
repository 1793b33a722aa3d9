/* create's work (engines.md, "The contract"): fork mvm as a child of the
 * caller, so it stays one after mvrun exits; hold it on a sync pipe until it
 * is in linux.cgroupsPath; exec mvm --wait-start; read mvm's ready fd until
 * the guest has set the container up; then the pid file, the state and the
 * createRuntime/prestart hooks. Any failure undoes everything. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "proto/launch.h"
#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/host/member.h"
#include "runtime-shim/host/mountpoint.h"
#include "runtime-shim/host/host.h"
#include "runtime-shim/host/launch_int.h"
#include "runtime-shim/host/template.h"
#include "runtime-shim/plan/spec2vm.h"

#define READY_FD LAUNCH_READY_FD    /* the ready pipe */
#define STREAM_FD LAUNCH_STREAM_FD  /* the container stream (a memfd) */
/* How long create waits for the guest to be ready: MVRUN_READY_TIMEOUT
 * seconds, else 120 (a nested, emulated test host boots in seconds, but
 * many at once there take minutes). */
#define READY_WAIT_S 120
#define READY_WAIT_MAX_S 86400

static int ready_wait_s(void)
{
	const char *v = getenv("MVRUN_READY_TIMEOUT");
	char *end;
	long s = v && *v ? strtol(v, &end, 10) : 0;
	if (!v || !*v || *end || s < 1 || s > READY_WAIT_MAX_S)
		return READY_WAIT_S;
	return (int)s;
}

struct launch {
	struct shim_ctx *g;
	const struct launch_opts *o;
	struct cfg cfg;
	char *cfg_text;
	struct s2v_plan plan;
	struct store_state st;
	struct cg_layout cgl;
	struct tpl tpl; /* the template this create restores or makes */
	char bundle[PATH_MAX], sock[PATH_MAX], dir[PATH_MAX], pty_name[64];
	char cgroup[PATH_MAX]; /* runc's default when the config names none */
	int lock, console, master, slave, ready_r, sync_w, netns;
	bool made_dir, in_cgroup;
	pid_t pid;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Leave nothing behind: no VM, no cgroup, no state. */
static void undo(struct launch *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (l->in_cgroup) {
		struct err e = { 0 };
		if (cg_remove(&l->cgl, l->plan.cgroups_path, &e) < 0)
			shim_warn(l->g, "create %s: %s", l->o->id, e.msg);
	}
	if (l->made_dir)
		store_remove(l->g->root, l->o->id, NULL);
}

static int console_connect(struct launch *l, struct err *err)
{
	l->console = shim_unix_connect(l->o->console_socket, "--console-socket", err);
	return l->console < 0 ? -1 : 0;
}

/* A pty pair; the window size from process.consoleSize when given. */
static int make_pty(struct launch *l, struct err *err)
{
	l->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (l->master < 0 || grantpt(l->master) < 0 || unlockpt(l->master) < 0 ||
	    ptsname_r(l->master, l->pty_name, sizeof(l->pty_name)) != 0)
		return err_sys(err, 1, errno, "create a pty");
	l->slave = open(l->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (l->slave < 0)
		return err_sys(err, 1, errno, "open %s", l->pty_name);
	const struct cfg_process *p = &l->cfg.process;
	if (p->console_height && p->console_width) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		ioctl(l->master, TIOCSWINSZ, &ws);
	}
	return 0;
}

/* In the child: a mount namespace of mvm's own, with each single file bound
 * onto its stage. The binds go when mvm does. */
static int bind_stages(const struct launch *l)
{
	if (!l->plan.nfiles)
		return 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		launch_send_error(READY_FD, 1, "a mount namespace for mvm: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < l->plan.nfiles; i++)
		if (mount(l->plan.files[i].src, l->plan.files[i].stage, NULL, MS_BIND, NULL) < 0) {
			launch_send_error(READY_FD, 1, "bind %s for the container: %s",
				l->plan.files[i].src, strerror(errno));
			return -1;
		}
	return 0;
}

/* In the child: the container stream in a memfd at STREAM_FD: the SPEC,
 * with the window size of the terminal mvm gets (fd 0 by now), CONFINE and
 * SETUP, and the HOOKS that run in the container, whose state names this
 * pid, mvm's. */
static int stream_fd(struct launch *l)
{
	struct proto_buf stream = { 0 };
	struct winsize ws = { 0 };
	if (l->plan.tty)
		ioctl(0, TIOCGWINSZ, &ws);
	int r = s2v_encode_stream(&l->plan, ws.ws_row, ws.ws_col, &stream);
	if (r == 0 && l->plan.guest_hooks) {
		l->st.pid = getpid();
		char *creating = store_oci_state(&l->st, STORE_CREATING, false);
		char *created = store_oci_state(&l->st, STORE_CREATED, false);
		r = creating && created ? s2v_encode_hooks(&l->cfg, creating, created, &stream) : -1;
		free(creating);
		free(created);
		if (r < 0) {
			launch_send_error(READY_FD, 1, "config.json: hooks: too large to pass to the guest");
			return -1;
		}
	}
	if (r < 0) {
		launch_send_error(READY_FD, 1, "config.json: the container does not fit in a control "
				  "message");
		return -1;
	}
	int fd = memfd_create("mvrun-stream", MFD_CLOEXEC);
	if (fd < 0 || s2v_write_stream(fd, &stream) < 0 || dup2(fd, STREAM_FD) < 0) {
		launch_send_error(READY_FD, 1, "pass the container to mvm: %s", strerror(errno));
		return -1;
	}
	if (fd != STREAM_FD)
		close(fd);
	return 0;
}

/* The child: becomes mvm once the parent says so. Reports its own failures
 * on the ready fd, as mvm would. */
static void __attribute__((noreturn)) child(struct launch *l, int ready_w, int sync_r)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way of the fd numbers about to be taken. */
	sync_r = fcntl(sync_r, F_DUPFD_CLOEXEC, 10);
	ready_w = fcntl(ready_w, F_DUPFD_CLOEXEC, 10);
	if (l->netns >= 0 && (l->netns = fcntl(l->netns, F_DUPFD_CLOEXEC, 10)) < 0)
		_exit(1);
	if (l->slave >= 0) {
		/* The pty's session leader, so mvm gets SIGWINCH when the engine
		 * resizes the master, and forwards the new size. */
		if (setsid() < 0 || ioctl(l->slave, TIOCSCTTY, 0) < 0 || dup2(l->slave, 0) < 0 ||
		    dup2(l->slave, 1) < 0 || dup2(l->slave, 2) < 0)
			_exit(1);
	}
	if (sync_r < 0 || ready_w < 0 || dup2(ready_w, READY_FD) < 0)
		_exit(1);
	char go;
	if (read(sync_r, &go, 1) != 1)
		_exit(1); /* the parent gave up */
	if (l->plan.new_netns && unshare(CLONE_NEWNET) < 0) {
		launch_send_error(READY_FD, 1, "create a network namespace: %s", strerror(errno));
		_exit(1);
	}
	if (l->netns >= 0 && setns(l->netns, CLONE_NEWNET) < 0) {
		launch_send_error(READY_FD, 1, "join the network namespace %s: %s", l->plan.netns_path,
			strerror(errno));
		_exit(1);
	}
	if (bind_stages(l) < 0 || stream_fd(l) < 0)
		_exit(1);
	close_range(STREAM_FD + 1, ~0u, 0);
	execv(l->plan.argv[0], l->plan.argv);
	launch_send_error(READY_FD, 1, "exec %s: %s", l->plan.argv[0], strerror(errno));
	_exit(1);
}

/* mvm's one answer: READY, or ERROR{status, message}; EOF if it died first. */
static int await_ready(struct launch *l, struct err *err)
{
	char msg[768];
	uint32_t st = 0;
	int wait_s = ready_wait_s();
	switch (launch_read_answer(l->ready_r, PROTO_READY, wait_s * 1000, &st, msg, sizeof(msg))) {
	case LAUNCH_GOT: return 0;
	case LAUNCH_GOT_ERROR: return err_set(err, st > 0 && st < 256 ? (int)st : 1, "%s", msg);
	case LAUNCH_TIMEOUT:
		return err_set(err, 1, "the container was not ready within %d s "
			       "(MVRUN_READY_TIMEOUT sets it)", wait_s);
	case LAUNCH_BAD: return err_set(err, 1, "mvm said %s instead of ready", msg);
	case LAUNCH_EOF: break;
	}
	int ws;
	while (waitpid(l->pid, &ws, 0) < 0 && errno == EINTR)
		;
	l->pid = 0;
	if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS)
		return err_set(err, 1, "mvm was killed by seccomp (SIGSYS) before the container was "
			       "ready: it made a system call outside its allowlist, named on the "
			       "container's stderr (\"mvm: killed by seccomp: syscall ...\")");
	if (WIFSIGNALED(ws))
		return err_set(err, 1, "mvm was killed by signal %d before the container was ready",
			       WTERMSIG(ws));
	return err_set(err, 1, "mvm exited with status %d before the container was ready",
		       WEXITSTATUS(ws));
}

/* The engine's network namespace (podman's netavark, a CNI plugin): mvm
 * starts inside it and makes its tap there. Checked here, so a bad path
 * fails create with a clear message before any VM starts. */
static int open_netns(struct launch *l, struct err *err)
{
	const char *path = l->plan.netns_path;
	struct stat st, host;
	l->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (l->netns < 0)
		return err_sys(err, 1, errno, "config.json: linux.namespaces: network namespace %s", path);
	if (ioctl(l->netns, NS_GET_NSTYPE) != CLONE_NEWNET)
		return err_set(err, 1, "config.json: linux.namespaces: %s is not a network namespace",
			       path);
	if (fstat(l->netns, &st) == 0 && stat("/proc/1/ns/net", &host) == 0 &&
	    st.st_dev == host.st_dev && st.st_ino == host.st_ino)
		return err_set(err, 1, "config.json: linux.namespaces: %s is the host's network "
			       "namespace, which a VM cannot share", path);
	return 0;
}

static int prepare(struct launch *l, struct err *err)
{
	const struct launch_opts *o = l->o;
	char mvm[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];
	if (l->g->systemd_cgroup)
		return err_set(err, 1, access("/run/systemd/system", F_OK) == 0 ?
					 "--systemd-cgroup: the systemd cgroup driver is not supported yet" :
					 "--systemd-cgroup: systemd is not running on this host (no "
					 "/run/systemd/system); use the cgroupfs driver");
	if (o->preserve_fds > 0)
		return err_set(err, 1, "--preserve-fds %d: host fds cannot be passed into the VM",
			       o->preserve_fds);
	if (store_check_id(o->id, err) < 0)
		return -1;
	if (!realpath(o->bundle ? o->bundle : ".", l->bundle))
		return err_sys(err, 1, errno, "--bundle %s", o->bundle ? o->bundle : ".");
	if (cfg_load(l->bundle, &l->cfg, &l->cfg_text, err) < 0 ||
	    shim_vm_files(mvm, kernel, initrd, err) < 0 ||
	    store_path(l->g->root, o->id, "ctl.sock", l->sock, sizeof(l->sock), err) < 0 ||
	    store_path(l->g->root, o->id, NULL, l->dir, sizeof(l->dir), err) < 0)
		return -1;
	struct s2v_inputs in = { .bundle = l->bundle, .mvm = mvm, .kernel = kernel,
				 .initrd = initrd, .control_socket = l->sock, .ready_fd = READY_FD,
				 .stream_fd = STREAM_FD,
				 .state_dir = l->dir,
				 .own_terminal = o->foreground && !o->console_socket };
	if (s2v_build(&l->cfg, &in, &l->plan, err) < 0)
		return -1;
	tpl_prepare(&l->tpl, l->g, &l->plan);
	for (int i = 0; i < l->plan.nnotes; i++)
		shim_warn(l->g, "create %s: %s", o->id, l->plan.notes[i]);
	/* As runc: without linux.cgroupsPath the container still gets a cgroup
	 * (the caller's own cgroup/ID), so pause, ps and update work on it. */
	if (!l->plan.cgroups_path) {
		if (cg_default_path(o->id, l->cgroup, sizeof(l->cgroup), err) < 0)
			return -1;
		l->plan.cgroups_path = l->cgroup;
	}
	if (l->plan.netns_path && open_netns(l, err) < 0)
		return -1;
	/* The mount points go in first, made here whatever the root's mode, as
	 * runc makes them before it mounts (and before a read-only root is
	 * remounted): with a read-only root the guest could not, with a user
	 * namespace mvm refuses the guest's creations as an unmapped owner (the
	 * share policy), and one walk gives runc's resolution every time. */
	for (int i = 0; i < l->plan.nmps; i++)
		if (mp_create(l->plan.rootfs, l->plan.mps[i].path,
			      l->plan.mps[i].file ? MP_FILE : l->plan.mps[i].kernfs ? MP_KERNFS : MP_DIR,
			      err) < 0)
			return -1;
	if (l->plan.tty && !o->console_socket && !o->foreground)
		return err_set(err, 1, "process.terminal is true: a detached container needs "
					 "--console-socket");
	if (!l->plan.tty && o->console_socket)
		shim_debug(l->g, "create %s: --console-socket ignored: process.terminal is false",
			   o->id);
	return 0;
}

/* The state create records first, with the VM's size. */
static int fill_state(struct launch *l, struct err *err)
{
	if (launch_fill_state(&l->st, l->o->id, l->bundle, &l->plan, &l->cfg, err) < 0)
		return -1;
	l->st.mem_mib = l->plan.mem_mib;
	l->st.cpus = l->plan.cpus;
	return 0;
}

static int hooks_before_start(struct launch *l, struct err *err)
{
	if (hooks_run_kind(&l->cfg, CFG_HOOK_PRESTART, &l->st, STORE_CREATING, err) < 0 ||
	    hooks_run_kind(&l->cfg, CFG_HOOK_CREATE_RUNTIME, &l->st, STORE_CREATING, err) < 0)
		return -1;
	return 0;
}

static int launch(struct launch *l, struct err *err)
{
	int ready[2] = { -1, -1 }, sync[2] = { -1, -1 };
	if (prepare(l, err) < 0)
		return -1;
	if (l->o->console_socket && l->plan.tty && console_connect(l, err) < 0)
		return -1;
	if (store_create(l->g->root, l->o->id, err) < 0)
		return -1;
	l->made_dir = true;
	if ((l->lock = store_lock(l->g->root, l->o->id, err)) < 0 ||
	    store_save_config(l->g->root, l->o->id, l->cfg_text, err) < 0 || fill_state(l, err) < 0 ||
	    launch_make_stages(&l->plan, err) < 0)
		return -1;
	/* A console socket gets the pty's master, as runc's run and create
	 * send it; a foreground run without one uses the caller's terminal. */
	if (l->plan.tty && l->o->console_socket && make_pty(l, err) < 0)
		return -1;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0) {
		close_fd(&ready[0]);
		close_fd(&ready[1]);
		return err_sys(err, 1, errno, "pipe");
	}
	l->ready_r = ready[0];
	l->sync_w = sync[1];
	fflush(NULL);
	l->pid = fork();
	if (l->pid == 0)
		child(l, ready[1], sync[0]);
	close(ready[1]);
	close(sync[0]);
	close_fd(&l->slave);
	if (l->pid < 0) {
		l->pid = 0;
		return err_sys(err, 1, errno, "fork");
	}
	l->st.pid = l->pid;
	if (store_proc_stat(l->pid, &l->st.start_time, NULL) < 0 || store_write(l->g->root, &l->st, err) < 0)
		return err->status ? -1 : err_set(err, 1, "mvm (pid %d) vanished", (int)l->pid);
	if (l->plan.cgroups_path) {
		if (cg_detect(&l->cgl, "/sys/fs/cgroup", err) < 0)
			return -1;
		/* runc 1.1 warns when the container's cgroup already holds
		 * processes (1.2 refuses); they would share its limits. */
		pid_t busy[64];
		struct err quiet = { 0 };
		int n = cg_pids(&l->cgl, l->plan.cgroups_path, busy, 64, &quiet);
		if (n > 0)
			shim_warn(l->g, "create %s: the container's cgroup %s is not empty: %d process(es) found",
				  l->o->id, l->plan.cgroups_path, n);
		if (cg_enter(&l->cgl, l->plan.cgroups_path, l->pid, &l->plan.res, err) < 0)
			return -1;
		l->in_cgroup = true;
	}
	if (write(l->sync_w, "g", 1) != 1)
		return err_sys(err, 1, errno, "release mvm");
	close_fd(&l->sync_w);
	if (l->master >= 0) {
		if (shim_send_pty(l->console, l->pty_name, l->master, l->o->console_socket, err) < 0)
			return -1;
		close_fd(&l->master);
		close_fd(&l->console);
	}
	if (await_ready(l, err) < 0 || hooks_before_start(l, err) < 0)
		return -1;
	l->st.status = STORE_CREATED;
	if (store_write(l->g->root, &l->st, err) < 0 ||
	    (l->o->pid_file && shim_write_pidfile(l->o->pid_file, l->pid, err) < 0))
		return -1;
	return 0;
}

int shim_launch(struct shim_ctx *g, const struct launch_opts *o, pid_t *pid, struct err *err)
{
	/* A pod member (member.h) runs in its sandbox's VM. */
	char bundle[PATH_MAX];
	struct cfg c = { 0 };
	struct member_ref ref;
	if (realpath(o->bundle ? o->bundle : ".", bundle) && cfg_load(bundle, &c, NULL, NULL) == 0) {
		int m = member_find(g->root, &c, &ref, err);
		cfg_free(&c);
		if (m < 0)
			return -1;
		if (m > 0)
			return member_launch(g, o, &ref, pid, err);
	}
	struct launch l = { .g = g, .o = o, .lock = -1, .console = -1, .master = -1, .slave = -1,
			    .ready_r = -1, .sync_w = -1, .netns = -1 };
	int r = launch(&l, err);
	tpl_finish(&l.tpl, g, &l.plan, r, err);
	if (r < 0)
		undo(&l);
	else
		*pid = l.pid;
	close_fd(&l.lock);
	close_fd(&l.console);
	close_fd(&l.master);
	close_fd(&l.slave);
	close_fd(&l.ready_r);
	close_fd(&l.sync_w);
	close_fd(&l.netns);
	store_free(&l.st);
	s2v_free(&l.plan);
	cfg_free(&l.cfg);
	free(l.cfg_text);
	return r;
}
