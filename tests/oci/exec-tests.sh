#!/bin/bash
# mvrun exec, driven as engines drive runc exec (engines.md): into a running
# container, with the caller's stdio as the process's, its status as
# mvrun's; --detach under a subreaper leaves a host process named in the pid
# file that forwards signals and exits with the process's status; a tty
# goes to --console-socket. Real guests boot here: run it through
# tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ociexec . tests/oci/lib.sh

bundle b1 '["sh", "-c", "echo up; while :; do sleep 1; done"]' "
c['linux']['cgroupsPath'] = '/mvrun-exec-test/c1'
"
create c1 b1
[ "$T_STATUS" = 0 ] || t_bad "create c1" "$(cat "$W/c1.err")"
rt start c1
t_check "start c1" 0

# --- exec waits and gives the process's status ------------------------------
rt exec c1 echo hi
t_check "exec echo hi prints hi and exits 0" 0 'out:^hi$' errlines:0
rt exec c1 sh -c 'exit 7'
t_check "exec sh -c 'exit 7' exits 7" 7 errlines:0
rt exec c1 sh -c 'echo to-out; echo to-err >&2'
t_check "exec: stdout and stderr are the caller's fds 1 and 2" 0 'out:^to-out$' '!out:to-err' 'err:^to-err$'
rt exec c1 sh -c 'kill -9 $$'
t_check "exec: a process killed by SIGKILL gives 137" 137

printf 'line one\nline two\n' >"$W/in"
timeout "$LIMIT" "$MVRUN" --root "$ROOT" exec c1 sh -c 'cat; echo cat-done' <"$W/in" >"$T_OUT" 2>"$T_ERR"
T_STATUS=$?
[ "$T_STATUS" = 0 ] && [ "$(cat "$T_OUT")" = "$(printf 'line one\nline two\ncat-done')" ] &&
	t_ok "exec: stdin from a file reaches the process, and its EOF" ||
	t_bad "exec: stdin from a file reaches the process, and its EOF" "$(cat "$T_OUT")"
(printf 'line one\n'; sleep 2; printf 'line two\n') |
	timeout "$LIMIT" "$MVRUN" --root "$ROOT" exec c1 sh -c 'cat; echo cat-done' >"$T_OUT" 2>"$T_ERR"
T_STATUS=$?
[ "$T_STATUS" = 0 ] && [ "$(cat "$T_OUT")" = "$(printf 'line one\nline two\ncat-done')" ] &&
	t_ok "exec: stdin from a pipe, written in two goes, reaches the process, and its EOF" ||
	t_bad "exec: stdin from a pipe reaches the process, and its EOF" "$(cat "$T_OUT")"

# --- --process, --user, --env, --cwd ----------------------------------------
cat >"$W/proc.json" <<'JSON'
{"args": ["sh", "-c", "echo FOO=$FOO; pwd; id -u"], "env": ["PATH=/usr/bin:/bin", "FOO=bar"],
 "cwd": "/tmp", "user": {"uid": 0, "gid": 0}, "terminal": false}
JSON
rt exec --process "$W/proc.json" c1
t_check "exec --process FILE: env and cwd from the file" 0 'out:^FOO=bar$' 'out:^/tmp$' 'out:^0$'
rt exec --user 1000 c1 id -u
t_check "exec --user 1000: id -u prints 1000" 0 'out:^1000$'
rt exec --user 1000:1000 --env FOO=baz --cwd /etc c1 sh -c 'id -g; echo $FOO; pwd'
t_check "exec --user U:G --env --cwd" 0 'out:^1000$' 'out:^baz$' 'out:^/etc$'
rt exec c1 no-such-command
t_check "exec of a missing command fails with one clear line, status 255 as runc's" 255 \
	'err:no-such-command.*not found' errlines:1

# --- runc 1.1's exec: --process from a pipe, --cgroup, a root-only cwd -------
rt exec --process /dev/fd/3 c1 3< <(cat "$W/proc.json")
t_check "exec --process /dev/fd/N: a pipe" 0 'out:^FOO=bar$' 'out:^/tmp$'
# The config's capabilities (runc spec's three) lack CAP_DAC_OVERRIDE: user
# 0 enters a directory of user 1000's only before they are dropped, as runc.
mkdir "$W/rootfs/private" && chown 1000:1000 "$W/rootfs/private" && chmod 700 "$W/rootfs/private"
rt exec --user 0 --cwd /private c1 pwd
t_check "exec --user 0 --cwd into it: chdir before the capabilities drop" 0 'out:^/private$' errlines:0
rt exec --user 2000 --cwd /private c1 pwd
t_check "exec --user 2000 --cwd into it: entered as root first, as runc's" 0 'out:^/private$' errlines:0
rt exec --cgroup sub c1 true
t_check "exec --cgroup SUB that does not exist fails" 255 'err:--cgroup sub: .*no such cgroup' errlines:1
mkdir -p /sys/fs/cgroup/mvrun-exec-test/c1/sub
# The process waits for a line on stdin (a fifo) while the sub-cgroup is read.
mkfifo "$W/cg.fifo"
exec 7<>"$W/cg.fifo"
"$MVRUN" --root "$ROOT" exec --cgroup sub c1 sh -c 'read x; echo ran' <"$W/cg.fifo" >"$T_OUT" 2>"$T_ERR" &
xp=$!
for _ in $(seq 1 $((LIMIT * 10))); do
	grep -q . /sys/fs/cgroup/mvrun-exec-test/c1/sub/cgroup.procs || ! kill -0 $xp 2>/dev/null && break
	sleep 0.1
