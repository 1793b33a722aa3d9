#!/bin/bash
# Snapshot tests: mvm --snapshot-save stops a container-mode guest at
# mvinit's save point (before anything of a container enters it) and saves
# it; mvm --restore starts new guests from that snapshot, each running a
# container of its own. Needs a host that boots Linux under KVM: run it
# through tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVM=${MVM:-build/mvm}
K=${KERNEL:-build/vmlinux}
I=build/initramfs.cpio
X=()
[ "${VMHOST_NESTED:-}" = 1 ] && X=(--no-xsave)
LIMIT=${BOOT_LIMIT:-180}

if [ ! -c /dev/kvm ]; then
	echo "snap: /dev/kvm missing here; run me through tests/vmhost/run"
	t_bad "a usable /dev/kvm" "none"; t_summary snap; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$T_OUT" "$T_ERR"' EXIT

# stream FILE ARGV...: the container stream (proto/launch.h) as mvrun would
# write it, the SPEC alone, from build/rootfs shared as "root".
stream() {
	python3 - "$@" <<'EOF_PY'
import importlib.util, sys
m = importlib.util.spec_from_file_location("qc", "guest-init/tests/qemu-container.py")
qc = importlib.util.module_from_spec(m)
m.loader.exec_module(qc)
with open(sys.argv[1], "wb") as f:
    f.write(qc.spec(sys.argv[2:], root_tag="root"))
EOF_PY
}

# The same VM for the save and every restore: one vCPU, 128 MiB, the root.
vm=(--kernel "$K" --initrd "$I" "${X[@]}" --cpus 1 --mem 128 --root build/rootfs)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# A container that says what a clone must not share: its urandom bytes and
# its clock, then exits 3.
stream "$tmp/probe" /bin/sh -c 'echo hello; echo "rand $(head -c 16 /dev/urandom | od -An -tx1 | tr -d " \n")"; echo "time $(date +%s)"; exit 3'
stream "$tmp/true" /bin/true

t0=$(date +%s%N)
t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/probe" --report
cold_ms=$(ms "$t0")
t_check "cold boot: the container runs (the save point is passed through)" 3 'out:^hello$' \
	'out:^rand [0-9a-f]{32}$'
cold_report=$(grep '^mvm: status' "$T_ERR")

t0=$(date +%s%N)
t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/true" --snapshot-save "$tmp/snap"
save_ms=$(ms "$t0")
t_check "mvm saves the guest at its save point and exits 0" 0 errlines:0
[ -s "$tmp/snap/state" ] && [ "$(stat -c %s "$tmp/snap/mem")" = $((128 << 20)) ] &&
	[ -z "$(ls -A "$tmp" | grep '^\.snap\.tmp')" ] &&
	t_ok "the snapshot is DIR/state and DIR/mem (128 MiB, sparse), nothing else left" ||
	t_bad "the snapshot's files" "$(ls -la "$tmp" "$tmp/snap" 2>&1)"
t_exec 10 "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/true" --snapshot-save "$tmp/snap"
t_check "a second save onto an existing snapshot is refused" 64 'err:exists already' errlines:1

# The template's clock stops at the save: a restored guest that kept it
# would be these seconds behind the host's when it runs.
sleep 5
declare -a rand
for i in 1 2; do
	t0=$(date +%s%N)
	t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/probe" --restore "$tmp/snap" --report
	restore_ms[$i]=$(ms "$t0")
	now=$(date +%s) started=$((t0 / 1000000000))
	t_check "restore $i: the container's output and exit status" 3 'out:^hello$' \
		'err:^mvm: restored from a snapshot' '!err:booting cold'
	rand[$i]=$(sed -n 's/^rand //p' "$T_OUT")
	gt=$(sed -n 's/^time //p' "$T_OUT")
	if [ -n "$gt" ] && [ "$gt" -le "$now" ] && [ "$gt" -ge "$started" ]; then
		t_ok "restore $i: the guest's clock is the host's, not the template's"
	else
		t_bad "restore $i: the guest's clock" "guest $gt, host $started..$now"
	fi
	restore_report[$i]=$(grep '^mvm: restored' "$T_ERR")
