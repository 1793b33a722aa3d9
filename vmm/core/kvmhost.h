/* Can this host boot a Linux guest under its /dev/kvm? kvm_pvm (a software
 * hypervisor) runs tiny guests but not Linux: the kernel falls into KVM's
 * instruction emulator and fails or crawls. mvm refuses early and says so. */
#ifndef MVM_KVMHOST_H
#define MVM_KVMHOST_H

#include "vmm/core/err.h"

/* Returns 0 if a Linux guest can boot here, or -1 with err (MVM_EXIT_NOHOST)
 * naming the cause and the way out. The environment variable
 * MVM_ALLOW_SOFT_KVM=1 skips the vmx/svm and kvm_pvm checks. */
int kvmhost_check_linux(struct err *err);

#endif
