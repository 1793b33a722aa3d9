#include "vmm/core/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/core/cpuid.h"
#include "vmm/x86/layout.h"

#define KVM_TSS_ADDR 0xfffbd000ULL /* 3 pages just below the BIOS area, inside the gap */
#define SIG_VCPU_KICK VM_KICK_SIGNAL

int vm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4;
	return n < MVM_MAX_VCPUS ? n : MVM_MAX_VCPUS;
}

static int create_kvm(struct vm *vm, const struct vm_config *c, struct err *err)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return err_sys(err, MVM_EXIT_NOHOST, errno, "open /dev/kvm");
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return err_set(err, MVM_EXIT_NOHOST, "/dev/kvm speaks API %d, mvm needs %d", api,
			       KVM_API_VERSION);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return err_set(err, MVM_EXIT_NOHOST, "KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+)");
	int max = vm_max_vcpus(vm->kvm_fd);
	if (c->ncpus < 1 || c->ncpus > max)
		return err_set(err, MVM_EXIT_BADARG, "--cpus %d: KVM and mvm allow 1 to %d here",
			       c->ncpus, max);
	int mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run))
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)mmap_size;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_CREATE_VM");
	if (!c->irqchip)
		return 0;
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_CREATE_IRQCHIP");
	/* The PIT calibrates the TSC at boot; port 0x61 is a dummy speaker. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_CREATE_PIT2");
	return 0;
}

static int create_memory(struct vm *vm, const struct vm_config *c, struct err *err)
{
	if ((c->mem_from_file ? gmem_map_file(&vm->gm, c->mem_fd, c->mem_bytes, err)
			      : gmem_init(&vm->gm, c->mem_bytes, err)) < 0)
		return -1;
	for (int i = 0; i < vm->gm.nr; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = (uint32_t)i,
			.guest_phys_addr = vm->gm.r[i].gpa,
			.memory_size = vm->gm.r[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->gm.r[i].hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_USER_MEMORY_REGION %d", i);
	}
	return 0;
}

static int create_devices(struct vm *vm, const struct vm_config *c, struct err *err)
{
	if (c->console_fd >= 0) {
		struct irq_line irq = { c->irqchip ? vm->vm_fd : -1, SERIAL_COM1_IRQ };
		if (serial_attach(&vm->serial, &vm->pio, c->console_fd, irq) < 0)
			return err_set(err, MVM_EXIT_INTERNAL, "cannot attach the serial port");
		vm->has_serial = true;
	}
	if (i8042_attach(&vm->i8042, &vm->pio, &vm->stop) < 0 ||
	    mvmport_attach(&vm->port, &vm->pio, &vm->t0) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "cannot attach the platform devices");
	return 0;
}

static int create_vcpus(struct vm *vm, const struct vm_config *c, struct err *err)
{
	struct kvm_cpuid2 *sup = cpuid_supported(vm->kvm_fd, err);
	if (!sup)
		return -1;
	int r = 0;
	for (int i = 0; i < c->ncpus && r == 0; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		struct cpuid_opts o = { .vcpu_id = i, .ncpus = c->ncpus, .no_xsave = c->no_xsave };
		r = vcpu_create(v, vm->vm_fd, i, vm->run_size, err);
		vm->ncpus = i + 1;
		if (r == 0)
			r = vcpu_set_cpuid(v, sup, &o, err);
		if (r == 0 && c->irqchip)
			r = vcpu_init_platform(v, err);
	}
	free(sup);
	return r;
}

static void kick_all(void *arg)
{
	struct vm *vm = arg;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		/* tgkill by hand: pthread_kill would ask for getpid each time,
		 * one more syscall in the main thread's filter. A thread with no
		 * tid yet has not reached KVM_RUN: immediate_exit stops it. */
		pid_t tid = __atomic_load_n(&v->tid, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&v->thread_started, __ATOMIC_SEQ_CST) && tid > 0)
			syscall(SYS_tgkill, vm->pid, tid, SIG_VCPU_KICK);
	}
}

