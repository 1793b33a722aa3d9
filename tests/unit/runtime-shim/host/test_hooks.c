/* hooks: OCI hooks run on the host with the state on stdin, output
 * captured, a timeout, and a clean exec (no fds, mask or ignored signals
 * inherited); and the lifecycle's runners that take the hooks from a config
 * (hooks_run_kind, hooks_run_saved). The hooks are /bin/sh scripts writing
 * into a temp dir. One run's internals come through hooks_int.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime-shim/host/hooks_int.h"
#include "runtime-shim/host/host.h"

static char dir[64];
static struct err err;

static const char state[] =
	"{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"created\",\"pid\":42,\"bundle\":\"/b\"}";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mvrun-hooktest-XXXXXX");
	cr_assert(mkdtemp(dir));
	memset(&err, 0, sizeof(err));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void teardown(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(hooks, .init = setup, .fini = teardown);

/* A /bin/sh -c hook; "$0" in the script is dir/out. */
static char out_path[128];
static char *sh_args[6];
static struct hook sh_hook(const char *script, int timeout)
{
	snprintf(out_path, sizeof(out_path), "%s/out", dir);
	sh_args[0] = "sh";
	sh_args[1] = "-c";
	sh_args[2] = (char *)script;
	sh_args[3] = out_path;
	sh_args[4] = NULL;
	return (struct hook){ .path = "/bin/sh", .args = sh_args, .timeout = timeout };
}

/* A file's text (in one buffer per caller), or `missing`. */
static const char *slurp(const char *path, char *buf, size_t cap, const char *missing)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return missing;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *out_file(void)
{
	static char buf[1 << 16];
	return slurp(out_path, buf, sizeof(buf), "<missing>");
}

#define EXPECT_ERR(needle) \
	cr_assert(strstr(err.msg, needle), "message \"%s\" does not say \"%s\"", err.msg, needle)

Test(hooks, state_on_stdin)
{
	struct hook h = sh_hook("cat > \"$0\"", 0);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == 0, "%s", err.msg);
	cr_assert_str_eq(out_file(), state);
}

/* More than a pipe holds: written as the hook reads. */
Test(hooks, large_state)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	struct hook h = sh_hook("wc -c < /dev/stdin > \"$0\"", 0);
	cr_assert(hooks_run(&h, 1, "poststop", big, &err) == 0, "%s", err.msg);
	cr_assert_eq(atol(out_file()), (long)n);
	free(big);
}

/* A hook that exits without reading stdin is fine, and mvrun survives the EPIPE. */
Test(hooks, hook_ignoring_stdin)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	memset(big, 'y', n);
	big[n] = '\0';
	struct hook h = sh_hook("exit 0", 0);
	cr_assert(hooks_run(&h, 1, "poststart", big, &err) == 0, "%s", err.msg);
	sigset_t pend;
	sigpending(&pend);
	cr_assert_not(sigismember(&pend, SIGPIPE));
	free(big);
}

Test(hooks, null_state_is_empty_stdin)
{
	struct hook h = sh_hook("wc -c < /dev/stdin > \"$0\"", 0);
	cr_assert(hooks_run(&h, 1, "prestart", NULL, &err) == 0, "%s", err.msg);
	cr_assert_eq(atol(out_file()), 0);
}

/* args[0] is argv[0] (not the path), per the OCI spec. */
Test(hooks, args_become_argv)
{
	char script[256];
	snprintf(script, sizeof(script), "tr '\\0' '\\n' < /proc/$$/cmdline > %s/out", dir);
	snprintf(out_path, sizeof(out_path), "%s/out", dir);
	char *args[] = { "my-hook-name", "-c", script, "extra arg", NULL };
	struct hook h = { .path = "/bin/sh", .args = args };
	cr_assert(hooks_run(&h, 1, "createRuntime", state, &err) == 0, "%s", err.msg);
	char want[512];
	snprintf(want, sizeof(want), "my-hook-name\n-c\n%s\nextra arg\n", script);
	cr_assert_str_eq(out_file(), want);
}

