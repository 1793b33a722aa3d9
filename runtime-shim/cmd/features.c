/* mvrun features: what this mvrun supports, in runc's features JSON
 * (runtime-spec features.md), with the VM's sizing rules, what mvinit
 * applies in the guest and the settings accepted but not applied yet as
 * org.mvrun.* annotations. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime-shim/cmd/cmd.h"
#include "runtime-shim/plan/spec2vm.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char features[] =
	"{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"" SHIM_OCI_VERSION "\","
	" \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\","
	" \"poststart\", \"poststop\"],"
	" \"mountOptions\": [\"ro\", \"rw\", \"bind\", \"rbind\", \"private\", \"rprivate\","
	"  \"slave\", \"rslave\", \"shared\", \"rshared\", \"unbindable\", \"runbindable\","
	"  \"nosuid\", \"nodev\", \"noexec\", \"suid\", \"dev\", \"exec\", \"relatime\","
	"  \"norelatime\", \"noatime\", \"atime\", \"strictatime\", \"nostrictatime\","
	"  \"nodiratime\", \"diratime\", \"sync\", \"async\", \"dirsync\", \"lazytime\","
	"  \"nolazytime\"],"
	" \"linux\": {"
	"  \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", \"cgroup\", \"time\","
	" \"user\"],"
	"  \"capabilities\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_DAC_READ_SEARCH\","
	"   \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\","
	"   \"CAP_SETPCAP\", \"CAP_LINUX_IMMUTABLE\", \"CAP_NET_BIND_SERVICE\", \"CAP_NET_BROADCAST\","
	"   \"CAP_NET_ADMIN\", \"CAP_NET_RAW\", \"CAP_IPC_LOCK\", \"CAP_IPC_OWNER\", \"CAP_SYS_MODULE\","
	"   \"CAP_SYS_RAWIO\", \"CAP_SYS_CHROOT\", \"CAP_SYS_PTRACE\", \"CAP_SYS_PACCT\","
	"   \"CAP_SYS_ADMIN\", \"CAP_SYS_BOOT\", \"CAP_SYS_NICE\", \"CAP_SYS_RESOURCE\","
	"   \"CAP_SYS_TIME\", \"CAP_SYS_TTY_CONFIG\", \"CAP_MKNOD\", \"CAP_LEASE\", \"CAP_AUDIT_WRITE\","
	"   \"CAP_AUDIT_CONTROL\", \"CAP_SETFCAP\", \"CAP_MAC_OVERRIDE\", \"CAP_MAC_ADMIN\","
	"   \"CAP_SYSLOG\", \"CAP_WAKE_ALARM\", \"CAP_BLOCK_SUSPEND\", \"CAP_AUDIT_READ\","
	"   \"CAP_PERFMON\", \"CAP_BPF\", \"CAP_CHECKPOINT_RESTORE\"],"
	"  \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},"
	"  \"seccomp\": {\"enabled\": true,"
	"   \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\","
	"    \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\","
	"    \"SCMP_ACT_TRAP\"],"
	"   \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\","
	"    \"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"],"
	"   \"archs\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\"],"
	"   \"knownFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\","
	"    \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
	"   \"supportedFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\","
	"    \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]},"
	"  \"apparmor\": {\"enabled\": false},"
	"  \"selinux\": {\"enabled\": false}},"
	" \"annotations\": {"
	"  \"org.mvrun.vm\": \"each container runs in its own KVM microVM\","
	"  \"org.mvrun.vm.mem.default-mib\": \"" XSTR(S2V_DEFAULT_MEM_MIB) "\","
	"  \"org.mvrun.vm.mem.overhead-mib\": \"" XSTR(S2V_MEM_OVERHEAD_MIB) "\","
	"  \"org.mvrun.vm.mem.min-mib\": \"" XSTR(S2V_MIN_MEM_MIB) "\","
	"  \"org.mvrun.vm.mem.rule\": \"guest RAM = org.mvrun.mem, else linux.resources.memory.limit"
	" minus the overhead but at least min-mib (the container's memory cgroup in the guest holds"
	" a smaller limit), else the default\","
	"  \"org.mvrun.vm.cpus.rule\": \"vCPUs = org.mvrun.cpus, else the smaller of"
	" ceil(cpu.quota / cpu.period) and the cpuset's size, else 1; at most " XSTR(MVM_MAX_VCPUS) "\","
	"  \"org.mvrun.tunables\": \"org.mvrun.mem, org.mvrun.cpus, org.mvrun.kernel, org.mvrun.console\","
	"  \"org.mvrun.applied-in-guest\": \"process.user (uid, gid, additionalGids, umask),"
	" process.capabilities, process.noNewPrivileges, process.rlimits, process.oomScoreAdj (also"
	" for exec, as runc), linux.resources memory.limit, memory.reservation, cpu.quota,"
	" cpu.period, cpu.shares, cpu.cpus, cpu.mems, pids.limit and unified (the container's"
	" cgroup v2 in the guest: memory.max, memory.low, cpu.max, cpu.weight, cpuset.cpus and"
	" .mems, pids.max and the unified keys, which the container reads at /sys/fs/cgroup in a"
	" cgroup namespace of its own; update changes them while the container runs; a memory"
	" limit below the VM's own size holds the workload there), kill --all (every process in"
	" that cgroup), linux.seccomp (compiled on"
	" the host for x86_64, x86 and x32), linux.maskedPaths, linux.readonlyPaths, linux.sysctl (any"
	" key: the kernel is the VM's), /dev as runc makes it (a tmpfs with the default devices, the"
	" config's /dev and /dev/shm tmpfs options honoured; the"
	" VM's own devices are not in it), linux.devices (the guest kernel's devices of those"
	" numbers), linux.resources.devices (the guest's cgroup v1 devices controller, after runc's"
	" default allowed devices; a rule that takes part of a wider earlier rule away is refused),"
	" domainname, the user namespace with linux.uidMappings and linux.gidMappings (made in the"
	" guest; every process of the container, exec'd ones too, runs in it, and files it writes to"
	" shared directories carry the mapped ids on the host, as under runc), nosuid/nodev/noexec"
	" and the propagation of bind mounts (mvinit mounts or remounts them so; rbind,ro makes"
	" only the top mount read-only, as runc 1.1, each mount below it shared apart; other bind"
	" options are mount data, which a bind ignores), the config's mounts in its order with"
	" their sources and options (mvinit adds none),"
	" tmpcopyup, createContainer and startContainer hooks (run in the container in the VM;"
	" createContainer's path is resolved in the container, not the host)\","
	"  \"org.mvrun.not-applied-yet\": \"linux.resources: blockIO, hugepageLimits, network, rdma"
	" (the guest kernel has no io, hugetlb, net_cls/net_prio or rdma controller),"
	" memory.swappiness, memory.kernel, memory.kernelTCP, memory.disableOOMKiller,"
	" memory.useHierarchy (cgroup v2 has none of them; runc ignores them there too),"
	" cpu.realtimeRuntime, cpu.realtimePeriod, cpu.idle (each noted in --log at create);"
	" memory.swap in the guest (it has no swap: only mvm's host cgroup gets it);"
	" linux.intelRdt, linux.personality; the cgroup mount is mounted after the config's other"
	" mounts; past mvm's share limit, what is mounted under a read-only rbind's source is"
	" read-only too (noted in --log)\","
	"  \"org.mvrun.events\": \"events [--stats] [--interval D]: runc's stats JSON from the host"
	" cgroups of mvm (the container's pid): cpu and memory are the VM's as the host sees them,"
	" pids counts mvm's threads and the exec relays, not the guest's processes; blkio, hugetlb,"
	" intel_rdt and network_interfaces are empty; oom events from the memory cgroup's OOM kill"
	" count, checked every interval\","
	"  \"org.mvrun.logging\": \"--log (made even on success), --log-format text|json and --debug"
	" write runc 1.1's logrus lines (time, level, msg; no func/file fields)\","
	"  \"org.mvrun.pods\": \"a container whose ipc, uts or pid namespace path (or network"
	" path alone, when it is one container's) is a running mvrun container's mvm's runs in"
	" that VM as a pod member: the sandbox's network, IPC and UTS namespaces, its own root,"
	" mounts, PID namespace and cgroup in the guest; its pid is a host process that relays"
	" its stdio and signals; at most 16 members; a member with a terminal, or sharing the"
	" sandbox's PID namespace, not yet\","
	"  \"org.mvrun.refused\": \"idmapped mounts, joining namespaces by path (but a pod's),"
	" mounts other than binds, tmpfs and the guest's own proc, sysfs, devpts and mqueue,"
	" a createContainer hook whose path is not in the rootfs, seccomp SCMP_ACT_NOTIFY,"
	" --preserve-fds, --systemd-cgroup, kill SIGSYS (mvm keeps it for its seccomp report),"
	" exec --cgroup CONTROLLER:SUB (cgroup v2 has none)\"}}";

int shim_features(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	(void)g;
	if (shim_getopt(argc, argv, "", opts, err) != -1 ||
	    shim_operands(argc, argv, 0, err) < 0)
		return err->status;
	json_error_t je;
	json_t *o = json_loads(features, 0, &je);
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!text)
		return err_set(err, 1, "features: internal error: %s", je.text), 1;
	printf("%s\n", text);
	free(text);
	return 0;
}
