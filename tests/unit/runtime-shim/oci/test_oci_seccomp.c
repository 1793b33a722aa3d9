/* runtime-shim/oci/seccomp.c: OCI profiles compiled with libseccomp. The
 * programs are run for real: a forked child sets no_new_privs, installs
 * one and reports what its system calls return (the host is x86_64, as the
 * guest is). */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/oci/seccomp.h"

static struct sc_prog prog;
static struct err err;

/* Compile a profile written with ' for ". Returns sc_compile's result. */
static int compile(const char *text)
{
	char *t = strdup(text);
	json_error_t je;
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_t *j = json_loads(t, JSON_DECODE_INT_AS_REAL, &je);
	cr_assert_not_null(j, "%s: %s", t, je.text);
	free(t);
	sc_free(&prog);
	memset(&err, 0, sizeof(err));
	int r = sc_compile(j, &prog, &err);
	json_decref(j);
	if (r < 0)
		cr_assert_null(prog.bpf, "a failed compile left the program");
	return r;
}

enum probe { P_MKDIR, P_UNSHARE_USER, P_UNSHARE_UTS_NOCAP, P_PERSONALITY_8, P_PERSONALITY_Q,
	     P_PERSONALITY_X, P_GETPID, P_GETPPID, P_GETRANDOM, P_X32_GETRANDOM };

/* In a child under the program: the errno of one call (0 if it worked), or
 * 1000 + the signal that killed it. */
static int run(enum probe what)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sock_fprog fp = { (unsigned short)prog.ninsns, (struct sock_filter *)prog.bpf };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
			_exit(200);
		long r = 0;
		errno = 0;
		switch (what) {
		case P_MKDIR: r = mkdir("/nonexistent-dir/x", 0700); break;
		case P_UNSHARE_USER: r = unshare(CLONE_NEWUSER); break;
		case P_UNSHARE_UTS_NOCAP: r = syscall(SYS_unshare, 0); break;
		case P_PERSONALITY_8: r = personality(8); break;
		case P_PERSONALITY_Q: r = personality(0xffffffff); break;
		case P_PERSONALITY_X: r = personality(0x20000); break;
		case P_GETPID: r = syscall(SYS_getpid) > 0 ? 0 : -1; break;
		case P_GETPPID: r = syscall(SYS_getppid) > 0 ? 0 : -1; break;
		case P_GETRANDOM: r = syscall(SYS_getrandom, &r, 1, 0) == 1 ? 0 : -1; break;
		/* The x32 ABI's getrandom: bit 30 set. seccomp sees it whether or
		 * not this kernel has x32. */
		case P_X32_GETRANDOM: r = syscall(0x40000000 | SYS_getrandom, &r, 1, 0); break;
		}
		/* Straight to exit_group: nothing (a sanitizer's exit path) in between. */
		syscall(SYS_exit_group, r < 0 ? (errno > 199 ? 199 : errno) : 0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 1000 + WTERMSIG(st);
	cr_assert_neq(WEXITSTATUS(st), 200, "could not install the program");
	return WEXITSTATUS(st);
}

Test(oci_seccomp, errno_rule_and_default_allow)
{
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64',"
			     " 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'syscalls': [{'names': ['mkdir',"
			     " 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}"), 0, "%s", err.msg);
	cr_assert_gt(prog.ninsns, 3);
	cr_assert_eq(prog.flags, 0);
	cr_assert_eq(run(P_MKDIR), EACCES);
	cr_assert_eq(run(P_GETPID), 0);
	/* Without errnoRet, EPERM (runc's default). */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
			     " 'action': 'SCMP_ACT_ERRNO'}]}"), 0);
	cr_assert_eq(run(P_MKDIR), EPERM);
	cr_assert_eq(run(P_MKDIR), EPERM);
}

Test(oci_seccomp, default_errno_with_an_allowlist)
{
	/* A few calls allowed, everything else ENOSYS, as podman's default. */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38, 'syscalls':"
			     " [{'names': ['exit_group', 'exit', 'getpid', 'rt_sigreturn'],"
			     " 'action': 'SCMP_ACT_ALLOW'}]}"), 0, "%s", err.msg);
	cr_assert_eq(run(P_GETPID), 0);
	cr_assert_eq(run(P_MKDIR), ENOSYS);
}

