/* config: config.json → struct cfg (runtime-shim/config*.c). A valid config
 * gives back every field; each malformed one fails with status CFG_EXIT and
 * the exact message a user reads, which names config.json and the field.
 *
 * Most cases start from one valid document and change a single field, so a
 * rejection can only come from that field. Paths into the document use '/'
 * because annotation keys contain dots. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime-shim/oci/config.h"

static struct cfg c;
static struct err err;

static void setup(void)
{
	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	cfg_free(&c);
}

TestSuite(config, .init = setup, .fini = teardown);

/* JSON written with ' for " so the cases stay readable. */
static json_t *doc(const char *squoted)
{
	char *t = strdup(squoted);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *d = json_loads(t, 0, &je);
	cr_assert(d, "test JSON: %s", je.text);
	free(t);
	return d;
}

static json_t *base(void)
{
	return doc("{'ociVersion': '1.0.2',"
		   " 'process': {'args': ['/bin/sh', '-c', 'echo hi'],"
		   "  'env': ['PATH=/bin', 'A=b=c'], 'cwd': '/work', 'terminal': false,"
		   "  'user': {'uid': 1000, 'gid': 100, 'additionalGids': [5, 6]}},"
		   " 'root': {'path': 'rootfs', 'readonly': true},"
		   " 'hostname': 'box',"
		   " 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
		   "  {'destination': '/data', 'type': 'bind', 'source': '/srv/data',"
		   "   'options': ['rbind', 'ro']}],"
		   " 'annotations': {'org.example.a': '1', 'org.mvrun.cpus': '2'}}");
}

/* Set d's member at path ("process/user/uid"; a number indexes an array) to
 * v, taking v's reference; v NULL removes the member. */
static void set(json_t *d, const char *path, json_t *v)
{
	char *p = strdup(path), *save, *next;
	json_t *o = d;
	char *part = strtok_r(p, "/", &save);
	while ((next = strtok_r(NULL, "/", &save))) {
		json_t *child = json_is_array(o) ? json_array_get(o, strtoul(part, NULL, 10)) :
						   json_object_get(o, part);
		if (!child) {
			child = json_object();
			json_object_set_new(o, part, child);
		}
		o = child;
		part = next;
	}
	if (json_is_array(o))
		cr_assert(json_array_set_new(o, strtoul(part, NULL, 10), v) == 0, "set %s", path);
	else if (v)
		json_object_set_new(o, part, v);
	else
		json_object_del(o, part);
	free(p);
}

/* Parse d (consumed), with a fresh err: the first error set would win. */
static int parse(json_t *d)
{
	char *t = json_dumps(d, 0);
	json_decref(d);
	memset(&err, 0, sizeof(err));
	int r = cfg_parse(t, strlen(t), &c, &err);
	free(t);
	return r;
}

static int parse_text(const char *text)
{
	memset(&err, 0, sizeof(err));
	return cfg_parse(text, strlen(text), &c, &err);
}

/* The base with one change must fail with exactly `msg`. */
#define REJECT_WITH(path, value, want)                                                   \
	do {                                                                              \
		json_t *d_ = base();                                                      \
		set(d_, path, value);                                                     \
		cr_assert_eq(parse(d_), -1, "accepted %s; expected \"%s\"", path, want); \
		EXPECT_MSG(want);                                                         \
	} while (0)

#define EXPECT_MSG(want)                                                                \
	do {                                                                              \
		cr_assert_str_eq(err.msg, want);                                          \
		cr_assert_eq(err.status, CFG_EXIT);                                       \
		cr_assert_null(c.doc, "a failed parse left the document");               \
	} while (0)

#define ACCEPT_WITH(path, value)                                               \
	do {                                                                     \
		json_t *d_ = base();                                             \
		set(d_, path, value);                                            \
		cr_assert_eq(parse(d_), 0, "%s: %s", path, err.msg);            \
	} while (0)

