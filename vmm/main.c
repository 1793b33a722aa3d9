/* mvm: boots one Linux guest in a KVM microVM and exits with what became of
 * it. The only place in the VMM that prints errors or chooses the status. */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

#include "proto/escape.h"
#include "proto/version.h"
#include "vmm/args.h"
#include "vmm/build.h"
#include "vmm/core/kvmhost.h"
#include "vmm/core/surface.h"
#include "vmm/core/vm.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1e3 + (now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Turn the stop reason into mvm's status and, unless it is a clean exit,
 * the one line that says what happened. */
static int outcome(struct vm *vm, char *line, size_t cap)
{
	struct vm_stop *s = &vm->stop;
	line[0] = 0;
	switch (vmstop_reason(s)) {
	case VM_STOP_RESET: {
		int st = atomic_load(&vm->port.shutdown);
		if (st >= 0)
			return st;
		snprintf(line, cap, "the guest kernel panicked: it reset without mvinit's shutdown "
				    "notice (run with --console to see its messages)");
		return MVM_EXIT_PANIC;
	}
	case VM_STOP_HALT:
		return MVM_EXIT_OK;
	case VM_STOP_TRIPLE:
		snprintf(line, cap, "the guest triple-faulted (KVM_EXIT_SHUTDOWN): %s", s->detail);
		return MVM_EXIT_TRIPLE;
	case VM_STOP_KVM_ERROR:
		snprintf(line, cap, "%s", s->detail);
		return MVM_EXIT_KVMERR;
	default:
		snprintf(line, cap, "%s", s->detail[0] ? s->detail : "the VM stopped for no known reason");
		return MVM_EXIT_INTERNAL;
	}
}

/* Resident guest RAM in KiB: what the guest touched. */
static unsigned long long guest_resident_kib(const struct gmem *gm)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t pages = gm->size / (uint64_t)psz;
	unsigned char *vec = malloc(pages ? pages : 1);
	unsigned long long n = 0;
	if (vec && mincore(gm->base, gm->size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	free(vec);
	return n * (unsigned long long)psz / 1024;
}

/* Peak RSS (VmHWM) in KiB, 0 if unknown: getrusage, since the jail has no
 * /proc and the filter allows getrusage. */
static unsigned long long peak_rss_kib(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? (unsigned long long)ru.ru_maxrss : 0;
}

static void report(struct vm *vm, const struct timespec *t0, int status)
{
	struct exit_stats *x = &vm->stats;
	unsigned mark_us = atomic_load(&vm->port.mark_us);
	char mark[64] = "init not reached";
	if (mark_us)
		snprintf(mark, sizeof(mark), "init reached at %.1f ms", mark_us / 1e3);
	fprintf(stderr,
		"mvm: status %d; %s; ran %.1f ms; %d vCPUs, %llu MiB; exits: pio %llu, mmio %llu, "
		"unmapped pio %llu/%llu, unmapped mmio %llu/%llu (reads/writes)\n",
		status, mark, ms_since(t0), vm->ncpus, (unsigned long long)(vm->gm.size >> 20),
		(unsigned long long)atomic_load(&x->pio), (unsigned long long)atomic_load(&x->mmio),
		(unsigned long long)atomic_load(&x->unmapped_pio_read),
		(unsigned long long)atomic_load(&x->unmapped_pio_write),
		(unsigned long long)atomic_load(&x->unmapped_mmio_read),
		(unsigned long long)atomic_load(&x->unmapped_mmio_write));
	unsigned long long hwm = peak_rss_kib(), guest = guest_resident_kib(&vm->gm);
	fprintf(stderr, "mvm: memory: peak RSS %llu KiB, guest RAM touched %llu KiB, "
			"mvm beyond guest RAM %llu KiB\n",
		hwm, guest, hwm > guest ? hwm - guest : 0);
}

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* When the vCPUs first ran and when the VM stopped (CLOCK_MONOTONIC). */
struct run_times {
	struct timespec run, stop;
};

static int run_timed(struct vm *vm, struct run_times *rt, struct err *err)
{
	clock_gettime(CLOCK_MONOTONIC, &rt->run);
	int r = vm_run(vm, err);
	clock_gettime(CLOCK_MONOTONIC, &rt->stop);
	return r;
}

/* MVM_REPORT_FILE=PATH: the report's figures and the boot milestones as one
 * JSON line appended to PATH, for bench/startup's breakdown. Opened before
 * any set-up, so nothing done later (a jail) can hide it. -1 if unset or
 * unopenable (the run goes on without it). */
static int report_file_open(void)
{
	const char *p = getenv("MVM_REPORT_FILE");
	return p && *p ? open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
}

/* Times are CLOCK_MONOTONIC ns (the caller's clock too), marks µs after t0. */
static void report_json(int fd, struct vm *vm, const struct timespec *t0,
			const struct run_times *rt, int status)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	char line[1024];
	int n = snprintf(line, sizeof(line),
			 "{\"status\":%d,\"t0_ns\":%lld,\"run_ns\":%lld,\"stop_ns\":%lld,"
			 "\"end_ns\":%lld,\"peak_rss_kib\":%llu,\"guest_touched_kib\":%llu,"
			 "\"guest_mib\":%llu,\"marks_us\":[",
			 status, ns_of(t0), ns_of(&rt->run), ns_of(&rt->stop), ns_of(&end),
			 peak_rss_kib(), guest_resident_kib(&vm->gm),
			 (unsigned long long)(vm->gm.size >> 20));
	for (int i = 0; i < MVM_MARK_COUNT && n > 0 && n < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%u", i ? "," : "",
			      atomic_load(&vm->port.first_us[i]));
	if (n > 0 && n < (int)sizeof(line) - 3) {
		n += snprintf(line + n, sizeof(line) - n, "]}\n");
		if (write(fd, line, (size_t)n) < 0) {
			/* nowhere left to say it */
		}
	}
	close(fd);
}

