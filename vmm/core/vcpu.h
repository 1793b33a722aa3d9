/* One vCPU: its KVM fd, its kvm_run page and its architectural set-up for
 * each boot mode. Running it lives in vm.c. */
#ifndef MVM_VCPU_H
#define MVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/core/cpuid.h"
#include "vmm/core/err.h"
#include "vmm/core/gmem.h"

struct vcpu {
	int id;
	int fd;               /* -1 when not created */
	struct kvm_run *run;  /* mmapped, run_size bytes */
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	pid_t tid;            /* the thread's id once it runs (the kick's target); 0 before */
	struct vm *vm;        /* owner */
};

/* KVM_CREATE_VCPU and map its run page. Returns 0 or -1 with err. */
int vcpu_create(struct vcpu *v, int vm_fd, int id, size_t run_size, struct err *err);

/* Close and unmap. Safe on a vcpu that failed half-way (fd -1). */
void vcpu_destroy(struct vcpu *v);

/* Give the vCPU a filtered copy of the supported CPUID table. */
int vcpu_set_cpuid(struct vcpu *v, const struct kvm_cpuid2 *supported,
		   const struct cpuid_opts *o, struct err *err);

/* MSRs, FPU and LAPIC LINT0/LINT1 as Linux expects from firmware. The LAPIC
 * part needs the in-kernel irqchip. */
int vcpu_init_platform(struct vcpu *v, struct err *err);

/* Boot vCPU register state. PVH: 32-bit protected mode, paging off, EBX =
 * start_info. Linux64: long mode on identity page tables, RSI = zero page.
 * Both write a GDT (and linux64 the page tables) into guest RAM. */
int vcpu_boot_pvh(struct vcpu *v, const struct gmem *gm, uint32_t entry, uint64_t start_info,
		  struct err *err);
int vcpu_boot_linux64(struct vcpu *v, const struct gmem *gm, uint64_t entry, uint64_t zero_page,
		      struct err *err);

/* Real mode with CS base 0 at `ip`, for tiny test guests. */
int vcpu_boot_real(struct vcpu *v, uint16_t ip, uint16_t sp, struct err *err);

/* The vCPU's RIP, or 0 if it cannot be read (for error messages). */
uint64_t vcpu_rip(const struct vcpu *v);

#endif
