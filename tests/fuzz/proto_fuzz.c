/* libFuzzer target for the control codec (proto/proto.c), the only code that
 * parses control bytes on either side.
 *
 * An input is a message as it comes off the stream: 8 header bytes, then the
 * payload. The header goes through proto_parse_hdr(); the payload (what the
 * header's len covers, or all the rest when the header is refused) goes
 * through every decoder, each time in its own exact-size allocation so ASan
 * sees a read past the end. The spec decoder gets a small scratch array;
 * a byte after the message, if any, sets its size (0..40), so that limit is
 * exercised too.
 *
 * What is checked beyond "no crash": a decoded message re-encodes to the
 * very same bytes (the encoding is canonical), every decoded string lies
 * inside the payload, and the decoded counts obey the documented limits.
 *
 *   make build/fuzz/proto_fuzz
 *   MVRUN_PROTO_SEEDS=DIR build/fuzz/proto_fuzz   # writes seed inputs, exits
 *   tests/fuzz/run.sh build/fuzz/proto_fuzz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "proto/proto.h"
#include "proto/proto_net.h"

#define SCRATCH_MAX 40

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "proto_fuzz: %s\n", what);
		abort();
	}
}

static int inside(const char *s, const uint8_t *p, size_t len)
{
	if (!s || (const uint8_t *)s < p || (const uint8_t *)s >= p + len)
		return 0;
	size_t room = len - (size_t)((const uint8_t *)s - p);
	return memchr(s, 0, room) != NULL;
}

/* The message b holds must be exactly header(type) + p[0..len). */
static void same_bytes(const struct proto_buf *b, enum proto_type type, const uint8_t *p,
		       size_t len)
{
	struct proto_hdr h;
	check(!b->failed && b->len == PROTO_HDR_LEN + len, "re-encoded length differs");
	check(proto_parse_hdr(b->data, &h) == 0 && h.type == type && h.len == len,
	      "re-encoded header is wrong");
	check(memcmp(b->data + PROTO_HDR_LEN, p, len) == 0, "re-encoded payload differs");
}

static void fuzz_spec(const uint8_t *p, size_t len, size_t nscratch)
{
	struct proto_spec s;
	const char *scratch[SCRATCH_MAX];
	if (proto_decode_spec(p, len, &s, scratch, nscratch) != 0)
		return;
	check(s.argc >= 1 && (uint64_t)s.argc + s.envc + 2 <= nscratch, "argv/env beyond scratch");
	check(s.ngroups <= PROTO_MAX_GROUPS && s.nmounts <= PROTO_MAX_MOUNTS &&
		      s.nrlimits <= PROTO_MAX_RLIMITS,
	      "a count beyond its limit");
	check(s.argv == scratch && s.env == scratch + s.argc + 1, "arrays not in the scratch");
	check(s.argv[s.argc] == NULL && s.env[s.envc] == NULL, "arrays not NULL-terminated");
	check(inside(s.cwd, p, len) && inside(s.hostname, p, len) && inside(s.root_tag, p, len),
	      "a string outside the payload");
	for (uint32_t i = 0; i < s.argc; i++)
		check(inside(s.argv[i], p, len), "argv outside the payload");
	for (uint32_t i = 0; i < s.envc; i++)
		check(inside(s.env[i], p, len), "env outside the payload");
	for (uint32_t i = 0; i < s.nmounts; i++)
		check(inside(s.mounts[i].tag, p, len) && inside(s.mounts[i].path, p, len) &&
		      inside(s.mounts[i].fstype, p, len) && inside(s.mounts[i].source, p, len),
		      "a mount string outside the payload");

	struct proto_buf b = { 0 };
	check(proto_encode_spec(&b, &s) == 0, "a decoded spec does not re-encode");
	same_bytes(&b, PROTO_SPEC, p, len);

	/* And the re-encoded bytes decode to the same spec again. */
	struct proto_spec t;
	const char *scratch2[SCRATCH_MAX];
	uint8_t *q = malloc(len);
	memcpy(q, b.data + PROTO_HDR_LEN, len);
	check(proto_decode_spec(q, len, &t, scratch2, nscratch) == 0, "round trip does not decode");
	check(t.argc == s.argc && t.envc == s.envc && t.ngroups == s.ngroups &&
		      t.nmounts == s.nmounts && t.nrlimits == s.nrlimits && t.flags == s.flags &&
		      t.rows == s.rows && t.cols == s.cols && strcmp(t.cwd, s.cwd) == 0,
	      "round trip changed the spec");
	free(q);
	proto_buf_free(&b);
}

