/* config → the plan: mvm's command line, the SPEC and the VM's size (policy
 * in spec2vm.h). */
#include "runtime-shim/plan/spec2vm.h"
#include "common/hostmem.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "proto/launch.h"
#include "runtime-shim/plan/spec2vm_int.h"

void s2v_note(struct s2v_plan *p, const char *fmt, ...)
{
	if (p->nnotes == S2V_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&p->notes[p->nnotes], fmt, ap) >= 0)
		p->nnotes++;
	va_end(ap);
}

const char *s2v_own(struct s2v_plan *p, const char *fmt, ...)
{
	if (p->nowned == (int)(sizeof(p->owned) / sizeof(p->owned[0])))
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	char *str;
	int r = vasprintf(&str, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	return p->owned[p->nowned++] = str;
}

int s2v_push(struct s2v_plan *p, const char *fmt, ...)
{
	char **v = realloc(p->argv, (size_t)(p->argc + 2) * sizeof(*v));
	if (!v)
		return -1;
	p->argv = v;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&v[p->argc], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	v[++p->argc] = NULL;
	return 0;
}

/* A decimal number in [lo, hi] and nothing else. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* The number of CPUs in a cpuset list such as "0-3,6". Overlaps count once,
 * as the kernel takes the union ("0-3,2-5" is 6 CPUs); this also bounds n. */
static int cpuset_count(const char *s)
{
	uint64_t seen[8192 / 64] = { 0 };
	int n = 0;
	while (*s) {
		char *end;
		if (*s < '0' || *s > '9')
			return -1;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b > 8191 || (*end && *end != ','))
			return -1;
		for (unsigned long i = a; i <= b; i++) {
			n += !(seen[i / 64] >> (i % 64) & 1);
			seen[i / 64] |= 1ull << (i % 64);
		}
		s = *end ? end + 1 : end;
		if (*end && !*s)
			return -1;
	}
	return n ? n : -1;
}

/* Is c a pod's sandbox, whose VM takes the pod's members (S2V_POD_MEM_MIB)? */
static bool pod_sandbox(const struct cfg *c)
{
	const char *t = cfg_annotation(c, "io.kubernetes.cri.container-type");
	const char *infra = cfg_annotation(c, "io.podman.annotations.infra");
	return (t && !strcmp(t, "sandbox")) || (infra && !strcmp(infra, "true"));
}