Test(config, minimal_config_gives_every_field)
{
	cr_assert_eq(parse(base()), 0, "%s", err.msg);
	cr_assert_str_eq(c.oci_version, "1.0.2");
	cr_assert(c.has_process);
	cr_assert_eq(c.process.nargs, 3);
	cr_assert_str_eq(c.process.args[0], "/bin/sh");
	cr_assert_str_eq(c.process.args[2], "echo hi");
	cr_assert_null(c.process.args[3]);
	cr_assert_eq(c.process.nenv, 2);
	cr_assert_str_eq(c.process.env[1], "A=b=c");
	cr_assert_null(c.process.env[2]);
	cr_assert_str_eq(c.process.cwd, "/work");
	cr_assert_not(c.process.terminal);
	cr_assert_eq(c.process.uid, 1000);
	cr_assert_eq(c.process.gid, 100);
	cr_assert_eq(c.process.nadditional_gids, 2);
	cr_assert_eq(c.process.additional_gids[1], 6);
	cr_assert_not(c.process.has_umask);
	cr_assert_str_eq(c.root_path, "rootfs");
	cr_assert(c.root_readonly);
	cr_assert_str_eq(c.hostname, "box");
	cr_assert_null(c.domainname);
	cr_assert_eq(c.nmounts, 2);
	cr_assert_str_eq(c.mounts[0].destination, "/proc");
	cr_assert_str_eq(c.mounts[0].type, "proc");
	cr_assert_eq(c.mounts[0].noptions, 0);
	cr_assert_str_eq(c.mounts[1].source, "/srv/data");
	cr_assert_eq(c.mounts[1].noptions, 2);
	cr_assert_str_eq(c.mounts[1].options[1], "ro");
	cr_assert_eq(c.nannotations, 2);
	cr_assert_str_eq(cfg_annotation(&c, "org.mvrun.cpus"), "2");
	cr_assert_null(cfg_annotation(&c, "org.mvrun.mem"));
	/* No linux section: every resource unset. */
	cr_assert_not(c.has_linux);
	cr_assert_eq(c.lx.resources.memory_limit, -1);
	cr_assert_eq(c.lx.resources.cpu_quota, -1);
	cr_assert_eq(c.lx.resources.pids_limit, -1);
}

Test(config, absolute_root_and_no_user)
{
	json_t *d = base();
	set(d, "root", doc("{'path': '/var/lib/rootfs'}"));
	set(d, "process/user", NULL);
	cr_assert_eq(parse(d), 0, "%s", err.msg);
	cr_assert_str_eq(c.root_path, "/var/lib/rootfs");
	cr_assert_not(c.root_readonly);
	cr_assert_eq(c.process.uid, 0); /* runc runs as 0:0 */
	cr_assert_eq(c.process.gid, 0);
}

/* Go's encoding/json writes null for empty slices and maps; unknown fields
 * are ignored (config.md: "MUST ignore unknown properties"). */
Test(config, null_is_absent_and_unknown_fields_are_ignored)
{
	json_t *d = base();
	set(d, "mounts", json_null());
	set(d, "annotations", json_null());
	set(d, "process/env", json_null());
	set(d, "hostname", json_null());
	set(d, "windows", doc("{'layerFolders': 1}"));
	set(d, "process/shiny", json_true());
	cr_assert_eq(parse(d), 0, "%s", err.msg);
	cr_assert_eq(c.nmounts, 0);
	cr_assert_eq(c.nannotations, 0);
	cr_assert_eq(c.process.nenv, 0);
	cr_assert_null(c.process.env);
	cr_assert_null(c.hostname);
}

Test(config, bad_json_names_the_line)
{
	cr_assert_eq(parse_text("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {,\n}"), -1);
	cr_assert(!strncmp(err.msg, "config.json: line 3 column 15: ", 31), "%s", err.msg);
	EXPECT_MSG(err.msg);
}