/* EXEC: the id, then exactly what SPEC would decode from the rest. */
static void fuzz_exec(const uint8_t *p, size_t len, size_t nscratch)
{
	struct proto_spec s, t;
	const char *scratch[SCRATCH_MAX], *scratch2[SCRATCH_MAX];
	uint32_t id;
	int rc = proto_decode_exec(p, len, &id, &s, scratch, nscratch);
	if (len < 4) {
		check(rc != 0, "exec without a whole id accepted");
		return;
	}
	check(rc == proto_decode_spec(p + 4, len - 4, &t, scratch2, nscratch),
	      "exec and spec disagree on the same bytes");
	if (rc != 0)
		return;
	struct proto_buf b = { 0 };
	check(proto_encode_exec(&b, id, &s) == 0, "a decoded exec does not re-encode");
	same_bytes(&b, PROTO_EXEC, p, len);
	proto_buf_free(&b);
}

/* CONFINE, EXEC_CONFINE and SETUP (proto/confine.h): limits, pointers
 * inside the payload, and a canonical re-encoding. */
static void fuzz_confine(const uint8_t *p, size_t len)
{
	struct proto_buf b = { 0 };
	struct proto_confine c;
	uint32_t id;
	if (proto_decode_confine(p, len, &c) == 0) {
		size_t tail = c.flags & PROTO_CONFINE_OOM ? 4 : 0;
		check(c.nbpf <= PROTO_MAX_BPF && !(c.flags & ~(uint32_t)PROTO_CONFINE_ALL) &&
			      c.oom_score_adj >= PROTO_OOM_MIN && c.oom_score_adj <= PROTO_OOM_MAX,
		      "confine beyond its limits");
		check(!c.nbpf || (c.bpf >= p && c.bpf + (size_t)c.nbpf * PROTO_BPF_INSN + tail == p + len),
		      "the program is not where the payload ends");
		check(proto_encode_confine(&b, &c) == 0, "confine does not re-encode");
		same_bytes(&b, PROTO_CONFINE, p, len);
		proto_buf_free(&b);
	}
	if (proto_decode_exec_confine(p, len, &id, &c) == 0) {
		check(proto_encode_exec_confine(&b, id, &c) == 0, "exec confine does not re-encode");
		same_bytes(&b, PROTO_EXEC_CONFINE, p, len);
		proto_buf_free(&b);
	}
	static struct proto_setup s;
	if (proto_decode_setup(p, len, &s) == 0) {
		check(s.nmasked <= PROTO_MAX_PATHS && s.nreadonly <= PROTO_MAX_PATHS &&
			      s.nsysctl <= PROTO_MAX_SYSCTL && s.ndevices <= PROTO_MAX_DEVICES &&
			      s.ndevrules <= PROTO_MAX_DEVRULES,
		      "setup beyond its limits");
		check(inside(s.domainname, p, len), "domainname outside the payload");
		for (uint32_t i = 0; i < s.nmasked; i++)
			check(inside(s.masked[i], p, len), "a masked path outside the payload");
		for (uint32_t i = 0; i < s.nreadonly; i++)
			check(inside(s.readonly[i], p, len), "a read-only path outside the payload");
		for (uint32_t i = 0; i < s.nsysctl; i++)
			check(inside(s.sysctl_key[i], p, len) && inside(s.sysctl_value[i], p, len),
			      "a sysctl outside the payload");
		for (uint32_t i = 0; i < s.ndevices; i++)
			check(inside(s.devices[i].path, p, len), "a device path outside the payload");
		check(s.ncgfiles <= PROTO_MAX_CGFILES && inside(s.cgroupfs, p, len),
		      "cgroup files beyond their limits");
		for (uint32_t i = 0; i < s.ncgfiles; i++)
			check(proto_cgfile_name_ok(s.cgfiles[i].name) &&
				      inside(s.cgfiles[i].value, p, len), "a bad cgroup file");
		check(proto_encode_setup(&b, &s) == 0, "setup does not re-encode");
		same_bytes(&b, PROTO_SETUP, p, len);
		proto_buf_free(&b);
	}
}