/* The final command line: defaults, the devices, mvinit's container flag,
 * then the user's part. */
#define MVM_OWN_FDS 4096
#define MVM_NOFILE (VFS_MAX_INODES + VFS_MAX_HANDLES + MVM_OWN_FDS)

int main(int argc, char **argv)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int report_fd = report_file_open();
	struct run_times rt = { t0, t0 };
	/* One malloc arena for every thread: no thread makes an arena of its
	 * own (mmap plus mprotect) after the seccomp filters are in. */
	mallopt(M_ARENA_MAX, 1);
	/* A closed stdout or socket peer is an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);
	/* The virtio-fs servers hold an O_PATH fd per inode the guest knows
	 * (untarring 5,000 files is 5,000 of them) and one per open file, up
	 * to their caps (vmm/fuse/fuse_server.h); mvm's own fds (devices, the
	 * loop's 256 slots, vsock's 1,024 connections, exec sessions) fit in
	 * MVM_OWN_FDS. Ask for that much (root may raise the hard limit), else
	 * take the whole hard limit rather than the usual soft 1024. */
	struct rlimit nofile, want = { MVM_NOFILE, MVM_NOFILE };
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want.rlim_cur &&
	    setrlimit(RLIMIT_NOFILE, &want) < 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	struct err err = { 0 };
	struct mvm_args a;
	if (args_parse(argc, argv, &a, &err) < 0) {
		fprintf(stderr, "mvm: %s\n", err.msg);
		return err.status;
	}
	if (a.help) {
		fputs(mvm_usage, stdout);
		return 0;
	}
	if (a.version) {
		printf("mvm version %s\n", MVRUN_VERSION);
		return 0;
	}
	if (a.build_id) {
		printf("%s\n", snap_build_id());
		return 0;
	}
	if (a.check_snapshot) {
		struct snap_file f = { .mem_fd = -1 };
		int r = snap_vm_open(&f, a.check_snapshot, a.mem_mib << 20, a.cpus, &err);
		snap_vm_close(&f);
		if (r < 0)
			printf("%s\n", err.msg);
		return r < 0 ? MVM_EXIT_BADARG : 0;
	}
	if (a.print_surface) {
		surface_print(stdout);
		return 0;
	}
	if (a.check_host) {
		if (kvmhost_check_linux(&err) < 0) {
			printf("%s\n", err.msg);
			return err.status;
		}
		printf("this host can boot Linux guests\n");
		return 0;
	}
	if (a.print_seccomp) {
		if (sec_print(stdout, &err) < 0) {
			fprintf(stderr, "mvm: %s\n", err.msg);
			return err.status;
		}
		return 0;
	}
	struct build b = { 0 };
	/* Argument errors first: they are the user's to fix wherever mvm runs. */
	if (build_check(&b, &a, &err) < 0) {
		fprintf(stderr, "mvm: %s\n", err.msg);
		return err.status;
	}
	int status;
	char line[512];
	line[0] = 0;
	int built = build_vm(&b, &a, &t0, &err);
	if (b.note[0])
		fprintf(stderr, "mvm: %s\n", b.note);
	if (built < 0 || run_timed(b.vm, &rt, &err) < 0) {
		snprintf(line, sizeof(line), "%.*s", (int)sizeof(line) - 1, err.msg);
		status = err.status;
		/* mvrun prints it as its one line; stderr would make two. */
		if (b.session && session_fail_ready(b.session, a.ready_fd, line))
			line[0] = 0;
	} else if (a.snapshot_save) {
		status = build_save(&b, &err) < 0 ? err.status : MVM_EXIT_OK;
		snprintf(line, sizeof(line), "%.*s", (int)sizeof(line) - 1, err.msg);
	} else {
		status = outcome(b.vm, line, sizeof(line));
		if (b.session)
			status = session_status(b.session, status, line, sizeof(line));
	}
	if (a.report && b.snap.mem_fd >= 0)
		fprintf(stderr, "mvm: restored from a snapshot: the guest ran %.1f ms after mvm's "
				"start\n", (ns_of(&rt.run) - ns_of(&t0)) / 1e6);
	build_snap_fini(&b);
	/* Under seccomp only the terminal is put back: the fds, maps and
	 * sockets go with the process, and the filter allows no more. */
	struct vm *vm = b.vm;
	bool filtered = vm && vm->sec_on;
	if (b.session && filtered)
		session_restore_tty(b.session);
	else if (b.session)
		session_fini(b.session); /* the terminal back before the last line */
	fflush(stdout);
	if (line[0]) { /* it may quote the guest */
		char safe[sizeof(line)];
		fprintf(stderr, "mvm: %s\n", proto_escape(safe, sizeof(safe), line));
	}
	if (a.report && vm)
		report(vm, &t0, status);
	if (report_fd >= 0 && vm)
		report_json(report_fd, vm, &t0, &rt, status);
	if (!filtered)
		build_fini(&b);
	return status;
}
