#!/bin/bash
# tests/e2e/net-tests.sh [oci|podman|docker|containerd|iperf]...: the guest's
# network (issue 7). oci: mvrun alone with a network namespace set up here
# as a CNI plugin would (a veth to this host); podman, docker: their bridge
# networks, published ports; containerd: ctr's empty namespace; iperf:
# throughput against runc in the same namespace (figures only, no
# assertion). Guests boot here, so run it through tests/vmhost/run with the
# modules below (make test does).
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=net
. tests/oci/lib.sh
SUITES=${*:-oci podman docker containerd}
NSPIDS=()
trap 'for p in "${NSPIDS[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# netns NAME ADDR/LEN HOSTADDR: a namespace held by a sleeping process, with
# a veth "eth0" in it at ADDR and its peer NAME here at HOSTADDR/LEN, and a
# default route through HOSTADDR. Prints the pid (the path is /proc/PID/ns/net).
netns() {
	unshare -n sleep 100000 &
	local pid=$! len=${2#*/}
	NSPIDS+=($pid)
	ip link add "$1" type veth peer name eth0 netns "$pid" &&
		ip addr add "$3/$len" dev "$1" && ip link set "$1" up &&
		nsenter -t "$pid" -n sh -c "ip link set lo up && ip link set eth0 up &&
			ip addr add $2 dev eth0 && ip route add default via $3" || return 1
	echo "$pid"
}

netns_bundle() { # NAME PID ARGS: a bundle joining /proc/PID/ns/net
	bundle "$1" "$3" "
for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/proc/$2/ns/net'"
}

oci_tests() {
	local pid mac
	pid=$(netns vh1 10.99.0.2/24 10.99.0.1) || { t_bad "oci: set up a veth namespace" "ip failed"; return; }
	mac=$(nsenter -t "$pid" -n cat /sys/class/net/eth0/address)
	# The guest's eth0 is the veth's: address, MAC, route; it reaches this host.
	netns_bundle veth "$pid" '["sh", "-c", "ip addr show eth0; ip route; ping -c 1 -W 10 10.99.0.1 && echo PING-OK"]'
	rt run --bundle "$W/veth" n1
	t_check "oci: eth0 has the namespace's address, MAC and routes; pings the host" 0 \
		"out:inet 10\.99\.0\.2/24" "out:link/ether $mac" "out:default via 10\.99\.0\.1 dev eth0" "out:PING-OK"
	# A server on this host answers the guest (TCP both ways).
	python3 -m http.server --bind 10.99.0.1 8099 --directory tests/e2e >/dev/null 2>&1 &
	local srv=$!
	sleep 1
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
		got=$(wget -q -T 5 -O - http://10.99.0.2:8080/i.html 2>/dev/null) && break
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
	t_exec 10 "$MVRUN" --root "$ROOT" list -q
	t_check "oci: nothing left of the refused containers" 0 "!out:n[4-7]"

	# The interface goes between create and start: start says so.
	local pid2
	pid2=$(netns vh2 10.98.0.2/24 10.98.0.1) || { t_bad "oci: second namespace" "ip failed"; return; }
	netns_bundle vanish "$pid2" '["true"]'
	create v1 vanish
	ip link del vh2
	rt start v1
	t_check "oci: an interface gone before start fails start" 1 \
		"err:eth0, the container's network interface at create, is gone"
	rt delete --force v1
	t_exec 10 nsenter -t "$pid2" -n ip -o link
	t_check "oci: no tap left after the failed start" 0 "!out:mvtap"
}

for s in $SUITES; do
	case $s in
	oci) oci_tests ;;
	*) t_bad "$s" "unknown part" ;;
	esac
done
t_summary net
