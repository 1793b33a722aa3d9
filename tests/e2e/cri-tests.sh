#!/bin/bash
# tests/e2e/cri-tests.sh [HANDLER]...: Kubernetes' path to a runtime.
# containerd's CRI plugin, driven by the CRI client the tests carry
# (tests/e2e/cri/cri.py), runs a pod per runtime handler as kubelet would
# ask for it: the pause sandbox (a FROM-scratch image holding only /pause,
# built here) and busybox app containers, on a bridge CNI network. Every
# check is what a Kubernetes user sees: states, IPs, hostnames, ExecSync
# output and exit codes, log files, and nothing left behind.
#   runc:  the baseline: a two-container pod, proving the client and setup.
#   mvrun: the same pod in one VM: the sandbox boots it, the app containers
#          run inside it as pod members.
# Guests boot here, so run it through tests/vmhost/run --switch-root (runc's
# exec lands outside its container in a chrooted test host) with the
# modules of the pod network and mvm's tap redirect: tun veth bridge
# sch_ingress cls_u32 act_mirred (make test does). HANDLER defaults to
# "runc mvrun"; runc alone runs on any host with containerd and runc.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
. tests/e2e/engine-conf.sh
MVRUN=$PWD/build/mvrun
LIMIT=${E2E_LIMIT:-600}
HANDLERS=${*:-runc mvrun}
W=$(mktemp -d /tmp/cri.XXXXXX)
SOCK=$W/containerd/sock
IMG=localhost/mvrun-busybox:cri
PAUSE=localhost/mvrun-pause:cri
CGROUP_PARENT=/mvrun-cri-$$
# The runc.v2 shim's --root for the k8s.io namespace: runc's state, and
# mvrun's under the mvrun handler.
SHIM_ROOT=/run/containerd/runc/k8s.io
cleanup() {
	[ -z "${CRI_KEEP:-}" ] || { echo "kept $W"; return; }
	local p
	for p in "$W"/*/*.pid; do kill "$(cat "$p")" 2>/dev/null; done
	sleep 1
	for p in "$W"/*/*.pid; do kill -9 "$(cat "$p")" 2>/dev/null; done
	umount -R "$W"/*/ 2>/dev/null
	find /sys/fs/cgroup -depth -type d -path "*$CGROUP_PARENT*" -exec rmdir {} + 2>/dev/null
	rm -rf "$W" "$T_OUT" "$T_ERR" 2>/dev/null
}
trap cleanup EXIT
mkdir -p "$W/tmp"
export TMPDIR=$W/tmp CRI_STUBS=$W/stubs

cri() { /usr/bin/python3 tests/e2e/cri/cri.py -s "$SOCK" --timeout "$LIMIT" "$@"; }
ex() { t_exec $((LIMIT + 30)) /usr/bin/python3 tests/e2e/cri/cri.py -s "$SOCK" --timeout "$LIMIT" "$@"; }
# jq-less JSON reads: json FILE EXPR prints EXPR of the parsed FILE (as j).
json() { /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
fail_setup() {
	echo "FAIL $1"
	echo "cri: $T_PASS passed, $((T_FAIL + 1)) failed, $T_SKIP skipped"
	exit 1
}

# --- the images: busybox (build/rootfs) and the pause image ------------------
podman_conf "$W" "$MVRUN" || fail_setup "podman's config for the images"
tar -C build/rootfs -c . | image_archive "$IMG" "$W/busybox.tar" || fail_setup "the busybox image: $IMAGE_ERR"
# As Kubernetes' pause image: FROM scratch, /pause alone (no /proc, /sys or
# /dev to mount on), run as 65535.
mkdir -p "$W/pause"
musl-gcc -std=gnu11 -Wall -Wextra -Werror -Os -static -s -o "$W/pause/pause" tests/e2e/cri/pause.c ||
	fail_setup "pause.c does not build"
tar -C "$W/pause" --owner=0 --group=0 --numeric-owner -c pause |
	image_archive "$PAUSE" "$W/pause.tar" --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' ||
	fail_setup "the pause image: $IMAGE_ERR"

# --- containerd with the CRI plugin, the two images in its k8s.io namespace --
containerd_cri_conf "$W" "$SOCK" "$MVRUN" "$PAUSE" || fail_setup "containerd's CRI config"
out=$(containerd_daemon "$W" "$SOCK" 120) || fail_setup "$out"
for i in busybox pause; do
	ctr -a "$SOCK" -n k8s.io image import --snapshotter native "$W/$i.tar" >/dev/null 2>"$W/import.err" ||
		fail_setup "ctr image import $i: $(cat "$W/import.err")"
done

ex version
t_check "cri: Version answers over the client's stubs (containerd, CRI v1)" 0 \
	'out:"runtimeName": "containerd"' 'out:"runtimeApiVersion": "v1"'
ex inspecti "$PAUSE"
t_check "cri: the pause image is in the k8s.io namespace, run as 65535" 0 "out:\"$PAUSE\"" 'out:"value": "65535"'
# The pause image is what upstream's is: one file.
layer=$(tar -xOf "$W/pause.tar" manifest.json | sed 's/.*"Layers":\["\([^"]*\)".*/\1/')
files=$(tar -xOf "$W/pause.tar" "$layer" | tar -t | tr '\n' ' ')
[ "$files" = "pause " ] && t_ok "cri: the pause image's only layer holds /pause alone" ||
	t_bad "cri: the pause image's only layer holds /pause alone" "$files"

# --- configs: a pod per handler, as kubelet fills them in -------------------
# pod_conf H: the PodSandboxConfig of handler H's pod, in W/H/pod.json.
pod_conf() {
	local h=$1
	mkdir -p "$W/$h/logs"
	cat >"$W/$h/pod.json" <<EOF
{"metadata": {"name": "pod-$h", "namespace": "default", "uid": "uid-$h-$$", "attempt": 0},
 "hostname": "pod-$h-host",
 "log_directory": "$W/$h/logs",
 "dns_config": {"servers": ["10.89.7.1"], "searches": ["cri.test"]},
 "labels": {"app": "cri-tests", "handler": "$h"},
 "annotations": {"mvrun.test/suite": "cri"},
 "linux": {"cgroup_parent": "$CGROUP_PARENT/pod-$h",
   "security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}}}}
EOF
}
# ctr_conf H NAME CMD: a ContainerConfig for busybox running sh -c CMD,
# logging to NAME.log, in W/H/NAME.json.
ctr_conf() {
	local h=$1 name=$2 cmd=$3
	/usr/bin/python3 - "$W/$h/$name.json" "$name" "$IMG" "$cmd" <<'EOF'
import json, sys
out, name, img, cmd = sys.argv[1:]
json.dump({"metadata": {"name": name, "attempt": 0}, "image": {"image": img},
           "command": ["sh", "-c", cmd], "working_dir": "/", "envs": [{"key": "ROLE", "value": name}],
           "labels": {"app": "cri-tests"}, "log_path": name + ".log",
           "linux": {"resources": {"memory_limit_in_bytes": 64 << 20, "cpu_shares": 512},
                     "security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER",
                                                                "ipc": "POD"}}}},
          open(out, "w"))
EOF
}
# The server answers every connection to port 8080 with its hostname, and
# says so on stdout (the log); the client waits to be stopped, and SIGTERM
# ends it with 0.
SERVER_CMD='echo serving $ROLE; exec nc -ll -p 8080 -e /bin/hostname'
CLIENT_CMD='trap "exit 0" TERM; echo client up; while :; do sleep 1; done'

# --- checks -------------------------------------------------------------------
# sandbox_up H: runs H's pod sandbox; sets POD (empty on failure).
sandbox_up() {
	local h=$1
	pod_conf "$h"
	ex runp --runtime "$h" "$W/$h/pod.json"
	POD=$(tr -d '\n' <"$T_OUT")
	t_check "$h: RunPodSandbox with the FROM-scratch pause image (read-only root)" 0 'out:^[0-9a-f]{64}$'
	[ "$T_STATUS" = 0 ] || { POD=; return 1; }
	ex inspectp "$POD"
	cp "$T_OUT" "$W/$h/podstatus.json"
	t_check "$h: PodSandboxStatus: READY, on handler $h, with its pod's name" 0 \
		'out:"state": "SANDBOX_READY"' "out:\"runtimeHandler\": \"$h\"" "out:\"name\": \"pod-$h\""
	POD_IP=$(json "$W/$h/podstatus.json" 'j["status"]["network"]["ip"]' 2>/dev/null)
	[[ $POD_IP == 10.89.7.* ]] && t_ok "$h: the pod has an IP from the CNI network ($POD_IP)" ||
		t_bad "$h: the pod has an IP from the CNI network" "ip '$POD_IP'"
}

# sandbox_down H: stops and removes H's pod, twice each (kubelet repeats
# them; both must succeed), then checks nothing is left.
sandbox_down() {
	local h=$1
	ex stopp "$POD"
	t_check "$h: StopPodSandbox" 0
	ex inspectp "$POD"
	t_check "$h: the stopped pod is NOTREADY" 0 'out:"state": "SANDBOX_NOTREADY"'
	ex stopp "$POD"
	t_check "$h: StopPodSandbox again (idempotent)" 0
	ex rmp "$POD"
	t_check "$h: RemovePodSandbox" 0
	ex pods
	t_check "$h: ListPodSandbox no longer lists it" 0 "!out:$POD"
	leftovers "$h"
}

# leftovers H: no task, container, network namespace, runtime state, VMM
# process or container cgroup of H's pod remains.
leftovers() {
	local h=$1 left
	left=$(ctr -a "$SOCK" -n k8s.io task ls -q 2>&1; ctr -a "$SOCK" -n k8s.io container ls -q 2>&1)
	[ -z "$left" ] && t_ok "$h: containerd has no task or container left" ||
		t_bad "$h: containerd has no task or container left" "$left"
	left=$(find "$W/containerd/state" -path '*netns*' -type f 2>&1)
	[ -z "$left" ] && t_ok "$h: no network namespace left" || t_bad "$h: no network namespace left" "$left"
	left=$(ls -A "$SHIM_ROOT" 2>/dev/null)
	[ -z "$left" ] && t_ok "$h: the runtime's state root ($SHIM_ROOT) is empty" ||
		t_bad "$h: the runtime's state root ($SHIM_ROOT) is empty" "$left"
	left=$(find /sys/fs/cgroup -mindepth 2 -type d -path "*$CGROUP_PARENT/pod-$h/*" 2>&1)
	[ -z "$left" ] && t_ok "$h: no container cgroup left under the pod's cgroup parent" ||
		t_bad "$h: no container cgroup left under the pod's cgroup parent" "$left"
	if [ "$h" = mvrun ]; then
		left=$(pgrep -a -x mvm)
		[ -z "$left" ] && t_ok "$h: no mvm process left" || t_bad "$h: no mvm process left" "$left"
	fi
}

# ctr_up H NAME CMD: creates and starts NAME in H's pod; sets CID.
ctr_up() {
	local h=$1 name=$2
	ctr_conf "$h" "$name" "$3"
	ex create "$POD" "$W/$h/$name.json" "$W/$h/pod.json"
	CID=$(tr -d '\n' <"$T_OUT")
	t_check "$h: CreateContainer $name" 0 'out:^[0-9a-f]{64}$'
	[ "$T_STATUS" = 0 ] || return 1
	ex start "$CID"
	t_check "$h: StartContainer $name" 0
}

# check_pod H: a pod of two app containers, as Kubernetes users see it.
check_pod() {
	local h=$1 server client id c
	sandbox_up "$h" || return
	ctr_up "$h" server "$SERVER_CMD"; server=$CID
	ctr_up "$h" client "$CLIENT_CMD"; client=$CID
	ex ps --pod "$POD"
	t_check "$h: ListContainers: both app containers RUNNING in the pod" 0 \
		"out:\"id\": \"$server\"" "out:\"id\": \"$client\"" "!out:CONTAINER_(EXITED|CREATED)"
	ex exec "$server" hostname
	t_check "$h: the server sees the pod's hostname" 0 "out:^pod-$h-host\$"
	ex exec "$client" hostname
	t_check "$h: the client sees the pod's hostname" 0 "out:^pod-$h-host\$"
	# The server may still be starting: the client asks until it answers.
	ex exec "$client" sh -c 'for i in $(seq 1 100); do nc -w 5 127.0.0.1 8080 </dev/null && exit; sleep 0.2; done; exit 9'
	t_check "$h: the client reaches the server on 127.0.0.1:8080" 0 "out:^pod-$h-host\$"
	for c in server client; do
		eval "id=\$$c"
		ex exec "$id" ip -4 -o addr show eth0
		t_check "$h: the $c has the pod's one IP on eth0" 0 "out:inet ${POD_IP//./\\.}/"
	done
	ex exec "$client" sh -c 'echo to-out; echo to-err >&2; exit 3'
	t_check "$h: ExecSync: the command's stdout, stderr and exit code 3" 3 'out:^to-out$' 'err:^to-err$'
	ex exec "$client" cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes
	grep -qx 67108864 "$T_OUT" && t_ok "$h: the client's memory limit (64 MiB) applies to its exec'd process" ||
		t_bad "$h: the client's memory limit (64 MiB) applies to its exec'd process" "no 67108864"
	ex inspect "$server"
	t_check "$h: ContainerStatus: the server RUNNING, its log path in the pod's log directory" 0 \
		'out:"state": "CONTAINER_RUNNING"' "out:\"logPath\": \"$W/$h/logs/server.log\""
	grep -qE '^[0-9TZ:.+-]+ stdout F serving server$' "$W/$h/logs/server.log" 2>/dev/null &&
		t_ok "$h: the server's stdout is in its CRI log file" ||
		t_bad "$h: the server's stdout is in its CRI log file" "$(cat "$W/$h/logs/server.log" 2>&1)"
	ex stop -t 30 "$client"
	t_check "$h: StopContainer: SIGTERM ends the client" 0
	ex inspect "$client"
	t_check "$h: the stopped client is EXITED with its trap's status 0" 0 \
		'out:"state": "CONTAINER_EXITED"' 'out:"exitCode": 0' 'out:"reason": "Completed"'
	ex stop -t 0 "$server"
	t_check "$h: StopContainer -t 0 kills the server" 0
	ex inspect "$server"
	t_check "$h: the killed server is EXITED with 137" 0 'out:"state": "CONTAINER_EXITED"' 'out:"exitCode": 137'
	for id in "$client" "$server"; do
		ex rm "$id"
		t_check "$h: RemoveContainer" 0
	done
	ex ps --pod "$POD"
	t_check "$h: ListContainers: the pod has no container left" 0 '!out:"id"'
	sandbox_down "$h"
}

for h in $HANDLERS; do
	echo "== $h"
	check_pod "$h"
done
t_summary cri
