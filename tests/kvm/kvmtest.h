/* Harness for KVM tests in the style of Linux's KVM selftests: a real VM
 * from vm_create() with no irqchip (so HLT exits to mvm), tiny hand-assembled
 * real-mode guests, and a watchdog so a spinning guest fails the test instead
 * of hanging it. Tests skip, never pass, when /dev/kvm cannot be used. */
#ifndef MVM_TESTS_KVMTEST_H
#define MVM_TESTS_KVMTEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/x86/layout.h"
#include "vmm/core/vm.h"

#define GUEST_CODE 0x1000  /* where the guest's code goes; IP starts here */
#define GUEST_STACK 0x8000
#define GUEST_DATA 0x1100  /* data the guest reads (strings) */
#define TEST_PORT 0x500    /* a test device's PIO window (unused by mvm) */
#define WATCHDOG_S 5.0     /* below Criterion's .timeout, so we fail cleanly */

struct kvmtest {
	struct vm *vm;
	int console[2]; /* pipe: [0] read by the test, [1] given to the UART; -1 if none */
	struct err err;
};

static struct kvmtest kt = { .console = { -1, -1 } };

/* Skip the test (with the reason) unless /dev/kvm can be opened. */
static inline void kt_require_kvm(void)
{
	if (access("/dev/kvm", F_OK) != 0)
		cr_skip_test("no /dev/kvm: %s", strerror(errno));
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cr_skip_test("no /dev/kvm: cannot open it: %s", strerror(errno));
	close(fd);
}

/* Create a VM of `mem` bytes and ncpus vCPUs; with_console gives it a UART
 * writing into kt.console. */
static inline void kt_create(uint64_t mem, int ncpus, bool with_console)
{
	kt_require_kvm();
	kt.console[0] = kt.console[1] = -1;
	if (with_console)
		cr_assert_eq(pipe2(kt.console, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
	kt.vm = calloc(1, sizeof(*kt.vm));
	cr_assert_not_null(kt.vm);
	struct vm_config c = {
		.mem_bytes = mem,
		.ncpus = ncpus,
		.irqchip = false,
		.console_fd = kt.console[1],
	};
	memset(&kt.err, 0, sizeof(kt.err));
	if (vm_create(kt.vm, &c, NULL, &kt.err) < 0) {
		if (kt.err.status == MVM_EXIT_NOHOST)
			cr_skip_test("no /dev/kvm: %s", kt.err.msg);
		cr_assert_fail("vm_create: %s", kt.err.msg);
	}
	if (with_console)
		cr_assert_eq(fcntl(kt.console[0], F_SETFL, O_NONBLOCK), 0);
}

/* .fini for every KVM test. */
static inline void kt_fini(void)
{
	if (kt.vm) {
		vm_destroy(kt.vm);
		free(kt.vm);
		kt.vm = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (kt.console[i] >= 0)
			close(kt.console[i]);
	kt.console[0] = kt.console[1] = -1;
}

/* Put code at gpa and point vCPU `cpu` at it in real mode (CS base 0). */
static inline void kt_load(int cpu, uint16_t gpa, uint16_t sp, const uint8_t *code, size_t len)
{
	cr_assert_eq(gmem_write(&kt.vm->gm, gpa, code, len), 0, "code does not fit in RAM");
	memset(&kt.err, 0, sizeof(kt.err));
	cr_assert_eq(vcpu_boot_real(&kt.vm->vcpus[cpu], gpa, sp, &kt.err), 0, "%s", kt.err.msg);
}

#define KT_LOAD(code) kt_load(0, GUEST_CODE, GUEST_STACK, code, sizeof(code))

struct kt_watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, fired;
	double secs;
};

static inline void *kt_watchdog_main(void *arg)
{
	struct kt_watchdog *w = arg;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (time_t)w->secs;
	dl.tv_nsec += (long)((w->secs - (double)(time_t)w->secs) * 1e9);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT)
			break;
	bool fire = !w->done;
	pthread_mutex_unlock(&w->mu);
	if (fire) {
		w->fired = true;
		vmstop_request(&kt.vm->stop, VM_STOP_INTERNAL, -1,
			       "test watchdog: guest still running after %.1f s", w->secs);
	}
	return NULL;
}

/* vm_run() under a watchdog that stops the VM after `secs`. Returns true if
 * the watchdog had to stop it. */
static inline bool kt_run_for(double secs)
{
	struct kt_watchdog w = { .done = false, .secs = secs };
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &ca);
	pthread_mutex_init(&w.mu, NULL);
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, kt_watchdog_main, &w), 0);
	memset(&kt.err, 0, sizeof(kt.err));
	int r = vm_run(kt.vm, &kt.err);
	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(th, NULL);
	cr_assert_eq(r, 0, "vm_run: %s", kt.err.msg);
	return w.fired;
}

static inline void kt_run(void)
{
	kt_run_for(WATCHDOG_S);
}

static inline const char *kt_reason_name(int r)
{
	switch (r) {
	case VM_RUNNING: return "VM_RUNNING";
	case VM_STOP_RESET: return "VM_STOP_RESET";
	case VM_STOP_HALT: return "VM_STOP_HALT";
	case VM_STOP_TRIPLE: return "VM_STOP_TRIPLE";
	case VM_STOP_KVM_ERROR: return "VM_STOP_KVM_ERROR";
	case VM_STOP_INTERNAL: return "VM_STOP_INTERNAL";
	default: return "?";
	}
}

/* Assert why the VM stopped, showing the stop detail when it is wrong. */
#define kt_assert_stop(want)                                                               \
	do {                                                                               \
		int got_ = vmstop_reason(&kt.vm->stop);                                    \
		cr_assert_eq(got_, (want), "stopped with %s, want %s; detail: \"%s\"",     \
			     kt_reason_name(got_), kt_reason_name(want), kt.vm->stop.detail); \
	} while (0)

/* Everything the UART wrote so far, NUL-terminated. */
static inline const char *kt_console(void)
{
	static char buf[4096];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(kt.console[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	return buf;
}

#endif