Test(hooks, env_is_exactly_the_hooks)
{
	setenv("MVRUN_HOOK_TEST_LEAK", "1", 1);
	char *env[] = { "FOO=bar baz", "PATH=/usr/bin:/bin", NULL };
	struct hook h = sh_hook("env > \"$0\"", 0);
	h.env = env;
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == 0, "%s", err.msg);
	cr_assert(strstr(out_file(), "FOO=bar baz\n"), "%s", out_file());
	cr_assert_null(strstr(out_file(), "MVRUN_HOOK_TEST_LEAK"), "%s", out_file());
	h.env = NULL; /* empty environment */
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == 0, "%s", err.msg);
	cr_assert_null(strstr(out_file(), "FOO="), "%s", out_file());
	cr_assert_null(strstr(out_file(), "MVRUN_HOOK_TEST_LEAK"), "%s", out_file());
}

Test(hooks, path_only_hook)
{
	struct hook h = { .path = "/bin/true" };
	if (access(h.path, X_OK))
		h.path = "/usr/bin/true";
	cr_assert(hooks_run(&h, 1, "poststop", state, &err) == 0, "%s", err.msg);
}

Test(hooks, failure_carries_output)
{
	struct hook h = sh_hook("echo to-stdout; echo to-stderr >&2; exit 3", 0);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	cr_assert_str_eq(err.msg, "prestart hook /bin/sh exited with status 3: to-stdout to-stderr");
	cr_assert_eq(err.status, 1);
}

Test(hooks, failure_without_output)
{
	struct hook h = sh_hook("exit 1", 0);
	cr_assert(hooks_run(&h, 1, "poststart", state, &err) == -1);
	cr_assert_str_eq(err.msg, "poststart hook /bin/sh exited with status 1");
}

Test(hooks, killed_by_signal)
{
	struct hook h = sh_hook("kill -TERM $$", 0);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	cr_assert_str_eq(err.msg, "prestart hook /bin/sh was killed by signal 15 (Terminated)");
}

Test(hooks, stops_at_first_failure)
{
	char touch[160];
	snprintf(touch, sizeof(touch), "touch %s/second", dir);
	char *a1[] = { "sh", "-c", "exit 2", NULL };
	char *a2[] = { "sh", "-c", touch, NULL };
	struct hook hs[] = { { .path = "/bin/sh", .args = a1 }, { .path = "/bin/sh", .args = a2 } };
	cr_assert(hooks_run(hs, 2, "prestart", state, &err) == -1);
	EXPECT_ERR("exited with status 2");
	char p[128];
	snprintf(p, sizeof(p), "%s/second", dir);
	cr_assert(access(p, F_OK) != 0, "the second hook ran");
	/* and both run when the first succeeds */
	a1[2] = "exit 0";
	memset(&err, 0, sizeof(err));
	cr_assert(hooks_run(hs, 2, "prestart", state, &err) == 0, "%s", err.msg);
	cr_assert(access(p, F_OK) == 0);
}

static long ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The hook is SIGKILLed at the timeout; its `sleep` child keeps the output
 * pipe open, and is not waited for. */
Test(hooks, timeout)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct hook h = sh_hook("echo started; sleep 30; true", 1);
	cr_assert(hooks_run(&h, 1, "poststop", state, &err) == -1);
	long ms = ms_since(&t0);
	cr_assert_str_eq(err.msg, "poststop hook /bin/sh timed out after 1 s: started");
	cr_assert(ms >= 900 && ms < 5000, "took %ld ms", ms);
}

Test(hooks, background_child_does_not_hold_us)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct hook h = sh_hook("sleep 20 & echo bye; exit 4", 0);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	cr_assert_str_eq(err.msg, "prestart hook /bin/sh exited with status 4: bye");
	cr_assert_lt(ms_since(&t0), 5000);
}

Test(hooks, missing_binary)
{
	struct hook h = { .path = "/nonexistent/hook" };
	cr_assert(hooks_run(&h, 1, "createRuntime", state, &err) == -1);
	cr_assert_str_eq(err.msg, "createRuntime hook /nonexistent/hook: exec: No such file or directory");
}

Test(hooks, not_executable)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/script", dir);
	FILE *f = fopen(p, "w");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(p, 0644);
	struct hook h = { .path = p };
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	EXPECT_ERR(": exec: Permission denied");
}

Test(hooks, relative_path)
{
	struct hook h = { .path = "bin/sh" };
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	cr_assert_str_eq(err.msg, "prestart hook bin/sh: the path must be absolute");
}

Test(hooks, none)
{
	cr_assert(hooks_run(NULL, 0, "prestart", state, &err) == 0);
}

