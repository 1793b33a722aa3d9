#!/bin/bash
# Pods, driven as containerd's CRI drives runc: a sandbox container (a
# pause-like sleep, or a server), then members whose config names the
# sandbox's namespaces as /proc/<sandbox pid>/ns/{net,ipc,uts}. A member
# runs inside the sandbox's VM: the pod's hostname, 127.0.0.1 shared, its
# own rootfs, its own pid (a host process), state and exit status. Real
# guests boot here: run it through tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ocipod . tests/oci/lib.sh

cp -a "$W/rootfs" "$W/mrootfs"
echo member-own-file >"$W/mrootfs/marker"

# The sandbox: the pod's hostname, a server on 127.0.0.1:8080.
bundle sb '["sh", "-c", "while :; do echo hello-from-sandbox | nc -l -p 8080; done"]' "
c['hostname'] = 'pod-host'
c['linux']['cgroupsPath'] = '/mvrun-pod-test/sb'
c['annotations'] = {'io.kubernetes.cri.container-type': 'sandbox'}
"
create sb sb
[ "$T_STATUS" = 0 ] || t_bad "create the sandbox" "$(cat "$W/sb.err")"
rt start sb
t_check "start the sandbox" 0
SBPID=$(cat "$W/sb/sb.pid")

# member BUNDLE ARGS [PYTHON-EDIT]: a member's bundle, its own rootfs, the
# sandbox's net, ipc and uts namespaces by path, as containerd writes them.
member() {
	bundle "$1" "$2" "
c['root']['path'] = '$W/mrootfs'
c['hostname'] = 'not-used'
c['linux']['cgroupsPath'] = '/mvrun-pod-test/$1'
c['annotations'] = {'io.kubernetes.cri.container-type': 'container',
		    'io.kubernetes.cri.sandbox-id': 'sb'}
for ns in c['linux']['namespaces']:
    if ns['type'] in ('network', 'ipc', 'uts'):
        ns['path'] = '/proc/$SBPID/ns/' + {'network': 'net'}.get(ns['type'], ns['type'])
$3"
}

# --- a member: the pod's hostname, localhost, its own files, its status -----
member m1 '["sh", "-c", "hostname; nc 127.0.0.1 8080 </dev/null; cat /marker; exit 3"]'
create m1 m1
t_check "create a member" 0 errlines:0
M1PID=$(cat "$W/m1/m1.pid")
[ -n "$M1PID" ] && [ "$M1PID" != "$SBPID" ] && kill -0 "$M1PID" 2>/dev/null &&
	t_ok "the member's pid is a process of its own" || t_bad "the member's pid" "pid $M1PID"
state_is m1 created && t_ok "state m1: created" || t_bad "state m1: created" "$(cat "$T_OUT")"
rt start m1
t_check "start the member" 0
st=$(exited m1 m1)
[ "$st" = 3 ] && t_ok "the member's host process exits with its status (3)" ||
	t_bad "the member's exit status" "$st"
out=$(cat "$W/m1.out")
grep -qx pod-host <<<"$out" && t_ok "the member sees the pod's hostname" ||
	t_bad "the member sees the pod's hostname" "$out"
grep -qx hello-from-sandbox <<<"$out" && t_ok "the member reaches the sandbox on 127.0.0.1" ||
	t_bad "the member reaches the sandbox on 127.0.0.1" "$out"
grep -qx member-own-file <<<"$out" && t_ok "the member has its own rootfs" ||
	t_bad "the member has its own rootfs" "$out"
state_is m1 stopped && t_ok "state m1: stopped" || t_bad "state m1: stopped" "$(cat "$T_OUT")"
rt delete m1
t_check "delete the stopped member" 0 errlines:0

# --- kill: the signal reaches the member's process ---------------------------
member m2 '["sh", "-c", "trap \"echo got-term; exit 42\" TERM; echo ready; while :; do sleep 0.2; done"]'
create m2 m2
t_check "create a second member" 0
rt start m2
t_check "start it" 0
for _ in $(seq 1 $((LIMIT * 10))); do grep -q ready "$W/m2.out" && break; sleep 0.1; done
state_is m2 running && t_ok "state m2: running" || t_bad "state m2: running" "$(cat "$T_OUT")"
rt exec m2 sh -c 'cat /marker; hostname'
t_check "exec into a member: its own files, the pod's hostname" 0 'out:^member-own-file$' \
	'out:^pod-host$' errlines:0
rt exec m2 sh -c 'exit 5'
t_check "exec into a member gives the process's status" 5
rt exec m2 sh -c 'cat /sys/fs/cgroup/memory.max'
t_check "a member without a memory limit: none in its cgroup" 0 'out:^max$'
rt kill m2 TERM
t_check "kill m2 TERM" 0
st=$(exited m2 m2)
[ "$st" = 42 ] && grep -q got-term "$W/m2.out" &&
	t_ok "SIGTERM reaches the member; its status is the host process's" ||
	t_bad "kill m2 TERM" "$st; $(cat "$W/m2.out")"