int vm_create(struct vm *vm, const struct vm_config *c, const struct timespec *t0,
	      struct err *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	for (int i = 0; i < MVM_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;
	if (t0)
		vm->t0 = *t0;
	else
		clock_gettime(CLOCK_MONOTONIC, &vm->t0);
	vmstop_init(&vm->stop);
	vm->loop.epfd = vm->loop.wake_fd = -1;
	vm->irqchip = c->irqchip;
	vm->stop.kick = kick_all;
	vm->stop.kick_arg = vm;
	vm->sec_test = -1;
	vm->log_fd = -1;
	vm->sec_tap_fd = -1;
	pthread_mutex_init(&vm->gate_lock, NULL);
	pthread_cond_init(&vm->gate_cond, NULL);
	if (create_kvm(vm, c, err) < 0 || create_memory(vm, c, err) < 0 ||
	    evloop_init(&vm->loop, err) < 0 ||
	    create_devices(vm, c, err) < 0 || create_vcpus(vm, c, err) < 0) {
		vm_destroy(vm);
		return -1;
	}
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct exit_ctx ctx = { &vm->pio, &vm->mmio, &vm->stats, vm->log_fd };
	char desc[256];
	/* The kick is blocked here but inside KVM_RUN, so it never runs a
	 * handler: it only ends KVM_RUN, and stays pending. A signal sent to
	 * mvm from outside may end a KVM_RUN too, but stays pending for the
	 * thread that reads the signalfd (agent/ctr.c), never taken here. */
	uint64_t mask = vm->sigmask, in_run = mask & ~(1ULL << (SIG_VCPU_KICK - 1));
	/* The set follows len directly (offset 4), unaligned. */
	union {
		struct kvm_signal_mask m;
		uint8_t raw[sizeof(struct kvm_signal_mask) + sizeof(uint64_t)];
	} km = { .m.len = sizeof(uint64_t) };
	memcpy(km.m.sigset, &in_run, sizeof(in_run));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof(mask));
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &km.m) < 0) {
		vmstop_request(&vm->stop, VM_STOP_INTERNAL, v->id, "KVM_SET_SIGNAL_MASK on vCPU %d: %s",
			       v->id, strerror(errno));
		return vm_park(vm);
	}
	__atomic_store_n(&v->tid, gettid(), __ATOMIC_SEQ_CST);
	if (vm_sec_enter(vm, &vm->sec_vcpu[v->id]) < 0)
		return vm_park(vm);
	vm_gate_wait(vm);
	while (vmstop_reason(&vm->stop) == VM_RUNNING) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vmstop_request(&vm->stop, VM_STOP_INTERNAL, v->id, "KVM_RUN on vCPU %d: %s",
				       v->id, strerror(errno));
			break;
		}
		desc[0] = 0;
		switch (exit_handle(v->run, v->run_size, &ctx, desc, sizeof(desc))) {
		case EXIT_CONTINUE:
			break;
		case EXIT_HALT:
			vmstop_request(&vm->stop, VM_STOP_HALT, v->id, "vCPU %d halted", v->id);
			break;
		case EXIT_TRIPLE:
			vmstop_request(&vm->stop, VM_STOP_TRIPLE, v->id,
				       "vCPU %d triple-faulted at rip 0x%llx", v->id,
				       (unsigned long long)vcpu_rip(v));
			break;
		case EXIT_KVM_ERROR:
			vmstop_request(&vm->stop, VM_STOP_KVM_ERROR, v->id, "%s on vCPU %d at rip 0x%llx",
				       desc, v->id, (unsigned long long)vcpu_rip(v));
			break;
		}
	}
	/* A VM stopped to be saved: the I/O a vCPU exited for is complete, and
	 * its state consistent, only once it re-enters KVM_RUN (KVM API,
	 * "immediate_exit"); with immediate_exit set it enters and leaves at
	 * once, so a restored guest goes on after that instruction. */
	if (vmstop_reason(&vm->stop) == VM_STOP_SAVE) {
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(v->fd, KVM_RUN, 0) == 0 || errno != EINTR)
			atomic_store(&vm->unsettled, v->id + 1);
	}
	return vm_park(vm);
}

int vm_add_virtio(struct vm *vm, struct virtio_mmio *t, struct virtio_dev *dev,
		  struct err *err)
{
	if (vm->nvirtio == VM_MAX_VIRTIO)
		return err_set(err, MVM_EXIT_BADARG, "too many virtio devices (at most %d)",
			       VM_MAX_VIRTIO);
	uint64_t base = LAYOUT_MMIO_BASE + (uint64_t)vm->nvirtio * VIRTIO_MMIO_SIZE;
	int gsi = VM_VIRTIO_GSI0 + vm->nvirtio;
	if (virtio_mmio_attach(t, dev, vm->vm_fd, vm->irqchip, &vm->gm, &vm->mmio, &vm->loop, base,
			       gsi, err) < 0) {
		virtio_mmio_detach(t);
		return -1;
	}
	vm->virtio[vm->nvirtio++] = t;
	return 0;
}

