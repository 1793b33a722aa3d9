#!/bin/bash
# tests/e2e/net-tests.sh [oci|box|podman|docker|containerd]...: the guest's
# network (issue 7). oci: mvrun alone with a network namespace set up here
# as a CNI plugin would (a veth to this host); box: mvrun box --net nat
# (slirp4netns) and none; podman, docker: their bridge networks and
# published ports; containerd: ctr's empty namespace. Guests boot here, so
# run it through tests/vmhost/run with the modules tests/run-all.sh names.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
. tests/e2e/engine-conf.sh
OCI_NAME=net
. tests/oci/lib.sh
SUITES=${*:-oci box podman docker containerd}
NSPIDS=()
trap 'for p in "${NSPIDS[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# netns NAME ADDR/LEN HOSTADDR: a namespace held by a sleeping process, with
# a veth "eth0" in it at ADDR and its peer NAME here at HOSTADDR/LEN, and a
# default route through HOSTADDR. Prints the pid (the path is /proc/PID/ns/net).
netns() {
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 & # not holding $(...)'s pipe
	local pid=$! len=${2#*/}
	# Until sleep runs, the pid is still unshare's, in this namespace.
	for _ in $(seq 1 100); do
		[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	ip link add "$1" type veth peer name eth0 netns "$pid" &&
		ip addr add "$3/$len" dev "$1" && ip link set "$1" up &&
		nsenter -t "$pid" -n sh -c "ip link set lo up && ip link set eth0 up &&
			ip addr add $2 dev eth0 && ip route add default via $3" || return 1
	echo "$pid"
}

# serving URL: wait until a server just started here answers (python takes
# seconds to start under emulation).
serving() {
	for _ in $(seq 1 60); do wget -q -t 1 -T 2 -O /dev/null "$1" 2>/dev/null && return 0; sleep 0.5; done
	return 1
}

netns_bundle() { # NAME PID ARGS [EDIT]: a bundle joining /proc/PID/ns/net
	bundle "$1" "$3" "
for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/proc/$2/ns/net'
${4:-}"
}

oci_tests() {
	local pid mac
	pid=$(netns vh1 10.99.0.2/24 10.99.0.1) || { t_bad "oci: set up a veth namespace" "ip failed"; return; }
	NSPIDS+=($pid)
	mac=$(nsenter -t "$pid" -n ip -o link show eth0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
	# The guest's eth0 is the veth's: address, MAC, route; it reaches this host.
	# runc's default capabilities have no NET_RAW, which busybox ping needs
	# (it has no ICMP datagram fallback), and the guest enforces them.
	netns_bundle veth "$pid" '["sh", "-c", "ip addr show eth0; ip route; ping -c 1 -W 10 10.99.0.1 && echo PING-OK"]' \
		"for k in ('bounding', 'effective', 'permitted'): c['process']['capabilities'][k].append('CAP_NET_RAW')"
	rt run --bundle "$W/veth" n1
	t_check "oci: eth0 has the namespace's address, MAC and routes; pings the host" 0 \
		"out:inet 10\.99\.0\.2/24" "out:link/ether $mac" "out:default via 10\.99\.0\.1 dev eth0" "out:PING-OK"
	# The VM over, the join is undone: a runc container in the namespace
	# afterwards gets eth0's packets (a redirect to the gone tap drops them).
	t_exec 10 nsenter -t "$pid" -n tc qdisc show dev eth0
	t_check "oci: no ingress qdisc left on eth0 after the container" 0 "!out:ingress"
	# A server on this host answers the guest (TCP both ways).
	python3 -m http.server --bind 10.99.0.1 8099 --directory tests/e2e >/dev/null 2>&1 &
	local srv=$!
	serving http://10.99.0.1:8099/net-tests.sh
	netns_bundle wget "$pid" '["wget", "-q", "-O", "-", "http://10.99.0.1:8099/net-tests.sh"]'
	rt run --bundle "$W/wget" n2
	t_check "oci: wget from a server on the test host" 0 "out:net-tests.sh \[oci"
	kill $srv
	# A server in the guest answers this host.
	netns_bundle httpd "$pid" '["sh", "-c", "echo served-by-the-guest > /tmp/i.html; httpd -f -p 8080 -h /tmp"]'
	create h1 httpd
	rt start h1
	local got=""
	for _ in $(seq 1 60); do
		got=$(wget -q -t 1 -T 5 -O - http://10.99.0.2:8080/i.html 2>/dev/null) && break
		sleep 1
	done
	[ "$got" = served-by-the-guest ] && t_ok "oci: this host reaches httpd in the guest" ||
		{ T_STATUS=-; t_bad "oci: this host reaches httpd in the guest" "got \"$got\""; }
	rt delete --force h1
	t_exec 10 nsenter -t "$pid" -n ip -o link
	t_check "oci: no tap left in the namespace after delete" 0 "out:eth0" "!out:mvtap"

	# An empty namespace (ctr's): only lo.
	bundle empty '["ip", "-o", "addr"]'
	rt run --bundle "$W/empty" n3
	t_check "oci: a new empty namespace gives only lo" 0 "out:1: lo " "!out:eth0"

	# Bad input: each fails create with one clear line and leaves nothing.
	netns_bundle gone 999999 '["true"]'
	rt run --bundle "$W/gone" n4
	t_check "oci: a netns path that does not exist" 1 \
		"err:network namespace /proc/999999/ns/net: No such file or directory" errlines:1
	bundle notns '["true"]' "
for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/proc/self/ns/mnt'"
	rt run --bundle "$W/notns" n5
	t_check "oci: a path that is not a network namespace" 1 "err:is not a network namespace" errlines:1
	bundle hostns '["true"]' "
for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/proc/1/ns/net'"
	rt run --bundle "$W/hostns" n6
	t_check "oci: the host's network namespace" 1 "err:is the host's network namespace" errlines:1
	bundle nonet '["true"]' "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']"
	rt run --bundle "$W/nonet" n7
	t_check "oci: no network namespace (host network)" 1 "err:would share the host's network namespace" errlines:1
	# Without permission: root may open and join every network namespace (no
	# file mode or LSM stops it here), so the case is a caller without the
	# capabilities for it, as in a confined or rootless setting: without
	# CAP_SYS_PTRACE it may not open another root process's namespace
	# through /proc, without CAP_SYS_ADMIN it may not setns into it. (A user
	# namespace of its own would be the rootless case, but the test host
	# runs this chrooted, where the kernel refuses CLONE_NEWUSER.)
	netns_bundle noperm "$pid" '["true"]'
	t_exec "$LIMIT" setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace \
		"$MVRUN" --root "$ROOT" run --bundle "$W/noperm" n8
	t_check "oci: a netns the caller may not open" 1 \
		"err:network namespace /proc/$pid/ns/net: Permission denied" errlines:1
	t_exec "$LIMIT" setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$MVRUN" --root "$ROOT" run --bundle "$W/noperm" n9
	t_check "oci: a netns the caller may not join" 1 \
		"err:join the network namespace /proc/$pid/ns/net: Operation not permitted" errlines:1
	t_exec 10 "$MVRUN" --root "$ROOT" list -q
	t_check "oci: nothing left of the refused containers" 0 "!out:n[4-9]"

	# The interface goes between create and start: start says so.
	local pid2
	pid2=$(netns vh2 10.98.0.2/24 10.98.0.1) || { t_bad "oci: second namespace" "ip failed"; return; }
	NSPIDS+=($pid2)
	netns_bundle vanish "$pid2" '["true"]'
	create v1 vanish
	ip link del vh2
	rt start v1
	t_check "oci: an interface gone before start fails start" 1 \
		"err:eth0, the container's network interface at create, is gone"
	rt delete --force v1
	t_exec 10 nsenter -t "$pid2" -n ip -o link
	t_check "oci: no tap left after the failed start" 0 "!out:mvtap"

	# A join that fails at its last step (the tap takes at most MTU 65521)
	# undoes the rest: no ingress qdisc on eth0, no tap.
	local pid3
	pid3=$(netns vh3 10.97.0.2/24 10.97.0.1) || { t_bad "oci: third namespace" "ip failed"; return; }
	NSPIDS+=($pid3)
	nsenter -t "$pid3" -n ip link set eth0 mtu 65535
	netns_bundle bigmtu "$pid3" '["true"]'
	create j1 bigmtu
	rt start j1
	t_check "oci: an MTU the tap cannot take fails start" 1 "err:bring the tap up at eth0's MTU, 65535"
	rt delete --force j1
	t_exec 10 nsenter -t "$pid3" -n sh -c 'tc qdisc show dev eth0; ip -o link'
	t_check "oci: the failed join left no ingress qdisc and no tap" 0 "out:eth0" "!out:ingress" "!out:mvtap"
	# A second interface besides lo: the guest would get one; create says so
	# in one line (mvm hands its set-up errors to mvrun on the ready fd).
	ip link add vh4 type veth peer name eth1 netns "$pid3"
	netns_bundle twoif "$pid3" '["true"]'
	rt run --bundle "$W/twoif" n10
	t_check "oci: a namespace with a second interface is refused, naming both" 1 \
		"err:^mvrun: net: the network namespace has more than one interface besides lo \(eth0, eth1\)" \
		errlines:1
	ip link del vh4
	ip link del vh3
}

# --- engines: the image from build/rootfs, as engines.sh makes it ----------
IMG=localhost/mvrun-busybox:net
export DOCKER_HOST=unix://$W/docker/sock CTR_SOCK=$W/containerd/sock
engine_image() {
	[ -s "$W/image.tar" ] && return 0
	mkdir -p "$W/tmp"
	export TMPDIR=$W/tmp
	podman_conf "$W" "$MVRUN"
	tar -C build/rootfs -c . | podman import -q - "$IMG" >/dev/null 2>"$W/import.err" &&
		podman save -q --format docker-archive -o "$W/image.tar" "$IMG" 2>>"$W/import.err"
}

# serves_8080 ADDR: a client on this host gets the guest's page at ADDR:8080.
serves_8080() {
	local got=""
	for _ in $(seq 1 90); do
		got=$(wget -q -t 1 -T 5 -O - "http://$1:8080/i.html" 2>/dev/null) && break
		sleep 1
	done
	[ "$got" = served-by-the-guest ]
}
HTTPD='echo served-by-the-guest > /tmp/i.html; exec httpd -f -p 80 -h /tmp'

podman_tests() {
	engine_image || { t_bad "podman: the test image" "$(cat "$W/import.err")"; return; }
	# The default bridge: the guest has the IP podman assigned.
	t_exec "$LIMIT" podman run -d --name pn1 "$IMG" sleep 1000
	t_check "podman: run -d on the default bridge" 0; [ "$T_STATUS" = 0 ] || return
	local ip gw srv
	ip=$(podman inspect pn1 --format '{{.NetworkSettings.IPAddress}}')
	t_exec "$LIMIT" podman exec pn1 ip -o addr show eth0
	t_check "podman: the container's eth0 has the address podman assigned ($ip)" 0 "out:inet $ip/"
	# A server on this host, reached from the guest through the bridge.
	python3 -m http.server --bind 0.0.0.0 8098 --directory tests/e2e >/dev/null 2>&1 &
	srv=$!
	gw=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}')
	serving http://127.0.0.1:8098/net-tests.sh
	t_exec "$LIMIT" podman exec pn1 wget -q -O - "http://$gw:8098/net-tests.sh"
	t_check "podman: the guest reaches a server on this host ($gw)" 0 "out:net-tests.sh \[oci"
	kill $srv
	podman rm -f pn1 >/dev/null 2>&1
	# -p 8080:80: busybox httpd in the guest, a client on this host.
	t_exec "$LIMIT" podman run -d --name pn2 -p 8080:80 "$IMG" sh -c "$HTTPD"
	t_check "podman: run -d -p 8080:80 httpd" 0
	if serves_8080 "$gw"; then t_ok "podman: -p 8080:80 serves a client on this host"; else
		T_STATUS=-; t_bad "podman: -p 8080:80 serves a client on this host" "nothing at $gw:8080"; fi
	podman rm -f pn2 >/dev/null 2>&1
	# --network none: only lo.
	t_exec "$LIMIT" podman run --rm --network none "$IMG" ip -o addr
	t_check "podman: --network none gives only lo" 0 "out:1: lo " "!out:eth0"
	t_exec "$LIMIT" podman run --rm --network host "$IMG" true
	t_check "podman: --network host is refused clearly" 126 "err:would share the host's network namespace"
}

docker_tests() {
	engine_image || { t_bad "docker: the test image" "$(cat "$W/import.err")"; return; }
	mkdir -p "$W/docker"
	cat >"$W/docker/daemon.json" <<EOF
{"data-root": "$W/docker/data", "exec-root": "$W/docker/exec", "hosts": ["unix://$W/docker/sock"],
 "pidfile": "$W/docker/pid", "storage-driver": "vfs", "bip": "172.29.0.1/16",
 "runtimes": {"mvrun": {"path": "$MVRUN"}}, "default-runtime": "mvrun"}
EOF
	dockerd --config-file "$W/docker/daemon.json" >"$W/docker/log" 2>&1 &
	NSPIDS+=($!)
	for _ in $(seq 1 $((LIMIT * 2))); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
	docker load -q -i "$W/image.tar" >/dev/null 2>"$W/docker/load.err" ||
		{ t_bad "docker: dockerd with its bridge" "$(tail -3 "$W/docker/log") $(cat "$W/docker/load.err")"; return; }
	t_exec "$LIMIT" docker run -d --name dn1 "$IMG" sleep 1000
	t_check "docker: run -d on the default bridge" 0; [ "$T_STATUS" = 0 ] || return
	local ip srv
	ip=$(docker inspect dn1 --format '{{.NetworkSettings.IPAddress}}')
	t_exec "$LIMIT" docker exec dn1 ip -o addr show eth0
	t_check "docker: the container's eth0 has the address docker assigned ($ip)" 0 "out:inet $ip/16"
	python3 -m http.server --bind 0.0.0.0 8097 --directory tests/e2e >/dev/null 2>&1 &
	srv=$!
	serving http://127.0.0.1:8097/net-tests.sh
	t_exec "$LIMIT" docker exec dn1 wget -q -O - "http://172.29.0.1:8097/net-tests.sh"
	t_check "docker: the guest reaches a server on this host" 0 "out:net-tests.sh \[oci"
	kill $srv
	docker rm -f dn1 >/dev/null 2>&1
	t_exec "$LIMIT" docker run -d --name dn2 -p 8080:80 "$IMG" sh -c "$HTTPD"
	t_check "docker: run -d -p 8080:80 httpd" 0
	if serves_8080 172.29.0.1; then t_ok "docker: -p 8080:80 serves a client on this host"; else
		T_STATUS=-; t_bad "docker: -p 8080:80 serves a client on this host" "nothing at 172.29.0.1:8080"; fi
	docker rm -f dn2 >/dev/null 2>&1
	t_exec "$LIMIT" docker run --rm --network none "$IMG" ip -o addr
	t_check "docker: --network none gives only lo" 0 "out:1: lo " "!out:eth0"
}

containerd_tests() {
	engine_image || { t_bad "containerd: the test image" "$(cat "$W/import.err")"; return; }
	containerd_conf "$W" "$CTR_SOCK"
	containerd --config "$W/containerd/config.toml" >"$W/containerd/log" 2>&1 &
	NSPIDS+=($!)
	for _ in $(seq 1 $((LIMIT * 2))); do ctr -a "$CTR_SOCK" version >/dev/null 2>&1 && break; sleep 0.5; done
	ctr -a "$CTR_SOCK" image import --snapshotter native --base-name "$IMG" "$W/image.tar" >/dev/null 2>&1 ||
		{ t_bad "containerd: start and import" "$(tail -3 "$W/containerd/log")"; return; }
	t_exec "$LIMIT" ctr -a "$CTR_SOCK" run --rm --snapshotter native --runc-binary "$MVRUN" "$IMG" cn1 ip -o addr
	t_check "containerd: ctr's empty network namespace gives only lo" 0 "out:1: lo " "!out:eth0"
}

box_tests() {
	# A server outside the sandbox: on an address of this host (not loopback).
	ip link add nb0 type veth peer name nb1 && ip addr add 192.0.2.1/24 dev nb0 &&
		ip link set nb0 up && ip link set nb1 up || { t_bad "box: a test address" "ip failed"; return; }
	python3 -m http.server --bind 0.0.0.0 8096 --directory tests/e2e >/dev/null 2>&1 &
	local srv=$!
	serving http://127.0.0.1:8096/net-tests.sh
	t_exec "$LIMIT" "$MVRUN" box --net nat build/rootfs -- sh -c \
		'ip -o addr show eth0; ip route; wget -q -O - http://192.0.2.1:8096/net-tests.sh'
	t_check "box: --net nat has eth0 and reaches a server outside" 0 "out:inet 10\.0\.2\.100/24" \
		"out:default via 10\.0\.2\.2" "out:net-tests.sh \[oci" errlines:0
	kill $srv
	t_exec 10 pgrep -x slirp4netns
	t_check "box: no slirp4netns left after the sandbox" 1
	t_exec "$LIMIT" "$MVRUN" box build/rootfs -- ip -o addr
	t_check "box: without --net, only lo" 0 "out:1: lo " "!out:eth0"
	t_exec 10 "$MVRUN" box --net bridge build/rootfs -- true
	t_check "box: --net with an unknown mode" 125 "err:--net bridge: must be none or nat" errlines:1
	ip link del nb0
}

for s in $SUITES; do
	case $s in
	oci) oci_tests ;;
	podman) podman_tests ;;
	docker) docker_tests ;;
	containerd) containerd_tests ;;
	box) box_tests ;;
	*) t_bad "$s" "unknown part" ;;
	esac
done
t_summary net
