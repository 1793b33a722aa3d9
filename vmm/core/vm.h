/* The VM builder and runner. vm_create() makes every part in one explicit
 * order (KVM, irqchip, memory, devices, vCPUs); vm_run() runs one thread per
 * vCPU until something stops the VM, and says why in vm->stop. */
#ifndef MVM_VM_H
#define MVM_VM_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto/launch.h"
#include "vmm/core/bus.h"
#include "vmm/dev/i8042.h"
#include "vmm/dev/mvmport.h"
#include "vmm/dev/serial.h"
#include "vmm/core/err.h"
#include "vmm/core/evloop.h"
#include "vmm/core/exit.h"
#include "vmm/core/gmem.h"
#include "vmm/sandbox/seccomp.h"
#include "vmm/core/stop.h"
#include "vmm/core/vcpu.h"
#include "vmm/virtio/mmio.h"

#define MVM_MEM_MIN_MIB 16
#define VM_MAX_VIRTIO 16 /* GSIs 5..20 */
#define VM_VIRTIO_GSI0 5
#define VM_KICK_SIGNAL SIGUSR1 /* interrupts KVM_RUN; unblocked only inside it (KVM_SET_SIGNAL_MASK) */

struct vm_config {
	uint64_t mem_bytes;
	int ncpus;
	bool irqchip;    /* in-kernel LAPIC/IOAPIC/PIC and PIT; Linux needs it */
	bool no_xsave;   /* hide XSAVE and AVX from the guest's CPUID */
	int console_fd;  /* 8250 output goes here; -1: no UART at all */
	bool mem_from_file; /* map RAM copy-on-write from mem_fd (a snapshot's memory file) */
	int mem_fd;
};

struct vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	struct timespec t0;          /* set at vm_create; the boot timer's zero */
	struct gmem gm;
	struct bus pio, mmio;
	struct exit_stats stats;
	struct vm_stop stop;
	atomic_int unsettled;        /* 1 + a vCPU that could not settle for a save; 0 */
	bool has_serial;
	struct serial serial;
	struct i8042 i8042;
	struct mvmport port;
	struct evloop loop;          /* run by the I/O thread */
	void (*io_atstop)(void *);   /* run by the I/O thread once its loop is over; NULL */
	void *io_atstop_opaque;
	pthread_t io_thread;
	bool io_started;
	bool irqchip;
	int nvirtio;
	struct virtio_mmio *virtio[VM_MAX_VIRTIO]; /* not owned */
	int ncpus;
	struct vcpu vcpus[MVM_MAX_VCPUS];
	/* Seccomp (vm_seccomp): one filter per thread, installed by the thread
	 * itself; the vCPUs wait at the gate until the main thread has its own. */
	int log_fd;                  /* unmapped guest accesses are logged here; -1: counted only */
	int sec_tap_fd;              /* virtio-net's tap, whose offloads vCPU threads set; -1 */
	bool sec_on;
	int sec_test;                /* a thread kind that breaks its filter (tests), or -1 */
	struct sec_prog sec_main, sec_io, sec_vcpu[MVM_MAX_VCPUS];
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	bool gate_open;
	int parked;                  /* filtered threads done and parked */
	pid_t pid;                   /* getpid() at vm_run, for the kick */
	uint64_t sigmask;            /* the threads' blocked signals (kernel set): the main thread's and the kick */
};

/* Build the VM. On failure everything made so far is released and err says
 * what failed; vm_destroy() is still safe to call. `t0` is mvm's start time
 * (NULL: now). Returns 0 or -1. */
int vm_create(struct vm *vm, const struct vm_config *c, const struct timespec *t0,
	      struct err *err);

/* Attach a virtio device at the next MMIO window and GSI. `t` must outlive
 * the VM. Call before vm_run(). Returns 0 or -1 with err. */
int vm_add_virtio(struct vm *vm, struct virtio_mmio *t, struct virtio_dev *dev,
		  struct err *err);

/* The kernel command-line fragment listing every virtio device. Returns its
 * length, or -1 if cap is too small. */
int vm_virtio_cmdline(const struct vm *vm, char *out, size_t cap);

/* Start the I/O thread, run every vCPU until the VM stops, stop the I/O
 * thread. Returns 0 when it stopped (see
 * vm->stop for why), -1 with err if the threads could not start. */
int vm_run(struct vm *vm, struct err *err);

/* Build the seccomp filters for every thread vm_run() will start (call it
 * last, once every device and fd exists). vm_run() then installs them, each
 * thread its own, before the first KVM_RUN, and the main thread its own once
 * every thread has started. test_kind >= 0 makes that kind of thread make
 * one syscall outside its list right after (the SIGSYS test). Returns 0 or
 * -1 with err. */
int vm_seccomp(struct vm *vm, enum sec_mode mode, int test_kind, struct err *err);

/* The fds vCPU threads may write (the SA_VCPU_FDS rule): stderr, the
 * console, every virtio transport's eventfds and device wake fds. Fills
 * env->wfds. */
void vm_vcpu_write_fds(const struct vm *vm, struct sec_env *env);

/* For vm.c's threads (vm_sec.c). A thread installs its filter; on failure
 * it requests a stop and returns -1. */
int vm_sec_enter(struct vm *vm, const struct sec_prog *p);
/* vCPU threads: wait until the main thread opened the gate. */
void vm_gate_wait(struct vm *vm);
/* The main thread, once every thread started: its own filter, then the gate. */
void vm_main_enter(struct vm *vm);
/* The end of a vm.c thread. Without filters it returns NULL (the thread
 * exits and is joined); with them it counts the thread as parked and
 * blocks for good, since the filters allow no thread exit. */
void *vm_park(struct vm *vm);

/* A vCPU's thread (vcpu_run.c; arg is its struct vcpu, whose vm is set):
 * KVM_RUN with only the kick unblocked, each exit dispatched, until the
 * VM stops; then it parks. */
void *vcpu_run_thread(void *arg);
/* Wait until n threads are parked. */
void vm_wait_parked(struct vm *vm, int n);

/* Release the vCPUs, memory and fds. Idempotent. */
void vm_destroy(struct vm *vm);

/* The most vCPUs KVM allows here (KVM_CAP_MAX_VCPUS), capped at MVM_MAX_VCPUS. */
int vm_max_vcpus(int kvm_fd);

#endif
