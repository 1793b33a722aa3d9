/* mvinit: PID 1 of the mvrun guest. Two modes, chosen by the kernel command
 * line: plain (boot, report, power off: the boot tests) and, with
 * mvinit.control=1 (mvm adds it to run a container), the container init.
 * The modules are listed in mvinit.h.
 *
 * What mvm and the boot tests may rely on, in both modes:
 *  - fds 0/1/2 are the console; proc, sysfs and devtmpfs are mounted on
 *    /proc, /sys and /dev.
 *  - MVM_MARK_INIT is written to MVM_PORT_MARK before anything else that
 *    takes time (proto/mvm_port.h), so the VMM timestamps PID 1's start;
 *    container mode then marks SPEC, READY, START and EXITED there.
 *  - It ends by powering off: sync, the exit status to MVM_PORT_SHUTDOWN,
 *    and a reset (reboot=k makes it an i8042 reset, which mvm turns into
 *    its exit).
 *  - A failing step prints one "mvinit: <what>: <reason>" line on the
 *    console.
 *  - Params are read from /proc/cmdline: the kernel keeps any param with a
 *    dot for modules and never passes it to init (init/main.c,
 *    unknown_bootoption).
 *
 * Plain mode:
 *  - Exactly one line goes to stdout:
 *      mvinit: Linux <release> (<machine>) up: <n> vCPU(s), <m> MiB RAM, \
 *      init reached <ms> ms after mvm start
 *    with "boot timer not available" in place of the time when the port
 *    reads 0 or all-ones (no mvm port: QEMU's unassigned ports float high).
 *    A failing step is skipped; nothing short of a missing console stops it.
 *  - Test hooks:
 *      mvinit.exit=N    report status N (0..255) instead of 0;
 *      mvinit.panic=1   exit(1) after the line, so the kernel panics
 *                       ("Attempted to kill init!") and mvm reports a crash.
 *
 * Container mode (proto/proto.h has the conversation):
 *  0. the save point (fresh.c): mvm --snapshot-save saves the guest here; a
 *     restored one (and a cold one alike) reseeds its RNG and sets its
 *     clock from mvm's fresh record before anything else;
 *  1. connect to the host (CID 2) on PROTO_PORT_CONTROL, send HELLO, read
 *     SPEC;
 *     then CONFINE and SETUP if the SPEC's flags announce them;
 *  2. with SETUP's PROTO_SETUP_PIDNS, clone the container's init into a
 *     PID namespace of its own (pidns.c; it makes the mounts below, and
 *     becomes the process at START);
 *     set up the container from the spec (rootfs/rootfs.c): sysctls and domain
 *     name, virtio-fs root, system mounts, the spec's shares, devices,
 *     read-only and masked paths (confine.c), switch root, hostname, lo up;
 *     with id maps, the container's user namespace (userns.c);
 *     chdir to the cwd and resolve argv[0] in the spec's PATH (proc.c);
 *  3. open the process's stdio (proc.c, relay.c): the STDIN/STDOUT/STDERR
 *     streams, each relayed through a pipe (so /dev/stdout can be
 *     reopened, as under runc), or with PROTO_SPEC_TTY a pty whose master
 *     is relayed to the TTY stream;
 *  4. send READY, wait for START (RESIZE applied, SIGNAL queued), fork and
 *     exec the process with the spec's rlimits, groups, gid, uid, umask,
 *     cwd and env, and CONFINE's capabilities, no_new_privs and seccomp;
 *  5. as PID 1 reap every child, forward SIGNAL with kill() (from outside
 *     the container's PID namespace, if it has one), apply RESIZE;
 *     start each EXEC (exec.c: its own stdio streams, EXEC_STARTED or
 *     EXEC_ERROR, EXEC_EXIT when it ends; EXEC_SIGNAL, EXEC_RESIZE);
 *     when the process exits, drain its output, send EXIT (exit code, or
 *     128+signal) and power off with that status (execs die with the VM).
 *  createContainer hooks run in the container before READY, startContainer
 *  hooks at START before the process (hooks.c).
 *  Any failure in 1-4 sends ERROR instead, also after START when execve
 *  or a step before it fails in the child, and powers off with its status:
 *    1    setup (mount, vsock stream, pty, cwd, setuid, malformed SPEC...)
 *    126  argv[0] found but not executable (`exec "/etc": permission denied`)
 *    127  argv[0] not found (`exec "foo": executable file not found in $PATH`)
 *    255  a startContainer hook failed (runc's init exits 255)
 *  If the control stream breaks (the host is gone, or sends a bad header
 *  after SPEC), every process is killed and the status is 137.
 *  After EXIT or ERROR mvinit closes the control stream and waits (at most
 *  CTL_LINGER_S seconds) for the host's RST, so that the message is not lost
 *  in the reset (ctl_finish).
 *  Tested end to end by guest-init/tests/qemu-container.py (QEMU microvm,
 *  vhost-vsock, virtiofsd); the pure parts by tests/unit/guest-init/test_mvinit.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest-init/mvi.h"
#include "guest-init/rootfs/rootfs.h"
#include "proto/mvm_port.h"

#define CTL_LINGER_S 1

static void warn_errno(const char *what)
{
	fprintf(stderr, "mvinit: %s: %s\n", what, strerror(errno));
}

/* The kernel gives init the console as fds 0/1/2 only if it could open
 * /dev/console; fill in whichever are missing. Returns 0 or -1 (errno). */
