# Private engine configurations for the e2e suites.
#
# podman_conf W MVRUN: a private podman under W/podman (vfs storage, its own
# network config) with MVRUN as its runtime, registered by `mvrun setup
# podman` as a user would; exports CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF. Sourced by engines.sh and net-tests.sh.
podman_conf() {
	local w=$1 mvrun=$2
	mkdir -p "$w/podman/run" "$w/podman/graph" "$w/podman/net"
	cat >"$w/podman/storage.conf" <<EOC
[storage]
driver = "vfs"
runroot = "$w/podman/run"
graphroot = "$w/podman/graph"
EOC
	cat >"$w/podman/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "mvrun"
runtime_supports_json = ["mvrun"]
[network]
network_config_dir = "$w/podman/net"
EOC
	"$mvrun" setup podman --config "$w/podman/containers.conf" >/dev/null || return 1
	export CONTAINERS_CONF=$w/podman/containers.conf CONTAINERS_STORAGE_CONF=$w/podman/storage.conf
}

# containerd_conf W SOCK [MVRUN]: a private containerd's config,
# W/containerd/config.toml, with its root and state under W/containerd and
# its socket at SOCK; with MVRUN, its CRI handler "mvrun" added by `mvrun
# setup containerd`.
containerd_conf() {
	local w=$1 sock=$2 mvrun=${3:-}
	mkdir -p "$w/containerd"
	cat >"$w/containerd/config.toml" <<EOC
version = 2
root = "$w/containerd/root"
state = "$w/containerd/state"
[grpc]
  address = "$sock"
EOC
	[ -z "$mvrun" ] || "$mvrun" setup containerd --config "$w/containerd/config.toml" >/dev/null
}

# image_archive NAME OUT [OPTION...]: the root filesystem tar on stdin as an
# image NAME in a docker archive OUT, which `ctr image import` and `docker
# load` take; OPTIONs go to `podman import` (--change ...). Needs podman_conf.
# Sets IMAGE_ERR to podman's complaint on failure.
image_archive() {
	local name=$1 out=$2 err; shift 2
	err=$(podman import -q "$@" - "$name" 2>&1 >/dev/null &&
		podman save -q --format docker-archive -o "$out" "$name" 2>&1) || { IMAGE_ERR=$err; return 1; }
}

# containerd_daemon W SOCK LIMIT: runs containerd with W/containerd/config.toml
# in the background (its pid in W/containerd/containerd.pid, its log in
# W/containerd/log) and waits up to LIMIT seconds for SOCK to answer.
containerd_daemon() {
	local w=$1 sock=$2 limit=$3
	containerd --config "$w/containerd/config.toml" >"$w/containerd/log" 2>&1 &
	echo $! >"$w/containerd/containerd.pid"
	for _ in $(seq 1 $((limit * 2))); do ctr -a "$sock" version >/dev/null 2>&1 && return 0; sleep 0.5; done
	echo "containerd did not start: $(tail -5 "$w/containerd/log")"
	return 1
}

# containerd_cri_conf W SOCK MVRUN PAUSE: containerd_conf's config with the
# CRI plugin set up for tests: PAUSE as the sandbox image, the native
# snapshotter, no AppArmor, its network namespaces under W/containerd/state,
# a bridge + host-local CNI network (Debian's plugins, state under W/cni),
# and the runtime handlers "runc" (the default) and "mvrun" (by `mvrun setup
# containerd`, as a user would add it).
containerd_cri_conf() {
	local w=$1 sock=$2 mvrun=$3 pause=$4
	local cri='plugins."io.containerd.grpc.v1.cri"'
	containerd_conf "$w" "$sock" || return 1
	mkdir -p "$w/cni/net.d" "$w/cni/ipam"
	cat >>"$w/containerd/config.toml" <<EOC
[$cri]
  sandbox_image = "$pause"
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  restrict_oom_score_adj = true
[$cri.containerd]
  snapshotter = "native"
  default_runtime_name = "runc"
[$cri.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[$cri.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$w/cni/net.d"
EOC
	cat >"$w/cni/net.d/10-mvrun-cri.conflist" <<EOC
{"cniVersion": "1.0.0", "name": "mvrun-cri", "plugins": [
  {"type": "bridge", "bridge": "mvcri0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.89.7.0/24"}]], "dataDir": "$w/cni/ipam"}}]}
EOC
	"$mvrun" setup containerd --config "$w/containerd/config.toml" >/dev/null
}
