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
# mvrun box: bad input is caught on the host, before any VM, with one line.
MVRUN=${MVRUN:-build/mvrun}
R=build/rootfs
t_exec 10 "$MVRUN" box /nonexistent/rootfs -- sh
t_check "box: missing rootfs" 125 'err:^mvrun: box: rootfs /nonexistent/rootfs: No such file or directory$' errlines:1
t_exec 10 "$MVRUN" box "$R" -- no-such-command
t_check "box: CMD not in the rootfs" 127 'err:no-such-command: executable file not found in \$PATH' errlines:1
t_exec 10 "$MVRUN" box "$R" -- /etc/passwd
t_check "box: CMD not executable" 126 'err:/etc/passwd: permission denied' errlines:1
t_exec 10 "$MVRUN" box -v /nonexistent:/mnt "$R" -- sh
t_check "box: -v of a missing dir" 125 'err:-v /nonexistent:/mnt: /nonexistent: No such file' errlines:1
t_exec 10 "$MVRUN" box -v /tmp:relative "$R" -- sh
t_check "box: -v with a relative container path" 125 'err:must be absolute' errlines:1
t_exec 10 "$MVRUN" box -v /tmp:/mnt:rx "$R" -- sh
t_check "box: -v with a bad option" 125 'err:is not ro or rw' errlines:1
t_exec 10 "$MVRUN" box --mem 0 "$R" -- sh
t_check "box: --mem 0" 125 'err:--mem 0: must be a number of MiB, at least 16' errlines:1
t_exec 10 "$MVRUN" box "$R"
t_check "box: no command" 125 'err:no command given'
t_exec 10 "$MVRUN" frobnicate
t_check "mvrun: unknown command" 1 'err:frobnicate: unknown command' errlines:1
# The seccomp allowlists (mvm(8), "SECCOMP"): counted from --print-seccomp's
# rule lines, which must agree with its own totals and with the counts the
# man page states for each thread kind and the union; nor may a vCPU thread
# pass 12.
man_count() { sed -n "/^\.B $1\$/{n;s/^\([0-9]*\) syscalls.*/\1/p}" docs/mvm.8; }
MAN_UNION=$(man_count union)
t_exec 10 "$MVM" --print-seccomp
if [ "$T_STATUS" != 0 ] || [ -z "$MAN_UNION" ]; then
	t_bad "--print-seccomp" "status $T_STATUS, mvm(8) union \"$MAN_UNION\""
else
	bad=""
	for k in vcpu io main; do
		n=$(awk -v k="$k" '$1 == k && NF > 2 { print $2 }' "$T_OUT" | sort -u | wc -l)
		said=$(sed -n "s/^$k: \([0-9]*\) syscalls$/\1/p" "$T_OUT")
		[ "$n" = "$said" ] || bad="$bad $k counted $n but says $said;"
		[ "$n" = "$(man_count "$k")" ] || bad="$bad $k counted $n but mvm(8) says $(man_count "$k");"
		eval "count_$k=$n"
	done
	union=$(awk '($1 == "vcpu" || $1 == "io" || $1 == "main") && NF > 2 { print $2 }' "$T_OUT" | sort -u | wc -l)
	said=$(sed -n 's/^union: \([0-9]*\) syscalls$/\1/p' "$T_OUT")
	[ "$union" = "$said" ] || bad="$bad union counted $union but says $said;"
	[ "$union" = "$MAN_UNION" ] || bad="$bad union $union but mvm(8) says $MAN_UNION;"
	[ "$count_vcpu" -le 12 ] || bad="$bad vCPU thread $count_vcpu over 12;"
	grep -q '^  vcpu ioctl .*KVM_RUN' "$T_OUT" || bad="$bad vCPU ioctl without its KVM_RUN rule;"
	if [ -z "$bad" ]; then
		t_ok "--print-seccomp: vcpu $count_vcpu, io $count_io, main $count_main, union $union, as mvm(8) says"
	else
		t_bad "--print-seccomp" "$bad"
	fi
fi
t_exec 10 "$MVM" --print-surface
t_check "--print-surface: the port and MMIO table and the exit kinds" 0 \
	'out:^pio +0x3f8-0x3ff +8250 UART' 'out:^mmio +0xd0000000-0xd000ffff ' \
	'out:^KVM exit kinds handled: 8$' errlines:0
t_exec 10 "$MVM" --kernel "$K" --seccomp permissive
t_check "--seccomp takes kill or log only" 64 'err:--seccomp permissive: expected kill or log' errlines:1
t_summary mvm-cli