static int console_fds(void)
{
	int fd = -1;

	for (int i = 0; i <= 2; i++) {
		if (fcntl(i, F_GETFD) >= 0)
			continue;
		/* The lowest free fd is i, so this usually lands in place. */
		if (fd < 0 &&
		    (fd = open("/dev/console", O_RDWR | O_NOCTTY)) < 0)
			return -1;
		if (fd != i && dup2(fd, i) < 0)
			return -1;
	}
	if (fd > 2)
		close(fd);
	return 0;
}

static void mount_one(const char *src, const char *dir, const char *type,
		      unsigned long flags, const char *data)
{
	char what[64];

	if (mount(src, dir, type, flags, data) == 0)
		return;
	/* CONFIG_DEVTMPFS_MOUNT may have mounted /dev already. */
	if (errno == EBUSY && strcmp(type, "devtmpfs") == 0)
		return;
	snprintf(what, sizeof(what), "mount %s", dir);
	warn_errno(what);
}

/* Reads a small file whole into buf as a string. Returns its length, or -1
 * after printing why. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	char what[64];
	size_t got = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		/* proc and sysfs may hand the file out in several reads. */
		while (got < size - 1 &&
		       ((n = read(fd, buf + got, size - 1 - got)) > 0 ||
			(n < 0 && errno == EINTR)))
			got += n > 0 ? (size_t)n : 0;
		close(fd);
	}
	if (fd < 0 || n < 0) {
		snprintf(what, sizeof(what), "read %s", path);
		warn_errno(what);
		return -1;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

static void read_cmdline(struct mvi_boot *b)
{
	char line[4096]; /* x86 COMMAND_LINE_SIZE is 2048 */

	if (read_small("/proc/cmdline", line, sizeof(line)) >= 0)
		mvi_parse_cmdline(line, b);
}

/* Marks PID 1's start with mvm and returns the microseconds mvm reports
 * for it, or 0 if there is no boot timer. *have_port says whether the port
 * window may be used at all (ioperm needs CONFIG_X86_IOPL_IOPERM). */
static uint32_t mark_init(bool *have_port)
{
	uint32_t us;

	*have_port = ioperm(MVM_PORT_BASE, MVM_PORT_LEN, 1) == 0;
	if (!*have_port) {
		warn_errno("ioperm");
		return 0;
	}
	outb(MVM_MARK_INIT, MVM_PORT_MARK);
	us = inl(MVM_PORT_MARK);
	return us == UINT32_MAX ? 0 : us;
}

/* A container-mode milestone for mvm's report (bench/startup's breakdown). */
static void mark(bool have_port, uint8_t id)
{
	if (have_port)
		outb(id, MVM_PORT_MARK);
}

static void report(uint32_t boot_us)
{
	struct utsname u;
	char buf[4096], cpus[16] = "?", mem[24] = "?", when[64];
	const char *p, *plural = "s";

	if (uname(&u) < 0) {
		warn_errno("uname");
		strcpy(u.sysname, "?");
		strcpy(u.release, "?");
		strcpy(u.machine, "?");
	}
	if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) >= 0) {
		int n = mvi_count_cpus(buf);

		if (n > 0) {
			snprintf(cpus, sizeof(cpus), "%d", n);
			plural = n == 1 ? "" : "s";
		} else {
			fprintf(stderr, "mvinit: cannot parse cpu list \"%.40s\"\n",
				buf);
		}
	}
	if (read_small("/proc/meminfo", buf, sizeof(buf)) >= 0) {
		p = strstr(buf, "MemTotal:");
		if (p && isdigit((unsigned char)p[9 + strspn(p + 9, " ")]))
			snprintf(mem, sizeof(mem), "%lu",
				 strtoul(p + 9, NULL, 10) / 1024);
		else
			fprintf(stderr, "mvinit: no MemTotal in /proc/meminfo\n");
	}
	if (boot_us)
		snprintf(when, sizeof(when),
			 "init reached %u.%u ms after mvm start",
			 (unsigned)(boot_us / 1000),
			 (unsigned)(boot_us % 1000 / 100));
	else
		snprintf(when, sizeof(when), "boot timer not available");

	printf("mvinit: %s %s (%s) up: %s vCPU%s, %s MiB RAM, %s\n", u.sysname,
	       u.release, u.machine, cpus, plural, mem, when);
	fflush(stdout);
}

