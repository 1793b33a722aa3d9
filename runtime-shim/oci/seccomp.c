/* The OCI seccomp profile → BPF (seccomp.h), following runc's libcontainer/
 * seccomp: the default action with defaultErrnoRet, a rule per syscall
 * name (names libseccomp does not know are skipped, rules whose action is
 * the default are dropped), arguments ANDed in one rule unless two name the
 * same index, in which case each becomes its own rule (ORed); then runc's
 * ENOSYS stub ahead of it (seccomp_enosys.c). */
#include "runtime-shim/oci/seccomp.h"

#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/oci/config_json.h"

#define SC_MAX_INSNS 4096 /* BPF_MAXINSNS */

/* An action name (and errnoRet, default EPERM as runc) as libseccomp's. */
static int parse_action(const char *name, bool has_errno, uint32_t errno_ret, const char *field,
			uint32_t *out, struct err *err)
{
	uint32_t e = has_errno ? errno_ret : EPERM;
	if (has_errno && errno_ret > 4095)
		return cj_bad(err, field, "errnoRet %u is not an errno", errno_ret);
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(e); /* no tracer in the guest: the call fails with ENOSYS */
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return cj_bad(err, field, "SCMP_ACT_NOTIFY is not supported: the container's seccomp "
			      "agent would have to run inside its VM, not behind listenerPath on the host");
	else
		return cj_bad(err, field, "unknown action \"%s\"", name);
	return 0;
}

static int parse_op(const char *op, const char *field, enum scmp_compare *out, struct err *err)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name)) {
			*out = ops[i].op;
			return 0;
		}
	return cj_bad(err, field, "unknown operator \"%s\"", op);
}

