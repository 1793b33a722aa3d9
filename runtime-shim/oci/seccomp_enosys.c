/* runc's -ENOSYS stub (libcontainer/seccomp/patchbpf, runc 1.1): a
 * profile's default action must not hit system calls newer than the
 * profile, or a libc probing for them (clone3, faccessat2, ...) sees EPERM
 * or a kill where the kernel would say ENOSYS, and never falls back. So
 * ahead of libseccomp's program, per architecture the profile lists, a
 * call numbered above the highest one the profile names returns ENOSYS.
 * Only the x86 family is compiled in (seccomp.h), so the stub knows
 * x86_64, its x32 mode (bit 30 of the number) and i386. */
#include <errno.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/oci/config_json.h"
#include "runtime-shim/oci/seccomp.h"

#define X32_BIT 0x40000000u

enum { A_X86_64, A_X32, A_I386, A_N };

/* Symbolic jump targets, resolved once the stub is laid out. */
enum { L_NEXT = -1, L_S64 = 0, L_X32, L_S32, L_ENOSYS, L_FILTER, L_N };

struct ins {
	uint16_t code;
	uint32_t k;
	int jt, jf;
};

/* runc skips the stub when the default action lets calls through (allow,
 * log, trace: a tracer should handle new calls itself). An ENOSYS default
 * already does what the stub would. */
static bool needs_stub(uint32_t def)
{
	return def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG &&
	       (def & 0xffff0000u) != SCMP_ACT_TRACE(0) && def != SCMP_ACT_ERRNO(ENOSYS);
}

/* The highest number the profile names, per architecture it lists; 0 for
 * an architecture not listed or naming nothing it knows (runc's
 * findLastSyscalls: unknown names and pseudo-calls are ignored, whatever
 * each rule's action). */
static void last_syscalls(json_t *prof, uint32_t max[A_N])
{
	static const uint32_t arch[A_N] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86 };
	static const char *const name[A_N] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
					       "SCMP_ARCH_X86" };
	json_t *arches = json_object_get(prof, "architectures");
	json_t *calls = json_object_get(prof, "syscalls");
	memset(max, 0, sizeof(uint32_t) * A_N);
	for (int a = 0; a < A_N; a++) {
		bool listed = false;
		size_t i, k;
		json_t *v, *sc, *n;
		json_array_foreach(arches, i, v) listed |= json_is_string(v) &&
							   !strcmp(json_string_value(v), name[a]);
		if (!listed)
			continue;
		json_array_foreach(calls, i, sc) {
			json_array_foreach(json_object_get(sc, "names"), k, n) {
				if (!json_is_string(n))
					continue;
				int nr = seccomp_syscall_resolve_name_arch(arch[a], json_string_value(n));
				if (nr > 0 && (uint32_t)nr > max[a])
					max[a] = (uint32_t)nr;
			}
		}
	}
}

/* The stub: load the architecture, branch to its section, where a number
 * above the profile's last returns ENOSYS and the rest goes on to the
 * filter (which loads what it needs itself). Fills at[] with where each
 * label is; returns the length. */
static int build(const uint32_t max[A_N], struct ins *p, int at[L_N])
{
	int n = 0;
	bool x86_64 = max[A_X86_64] || max[A_X32];
	const struct ins ja_filter = { BPF_JMP | BPF_JA, 0, L_FILTER, 0 };
	p[n++] = (struct ins){ BPF_LD | BPF_W | BPF_ABS, 4, 0, 0 }; /* arch */
	if (x86_64)
		p[n++] = (struct ins){ BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, L_S64, L_NEXT };
	if (max[A_I386])
		p[n++] = (struct ins){ BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, L_S32, L_NEXT };
	p[n++] = ja_filter;
	if (x86_64) {
		at[L_S64] = n;
		p[n++] = (struct ins){ BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 }; /* nr */
		p[n++] = (struct ins){ BPF_JMP | BPF_JSET | BPF_K, X32_BIT, L_X32, L_NEXT };
		p[n++] = max[A_X86_64] ? (struct ins){ BPF_JMP | BPF_JGT | BPF_K, max[A_X86_64],
						       L_ENOSYS, L_FILTER }
				       : ja_filter;
		at[L_X32] = n;
		p[n++] = max[A_X32] ? (struct ins){ BPF_JMP | BPF_JGT | BPF_K, max[A_X32], L_ENOSYS,
						    L_FILTER }
				    : ja_filter;
	}
	if (max[A_I386]) {
		at[L_S32] = n;
		p[n++] = (struct ins){ BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 };
		p[n++] = (struct ins){ BPF_JMP | BPF_JGT | BPF_K, max[A_I386], L_ENOSYS, L_FILTER };
	}
	at[L_ENOSYS] = n;
	p[n++] = (struct ins){ BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS), 0, 0 };
	at[L_FILTER] = n;
	return n;
}

int sc_enosys_patch(void *profile, uint32_t def, struct sc_prog *prog, struct err *err)
{
	uint32_t max[A_N];
	struct ins p[16];
	int at[L_N] = { 0 };
	if (!needs_stub(def))
		return 0;
	last_syscalls(profile, max);
	if (!max[A_X86_64] && !max[A_X32] && !max[A_I386])
		return 0;
	int n = build(max, p, at);

	if (prog->ninsns + (uint32_t)n > 4096)
		return cj_bad(err, "linux.seccomp", "the profile compiles to %u BPF instructions with "
			      "runc's ENOSYS stub, more than the kernel's 4096", prog->ninsns + n);
	struct sock_filter *out = calloc(prog->ninsns + (uint32_t)n, sizeof(*out));
	if (!out)
		return err_set(err, 1, "linux.seccomp: out of memory");
	for (int i = 0; i < n; i++) {
		out[i] = (struct sock_filter){ p[i].code, 0, 0, p[i].k };
		if (BPF_CLASS(p[i].code) != BPF_JMP)
			continue;
		if (BPF_OP(p[i].code) == BPF_JA) {
			out[i].k = (uint32_t)(at[p[i].jt] - (i + 1));
			continue;
		}
		int t = p[i].jt == L_NEXT ? i + 1 : at[p[i].jt];
		int f = p[i].jf == L_NEXT ? i + 1 : at[p[i].jf];
		out[i].jt = (uint8_t)(t - (i + 1));
		out[i].jf = (uint8_t)(f - (i + 1));
	}
	memcpy(out + n, prog->bpf, (size_t)prog->ninsns * sizeof(*out));
	free(prog->bpf);
	prog->bpf = (uint8_t *)out;
	prog->ninsns += (uint32_t)n;
	return 0;
}
