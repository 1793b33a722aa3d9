/* linux.resources.devices: parsing (config_linux.c) and the rules sent to
 * the guest with runc's defaults (devrules.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/confine.h"
#include "runtime-shim/plan/confine.h"

static struct cfg cfg;

/* Parse a config whose "linux" object is lx ('' quotes become ""); returns
 * cfg_parse's result with err. */
static int parse_linux(const char *lx, struct err *err)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "{'ociVersion': '1.0.2', 'root': {'path': 'r'},"
		 " 'process': {'args': ['sh'], 'cwd': '/'}, 'linux': {%s}}", lx);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	cfg_free(&cfg);
	memset(err, 0, sizeof(*err));
	return cfg_parse(text, strlen(text), &cfg, err);
}

#define ANY PROTO_DEV_ANY
#define RWM (PROTO_DEV_R | PROTO_DEV_W | PROTO_DEV_M)

static void same_rule(const struct proto_devrule *r, uint32_t allow, char type, uint32_t major,
		      uint32_t minor, uint32_t access)
{
	cr_assert(r->allow == allow && r->type == (uint32_t)type && r->major == major &&
			  r->minor == minor && r->access == access,
		  "got %u %c %u:%u %u, want %u %c %u:%u %u", r->allow, (char)r->type, r->major,
		  r->minor, r->access, allow, type, major, minor, access);
}

Test(devrules, docker_style_list_then_runc_defaults)
{
	static struct proto_setup s;
	struct err err;
	cr_assert_eq(parse_linux("'resources': {'devices': [{'allow': false, 'access': 'rwm'},"
				 " {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'},"
				 " {'allow': true, 'type': 'a', 'major': 7, 'access': 'r'}]}",
				 &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.lx.ndevrules, 3);
	cr_assert_eq(cf_devrules(&cfg, &s, &err), 0, "%s", err.msg);
	same_rule(&s.devrules[0], 0, 'a', ANY, ANY, RWM);
	same_rule(&s.devrules[1], 1, 'c', 10, 229, PROTO_DEV_R | PROTO_DEV_W);
	/* An "a" narrower than everything is split: v1's "a" ignores the rest. */
	same_rule(&s.devrules[2], 1, 'c', 7, ANY, PROTO_DEV_R);
	same_rule(&s.devrules[3], 1, 'b', 7, ANY, PROTO_DEV_R);
	same_rule(&s.devrules[4], 1, 'c', ANY, ANY, PROTO_DEV_M);
	same_rule(&s.devrules[6], 1, 'c', 1, 3, RWM);
	same_rule(&s.devrules[s.ndevrules - 1], 1, 'c', 10, 200, RWM);
	cr_assert_eq(s.ndevrules, 4 + 11);
}

Test(devrules, a_linux_device_takes_the_default_of_its_path)
{
	static struct proto_setup s;
	struct err err;
	cr_assert_eq(parse_linux("'devices': [{'path': '/dev/null', 'type': 'c', 'major': 1,"
				 " 'minor': 3}], 'resources': {'devices': [{'allow': false,"
				 " 'access': 'rwm'}]}", &err), 0, "%s", err.msg);
	cr_assert_eq(cf_devrules(&cfg, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.ndevrules, 1 + 10);
	for (uint32_t i = 0; i < s.ndevrules; i++)
		cr_assert_not(s.devrules[i].major == 1 && s.devrules[i].minor == 3,
			      "/dev/null is allowed by default although linux.devices has it");
}

Test(devrules, a_rule_v1_cannot_apply_is_refused)
{
	static struct proto_setup s;
	struct err err;
	cr_assert_eq(parse_linux("'resources': {'devices': [{'allow': true, 'type': 'c', 'access': 'rwm'},"
				 " {'allow': false, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'w'}]}",
				 &err), 0, "%s", err.msg);
	cr_assert_eq(cf_devrules(&cfg, &s, &err), -1);
	cr_assert_str_eq(err.msg, "config.json: linux.resources.devices[1]: deny c 1:3 takes part "
				  "of an earlier, wider rule away; the guest's cgroup v1 devices "
				  "controller cannot do that");
	/* The exact rule going away is fine; so is everything after an "a". */
	cr_assert_eq(parse_linux("'resources': {'devices': [{'allow': true, 'type': 'c', 'major': 1,"
				 " 'minor': 3, 'access': 'rwm'}, {'allow': false, 'type': 'c',"
				 " 'major': 1, 'minor': 3, 'access': 'w'}, {'allow': true,"
				 " 'access': 'rwm'}, {'allow': false, 'type': 'b', 'access': 'm'}]}",
				 &err), 0, "%s", err.msg);
	cr_assert_eq(cf_devrules(&cfg, &s, &err), 0, "%s", err.msg);
}

Test(devrules, config_checks)
{
	static const char *const bad[][2] = {
		{ "'resources': {'devices': [{'allow': 1, 'access': 'rwm'}]}",
		  "config.json: linux.resources.devices[0].allow: must be true or false" },
		{ "'resources': {'devices': [{'allow': true, 'type': 'u', 'access': 'rwm'}]}",
		  "config.json: linux.resources.devices[0].type: \"u\" is not a, b or c" },
		{ "'resources': {'devices': [{'allow': true, 'type': 'c', 'major': -2, 'access': 'r'}]}",
		  "config.json: linux.resources.devices[0]: major -2 or minor -1 is out of range" },
		{ "'resources': {'devices': [{'allow': true, 'access': ''}]}",
		  "config.json: linux.resources.devices[0].access: cannot be empty" },
		{ "'resources': {'devices': [{'allow': true}]}",
		  "config.json: linux.resources.devices[0].access: cannot be empty" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err;
		cr_assert_eq(parse_linux(bad[i][0], &err), -1, "accepted %s", bad[i][0]);
		cr_assert_str_eq(err.msg, bad[i][1]);
	}
	cfg_free(&cfg);
}

Test(devrules, access_strings_as_runc_takes_them)
{
	/* runc 1.1 takes r, w and m in any order and ignores other letters
	 * ("rwa" is rw); a b or c rule left with no access does nothing, an
	 * "a" rule is every device with every access; a missing allow is a
	 * deny. */
	static struct proto_setup s;
	struct err err;
	cr_assert_eq(parse_linux("'resources': {'devices': [{'access': 'rwa'},"
				 " {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rwa'},"
				 " {'allow': true, 'type': 'b', 'major': 8, 'minor': 0, 'access': 'mwr'},"
				 " {'allow': true, 'type': 'c', 'major': 4, 'minor': 1, 'access': 'xyz'},"
				 " {'allow': true, 'type': 'c', 'major': 4, 'minor': 2, 'access': 'wm'}]}",
				 &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.lx.ndevrules, 5);
	cr_assert_eq(cf_devrules(&cfg, &s, &err), 0, "%s", err.msg);
	same_rule(&s.devrules[0], 0, 'a', ANY, ANY, RWM);
	same_rule(&s.devrules[1], 1, 'c', 10, 229, PROTO_DEV_R | PROTO_DEV_W);
	same_rule(&s.devrules[2], 1, 'b', 8, 0, RWM);
	same_rule(&s.devrules[3], 1, 'c', 4, 2, PROTO_DEV_W | PROTO_DEV_M);
	cr_assert_eq(s.ndevrules, 4 + 11);
}
