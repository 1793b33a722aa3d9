/* proto/confine.c: CONFINE, EXEC_CONFINE and SETUP round trips and the
 * decoder's refusals; runtime-shim/plan/confine.c: the config → those messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/confine.h"
#include "runtime-shim/plan/confine.h"
#include "runtime-shim/plan/guestcg.h"

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
				  .ncgfiles = 2,
				  .cgfiles = { { "pids.max", "20" }, { "memory.max", "33554432" } },
				  .cgroupfs = "/sys/fs/cgroup", .cgroupfs_flags = PROTO_MOUNT_RO,
				  .flags = PROTO_SETUP_PIDNS };
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
	cr_assert_eq(d.flags, PROTO_SETUP_PIDNS);
	cr_assert_eq(d.ncgfiles, 2);
	cr_assert_str_eq(d.cgfiles[0].name, "pids.max");
	cr_assert_str_eq(d.cgfiles[1].value, "33554432");
	cr_assert_str_eq(d.cgroupfs, "/sys/fs/cgroup");
	cr_assert_eq(d.cgroupfs_flags, PROTO_MOUNT_RO);
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
		 * no cgroup files, no cgroupfs, the two empty id maps and the flags). */
		struct proto_setup s2 = s;
		s2.ncgfiles = 0;
		s2.cgroupfs = "";
		s2.cgroupfs_flags = 0;
		cr_assert_eq(proto_encode_setup(&bb, &s2), 0);
		uint8_t *q = (uint8_t *)payload(&bb, PROTO_SETUP, &blen);
		size_t at = blen - 4 - 8 - 4 - 5 - 4 - 20 + (k == 0 ? 0 : k == 1 ? 4 : k == 2 ? 8 : 16);
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

/* ---- runtime-shim/plan/confine.c ---- */

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
	static struct proto_update u, d;
	size_t len;
	u = (struct proto_update){ 5, 3, { { "memory.max", "33554432" }, { "cpu.max", "50000 100000" },
					   { "pids.max", "max" } }, 10 };
	cr_assert_eq(proto_encode_update(&b, &u), 0);
	const uint8_t *p = payload(&b, PROTO_UPDATE, &len);
	cr_assert_eq(proto_decode_update(p, len, &d), 0);
	cr_assert_eq(d.id, 5);
	cr_assert_eq(d.ncgfiles, 3);
	cr_assert_str_eq(d.cgfiles[0].name, "memory.max");
	cr_assert_str_eq(d.cgfiles[0].value, "33554432");
	cr_assert_str_eq(d.cgfiles[1].value, "50000 100000");
	cr_assert_str_eq(d.cgfiles[2].name, "pids.max");
	cr_assert_eq(d.signal, 10, "kill --all's signal");
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(proto_decode_update(p, n, &d), -1);
	proto_buf_free(&b);
	b = (struct proto_buf){ 0 };
	struct proto_update sig = { .signal = 65 };
	cr_assert_eq(proto_encode_update(&b, &sig), -1, "no signal 65");
	proto_buf_free(&b);
	b = (struct proto_buf){ 0 };
	sig.signal = 64;
	cr_assert_eq(proto_encode_update(&b, &sig), 0);
	uint8_t *qs = (uint8_t *)payload(&b, PROTO_UPDATE, &len);
	qs[len - 4] = 65;
	cr_assert_eq(proto_decode_update(qs, len, &d), -1, "decoded signal 65");
	proto_buf_free(&b);
	/* The guest writes name in the container's cgroup directory: nothing
	 * that leads out of it goes, either way. */
	u.cgfiles[1].name = "../cgroup.procs";
	cr_assert_eq(proto_encode_update(&b, &u), -1);
	proto_buf_free(&b);
	b = (struct proto_buf){ 0 };
	u.cgfiles[1].name = "cpu.ma/";
	u.ncgfiles = 2;
	struct proto_update ok = u;
	ok.cgfiles[1].name = "cpu.max";
	cr_assert_eq(proto_encode_update(&b, &ok), 0);
	uint8_t *q = (uint8_t *)payload(&b, PROTO_UPDATE, &len);
	uint8_t *at = memmem(q, len, "cpu.max", 7);
	cr_assert_not_null(at);
	at[6] = '/';
	cr_assert_eq(proto_decode_update(q, len, &d), -1, "decoded a name with a slash");
	proto_buf_free(&b);
	u.ncgfiles = PROTO_MAX_CGFILES + 1;
	cr_assert_eq(proto_encode_update(&b, &u), -1);
	proto_buf_free(&b);
}

