#!/bin/bash
# mvrun box, end to end: a real guest kernel, mvinit, virtio-fs and vsock.
# Needs a host that boots Linux under KVM: run it through tests/vmhost/run
# (make test does). Each case checks what a user sees: output, status, files.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVRUN=${MVRUN:-$PWD/build/mvrun}
LIMIT=${BOX_LIMIT:-120}
W=$(mktemp -d /tmp/boxtest.XXXXXX)
R=$W/rootfs
cp -a build/rootfs "$R"
box() { t_exec "$LIMIT" "$MVRUN" box "$@"; }

box "$R" -- sh -c 'echo hi; exit 3'
t_check "exit status and stdout" 3 'out:^hi$'

box "$R" -- sh -c 'kill -9 $$'
t_check "killed by SIGKILL gives 137" 137

box "$R" -- sh -c 'kill -TERM $$'
t_check "killed by SIGTERM gives 143" 143

box "$R" -- sh -c 'echo to-out; echo to-err >&2'
t_check "stdout and stderr stay separate" 0 'out:^to-out$' '!out:to-err' 'err:^to-err$' '!err:to-out'

T_STATUS=0
echo abc | timeout "$LIMIT" "$MVRUN" box "$R" -- cat >"$T_OUT" 2>"$T_ERR"; T_STATUS=$?
t_check "stdin reaches the process, and its EOF" 0 'out:^abc$'

seq 1 20000 | timeout "$LIMIT" "$MVRUN" box "$R" -- wc -l >"$T_OUT" 2>"$T_ERR"; T_STATUS=$?
t_check "100 KiB through stdin" 0 'out:^20000$'

box "$R" -- sh -c 'seq 1 50000'
if [ "$T_STATUS" = 0 ] && [ "$(wc -l <"$T_OUT")" = 50000 ] && [ "$(tail -n1 "$T_OUT")" = 50000 ]; then
	t_ok "300 KiB of stdout arrive whole"
else
	t_bad "300 KiB of stdout arrive whole" "got $(wc -l <"$T_OUT") lines"
fi

# A signal sent to mvrun box reaches the process.
"$MVRUN" box "$R" -- sh -c 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.1; done' \
	>"$T_OUT" 2>"$T_ERR" </dev/null &
pid=$!
for _ in $(seq 1 600); do grep -q ready "$T_OUT" && break; sleep 0.1; done
kill -TERM $pid
wait $pid; T_STATUS=$?
t_check "SIGTERM to mvrun box reaches the process" 5 'out:^got-term$'

box "$R" -- sh -c 'echo data > /written; chmod 640 /written; chown 12:34 /written; mkdir -p /d/e; ln -s written /link'
if [ "$T_STATUS" = 0 ] && [ "$(cat "$R/written")" = data ] && [ "$(stat -c '%a %u %g' "$R/written")" = "640 12 34" ] &&
	[ -d "$R/d/e" ] && [ "$(readlink "$R/link")" = written ]; then
	t_ok "files written under / are on the host with mode and owner"
else
	t_bad "files written under / are on the host with mode and owner" "$(ls -la "$R" 2>&1 | head -5)"
fi

mkdir -p "$W/vol" "$W/rovol"
echo hostfile > "$W/rovol/f"
box -v "$W/vol:/mnt/v" -v "$W/rovol:/mnt/ro:ro" "$R" -- sh -c 'echo vdata > /mnt/v/x; cat /mnt/ro/f; echo no > /mnt/ro/g'
if [ "$(cat "$W/vol/x" 2>/dev/null)" = vdata ] && [ ! -e "$W/rovol/g" ]; then
	t_check "-v mounts: writes reach the host; :ro refuses with EROFS" 1 'out:^hostfile$' 'err:Read-only file system'
else
	t_bad "-v mounts: writes reach the host; :ro refuses with EROFS" "vol/x=$(cat "$W/vol/x" 2>&1)"
fi

box --read-only "$R" -- sh -c 'touch /nope'
t_check "--read-only root refuses writes" 1 'err:Read-only file system'

box -e FOO=bar -w /tmp -u 1000:1000 "$R" -- sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
t_check "env, workdir and user" 0 'out:^bar /tmp 1000:1000$'

box --cpus 2 --mem 200 "$R" -- sh -c 'grep -c ^processor /proc/cpuinfo; hostname'
t_check "vCPUs from --cpus" 0 'out:^2$'

