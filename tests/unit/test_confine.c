/* proto/confine.c: CONFINE, EXEC_CONFINE and SETUP round trips and the
 * decoder's refusals; runtime-shim/confine.c: the config → those messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/confine.h"
#include "runtime-shim/confine.h"

static const uint8_t bpf[24] = { 0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 0, 1, 0x3e, 0, 0, 0xc0,
				 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f };

static struct proto_confine full_confine(void)
{
	return (struct proto_confine){ .flags = PROTO_CONFINE_ALL,
				       .caps = { 0x20000420, 0x400, 0x401, 0x1, 0x400 },
				       .seccomp_flags = 2, .nbpf = 3, .bpf = bpf,
				       .oom_score_adj = -999 };
}

/* The payload of the one message b holds, checked to be of type. */
static const uint8_t *payload(const struct proto_buf *b, uint16_t type, size_t *len)
{
	struct proto_hdr h;
	cr_assert_eq(b->failed, 0);
	cr_assert_eq(proto_parse_hdr(b->data, &h), 0);
	cr_assert_eq(h.type, type);
	cr_assert_eq(h.len + PROTO_HDR_LEN, b->len);
	*len = h.len;
	return b->data + PROTO_HDR_LEN;
}

Test(confine, confine_round_trip_and_layout)
{
	struct proto_confine c = full_confine(), d;
	struct proto_buf b = { 0 };
	size_t len;
	cr_assert_eq(proto_encode_confine(&b, &c), 0);
	const uint8_t *p = payload(&b, PROTO_CONFINE, &len);
	cr_assert_eq(len, 4 + 5 * 8 + 4 + 4 + 24 + 4);
	cr_assert_eq(p[0], PROTO_CONFINE_ALL);
	cr_assert_eq(p[4], 0x20); /* bounding, little-endian */
	cr_assert_eq(proto_decode_confine(p, len, &d), 0);
	cr_assert_eq(d.flags, c.flags);
	cr_assert_arr_eq(d.caps, c.caps, sizeof(c.caps));
	cr_assert_eq(d.seccomp_flags, 2);
	cr_assert_eq(d.nbpf, 3);
	cr_assert_arr_eq(d.bpf, bpf, sizeof(bpf));
	cr_assert(d.bpf >= p && d.bpf < p + len, "the program points into the payload");
	cr_assert_eq(d.oom_score_adj, -999);
	cr_assert_eq(p[len - 4], 0x19); /* -999, two's complement, after the program */
	cr_assert_eq(p[len - 1], 0xff);
	/* Every truncation and a trailing byte are refused. */
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_confine(p, n, &d), -1, "accepted %zu of %zu bytes", n, len);
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, p, len);
	longer[len] = 0;
	cr_assert_eq(proto_decode_confine(longer, len + 1, &d), -1);
	free(longer);
	proto_buf_free(&b);
}

Test(confine, exec_confine_carries_the_id)
{
	struct proto_confine c = full_confine(), d;
	struct proto_buf b = { 0 };
	uint32_t id;
	size_t len;
	cr_assert_eq(proto_encode_exec_confine(&b, 63, &c), 0);
	const uint8_t *p = payload(&b, PROTO_EXEC_CONFINE, &len);
	cr_assert_eq(proto_decode_exec_confine(p, len, &id, &d), 0);
	cr_assert_eq(id, 63);
	cr_assert_eq(d.nbpf, 3);
	cr_assert_eq(proto_decode_exec_confine(p, 3, &id, &d), -1);
	proto_buf_free(&b);
}