Test(confine, pids_limit_in_setup)
{
	static struct proto_setup s;
	static struct gcg_files f;
	struct err err = { 0 };
	bool empty;
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'resources': {'pids': {'limit': 20}}}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(gcg_build(&cfg.lx, 1, &f, &err), 0);
	cr_assert_eq(f.n, 1);
	cr_assert_str_eq(f.f[0].name, "pids.max");
	cr_assert_str_eq(f.f[0].value, "20");
	cfg_free(&cfg);
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'}}");
	cr_assert_eq(cf_setup(&cfg, &s, &empty, &err), 0);
	cr_assert_eq(gcg_build(&cfg.lx, 1, &f, &err), 0);
	cr_assert_eq(f.n, 0);
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

/* linux.resources as runc's cgroup v2 driver writes them, then unified. */
Test(confine, guest_cgroup_files)
{
	static struct gcg_files f;
	struct err err = { 0 };
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'resources': {'memory': {'limit': 33554432, 'reservation': 16777216,"
	      " 'swap': 67108864}, 'cpu': {'quota': 50000, 'period': 100000, 'shares': 1024,"
	      " 'cpus': '2-3', 'mems': '0'}, 'pids': {'limit': 30},"
	      " 'unified': {'memory.high': '30000000', 'pids.max': '40'}}}}");
	cr_assert_eq(gcg_build(&cfg.lx, 2, &f, &err), 0, "%s", err.msg);
	static const char *const want[][2] = {
		{ "memory.max", "33554432" }, { "memory.low", "16777216" }, { "cpu.max", "50000 100000" },
		{ "cpu.weight", "39" }, { "pids.max", "30" }, { "cpuset.cpus", "0-1" },
		{ "cpuset.mems", "0" }, { "memory.high", "30000000" }, { "pids.max", "40" },
	};
	cr_assert_eq(f.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < f.n; i++) {
		cr_assert_str_eq(f.f[i].name, want[i][0]);
		cr_assert_str_eq(f.f[i].value, want[i][1], "%s", want[i][0]);
	}
	cfg_free(&cfg);
	/* A period alone keeps the kernel's quota ("max"), as runc writes it. */
	parse("{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process': {'args': ['sh'], 'cwd': '/'},"
	      " 'linux': {'resources': {'cpu': {'period': 20000}}}}");
	cr_assert_eq(gcg_build(&cfg.lx, 1, &f, &err), 0);
	cr_assert_eq(f.n, 1);
	cr_assert_str_eq(f.f[0].value, "max 20000");
	cfg_free(&cfg);
	static const char *const bad[][2] = {
		{ "../x.y", "config.json: linux.resources.unified[\"../x.y\"]: unified resource "
			    "\"../x.y\" must be a file name (no slashes)" },
		{ "memory", "config.json: linux.resources.unified[\"memory\"]: unified resource "
			    "\"memory\" must be in the form CONTROLLER.PARAMETER" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "{'ociVersion': '1.0.2', 'root': {'path': 'r'}, 'process':"
			 " {'args': ['sh'], 'cwd': '/'}, 'linux': {'resources': {'unified': {'%s': '1'}}}}",
			 bad[i][0]);
		parse(text);
		memset(&err, 0, sizeof(err));
		cr_assert_eq(gcg_build(&cfg.lx, 1, &f, &err), -1, "accepted %s", bad[i][0]);
		cr_assert_str_eq(err.msg, bad[i][1]);
		cfg_free(&cfg);
	}
}
