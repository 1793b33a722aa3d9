/* spec2vm for mvrun box (in->sandbox): the box's config goes through the
 * same plan as a container's; what differs is the VM's size (the box's own
 * flags), no confinement (the guest root's privileges) and shares without
 * set-id files. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/plan/spec2vm.h"

Test(spec2vm_box, sandbox_plan)
{
	char tmpl[] = "/tmp/mvrun-s2vbox-XXXXXX", root[PATH_MAX], vol[PATH_MAX], text[2 * PATH_MAX + 512];
	cr_assert(mkdtemp(tmpl));
	snprintf(root, sizeof(root), "%s/rootfs", tmpl);
	snprintf(vol, sizeof(vol), "%s/vol", tmpl);
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(mkdir(vol, 0755), 0);
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
		 " \"hostname\": \"mvrun\", \"process\": {\"args\": [\"sh\"], \"env\": [\"HOME=/root\"],"
		 " \"cwd\": \"/\", \"terminal\": true, \"user\": {\"uid\": 5, \"gid\": 6}},"
		 " \"mounts\": [{\"destination\": \"/v\", \"type\": \"bind\", \"source\": \"%s\","
		 " \"options\": [\"rbind\", \"ro\"]}]}", vol);
	struct cfg c;
	struct err err = { 0 };
	cr_assert_eq(cfg_parse(text, strlen(text), &c, &err), 0, "%s", err.msg);
	struct s2v_inputs in = { .bundle = tmpl, .mvm = "/opt/mvm", .kernel = "/opt/vmlinux",
				 .initrd = "/opt/initramfs.cpio", .ready_fd = -1, .stream_fd = 3,
				 .sandbox = true, .mem_mib = 32, .cpus = 2 };
	static struct s2v_plan plan;
	cr_assert_eq(s2v_build(&c, &in, &plan, &err), 0, "%s", err.msg);
	char args[4096] = "";
	for (int i = 1; i < plan.argc; i++)
		snprintf(args + strlen(args), sizeof(args) - strlen(args), "%s%s", i > 1 ? " " : "",
			 plan.argv[i]);
	char want[3 * PATH_MAX];
	snprintf(want, sizeof(want), "--kernel /opt/vmlinux --initrd /opt/initramfs.cpio --mem 32 "
		 "--cpus 2 --root %s --read-only --volume %s:ro --stream-fd 3", root, vol);
	cr_assert_str_eq(args, want, "no --share-privileges: the box's shares take no set-id files");
	cr_assert_eq(plan.spec.flags, PROTO_SPEC_TTY | PROTO_SPEC_READONLY_ROOT,
		     "no CONFINE or SETUP: the process keeps the guest root's privileges");
	cr_assert_eq(plan.confine.len, 0);
	cr_assert_eq(plan.spec.uid, 5);
	cr_assert_eq(plan.spec.gid, 6);
	cr_assert_eq(plan.spec.nmounts, 1);
	cr_assert_str_eq(plan.spec.mounts[0].tag, "vol0");
	cr_assert_str_eq(plan.spec.mounts[0].path, "/v");
	cr_assert_eq(plan.spec.mounts[0].flags, PROTO_MOUNT_RO);
	s2v_free(&plan);
	cfg_free(&c);
	rmdir(vol);
	rmdir(root);
	rmdir(tmpl);
}