static __attribute__((noreturn)) void power_off(bool have_port, int status)
{
	sync();
	/* Without this notice mvm takes the reset for a crash. */
	if (have_port)
		outl((unsigned)status, MVM_PORT_SHUTDOWN);
	reboot(RB_AUTOBOOT);
	warn_errno("reboot");
	/* PID 1 returning would panic the kernel: a crash, not a shutdown. */
	for (;;)
		pause();
}

/* ---- container mode ---- */

/* Fds 0-2 must stay taken (by the console, or /dev/null without one), so
 * that no stream mvinit opens lands there and the child's dup2()s never
 * have to move an fd onto itself. */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

/* The end: PID 1 powers the VM off; a pod member's init exits (PID 1
 * reports it). */
static __attribute__((noreturn)) void end(struct mvi *m, int status)
{
	if (m->member) {
		exec_kill_all(m);
		_exit(status & 0xff);
	}
	power_off(m->have_port, status);
}

static __attribute__((noreturn)) void fail(struct mvi *m, const struct err *e)
{
	mvi_warn("%s", e->msg);
	if (m->ctl >= 0) {
		if (ctl_send_error(m->ctl, e) < 0)
			mvi_warn("send ERROR: %s", strerror(errno));
		if (!m->member)
			ctl_finish(m->ctl, CTL_LINGER_S);
	}
	end(m, (int)e->status);
}

static __attribute__((noreturn)) void host_gone(struct mvi *m)
{
	if (m->member) {
		/* Its process only: the rest of the guest is the pod's. */
		if (m->pid > 0)
			kill(m->pid, SIGKILL);
		end(m, MVI_EXIT_HOSTGONE);
	}
	mvi_warn("the host is gone: killing everything");
	kill(-1, SIGKILL);
	power_off(m->have_port, MVI_EXIT_HOSTGONE);
}

/* Receive the CONFINE, SETUP or HOOKS that the SPEC announced, decoded into m. */
static void read_more(struct mvi *m, uint16_t type, struct ctl_msg *out)
{
	struct err e = { 0 };
	enum ctl_status st = ctl_wait(m->ctl, &m->rd, out);
	const char *name = type == PROTO_CONFINE ? "CONFINE" : type == PROTO_SETUP ? "SETUP" : "HOOKS";

	if (st == CTL_EOF)
		host_gone(m);
	if (st != CTL_MSG || out->hdr.type != type) {
		err_set(&e, MVI_EXIT_SETUP, "expected %s after SPEC, got %s", name,
			st == CTL_MSG ? "another message" : "none");
		fail(m, &e);
	}
	if (type == PROTO_CONFINE ? proto_decode_confine(out->payload, out->hdr.len, &m->confine) < 0
	    : type == PROTO_SETUP ? proto_decode_setup(out->payload, out->hdr.len, &m->setup) < 0
				  : proto_decode_hooks(out->payload, out->hdr.len, &m->hooks) < 0) {
		err_set(&e, MVI_EXIT_SETUP, "malformed %s (%u bytes)", name, out->hdr.len);
		fail(m, &e);
	}
}

/* Receive and decode the SPEC into m (HELLO sent). */
static void read_spec(struct mvi *m)
{
	struct err e = { 0 };
	struct ctl_msg msg;
	enum ctl_status st = ctl_wait(m->ctl, &m->rd, &msg);
	size_t n;

	if (st == CTL_EOF) {
		mvi_warn("the host closed the control stream before SPEC");
		host_gone(m);
	}
	if (st != CTL_MSG) {
		err_set(&e, MVI_EXIT_SETUP, "no SPEC: %s",
			st == CTL_BAD ? "bad message header (protocol version?)" : strerror(errno));
		fail(m, &e);
	}
	if (msg.hdr.type != PROTO_SPEC) {
		err_set(&e, MVI_EXIT_SETUP, "expected SPEC, got message type %u", msg.hdr.type);
		fail(m, &e);
	}
	/* Each string takes at least 5 bytes (u32 length, NUL). */
	n = msg.hdr.len / 5 + 2;
	if (n > PROTO_MAX_STRS)
		n = PROTO_MAX_STRS;
	if (!(m->scratch = calloc(n, sizeof(*m->scratch))) ||
	    proto_decode_spec(msg.payload, msg.hdr.len, &m->spec, m->scratch, n) < 0) {
		err_set(&e, MVI_EXIT_SETUP, "malformed SPEC (%u bytes)", msg.hdr.len);
		fail(m, &e);
	}
	m->spec_msg = msg;
	if (m->spec.flags & PROTO_SPEC_CONFINE)
		read_more(m, PROTO_CONFINE, &m->confine_msg);
	if (m->spec.flags & PROTO_SPEC_SETUP)
		read_more(m, PROTO_SETUP, &m->setup_msg);
	if (m->spec.flags & PROTO_SPEC_HOOKS)
		read_more(m, PROTO_HOOKS, &m->hooks_msg);
}

