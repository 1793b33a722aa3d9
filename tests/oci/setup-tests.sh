#!/bin/bash
# `mvrun setup` on copies of engines' configuration files, on the host: a
# missing file, a file with other runtimes and settings, an unparsable file,
# and a second run. Each result must parse (python's json and tomllib), hold
# mvrun's entry and keep everything else; a second run changes no byte; an
# unparsable file gets one line and is left as it was.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVRUN=${MVRUN:-$PWD/build/mvrun}
SELF=$(realpath "$MVRUN")
W=$(mktemp -d /tmp/setup.XXXXXX)
trap 'rm -rf "$W" "$T_OUT" "$T_ERR"' EXIT
st() { t_exec 20 "$MVRUN" setup "$@"; }

# holds NAME FILE PYTHON: t_ok when PYTHON (d is the parsed file, mvrun the
# path of mvrun) asserts without error.
holds() {
	local name=$1 file=$2 code=$3
	if python3 - "$file" "$SELF" "$code" 2>>"$T_ERR" <<'PY'; then
import json, sys, tomllib
f, mvrun, code = sys.argv[1:]
d = json.load(open(f)) if f.endswith(".json") else tomllib.load(open(f, "rb"))
exec(code)
PY
		t_ok "$name"
	else
		t_bad "$name" "$(cat "$file")"
	fi
}

# again NAME FILE: a second run changes no byte and says so.
again() {
	local before
	before=$(sha256sum <"$2"; stat -c %Y "$2")
	sleep 1
	st "$1" --config "$2"
	if [ "$T_STATUS" = 0 ] && [ "$before" = "$(sha256sum <"$2"; stat -c %Y "$2")" ] &&
		grep -q 'nothing changed' "$T_OUT"; then
		t_ok "setup $1 run twice changes nothing"
	else
		t_bad "setup $1 run twice changes nothing" "$(cat "$2")"
	fi
}

# unparsable NAME TEXT: one line, status 1, the file untouched.
unparsable() {
	local f=$W/bad.$1
	printf '%s' "$2" >"$f"
	local before
	before=$(sha256sum <"$f")
	st "$1" --config "$f"
	t_check "setup $1: an unparsable file is refused" 1 "err:^mvrun: setup $1: $f: line [0-9]+: .*left unchanged" errlines:1
	[ "$before" = "$(sha256sum <"$f")" ] && [ "$(ls "$W" | grep -c bad)" = 1 ] &&
		t_ok "setup $1: the unparsable file is left as it was" ||
		t_bad "setup $1: the unparsable file is left as it was" "$(ls -l "$W")"
	rm -f "$f"
}

# docker
st docker --config "$W/docker/daemon.json"
t_check "setup docker writes a missing daemon.json" 0 "out:^docker: wrote $W/docker/daemon.json" errlines:0
holds "daemon.json names mvrun" "$W/docker/daemon.json" 'assert d == {"runtimes": {"mvrun": {"path": mvrun}}}, d'
again docker "$W/docker/daemon.json"
cat >"$W/daemon.json" <<'J'
{"log-level": "warn", "default-runtime": "runc",
 "runtimes": {"other": {"path": "/usr/bin/other", "runtimeArgs": ["--x"]}, "mvrun": {"path": "/old/mvrun", "runtimeArgs": ["--debug"]}}}
J
st docker --config "$W/daemon.json"
t_check "setup docker updates an existing daemon.json" 0 "out:^docker: updated" errlines:0
holds "daemon.json keeps the other settings and runtimes" "$W/daemon.json" '
assert d["log-level"] == "warn" and d["default-runtime"] == "runc", d
assert d["runtimes"]["other"] == {"path": "/usr/bin/other", "runtimeArgs": ["--x"]}, d
assert d["runtimes"]["mvrun"] == {"path": mvrun, "runtimeArgs": ["--debug"]}, d'
again docker "$W/daemon.json"
unparsable docker '{"runtimes": {"mvrun": '
echo '{"runtimes": []}' >"$W/arr.json"
st docker --config "$W/arr.json"
t_check "setup docker: runtimes not an object" 1 'err:"runtimes" is not an object \(left unchanged\)' errlines:1

# podman
st podman --config "$W/containers/containers.conf"
t_check "setup podman writes a missing containers.conf" 0 "out:^podman: wrote" errlines:0
holds "containers.conf names mvrun" "$W/containers/containers.conf" 'assert d == {"engine": {"runtimes": {"mvrun": [mvrun]}}}, d'
again podman "$W/containers/containers.conf"
cat >"$W/containers.conf" <<'T'
# a site's settings
[containers]
default_ulimits = ["nofile=1024:1024"]   # kept

