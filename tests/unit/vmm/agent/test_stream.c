/* stream: mvm's check of the container stream mvrun writes (vmm/agent/stream.c,
 * proto/launch.h). It is input: each way it can be malformed is refused
 * with a message, and a good one gives the SPEC's flags and SETUP's share
 * policy. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/confine.h"
#include "proto/hooks.h"
#include "vmm/agent/stream.h"

static const char *const tags[] = { "root", "vol0", "files0", "files0/f0" };
static struct proto_buf b;
static struct vfs_policy pol;
static struct err err;
static uint32_t flags;

static void fini(void)
{
	proto_buf_free(&b);
}

TestSuite(stream, .fini = fini);

static void spec(uint32_t fl, const char *tag)
{
	struct proto_spec s = { .flags = fl, .cwd = "/", .hostname = "", .root_tag = "root",
				.argc = 1, .argv = (const char *[]){ "sh", NULL },
				.env = (const char *[]){ NULL } };
	s.mounts[s.nmounts++] = (struct proto_mount){ .tag = "mode=755", .path = "/dev",
						      .flags = PROTO_MOUNT_TMPFS, .fstype = "tmpfs" };
	s.mounts[s.nmounts++] = (struct proto_mount){ .tag = tag, .path = "/data" };
	cr_assert_eq(proto_encode_spec(&b, &s), 0);
}

static void confine(void)
{
	struct proto_confine c = { 0 };
	cr_assert_eq(proto_encode_confine(&b, &c), 0);
}

static void setup(void)
{
	static struct proto_setup s;
	memset(&s, 0, sizeof(s));
	s.domainname = "";
	s.ndevices = 1;
	s.devices[0] = (struct proto_device){ .path = "/dev/fuse", .type = 'c', .major = 10,
					      .minor = 229, .mode = 0666 };
	s.nuidmap = s.ngidmap = 1;
	s.uidmap[0] = (struct proto_idmap){ 0, 100000, 65536 };
	s.gidmap[0] = (struct proto_idmap){ 0, 100000, 65536 };
	cr_assert_eq(proto_encode_setup(&b, &s), 0);
}

static void hooks(void)
{
	static struct proto_hooks h;
	memset(&h, 0, sizeof(h));
	cr_assert_eq(proto_encode_hooks(&b, &h), 0);
}

static int check(void)
{
	memset(&err, 0, sizeof(err));
	memset(&pol, 0, sizeof(pol));
	flags = 0;
	return stream_check(b.data, b.len, tags, 4, &pol, &flags, &err);
}

#define REFUSED(needle)                                                             \
	do {                                                                        \
		cr_assert_eq(check(), -1, "accepted; expected \"%s\"", needle);     \
		cr_assert_eq(err.status, MVM_EXIT_BADARG);                          \
		cr_assert(strstr(err.msg, needle), "\"%s\" lacks \"%s\"", err.msg, needle); \
	} while (0)

Test(stream, spec_confine_setup_hooks)
{
	uint32_t all = PROTO_SPEC_CONFINE | PROTO_SPEC_SETUP | PROTO_SPEC_HOOKS | PROTO_SPEC_TTY;
	spec(all, "vol0");
	confine();
	setup();
	hooks();
	cr_assert_eq(check(), 0, "%s", err.msg);
	cr_assert_eq(flags, all);
	cr_assert_eq(pol.ndevs, 1, "SETUP's devices are the only nodes the shares take");
	cr_assert_eq(pol.devs[0].major, 10);
	cr_assert_eq(pol.nuids, 1);
	cr_assert_eq(pol.uids[0].first, 100000);
	proto_buf_free(&b);
	spec(0, "files0/f0");
	cr_assert_eq(check(), 0, "%s", err.msg);
	cr_assert_eq(flags, 0);
}

Test(stream, no_spec)
{
	REFUSED("container stream: no SPEC");
	confine();
	REFUSED("message type 17 before the SPEC");
}

Test(stream, a_message_the_spec_does_not_announce)
{
	spec(PROTO_SPEC_CONFINE, "vol0");
	confine();
	setup();
	REFUSED("message type 18 is not one the SPEC announces");
}

Test(stream, an_announced_message_missing)
{
	spec(PROTO_SPEC_CONFINE | PROTO_SPEC_HOOKS, "vol0");
	confine();
	REFUSED("the SPEC announces a HOOKS that does not follow");
}

Test(stream, out_of_order_or_twice)
{
	spec(PROTO_SPEC_CONFINE | PROTO_SPEC_SETUP, "vol0");
	setup();
	confine();
	REFUSED("in the order CONFINE, SETUP, HOOKS");
	proto_buf_free(&b);
	spec(PROTO_SPEC_CONFINE, "vol0");
	confine();
	confine();
	REFUSED("in the order CONFINE, SETUP, HOOKS");
	proto_buf_free(&b);
	spec(0, "vol0");
	spec(0, "vol0");
	REFUSED("message type 2 is not one the SPEC announces");
}

Test(stream, a_share_mvm_does_not_serve)
{
	spec(0, "vol1");
	REFUSED("mount 1 is share \"vol1\", which mvm does not serve");
}

Test(stream, framing)
{
	spec(PROTO_SPEC_CONFINE, "vol0");
	confine();
	size_t whole = b.len;
	b.len = whole - 1; /* truncated */
	REFUSED("a malformed message at byte");
	b.len = whole;
	uint8_t junk = 0;
	cr_assert_eq(proto_append(&b, &junk, 1), 0); /* trailing */
	REFUSED("a malformed message at byte");
	b.len = whole;
	b.data[whole - 1] ^= 0xff; /* CONFINE's payload broken */
	REFUSED("a malformed CONFINE");
	b.len = 0;
	spec(0, "vol0");
	b.data[PROTO_HDR_LEN + 20] = 0xff; /* the SPEC's group count, past its limit */
	REFUSED("a malformed SPEC");
}

/* A pod member's stream (tags NULL): every share under the pod share. */
static void member_spec(const char *root, const char *tag)
{
	struct proto_spec s = { .cwd = "/", .hostname = "", .root_tag = root, .argc = 1,
				.argv = (const char *[]){ "sh", NULL },
				.env = (const char *[]){ NULL } };
	s.mounts[s.nmounts++] = (struct proto_mount){ .tag = tag, .path = "/data" };
	cr_assert_eq(proto_encode_spec(&b, &s), 0);
}

static int check_member(void)
{
	memset(&err, 0, sizeof(err));
	return stream_check(b.data, b.len, NULL, 0, &pol, &flags, &err);
}

Test(stream, a_member_names_pod_shares_only)
{
	member_spec("pod/m1/root", "pod/m1/files0/f2");
	cr_assert_eq(check_member(), 0, "%s", err.msg);
	proto_buf_free(&b);
	member_spec("root", "pod/m1/vol0");
	cr_assert_eq(check_member(), -1);
	cr_assert(strstr(err.msg, "the root is share \"root\""), "%s", err.msg);
	proto_buf_free(&b);
	member_spec("pod/m1/root", "pod/m1/../../x");
	cr_assert_eq(check_member(), -1);
	cr_assert(strstr(err.msg, "mount 0 is share \"pod/m1/../../x\""), "%s", err.msg);
}

Test(stream, a_container_cannot_name_the_pod_share)
{
	spec(0, "pod/m1/vol0");
	REFUSED("mount 1 is share \"pod/m1/vol0\", which mvm does not serve");
}
