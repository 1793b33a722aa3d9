#!/bin/sh
# Installs the Debian packages mvrun's build and tests need. Idempotent and
# quiet when everything is already present (make deps).
set -eu
pkgs="build-essential pkg-config libcriterion-dev libfdt-dev libseccomp-dev libjansson-dev
musl-tools busybox-static cpio linux-source-6.1 bc flex bison libelf-dev libssl-dev
xz-utils zstd kmod qemu-system-x86 python3 clang libclang-rt-14-dev bsdutils
libmnl-dev iperf3 slirp4netns
podman conmon netavark aardvark-dns iptables catatonit uidmap containerd docker.io runc
crun gnuplot-nox groff-base dpkg-dev python3-grpcio python3-grpc-tools containernetworking-plugins"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "mvrun: make deps: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends $missing >/dev/null
