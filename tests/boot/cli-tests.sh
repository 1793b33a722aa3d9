#!/bin/bash
# mvm's command line and host checks, on the host itself: no guest boots here.
# Every bad argument gets one clear line on stderr and status 64.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVM=${MVM:-build/mvm}
K=build/vmlinux
I=build/initramfs.cpio

t_exec 10 "$MVM" --initrd "$I"
t_check "no --kernel" 64 'err:--kernel: required' errlines:1
t_exec 10 "$MVM" --kernel /nonexistent/vmlinux
t_check "missing kernel file" 64 'err:--kernel /nonexistent/vmlinux: No such file' errlines:1
t_exec 10 "$MVM" --kernel "$I"
t_check "kernel not an ELF" 64 'err:not a loadable x86_64 vmlinux: no ELF magic' errlines:1
t_exec 10 "$MVM" --kernel "$K" --mem 0
t_check "--mem 0" 64 'err:--mem 0: too small' errlines:1
t_exec 10 "$MVM" --kernel "$K" --mem 99999999
t_check "--mem beyond host RAM" 64 "err:--mem 99999999: more than this host's" errlines:1
t_exec 10 "$MVM" --kernel "$K" --mem lots
t_check "--mem not a number" 64 'err:--mem: expected a positive integer' errlines:1
t_exec 10 "$MVM" --kernel "$K" --cpus 0
t_check "--cpus 0" 64 'err:--cpus 0: must be 1 to' errlines:1
t_exec 10 "$MVM" --kernel "$K" --cpus 999
t_check "--cpus 999" 64 'err:--cpus 999: must be 1 to' errlines:1
t_exec 10 "$MVM" --kernel "$K" --frobnicate
t_check "unknown option" 64 'err:unknown option --frobnicate' errlines:1
t_exec 10 "$MVM" --kernel "$K" --cmdline "$(printf 'x%.0s' $(seq 1 2100))"
t_check "cmdline too long" 64 'err:the limit is 2047' errlines:1
t_exec 10 "$MVM" --version
t_check "--version" 0 'out:^mvm version '

# On a host whose /dev/kvm cannot boot Linux, mvm says so at once.
if [ -e /sys/module/kvm_pvm ] || ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	start=$(date +%s%N)
	t_exec 10 "$MVM" --kernel "$K" --initrd "$I"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	t_check "refuses a host that cannot boot Linux (${ms} ms)" 69 \
		'err:cannot boot a Linux guest|cannot open /dev/kvm' 'err:tests/vmhost/run' errlines:1
	[ "$ms" -lt 2000 ] || t_bad "refusal is quick" "took $ms ms"
else
	t_skip "refuses a host that cannot boot Linux" "this host has hardware virtualization"
fi
t_summary mvm-cli