static int add_arches(scmp_filter_ctx ctx, json_t *prof, struct err *err)
{
	const char **names;
	int n;
	if (cj_strs(prof, "architectures", "linux.seccomp.architectures", &names, &n, err) < 0)
		return -1;
	int r = 0;
	for (int i = 0; i < n && !r; i++) {
		char f[64];
		snprintf(f, sizeof(f), "linux.seccomp.architectures[%d]", i);
		char lower[32];
		size_t k = 0;
		if (strncmp(names[i], "SCMP_ARCH_", 10) || strlen(names[i] + 10) >= sizeof(lower)) {
			r = cj_bad(err, f, "\"%s\" is not an architecture (SCMP_ARCH_...)", names[i]);
			break;
		}
		for (const char *s = names[i] + 10; *s; s++)
			lower[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
		lower[k] = 0;
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (!arch) {
			r = cj_bad(err, f, "unknown architecture \"%s\"", names[i]);
			break;
		}
		if (arch != SCMP_ARCH_X86_64 && arch != SCMP_ARCH_X86 && arch != SCMP_ARCH_X32)
			continue; /* the guest is x86_64: it cannot make these calls */
		int e = seccomp_arch_add(ctx, arch);
		if (e < 0 && e != -EEXIST)
			r = cj_bad(err, f, "libseccomp cannot add %s: %s", names[i], strerror(-e));
	}
	free(names);
	return r;
}

static int parse_flags(json_t *prof, uint32_t *out, struct err *err)
{
	const char **names;
	int n, r = 0;
	*out = 0;
	if (cj_strs(prof, "flags", "linux.seccomp.flags", &names, &n, err) < 0)
		return -1;
	for (int i = 0; i < n && !r; i++) {
		if (!strcmp(names[i], "SECCOMP_FILTER_FLAG_TSYNC"))
			*out |= 1; /* the process is single-threaded at install: harmless */
		else if (!strcmp(names[i], "SECCOMP_FILTER_FLAG_LOG"))
			*out |= 2;
		else if (!strcmp(names[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			*out |= 4;
		else
			r = cj_bad(err, "linux.seccomp.flags", "\"%s\" is not supported", names[i]);
	}
	free(names);
	return r;
}

/* One rule's argument conditions (at most 6). */
static int parse_args(json_t *sc, const char *field, struct scmp_arg_cmp *cmp, int *ncmp,
		      bool *same_index, struct err *err)
{
	json_t *a;
	size_t n;
	char fa[128];
	snprintf(fa, sizeof(fa), "%s.args", field);
	*ncmp = 0;
	*same_index = false;
	if (cj_arr(sc, "args", fa, false, &a, &n, err) < 0)
		return -1;
	if (n > 6)
		return cj_bad(err, fa, "%zu conditions; libseccomp takes at most 6", n);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		char f[160], fi[176], fv[176], fv2[176], fo[176];
		uint32_t index;
		uint64_t value = 0, value2 = 0;
		const char *op;
		enum scmp_compare c = SCMP_CMP_EQ;
		snprintf(f, sizeof(f), "%s[%zu]", fa, i);
		snprintf(fi, sizeof(fi), "%s.index", f);
		snprintf(fv, sizeof(fv), "%s.value", f);
		snprintf(fv2, sizeof(fv2), "%s.valueTwo", f);
		snprintf(fo, sizeof(fo), "%s.op", f);
		if (!json_is_object(o))
			return cj_bad(err, f, "must be an object");
		if (cj_u32(o, "index", fi, true, NULL, &index, err) < 0 ||
		    cj_u64(o, "value", fv, true, NULL, &value, err) < 0 ||
		    cj_u64(o, "valueTwo", fv2, false, NULL, &value2, err) < 0 ||
		    cj_str(o, "op", fo, true, &op, err) < 0 || parse_op(op, fo, &c, err) < 0)
			return -1;
		if (index > 5)
			return cj_bad(err, fi, "%u is not a syscall argument (0 to 5)", index);
		for (size_t k = 0; k < i; k++)
			*same_index |= cmp[k].arg == index;
		cmp[i] = (struct scmp_arg_cmp){ .arg = index, .op = c, .datum_a = value,
						.datum_b = value2 };
	}
	*ncmp = (int)n;
	return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, json_t *prof, uint32_t def, int *nunknown,
			struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(prof, "syscalls", "linux.seccomp.syscalls", false, &a, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *sc = json_array_get(a, i);
		char f[64], fa[96], fe[96], fn[96];
		const char *action, **names;
		uint32_t act, errno_ret;
		bool has_errno, same_index;
		struct scmp_arg_cmp cmp[6];
		int ncmp, nnames;
		snprintf(f, sizeof(f), "linux.seccomp.syscalls[%zu]", i);
		snprintf(fa, sizeof(fa), "%s.action", f);
		snprintf(fe, sizeof(fe), "%s.errnoRet", f);
		snprintf(fn, sizeof(fn), "%s.names", f);
		if (!json_is_object(sc))
			return cj_bad(err, f, "must be an object");
		if (cj_str(sc, "action", fa, true, &action, err) < 0 ||
		    cj_u32(sc, "errnoRet", fe, false, &has_errno, &errno_ret, err) < 0 ||
		    parse_action(action, has_errno, errno_ret, fa, &act, err) < 0 ||
		    parse_args(sc, f, cmp, &ncmp, &same_index, err) < 0 ||
		    cj_strs(sc, "names", fn, &names, &nnames, err) < 0)
			return -1;
		int r = 0;
		for (int k = 0; k < nnames && !r && act != def; k++) {
			int nr = seccomp_syscall_resolve_name(names[k]);
			if (nr == __NR_SCMP_ERROR) {
				(*nunknown)++;
				continue;
			}
			if (!same_index) {
				r = seccomp_rule_add_array(ctx, act, nr, (unsigned)ncmp, cmp);
			} else {
				for (int c = 0; c < ncmp && !r; c++)
					r = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[c]);
			}
			if (r < 0)
				cj_bad(err, f, "libseccomp refuses the rule for %s: %s", names[k],
				       strerror(-r));
		}
		free(names);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* libseccomp 2.5 exports to an fd only: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct sc_prog *out, struct err *err)
{
	int fd = memfd_create("mvrun-seccomp", MFD_CLOEXEC), r;
	struct stat st;
	if (fd < 0)
		return err_sys(err, 1, errno, "linux.seccomp: memfd_create");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return err_set(err, 1, "linux.seccomp: libseccomp cannot export the program: %s",
			       strerror(r < 0 ? -r : errno));
	}
	size_t len = (size_t)st.st_size;
	if (len == 0 || len % 8) {
		close(fd);
		return err_set(err, 1, "linux.seccomp: libseccomp exported %zu bytes", len);
	}
	if (len / 8 > SC_MAX_INSNS) {
		close(fd);
		return cj_bad(err, "linux.seccomp", "the profile compiles to %zu BPF instructions, "
			      "more than the kernel's %d", len / 8, SC_MAX_INSNS);
	}
	out->bpf = malloc(len);
	if (!out->bpf || pread(fd, out->bpf, len, 0) != (ssize_t)len) {
		close(fd);
		return err_set(err, 1, "linux.seccomp: could not read the exported program");
	}
	close(fd);
	out->ninsns = (uint32_t)(len / 8);
	return 0;
}

int sc_compile(void *profile, struct sc_prog *out, struct err *err)
{
	json_t *prof = profile;
	const char *defname;
	uint32_t def, def_errno;
	bool has_def_errno;
	memset(out, 0, sizeof(*out));
	if (cj_str(prof, "defaultAction", "linux.seccomp.defaultAction", true, &defname, err) < 0 ||
	    cj_u32(prof, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet", false, &has_def_errno,
		   &def_errno, err) < 0 ||
	    parse_action(defname, has_def_errno, def_errno, "linux.seccomp.defaultAction", &def,
			 err) < 0 ||
	    parse_flags(prof, &out->flags, err) < 0)
		return -1;
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return err_set(err, 1, "linux.seccomp: libseccomp cannot start a filter");
	/* mvinit sets no_new_privs itself, only when the config asks. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		err_set(err, 1, "linux.seccomp: libseccomp: %s", strerror(-r));
	if (r < 0 || add_arches(ctx, prof, err) < 0 ||
	    add_syscalls(ctx, prof, def, &out->nunknown, err) < 0 || export_bpf(ctx, out, err) < 0 ||
	    sc_enosys_patch(prof, def, out, err) < 0) {
		seccomp_release(ctx);
		sc_free(out);
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}

void sc_free(struct sc_prog *p)
{
	free(p->bpf);
	memset(p, 0, sizeof(*p));
}
