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
rt kill m2 TERM
t_check "kill m2 TERM" 0
st=$(exited m2 m2)
[ "$st" = 42 ] && grep -q got-term "$W/m2.out" &&
	t_ok "SIGTERM reaches the member; its status is the host process's" ||
	t_bad "kill m2 TERM" "$st; $(cat "$W/m2.out")"
rt delete m2
t_check "delete m2" 0 errlines:0

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
