/* libFuzzer target for the config.json parser (runtime-shim/config*.c) and
 * the spec-to-VM translation (spec2vm*.c): the bundle's config.json is the
 * one input mvrun takes from whoever runs containers.
 *
 * An input is config.json's text. When cfg_parse() accepts it, s2v_build()
 * plans the VM against a temp bundle that holds an empty rootfs/ (so
 * "rootfs" and "/" are valid roots; other paths are looked up read-only on
 * this host). Then mvm's own argument parser must accept the planned
 * command line, and mvm's stream check the planned container stream: a plan
 * mvrun accepts and mvm refuses would fail only at create time, with mvm's
 * message instead of one naming the config field.
 *
 * Also checked beyond "no crash": every failure names config.json and
 * leaves nothing allocated; an accepted config has the fields config.h
 * promises (args non-empty and NULL-terminated, cwd absolute, ...).
 *
 *   make build/fuzz/config_fuzz
 *   build/fuzz/config_fuzz -max_total_time=60 tests/fuzz/config_corpus
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/hooks.h"
#include "runtime-shim/plan/spec2vm.h"
#include "vmm/args.h"
#include "vmm/agent/session.h"
#include "vmm/agent/stream.h"
#include "vmm/core/vm.h"

static char bundle[64];

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "config_fuzz: %s\n", what);
		abort();
	}
}

static void remove_bundle(void)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/rootfs", bundle);
	rmdir(p);
	rmdir(bundle);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char p[96];
	snprintf(bundle, sizeof(bundle), "/tmp/config_fuzz-XXXXXX");
	snprintf(p, sizeof(p), "%s/rootfs", mkdtemp(bundle) ? bundle : "/nonexistent");
	if (mkdir(p, 0755) < 0) {
		perror(p);
		exit(1);
	}
	atexit(remove_bundle);
	return 0;
}

static void check_cfg(const struct cfg *c)
{
	const struct cfg_process *p = &c->process;
	check(c->doc && c->oci_version && c->oci_version[0] == '1', "ociVersion not 1.x");
	check(c->root_path && c->root_path[0], "root.path empty");
	check(c->has_process && p->nargs >= 1 && p->args[0][0] && !p->args[p->nargs],
	      "process.args not as promised");
	check(p->cwd && p->cwd[0] == '/', "process.cwd not absolute");
	for (int i = 0; i < p->nenv; i++)
		check(strchr(p->env[i], '=') > p->env[i], "process.env entry not NAME=VALUE");
	check(!p->nenv || !p->env[p->nenv], "process.env not NULL-terminated");
	for (int i = 0; i < c->nmounts; i++)
		check(c->mounts[i].destination && c->mounts[i].destination[0], "empty mount destination");
}

static void check_plan(const struct cfg *c, struct s2v_plan *plan)
{
	check(plan->argc > 0 && plan->argv[plan->argc] == NULL, "argv not NULL-terminated");
	for (int i = 0; i < plan->argc; i++)
		check(plan->argv[i] != NULL, "a NULL inside argv");
	check(plan->rootfs && plan->rootfs[0] == '/' && !strchr(plan->rootfs, ':'), "bad rootfs");
	check(plan->cpus >= 1 && plan->cpus <= MVM_MAX_VCPUS, "vCPUs out of range");
	check(plan->mem_mib >= S2V_MIN_MEM_MIB, "guest RAM below the minimum");

	/* mvm's command line with the stream's fd, as launch.c adds it. */
	static struct mvm_args a;
	static struct session_files bf;
	struct err merr = { 0 };
	char **argv = calloc((size_t)plan->argc + 3, sizeof(*argv)), fdarg[16];
	check(argv != NULL, "out of memory");
	memcpy(argv, plan->argv, (size_t)plan->argc * sizeof(*argv));
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	argv[plan->argc] = "--stream-fd";
	argv[plan->argc + 1] = fdarg;
	int r = args_parse(plan->argc + 2, argv, &a, &merr);
	close(fd);
	free(argv);
	if (r != 0) {
		fprintf(stderr, "config_fuzz: mvm refuses the plan: %s\n", merr.msg);
		abort();
	}
	check(a.mem_mib == plan->mem_mib && a.cpus == plan->cpus && !strcmp(a.root, plan->rootfs),
	      "mvm reads the plan differently");
	/* The stream as the child writes it (HOOKS aside: they need mvm's pid). */
	const char *tags[SESSION_MAX_TAGS];
	if (session_files(&a, &bf, &merr) != 0) {
		fprintf(stderr, "config_fuzz: mvm refuses the plan's files: %s\n", merr.msg);
		abort();
	}
	int n = session_share_tags(&a, &bf, tags);
	struct proto_buf b = { 0 };
	struct vfs_policy pol = { 0 };
	uint32_t flags = 0;
	struct s2v_plan noh = *plan;
	noh.spec.flags &= ~PROTO_SPEC_HOOKS;
	if (s2v_encode_stream(&noh, 0, 0, &b) == 0 &&
	    stream_check(b.data, b.len, tags, n, &pol, &flags, &merr) != 0) {
		fprintf(stderr, "config_fuzz: mvm refuses the plan's stream: %s\n", merr.msg);
		abort();
	}
	proto_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, not NUL-terminated: ASan sees any read past len. */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	struct cfg c;
	struct err err = { 0 };
	if (cfg_parse(text, size, &c, &err) != 0) {
		check(err.status == CFG_EXIT && !strncmp(err.msg, "config.json: ", 13),
		      "a parse error that does not name config.json");
		check(c.doc == NULL && c.process.args == NULL && c.mounts == NULL,
		      "a failed parse left allocations");
		free(text);
		return 0;
	}
	free(text); /* the cfg must not point into the caller's text */
	check_cfg(&c);

	struct s2v_inputs in = { .bundle = bundle, .mvm = "/opt/mvm", .kernel = "/opt/vmlinux",
				 .initrd = "/opt/initramfs.cpio", .ready_fd = -1,
				 .state_dir = "/run/mvrun/fuzz" };
	struct s2v_plan plan;
	memset(&err, 0, sizeof(err));
	if (s2v_build(&c, &in, &plan, &err) == 0) {
		check_plan(&c, &plan);
		s2v_free(&plan);
	} else {
		check(err.status == CFG_EXIT && !strncmp(err.msg, "config.json: ", 13),
		      "a plan error that does not name config.json");
		check(plan.argv == NULL && plan.rootfs == NULL && plan.nnotes == 0,
		      "a failed plan left allocations");
	}
	cfg_free(&c);
	return 0;
}