Test(oci_seccomp, argument_rules)
{
	/* Masked equality: only unshare(CLONE_NEWUSER) is refused. */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['unshare'],"
			     " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1, 'args': [{'index': 0,"
			     " 'value': 268435456, 'valueTwo': 268435456, 'op': 'SCMP_CMP_MASKED_EQ'}]}]}"),
		     0, "%s", err.msg);
	cr_assert_eq(run(P_UNSHARE_USER), EPERM);
	cr_assert_eq(run(P_UNSHARE_UTS_NOCAP), 0, "unshare(0) is allowed");
	/* Two conditions on one index are ORed (each its own rule), as runc. */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['personality'],"
			     " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 22, 'args': [{'index': 0, 'value': 8,"
			     " 'op': 'SCMP_CMP_EQ'}, {'index': 0, 'value': 131072, 'op': 'SCMP_CMP_EQ'}]}]}"),
		     0, "%s", err.msg);
	cr_assert_eq(run(P_PERSONALITY_8), EINVAL);
	cr_assert_eq(run(P_PERSONALITY_X), EINVAL);
	cr_assert_eq(run(P_PERSONALITY_Q), 0);
}

Test(oci_seccomp, kill_actions)
{
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'],"
			     " 'action': 'SCMP_ACT_KILL_PROCESS'}, {'names': ['personality'],"
			     " 'action': 'SCMP_ACT_KILL'}]}"), 0, "%s", err.msg);
	cr_assert_eq(run(P_MKDIR), 1000 + SIGSYS);
	cr_assert_eq(run(P_PERSONALITY_8), 1000 + SIGSYS);
	cr_assert_eq(run(P_GETPID), 0);
}

Test(oci_seccomp, what_is_skipped)
{
	/* Unknown names are counted and skipped; a rule with the default
	 * action is dropped; other architectures are left out (the guest is
	 * x86_64); TRACE, LOG and TRAP compile. */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': ['SCMP_ARCH_AARCH64',"
			     " 'SCMP_ARCH_S390X', 'SCMP_ARCH_RISCV64'], 'flags': ['SECCOMP_FILTER_FLAG_LOG',"
			     " 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],"
			     " 'syscalls': [{'names': ['read', 'not_a_syscall', 'nor_this'], 'action': 'SCMP_ACT_ALLOW'},"
			     " {'names': ['write'], 'action': 'SCMP_ACT_ERRNO'},"
			     " {'names': ['uselib'], 'action': 'SCMP_ACT_TRACE'},"
			     " {'names': ['kexec_load'], 'action': 'SCMP_ACT_LOG'},"
			     " {'names': ['vhangup'], 'action': 'SCMP_ACT_TRAP'}]}"), 0, "%s", err.msg);
	cr_assert_eq(prog.nunknown, 2);
	cr_assert_eq(prog.flags, 7);
}