done
in_sub=$(cat /sys/fs/cgroup/mvrun-exec-test/c1/sub/cgroup.procs 2>/dev/null)
echo go >&7
exec 7>&-
wait $xp
T_STATUS=$?
[ "$T_STATUS" = 0 ] && [ "$in_sub" = "$xp" ] && grep -qx ran "$T_OUT" &&
	t_ok "exec --cgroup SUB: the host process runs in the container's cgroup's SUB" ||
	t_bad "exec --cgroup SUB: the host process runs in the container's cgroup's SUB" \
		"status $T_STATUS, sub holds '$in_sub', exec was $xp, err $(cat "$T_ERR")"
rt exec --cgroup memory:sub c1 true
t_check "exec --cgroup CONTROLLER:SUB is refused on cgroup v2, as runc's" 255 'err:unknown controller memory' errlines:1
rmdir /sys/fs/cgroup/mvrun-exec-test/c1/sub

# --- errors --------------------------------------------------------------------
rt exec nope echo hi
t_check "exec into an unknown id: 255, as runc's" 255 'err:container "nope" does not exist' errlines:1
bundle b2 '["true"]'
create c2 b2
rt start c2
logged "$W/c2.log" "$(cat "$W/b2/c2.pid")" >/dev/null
rt exec c2 echo hi
t_check "exec into a stopped container" 255 'err:cannot exec in a stopped container' errlines:1

# --- --detach --pid-file under a subreaper -----------------------------------
rm -f "$W/x.log"
python3 tests/oci/subreaper.py "$W/x.log" "$MVRUN" --root "$ROOT" exec --detach --pid-file "$W/x.pid" c1 \
	sh -c 'trap "echo trapped; exit 9" TERM; echo ready; while :; do sleep 0.1; done' \
	</dev/null >"$W/x.out" 2>"$W/x.err" &
reaper=$!
REAPERS+=($reaper)
st=$(logged "$W/x.log" cmd)
pid=$(cat "$W/x.pid" 2>/dev/null)
[ "$st" = 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ ! -s "$W/x.err" ] &&
	t_ok "exec --detach returns 0 and the pid file names a live process" ||
	t_bad "exec --detach returns 0 and the pid file names a live process" "status $st, pid '$pid', err $(cat "$W/x.err")"
ppid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)
[ "$ppid" = "$reaper" ] && t_ok "the exec's host process is the caller's (subreaper's) child" ||
	t_bad "the exec's host process is the caller's (subreaper's) child" "ppid $ppid, subreaper $reaper"
grep -q '/mvrun-exec-test/c1' "/proc/$pid/cgroup" 2>/dev/null && t_ok "the exec's host process is in the container's cgroup" ||
	t_bad "the exec's host process is in the container's cgroup" "$(cat "/proc/$pid/cgroup" 2>&1)"
for _ in $(seq 1 $((LIMIT * 10))); do grep -q ready "$W/x.out" && break; sleep 0.1; done
kill -TERM "$pid"
st=$(logged "$W/x.log" "$pid")
[ "$st" = 9 ] && grep -qx trapped "$W/x.out" &&
	t_ok "kill -TERM of the pid file's process reaches the trap; its status is the trap's (9)" ||
	t_bad "kill -TERM of the pid file's process reaches the trap" "status $st, out $(cat "$W/x.out")"

rm -f "$W/y.log"
python3 tests/oci/subreaper.py "$W/y.log" "$MVRUN" --root "$ROOT" exec --detach --pid-file "$W/y.pid" c1 \
	sleep 1000 </dev/null >/dev/null 2>"$W/y.err" &
REAPERS+=($!)
logged "$W/y.log" cmd >/dev/null
pid=$(cat "$W/y.pid" 2>/dev/null)
kill -9 "$pid" 2>/dev/null
st=$(logged "$W/y.log" "$pid")
sleep 1
rt exec c1 sh -c 'ps | grep -c "[s]leep 1000"'
[ "$st" = 137 ] && t_check "kill -9 of the host process gives 137 and ends the process in the guest" 1 'out:^0$' ||
	t_bad "kill -9 of the host process gives 137" "status $st"