Test(confine, confine_rules)
{
	struct proto_buf b = { 0 };
	struct proto_confine c = full_confine(), d;
	/* Encoders refuse what decoders would, and leave nothing behind. */
	c.flags = 0x10;
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	cr_assert_eq(b.len, 0);
	b.failed = 0;
	c = full_confine();
	c.oom_score_adj = 1001; /* beyond the kernel's range */
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	b.failed = 0;
	c.flags &= ~(uint32_t)PROTO_CONFINE_OOM; /* a value without its flag */
	c.oom_score_adj = 5;
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	b.failed = 0;
	c = full_confine();
	c.nbpf = 0; /* seccomp without a program */
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	b.failed = 0;
	c = full_confine();
	c.flags = PROTO_CONFINE_CAPS; /* a program without seccomp */
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	b.failed = 0;
	c.nbpf = PROTO_MAX_BPF + 1;
	c.flags = PROTO_CONFINE_ALL;
	cr_assert_eq(proto_encode_confine(&b, &c), -1);
	b.failed = 0;
	/* No program at all is fine. */
	c = (struct proto_confine){ .flags = PROTO_CONFINE_CAPS | PROTO_CONFINE_NNP };
	cr_assert_eq(proto_encode_confine(&b, &c), 0);
	size_t len;
	const uint8_t *p = payload(&b, PROTO_CONFINE, &len);
	cr_assert_eq(proto_decode_confine(p, len, &d), 0);
	cr_assert_null(d.bpf);
	/* A count past the limit, by hand: nbpf is at offset 48. */
	uint8_t raw[52] = { 0 };
	raw[0] = PROTO_CONFINE_SECCOMP;
	raw[48] = 0x01;
	raw[49] = 0x10; /* 4097 */
	cr_assert_eq(proto_decode_confine(raw, sizeof(raw), &d), -1);
	raw[0] = 0x80; /* an unknown flag, no program */
	raw[48] = raw[49] = 0;
	cr_assert_eq(proto_decode_confine(raw, sizeof(raw), &d), -1);
	raw[0] = 0;
	cr_assert_eq(proto_decode_confine(raw, sizeof(raw), &d), 0);
	raw[0] = PROTO_CONFINE_OOM; /* the flag without its value */
	cr_assert_eq(proto_decode_confine(raw, sizeof(raw), &d), -1);
	uint8_t oom[56] = { PROTO_CONFINE_OOM };
	memcpy(oom + 52, (uint8_t[]){ 0xe9, 0x03, 0, 0 }, 4); /* 1001 */
	cr_assert_eq(proto_decode_confine(oom, sizeof(oom), &d), -1);
	oom[52] = 0xe8; /* 1000 */
	cr_assert_eq(proto_decode_confine(oom, sizeof(oom), &d), 0);
	cr_assert_eq(d.oom_score_adj, 1000);
	proto_buf_free(&b);
}

