#!/bin/bash
# tests/e2e/pod-engine-tests.sh [podman|docker]...: pods and shared-namespace
# containers through real engines (issue 15), each case with --runtime runc
# (the baseline, in the same run) and with mvrun:
#   podman: a pod with a published port, an `nc -l` server and a client that
#           reaches it on 127.0.0.1, exec into each member, the pod's
#           hostname in both, pod stop and rm, and nothing left behind.
#   docker: `docker run --network container:X` reaches X on localhost.
# Under mvrun a member runs inside its pod's VM (the infra's, X's).
# Guests boot here, so run it through tests/vmhost/run with the bridge and
# NAT modules net-tests.sh takes (make test does).
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
. tests/e2e/engine-conf.sh
MVRUN=$PWD/build/mvrun
LIMIT=${E2E_LIMIT:-180}
ENGINES=${*:-podman docker}
W=$(mktemp -d /tmp/pod-e2e.XXXXXX)
IMG=localhost/mvrun-busybox:pod
BUSYBOX=$PWD/build/rootfs/bin/busybox
export DOCKER_HOST=unix://$W/docker/sock
cleanup() {
	local p
	podman pod rm -f -a >/dev/null 2>&1
	for p in "$W"/*/*.pid; do kill "$(cat "$p")" 2>/dev/null; done
	sleep 1
	for p in "$W"/*/*.pid; do kill -9 "$(cat "$p")" 2>/dev/null; done
	umount -R "$W"/*/ 2>/dev/null
	rm -rf "$W" "$T_OUT" "$T_ERR" 2>/dev/null
}
trap cleanup EXIT
mkdir -p "$W/tmp"
export TMPDIR=$W/tmp

podman_conf "$W" "$MVRUN"
if ! tar -C build/rootfs -c . | image_archive "$IMG" "$W/image.tar"; then
	echo "FAIL the test image: $IMAGE_ERR"
	echo "pod-e2e: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
# The infra image as Kubernetes' pause image is made: FROM scratch, /pause
# alone (tests/e2e/cri/pause.c, static).
PAUSE=localhost/mvrun-pause:pod
mkdir -p "$W/pause"
if ! musl-gcc -std=gnu11 -Wall -Wextra -Werror -Os -static -s -o "$W/pause/pause" tests/e2e/cri/pause.c ||
	! tar -C "$W/pause" --owner=0 --group=0 --numeric-owner -c pause |
	image_archive "$PAUSE" "$W/pause.tar" --change 'ENTRYPOINT ["/pause"]'; then
	echo "FAIL the pause image: $IMAGE_ERR"
	echo "pod-e2e: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

# The server answers each connection with its hostname; the client idles
# until it is stopped.
SERVER='exec nc -ll -p 8080 -e /bin/hostname'
CLIENT='trap "exit 0" TERM; while :; do sleep 1; done'
# leftovers RT IDS...: what the containers IDS left on this host: processes
# naming them, mounts, the runtime's state dirs, cgroups, taps and ingress
# qdiscs. Empty when clean.
leftovers() {
	local rt=$1 id; shift
	for id in "$@"; do
		pgrep -af -- "$id" | grep -v pgrep
		grep -F "$id" /proc/self/mountinfo
		ls -d "/run/$rt/$id" 2>/dev/null
		find /sys/fs/cgroup -type d -name "*$id*" 2>/dev/null
	done
	ip -o link | grep -F mvtap
	tc qdisc show 2>/dev/null | grep -F ingress
	true
}
# clean NAME RT IDS...: check that leftovers finds nothing.
clean() {
	local name=$1; shift
	leftovers "$@" >"$T_OUT" 2>"$T_ERR"
	T_STATUS=$?
	t_check "$name" 0 errlines:0 "!out:."
}

# --- podman: a pod ------------------------------------------------------------
# podman 4.3 with the cgroupfs manager on cgroup v2 gives a pod's own cgroup a
# device filter that denies every device, which fails runc's /dev/null as it
# fails mvm's /dev/kvm: the members take podman's usual parent instead
# (--share-parent=false), as on a host without systemd one must.
podman_pod() {
	local rt=$1 p=pod-$1 port=$2 gw ids infra
	t_exec "$LIMIT" podman --runtime "$rt" pod create --name "$p" --hostname "$p-host" \
		--share-parent=false -p "$port:8080" --infra-image "$PAUSE" --infra-command /pause \
		--infra-name "$p-infra"
	t_check "podman/$rt: pod create with a published port" 0
	[ "$T_STATUS" = 0 ] || return
	t_exec "$LIMIT" podman pod start "$p"
	t_check "podman/$rt: pod start runs the infra container" 0
	infra="$(podman inspect "$p-infra" --format '{{.ID}}') $(podman pod inspect "$p" --format '{{.ID}}')"
	t_exec "$LIMIT" podman --runtime "$rt" run -d --pod "$p" --name "$p-srv" "$IMG" sh -c "$SERVER"
	t_check "podman/$rt: run -d --pod (the nc -l server)" 0
	t_exec "$LIMIT" podman --runtime "$rt" run -d --pod "$p" --name "$p-cli" "$IMG" sh -c "$CLIENT"
	t_check "podman/$rt: run -d --pod (the client)" 0
	ids="$infra $(podman ps -a -q --no-trunc --filter "pod=$p" | tr '\n' ' ')"
	t_exec "$LIMIT" podman exec "$p-cli" nc 127.0.0.1 8080
	t_check "podman/$rt: the client reaches the server on 127.0.0.1 (it answers its hostname)" 0 \
		"out:^$p-host\$"
	t_exec "$LIMIT" podman exec "$p-srv" hostname
	t_check "podman/$rt: exec into the server: the pod's hostname" 0 "out:^$p-host\$"
	t_exec "$LIMIT" podman exec "$p-cli" hostname
	t_check "podman/$rt: exec into the client: the pod's hostname" 0 "out:^$p-host\$"
	gw=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}')
	t_exec 30 "$BUSYBOX" nc -w 10 "$gw" "$port"
	t_check "podman/$rt: the published port reaches the server from the host" 0 "out:^$p-host\$"
	t_exec "$LIMIT" podman pod stop -t 5 "$p"
	t_check "podman/$rt: pod stop" 0
	t_exec "$LIMIT" podman pod rm "$p"
	t_check "podman/$rt: pod rm" 0
	clean "podman/$rt: nothing left (processes, mounts, state, cgroups, taps, qdiscs)" "$rt" $ids
}

# --- docker: --network container:X --------------------------------------------
docker_up() {
	local d=$W/docker
	mkdir -p "$d"
	cat >"$d/daemon.json" <<EOF
{"data-root": "$d/data", "exec-root": "$d/exec", "hosts": ["unix://$d/sock"],
 "pidfile": "$d/pid", "iptables": false, "bridge": "none", "storage-driver": "vfs"}
EOF
	"$MVRUN" setup docker --config "$d/daemon.json" >/dev/null || return 1
	dockerd --config-file "$d/daemon.json" >"$d/log" 2>&1 &
	echo $! >"$d/dockerd.pid"
	for _ in $(seq 1 $((LIMIT * 2))); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
	docker version >/dev/null 2>&1 || { echo "dockerd did not start: $(tail -5 "$d/log")"; return 1; }
	docker load -q -i "$W/image.tar" >/dev/null 2>"$d/load.err" ||
		{ echo "docker load: $(cat "$d/load.err")"; return 1; }
}
docker_shared() {
	local rt=$1 x=dx-$1 id
	t_exec "$LIMIT" docker run -d --runtime "$rt" --network none --hostname "$x-host" --name "$x" \
		"$IMG" sh -c "$SERVER"
	t_check "docker/$rt: the server X" 0
	[ "$T_STATUS" = 0 ] || return
	id=$(docker inspect "$x" --format '{{.Id}}')
	t_exec "$LIMIT" docker run --rm --runtime "$rt" --network "container:$x" "$IMG" nc 127.0.0.1 8080
	t_check "docker/$rt: --network container:X reaches X on 127.0.0.1" 0 "out:^$x-host\$"
	t_exec "$LIMIT" docker rm -f "$x"
	t_check "docker/$rt: rm -f X" 0
	clean "docker/$rt: nothing left (processes, mounts, state, cgroups)" "$rt" "$id"
}

for e in $ENGINES; do
	case $e in
	podman)
		podman_pod runc 18081
		podman_pod mvrun 18082
		;;
	docker)
		if out=$(docker_up); then
			docker_shared runc
			docker_shared mvrun
		else
			t_bad "docker: dockerd starts" "$out"
		fi
		;;
	*) t_bad "unknown engine $e" "" ;;
	esac
done
echo "pod-e2e: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
[ "$T_FAIL" = 0 ]