Test(config, empty_and_truncated_text)
{
	cr_assert_eq(cfg_parse("", 0, &c, &err), -1);
	cr_assert(!strncmp(err.msg, "config.json: line 1 column 0: ", 30), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	/* len is honoured: the text need not be NUL-terminated. */
	cr_assert_eq(cfg_parse("{\"ociVersion\": \"1.0\"}xxxx", 6, &c, &err), -1);
	cr_assert(!strncmp(err.msg, "config.json: line 1 column ", 27), "%s", err.msg);
}

Test(config, top_level_must_be_an_object)
{
	cr_assert_eq(parse_text("[1, 2]"), -1);
	EXPECT_MSG("config.json: (top level): must be an object");
}

Test(config, wrong_types)
{
	REJECT_WITH("process/args", json_string("sh"),
		    "config.json: process.args: must be a non-empty array of strings");
	REJECT_WITH("process/args/1", json_integer(1),
		    "config.json: process.args[1]: must be a string");
	REJECT_WITH("process/user/uid", json_string("0"),
		    "config.json: process.user.uid: must be an integer from 0 to 4294967295");
	REJECT_WITH("process/user/gid", json_real(1.5),
		    "config.json: process.user.gid: must be an integer from 0 to 4294967295");
	REJECT_WITH("process/user/uid", json_integer(-1),
		    "config.json: process.user.uid: must be an integer from 0 to 4294967295");
	REJECT_WITH("process/user/uid", json_integer(4294967296),
		    "config.json: process.user.uid: must be an integer from 0 to 4294967295");
	REJECT_WITH("process/user/additionalGids/1", json_string("6"),
		    "config.json: process.user.additionalGids[1]: must be an integer from 0 to "
		    "4294967295");
	REJECT_WITH("process/user", json_integer(0), "config.json: process.user: must be an object");
	REJECT_WITH("process/terminal", json_string("yes"),
		    "config.json: process.terminal: must be true or false");
	REJECT_WITH("process/env", json_string("A=b"),
		    "config.json: process.env: must be an array of strings");
	REJECT_WITH("root/path", json_integer(1), "config.json: root.path: must be a string");
	REJECT_WITH("root/readonly", json_integer(1),
		    "config.json: root.readonly: must be true or false");
	REJECT_WITH("hostname", json_false(), "config.json: hostname: must be a string");
	REJECT_WITH("mounts", json_object(), "config.json: mounts: must be an array");
	REJECT_WITH("mounts/1", json_string("/data"), "config.json: mounts[1]: must be an object");
	REJECT_WITH("mounts/1/options", json_string("ro"),
		    "config.json: mounts[1].options: must be an array of strings");
	REJECT_WITH("annotations/org.example.a", json_integer(1),
		    "config.json: annotations[\"org.example.a\"]: must be a string");
	REJECT_WITH("annotations", json_array(), "config.json: annotations: must be an object of strings");
}

Test(config, missing_required_fields)
{
	REJECT_WITH("ociVersion", NULL, "config.json: ociVersion: missing (required)");
	REJECT_WITH("root", NULL, "config.json: root: missing (required)");
	REJECT_WITH("root/path", NULL, "config.json: root.path: missing (required)");
	REJECT_WITH("process", NULL, "config.json: process: missing (required)");
	REJECT_WITH("process/args", NULL,
		    "config.json: process.args: must be a non-empty array of strings");
	REJECT_WITH("process/args", json_array(),
		    "config.json: process.args: must be a non-empty array of strings");
	REJECT_WITH("process/cwd", NULL, "config.json: process.cwd: missing (required)");
	REJECT_WITH("process/user/gid", NULL, "config.json: process.user.gid: missing (required)");
	REJECT_WITH("mounts/1/destination", NULL,
		    "config.json: mounts[1].destination: missing (required)");
}

Test(config, bad_values)
{
	REJECT_WITH("root/path", json_string(""), "config.json: root.path: must not be empty");
	REJECT_WITH("process/args/0", json_string(""),
		    "config.json: process.args[0]: must not be empty");
	REJECT_WITH("process/cwd", json_string("work"),
		    "config.json: process.cwd: \"work\" must be an absolute path");
	REJECT_WITH("process/env/1", json_string("NOEQUALS"),
		    "config.json: process.env[1]: \"NOEQUALS\" is not NAME=VALUE");
	REJECT_WITH("process/env/0", json_string("=x"),
		    "config.json: process.env[0]: \"=x\" is not NAME=VALUE");
	REJECT_WITH("process/user/umask", json_integer(01000),
		    "config.json: process.user.umask: 01000 is not a file mode mask");
	REJECT_WITH("mounts/0/destination", json_string(""),
		    "config.json: mounts[0].destination: must not be empty");
	REJECT_WITH("process/oomScoreAdj", json_integer(1001),
		    "config.json: process.oomScoreAdj: 1001 is not from -1000 to 1000");
}

Test(config, oci_version)
{
	REJECT_WITH("ociVersion", json_string("2.0.0"),
		    "config.json: ociVersion: \"2.0.0\" is not supported: mvrun reads 1.x configs");
	REJECT_WITH("ociVersion", json_string("10.0.0"),
		    "config.json: ociVersion: \"10.0.0\" is not supported: mvrun reads 1.x configs");
	REJECT_WITH("ociVersion", json_string("v1.0.0"),
		    "config.json: ociVersion: \"v1.0.0\" is not a version (1.x.y)");
	REJECT_WITH("ociVersion", json_string(""),
		    "config.json: ociVersion: \"\" is not a version (1.x.y)");
	REJECT_WITH("ociVersion", json_integer(1), "config.json: ociVersion: must be a string");
	ACCEPT_WITH("ociVersion", json_string("1.2.0"));
	cfg_free(&c);
	ACCEPT_WITH("ociVersion", json_string("1.0.2-dev"));
}

/* Engines write RLIM_INFINITY as 2^64-1, beyond jansson's int64. */
Test(config, rlimits)
{
	json_t *d = base();
	set(d, "process/rlimits",
	    doc("[{'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': 4096},"
		" {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 0}]"));
	char *t = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	char *zero = strstr(t, "\"soft\":0,\"hard\":0");
	cr_assert(zero, "%s", t);
	char big[1024];
	snprintf(big, sizeof(big), "%.*s\"soft\":18446744073709551615,\"hard\":18446744073709551615%s",
		 (int)(zero - t), t, zero + strlen("\"soft\":0,\"hard\":0"));
	free(t);
	cr_assert_eq(parse_text(big), 0, "%s", err.msg);
	cr_assert_eq(c.process.nrlimits, 2);
	cr_assert_eq(c.process.rlimits[0].hard, 4096);
	cr_assert_eq(c.process.rlimits[1].soft, UINT64_MAX);
	cr_assert_eq(c.process.rlimits[1].hard, UINT64_MAX);
	cfg_free(&c);

	REJECT_WITH("process/rlimits", doc("[{'type': 'RLIMIT_BOGUS', 'soft': 1, 'hard': 1}]"),
		    "config.json: process.rlimits[0].type: unknown resource \"RLIMIT_BOGUS\"");
	REJECT_WITH("process/rlimits",
		    doc("[{'type': 'RLIMIT_CPU', 'soft': 1, 'hard': 1},"
			" {'type': 'RLIMIT_CPU', 'soft': 2, 'hard': 2}]"),
		    "config.json: process.rlimits[1].type: RLIMIT_CPU is given twice");
	REJECT_WITH("process/rlimits", doc("[{'type': 'RLIMIT_CPU', 'soft': 2, 'hard': 1}]"),
		    "config.json: process.rlimits[0]: soft limit 2 is above the hard limit 1");
	REJECT_WITH("process/rlimits", doc("[{'type': 'RLIMIT_CPU', 'soft': 2}]"),
		    "config.json: process.rlimits[0].hard: missing (required)");
}

Test(config, linux_section)
{
	json_t *d = base();
	set(d, "linux",
	    doc("{'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': ''}],"
		" 'cgroupsPath': '/docker/abc',"
		" 'resources': {'memory': {'limit': 536870912, 'swap': -1},"
		"  'cpu': {'quota': 150000, 'period': 100000, 'cpus': '0-3', 'mems': ''},"
		"  'pids': {'limit': 0}, 'hugepageLimits': []},"
		" 'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys', '/proc/bus'],"
		" 'sysctl': {'net.ipv4.ip_forward': '1'}, 'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW'},"
		" 'devices': [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229}]}"));
	cr_assert_eq(parse(d), 0, "%s", err.msg);
	const struct cfg_linux *l = &c.lx;
	cr_assert(c.has_linux);
	cr_assert_eq(l->nnamespaces, 2);
	cr_assert_null(l->namespaces[1].path, "an empty path is a new namespace");
	cr_assert_str_eq(l->cgroups_path, "/docker/abc");
	cr_assert(l->has_memory_limit);
	cr_assert_eq(l->resources.memory_limit, 536870912);
	cr_assert_eq(l->resources.memory_swap, -1);
	cr_assert_eq(l->resources.cpu_quota, 150000);
	cr_assert_eq(l->resources.cpu_period, 100000);
	cr_assert_str_eq(l->resources.cpuset_cpus, "0-3");
	cr_assert_null(l->resources.cpuset_mems);
	cr_assert_eq(l->resources.pids_limit, -1);
	cr_assert_eq(l->nunapplied, 0, "an empty hugepageLimits asks for nothing");
	cr_assert_eq(l->nmasked_paths, 1);
	cr_assert_eq(l->nreadonly_paths, 2);
	cr_assert_eq(l->nsysctl, 1);
	cr_assert(l->has_seccomp);
	cr_assert_eq(l->ndevices, 1);
}

/* linux.uidMappings and gidMappings are kept, each entry checked alone
 * (how entries sit together is spec2vm's business). */
Test(config, id_mappings)
{
	ACCEPT_WITH("linux", doc("{'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536},"
				 " {'containerID': 4294967295, 'hostID': 7, 'size': 1}],"
				 " 'gidMappings': [{'containerID': 0, 'hostID': 4294967294, 'size': 2}]}"));
	cr_assert_eq(c.lx.nuid_mappings, 2);
	cr_assert_eq(c.lx.uid_mappings[0].host_id, 100000);
	cr_assert_eq(c.lx.uid_mappings[0].size, 65536);
	cr_assert_eq(c.lx.uid_mappings[1].container_id, 4294967295u);
	cr_assert_eq(c.lx.ngid_mappings, 1);
	cr_assert_eq(c.lx.gid_mappings[0].host_id, 4294967294u);
	cr_assert(cfg_idmap_has(c.lx.uid_mappings, 2, 65535));
	cr_assert_not(cfg_idmap_has(c.lx.uid_mappings, 2, 65536));
	cr_assert(cfg_idmap_has(c.lx.uid_mappings, 2, 4294967295u));
	cr_assert_not(cfg_idmap_has(c.lx.uid_mappings, 0, 0));
	cfg_free(&c);
	REJECT_WITH("linux/uidMappings", doc("[{'containerID': 0, 'hostID': 1000}]"),
		    "config.json: linux.uidMappings[0].size: missing (required)");
	REJECT_WITH("linux/gidMappings",
		    doc("[{'containerID': 0, 'hostID': 0, 'size': 1}, {'containerID': 1, 'hostID': 1,"
			" 'size': 0}]"),
		    "config.json: linux.gidMappings[1].size: must be at least 1");
	REJECT_WITH("linux/uidMappings", doc("[{'containerID': -1, 'hostID': 0, 'size': 1}]"),
		    "config.json: linux.uidMappings[0].containerID: must be an integer from 0 to "
		    "4294967295");
	REJECT_WITH("linux/uidMappings", doc("[{'containerID': 0, 'hostID': 4294967296, 'size': 1}]"),
		    "config.json: linux.uidMappings[0].hostID: must be an integer from 0 to 4294967295");
	REJECT_WITH("linux/uidMappings", doc("[{'containerID': 0, 'hostID': 0, 'size': 1.5}]"),
		    "config.json: linux.uidMappings[0].size: must be an integer from 0 to 4294967295");
	REJECT_WITH("linux/uidMappings", doc("[{'containerID': 4294967295, 'hostID': 0, 'size': 2}]"),
		    "config.json: linux.uidMappings[0].size: 2 ids from containerID 4294967295 pass "
		    "4294967295");
	REJECT_WITH("linux/gidMappings", doc("[{'containerID': 0, 'hostID': 4294967000, 'size': 297}]"),
		    "config.json: linux.gidMappings[0].size: 297 ids from hostID 4294967000 pass "
		    "4294967295");
	REJECT_WITH("linux/uidMappings", doc("[5]"),
		    "config.json: linux.uidMappings[0]: must be an object");
	REJECT_WITH("linux/uidMappings", doc("{}"), "config.json: linux.uidMappings: must be an array");
	/* At most what SETUP carries; 64 entries fit. */
	json_t *many = json_array();
	for (int i = 0; i < 64; i++)
		json_array_append_new(many, json_pack("{s:i, s:i, s:i}", "containerID", i, "hostID",
						      1000 + i, "size", 1));
	ACCEPT_WITH("linux/uidMappings", json_deep_copy(many));
	cr_assert_eq(c.lx.nuid_mappings, 64);
	cr_assert_eq(c.lx.uid_mappings[63].host_id, 1063);
	cfg_free(&c);
	json_array_append_new(many, json_pack("{s:i, s:i, s:i}", "containerID", 64, "hostID", 1064,
					      "size", 1));
	REJECT_WITH("linux/uidMappings", many,
		    "config.json: linux.uidMappings: 65 entries; mvrun passes at most 64");
	/* A mount's own maps (an idmapped mount) are noticed, for spec2vm to refuse. */
	ACCEPT_WITH("mounts/1/uidMappings", doc("[{'containerID': 0, 'hostID': 1, 'size': 1}]"));
	cr_assert(c.mounts[1].has_idmap);
	cr_assert_not(c.mounts[0].has_idmap);
}

Test(config, linux_rejections)
{
	REJECT_WITH("linux/namespaces", doc("[{'type': 'pid'}, {'type': 'pid'}]"),
		    "config.json: linux.namespaces[1].type: the pid namespace is listed twice");
	REJECT_WITH("linux/namespaces", doc("[{'type': 'net'}]"),
		    "config.json: linux.namespaces[0].type: unknown namespace type \"net\"");
	REJECT_WITH("linux/namespaces", doc("[{'type': 'ipc', 'path': 'proc/1/ns/ipc'}]"),
		    "config.json: linux.namespaces[0].path: \"proc/1/ns/ipc\" must be an absolute path");
	REJECT_WITH("linux/resources/memory/limit", json_string("1g"),
		    "config.json: linux.resources.memory.limit: must be an integer that fits in 64 bits");
	REJECT_WITH("linux/resources/memory/limit", json_integer(-2),
		    "config.json: linux.resources.memory.limit: -2 is not a size in bytes");
	REJECT_WITH("linux/resources/cpu", json_integer(2),
		    "config.json: linux.resources.cpu: must be an object");
	REJECT_WITH("linux/devices", doc("[{'path': '/dev/null'}]"),
		    "config.json: linux.devices[0].type: missing (required)");
	REJECT_WITH("linux/sysctl", doc("{'kernel.shmmax': 1}"),
		    "config.json: linux.sysctl[\"kernel.shmmax\"]: must be a string");
	/* -1 is "unlimited" for the memory limit. */
	ACCEPT_WITH("linux/resources/memory/limit", json_integer(-1));
	cr_assert_not(c.lx.has_memory_limit);
	cr_assert_eq(c.lx.resources.memory_limit, -1);
}

Test(config, hooks)
{
	json_t *d = base();
	set(d, "hooks",
	    doc("{'prestart': [{'path': '/usr/bin/net', 'args': ['net', 'up'], 'timeout': 5}],"
		" 'poststop': [{'path': '/bin/true', 'env': ['A=1']}], 'createRuntime': null}"));
	cr_assert_eq(parse(d), 0, "%s", err.msg);
	cr_assert_eq(c.nhooks[CFG_HOOK_PRESTART], 1);
	cr_assert_str_eq(c.hooks[CFG_HOOK_PRESTART][0].args[1], "up");
	cr_assert_eq(c.hooks[CFG_HOOK_PRESTART][0].timeout, 5);
	cr_assert_eq(c.nhooks[CFG_HOOK_POSTSTOP], 1);
	cr_assert_null(c.hooks[CFG_HOOK_POSTSTOP][0].args);
	cr_assert_str_eq(c.hooks[CFG_HOOK_POSTSTOP][0].env[0], "A=1");
	cr_assert_eq(c.nhooks[CFG_HOOK_CREATE_RUNTIME], 0);
	cfg_free(&c);

	REJECT_WITH("hooks/poststart", doc("[{'path': 'net'}]"),
		    "config.json: hooks.poststart[0].path: \"net\" must be an absolute path");
	REJECT_WITH("hooks/prestart", doc("[{'path': '/x', 'timeout': 0}]"),
		    "config.json: hooks.prestart[0].timeout: must be from 1 to 86400 seconds");
	REJECT_WITH("hooks/prestart", doc("[{'path': '/x', 'args': 'x'}]"),
		    "config.json: hooks.prestart[0].args: must be an array of strings");
}

/* cfg_load reads BUNDLE/config.json and hands back its exact bytes. */
Test(config, load_from_a_bundle)
{
	char dir[] = "/tmp/mvrun-cfgtest-XXXXXX", path[64];
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);

	char *text = NULL;
	cr_assert_eq(cfg_load(dir, &c, &text, &err), -1);
	char want[256];
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	EXPECT_MSG(want);

	json_t *d = base();
	char *t = json_dumps(d, JSON_INDENT(2));
	json_decref(d);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(t, f);
	fclose(f);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(cfg_load(dir, &c, &text, &err), 0, "%s", err.msg);
	cr_assert_str_eq(text, t);
	cr_assert_str_eq(c.process.cwd, "/work");
	free(text);
	free(t);
	unlink(path);
	rmdir(dir);
}

