/* A stopped VM's KVM state in and out of a snapshot (vmm/snap/snapshot.h): each
 * vCPU's registers, special registers, FPU or XSAVE area, XCRs, MSRs, local
 * APIC, MP state, pending events and debug registers, and with the
 * in-kernel irqchip its PICs and IOAPIC, the PIT and the clock. Guest RAM
 * and device state are the caller's. */
#ifndef MVM_SNAP_KVM_H
#define MVM_SNAP_KVM_H

#include "vmm/snap/snapshot.h"
#include "vmm/core/vm.h"

/* Add the VM's KVM state to w. Every vCPU must be out of KVM_RUN (the VM
 * stopped, or not started). Returns 0, or -1 with err naming the ioctl. */
int snap_kvm_save(struct vm *vm, struct snap_writer *w, struct err *err);

/* Load that state into vm, a new VM made by vm_create() with the same
 * memory size, vCPU count and irqchip, before vm_run(). A snapshot of
 * another shape is refused. Returns 0, or -1 with err. */
int snap_kvm_restore(struct vm *vm, const struct snap_view *v, struct err *err);

#endif
