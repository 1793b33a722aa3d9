/* The VM builder and runner. vm_create() makes every part in one explicit
 * order (KVM, irqchip, memory, devices, vCPUs); vm_run() runs one thread per
 * vCPU until something stops the VM, and says why in vm->stop. */
#ifndef MVM_VM_H
#define MVM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vmm/bus.h"
#include "vmm/dev/i8042.h"
#include "vmm/dev/mvmport.h"
#include "vmm/dev/serial.h"
#include "vmm/err.h"
#include "vmm/exit.h"
#include "vmm/gmem.h"
#include "vmm/stop.h"
#include "vmm/vcpu.h"

#define MVM_MAX_VCPUS 32
#define MVM_MEM_MIN_MIB 16

struct vm_config {
	uint64_t mem_bytes;
	int ncpus;
	bool irqchip;    /* in-kernel LAPIC/IOAPIC/PIC and PIT; Linux needs it */
	bool no_xsave;   /* hide XSAVE and AVX from the guest's CPUID */
	int console_fd;  /* 8250 output goes here; -1: no UART at all */
};

struct vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	struct timespec t0;          /* set at vm_create; the boot timer's zero */
	struct gmem gm;
	struct bus pio, mmio;
	struct exit_stats stats;
	struct vm_stop stop;
	bool has_serial;
	struct serial serial;
	struct i8042 i8042;
	struct mvmport port;
	int ncpus;
	struct vcpu vcpus[MVM_MAX_VCPUS];
};

/* Build the VM. On failure everything made so far is released and err says
 * what failed; vm_destroy() is still safe to call. `t0` is mvm's start time
 * (NULL: now). Returns 0 or -1. */
int vm_create(struct vm *vm, const struct vm_config *c, const struct timespec *t0,
	      struct mvm_err *err);

/* Run every vCPU until the VM stops. Returns 0 when it stopped (see
 * vm->stop for why), -1 with err if the threads could not start. */
int vm_run(struct vm *vm, struct mvm_err *err);

/* Release the vCPUs, memory and fds. Idempotent. */
void vm_destroy(struct vm *vm);

/* The most vCPUs KVM allows here (KVM_CAP_MAX_VCPUS), capped at MVM_MAX_VCPUS. */
int vm_max_vcpus(int kvm_fd);

#endif
