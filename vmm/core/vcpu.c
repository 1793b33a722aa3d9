#include "vmm/core/vcpu.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/x86/layout.h"

int vcpu_create(struct vcpu *v, int vm_fd, int id, size_t run_size, struct err *err)
{
	v->id = id;
	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_CREATE_VCPU %d", id);
	void *p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (p == MAP_FAILED) {
		v->run = NULL;
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "mmap of vCPU %d run page", id);
	}
	v->run = p;
	v->run_size = run_size;
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int vcpu_set_cpuid(struct vcpu *v, const struct kvm_cpuid2 *supported,
		   const struct cpuid_opts *o, struct err *err)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "malloc");
	memcpy(c, supported, sz);
	cpuid_filter(c->entries, c->nent, o);
	int r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_CPUID2 on vCPU %d", v->id);
	return 0;
}

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void lapic_set_lint(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;
	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &v, 4);
}

int vcpu_init_platform(struct vcpu *v, struct err *err)
{
	static const uint32_t idx[] = {
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_STAR,
		MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR, MSR_IA32_TSC,
		MSR_IA32_MISC_ENABLE, MSR_MTRR_DEF_TYPE,
	};
	enum { N = sizeof(idx) / sizeof(idx[0]) };
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + N * sizeof(struct kvm_msr_entry)];
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = N;
	for (int i = 0; i < N; i++)
		m.hdr.entries[i].index = idx[i];
	m.hdr.entries[N - 2].data = 1;              /* fast string operations */
	m.hdr.entries[N - 1].data = (1u << 11) | 6; /* MTRRs on, default write-back */
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (r != N)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_MSRS on vCPU %d (%d of %d set)",
			       v->id, r, N);

	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_FPU on vCPU %d", v->id);

	struct kvm_lapic_state lapic;
	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_LAPIC on vCPU %d", v->id);
	lapic_set_lint(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_lint(&lapic, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_LAPIC on vCPU %d", v->id);
	return 0;
}

/* GDT descriptors as (flags, base, limit); flags hold the access byte and
 * the G/DB/L/AVL nibble in the descriptor's own layout. */
#define GDT_CODE64 0xa09b
#define GDT_CODE32 0xc09b
#define GDT_DATA 0xc093
#define GDT_TSS 0x808b
enum { GDT_NULL, GDT_NULL2, GDT_CS, GDT_DS, GDT_TR, GDT_N };

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

static struct kvm_segment seg_from_gdt(uint64_t e, int index)
{
	uint32_t limit = (uint32_t)(((e >> 32) & 0xf0000) | (e & 0xffff));
	bool g = (e >> 55) & 1;
	return (struct kvm_segment){
		.base = ((e >> 16) & 0xffffff) | (((e >> 56) & 0xff) << 24),
		.limit = g ? (limit << 12) | 0xfff : limit,
		.selector = (uint16_t)(index * 8),
		.type = (e >> 40) & 0xf,
		.present = (e >> 47) & 1,
		.dpl = (e >> 45) & 3,
		.db = (e >> 54) & 1,
		.s = (e >> 44) & 1,
		.l = (e >> 53) & 1,
		.g = g,
		.avl = (e >> 52) & 1,
	};
}

/* Write the GDT and load the matching hidden segment state into sregs. */
static int setup_segments(const struct gmem *gm, struct kvm_sregs *s, uint16_t code_flags)
{
	uint64_t gdt[GDT_N] = {
		[GDT_CS] = gdt_entry(code_flags, 0, 0xfffff),
		[GDT_DS] = gdt_entry(GDT_DATA, 0, 0xfffff),
		[GDT_TR] = gdt_entry(GDT_TSS, 0, 0xfffff),
	};
	uint64_t idt = 0;
	if (gmem_write(gm, LAYOUT_GDT, gdt, sizeof(gdt)) < 0 ||
	    gmem_write(gm, LAYOUT_GDT + sizeof(gdt), &idt, sizeof(idt)) < 0)
		return -1;
	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = sizeof(gdt) - 1;
	s->idt.base = LAYOUT_GDT + sizeof(gdt);
	s->idt.limit = sizeof(idt) - 1;
	s->cs = seg_from_gdt(gdt[GDT_CS], GDT_CS);
	s->ds = s->es = s->fs = s->gs = s->ss = seg_from_gdt(gdt[GDT_DS], GDT_DS);
	s->tr = seg_from_gdt(gdt[GDT_TR], GDT_TR);
	return 0;
}

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

static int set_state(struct vcpu *v, struct kvm_sregs *s, struct kvm_regs *r, struct err *err)
{
	if (ioctl(v->fd, KVM_SET_SREGS, s) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_SREGS on vCPU %d", v->id);
	if (ioctl(v->fd, KVM_SET_REGS, r) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_SET_REGS on vCPU %d", v->id);
	return 0;
}

int vcpu_boot_pvh(struct vcpu *v, const struct gmem *gm, uint32_t entry, uint64_t start_info,
		  struct err *err)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_SREGS on vCPU %d", v->id);
	if (setup_segments(gm, &s, GDT_CODE32) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM too small for the GDT");
	/* PVH ABI (xen/include/public/arch-x86/hvm/start_info.h): flat 32-bit
	 * protected mode, paging off, EBX = start_info. */
	s.cr0 = CR0_PE | CR0_ET;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	struct kvm_regs r = { .rflags = 2, .rip = entry, .rbx = start_info };
	return set_state(v, &s, &r, err);
}

static int write_page_tables(const struct gmem *gm)
{
	uint64_t pml4 = LAYOUT_PDPT | 3, pdpt = LAYOUT_PD | 3;
	uint64_t pd[512];
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83; /* 2 MiB page, present, writable */
	if (gmem_write(gm, LAYOUT_PML4, &pml4, sizeof(pml4)) < 0 ||
	    gmem_write(gm, LAYOUT_PDPT, &pdpt, sizeof(pdpt)) < 0 ||
	    gmem_write(gm, LAYOUT_PD, pd, sizeof(pd)) < 0)
		return -1;
	return 0;
}

int vcpu_boot_linux64(struct vcpu *v, const struct gmem *gm, uint64_t entry, uint64_t zero_page,
		      struct err *err)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_SREGS on vCPU %d", v->id);
	if (setup_segments(gm, &s, GDT_CODE64) < 0 || write_page_tables(gm) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM too small for boot page tables");
	/* Documentation/x86/boot.rst, 64-bit boot protocol: long mode, the
	 * loaded kernel identity-mapped, RSI = boot_params. */
	s.cr3 = LAYOUT_PML4;
	s.cr4 |= CR4_PAE;
	s.cr0 = CR0_PE | CR0_ET | CR0_PG;
	s.efer |= EFER_LME | EFER_LMA;
	struct kvm_regs r = { .rflags = 2, .rip = entry, .rsp = LAYOUT_BOOT_STACK,
			      .rbp = LAYOUT_BOOT_STACK, .rsi = zero_page };
	return set_state(v, &s, &r, err);
}

int vcpu_boot_real(struct vcpu *v, uint16_t ip, uint16_t sp, struct err *err)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_SREGS on vCPU %d", v->id);
	s.cs.base = 0;
	s.cs.selector = 0;
	struct kvm_regs r = { .rflags = 2, .rip = ip, .rsp = sp };
	return set_state(v, &s, &r, err);
}

uint64_t vcpu_rip(const struct vcpu *v)
{
	struct kvm_regs r;
	if (v->fd < 0 || ioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return 0;
	return r.rip;
}