static void fuzz_payload(const uint8_t *data, size_t len, size_t nscratch)
{
	/* Each decoder reads its own exact-size copy. */
	uint8_t *p = malloc(len ? len : 1);
	memcpy(p, data, len);
	struct proto_buf b = { 0 };

	uint32_t v;
	if (proto_decode_u32(p, len, &v) == 0) {
		check(len == 4, "u32 accepted with the wrong length");
		check(proto_encode_u32(&b, PROTO_EXIT, v) == 0, "u32 does not re-encode");
		same_bytes(&b, PROTO_EXIT, p, len);
		proto_buf_free(&b);
	}
	uint16_t rows, cols;
	if (proto_decode_resize(p, len, &rows, &cols) == 0) {
		check(len == 4, "resize accepted with the wrong length");
		check(proto_encode_resize(&b, rows, cols) == 0, "resize does not re-encode");
		same_bytes(&b, PROTO_RESIZE, p, len);
		proto_buf_free(&b);
	}
	const char *msg;
	if (proto_decode_error(p, len, &v, &msg) == 0) {
		check(inside(msg, p, len) && len == 9 + strlen(msg), "error message misplaced");
		check(proto_encode_error(&b, v, msg) == 0, "error does not re-encode");
		same_bytes(&b, PROTO_ERROR, p, len);
		proto_buf_free(&b);
	}
	uint32_t id;
	if (proto_decode_pair(p, len, &id, &v) == 0) {
		check(len == 8, "pair accepted with the wrong length");
		check(proto_encode_pair(&b, PROTO_EXEC_EXIT, id, v) == 0, "pair does not re-encode");
		same_bytes(&b, PROTO_EXEC_EXIT, p, len);
		proto_buf_free(&b);
	}
	if (proto_decode_exec_resize(p, len, &id, &rows, &cols) == 0) {
		check(len == 8, "exec resize accepted with the wrong length");
		check(proto_encode_exec_resize(&b, id, rows, cols) == 0, "exec resize does not re-encode");
		same_bytes(&b, PROTO_EXEC_RESIZE, p, len);
		proto_buf_free(&b);
	}
	uint32_t st;
	if (proto_decode_exec_error(p, len, &id, &st, &msg) == 0) {
		check(inside(msg, p, len) && len == 13 + strlen(msg), "exec error message misplaced");
		check(proto_encode_exec_error(&b, id, st, msg) == 0, "exec error does not re-encode");
		same_bytes(&b, PROTO_EXEC_ERROR, p, len);
		proto_buf_free(&b);
	}
	struct proto_hdr inner;
	const uint8_t *ip;
	if (proto_decode_member(p, len, &id, &inner, &ip) == 0) {
		check(inner.type != PROTO_MEMBER && ip == p + 4 + PROTO_HDR_LEN &&
		      inner.len == len - 4 - PROTO_HDR_LEN, "member's message misplaced");
		check(proto_encode_member(&b, id, p + 4, len - 4) == 0, "member does not re-encode");
		same_bytes(&b, PROTO_MEMBER, p, len);
		proto_buf_free(&b);
	}
	struct proto_net net;
	if (proto_decode_net(p, len, &net) == 0) {
		check(net.naddrs <= PROTO_NET_MAX_ADDRS && net.nroutes <= PROTO_NET_MAX_ROUTES,
		      "net counts above the limits");
		check(proto_encode_net(&b, &net) == 0, "net does not re-encode");
		same_bytes(&b, PROTO_NET, p, len);
		proto_buf_free(&b);
	}
	static struct proto_update u;
	if (proto_decode_update(p, len, &u) == 0) {
		check(u.ncgfiles <= PROTO_MAX_CGFILES, "update beyond its limits");
		for (uint32_t i = 0; i < u.ncgfiles; i++)
			check(proto_cgfile_name_ok(u.cgfiles[i].name) &&
				      inside(u.cgfiles[i].value, p, len), "a bad cgroup file in an update");
		check(proto_encode_update(&b, &u) == 0, "update does not re-encode");
		same_bytes(&b, PROTO_UPDATE, p, len);
		proto_buf_free(&b);
	}
	static struct proto_hooks hk;
	if (proto_decode_hooks(p, len, &hk) == 0) {
		check(hk.n <= PROTO_MAX_HOOKS && inside(hk.state_creating, p, len) &&
			      inside(hk.state_created, p, len), "hooks beyond their limits");
		for (uint32_t i = 0; i < hk.n; i++) {
			const struct proto_hook *k = &hk.hook[i];
			check(k->kind < PROTO_HOOK_KINDS && inside(k->path, p, len) && k->path[0] == '/' &&
				      k->nargs <= PROTO_MAX_HOOK_STRS && k->nenv <= PROTO_MAX_HOOK_STRS &&
				      !k->args[k->nargs] && !k->env[k->nenv],
			      "a hook beyond its limits");
			for (uint32_t j = 0; j < k->nargs; j++)
				check(inside(k->args[j], p, len), "a hook arg outside the payload");
			for (uint32_t j = 0; j < k->nenv; j++)
				check(inside(k->env[j], p, len), "a hook env entry outside the payload");
		}
		check(proto_encode_hooks(&b, &hk) == 0, "hooks do not re-encode");
		same_bytes(&b, PROTO_HOOKS, p, len);
		proto_buf_free(&b);
	}
	fuzz_spec(p, len, nscratch);
	fuzz_exec(p, len, nscratch);
	fuzz_confine(p, len);
	free(p);
}

