#include "vmm/snap/snap_kvm.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define SNAP_MAX_MSRS 1024

/* Run an MSR ioctl (KVM_GET_MSRS or KVM_SET_MSRS) over entries[0..*n):
 * KVM stops at the first entry it refuses; that one is dropped and the rest
 * tried again, so *n ends as the entries that went through. */
static int msrs_each(int fd, unsigned long req, struct kvm_msr_entry *e, uint32_t *n)
{
	uint32_t done = 0;
	while (done < *n) {
		uint32_t left = *n - done;
		struct kvm_msrs *q = calloc(1, sizeof(*q) + left * sizeof(q->entries[0]));
		if (!q)
			return -1;
		q->nmsrs = left;
		memcpy(q->entries, &e[done], left * sizeof(e[0]));
		int r = ioctl(fd, req, q);
		if (r >= 0)
			memcpy(&e[done], q->entries, (size_t)r * sizeof(e[0]));
		free(q);
		if (r < 0)
			return -1;
		done += (uint32_t)r;
		if (done < *n) {
			memmove(&e[done], &e[done + 1], (*n - done - 1) * sizeof(e[0]));
			(*n)--;
		}
	}
	return 0;
}

/* The MSRs KVM says it saves and restores (KVM_GET_MSR_INDEX_LIST) that
 * this vCPU lets mvm read and then write back as they are (the VM is
 * stopped, so writing a value back changes nothing): exactly what a restore
 * on this host can set. */
static int save_msrs(struct vm *vm, struct vcpu *c, struct snap_writer *w, struct err *err)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + SNAP_MAX_MSRS * sizeof(uint32_t));
	struct kvm_msr_entry *e = calloc(SNAP_MAX_MSRS, sizeof(*e));
	int ret = -1;
	if (!list || !e) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: malloc");
		goto out;
	}
	list->nmsrs = SNAP_MAX_MSRS;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_MSR_INDEX_LIST");
		goto out;
	}
	uint32_t n = list->nmsrs < SNAP_MAX_MSRS ? list->nmsrs : SNAP_MAX_MSRS;
	for (uint32_t i = 0; i < n; i++)
		e[i].index = list->indices[i];
	if (msrs_each(c->fd, KVM_GET_MSRS, e, &n) < 0 || msrs_each(c->fd, KVM_SET_MSRS, e, &n) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_MSRS/KVM_SET_MSRS on vCPU %d", c->id);
		goto out;
	}
	snap_add(w, SNAP_CPU_MSRS, (uint32_t)c->id, e, n * sizeof(e[0]));
	ret = 0;
out:
	free(list);
	free(e);
	return ret;
}

#define GET(fd, req, what, obj, id)                                                        \
	do {                                                                               \
		if (ioctl(fd, req, obj) < 0)                                               \
			return err_sys(err, MVM_EXIT_INTERNAL, errno, what " on vCPU %d", id);  \
	} while (0)