Test(oci_seccomp, refusals)
{
	static const char *const bad[][2] = {
		{ "{}", "config.json: linux.seccomp.defaultAction: missing (required)" },
		{ "{'defaultAction': 'SCMP_ACT_NOPE'}",
		  "config.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_NOTIFY'}],"
		  " 'listenerPath': '/run/agent.sock'}",
		  "config.json: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported: the "
		  "container's seccomp agent would have to run inside its VM, not behind listenerPath on the "
		  "host" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_VAX']}",
		  "config.json: linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['x86_64']}",
		  "config.json: linux.seccomp.architectures[0]: \"x86_64\" is not an architecture (SCMP_ARCH_...)" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_NEW_LISTENER']}",
		  "config.json: linux.seccomp.flags: \"SECCOMP_FILTER_FLAG_NEW_LISTENER\" is not supported" },
		{ "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 5000}",
		  "config.json: linux.seccomp.defaultAction: errnoRet 5000 is not an errno" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ERRNO',"
		  " 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}",
		  "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument (0 to 5)" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ERRNO',"
		  " 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_ISH'}]}]}",
		  "config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ISH\"" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ERRNO',"
		  " 'args': [{'index': 0, 'op': 'SCMP_CMP_EQ'}]}]}",
		  "config.json: linux.seccomp.syscalls[0].args[0].value: missing (required)" },
		{ "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': 'read', 'action': 'SCMP_ACT_ERRNO'}]}",
		  "config.json: linux.seccomp.syscalls[0].names: must be an array of strings" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(compile(bad[i][0]), -1, "accepted %s", bad[i][0]);
		cr_assert_str_eq(err.msg, bad[i][1]);
	}
}

Test(oci_seccomp, too_large_a_program)
{
	/* Each personality value is its own comparison: past 4096 instructions. */
	size_t cap = 1 << 20, n = 0;
	char *t = malloc(cap);
	n += (size_t)snprintf(t + n, cap - n, "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(t + n, cap - n, "%s{'names': ['personality'], 'action': "
				      "'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': %d, 'op': "
				      "'SCMP_CMP_EQ'}]}", i ? "," : "", i + 1);
	snprintf(t + n, cap - n, "]}");
	cr_assert_eq(compile(t), -1, "%u instructions", prog.ninsns);
	cr_assert(strstr(err.msg, "BPF instructions, more than the kernel's 4096"), "%s", err.msg);
	free(t);
}

/* The allowlist podman's and Docker's profiles are built like, with an
 * EPERM or kill default: getrandom (318) is newer than the last call it
 * names (exit_group, 231). */
#define OLD_PROFILE(def)                                                                      \
	"{'defaultAction': '" def "', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'," \
	" 'SCMP_ARCH_X32'], 'syscalls': [{'names': ['exit_group', 'exit', 'getpid'],"         \
	" 'action': 'SCMP_ACT_ALLOW'}]}"

Test(oci_seccomp, calls_newer_than_the_profile_get_enosys)
{
	/* runc's patchbpf stub: a call numbered above the profile's last fails
	 * with ENOSYS (so libcs fall back), one below it gets the default. */
	cr_assert_eq(compile(OLD_PROFILE("SCMP_ACT_ERRNO")), 0, "%s", err.msg);
	cr_assert_eq(run(P_GETPID), 0);
	cr_assert_eq(run(P_GETPPID), EPERM);
	cr_assert_eq(run(P_GETRANDOM), ENOSYS);
	cr_assert_eq(run(P_X32_GETRANDOM), ENOSYS);
	cr_assert_eq(compile(OLD_PROFILE("SCMP_ACT_KILL_PROCESS")), 0, "%s", err.msg);
	cr_assert_eq(run(P_GETPPID), 1000 + SIGSYS);
	cr_assert_eq(run(P_GETRANDOM), ENOSYS);
	/* A rule for a newer call, whatever its action, moves the line up. */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': ['SCMP_ARCH_X86_64'],"
			     " 'syscalls': [{'names': ['exit_group', 'getpid'], 'action': 'SCMP_ACT_ALLOW'},"
			     " {'names': ['getrandom'], 'action': 'SCMP_ACT_ERRNO'}]}"), 0, "%s", err.msg);
	cr_assert_eq(run(P_GETRANDOM), EPERM);
}

Test(oci_seccomp, no_enosys_stub_where_runc_adds_none)
{
	/* A permissive default (allow, log, trace) gets no stub... */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64'],"
			     " 'syscalls': [{'names': ['getppid'], 'action': 'SCMP_ACT_ERRNO'}]}"), 0,
		     "%s", err.msg);
	cr_assert_eq(run(P_GETRANDOM), 0);
	cr_assert_eq(run(P_GETPPID), EPERM);
	/* ...nor does a profile listing no architectures (runc patches only
	 * the ones listed). */
	cr_assert_eq(compile("{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['exit_group',"
			     " 'getpid'], 'action': 'SCMP_ACT_ALLOW'}]}"), 0, "%s", err.msg);
	cr_assert_eq(run(P_GETRANDOM), EPERM);
	cr_assert_eq(run(P_GETPID), 0);
}