/* Seed inputs: one well-formed message of each type. */
static void write_seeds(const char *dir)
{
	static const char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	static const char *env[] = { "PATH=/bin", "TERM=xterm", NULL };
	struct proto_spec s = { .flags = PROTO_SPEC_TTY, .uid = 1000, .gid = 1000, .umask = 022,
				.ngroups = 2, .groups = { 10, 20 }, .rows = 24, .cols = 80,
				.cwd = "/", .hostname = "box", .root_tag = "root", .argc = 3,
				.argv = argv, .envc = 2, .env = env, .nmounts = 1,
				.mounts = { { "vol0", "/data", PROTO_MOUNT_RO, "", "" } }, .nrlimits = 1,
				.rlimits = { { 7, 1024, 4096 } } };
	static const uint8_t bpf[16] = { 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f, 0x06, 0, 0, 0, 0, 0, 0, 0 };
	struct proto_confine conf = { .flags = PROTO_CONFINE_ALL, .caps = { 0x20000420, 1, 2, 3, 4 },
				      .seccomp_flags = 2, .nbpf = 2, .bpf = bpf, .oom_score_adj = -100 };
	static struct proto_setup setup = {
		.domainname = "example.test", .nmasked = 2, .masked = { "/proc/kcore", "/sys/firmware" },
		.nreadonly = 1, .readonly = { "/proc/sys" }, .nsysctl = 1,
		.sysctl_key = { "net.ipv4.ip_forward" }, .sysctl_value = { "1" }, .ndevices = 1,
		.devices = { { "/dev/fuse", 'c', 10, 229, 0666, 0, 0 } }, .ndevrules = 2,
		.devrules = { { 1, 'c', 1, 3, 7 }, { 0, 'b', PROTO_DEV_ANY, PROTO_DEV_ANY, 4 } },
		.ncgfiles = 2, .cgfiles = { { "pids.max", "20" }, { "memory.max", "33554432" } },
		.cgroupfs = "/sys/fs/cgroup", .cgroupfs_flags = PROTO_MOUNT_RO };
	static const struct proto_update update = { 3, 1, { { "pids.max", "20" } }, 15 };
	mkdir(dir, 0755);
	struct proto_net net = { .flags = PROTO_NET_UP, .mtu = 1500,
				 .mac = { 2, 0x42, 10, 88, 0, 5 }, .naddrs = 1,
				 .addrs = { { PROTO_NET_INET, 16, { 10, 88, 0, 5 } } }, .nroutes = 1,
				 .routes = { { PROTO_NET_INET, 0, PROTO_NET_ROUTE_GW, { 0 },
					       { 10, 88, 0, 1 }, 0 } } };
	static struct proto_hooks hooks = {
		.state_creating = "{\"status\":\"creating\"}", .state_created = "{}", .n = 2,
		.hook = { { .kind = PROTO_HOOK_CREATE_CONTAINER, .timeout = 5, .path = "/bin/sh",
			    .nargs = 2, .args = { "sh", "-c" }, .nenv = 1, .env = { "A=1" } },
			  { .kind = PROTO_HOOK_START_CONTAINER, .path = "/x" } } };
	for (int k = 0; k < 20; k++) {
		struct proto_buf b = { 0 }, in = { 0 };
		switch (k) {
		case 19:
			proto_encode_u32(&in, PROTO_SIGNAL, 15);
			proto_encode_member(&b, 2, in.data, in.len);
			proto_buf_free(&in);
			break;
		case 0: proto_encode_u32(&b, PROTO_HELLO, PROTO_VERSION); break;
		case 1: proto_encode_spec(&b, &s); break;
		case 2: proto_encode_empty(&b, PROTO_READY); break;
		case 3: proto_encode_error(&b, 127, "exec: not found"); break;
		case 4: proto_encode_empty(&b, PROTO_START); break;
		case 5: proto_encode_u32(&b, PROTO_SIGNAL, 15); break;
		case 6: proto_encode_resize(&b, 50, 132); break;
		case 7: proto_encode_u32(&b, PROTO_EXIT, 7); break;
		case 8: proto_encode_exec(&b, 3, &s); break;
		case 9: proto_encode_pair(&b, PROTO_EXEC_EXIT, 3, 130); break;
		case 10: proto_encode_exec_error(&b, 3, 127, "exec \"x\": not found"); break;
		case 11: proto_encode_exec_resize(&b, 3, 40, 100); break;
		case 12: proto_encode_net(&b, &net); break;
		case 13: proto_encode_pair(&b, PROTO_EXEC_SIGNAL, 3, 15); break;
		case 14: proto_encode_confine(&b, &conf); break;
		case 15: proto_encode_exec_confine(&b, 3, &conf); break;
		case 16: proto_encode_update(&b, &update); break;
		case 17: proto_encode_hooks(&b, &hooks); break;
		default: proto_encode_setup(&b, &setup); break;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/msg%d", dir, k);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
			perror(path);
			exit(1);
		}
		proto_buf_free(&b);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("MVRUN_PROTO_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < PROTO_HDR_LEN)
		return 0;
	struct proto_hdr h;
	const uint8_t *p = data + PROTO_HDR_LEN;
	size_t len = size - PROTO_HDR_LEN;
	size_t nscratch = SCRATCH_MAX;
	if (proto_parse_hdr(data, &h) == 0) {
		check(h.version == PROTO_VERSION && h.type >= 1 && h.type < PROTO_TYPE_MAX &&
			      h.len <= PROTO_MAX_MSG - PROTO_HDR_LEN,
		      "a header outside the documented range was accepted");
		if (h.len < len) {
			/* The byte after the message sets the scratch size. */
			nscratch = p[h.len] % (SCRATCH_MAX + 1);
			len = h.len;
		}
	}
	fuzz_payload(p, len, nscratch);
	return 0;
}