done
[ -n "${rand[1]}" ] && [ "${rand[1]}" != "${rand[2]}" ] &&
	t_ok "two guests restored from one snapshot read different /dev/urandom bytes" ||
	t_bad "different /dev/urandom bytes" "'${rand[1]}' and '${rand[2]}'"

# Two vCPUs: the one not at the save point is stopped wherever it was (in
# the kernel's idle loop, most likely) and goes on from there.
vm2=(--kernel "$K" --initrd "$I" "${X[@]}" --cpus 2 --mem 128 --root build/rootfs)
t_exec "$LIMIT" "$MVM" "${vm2[@]}" --stream-fd 5 5<"$tmp/true" --snapshot-save "$tmp/snap2"
t_check "2 vCPUs: saved at the save point" 0 errlines:0
t_exec "$LIMIT" "$MVM" "${vm2[@]}" --stream-fd 5 5<"$tmp/probe" --restore "$tmp/snap2"
t_check "2 vCPUs: the restored guest runs the container" 3 'out:^hello$' '!err:booting cold'

# A snapshot is input: a damaged one gives one line and a cold boot.
cp -r "$tmp/snap" "$tmp/trunc"
truncate -s -64 "$tmp/trunc/state"
t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/probe" --restore "$tmp/trunc"
t_check "a truncated snapshot: one line, then a cold boot runs the container" 3 'out:^hello$' \
	'err:^mvm: --restore .*/trunc: snapshot: .*truncated.*; booting cold$' errlines:1
cp -r "$tmp/snap" "$tmp/flip"
python3 - "$tmp/flip/state" <<'EOF_PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x40
open(sys.argv[1], "wb").write(b)
EOF_PY
t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/probe" --restore "$tmp/flip"
t_check "a corrupted snapshot: one line, then a cold boot" 3 'out:^hello$' \
	'err:^mvm: --restore .*: snapshot: checksum mismatch \(corrupt\); booting cold$' errlines:1
# Another build: the build id section rewritten, the checksum made right
# again, so only the build check can refuse it.
cp -r "$tmp/snap" "$tmp/other"
python3 - "$tmp/other/state" <<'EOF_PY'
import struct, sys
def crc32c(data):
    crc = 0xffffffff
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff
b = bytearray(open(sys.argv[1], "rb").read())
off, found = 32, False
for _ in range(struct.unpack_from("<I", b, 12)[0]):
    typ, inst, n = struct.unpack_from("<IIQ", b, off)
    if typ == 17:  # SNAP_BUILD
        b[off + 16:off + 16 + n] = b"0" * n
        found = True
    off += 16 + (n + 7) // 8 * 8
assert found
struct.pack_into("<I", b, 24, crc32c(b[32:]))
open(sys.argv[1], "wb").write(b)
EOF_PY
t_exec "$LIMIT" "$MVM" "${vm[@]}" --stream-fd 5 5<"$tmp/probe" --restore "$tmp/other"
t_check "a snapshot from another mvm build is refused: one line, a cold boot" 3 'out:^hello$' \
	'err:^mvm: --restore .*: snapshot from another mvm build .*; booting cold$' errlines:1
t_exec "$LIMIT" "$MVM" --kernel "$K" --initrd "$I" "${X[@]}" --cpus 1 --mem 256 --root build/rootfs \
	--stream-fd 5 5<"$tmp/probe" --restore "$tmp/snap"
t_check "a snapshot of another VM size: one line, a cold boot" 3 'out:^hello$' \
	'err:snapshot of a VM with 128 MiB and 1 vCPUs, not 256 MiB.*; booting cold$' errlines:1

# Past the file checks, a snapshot must fit the VM's devices: one more
# share than it was saved with is refused, not booted half restored.
mkdir "$tmp/vol"
t_exec "$LIMIT" "$MVM" "${vm[@]}" --volume "$tmp/vol" --stream-fd 5 5<"$tmp/probe" \
	--restore "$tmp/snap"
t_check "a snapshot of another device set is refused in one line" 64 'err:^mvm: snapshot: ' \
	'!out:hello' errlines:1

echo "snap: times (wall, mvm start to exit, /bin/sh container): cold ${cold_ms} ms," \
	"save ${save_ms} ms, restores ${restore_ms[1]} and ${restore_ms[2]} ms"
echo "snap: cold: $cold_report"
echo "snap: restored: ${restore_report[1]}"
t_summary snap