/* Only the first 4 KiB is kept; the rest is drained so the hook finishes. */
Test(hooks, output_capped)
{
	struct hook h = sh_hook("head -c 1000000 /dev/zero | tr '\\0' x; exit 1", 0);
	struct hook_run r = { .h = &h, .what = "prestart" };
	cr_assert(hooks_run_one(&r, state, &err) == 0, "%s", err.msg);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
	cr_assert_eq(r.out_len, HOOK_OUT_MAX);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == -1);
	EXPECT_ERR("exited with status 1: xxxx");
}

/* No fd of mvrun's reaches the hook, whatever its close-on-exec flag. */
Test(hooks, no_fd_leak)
{
	int fd = open("/dev/null", O_RDONLY); /* deliberately not O_CLOEXEC */
	cr_assert(dup2(fd, 37) == 37);
	close(fd);
	/* ls itself, not a shell (dash keeps fds of its own): 0-2 are the
	 * pipes, 3 is ls's handle on the directory it lists. */
	char *args[] = { "ls", "/proc/self/fd", NULL };
	struct hook h = { .path = "/bin/ls", .args = args };
	struct hook_run r = { .h = &h, .what = "prestart" };
	cr_assert(hooks_run_one(&r, state, &err) == 0, "%s", err.msg);
	close(37);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s", r.out);
	cr_assert_str_eq(r.out, "0\n1\n2\n3\n");
}

/* Blocked and ignored signals in mvrun are not the hook's. */
Test(hooks, clean_signal_state)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Signal 32 (glibc's own, which its sigaction refuses), ignored by
	 * whoever started mvrun: seen in a CI run. */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } ign = {
		SIG_IGN, 0, NULL, 0 }, dfl = { 0 };
	cr_assert(syscall(SYS_rt_sigaction, 32, &ign, NULL, 8) == 0);
	/* exec: a waiting dash blocks signals itself; look at grep. */
	struct hook h = sh_hook("exec grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$0\"", 0);
	cr_assert(hooks_run(&h, 1, "prestart", state, &err) == 0, "%s", err.msg);
	cr_assert_str_eq(out_file(), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	syscall(SYS_rt_sigaction, 32, &dfl, NULL, 8);
}

/* mvrun started with stdin closed: the pipes may land on 0..2. */
Test(hooks, caller_stdio_closed)
{
	int saved = dup(0);
	close(0);
	struct hook h = sh_hook("cat > \"$0\"", 0);
	int rc = hooks_run(&h, 1, "prestart", state, &err);
	dup2(saved, 0);
	close(saved);
	cr_assert(rc == 0, "%s", err.msg);
	cr_assert_str_eq(out_file(), state);
}

/* With SIGCHLD ignored there is no exit status to judge the hook by: an
 * error, not a hang or a false success. */
Test(hooks, sigchld_ignored)
{
	signal(SIGCHLD, SIG_IGN);
	struct hook h = sh_hook("exit 0", 5);
	int rc = hooks_run(&h, 1, "prestart", state, &err);
	signal(SIGCHLD, SIG_DFL);
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(err.msg, "prestart hook /bin/sh: wait: No child processes");
}

/* ---- the lifecycle's runners ---- */

static struct store_state test_state(void)
{
	struct store_state st = { .id = "c1", .pid = 42, .bundle = "/b", .rootfs = "/b/rootfs",
				  .created = "2026-01-01T00:00:00Z", .owner = "" };
	return st;
}

/* A config's hooks of one kind, with the state as the given status. */
Test(hooks, run_kind_gives_the_state_as_the_status_asked)
{
	struct hook h = sh_hook("cat > \"$0\"", 0);
	struct cfg c = { 0 };
	c.hooks[CFG_HOOK_POSTSTART] = &h;
	c.nhooks[CFG_HOOK_POSTSTART] = 1;
	struct store_state st = test_state();
	cr_assert(hooks_run_kind(&c, CFG_HOOK_POSTSTART, &st, STORE_RUNNING, &err) == 0, "%s",
		  err.msg);
	cr_assert_not_null(strstr(out_file(), "\"id\":\"c1\",\"pid\":42,\"status\":\"running\""),
			   "%s", out_file());
	/* Stopped: pid 0, as runc reports it to poststop hooks. */
	cr_assert(hooks_run_kind(&c, CFG_HOOK_POSTSTART, &st, STORE_STOPPED, &err) == 0, "%s",
		  err.msg);
	cr_assert_not_null(strstr(out_file(), "\"pid\":0,\"status\":\"stopped\""), "%s", out_file());
}

