#!/bin/sh
# make demo: boot the guest kernel with mvinit on 2 vCPUs and show what the
# guest reports (kernel, vCPUs, RAM, boot time from the boot-timer port) and
# mvm's own summary. Runs wherever tests/vmhost/run puts it.
cd "$(dirname "$0")/.." || exit 1
set -- --kernel build/vmlinux --initrd build/initramfs.cpio --mem 256 --cpus 2 --console --report
[ "${VMHOST_NESTED:-}" = 1 ] && set -- "$@" --no-xsave
echo "+ build/mvm $*"
exec build/mvm "$@"
