#!/bin/bash
# Boot tests: build/mvm boots build/vmlinux with the initramfs to mvinit.
# They need a host that can boot Linux under KVM: run them through
# tests/vmhost/run (make test does), never directly on kvm_pvm.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVM=${MVM:-build/mvm}
K=${KERNEL:-build/vmlinux}
I=build/initramfs.cpio
# Under the nested test host, L2 must not see XSAVE (nested-host.md).
X=()
[ "${VMHOST_NESTED:-}" = 1 ] && X=(--no-xsave)
LIMIT=${BOOT_LIMIT:-180}

boot() { t_exec "$LIMIT" "$MVM" --kernel "$K" --initrd "$I" "${X[@]}" "$@"; }

if [ ! -c /dev/kvm ]; then
	echo "boot: /dev/kvm missing here; run me through tests/vmhost/run"
	t_bad "a usable /dev/kvm" "none"; t_summary boot; exit 1
fi

boot --console --cpus 1 --mem 128 --report
t_check "1 vCPU, 128 MiB: boots to mvinit and powers off" 0 \
	'out:^mvinit: Linux 6\.1\.[0-9]+ .*up: 1 vCPU' 'out:init reached [0-9.]+ ms after mvm start' \
	'err:^mvm: status 0; init reached at [0-9.]+ ms'

boot --console --cpus 2 --mem 128
t_check "2 vCPUs both show up in the guest" 0 'out:up: 2 vCPUs'

boot --console --mem 64
t_check "64 MiB guest" 0 'out:, (4[0-9]|5[0-9]|6[0-4]) MiB RAM'

boot --console --mem 512
t_check "512 MiB guest" 0 'out:, (4[5-9][0-9]|50[0-9]|51[0-2]) MiB RAM'

boot --console --boot linux64 --cpus 2
t_check "64-bit boot protocol with a zero page" 0 'out:up: 2 vCPUs'

boot --mem 128
t_check "no console: silent, status 0" 0 '!out:.' errlines:0

boot --console --cmdline "mvinit.exit=7"
t_check "mvinit's shutdown status becomes mvm's" 7 'out:^mvinit: '

boot --cmdline "mvinit.panic=1"
t_check "guest kernel panic gives status 71" 71 'err:the guest kernel panicked' errlines:1

t_exec "$LIMIT" "$MVM" --kernel "$K" "${X[@]}" --console --cmdline "rdinit=/nonexistent"
t_check "no initrd: the kernel cannot mount root and panics" 71 'out:Kernel panic' 'err:panicked'

t_summary boot
