#include "vmm/core/cpuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>

struct kvm_cpuid2 *cpuid_supported(int kvm_fd, struct err *err)
{
	for (unsigned n = 64; n <= 1024; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c) {
			err_sys(err, MVM_EXIT_INTERNAL, errno, "calloc");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			err_sys(err, MVM_EXIT_INTERNAL, errno, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	err_set(err, MVM_EXIT_INTERNAL, "KVM_GET_SUPPORTED_CPUID: table too large");
	return NULL;
}

/* Leaf 1 ECX, leaf 7 EBX/ECX/EDX and leaf 7.1 EAX features that need XSAVE
 * state (AVX and up); the guest must not see them without XSAVE. */
#define L1_ECX_XSAVE_DEPS ((1u << 12) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29))
#define L7_EBX_XSAVE_DEPS ((1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | \
			   (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
#define L7_ECX_XSAVE_DEPS ((1u << 1) | (1u << 6) | (1u << 9) | (1u << 10) | (1u << 11) | \
			   (1u << 12) | (1u << 14))
#define L7_EDX_XSAVE_DEPS ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | \
			   (1u << 24) | (1u << 25))
#define L71_EAX_XSAVE_DEPS ((1u << 4) | (1u << 5))

void cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, const struct cpuid_opts *o)
{
	uint32_t apic = (uint32_t)o->vcpu_id;
	for (unsigned i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *c = &e[i];
		switch (c->function) {
		case 1:
			c->ebx = (c->ebx & 0x0000ffffu) | (apic << 24) |
				 ((uint32_t)(o->ncpus & 0xff) << 16) | (8u << 8);
			c->ecx |= 1u << 31; /* running on a hypervisor */
			if (o->ncpus > 1)
				c->edx |= 1u << 28; /* HTT: the count in EBX is valid */
			if (o->no_xsave)
				c->ecx &= ~L1_ECX_XSAVE_DEPS;
			break;
		case 7:
			if (o->no_xsave && c->index == 0) {
				c->ebx &= ~L7_EBX_XSAVE_DEPS;
				c->ecx &= ~L7_ECX_XSAVE_DEPS;
				c->edx &= ~L7_EDX_XSAVE_DEPS;
			} else if (o->no_xsave && c->index == 1) {
				c->eax &= ~L71_EAX_XSAVE_DEPS;
			}
			break;
		case 0xb:
		case 0x1f:
			c->edx = apic; /* x2APIC ID */
			break;
		case 0xd:
			if (o->no_xsave)
				c->eax = c->ebx = c->ecx = c->edx = 0;
			break;
		default:
			break;
		}
	}
}