int vm_virtio_cmdline(const struct vm *vm, char *out, size_t cap)
{
	size_t len = 0;
	if (cap)
		out[0] = 0;
	for (int i = 0; i < vm->nvirtio; i++) {
		if (len + 1 >= cap)
			return -1;
		if (len)
			out[len++] = ' ';
		int n = virtio_mmio_cmdline(vm->virtio[i], out + len, cap - len);
		if (n < 0 || (size_t)n >= cap - len)
			return -1;
		len += (size_t)n;
	}
	return (int)len;
}

static void *io_thread(void *arg)
{
	struct vm *vm = arg;
	/* As the main thread's: glibc's pthread_create unblocks its own 32. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &vm->sigmask, NULL, sizeof(vm->sigmask));
	if (vm_sec_enter(vm, &vm->sec_io) < 0)
		return vm_park(vm);
	if (evloop_run(&vm->loop) < 0)
		vmstop_request(&vm->stop, VM_STOP_INTERNAL, -1, "I/O thread: epoll_wait: %s",
			       strerror(errno));
	if (vm->io_atstop)
		vm->io_atstop(vm->io_atstop_opaque);
	return vm_park(vm);
}

static void kick_handler(int sig)
{
	(void)sig; /* only there so a stray one does not kill mvm */
}

int vm_run(struct vm *vm, struct err *err)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_VCPU_KICK, &sa, NULL) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "sigaction");
	/* The threads block what the main thread blocks (the forwarded
	 * signals, agent/ctr.c), and the kick: a stray SIGUSR1 that nobody
	 * forwards meets the main thread's empty handler. */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &vm->sigmask, sizeof(vm->sigmask));
	vm->sigmask |= 1ULL << (SIG_VCPU_KICK - 1);
	int r = 0;
	vm->pid = getpid();
	int e = pthread_create(&vm->io_thread, NULL, io_thread, vm);
	if (e) {
		errno = e;
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "starting the I/O thread");
	}
	vm->io_started = true;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int e = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (e) {
			errno = e;
			err_sys(err, MVM_EXIT_INTERNAL, errno, "starting vCPU thread %d", i);
			vmstop_request(&vm->stop, VM_STOP_INTERNAL, -1, "vCPU threads did not start");
			r = -1;
			break;
		}
		__atomic_store_n(&v->thread_started, true, __ATOMIC_SEQ_CST);
	}
	/* Every thread exists: the main thread takes its own filter, then lets
	 * the vCPUs run the guest. */
	vm_main_enter(vm);
	/* Every vCPU thread leaves only after a stop request; this thread kicks
	 * them, so no pthread_kill can reach a joined thread. */
	vmstop_wait(&vm->stop);
	int nvcpu = 0;
	for (int i = 0; i < vm->ncpus; i++)
		nvcpu += vm->vcpus[i].thread_started;
	if (vm->sec_on) {
		/* Filtered threads park instead of exiting (their filters
		 * allow no exit); the process exits soon after this. */
		vm_wait_parked(vm, nvcpu);
		evloop_stop(&vm->loop);
		vm_wait_parked(vm, nvcpu + 1);
		return r;
	}
	for (int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
	}
	evloop_stop(&vm->loop);
	pthread_join(vm->io_thread, NULL);
	vm->io_started = false;
	if (vm->has_serial)
		serial_flush(&vm->serial);
	return r;
}

void vm_destroy(struct vm *vm)
{
	sec_free(&vm->sec_main);
	sec_free(&vm->sec_io);
	for (int i = 0; i < MVM_MAX_VCPUS; i++)
		sec_free(&vm->sec_vcpu[i]);
	vm->sec_on = false;
	for (int i = 0; i < vm->nvirtio; i++)
		virtio_mmio_detach(vm->virtio[i]);
	vm->nvirtio = 0;
	evloop_fini(&vm->loop);
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	vm->ncpus = 0;
	gmem_fini(&vm->gm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}
