/* mvrun features: what this mvrun supports, in runc's features JSON
 * (runtime-spec features.md), with the VM's sizing rules and the settings
 * accepted but not applied yet as org.mvrun.* annotations. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime-shim/shim.h"
#include "runtime-shim/spec2vm.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char features[] =
	"{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"" SHIM_OCI_VERSION "\","
	" \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],"
	" \"mountOptions\": [\"ro\", \"rw\", \"bind\", \"rbind\", \"private\", \"rprivate\","
	"  \"slave\", \"rslave\", \"shared\", \"rshared\", \"unbindable\", \"runbindable\","
	"  \"nosuid\", \"nodev\", \"noexec\", \"suid\", \"dev\", \"exec\", \"relatime\","
	"  \"norelatime\", \"noatime\", \"atime\", \"strictatime\", \"nostrictatime\","
	"  \"nodiratime\", \"diratime\", \"sync\", \"async\", \"dirsync\", \"lazytime\","
	"  \"nolazytime\"],"
	" \"linux\": {"
	"  \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", \"cgroup\", \"time\"],"
	"  \"capabilities\": [],"
	"  \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},"
	"  \"seccomp\": {\"enabled\": false},"
	"  \"apparmor\": {\"enabled\": false},"
	"  \"selinux\": {\"enabled\": false}},"
	" \"annotations\": {"
	"  \"org.mvrun.vm\": \"each container runs in its own KVM microVM\","
	"  \"org.mvrun.vm.mem.default-mib\": \"" XSTR(S2V_DEFAULT_MEM_MIB) "\","
	"  \"org.mvrun.vm.mem.overhead-mib\": \"" XSTR(S2V_MEM_OVERHEAD_MIB) "\","
	"  \"org.mvrun.vm.mem.min-mib\": \"" XSTR(S2V_MIN_MEM_MIB) "\","
	"  \"org.mvrun.vm.mem.rule\": \"guest RAM = org.mvrun.mem, else linux.resources.memory.limit"
	" minus the overhead, else the default\","
	"  \"org.mvrun.vm.cpus.rule\": \"vCPUs = org.mvrun.cpus, else the smaller of"
	" ceil(cpu.quota / cpu.period) and the cpuset's size, else 1; at most " XSTR(S2V_MAX_CPUS) "\","
	"  \"org.mvrun.tunables\": \"org.mvrun.mem, org.mvrun.cpus, org.mvrun.kernel, org.mvrun.console\","
	"  \"org.mvrun.not-applied-yet\": \"process.capabilities, process.noNewPrivileges,"
	" process.rlimits, process.oomScoreAdj, process.user.additionalGids, linux.seccomp,"
	" linux.maskedPaths, linux.readonlyPaths, linux.sysctl, linux.devices,"
	" linux.resources.pids, nosuid/nodev/noexec on bind mounts, tmpcopyup (accepted with a warning)\","
	"  \"org.mvrun.refused\": \"user namespaces and id mappings, joining namespaces by path,"
	" mounts other than binds, tmpfs and the guest's own proc, sysfs, devpts and mqueue,"
	" createContainer and startContainer hooks, umask other than 022, domainname,"
	" --preserve-fds, --systemd-cgroup\"}}";

int shim_features(struct shim_ctx *g, int argc, char **argv, struct shim_err *err)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	(void)g;
	if (shim_getopt(argc, argv, "", opts, err) != -1 ||
	    shim_operands(argc, argv, 0, "mvrun features", err) < 0)
		return err->status;
	json_error_t je;
	json_t *o = json_loads(features, 0, &je);
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!text)
		return shim_errf(err, 1, "features: internal error: %s", je.text), 1;
	printf("%s\n", text);
	free(text);
	return 0;
}
