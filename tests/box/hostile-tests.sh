#!/bin/bash
# What a hostile process in the guest can do to mvm over AF_VSOCK, end to
# end: repeated, parallel and half-open streams to every mvm port, a stdout
# flood with a stalled reader, and thousands of open files on a share. After
# each, the container still answers (its output arrives, signals reach it)
# and mvm exits when the guest powers off. Needs a host that boots Linux under KVM: run it through
# tests/vmhost/run --module tun (the OCI case). The guest program is
# tests/box/vsockhostile.c.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=hostile OCI_LIMIT=${BOX_LIMIT:-180} . tests/oci/lib.sh # W, ROOT, rt, create...
R=$W/rootfs
musl-gcc -static -Os -o "$R/bin/vsockhostile" tests/box/vsockhostile.c
box() { t_exec "$LIMIT" "$MVRUN" box "$@"; }

# Every port mvm listens on, 260 streams each (past the event loop's 256
# slots) one after another, then 260 at once left half-open: each stdio port
# already has its stream and the control port its one, so all are refused,
# and the process's own stdout still reaches the host.
box "$R" -- vsockhostile storm 260
t_check "streams to every mvm port are refused; the container's stdout still arrives" 7 \
	'out:^storm accepted=0 refused=5720$' 'out:^alive$'

# The same with a terminal: the tty port is taken, the stdio ports refused.
box -t "$R" -- vsockhostile storm 20
t_check "with a terminal too" 7 'out:storm accepted=0 refused=440' 'out:alive'

# The engine stops reading stdout while the guest floods it: mvm's I/O
# thread does not block on the pipe, so a signal still reaches the process
# and its stderr still arrives; once the reader is back, mvm exits.
mkfifo "$W/out"
"$MVRUN" box "$R" -- vsockhostile flood 256 >"$W/out" 2>"$T_ERR" </dev/null &
pid=$!
exec 3<"$W/out" # a reader that does not read
for _ in $(seq 1 1200); do grep -q flooding "$T_ERR" && break; sleep 0.1; done
sleep 2 # the pipe, mvm's relay and the vsock credit fill up
kill -TERM $pid
for _ in $(seq 1 300); do grep -q got-term "$T_ERR" && break; sleep 0.1; done
heard=$(grep -c got-term "$T_ERR")
cat <&3 >/dev/null &
reader=$!
exec 3<&-
T_STATUS=0
wait $pid || T_STATUS=$?
wait $reader
echo >"$T_OUT"
if [ "$heard" = 1 ]; then
	t_check "a stalled stdout reader does not stop signals or stderr" 5 'err:^flooding$' '!err:flood done'
else
	t_bad "a stalled stdout reader does not stop signals or stderr" "no got-term while stdout was stalled"
fi

# Thousands of open files on a share: past mvm's virtio-fs budget (8,192
# open files and directories a VM) the guest's opens fail with ENFILE, mvm
# holds no more, and once they are closed opens work again.
box "$R" -- vsockhostile handles 9000 /bin/busybox
t_check "9000 opens on a share: the budget refuses the rest with ENFILE, then opens work again" 9 \
	'out:^handles opened=8[01][0-9]{2} first-error=ENFILE$' 'out:^reopen ok$'

# An OCI container whose process storms mvm's ports: afterwards it still
# answers exec, kill and delete, and mvm exits when the guest powers off.
bundle b1 '["sh", "-c", "vsockhostile storm 260; echo stormed; while :; do sleep 1; done"]'
create c1 b1
[ "$T_STATUS" = 0 ] || t_bad "create c1" "$(cat "$W/c1.err")"
rt start c1
t_check "start c1" 0
for _ in $(seq 1 $((LIMIT * 10))); do grep -q stormed "$W/c1.out" && break; sleep 0.1; done
grep -q '^storm accepted=0 refused=5720$' "$W/c1.out" && t_ok "the container's streams to mvm's ports are refused" ||
	t_bad "the container's streams to mvm's ports are refused" "$(cat "$W/c1.out")"
rt exec c1 echo still-here
t_check "exec after the storm" 0 'out:^still-here$'
rt kill c1 KILL
t_check "kill after the storm" 0
st=$(exited c1 b1)
[ "$st" = 137 ] && t_ok "mvm exits with the process's status (137)" || t_bad "mvm exits with the process's status" "status $st"
rt delete c1
t_check "delete after the storm" 0
[ -z "$(ls "$ROOT")" ] && t_ok "nothing left in the state root" || t_bad "nothing left in the state root" "$(ls "$ROOT")"

t_summary hostile-tests
