#!/bin/sh
# make demo: boot the guest kernel with mvinit on 2 vCPUs and show what it
# reports (kernel, vCPUs, RAM, boot time from the boot-timer port) and mvm's
# own summary; then run a command from the busybox rootfs with mvrun box.
# Runs wherever tests/vmhost/run puts it.
cd "$(dirname "$0")/.." || exit 1
set -- --kernel build/vmlinux --initrd build/initramfs.cpio --mem 256 --cpus 2 --console --report
echo "+ build/mvm $*"
build/mvm "$@" || exit
echo
echo "+ build/mvrun box --cpus 2 build/rootfs -- sh -c '...'"
exec build/mvrun box --cpus 2 build/rootfs -- sh -c \
	'echo "hello from $(hostname) in a microVM: $(uname -sr), $(nproc) vCPUs, uid $(id -u)"; echo "/ holds: $(ls / | xargs)"'
