/* mvinit: PID 1 of the mvrun guest. This milestone boots and powers off; the
 * next one turns it into the container init.
 *
 * What mvm and the boot tests may rely on:
 *  - fds 0/1/2 are the console; proc, sysfs and devtmpfs are mounted on
 *    /proc, /sys and /dev.
 *  - MVM_MARK_INIT is written to MVM_PORT_MARK before anything else that
 *    takes time (proto/mvm_port.h), so the VMM timestamps PID 1's start.
 *  - Exactly one line goes to stdout:
 *      mvinit: Linux <release> (<machine>) up: <n> vCPU(s), <m> MiB RAM, \
 *      init reached <ms> ms after mvm start
 *    with "boot timer not available" in place of the time when the port
 *    reads 0 or all-ones (no mvm port: QEMU's unassigned ports float high).
 *  - Then it powers off: sync, the exit status to MVM_PORT_SHUTDOWN, and a
 *    reset (reboot=k makes it an i8042 reset, which mvm turns into its exit).
 *  - A failing step prints one "mvinit: <what>: <reason>" line on the
 *    console and is skipped; nothing short of a missing console stops it.
 *  - Test hooks on the kernel command line:
 *      mvinit.exit=N    report status N (0..255) instead of 0;
 *      mvinit.panic=1   exit(1) after the line, so the kernel panics
 *                       ("Attempted to kill init!") and mvm reports a crash.
 *    They are read from /proc/cmdline: the kernel keeps any param with a dot
 *    for modules and never passes it to init (init/main.c,
 *    unknown_bootoption).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

#include "proto/mvm_port.h"

struct hooks {
	int exit_status; /* 0..255, reported to mvm at shutdown */
	bool panic;      /* die as PID 1 instead of shutting down */
};

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

/* Counts the CPUs in a sysfs cpu list such as "0-1,3\n". Returns -1 if the
 * text is not one. */
static int count_cpus(const char *s)
{
	int n = 0;

	for (;;) {
		char *end;
		unsigned long lo, hi;

		if (!isdigit((unsigned char)*s))
			return -1;
		lo = hi = strtoul(s, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -1;
			hi = strtoul(end + 1, &end, 10);
			if (hi < lo || hi - lo > 65535)
				return -1;
		}
		n += (int)(hi - lo + 1);
		s = end;
		if (*s != ',')
			break;
		s++;
	}
	return (*s == '\n' || *s == '\0') ? n : -1;
}

/* Parses a hook's decimal value in 0..max; -1 (after saying so) if it is
 * malformed, and the hook keeps its default. */
static int hook_value(const char *param, const char *val, int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || v > (unsigned)max) {
		fprintf(stderr, "mvinit: ignoring %s=\"%s\": want 0..%d\n",
			param, val, max);
		return -1;
	}
	return (int)v;
}

static void read_hooks(struct hooks *h)
{
	char line[4096]; /* x86 COMMAND_LINE_SIZE is 2048 */
	int v;

	if (read_small("/proc/cmdline", line, sizeof(line)) < 0)
		return;
	/* Later params win, as they do for the kernel's own. */
	for (char *tok = strtok(line, " \t\n"); tok;
	     tok = strtok(NULL, " \t\n")) {
		if (strncmp(tok, "mvinit.exit=", 12) == 0) {
			if ((v = hook_value("mvinit.exit", tok + 12, 255)) >= 0)
				h->exit_status = v;
		} else if (strncmp(tok, "mvinit.panic=", 13) == 0) {
			if ((v = hook_value("mvinit.panic", tok + 13, 1)) >= 0)
				h->panic = v;
		}
	}
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
		int n = count_cpus(buf);

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

int main(void)
{
	struct hooks hooks = { 0 };
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

	read_hooks(&hooks);
	report(boot_us);

	if (hooks.panic)
		exit(1);
	power_off(have_port, hooks.exit_status);
}