Test(config, free_twice_is_harmless)
{
	cr_assert_eq(parse(base()), 0, "%s", err.msg);
	cfg_free(&c);
	cfg_free(&c);
	cr_assert_null(c.doc);
}

/* mvrun exec --process FILE: a bare process object, checked as config.json's. */
static int load_process_text(const char *text)
{
	char path[] = "/tmp/mvrun-proctest-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&err, 0, sizeof(err));
	cfg_free(&c);
	int r = cfg_load_process(path, &c, &err);
	unlink(path);
	return r;
}

Test(config, a_bare_process_file)
{
	cr_assert_eq(load_process_text("{\"args\": [\"sh\", \"-c\", \"id\"], \"env\": [\"A=b\"], "
				       "\"cwd\": \"/tmp\", \"terminal\": true, \"user\": "
				       "{\"uid\": 1000, \"gid\": 5}, \"consoleSize\": "
				       "{\"height\": 24, \"width\": 80}}"),
		     0, "%s", err.msg);
	cr_assert_eq(c.process.nargs, 3);
	cr_assert_str_eq(c.process.args[2], "id");
	cr_assert_null(c.process.args[3]);
	cr_assert_eq(c.process.nenv, 1);
	cr_assert_str_eq(c.process.cwd, "/tmp");
	cr_assert(c.process.terminal);
	cr_assert_eq(c.process.uid, 1000);
	cr_assert_eq(c.process.gid, 5);
	cr_assert_eq(c.process.console_height, 24);
	cr_assert_null(c.root_path, "nothing but the process");

	cr_assert_eq(load_process_text("{\"env\": [], \"cwd\": \"/\"}"), -1);
	EXPECT_MSG("config.json: process.args: must be a non-empty array of strings");
	cr_assert_eq(load_process_text("{\"args\": [\"x\"], \"cwd\": \"rel\"}"), -1);
	EXPECT_MSG("config.json: process.cwd: \"rel\" must be an absolute path");
	cr_assert_eq(load_process_text("[1, 2]"), -1);
	cr_assert_eq(err.status, CFG_EXIT);
	cr_assert_eq(load_process_text("{\"args\": "), -1);
	cr_assert(strstr(err.msg, "line 1"), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(cfg_load_process("/nonexistent/process.json", &c, &err), -1);
	EXPECT_MSG("/nonexistent/process.json: No such file or directory");
}

/* exec --process /dev/fd/N: a pipe, read to its EOF as runc reads it (a
 * 5000-byte process, more than one read). */
Test(config, a_process_from_a_pipe)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	char text[8192];
	int n = snprintf(text, sizeof(text), "{\"args\": [\"echo\", \"%04900d\"], \"cwd\": \"/\"}", 7);
	cr_assert_eq(write(p[1], text, (size_t)n), n);
	close(p[1]);
	char path[32];
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	memset(&err, 0, sizeof(err));
	cfg_free(&c);
	cr_assert_eq(cfg_load_process(path, &c, &err), 0, "%s", err.msg);
	close(p[0]);
	cr_assert_eq(c.process.nargs, 2);
	cr_assert_eq(strlen(c.process.args[1]), 4900);
	memset(&err, 0, sizeof(err));
	cfg_free(&c);
	cr_assert_eq(cfg_load_process("/tmp", &c, &err), -1);
	EXPECT_MSG("/tmp: not a file of at most 64 MiB");
}