static int size_vm(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	const struct cg_resources *r = &c->lx.resources;
	const char *a;
	unsigned long long v;
	bool pod = pod_sandbox(c);
	p->mem_mib = S2V_DEFAULT_MEM_MIB;
	if (pod) {
		uint64_t half = hostmem_mib() / 2;
		p->mem_mib = half < S2V_POD_MEM_MIB ? (half > S2V_DEFAULT_MEM_MIB ? half
							: S2V_DEFAULT_MEM_MIB) : S2V_POD_MEM_MIB;
	}
	uint64_t limit_mib = c->lx.has_memory_limit ? (uint64_t)r->memory_limit >> 20 : 0;
	if ((a = cfg_annotation(c, "org.mvrun.mem"))) {
		if (parse_num(a, S2V_MIN_MEM_MIB, 1ull << 30, &v) < 0)
			return s2v_bad(err, "annotations[\"org.mvrun.mem\"]",
				   "\"%s\" is not a number of MiB from %d up", a, S2V_MIN_MEM_MIB);
		if (limit_mib && v + S2V_MEM_OVERHEAD_MIB > limit_mib)
			return s2v_bad(err, "annotations[\"org.mvrun.mem\"]",
				   "%llu MiB of guest RAM and mvm's %d MiB do not fit in "
				   "linux.resources.memory.limit (%llu MiB)",
				   v, S2V_MEM_OVERHEAD_MIB, (unsigned long long)limit_mib);
		p->mem_mib = v;
	} else if (c->lx.has_memory_limit) {
		if (limit_mib >= S2V_MIN_MEM_MIB + S2V_MEM_OVERHEAD_MIB) {
			p->mem_mib = limit_mib - S2V_MEM_OVERHEAD_MIB;
		} else {
			/* The VM still needs its RAM: mvm's host cgroup gets what
			 * it takes, and the container's memory cgroup in the
			 * guest (memory.max, SETUP) holds the workload to the
			 * limit it asked for. */
			int64_t vm = (int64_t)(S2V_MIN_MEM_MIB + S2V_MEM_OVERHEAD_MIB) << 20;
			p->mem_mib = S2V_MIN_MEM_MIB;
			p->res.memory_limit = vm;
			if (p->res.memory_swap >= 0 && p->res.memory_swap < vm)
				p->res.memory_swap = vm;
			s2v_note(p, "linux.resources.memory.limit: %lld bytes is less than the %d MiB "
				    "a microVM needs: the VM gets %d MiB of RAM and mvm's cgroup %d "
				    "MiB; the container's cgroup in the guest holds it to the limit",
				 (long long)r->memory_limit, S2V_MIN_MEM_MIB + S2V_MEM_OVERHEAD_MIB,
				 S2V_MIN_MEM_MIB, S2V_MIN_MEM_MIB + S2V_MEM_OVERHEAD_MIB);
		}
	}
	uint64_t host = hostmem_mib();
	if (p->mem_mib > host)
		return s2v_bad(err, a ? "annotations[\"org.mvrun.mem\"]" : "linux.resources.memory.limit",
			   "%llu MiB of guest RAM is more than this host's %llu MiB",
			   (unsigned long long)p->mem_mib, (unsigned long long)host);

	long online = sysconf(_SC_NPROCESSORS_ONLN);
	p->cpus = pod ? (online > 1 ? S2V_POD_CPUS : 1) : 1;
	if ((a = cfg_annotation(c, "org.mvrun.cpus"))) {
		if (parse_num(a, 1, MVM_MAX_VCPUS, &v) < 0)
			return s2v_bad(err, "annotations[\"org.mvrun.cpus\"]",
				   "\"%s\" is not a vCPU count from 1 to %d", a, MVM_MAX_VCPUS);
		p->cpus = (int)v;
		return 0;
	}
	long long want = 0;
	if (r->cpu_quota > 0) {
		uint64_t period = r->cpu_period ? r->cpu_period : 100000; /* the kernel's default */
		want = (long long)(((uint64_t)r->cpu_quota + period - 1) / period);
	}
	if (r->cpuset_cpus) {
		int n = cpuset_count(r->cpuset_cpus);
		if (n < 0)
			return s2v_bad(err, "linux.resources.cpu.cpus", "\"%s\" is not a CPU list like 0-3,6",
				   r->cpuset_cpus);
		if (!want || n < want)
			want = n;
	}
	if (want > MVM_MAX_VCPUS) {
		s2v_note(p, "linux.resources.cpu: the VM gets %d vCPUs, mvm's most, not %lld",
			 MVM_MAX_VCPUS, want);
		want = MVM_MAX_VCPUS;
	}
	if (want > 0)
		p->cpus = (int)want;
	return 0;
}