Test(hooks, run_kind_runs_only_that_kind_and_names_it)
{
	struct hook ok = sh_hook("echo ran > \"$0\"", 0), bad = { .path = "/bin/false" };
	struct cfg c = { 0 };
	c.hooks[CFG_HOOK_PRESTART] = &ok;
	c.nhooks[CFG_HOOK_PRESTART] = 1;
	c.hooks[CFG_HOOK_CREATE_RUNTIME] = &bad;
	c.nhooks[CFG_HOOK_CREATE_RUNTIME] = 1;
	struct store_state st = test_state();
	cr_assert(hooks_run_kind(&c, CFG_HOOK_POSTSTOP, &st, STORE_STOPPED, &err) == 0);
	cr_assert_str_eq(out_file(), "<missing>", "no poststop hooks: nothing runs");
	cr_assert(hooks_run_kind(&c, CFG_HOOK_PRESTART, &st, STORE_CREATING, &err) == 0, "%s",
		  err.msg);
	cr_assert_str_eq(out_file(), "ran\n");
	cr_assert(hooks_run_kind(&c, CFG_HOOK_CREATE_RUNTIME, &st, STORE_CREATING, &err) == -1);
	cr_assert_str_eq(err.msg, "createRuntime hook /bin/false exited with status 1");
}

/* ROOT/c1/config.json with `hooks` (a JSON object) and the warnings' log. */
static void saved_config(const char *hooks)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/c1", dir);
	cr_assert(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/c1/config.json", dir);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fprintf(f, "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
		   " \"root\": {\"path\": \"rootfs\"}, \"hooks\": %s}", hooks);
	cr_assert(fclose(f) == 0);
}

static const char *log_text(void)
{
	static char buf[4096], p[256];
	snprintf(p, sizeof(p), "%s/log", dir);
	return slurp(p, buf, sizeof(buf), "");
}

Test(hooks, run_saved_takes_the_hooks_from_the_saved_config)
{
	char hooks[512], logp[256];
	snprintf(out_path, sizeof(out_path), "%s/out", dir);
	snprintf(hooks, sizeof(hooks),
		 "{\"poststart\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat > %s\"]}]}",
		 out_path);
	saved_config(hooks);
	snprintf(logp, sizeof(logp), "%s/log", dir);
	struct shim_ctx g = { .root = dir, .log_path = logp, .log_json = true };
	struct store_state st = test_state();
	hooks_run_saved(&g, "start", CFG_HOOK_POSTSTART, &st, STORE_RUNNING);
	cr_assert_not_null(strstr(out_file(), "\"status\":\"running\""), "%s", out_file());
	cr_assert_str_eq(log_text(), "", "no warning");
}

/* The spec makes a failing poststart or poststop hook a warning: it goes to
 * the log, naming the verb, the id and the hook, and nothing fails. */
Test(hooks, run_saved_warns_of_a_failing_hook)
{
	char logp[256];
	saved_config("{\"poststop\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo no; exit 3\"]}]}");
	snprintf(logp, sizeof(logp), "%s/log", dir);
	struct shim_ctx g = { .root = dir, .log_path = logp, .log_json = true };
	struct store_state st = test_state();
	hooks_run_saved(&g, "delete", CFG_HOOK_POSTSTOP, &st, STORE_STOPPED);
	cr_assert_not_null(strstr(log_text(), "\"level\":\"warning\",\"msg\":\"delete c1: poststop "
					      "hook /bin/sh exited with status 3: no\""),
			   "%s", log_text());
}

Test(hooks, run_saved_warns_when_the_config_is_gone)
{
	char logp[256];
	snprintf(logp, sizeof(logp), "%s/log", dir);
	struct shim_ctx g = { .root = dir, .log_path = logp, .log_json = true };
	struct store_state st = test_state();
	hooks_run_saved(&g, "start", CFG_HOOK_POSTSTART, &st, STORE_RUNNING);
	cr_assert_not_null(strstr(log_text(), "\"msg\":\"start c1: poststart hooks not run: "),
			   "%s", log_text());
}