rt delete m2
t_check "delete m2" 0 errlines:0

# --- a member's memory limit holds in the guest --------------------------------
mkdir -p "$W/vol"
member m4 '["sh", "-c", "trap \"exit 9\" TERM; while :; do sleep 0.2; done"]' "
c['linux']['resources'] = {'memory': {'limit': 67108864}}
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$W/vol', 'options': ['rbind', 'rw']})
"
create m4 m4
rt start m4
t_check "start a member limited to 64 MiB" 0
rt exec m4 cat /sys/fs/cgroup/memory.max
t_check "its cgroup in the guest has the limit" 0 'out:^67108864$'
rt exec m4 dd if=/dev/zero of=/dev/null bs=16M count=1
t_check "16 MiB at once fit" 0
rt exec m4 dd if=/dev/zero of=/dev/null bs=128M count=1
t_check "128 MiB at once do not: the process is killed" 137
rt exec sb cat /proc/meminfo
t_check "the sandbox runs on" 0 'out:MemTotal'
rt update --memory 33554432 m4
t_check "update --memory of a member" 0
rt exec m4 cat /sys/fs/cgroup/memory.max
t_check "reaches its cgroup in the guest" 0 'out:^33554432$'
rt exec --detach --pid-file "$W/x4.pid" m4 sh -c 'while :; do echo tick >>/vol/ticks; sleep 0.2; done'
t_check "exec --detach into the member" 0
rt ps --format json m4
t_check "ps of a member lists its host processes" 0 "out:[[,]$(cat "$W/m4/m4.pid")[],]" \
	"out:[[,]$(cat "$W/x4.pid")[],]"
rt pause m4
t_check "pause a member" 0
state_is m4 paused && t_ok "state m4: paused" || t_bad "state m4: paused" "$(cat "$T_OUT")"
n1=$(wc -l <"$W/vol/ticks"); sleep 2; n2=$(wc -l <"$W/vol/ticks")
[ "$n1" = "$n2" ] && t_ok "a paused member's processes are frozen (its volume's file stays at $n1 lines)" ||
	t_bad "a paused member's processes are frozen" "$n1 then $n2 lines"
rt exec sb echo sandbox-runs
t_check "the sandbox is not paused with it" 0 'out:^sandbox-runs$'
rt resume m4
t_check "resume it" 0
state_is m4 running && t_ok "state m4: running" || t_bad "state m4: running" "$(cat "$T_OUT")"
rt exec m4 sh -c 'n=$(wc -l </vol/ticks); sleep 1; [ $(wc -l </vol/ticks) -gt $n ] && echo ticking'
t_check "the member's processes run again" 0 'out:^ticking$'
rt kill --all m4 TERM
t_check "kill --all of a member" 0
st=$(exited m4 m4)
[ "$st" = 9 ] && t_ok "kill --all reaches the member's process ($st)" || t_bad "kill --all m4" "$st"
rt delete --force m4
t_check "delete --force a running member" 0 errlines:0

# --- the sandbox's delete ends its running members; their delete then works --
member m3 '["sleep", "1000"]'
create m3 m3
rt start m3
t_check "start a long-running member" 0
rt delete --force sb
t_check "delete --force the sandbox" 0 errlines:0
st=$(exited m3 m3)
[ "$st" != none ] && t_ok "the member ends with its pod's VM ($st)" || t_bad "m3 ends with the VM" "$st"
rt delete m3
t_check "delete the member of a deleted sandbox" 0 errlines:0

# --- refusal: a namespace path that is not an mvrun VM's ---------------------
sleep 1000 &
OTHER=$!
bundle bad '["true"]' "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'ipc':
        ns['path'] = '/proc/$OTHER/ns/ipc'
"
rt create --bundle "$W/bad" bad
t_check "a namespace path of a process that is not mvrun's: one line naming the field" 1 \
	'err:linux.namespaces\[[0-9]\].*not a namespace of a running mvrun container' errlines:1
kill $OTHER

# --- nothing left ----------------------------------------------------------------
left=$(ls "$ROOT" 2>/dev/null; ps -eo pid,args | grep -F "$ROOT" | grep -v -e subreaper -e grep
	grep -F "$W" /proc/self/mountinfo; ls -d /sys/fs/cgroup/mvrun-pod-test/*/ 2>/dev/null)
[ -z "$left" ] && t_ok "nothing left: state, processes, mounts, cgroups" || t_bad "nothing left" "$left"
t_summary oci-pod