Test(confine, setup_round_trip)
{
	static struct proto_setup s, d;
	struct proto_buf b = { 0 };
	size_t len;
	s = (struct proto_setup){ .domainname = "example.test", .nmasked = 2,
				  .masked = { "/proc/kcore", "/sys/firmware" }, .nreadonly = 1,
				  .readonly = { "/proc/sys" }, .nsysctl = 1,
				  .sysctl_key = { "net.ipv4.ip_forward" }, .sysctl_value = { "1" },
				  .ndevices = 1,
				  .devices = { { "/dev/fuse", 'c', 10, 229, 0600, 1000, 5 } },
				  .ndevrules = 2,
				  .devrules = { { 0, 'a', PROTO_DEV_ANY, PROTO_DEV_ANY, 7 },
						{ 1, 'c', 136, PROTO_DEV_ANY, PROTO_DEV_R | PROTO_DEV_W } },
				  .pids_max = 20, .flags = PROTO_SETUP_PIDNS };
	cr_assert_eq(proto_encode_setup(&b, &s), 0);
	const uint8_t *p = payload(&b, PROTO_SETUP, &len);
	cr_assert_eq(proto_decode_setup(p, len, &d), 0);
	cr_assert_str_eq(d.domainname, "example.test");
	cr_assert_eq(d.nmasked, 2);
	cr_assert_str_eq(d.masked[1], "/sys/firmware");
	cr_assert_str_eq(d.readonly[0], "/proc/sys");
	cr_assert_str_eq(d.sysctl_key[0], "net.ipv4.ip_forward");
	cr_assert_str_eq(d.sysctl_value[0], "1");
	cr_assert_str_eq(d.devices[0].path, "/dev/fuse");
	cr_assert_eq(d.devices[0].type, 'c');
	cr_assert_eq(d.devices[0].major, 10);
	cr_assert_eq(d.devices[0].minor, 229);
	cr_assert_eq(d.devices[0].mode, 0600);
	cr_assert_eq(d.devices[0].uid, 1000);
	cr_assert_eq(d.devices[0].gid, 5);
	cr_assert_eq(d.ndevrules, 2);
	cr_assert_eq(d.devrules[0].type, 'a');
	cr_assert_eq(d.devrules[1].allow, 1);
	cr_assert_eq(d.devrules[1].major, 136);
	cr_assert_eq(d.devrules[1].minor, PROTO_DEV_ANY);
	cr_assert_eq(d.devrules[1].access, PROTO_DEV_R | PROTO_DEV_W);
	cr_assert_eq(d.pids_max, 20);
	cr_assert_eq(d.flags, PROTO_SETUP_PIDNS);
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_setup(p, n, &d), -1, "accepted %zu of %zu bytes", n, len);
	/* A flag the guest does not know: refused both ways. */
	struct proto_buf fb = { 0 };
	size_t flen;
	s.flags = 0x2;
	cr_assert_eq(proto_encode_setup(&fb, &s), -1);
	proto_buf_free(&fb);
	fb = (struct proto_buf){ 0 };
	s.flags = PROTO_SETUP_PIDNS;
	cr_assert_eq(proto_encode_setup(&fb, &s), 0);
	uint8_t *fq = (uint8_t *)payload(&fb, PROTO_SETUP, &flen);
	fq[flen - 4] = 0x3;
	cr_assert_eq(proto_decode_setup(fq, flen, &d), -1);
	proto_buf_free(&fb);
	/* A rule the guest must not write: each field out of its range. */
	const struct proto_devrule bad[] = { { 2, 'c', 1, 3, 7 }, { 1, 'u', 1, 3, 7 },
					     { 1, 'c', 1u << 20, 3, 7 }, { 1, 'c', 1, 3, 8 } };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct proto_buf bb = { 0 };
		struct proto_devrule good = s.devrules[1];
		size_t blen;
		s.devrules[1] = bad[k];
		cr_assert_eq(proto_encode_setup(&bb, &s), -1, "encoded bad rule %zu", k);
		s.devrules[1] = good;
		proto_buf_free(&bb);
		bb = (struct proto_buf){ 0 };
		/* The same bytes by hand: patch the last rule's field k (before
		 * pids_max, the two empty id maps and the flags). */
		cr_assert_eq(proto_encode_setup(&bb, &s), 0);
		uint8_t *q = (uint8_t *)payload(&bb, PROTO_SETUP, &blen);
		size_t at = blen - 4 - 8 - 8 - 20 + (k == 0 ? 0 : k == 1 ? 4 : k == 2 ? 8 : 16);
		uint32_t v = k == 0 ? 2 : k == 1 ? 'u' : k == 2 ? 1u << 20 : 8;
		q[at] = (uint8_t)v, q[at + 1] = (uint8_t)(v >> 8), q[at + 2] = (uint8_t)(v >> 16);
		q[at + 3] = (uint8_t)(v >> 24);
		cr_assert_eq(proto_decode_setup(q, blen, &d), -1, "decoded bad rule %zu", k);
		proto_buf_free(&bb);
	}
	proto_buf_free(&b);
	s.nmasked = PROTO_MAX_PATHS + 1;
	cr_assert_eq(proto_encode_setup(&b, &s), -1);
	cr_assert_eq(b.len, 0);
	/* By hand: "" domainname, then a masked count past the limit. */
	uint8_t raw[9] = { 1, 0, 0, 0, 0, 129, 0, 0, 0 };
	cr_assert_eq(proto_decode_setup(raw, sizeof(raw), &d), -1);
}

Test(confine, append_whole_messages)
{
	struct proto_buf a = { 0 }, b = { 0 };
	struct proto_confine c = full_confine();
	cr_assert_eq(proto_encode_confine(&a, &c), 0);
	cr_assert_eq(proto_encode_u32(&b, PROTO_HELLO, 1), 0);
	size_t at = b.len;
	cr_assert_eq(proto_append(&b, a.data, a.len), 0);
	cr_assert_eq(b.len, at + a.len);
	cr_assert_arr_eq(b.data + at, a.data, a.len);
	proto_buf_free(&a);
	proto_buf_free(&b);
}

/* ---- runtime-shim/confine.c ---- */

static struct cfg cfg;