# --- a terminal -----------------------------------------------------------------
rm -f "$W/con.sock"
t_exec "$LIMIT" python3 tests/oci/console.py "$W/con.sock" \
	$'test -t 0 && echo is-a-tty; echo tty-$((6*7)); exit 3\n' \
	"$MVRUN" --root "$ROOT" exec -t --console-socket "$W/con.sock" c1 sh
t_check "exec -t --console-socket: the pty master arrives, input and output flow, status 3" 3 \
	'out:is-a-tty' 'out:tty-42'

# The output is exactly the process's: nothing before it (no NUL, no echo of
# input that was never sent). A "^@" seen under script(1) is script's own EOF
# (VEOF, queued while the caller's pty was still canonical, then read as a
# NUL once the client made it raw): the caller's input, not mvrun's.
rm -f "$W/con.sock"
t_exec "$LIMIT" python3 tests/oci/console.py "$W/con.sock" '' \
	"$MVRUN" --root "$ROOT" exec -t --console-socket "$W/con.sock" c1 tty
[ "$T_STATUS" = 0 ] && python3 -c 'import re, sys
sys.exit(not re.fullmatch(rb"/dev/pts/[0-9]+\r\n", open(sys.argv[1], "rb").read()))' "$T_OUT" &&
	t_ok "exec -t tty: the bytes are exactly /dev/pts/N CR LF, with no NUL before them" ||
	t_bad "exec -t tty: the bytes are exactly /dev/pts/N CR LF, with no NUL before them" \
		"bytes: $(od -An -c "$T_OUT" | head -n 3)"

rm -f "$W/con.sock" "$W/t.log"
CONSOLE_SIZE=30x90 python3 tests/oci/subreaper.py "$W/t.log" python3 tests/oci/console.py "$W/con.sock" \
	$'stty size; echo tty-$((6*7)); exit 4\n' \
	"$MVRUN" --root "$ROOT" exec --detach --tty --console-socket "$W/con.sock" --pid-file "$W/t.pid" c1 sh \
	</dev/null >"$W/t.out" 2>"$W/t.err"
st=$(logged "$W/t.log" "$(cat "$W/t.pid" 2>/dev/null)")
grep -q tty-42 "$W/t.out" && grep -q '^30 90' "$W/t.out" && [ "$st" = 4 ] && [ "$(sed -n 's/^cmd //p' "$W/t.log")" = 0 ] &&
	t_ok "exec --detach --tty: the engine's console size reaches the guest; the host process relays the pty and exits with the status (4)" ||
	t_bad "exec --detach --tty: console size, relay, status (4)" \
		"status $st, log $(cat "$W/t.log"), out $(cat "$W/t.out"), err $(cat "$W/t.err")"

t_exec "$LIMIT" python3 tests/oci/termexec.py "$MVRUN" --root "$ROOT" exec -t c1 sh
t_check "exec -t on the caller's terminal: its size, a resize (SIGWINCH), ONLCR off and the status (5)" 5 \
	'out:33 77' 'out:40 100'
# As runc's: the terminal is the first of stderr, stdout, stdin that is one.
t_exec "$LIMIT" python3 tests/oci/termrun.py sh -c \
	"'$MVRUN' --root '$ROOT' exec -t c1 sh -c 'test -t 0 && test -t 1 && echo on-a-pty' </dev/null"
t_check "exec -t with stdin not a terminal (stdout one): runs on a pty" 0 'out:^on-a-pty'
t_exec "$LIMIT" setsid -w sh -c "'$MVRUN' --root '$ROOT' exec -t c1 true </dev/null"
t_check "exec -t with no terminal at all: 255, as runc's" 255 'err:open /dev/tty' errlines:1

# --- at most 64 execs at a time, and a clear refusal past that ---------------
for i in $(seq 1 64); do
	"$MVRUN" --root "$ROOT" exec --detach --pid-file "$W/l$i.pid" c1 sleep 1000 </dev/null >/dev/null 2>>"$W/l.err"
done
n=$(ls "$W"/l*.pid 2>/dev/null | wc -l)
[ "$n" = 64 ] && [ ! -s "$W/l.err" ] && t_ok "64 detached execs at once" ||
	t_bad "64 detached execs at once" "$n started; $(head -n 3 "$W/l.err")"
rt exec c1 echo one-too-many
t_check "the 65th is refused with one clear line" 255 'err:too many execs' errlines:1 '!out:one-too-many'
kill -TERM "$(cat "$W/l1.pid")"
for _ in $(seq 1 $((LIMIT * 10))); do kill -0 "$(cat "$W/l1.pid")" 2>/dev/null || break; sleep 0.1; done
rt exec c1 echo room-again
t_check "once one of them ends, an exec runs again" 0 'out:^room-again$'

rt pause c1
t_check "pause c1" 0
rt exec c1 echo hi
t_check "exec into a paused container" 255 'err:cannot exec in a paused container' errlines:1
rt resume c1
rt exec c1 echo resumed
t_check "exec after resume" 0 'out:^resumed$'

rt delete --force c1
t_summary oci-exec