/* org.mvrun.* annotations tune the VM; a misspelt one is an error, not a no-op. */
static int check_annotations(const struct cfg *c, struct s2v_plan *p, const char **kernel,
			     bool *console, struct err *err)
{
	static const char *const known[] = { "org.mvrun.mem", "org.mvrun.cpus", "org.mvrun.kernel",
					     "org.mvrun.console" };
	for (int i = 0; i < c->nannotations; i++) {
		const char *k = c->annotations[i].key;
		bool ok = strncmp(k, "org.mvrun.", 10) != 0;
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			ok |= !strcmp(k, known[j]);
		if (!ok)
			return s2v_bad(err, "annotations", "unknown mvrun annotation \"%s\" (known: "
				   "org.mvrun.mem, org.mvrun.cpus, org.mvrun.kernel, org.mvrun.console)", k);
	}
	const char *v = cfg_annotation(c, "org.mvrun.kernel");
	if (v) {
		struct stat st;
		if (v[0] != '/')
			return s2v_bad(err, "annotations[\"org.mvrun.kernel\"]",
				   "\"%s\" must be an absolute path", v);
		if (stat(v, &st) < 0)
			return s2v_bad(err, "annotations[\"org.mvrun.kernel\"]", "%s: %s", v, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return s2v_bad(err, "annotations[\"org.mvrun.kernel\"]", "%s is not a regular file", v);
		*kernel = v;
		s2v_note(p, "annotations: booting the kernel %s", v);
	}
	v = cfg_annotation(c, "org.mvrun.console");
	if (v) {
		if (!strcmp(v, "true") || !strcmp(v, "1"))
			*console = true;
		else if (strcmp(v, "false") && strcmp(v, "0"))
			return s2v_bad(err, "annotations[\"org.mvrun.console\"]",
				   "\"%s\" is not true or false", v);
	}
	return 0;
}

/* Fields mvrun refuses, and fields it notes (see spec2vm.h). */
static int check_process(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	const struct cfg_process *pr = &c->process;
	if (pr->nenv > MVM_MAX_ENV)
		return s2v_bad(err, "process.env", "%d entries; mvm passes at most %d", pr->nenv,
			   MVM_MAX_ENV);
	/* (uid_t)-1 means "unchanged" to setresuid, not a user; mvm refuses it too. */
	if (pr->uid == UINT32_MAX || pr->gid == UINT32_MAX)
		return s2v_bad(err, pr->uid == UINT32_MAX ? "process.user.uid" : "process.user.gid",
			   "4294967295 is not a valid id");
	if (pr->apparmor_profile && pr->apparmor_profile[0])
		s2v_note(p, "process.apparmorProfile: ignored (the guest has no AppArmor)");
	if (pr->selinux_label && pr->selinux_label[0])
		s2v_note(p, "process.selinuxLabel: ignored (the guest has no SELinux)");
	if (pr->has_io_priority || pr->has_scheduler)
		s2v_note(p, "process.ioPriority and process.scheduler: not applied yet");
	return 0;
}

static int check_linux(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	const struct cfg_linux *l = &c->lx;
	bool net = false;
	for (int i = 0; i < l->nnamespaces; i++) {
		const struct cfg_namespace *ns = &l->namespaces[i];
		char f[48];
		snprintf(f, sizeof(f), "linux.namespaces[%d]", i);
		if (p->member && ns->path)
			continue; /* the sandbox's: the caller checked it */
		if (!strcmp(ns->type, "network")) {
			net = true;
			if (ns->path)
				p->netns_path = ns->path; /* the engine's, filled in already */
			else
				p->new_netns = true;      /* filled in by a hook, or left empty */
			continue;
		}
		if (ns->path)
			return s2v_bad(err, f, "joining an existing %s namespace (%s) is not supported yet",
				   ns->type, ns->path);
	}
	/* runc's containers without a network namespace share the host's: a VM
	 * has its own kernel and cannot. Configs that list no namespaces at all
	 * get a guest with only lo. */
	if (l->nnamespaces && !net && !p->member)
		return s2v_bad(err, "linux.namespaces",
			   "no network namespace: the container would share the host's network "
			   "namespace, which a VM cannot (use a bridge network, or none)");
	if (s2v_userns(c, p, err) < 0)
		return -1;
	p->cgroups_path = l->cgroups_path;
	p->res = l->resources;
	/* mvm's threads are not the container's processes: the limit goes to
	 * the container's pids cgroup in the guest (SETUP), not to the host's. */
	p->res.pids_limit = -1;
	for (int i = 0; i < l->nunapplied; i++)
		s2v_note(p, "linux.resources.%s: not applied (the guest kernel has no such control; "
			    "mvrun applies memory limit, reservation and swap, cpu quota, period, "
			    "shares, cpus and mems, pids, devices and unified)",
			 l->unapplied[i]);
	if (l->has_intel_rdt || l->has_personality)
		s2v_note(p, "linux.intelRdt and linux.personality: not applied");
	return 0;
}

static int resolve_root(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
			struct err *err)
{
	char joined[PATH_MAX];
	const char *path = c->root_path;
	if (path[0] != '/') {
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", in->bundle, path) >= sizeof(joined))
			return s2v_bad(err, "root.path", "too long");
		path = joined;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return s2v_bad(err, "root.path", "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return s2v_bad(err, "root.path", "%s is not a directory", path);
	if (!(p->rootfs = realpath(path, NULL)))
		return s2v_bad(err, "root.path", "%s: %s", path, strerror(errno));
	if (strchr(p->rootfs, ':'))
		return s2v_bad(err, "root.path", "%s: mvm cannot share a path that contains ':'", p->rootfs);
	return 0;
}

int s2v_build(const struct cfg *c, const struct s2v_inputs *in, struct s2v_plan *p,
	      struct err *err)
{
	memset(p, 0, sizeof(*p));
	p->member = in->member;
	const char *kernel = in->kernel;
	bool console = false;
	const struct cfg_process *pr = &c->process;
	if (!c->has_process)
		return s2v_bad(err, "process", "missing (required)");
	if (check_annotations(c, p, &kernel, &console, err) < 0 || check_process(c, p, err) < 0 ||
	    check_linux(c, p, err) < 0 || resolve_root(c, in, p, err) < 0 ||
	    s2v_hooks(c, p, err) < 0 || (!in->sandbox && size_vm(c, p, err) < 0))
		goto fail;
	if (in->sandbox) {
		p->mem_mib = in->mem_mib;
		p->cpus = in->cpus;
	}
	p->tty = pr->terminal;
	s2v_process_spec(pr, NULL, &p->spec);
	p->spec.rows = p->spec.cols = 0; /* the terminal's, when the stream is written */
	p->spec.flags |= (c->root_readonly ? PROTO_SPEC_READONLY_ROOT : 0) |
			 (pr->terminal && in->own_terminal ? PROTO_SPEC_NO_ONLCR : 0) |
			 (p->guest_hooks ? PROTO_SPEC_HOOKS : 0);
	p->spec.hostname = c->hostname && !in->member ? c->hostname : "";
	p->spec.root_tag = LAUNCH_TAG_ROOT;
/* Sequenced, unlike the operands of |. */
#define PUSH(...)                                  \
	do {                                       \
		if (s2v_push(p, __VA_ARGS__) < 0) \
			goto oom;                  \
	} while (0)
	PUSH("%s", in->mvm);
	PUSH("--kernel");
	PUSH("%s", kernel);
	if (in->initrd) {
		PUSH("--initrd");
		PUSH("%s", in->initrd);
	}
	PUSH("--mem");
	PUSH("%llu", (unsigned long long)p->mem_mib);
	PUSH("--cpus");
	PUSH("%d", p->cpus);
	PUSH("--root");
	PUSH("%s", p->rootfs);
	if (c->root_readonly)
		PUSH("--read-only");
	/* As under runc, the container may leave set-id files and file
	 * capabilities on its shares (within its id maps: mvm takes them from
	 * SETUP); `mvrun box` may not. */
	if (!in->sandbox)
		PUSH("--share-privileges");
	if (console)
		PUSH("--console");
	if (s2v_mounts(c, in, p, err) < 0 || (!in->sandbox && s2v_confine(c, p, err) < 0))
		goto fail;
	if (p->new_netns || p->netns_path)
		PUSH("--net"); /* mvm starts inside that namespace */
	if (in->control_socket) {
		PUSH("--wait-start");
		PUSH("--control-socket");
		PUSH("%s", in->control_socket);
	}
	if (in->ready_fd >= 0) {
		PUSH("--ready-fd");
		PUSH("%d", in->ready_fd);
	}
	if (in->stream_fd > 2) {
		PUSH("--stream-fd");
		PUSH("%d", in->stream_fd);
	}
#undef PUSH
	return 0;
oom:
	err_set(err, CFG_EXIT, "out of memory building mvm's command line");
fail:
	s2v_free(p);
	return -1;
}

void s2v_free(struct s2v_plan *p)
{
	for (int i = 0; p->argv && i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->rootfs);
	for (int i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	for (int i = 0; i < p->nfiles; i++) {
		free(p->files[i].src);
		free(p->files[i].stage);
	}
	for (int i = 0; i < p->nmps; i++)
		free(p->mps[i].path);
	for (int i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	proto_buf_free(&p->confine);
	memset(p, 0, sizeof(*p));
}

int s2v_encode_stream(const struct s2v_plan *p, uint16_t rows, uint16_t cols, struct proto_buf *b)
{
	struct proto_spec s = p->spec;
	s.rows = rows;
	s.cols = cols;
	if (proto_encode_spec(b, &s) < 0 || proto_append(b, p->confine.data, p->confine.len) < 0)
		return -1;
	return 0;
}

int s2v_write_stream(int fd, const struct proto_buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		off += (size_t)n;
	}
	return lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}