static int save_vcpu(struct vm *vm, struct vcpu *c, bool xsave, bool xcrs,
		     struct snap_writer *w, struct err *err)
{
	uint32_t id = (uint32_t)c->id;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	GET(c->fd, KVM_GET_REGS, "KVM_GET_REGS", &regs, c->id);
	GET(c->fd, KVM_GET_SREGS, "KVM_GET_SREGS", &sregs, c->id);
	GET(c->fd, KVM_GET_MP_STATE, "KVM_GET_MP_STATE", &mp, c->id);
	GET(c->fd, KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", &ev, c->id);
	GET(c->fd, KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", &dr, c->id);
	snap_add(w, SNAP_CPU_REGS, id, &regs, sizeof(regs));
	snap_add(w, SNAP_CPU_SREGS, id, &sregs, sizeof(sregs));
	snap_add(w, SNAP_CPU_MPSTATE, id, &mp, sizeof(mp));
	snap_add(w, SNAP_CPU_EVENTS, id, &ev, sizeof(ev));
	snap_add(w, SNAP_CPU_DEBUGREGS, id, &dr, sizeof(dr));
	if (xsave) {
		struct kvm_xsave *x = calloc(1, sizeof(*x));
		if (!x)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: malloc");
		int r = ioctl(c->fd, KVM_GET_XSAVE, x);
		if (r == 0)
			snap_add(w, SNAP_CPU_XSAVE, id, x, sizeof(*x));
		free(x);
		if (r < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_XSAVE on vCPU %d", c->id);
	} else {
		struct kvm_fpu fpu;
		GET(c->fd, KVM_GET_FPU, "KVM_GET_FPU", &fpu, c->id);
		snap_add(w, SNAP_CPU_FPU, id, &fpu, sizeof(fpu));
	}
	if (xcrs) {
		struct kvm_xcrs x;
		GET(c->fd, KVM_GET_XCRS, "KVM_GET_XCRS", &x, c->id);
		snap_add(w, SNAP_CPU_XCRS, id, &x, sizeof(x));
	}
	if (vm->irqchip) {
		struct kvm_lapic_state l;
		GET(c->fd, KVM_GET_LAPIC, "KVM_GET_LAPIC", &l, c->id);
		snap_add(w, SNAP_CPU_LAPIC, id, &l, sizeof(l));
	}
	return save_msrs(vm, c, w, err);
}

static bool has_cap(struct vm *vm, long cap)
{
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int snap_kvm_save(struct vm *vm, struct snap_writer *w, struct err *err)
{
	struct snap_vm_info info = {
		.mem_bytes = vm->gm.size,
		.ncpus = (uint32_t)vm->ncpus,
		.irqchip = vm->irqchip,
	};
	snap_add(w, SNAP_VM, 0, &info, sizeof(info));
	bool xsave = has_cap(vm, KVM_CAP_XSAVE), xcrs = has_cap(vm, KVM_CAP_XCRS);
	for (int i = 0; i < vm->ncpus; i++)
		if (save_vcpu(vm, &vm->vcpus[i], xsave, xcrs, w, err) < 0)
			return -1;
	if (!vm->irqchip)
		return 0;
	for (uint32_t chip = 0; chip < 3; chip++) { /* PIC master, PIC slave, IOAPIC */
		struct kvm_irqchip ic = { .chip_id = chip };
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &ic) < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_IRQCHIP %u", chip);
		snap_add(w, SNAP_IRQCHIP, chip, &ic, sizeof(ic));
	}
	struct kvm_pit_state2 pit;
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_PIT2");
	snap_add(w, SNAP_PIT, 0, &pit, sizeof(pit));
	struct kvm_clock_data clk = { 0 };
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clk) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_CLOCK");
	snap_add(w, SNAP_CLOCK, 0, &clk, sizeof(clk));
	return 0;
}

#define SET(fd, req, what, obj, id)                                                        \
	do {                                                                               \
		if (ioctl(fd, req, obj) < 0)                                               \
			return err_sys(err, MVM_EXIT_INTERNAL, errno, what " on vCPU %d", id);  \
	} while (0)

/* On AMD, TR goes back as an available 64-bit TSS (type 9), not busy (11)
 * as KVM reports it there: QEMU's TCG SVM (the nested test host) checks a
 * user process's I/O permission bitmap only through an available TSS
 * (target/i386 check_io), so mvinit would lose the ports ioperm() gave it.
 * SVM's VMRUN checks no TR type and 64-bit mode has no task switch to care;
 * VMX does require a busy TR at entry, so Intel keeps it as it is. */
static bool amd_host(void)
{
	unsigned a, b, c, d;
	return __get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541; /* "Auth"enticAMD */
}

/* KVM's restore order (as Firecracker's): MSRs, registers, special
 * registers, FPU, XCRs, debug registers, then the LAPIC (its base is in the
 * MSRs and special registers), MP state and pending events last. */
static int restore_vcpu(struct vm *vm, struct vcpu *c, const struct snap_view *v,
			struct err *err)
{
	uint32_t id = (uint32_t)c->id;
	const struct snap_section *ms = snap_find(v, SNAP_CPU_MSRS, id);
	if (!ms || ms->len % sizeof(struct kvm_msr_entry) ||
	    ms->len / sizeof(struct kvm_msr_entry) > SNAP_MAX_MSRS)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: vCPU %d: MSRs missing or malformed",
			       c->id);
	uint32_t n = (uint32_t)(ms->len / sizeof(struct kvm_msr_entry));
	struct kvm_msrs *m = calloc(1, sizeof(*m) + ms->len);
	if (!m)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: malloc");
	m->nmsrs = n;
	memcpy(m->entries, ms->data, ms->len);
	int r = ioctl(c->fd, KVM_SET_MSRS, m);
	free(m);
	if (r != (int)n)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: vCPU %d: KVM_SET_MSRS took %d of "
			       "%u MSRs", c->id, r, n);

	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	if (snap_get(v, SNAP_CPU_REGS, id, &regs, sizeof(regs), err) < 0 ||
	    snap_get(v, SNAP_CPU_SREGS, id, &sregs, sizeof(sregs), err) < 0 ||
	    snap_get(v, SNAP_CPU_MPSTATE, id, &mp, sizeof(mp), err) < 0 ||
	    snap_get(v, SNAP_CPU_EVENTS, id, &ev, sizeof(ev), err) < 0 ||
	    snap_get(v, SNAP_CPU_DEBUGREGS, id, &dr, sizeof(dr), err) < 0)
		return -1;
	if (amd_host() && sregs.tr.type == 11)
		sregs.tr.type = 9;
	SET(c->fd, KVM_SET_REGS, "KVM_SET_REGS", &regs, c->id);
	SET(c->fd, KVM_SET_SREGS, "KVM_SET_SREGS", &sregs, c->id);
	if (snap_find(v, SNAP_CPU_XSAVE, id)) {
		struct kvm_xsave *x = calloc(1, sizeof(*x));
		if (!x)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: malloc");
		int rr = snap_get(v, SNAP_CPU_XSAVE, id, x, sizeof(*x), err);
		if (rr == 0 && ioctl(c->fd, KVM_SET_XSAVE, x) < 0)
			rr = err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_XSAVE on vCPU %d", c->id);
		free(x);
		if (rr < 0)
			return -1;
	} else {
		struct kvm_fpu fpu;
		if (snap_get(v, SNAP_CPU_FPU, id, &fpu, sizeof(fpu), err) < 0)
			return -1;
		SET(c->fd, KVM_SET_FPU, "KVM_SET_FPU", &fpu, c->id);
	}
	if (snap_find(v, SNAP_CPU_XCRS, id)) {
		struct kvm_xcrs x;
		if (snap_get(v, SNAP_CPU_XCRS, id, &x, sizeof(x), err) < 0)
			return -1;
		SET(c->fd, KVM_SET_XCRS, "KVM_SET_XCRS", &x, c->id);
	}
	SET(c->fd, KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", &dr, c->id);
	if (vm->irqchip) {
		struct kvm_lapic_state l;
		if (snap_get(v, SNAP_CPU_LAPIC, id, &l, sizeof(l), err) < 0)
			return -1;
		SET(c->fd, KVM_SET_LAPIC, "KVM_SET_LAPIC", &l, c->id);
	}
	SET(c->fd, KVM_SET_MP_STATE, "KVM_SET_MP_STATE", &mp, c->id);
	SET(c->fd, KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", &ev, c->id);
	return 0;
}

int snap_kvm_restore(struct vm *vm, const struct snap_view *v, struct err *err)
{
	struct snap_vm_info info;
	if (snap_get(v, SNAP_VM, 0, &info, sizeof(info), err) < 0)
		return -1;
	if (info.mem_bytes != vm->gm.size || info.ncpus != (uint32_t)vm->ncpus ||
	    info.irqchip != (uint32_t)vm->irqchip)
		return err_set(err, MVM_EXIT_BADARG, "snapshot: of a VM with %llu bytes, %u vCPUs%s; "
			       "this one has %llu bytes, %d vCPUs%s",
			       (unsigned long long)info.mem_bytes, info.ncpus,
			       info.irqchip ? ", irqchip" : "", (unsigned long long)vm->gm.size,
			       vm->ncpus, vm->irqchip ? ", irqchip" : "");
	if (vm->irqchip) {
		for (uint32_t chip = 0; chip < 3; chip++) {
			struct kvm_irqchip ic;
			if (snap_get(v, SNAP_IRQCHIP, chip, &ic, sizeof(ic), err) < 0)
				return -1;
			if (ic.chip_id != chip)
				return err_set(err, MVM_EXIT_BADARG, "snapshot: irqchip %u says it is %u",
					       chip, ic.chip_id);
			if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &ic) < 0)
				return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_IRQCHIP %u", chip);
		}
		struct kvm_pit_state2 pit;
		struct kvm_clock_data clk;
		if (snap_get(v, SNAP_PIT, 0, &pit, sizeof(pit), err) < 0 ||
		    snap_get(v, SNAP_CLOCK, 0, &clk, sizeof(clk), err) < 0)
			return -1;
		if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_PIT2");
		clk.flags = 0; /* KVM takes no flags but its own on set */
		if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clk) < 0)
			return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_CLOCK");
	}
	for (int i = 0; i < vm->ncpus; i++)
		if (restore_vcpu(vm, &vm->vcpus[i], v, err) < 0)
			return -1;
	return 0;
}
