#!/bin/bash
# tests/e2e/engines.sh [podman|docker|containerd]...: real engines from
# Debian drive build/mvrun as their OCI runtime, as engines.md sets them up:
# podman (conmon), dockerd (its own containerd and the runc.v2 shim) and
# containerd with ctr. Every check is what a user of that engine sees:
# output, exit codes, files, state. Guests boot here, so run it through
# tests/vmhost/run (make test does). An engine that cannot start is a
# failure, never a skip.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
. tests/e2e/engine-conf.sh
MVRUN=$PWD/build/mvrun
LIMIT=${E2E_LIMIT:-180}
ENGINES=${*:-podman docker containerd}
W=$(mktemp -d /tmp/e2e.XXXXXX)
IMG=localhost/mvrun-busybox:e2e
export DOCKER_HOST=unix://$W/docker/sock
export SHELL=/bin/bash # script(1) runs the exported wrappers with it
cleanup() {
	local p
	for p in "$W"/*/*.pid; do kill "$(cat "$p")" 2>/dev/null; done
	sleep 1
	for p in "$W"/*/*.pid; do kill -9 "$(cat "$p")" 2>/dev/null; done
	umount -R "$W"/*/ 2>/dev/null
	rm -rf "$W" "$T_OUT" "$T_ERR" 2>/dev/null
}
trap cleanup EXIT
mkdir -p "$W/tmp"
export TMPDIR=$W/tmp

# --- the image: build/rootfs, imported by podman, saved as a docker archive --
podman_conf "$W" "$MVRUN"
if ! tar -C build/rootfs -c . | image_archive "$IMG" "$W/image.tar"; then
	echo "FAIL the test image: $IMAGE_ERR"
	echo "e2e: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
mkdir -p "$W/vol"

# --- the engines: E ARGS... runs a container with the engine's CLI ----------
podman_setup() { :; }
podman_run() { podman run --rm --network none "$@"; }
podman_start() { podman run -d --network none "$@"; }
podman_exec() { podman exec "$@"; }
podman_stop() { podman stop -t "$2" "$1" >/dev/null; }
podman_status() { podman inspect "$1" --format '{{.State.ExitCode}}'; }
podman_pause() { podman pause "$1" >/dev/null; }
podman_unpause() { podman unpause "$1" >/dev/null; }
podman_rmf() { podman rm -f "$1" >/dev/null; }
podman_top() { podman top "$1"; }
podman_logs() { podman logs "$1"; }
podman_mem() { echo --memory 256m; }
podman_cpus() { echo --cpus 2; }

# docker_daemon NAME [JSON]: a dockerd of its own under W/NAME (JSON: more
# daemon.json members, each after a comma), with the image loaded.
docker_daemon() {
	local d=$W/$1
	mkdir -p "$d"
	cat >"$d/daemon.json" <<EOF
{"data-root": "$d/data", "exec-root": "$d/exec", "hosts": ["unix://$d/sock"],
 "pidfile": "$d/pid", "iptables": false, "bridge": "none", "storage-driver": "vfs",
 "default-runtime": "mvrun"${2:-}}
EOF
	# mvrun registers itself, as a user would set it up.
	"$MVRUN" setup docker --config "$d/daemon.json" >/dev/null || return 1
	dockerd --config-file "$d/daemon.json" >"$d/log" 2>&1 &
	echo $! >"$d/dockerd.pid"
	for _ in $(seq 1 $((LIMIT * 2))); do docker -H "unix://$d/sock" version >/dev/null 2>&1 && break; sleep 0.5; done
	docker -H "unix://$d/sock" version >/dev/null 2>&1 || { echo "dockerd did not start: $(tail -5 "$d/log")"; return 1; }
	docker -H "unix://$d/sock" load -q -i "$W/image.tar" >/dev/null 2>"$d/load.err" ||
		{ echo "docker load: $(cat "$d/load.err")"; return 1; }
}
docker_setup() { docker_daemon docker; }
docker_run() { docker run --rm --runtime mvrun --network none "$@"; }
docker_start() { docker run -d --runtime mvrun --network none "$@"; }
docker_exec() { docker exec "$@"; }
docker_stop() { docker stop -t "$2" "$1" >/dev/null; }
docker_status() { docker inspect "$1" --format '{{.State.ExitCode}}'; }
docker_pause() { docker pause "$1" >/dev/null; }
docker_unpause() { docker unpause "$1" >/dev/null; }
docker_rmf() { docker rm -f "$1" >/dev/null; }
docker_top() { docker top "$1"; }
docker_logs() { docker logs "$1"; }
docker_mem() { echo --memory 256m; }
# With userns-remap (daemon-wide): dockerd makes the dockremap user and its
# subordinate ids, and chowns the image for them.
docker_userns_run() { docker -H "unix://$W/docker-userns/sock" run --rm --runtime mvrun --network none "$@"; }
docker_cpus() { echo --cpu-quota 200000 --cpu-period 100000; } # --cpus is capped at the host's 1

# ctr takes the image and an id before the command, and no --rm of a
# running task: the wrappers give it docker's shape.
CTR_SOCK=$W/containerd/sock
ctr_() { ctr -a "$CTR_SOCK" "$@"; }
containerd_setup() {
	containerd_conf "$W" "$CTR_SOCK" "$MVRUN" || return 1
	containerd_daemon "$W" "$CTR_SOCK" "$LIMIT" || return 1
	ctr_ image import --snapshotter native --base-name "$IMG" "$W/image.tar" >/dev/null 2>"$W/containerd/load.err" ||
		{ echo "ctr image import: $(cat "$W/containerd/load.err")"; return 1; }
}
# ctr_opts ARGS...: docker-style options before the image become ctr's.
ctr_args() {
	CTR_OPTS=() CTR_REST=()
	while (($#)); do
		case $1 in
		-i) ;; # ctr always passes stdin
		-t) CTR_OPTS+=(-t) ;;
		-v) CTR_OPTS+=(--mount "type=bind,src=${2%%:*},dst=${2#*:},options=rbind:rw"); shift ;;
		--read-only) CTR_OPTS+=(--read-only) ;;
		--memory) CTR_OPTS+=(--memory-limit "$2"); shift ;;
		--cpus) CTR_OPTS+=(--cpus "$2"); shift ;;
		--seccomp) CTR_OPTS+=(--seccomp) ;;
		--uidmap | --gidmap) CTR_OPTS+=("$1" "$2"); shift ;;
		*) CTR_REST=("$@"); return ;;
		esac
		shift
	done
}
# Ids: the wrappers run in subshells, so no counter survives them.
uid() { echo "$1$(date +%s%N)"; }
containerd_run() {
	ctr_args "$@"
	ctr_ run --rm --snapshotter native --runc-binary "$MVRUN" "${CTR_OPTS[@]}" "${CTR_REST[0]}" \
		"$(uid e2e)" "${CTR_REST[@]:1}"
}
containerd_start() {
	local id
	ctr_args "$@"
	id=$(uid e2e)
	ctr_ run -d --snapshotter native --runc-binary "$MVRUN" "${CTR_OPTS[@]}" "${CTR_REST[0]}" "$id" \
		"${CTR_REST[@]:1}" >/dev/null && echo "$id"
}
containerd_exec() {
	local o=()
	while [ "${1#-}" != "$1" ]; do o+=("$1"); shift; done
	ctr_ task exec "${o[@]}" --exec-id "$(uid x)" "$@"
}
containerd_stop() {
	ctr_ task kill -s SIGTERM "$1"
	for _ in $(seq 1 $(($2 * 10))); do
		ctr_ task ls 2>/dev/null | grep -q "^$1 .*STOPPED" && return 0
		sleep 0.1
	done
	ctr_ task kill -s SIGKILL "$1"
}
containerd_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id { print $3 }' | grep -q STOPPED || return 1
	ctr_ task delete "$1" 2>/dev/null | sed -n 's/.*status: \?//p' || true
}
containerd_pause() { ctr_ task pause "$1"; }
containerd_unpause() { ctr_ task resume "$1"; }
containerd_rmf() { ctr_ task kill -s SIGKILL "$1" 2>/dev/null; sleep 1; ctr_ task delete -f "$1" >/dev/null 2>&1; ctr_ container delete "$1"; }
containerd_top() { ctr_ task ps "$1"; }
containerd_logs() { :; }
containerd_mem() { echo --memory $((256 * 1024 * 1024)); }
containerd_cpus() { echo --cpus 2; }

# The engines' default capabilities, as /proc/self/status shows them (the
# CapEff of a root process): the same 14 for all three (CHOWN,
# DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
# SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE; podman's built-in
# default, as the containers.conf above replaces Debian's, whose list has 11);
# then with SYS_ADMIN.
podman_caps=a80425fb podman_caps_admin=a82425fb
docker_caps=a80425fb docker_caps_admin=a82425fb
containerd_caps=a80425fb
STATUS_LINES='grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'

# The OCI confinement, applied by mvinit in the guest (issue 5, "inside
# the guest"): capabilities, no_new_privs, the engine's default seccomp
# profile, masked and read-only paths, rlimits, user and groups, sysctl.
check_confine() {
	local e=$1 caps admin
	eval "caps=\$${e}_caps admin=\${${e}_caps_admin:-}"
	if [ "$e" = containerd ]; then
		ex "${e}_run" "$IMG" sh -c "$STATUS_LINES"
		t_check "$e: the default capabilities, no seccomp without --seccomp" 0 \
			"out:^CapEff:[[:space:]]+00000000$caps" 'out:^Seccomp:[[:space:]]+0'
		ex "${e}_run" --seccomp "$IMG" sh -c "$STATUS_LINES; unshare -U true || echo userns-refused"
		t_check "$e: --seccomp loads containerd's default profile and it refuses unshare -U" 0 \
			'out:^Seccomp:[[:space:]]+2' 'out:^userns-refused'
		return
	fi
	ex "${e}_run" --ulimit nofile=321:654 "$IMG" sh -c "$STATUS_LINES; ulimit -n; ulimit -Hn; id;
		grep ' /sys/firmware ' /proc/mounts; echo 3 > /proc/sys/vm/drop_caches || echo sysctl-ro;
		unshare -U true && echo userns-allowed || echo userns-refused; echo still-running"
	t_check "$e: the default capabilities, its seccomp profile loaded, no no_new_privs" 0 \
		"out:^CapEff:[[:space:]]+00000000$caps" 'out:^Seccomp:[[:space:]]+2' 'out:^NoNewPrivs:[[:space:]]+0' \
		'out:^uid=0\(root\) gid=0\(root\)' 'out:^still-running'
	t_check "$e: --ulimit nofile=321:654" 0 'out:^321$' 'out:^654$'
	t_check "$e: masked (/sys/firmware) and read-only (/proc/sys) paths" 0 \
		'out:^tmpfs /sys/firmware tmpfs ro' 'out:^sysctl-ro$' 'err:Read-only file system'
	if [ "$e" = docker ]; then
		t_check "$e: the default profile refuses unshare -U (as under runc)" 0 'out:^userns-refused$'
	else
		# podman's profile allows unshare; the kernel alone decides.
		t_check "$e: podman's profile allows unshare -U (as under runc)" 0 'out:^userns-allowed$'
	fi
	ex "${e}_run" --security-opt seccomp=unconfined --cap-add SYS_ADMIN "$IMG" sh -c "$STATUS_LINES;
		unshare -U true && echo userns-allowed"
	t_check "$e: --security-opt seccomp=unconfined lifts the profile" 0 'out:^Seccomp:[[:space:]]+0' \
		'out:^userns-allowed'
	t_check "$e: --cap-add SYS_ADMIN" 0 "out:^CapEff:[[:space:]]+00000000$admin"
	local extra=(--sysctl fs.mqueue.msg_max=99)
	[ "$e" = docker ] && extra+=(--domainname example.test)
	ex "${e}_run" --cap-drop all --security-opt no-new-privileges --user 1000:1000 --group-add 10 \
		"${extra[@]}" "$IMG" sh -c "$STATUS_LINES; id; cat /proc/sys/fs/mqueue/msg_max
		[ -e /proc/sys/kernel/domainname ] && cat /proc/sys/kernel/domainname"
	t_check "$e: --cap-drop all, no-new-privileges, --user and --group-add" 0 \
		'out:^CapEff:[[:space:]]+0000000000000000' 'out:^NoNewPrivs:[[:space:]]+1' \
		'out:^uid=1000.* gid=1000.* groups=(.*,)?10(\([a-z]+\))?(,|$)'
	t_check "$e: --sysctl is set in the guest" 0 'out:^99$'
	[ "$e" = docker ] && t_check "$e: --domainname" 0 'out:^example.test$'
}

# linux.uidMappings from the engine's own options: the process is root of a
# user namespace in the guest, the image (which the engine chowns) is its
# root's, and what it writes to a volume has the mapped owner on the host.
# dockerd takes a map only daemon-wide: a second dockerd with userns-remap.
# ctr 1.6 drops --runc-binary when given --uidmap (it ran the real runc
# here), so containerd is not driven with a map.
check_userns() {
	local e=$1 run=${1}_run owner uid gid
	case $e in
	podman) uid=100000 gid=100000 ;;
	docker)
		if ! owner=$(docker_daemon docker-userns ', "userns-remap": "default"' 2>&1); then
			T_STATUS=1; t_bad "$e: a dockerd with userns-remap starts" "$owner"; return
		fi
		uid=$(awk -F: '$1 == "dockremap" { print $2; exit }' /etc/subuid)
		gid=$(awk -F: '$1 == "dockremap" { print $2; exit }' /etc/subgid)
		run=docker_userns_run ;;
	*) return 0 ;;
	esac
	rm -rf "$W/uvol-$e"; mkdir -p "$W/uvol-$e"; chown "$uid:$gid" "$W/uvol-$e"
	local map=()
	[ "$e" = podman ] && map=(--uidmap "0:$uid:65536" --gidmap "0:$gid:65536")
	ex "$run" "${map[@]}" -v "$W/uvol-$e:/data" "$IMG" \
		sh -c 'id -u; cat /proc/self/uid_map; stat -c owner=%u:%g /bin/sh; echo hi >/data/f'
	t_check "$e: user namespace ($([ "$e" = docker ] && echo userns-remap || echo --uidmap)): the process is root of one with the map" 0 \
		'out:^0$' "out:^ +0 +$uid +65536\$"
	t_check "$e: user namespace: the image is the namespace root's" 0 'out:^owner=0:0$'
	owner=$(stat -c %u:%g "$W/uvol-$e/f" 2>&1)
	[ "$owner" = "$uid:$gid" ] &&
		t_ok "$e: user namespace: a file written to a volume is owned by the mapped ids on the host" ||
		t_bad "$e: user namespace: a file written to a volume is owned by the mapped ids on the host" "$owner"
	[ "$e" = docker ] && kill "$(cat "$W/docker-userns/dockerd.pid")" 2>/dev/null
	return 0
}

# --- the checks, the same for every engine ----------------------------------
# ex FUNCTION ARGS...: t_exec for the wrappers above (timeout runs a bash
# that has them).
export -f $(compgen -A function | grep -E '^(podman|docker|containerd|ctr)_') ctr_args uid
export W IMG MVRUN CTR_SOCK LIMIT
ex() { t_exec "$LIMIT" bash -c '"$@"' ex "$@"; }

check_engine() {
	local e=$1 id
	ex "${e}_run" "$IMG" echo hello
	t_check "$e: echo hello" 0 'out:^hello\r?$'
	ex "${e}_run" "$IMG" sh -c 'exit 7'
	t_check "$e: exit 7 gives 7" 7
	# PID 1 of the container's pid namespace ignores its own SIGKILL, as under
	# runc; its child's status is 137.
	ex "${e}_run" "$IMG" sh -c 'kill -9 $$; sh -c "kill -9 \$\$"; exit $?'
	t_check "$e: PID 1 survives its own kill -9; a killed child's status is 137" 137
	if [ "$e" = containerd ]; then
		# ctr run never closes the task's stdin (engines.md): a line, no EOF.
		printf 'abc\n' | timeout "$LIMIT" bash -c '"$@"' ex "${e}_run" "$IMG" sh -c 'read l; echo got-$l' \
			>"$T_OUT" 2>"$T_ERR"
		T_STATUS=$?
		t_check "$e: stdin piped reaches the process" 0 'out:^got-abc'
	else
	printf 'abc\ndef\n' | timeout "$LIMIT" bash -c '"$@"' ex "${e}_run" -i "$IMG" sh -c 'cat; echo eof-seen' >"$T_OUT" 2>"$T_ERR"
	T_STATUS=$?
	t_check "$e: -i with stdin piped, and its EOF" 0 'out:^abc$' 'out:^def$' 'out:^eof-seen$'
	fi
	if true; then
		# A terminal for the engine's client: script(1) gives it one.
		timeout "$LIMIT" script -qec "${e}_run -t $IMG sh -c 'tty; stty size'" /dev/null \
			</dev/null >"$T_OUT" 2>"$T_ERR"
		T_STATUS=$?
		t_check "$e: -t gives the process a terminal" 0 'out:^(\^@)?/dev/pts/[0-9]+'
	fi

	ex "${e}_run" -v "$W/vol:/data" "$IMG" sh -c "echo from-$e > /data/$e.txt"
	[ "$T_STATUS" = 0 ] && [ "$(cat "$W/vol/$e.txt" 2>/dev/null)" = "from-$e" ] &&
		t_ok "$e: a bind-mounted volume written in the guest is read on the host" ||
		t_bad "$e: a bind-mounted volume written in the guest is read on the host" "$(cat "$W/vol/$e.txt" 2>&1)"
	ex "${e}_run" --read-only "$IMG" sh -c 'touch /newfile && echo wrote || echo refused'
	t_check "$e: a read-only rootfs refuses writes" 0 'out:^refused' '!out:^wrote'
	ex "${e}_run" $("${e}_mem") "$IMG" sh -c 'grep MemTotal /proc/meminfo'
	mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB.*/\1/p' "$T_OUT")
	[ "$T_STATUS" = 0 ] && [ -n "$mem" ] && [ "$mem" -gt $((200 * 1024)) ] && [ "$mem" -le $((256 * 1024)) ] &&
		t_ok "$e: --memory 256m: the guest sees about 256 MiB ($mem kB)" ||
		t_bad "$e: --memory 256m: the guest sees about 256 MiB" "$(cat "$T_OUT")"
	ex "${e}_run" $("${e}_cpus") "$IMG" nproc
	t_check "$e: --cpus 2 gives 2 vCPUs" 0 'out:^2\r?$'

	# A long-running container: exec, pause, top, stop.
	id=$("${e}_start" "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.1; done' 2>"$T_ERR")
	if [ -z "$id" ]; then
		T_STATUS=1; t_bad "$e: a detached container starts" "no id"; return
	fi
	ex "${e}_exec" "$id" sh -c 'echo in-exec; exit 3'
	t_check "$e: exec runs in the container with its exit code" 3 'out:^in-exec\r?$'
	ex "${e}_exec" "$id" sh -c "$STATUS_LINES"
	eval "local caps=\$${e}_caps"
	t_check "$e: an exec'd process gets the container's capabilities" 0 \
		"out:^CapEff:[[:space:]]+00000000$caps"
	[ "$e" = containerd ] || t_check "$e: an exec'd process is under the container's seccomp profile" 0 \
		'out:^Seccomp:[[:space:]]+2'
	timeout "$LIMIT" script -qec "${e}_exec -t $([ "$e" = containerd ] || echo -i) $id tty" /dev/null \
		</dev/null >"$T_OUT" 2>"$T_ERR"
	T_STATUS=$?
	# script(1) turns its empty stdin into a ^D, which reaches the process as
	# a NUL that its terminal echoes as ^@ (runc shows the same).
	t_check "$e: exec -t gets a terminal" 0 'out:^(\^@)?/dev/pts/[0-9]+'
	ex "${e}_top" "$id"
	t_check "$e: top/ps lists the container's processes" 0 'out:[0-9]'
	ex "${e}_pause" "$id"
	t_check "$e: pause" 0
	ex "${e}_unpause" "$id"
	t_check "$e: resume" 0
	ex "${e}_exec" "$id" echo after-resume
	t_check "$e: the container runs after resume" 0 'out:^after-resume'
	local t0=$SECONDS
	ex "${e}_stop" "$id" 60
	local took=$((SECONDS - t0))
	[ "$T_STATUS" = 0 ] && [ "$took" -lt 50 ] && t_ok "$e: stop: SIGTERM reaches a trapping process (${took} s)" ||
		t_bad "$e: stop: SIGTERM reaches a trapping process" "status $T_STATUS after ${took} s"
	if [ "$e" != containerd ]; then
		ex "${e}_logs" "$id"
		t_check "$e: the trap ran" 0 'out:got-term'
		ex "${e}_status" "$id"
		t_check "$e: the stopped container's exit code is the trap's" 0 'out:^0$'
	fi
	"${e}_rmf" "$id" >/dev/null 2>&1

	id=$("${e}_start" "$IMG" sleep 1000 2>"$T_ERR")
	ex "${e}_rmf" "$id"
	t_check "$e: rm -f of a running container" 0
	[ -z "$(ls "/run/mvrun" 2>/dev/null; ls "$W"/docker/exec/runtime-runc/moby 2>/dev/null)" ] || true
}

for e in $ENGINES; do
	echo "== $e"
	if ! out=$("${e}_setup" 2>&1); then
		T_STATUS=1; t_bad "$e: the engine starts" "$out"; continue
	fi
	if [ "$e" = containerd ]; then
		# The handler `mvrun setup containerd` added, as containerd reads it.
		t_exec 30 containerd --config "$W/containerd/config.toml" config dump
		t_check "containerd: mvrun setup's CRI handler mvrun is in its config" 0 \
			'out:containerd\.runtimes\.mvrun\]' "out:BinaryName = \"$(realpath "$MVRUN")\""
	fi
	check_engine "$e"
	check_confine "$e"
	check_userns "$e"
done
t_summary e2e
