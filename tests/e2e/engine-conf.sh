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
