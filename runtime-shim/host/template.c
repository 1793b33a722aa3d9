/* Templates (template.h): the key, the check before a restore, and the
 * detached maker. The key hashes the text of everything that decides the
 * guest's state at the save point: mvm's build id (mvm --build-id), the
 * CPUID KVM offers on this host (KVM_GET_SUPPORTED_CPUID), MVM_NO_XSAVE,
 * and mvm's command line with the per-container values dropped
 * (tpl_argv_key): vCPUs, RAM, each share's kind, order and mode, the
 * console, and the kernel and initramfs by dev/ino/size/mtime (a rebuilt
 * file is a new key; the content is not read on each create). */
#include "runtime-shim/host/template.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/hooks.h"
#include "runtime-shim/host/host.h"

#define TPL_DEFAULT_CACHE "/var/cache/mvrun/templates"
#define TPL_CPUID_MAX 256

/* Values mvm's argv gives per container: dropped from the key. */
static const char *const per_container[] = { "--root", "--control-socket", "--ready-fd",
					     "--stream-fd", "--vsock-uds", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static int append(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	char *b = realloc(*buf, *len + (size_t)n + 1);
	if (!b) {
		free(s);
		return -1;
	}
	memcpy(b + *len, s, (size_t)n + 1);
	*buf = b;
	*len += (size_t)n;
	free(s);
	return 0;
}

char *tpl_argv_key(char *const *argv)
{
	char *buf = NULL;
	size_t len = 0;
	int r = 0;
	for (int i = 1; argv[i] && r == 0; i++) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--net"))
			goto no;
		if ((!strcmp(a, "--kernel") || !strcmp(a, "--initrd")) && v) {
			struct stat st;
			if (stat(v, &st) < 0)
				goto no;
			r = append(&buf, &len, "%s %llu:%llu:%lld:%lld.%09ld\n", a,
				   (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				   (long long)st.st_size, (long long)st.st_mtim.tv_sec,
				   st.st_mtim.tv_nsec);
			i++;
		} else if ((!strcmp(a, "--volume") || !strcmp(a, "--file")) && v) {
			size_t n = strlen(v);
			bool ro = n > 3 && !strcmp(v + n - 3, ":ro");
			/* A file's stage directory decides which share it is in. */
			const char *dir = "";
			if (!strcmp(a, "--file"))
				dir = strstr(v, "/files-ro/") ? " files-ro" : " files";
			r = append(&buf, &len, "%s%s%s\n", a, dir, ro ? " ro" : "");
			i++;
		} else if (in_list(a, per_container) && v) {
			r = append(&buf, &len, "%s\n", a);
			i++;
		} else {
			r = append(&buf, &len, "%s\n", a);
		}
	}
	if (r == 0 && buf)
		return buf;
no:
	free(buf);
	return NULL;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* A hash of the CPUID entries KVM offers, or 0 when /dev/kvm cannot say. */
static uint64_t cpuid_hash(void)
{
	size_t sz = sizeof(struct kvm_cpuid2) + TPL_CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	uint64_t h = 0;
	if (c && fd >= 0) {
		c->nent = TPL_CPUID_MAX;
		if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			h = fnv1a(0xcbf29ce484222325ULL, c->entries,
				  c->nent * sizeof(struct kvm_cpuid_entry2));
	}
	if (fd >= 0)
		close(fd);
	free(c);
	return h;
}

/* Run argv with stdout into out (a line, its newline cut) and stderr gone.
 * Returns its exit status, or -1. */
static int run_capture(char *const *argv, char *out, size_t cap)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(pfd[1], 1) < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	ssize_t k;
	while (pid > 0 && n + 1 < cap && (k = read(pfd[0], out + n, cap - 1 - n)) != 0)
		if (k > 0)
			n += (size_t)k;
		else if (errno != EINTR)
			break;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	close(pfd[0]);
	int ws;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* The cache directory, made root-only when missing. 0 or -1. */
static int cache_dir(char *out, size_t cap)
{
	const char *c = getenv("MVRUN_CACHE");
	if (!c || !*c) {
		c = TPL_DEFAULT_CACHE;
		mkdir("/var/cache/mvrun", 0755);
	}
	if ((size_t)snprintf(out, cap, "%s", c) >= cap)
		return -1;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -1;
	struct stat st;
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static const char *arg_after(char *const *argv, const char *flag, const char *dflt)
{
	for (int i = 1; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], flag))
			return argv[i + 1];
	return dflt;
}

/* A template's directory and what it holds: its state and mem. */
static void remove_template(const char *dir)
{
	char f[PATH_MAX + 8];
	snprintf(f, sizeof(f), "%s/state", dir);
	unlink(f);
	snprintf(f, sizeof(f), "%s/mem", dir);
	unlink(f);
	rmdir(dir);
}

void tpl_prepare(struct tpl *t, const struct shim_ctx *g, struct s2v_plan *p)
{
	const char *on = getenv("MVRUN_TEMPLATES");
	char cache[PATH_MAX], id[128], msg[600];
	memset(t, 0, sizeof(*t));
	if (!on || strcmp(on, "1"))
		return;
	char *key = tpl_argv_key(p->argv);
	if (!key) {
		shim_debug(g, "templates: this container boots cold (a network device, or a "
			   "missing kernel file)");
		return;
	}
	snprintf(t->mvm, sizeof(t->mvm), "%s", p->argv[0]);
	char *idv[] = { t->mvm, "--build-id", NULL };
	const char *x = getenv("MVM_NO_XSAVE");
	uint64_t cpuid = cpuid_hash();
	if (run_capture(idv, id, sizeof(id)) != 0 || !id[0] || !cpuid ||
	    cache_dir(cache, sizeof(cache)) < 0) {
		shim_warn(g, "templates: no build id, CPUID or cache directory: booting cold");
		free(key);
		return;
	}
	char head[256];
	snprintf(head, sizeof(head), "mvrun-template 1\nbuild %s\ncpuid %016llx\nno-xsave %s\n", id,
		 (unsigned long long)cpuid, x ? x : "");
	uint64_t h1 = fnv1a(fnv1a(0xcbf29ce484222325ULL, head, strlen(head)), key, strlen(key));
	uint64_t h2 = fnv1a(fnv1a(0x84222325cbf29ce4ULL, key, strlen(key)), head, strlen(head));
	free(key);
	if ((size_t)snprintf(t->dir, sizeof(t->dir), "%s/%016llx%016llx", cache,
			     (unsigned long long)h1, (unsigned long long)h2) >= sizeof(t->dir))
		return;
	t->keyed = true;
	struct stat st;
	if (stat(t->dir, &st) < 0)
		return;
	char *chk[] = { t->mvm, "--check-snapshot", t->dir, "--mem",
			(char *)arg_after(p->argv, "--mem", "128"), "--cpus",
			(char *)arg_after(p->argv, "--cpus", "1"), NULL };
	int r = run_capture(chk, msg, sizeof(msg));
	if (r == 64) {
		shim_warn(g, "template %s: mvm would not restore it (%s); removed, booting cold",
			  t->dir, msg);
		remove_template(t->dir);
		return;
	}
	if (r != 0) { /* mvm could not say: the template may be fine */
		shim_warn(g, "template %s: mvm --check-snapshot failed (%d): booting cold", t->dir, r);
		return;
	}
	char **v = realloc(p->argv, (size_t)(p->argc + 3) * sizeof(*v));
	if (!v)
		return;
	p->argv = v;
	v[p->argc] = strdup("--restore");
	v[p->argc + 1] = strdup(t->dir);
	if (!v[p->argc] || !v[p->argc + 1]) {
		free(v[p->argc]);
		free(v[p->argc + 1]);
		v[p->argc] = NULL;
		return;
	}
	p->argc += 2;
	v[p->argc] = NULL;
	t->restoring = true;
	shim_debug(g, "templates: restoring %s", t->dir);
}

/* The maker's stand-in for a share: an empty directory (or, for a file
 * share, an empty file under the same stage directory name), so the save
 * touches nothing of the container's, which may be deleted meanwhile. */
static const char *stand_in(const char *scratch, const char *flag, const char *v, char *out,
			    size_t cap, int seq)
{
	static const char *const kinds[] = { "--root", "--volume", "--file", NULL };
	if (!in_list(flag, kinds))
		return v;
	size_t n = strlen(v);
	bool ro = n > 3 && !strcmp(v + n - 3, ":ro") && strcmp(flag, "--root");
	if (!strcmp(flag, "--file")) {
		const char *d = strstr(v, "/files-ro/") ? "files-ro" : "files";
		if (snprintf(out, cap, "%s/%s", scratch, d) >= (int)cap)
			return NULL;
		mkdir(out, 0700);
		if (snprintf(out, cap, "%s/%s/f%d", scratch, d, seq) >= (int)cap)
			return NULL;
		close(open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	} else {
		if (snprintf(out, cap, "%s/d%d", scratch, seq) >= (int)cap)
			return NULL;
		mkdir(out, 0700);
	}
	if (ro)
		strncat(out, ":ro", cap - strlen(out) - 1);
	return out;
}

static void rm_scratch(const char *scratch)
{
	char cmd[PATH_MAX + 32];
	DIR *d = opendir(scratch);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(cmd, sizeof(cmd), "%s/%s", scratch, e->d_name);
		if (rmdir(cmd) < 0 && unlink(cmd) < 0) {
			DIR *s = opendir(cmd);
			struct dirent *f;
			char p[PATH_MAX + 64];
			while (s && (f = readdir(s)))
				if (f->d_name[0] != '.' &&
				    snprintf(p, sizeof(p), "%s/%s", cmd, f->d_name) > 0)
					unlink(p);
			if (s)
				closedir(s);
			rmdir(cmd);
		}
	}
	if (d)
		closedir(d);
	rmdir(scratch);
}

/* The detached maker: one per key at a time (KEY.lock), mvm --snapshot-save
 * with the container's VM shape and a stream mvm checks but never sends:
 * the save point comes first. mvm writes a temporary directory and renames
 * it into place (no replace), so a reader sees a whole template or none.
 * Its stderr stays in .KEY.log when it fails. */
static void __attribute__((noreturn)) maker(const struct tpl *t, const struct s2v_plan *p)
{
	char lock[PATH_MAX + 8], log[PATH_MAX + 8], scratch[PATH_MAX + 16];
	const char *slash = strrchr(t->dir, '/');
	int cut = (int)(slash - t->dir);
	snprintf(lock, sizeof(lock), "%s.lock", t->dir);
	snprintf(log, sizeof(log), "%.*s/.%s.log", cut, t->dir, slash + 1);
	snprintf(scratch, sizeof(scratch), "%.*s/.%s.shares", cut, t->dir, slash + 1);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0 || stat(t->dir, &st) == 0)
		_exit(0); /* another maker has it, or has made it */
	int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(1);
	rm_scratch(scratch);
	if (mkdir(scratch, 0700) < 0)
		_exit(1);
	char **argv = calloc((size_t)p->argc + 4, sizeof(*argv));
	char bufs[64][PATH_MAX + 8];
	int n = 0, nb = 0, stream = -1;
	for (int i = 0; argv && i < p->argc; i++) {
		const char *a = p->argv[i], *v = p->argv[i + 1];
		if (!strcmp(a, "--wait-start") || !strcmp(a, "--restore"))
			continue;
		if ((!strcmp(a, "--control-socket") || !strcmp(a, "--ready-fd")) && v) {
			i++;
			continue;
		}
		if (!strcmp(a, "--stream-fd") && v)
			stream = atoi(v);
		argv[n++] = (char *)a;
		if (v && i > 0 && in_list(a, (const char *const[]){ "--root",
			     "--volume", "--file", NULL })) {
			if (nb == 64)
				_exit(1);
			if (!(argv[n++] = (char *)stand_in(scratch, a, v, bufs[nb], sizeof(bufs[nb]), nb)))
				_exit(1);
			nb++;
			i++;
		}
	}
	if (!argv || stream < 3)
		_exit(1);
	argv[n++] = "--snapshot-save";
	argv[n++] = (char *)t->dir;
	/* The stream mvm checks at set-up; the save comes before it is sent.
	 * No HOOKS: they would name the container's pid. */
	struct s2v_plan q = *p;
	q.spec.flags &= ~PROTO_SPEC_HOOKS;
	struct proto_buf b = { 0 };
	int fd = memfd_create("mvrun-template-stream", 0);
	if (s2v_encode_stream(&q, 0, 0, &b) < 0 || fd < 0 || s2v_write_stream(fd, &b) < 0 ||
	    dup2(fd, stream) < 0)
		_exit(1);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close_range((unsigned)stream + 1, ~0u, 0);
		if (stream > 3)
			close_range(3, (unsigned)stream - 1, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	int ws = 0;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	rm_scratch(scratch);
	bool ok = pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	if (ok)
		unlink(log);
	_exit(ok ? 0 : 1);
}

/* Start the maker detached: a grandchild, in mvrun's own cgroup (never the
 * container's), holding none of mvrun's fds (its lock on the container). */
static void spawn_maker(const struct tpl *t, const struct s2v_plan *p)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		if (setsid() < 0 && errno != EPERM)
			_exit(1);
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(1);
		close_range(3, ~0u, 0);
		pid_t gc = fork();
		if (gc == 0)
			maker(t, p);
		_exit(gc < 0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void tpl_finish(const struct tpl *t, const struct shim_ctx *g, const struct s2v_plan *p, int r,
		const struct err *err)
{
	struct stat st;
	if (!t->keyed)
		return;
	if (r < 0 && t->restoring &&
	    (err->status == 64 || strstr(err->msg, "exited with status 64"))) {
		shim_warn(g, "template %s: mvm refused it (%s); removed", t->dir, err->msg);
		remove_template(t->dir);
	} else if (r == 0 && !t->restoring && stat(t->dir, &st) < 0) {
		shim_debug(g, "templates: making %s in the background", t->dir);
		spawn_maker(t, p);
	}
}