static __attribute__((noreturn)) void container_mode(bool have_port)
{
	static struct mvi m; /* the pumps' buffers are large */
	struct err e = { 0 };

	m.have_port = have_port;
	m.ctl = m.sigfd = m.master = -1;
	m.child_fd[0] = m.child_fd[1] = m.child_fd[2] = -1;
	userns_init(&m.userns);
	pidns_init(&m.pidns);
	hold_std_fds();
	/* Nothing of a container is in the guest yet: a snapshot is made here,
	 * and a restored guest takes fresh entropy and time before going on. */
	mvi_save_point(have_port);
	if (proc_signals(&m, &e) < 0 || (m.ctl = ctl_connect(PROTO_PORT_CONTROL, &e)) < 0)
		fail(&m, &e); /* nobody to tell but the console */
	fcntl(m.ctl, F_SETFL, fcntl(m.ctl, F_GETFL) | O_NONBLOCK);
	if (ctl_send_hello(m.ctl) < 0)
		host_gone(&m);
	container_run(&m);
}

void container_run(struct mvi *m)
{
	struct err e = { 0 };
	bool have_port = m->have_port;
	int status;

	read_spec(m);
	mark(have_port, MVM_MARK_SPEC);
	m->procsys = -1;
	if ((m->spec.flags & PROTO_SPEC_SETUP) &&
	    (m->procsys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_sys(&e, MVI_EXIT_SETUP, errno, "open /proc/sys");
		fail(m, &e);
	}
	/* mvinit's view of the guest's pids: the container's /proc may show
	 * its own namespace only. */
	if ((m->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_sys(&e, MVI_EXIT_SETUP, errno, "open /proc");
		fail(m, &e);
	}
	/* In the initramfs, which the switch covers: the container never sees it. */
	if (mvi_cgroup_v2(m->spec.flags & PROTO_SPEC_SETUP ? &m->setup : NULL, &m->cgroup, &e) < 0)
		fail(m, &e);
	if (rootfs_setup(&m->spec, m->spec.flags & PROTO_SPEC_SETUP ? &m->setup : NULL, m->procsys,
			 &m->cgroup, &m->pidns, &e) < 0 ||
	    userns_create(m->spec.flags & PROTO_SPEC_SETUP ? &m->setup : NULL, m->proc, &m->userns,
			  &e) < 0 ||
	    proc_resolve(m, &e) < 0 || hooks_run(m, PROTO_HOOK_CREATE_CONTAINER, &e) < 0 ||
	    proc_stdio(m, &e) < 0)
		fail(m, &e);
	mark(have_port, MVM_MARK_READY);
	if (ctl_send_ready(m->ctl) < 0 || proc_wait_start(m) < 0)
		host_gone(m);
	if (m->net_failed)
		fail(m, &m->net_err);
	mark(have_port, MVM_MARK_START);
	/* A failing startContainer hook ends the container as runc's init
	 * does: the process never runs, the error goes out, status 255. */
	if (hooks_run(m, PROTO_HOOK_START_CONTAINER, &e) < 0) {
		e.status = MVI_EXIT_HOOK;
		fail(m, &e);
	}
	if (proc_spawn(m, &e) < 0)
		fail(m, &e);
	/* mvrun start returns on this, and runs the poststart hooks: the
	 * process has been executed (spawn waits for its execve). */
	if (ctl_send_started(m->ctl) < 0)
		mvi_warn("send STARTED: %s", strerror(errno));
	if (proc_supervise(m, &status) == PROC_HOST_GONE)
		host_gone(m);
	mark(have_port, MVM_MARK_EXITED);
	if (ctl_send_exit(m->ctl, (uint32_t)status) < 0)
		mvi_warn("send EXIT: %s", strerror(errno));
	if (m->member)
		end(m, status);
	ctl_finish(m->ctl, CTL_LINGER_S);
	power_off(have_port, status);
}

int main(void)
{
	struct mvi_boot boot = { 0 };
	bool have_port, have_console;
	uint32_t boot_us;

	have_console = console_fds() == 0;
	boot_us = mark_init(&have_port);

	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	/* Retry on devtmpfs's own node; the initramfs had none. */
	if (!have_console && console_fds() < 0)
		warn_errno("open /dev/console");
	mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL);
	mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL);

	read_cmdline(&boot);
	if (boot.control)
		container_mode(have_port);
	report(boot_us);

	if (boot.panic)
		exit(1);
	power_off(have_port, boot.exit_status);
}
