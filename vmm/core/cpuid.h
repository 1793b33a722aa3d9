/* The CPUID the guest sees: what KVM supports, with the topology set per
 * vCPU, the hypervisor bit on, and optionally XSAVE (and everything built on
 * it) hidden, which the nested test host needs (nested-host.md). */
#ifndef MVM_CPUID_H
#define MVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "vmm/core/err.h"

struct cpuid_opts {
	int vcpu_id;   /* also the APIC ID */
	int ncpus;
	bool no_xsave;
};

/* KVM_GET_SUPPORTED_CPUID. Returns a malloc'd table (caller frees), or NULL
 * with err set. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd, struct err *err);

/* Adjust a copy of the supported table for one vCPU, in place. */
void cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, const struct cpuid_opts *o);

#endif