static void parse(const char *json)
{
	struct err err = { 0 };
	char *text = strdup(json);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	cfg_free(&cfg);
	cr_assert_eq(cfg_parse(text, strlen(text), &cfg, &err), 0, "%s", err.msg);
	free(text);
}

Test(confine, names_to_numbers)
{
	cr_assert_eq(cf_cap_number("CAP_CHOWN"), 0);
	cr_assert_eq(cf_cap_number("CAP_SYS_ADMIN"), 21);
	cr_assert_eq(cf_cap_number("CAP_CHECKPOINT_RESTORE"), 40);
	cr_assert_eq(cf_cap_number("CAP_NOPE"), -1);
	cr_assert_eq(cf_rlimit_number("RLIMIT_CPU"), 0);
	cr_assert_eq(cf_rlimit_number("RLIMIT_NOFILE"), 7);
	cr_assert_eq(cf_rlimit_number("RLIMIT_RTTIME"), 15);
	cr_assert_eq(cf_rlimit_number("RLIMIT_NOPE"), -1);
}

Test(confine, process_caps_nnp_and_fallback)
{
	struct proto_confine c;
	struct sc_prog prog;
	struct err err = { 0 };
	int unknown;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/',"
	      " 'noNewPrivileges': true, 'capabilities': {'bounding': ['CAP_KILL', 'CAP_NEW'],"
	      " 'effective': ['CAP_KILL'], 'permitted': ['CAP_KILL', 'CAP_CHOWN'],"
	      " 'inheritable': ['CAP_CHOWN'], 'ambient': ['CAP_SETFCAP']}}}");
	cr_assert_eq(cf_process(&cfg.process, NULL, &cfg.lx, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.flags, PROTO_CONFINE_CAPS | PROTO_CONFINE_NNP);
	cr_assert_eq(c.caps[PROTO_CAP_BOUNDING], 1ull << 5);
	cr_assert_eq(c.caps[PROTO_CAP_EFFECTIVE], 1ull << 5);
	cr_assert_eq(c.caps[PROTO_CAP_PERMITTED], 1ull << 5 | 1);
	cr_assert_eq(c.caps[PROTO_CAP_INHERITABLE], 1);
	cr_assert_eq(c.caps[PROTO_CAP_AMBIENT], 1ull << 31);
	cr_assert_eq(unknown, 1);
	cr_assert_null(prog.bpf);

	/* A process with no capabilities takes the fallback's (runc exec);
	 * with none, it gets none at all (runc). */
	struct cfg_process bare = { 0 };
	cr_assert_eq(cf_process(&bare, &cfg.process, NULL, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.caps[PROTO_CAP_PERMITTED], 1ull << 5 | 1);
	cr_assert_eq(c.flags, PROTO_CONFINE_CAPS, "no_new_privs is the process's own");
	cr_assert_eq(cf_process(&bare, NULL, NULL, &c, &prog, &unknown, &err), 0);
	for (int i = 0; i < PROTO_CAP_SETS; i++)
		cr_assert_eq(c.caps[i], 0);
	cfg_free(&cfg);
}

Test(confine, oom_score_adj_own_or_the_containers)
{
	struct proto_confine c;
	struct sc_prog prog;
	struct err err = { 0 };
	int unknown;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/',"
	      " 'oomScoreAdj': -17}}");
	cr_assert_eq(cf_process(&cfg.process, NULL, &cfg.lx, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.flags, PROTO_CONFINE_CAPS | PROTO_CONFINE_OOM);
	cr_assert_eq(c.oom_score_adj, -17);
	/* An exec's process without one gets the container's (runc's nsexec). */
	struct cfg_process bare = { 0 }, own = { .has_oom_score_adj = true, .oom_score_adj = 300 };
	cr_assert_eq(cf_process(&bare, &cfg.process, NULL, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.oom_score_adj, -17);
	cr_assert_eq(cf_process(&own, &cfg.process, NULL, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.oom_score_adj, 300);
	cr_assert_eq(cf_process(&bare, NULL, NULL, &c, &prog, &unknown, &err), 0);
	cr_assert_eq(c.flags & PROTO_CONFINE_OOM, 0, "none: left as the kernel has it");
	cfg_free(&cfg);
}

Test(confine, process_seccomp)
{
	struct proto_confine c;
	struct sc_prog prog;
	struct err err = { 0 };
	int unknown;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_LOG'],"
	      " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO'}]}}}");
	cr_assert_eq(cf_process(&cfg.process, NULL, &cfg.lx, &c, &prog, &unknown, &err), 0, "%s",
		     err.msg);
	cr_assert(c.flags & PROTO_CONFINE_SECCOMP);
	cr_assert_eq(c.seccomp_flags, 2);
	cr_assert_eq(c.nbpf, prog.ninsns);
	cr_assert_eq(c.bpf, prog.bpf);
	cr_assert_gt(c.nbpf, 3);
	struct proto_buf b = { 0 };
	cr_assert_eq(proto_encode_confine(&b, &c), 0);
	proto_buf_free(&b);
	sc_free(&prog);
	cfg_free(&cfg);
}

Test(confine, setup_idmaps)
{
	static struct proto_setup s, d;
	struct proto_buf b = { 0 };
	size_t len;
	s = (struct proto_setup){ .domainname = "", .nuidmap = 2,
				  .uidmap = { { 0, 100000, 1000 }, { 1000, 1000, 1 } },
				  .ngidmap = 1, .gidmap = { { 0, 100000, 65536 } } };
	cr_assert_eq(proto_encode_setup(&b, &s), 0);
	const uint8_t *p = payload(&b, PROTO_SETUP, &len);
	cr_assert_eq(proto_decode_setup(p, len, &d), 0);
	cr_assert_eq(d.nuidmap, 2);
	cr_assert_eq(d.uidmap[1].inside, 1000);
	cr_assert_eq(d.uidmap[1].outside, 1000);
	cr_assert_eq(d.uidmap[0].outside, 100000);
	cr_assert_eq(d.ngidmap, 1);
	cr_assert_eq(d.gidmap[0].count, 65536);
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_setup(p, n, &d), -1, "accepted %zu of %zu bytes", n, len);
	/* The last gid line by hand (before the u32 flags): count 0, a
	 * wrapping outside range, then an empty gid map with a uid map. */
	uint8_t *q = (uint8_t *)p;
	size_t end = len - 4;
	q[end - 4] = 0, q[end - 3] = 0, q[end - 2] = 0;
	cr_assert_eq(proto_decode_setup(q, len, &d), -1, "a count of 0");
	q[end - 4] = 2, q[end - 8] = 0xff, q[end - 7] = 0xff, q[end - 6] = 0xff, q[end - 5] = 0xff;
	cr_assert_eq(proto_decode_setup(q, len, &d), -1, "a range past 2^32");
	q[end - 16] = 0;
	memmove(q + end - 12, q + end, 4);
	cr_assert_eq(proto_decode_setup(q, len - 12, &d), -1, "a uid map alone");
	/* The encoder refuses the same. */
	struct proto_buf bb = { 0 };
	s.gidmap[0].count = 0;
	cr_assert_eq(proto_encode_setup(&bb, &s), -1);
	s.gidmap[0] = (struct proto_idmap){ 1, UINT32_MAX, 2 };
	cr_assert_eq(proto_encode_setup(&bb, &s), -1);
	s.ngidmap = 0;
	cr_assert_eq(proto_encode_setup(&bb, &s), -1);
	s.nuidmap = s.ngidmap = PROTO_MAX_IDMAPS + 1;
	cr_assert_eq(proto_encode_setup(&bb, &s), -1);
	proto_buf_free(&bb);
	bb = (struct proto_buf){ 0 };
	s.nuidmap = s.ngidmap = 0;
	cr_assert_eq(proto_encode_setup(&bb, &s), 0);
	proto_buf_free(&bb);
	proto_buf_free(&b);
}

Test(confine, setup_from_config)
{
	static struct proto_setup s;
	struct err err = { 0 };
	bool empty;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_not(empty, "runc's default device rules always go");
	cr_assert_eq(s.ndevrules, 11);
	cr_assert_str_eq(s.domainname, "");
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'domainname': 'd.test',"
	      " 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys', '/proc/bus'],"
	      " 'sysctl': {'kernel.shmmax': '1000'},"
	      " 'devices': [{'path': '/dev/tty9', 'type': 'u', 'major': 4, 'minor': 9},"
	      "  {'path': '/dev/p', 'type': 'p', 'fileMode': 416, 'uid': 7, 'gid': 8}]}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_not(empty);
	cr_assert_str_eq(s.domainname, "d.test");
	cr_assert_eq(s.nmasked, 1);
	cr_assert_eq(s.nreadonly, 2);
	cr_assert_str_eq(s.readonly[1], "/proc/bus");
	cr_assert_str_eq(s.sysctl_key[0], "kernel.shmmax");
	cr_assert_str_eq(s.sysctl_value[0], "1000");
	cr_assert_eq(s.ndevices, 2);
	cr_assert_eq(s.devices[0].type, 'c', "u is an unbuffered character device");
	cr_assert_eq(s.devices[0].mode, 0666, "runc's default mode");
	cr_assert_eq(s.devices[1].type, 'p');
	cr_assert_eq(s.devices[1].mode, 0640);
	cr_assert_eq(s.devices[1].uid, 7);
	cr_assert_eq(s.devices[1].gid, 8);
	cfg_free(&cfg);
}

Test(confine, config_checks)
{
	struct err err = { 0 };
	static const char *const bad[][2] = {
		{ "'linux': {'maskedPaths': ['proc/kcore']}",
		  "config.json: linux.maskedPaths[0]: \"proc/kcore\" must be an absolute path" },
		{ "'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'major': 1}]}",
		  "config.json: linux.devices[0].minor: required for a c device" },
		{ "'linux': {'devices': [{'path': '/dev/x', 'type': 'q', 'major': 1, 'minor': 1}]}",
		  "config.json: linux.devices[0].type: \"q\" is not c, b, u or p" },
		{ "'linux': {'devices': [{'path': 'dev/x', 'type': 'p'}]}",
		  "config.json: linux.devices[0].path: \"dev/x\" must be an absolute path" },
		{ "'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'major': 1, 'minor': 1, 'fileMode': 70000}]}",
		  "config.json: linux.devices[0].fileMode: 0210560 is not a file mode" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text;
		cr_assert(asprintf(&text, "{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': "
				   "{'args': ['sh'], 'cwd': '/'}, %s}", bad[i][0]) > 0);
		for (char *p = text; *p; p++)
			if (*p == '\'')
				*p = '"';
		memset(&err, 0, sizeof(err));
		cr_assert_eq(cfg_parse(text, strlen(text), &cfg, &err), -1, "accepted %s", bad[i][0]);
		cr_assert_str_eq(err.msg, bad[i][1]);
		free(text);
	}
}

Test(confine, update_round_trip)
{
	struct proto_buf b = { 0 };
	uint32_t id;
	uint64_t max;
	size_t len;
	cr_assert_eq(proto_encode_update(&b, 5, 1ull << 40), 0);
	const uint8_t *p = payload(&b, PROTO_UPDATE, &len);
	cr_assert_eq(len, 12);
	cr_assert_eq(proto_decode_update(p, len, &id, &max), 0);
	cr_assert_eq(id, 5);
	cr_assert_eq(max, 1ull << 40);
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_update(p, n, &id, &max), -1);
	proto_buf_free(&b);
}

Test(confine, pids_limit_in_setup)
{
	static struct proto_setup s;
	struct err err = { 0 };
	bool empty;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'resources': {'pids': {'limit': 20}}}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(s.pids_max, 20);
	cr_assert_not(empty, "a pids limit alone makes a SETUP");
	cfg_free(&cfg);
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(s.pids_max, 0);
	cr_assert_not(empty, "runc's default device rules always go");
	cfg_free(&cfg);
}

Test(confine, pid_namespace_in_setup)
{
	static struct proto_setup s;
	struct err err = { 0 };
	bool empty;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'namespaces': [{'type': 'network'}, {'type': 'pid'}]}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(s.flags, PROTO_SETUP_PIDNS);
	cfg_free(&cfg);
	/* runc runs it in the host's: mvinit keeps the guest's. */
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'namespaces': [{'type': 'network'}, {'type': 'mount'}]}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(s.flags, 0);
	cfg_free(&cfg);
}
