#!/bin/bash
# The narrow surface, seen from the host (README, "Seccomp" and "The jail"):
# a syscall outside a thread's allowlist kills mvm with SIGSYS and one line
# naming it, on each thread kind and through mvrun; a running mvm sees only
# its jail (/proc/PID/root, mountinfo), holds only the README's capabilities
# and has no_new_privs. Boots Linux: run it through tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVM=${MVM:-build/mvm}
MVRUN=${MVRUN:-build/mvrun}
K=${KERNEL:-build/vmlinux}
I=build/initramfs.cpio
X=()
[ "${VMHOST_NESTED:-}" = 1 ] && X=(--no-xsave)
LIMIT=${BOOT_LIMIT:-180}

if [ ! -c /dev/kvm ]; then
	echo "sec: /dev/kvm missing here; run me through tests/vmhost/run"
	t_bad "a usable /dev/kvm" "none"; t_summary sec; exit 1
fi

# SIGSYS: each thread kind makes one syscall (uname) outside its list right
# after its filter is in (the test hook), as a compromised device would.
for kind in vcpu main; do
	t_exec "$LIMIT" "$MVM" --kernel "$K" --initrd "$I" "${X[@]}" --test-seccomp-violation $kind
	t_check "a syscall outside the $kind thread's list: SIGSYS, named on stderr" 159 \
		"err:^mvm: killed by seccomp: syscall uname \\(63\\) on the $kind thread$" errlines:1
done
MVM_TEST_SECCOMP_VIOLATION=io t_exec "$LIMIT" "$MVRUN" box build/rootfs -- /bin/true
t_check "through mvrun box, on the I/O thread: SIGSYS, named on stderr" 159 \
	'err:^mvm: killed by seccomp: syscall uname \(63\) on the io thread$'

# The jail of a running container-mode mvm, from the host.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$T_OUT" "$T_ERR"' EXIT
mkdir "$tmp/vol" "$tmp/files"
echo "10.0.0.1 jailtest" >"$tmp/files/hosts"
# The container stream (proto/launch.h) as mvrun would write it: the SPEC
# alone, mounting the volume and the file's share by their tags.
python3 - "$tmp/stream" <<'EOF_PY'
import importlib.util, sys
m = importlib.util.spec_from_file_location("qc", "guest-init/tests/qemu-container.py")
qc = importlib.util.module_from_spec(m)
m.loader.exec_module(qc)
FILES, FILE = 2, 4
mounts = [("files0", "", FILES | qc.MOUNT_RO), ("vol0", "/v", 0),
          ("files0/hosts", "/etc/hosts", FILE | qc.MOUNT_RO)]
with open(sys.argv[1], "wb") as f:
    f.write(qc.spec(["/bin/sh", "-c", "cat /etc/hosts > /v/up; sleep 600"], env=(),
                    root_tag="root", mounts=mounts))
EOF_PY
"$MVM" --kernel "$K" --initrd "$I" "${X[@]}" --root build/rootfs --volume "$tmp/vol" \
	--file "$tmp/files/hosts:ro" --stream-fd 5 5<"$tmp/stream" \
	>"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
for _ in $(seq "$LIMIT"); do
	[ -s "$tmp/vol/up" ] || ! kill -0 $pid 2>/dev/null && break
	sleep 1
done
T_STATUS=0
cp "$tmp/err" "$T_ERR"
if [ ! -s "$tmp/vol/up" ]; then
	t_bad "the jailed container runs" "no output on the volume"
else
	t_ok "the jailed container runs and reads its single-file bind"
	root=$(ls -A "/proc/$pid/root" | tr '\n' ' ')
	# pod: the small tmpfs where mvrun mounts a pod member's shares
	# (empty until a member joins).
	[ "$root" = "files0 pod root vol0 " ] && t_ok "/proc/PID/root holds only the shares and pod: $root" ||
		t_bad "/proc/PID/root holds only the shares and pod" "it holds: $root"
	pod=$(ls -A "/proc/$pid/root/pod" 2>&1)
	[ -z "$pod" ] && t_ok "the pod directory is empty without members" ||
		t_bad "the pod directory is empty without members" "it holds: $pod"
	st=/proc/$pid/status
	caps=$(grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "$st" | tr -s '\t ' ' ' | tr '\n' ';')
	want="CapInh: 0000000000000000;CapPrm: 000000008800001f;CapEff: 000000008800001f;CapBnd: 000000008800001f;CapAmb: 0000000000000000;NoNewPrivs: 1;"
	[ "$caps" = "$want" ] && t_ok "status: CapEff 8800001f (the file-system caps), NoNewPrivs 1" ||
		t_bad "status: capabilities and NoNewPrivs" "$caps"
	mi=/proc/$pid/mountinfo
	points=$(awk '{ print $5 }' "$mi" | sort | tr '\n' ' ')
	rootline=$(awk '$5 == "/"' "$mi")
	podline=$(awk '$5 == "/pod"' "$mi")
	if [ "$points" = "/ /files0 /pod /root /vol0 " ] && [[ $rootline == *" ro,"*"- tmpfs "* ]] &&
		[[ $podline == *" rw,nosuid,nodev,noexec"*"- tmpfs "*"size=256k"* ]]; then
		t_ok "mountinfo: a read-only tmpfs /, the three shares and a 256k nosuid,nodev,noexec tmpfs /pod, nothing else"
	else
		t_bad "mountinfo: only the jail" "points: $points; / is: $rootline; /pod is: $podline"
	fi
	ro=$(awk '$5 == "/files0" { print $6 }' "$mi")
	[[ $ro == ro,* ]] && t_ok "a :ro share is a read-only mount in the jail" ||
		t_bad "a :ro share is a read-only mount in the jail" "options $ro"
	same=""
	for ns in mnt ipc uts; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && same="$same $ns"
	done
	[ -z "$same" ] && t_ok "new mount, IPC and UTS namespaces" ||
		t_bad "new mount, IPC and UTS namespaces" "shares the host's:$same"
	lim=$(awk '/^Max core file size/ { print $5, $6 }' /proc/$pid/limits)
	[ "$lim" = "0 0" ] && t_ok "RLIMIT_CORE 0" || t_bad "RLIMIT_CORE 0" "$lim"
	# The virtio-fs caps (128 Ki inodes, 8 Ki handles) plus mvm's own 4 Ki.
	lim=$(awk '/^Max open files/ { print $4, $5 }' /proc/$pid/limits)
	[ "$lim" = "143360 143360" ] && t_ok "RLIMIT_NOFILE is what the virtio-fs caps need, soft = hard" ||
		t_bad "RLIMIT_NOFILE is what the virtio-fs caps need" "$lim"
fi
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
t_summary sec
