/* The vCPU loop: each vCPU's thread runs KVM_RUN and dispatches its exits
 * (exit.c) until the VM stops (stop.c). */
#include "vmm/core/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/core/exit.h"

void *vcpu_run_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct exit_ctx ctx = { &vm->pio, &vm->mmio, &vm->stats, vm->log_fd };
	char desc[256];
	/* The kick is blocked here but inside KVM_RUN, so it never runs a
	 * handler: it only ends KVM_RUN, and stays pending. A signal sent to
	 * mvm from outside may end a KVM_RUN too, but stays pending for the
	 * thread that reads the signalfd (agent/ctr.c), never taken here. */
	uint64_t mask = vm->sigmask, in_run = mask & ~(1ULL << (VM_KICK_SIGNAL - 1));
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