[engine]
runtime = "crun"
[engine.runtimes]
crun = [
  "/usr/bin/crun",   # the usual
  "/usr/local/bin/crun",
]
[network]
network_backend = 'netavark'
T
cp "$W/containers.conf" "$W/containers.orig"
st podman --config "$W/containers.conf"
t_check "setup podman updates an existing containers.conf" 0 "out:^podman: updated" errlines:0
holds "containers.conf keeps the other settings and runtimes" "$W/containers.conf" '
assert d["containers"] == {"default_ulimits": ["nofile=1024:1024"]}, d
assert d["engine"]["runtime"] == "crun", d
assert d["engine"]["runtimes"] == {"crun": ["/usr/bin/crun", "/usr/local/bin/crun"], "mvrun": [mvrun]}, d
assert d["network"] == {"network_backend": "netavark"}, d'
# Only the one line was added: comments and layout stay.
if diff "$W/containers.orig" "$W/containers.conf" | grep -q '^<' ||
	[ "$(diff "$W/containers.orig" "$W/containers.conf" | grep -c '^>')" != 1 ]; then
	t_bad "setup podman adds one line and changes no other" "$(diff "$W/containers.orig" "$W/containers.conf")"
else
	t_ok "setup podman adds one line and changes no other"
fi
again podman "$W/containers.conf"
unparsable podman $'[engine\nruntime = "crun"\n'
printf '[engine]\nruntimes = { crun = ["/usr/bin/crun"] }\n' >"$W/inline.conf"
st podman --config "$W/inline.conf"
t_check "setup podman: runtimes as an inline table is refused" 1 'err:\[engine.runtimes\] is defined by dotted keys or an inline table' errlines:1

# containerd
st containerd --config "$W/containerd/config.toml"
t_check "setup containerd writes a missing config.toml" 0 "out:^containerd: wrote" errlines:0
holds "config.toml has the mvrun handler" "$W/containerd/config.toml" '
assert d["version"] == 2, d
assert d["plugins"] == {"io.containerd.grpc.v1.cri": {"containerd": {"runtimes": {"mvrun": {
    "runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": mvrun}}}}}}, d'
again containerd "$W/containerd/config.toml"
cat >"$W/config.toml" <<'T'
version = 2
root = "/var/lib/containerd"
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.6"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.mvrun]
      runtime_type = "io.containerd.runsc.v1"
T
st containerd --config "$W/config.toml"
t_check "setup containerd updates an existing config.toml" 0 "out:^containerd: updated" errlines:0
holds "config.toml keeps the other settings and handlers" "$W/config.toml" '
assert d["root"] == "/var/lib/containerd" and d["grpc"] == {"address": "/run/containerd/containerd.sock"}, d
cri = d["plugins"]["io.containerd.grpc.v1.cri"]
assert cri["sandbox_image"] == "registry.k8s.io/pause:3.6", d
assert cri["containerd"]["default_runtime_name"] == "runc", d
assert cri["containerd"]["runtimes"]["runc"] == {"runtime_type": "io.containerd.runc.v2", "options": {"SystemdCgroup": False}}, d
assert cri["containerd"]["runtimes"]["mvrun"] == {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": mvrun}}, d'
again containerd "$W/config.toml"
printf 'root = "/x"\n' >"$W/v1.toml"
st containerd --config "$W/v1.toml"
holds "setup containerd: a version 1 file gets plugins.cri" "$W/v1.toml" '
assert d["plugins"]["cri"]["containerd"]["runtimes"]["mvrun"]["options"]["BinaryName"] == mvrun, d'
unparsable containerd $'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n'
printf 'version = 9\n' >"$W/v9.toml"
st containerd --config "$W/v9.toml"
t_check "setup containerd: an unknown config version is refused" 1 'err:version = 9: not a config version' errlines:1

# kubernetes, and bad use
st kubernetes
t_check "setup kubernetes prints the RuntimeClass" 0 'out:^kind: RuntimeClass$' 'out:^handler: mvrun$' 'out:^apiVersion: node.k8s.io/v1$' errlines:0
st lxc
t_check "setup of an unknown engine" 1 'err:setup: unknown engine "lxc"' errlines:1
st
t_check "setup without an engine" 1 'err:usage: mvrun setup' errlines:1

t_summary setup