# File operations in the guest match the host's.
ops='cd /work && mkdir a && echo one > a/f && cp -a a b && mv b/f b/g && ln -s g b/s && ln a/f a/h &&
chmod 751 a && mkfifo p && tar cf t.tar a b && mkdir x && tar xf t.tar -C x &&
ls -la a b x/a x/b | awk "!/^total/ {print \$1,\$2,\$3,\$4,\$5,\$9,\$10,\$11}"; stat -c "%n %h %s %a" a/f a/h x/a/f; readlink b/s; test -p p && echo fifo'
mkdir -p "$W/hostwork" "$W/work"
# The same busybox on the host, so only the filesystem differs.
(cd / && PATH=$R/bin:$R/sbin:$R/usr/bin:$R/usr/sbin "$R/bin/busybox" sh -c "${ops//\/work/$W/hostwork}") >"$W/host.txt" 2>&1
box -v "$W/work:/work" "$R" -- sh -c "$ops"
sed "s#$W/hostwork#/work#g" "$W/host.txt" | grep -v '^total' >"$W/host.norm"
grep -v '^total' "$T_OUT" >"$W/guest.norm"
if [ "$T_STATUS" = 0 ] && diff -u "$W/host.norm" "$W/guest.norm" >"$W/diff" 2>&1; then
	t_ok "ls, cp -a, tar, rename, symlinks, hard links, chmod, mkfifo match the host"
else
	t_bad "ls, cp -a, tar, rename, symlinks, hard links, chmod, mkfifo match the host" "$(head -20 "$W/diff")"
fi

# xattrs and mmap, with a small static probe (busybox has neither): the
# guest must see what the host's filesystem does, and the host must see the
# guest's writes.
musl-gcc -static -Os -o "$R/bin/fsprobe" tests/box/fsprobe.c
mkdir -p "$W/xvol" "$W/xhost"
probe='touch $D/f; fsprobe xattr $D/f 2>&1; echo "xattr status $?"; fsprobe mmap $D/m 2>&1; echo "mmap status $?"'
D=$W/xhost PATH=$R/bin:$PATH sh -c "$probe" >"$W/probe.host" 2>&1
box -v "$W/xvol:/x" "$R" -- sh -c "D=/x; $probe"
if [ "$T_STATUS" = 0 ] && diff -u "$W/probe.host" "$T_OUT" >"$W/diff" && [ "$(head -c 6 "$W/xvol/m")" = mapped ]; then
	t_ok "xattrs and mmap behave as on the host ($(head -n1 "$W/probe.host"))"
else
	t_bad "xattrs and mmap behave as on the host" "$(cat "$W/diff")"
fi

# rm -rf lists a directory while it unlinks: every entry must go, with
# directories larger than one READDIR reply (the share is on tmpfs here, whose
# offsets before Linux 6.6 count entries and used to skip some).
mkdir -p "$W/rmvol/tree"
for d in 0 1 2; do
	mkdir "$W/rmvol/tree/d$d"
	(cd "$W/rmvol/tree/d$d" && touch $(seq -f 'file-%03g' 1 150))
done
box -v "$W/rmvol:/v" "$R" -- sh -c 'ls -lR /v >/dev/null && rm -rf /v/tree && echo removed'
if [ "$T_STATUS" = 0 ] && [ ! -e "$W/rmvol/tree" ]; then
	t_check "rm -rf of 450 files on a share removes them all" 0 'out:^removed$'
else
	t_bad "rm -rf of 450 files on a share removes them all" \
		"status $T_STATUS, $(find "$W/rmvol/tree" 2>/dev/null | wc -l) left; $(head -3 "$T_ERR")"
fi

box "$R" -- df -k /
t_check "df sees the share" 0 'out:[0-9]+ +[0-9]+ +[0-9]+'

# A terminal: the process gets a pty with the caller's window size.
if command -v script >/dev/null; then
	t_exec "$LIMIT" script -qec "stty rows 33 cols 101; $MVRUN box -t $R -- sh -c 'tty; stty size; exit 4'" /dev/null
	t_check "-t gives a pty with the window size" 4 'out:/dev/pts/[0-9]+' 'out:33 101'
else
	t_skip "-t gives a pty with the window size" "script(1) missing"
fi

rm -rf "$W"
t_summary box
