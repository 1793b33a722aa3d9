/* linux.seccomp (config-linux.md "Seccomp") compiled to a classic BPF
 * program with libseccomp, for mvinit to install in the guest. The guest is
 * x86_64, so only the x86 family of architectures (x86_64, x86, x32) is
 * compiled in: the guest cannot make a system call of another; the others
 * are accepted and left out. */
#ifndef MVRUN_SHIM_SECCOMP_H
#define MVRUN_SHIM_SECCOMP_H

#include <stdint.h>

#include "common/err.h"

struct sc_prog {
	uint8_t *bpf;      /* ninsns struct sock_filter, host byte order (malloc'd) */
	uint32_t ninsns;
	uint32_t flags;    /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	int nunknown;      /* syscall names this libseccomp does not know: skipped, as runc does */
};

/* Compile `profile` (the json_t object linux.seccomp) into out. Returns 0, or
 * -1 with err naming the field ("config.json: linux.seccomp.syscalls[3].action:
 * ..."), for an unknown action or architecture, a bad argument rule, an
 * action the VM cannot honour (SCMP_ACT_NOTIFY: its listener would have to be
 * outside the VM), or a program above the kernel's 4096 instructions. Free
 * with sc_free(). */
int sc_compile(void *profile, struct sc_prog *out, struct err *err);

/* Free what sc_compile made and zero p. */
void sc_free(struct sc_prog *p);

/* runc's ENOSYS stub (seccomp_enosys.c): unless the default action `def`
 * lets calls through, prepend to prog a check that makes every call
 * numbered above the highest one `profile` names, per architecture it
 * lists, fail with ENOSYS. Returns 0, or -1 with err (the program would
 * pass the kernel's 4096 instructions). */
int sc_enosys_patch(void *profile, uint32_t def, struct sc_prog *prog, struct err *err);

#endif
