#!/bin/bash
# mvrun's OCI lifecycle, driven the way engines drive runc (engines.md): a
# subreaper runs `mvrun create`, the pid file names mvm, start releases the
# process, kill/state/delete follow, and mvm's wait status is the
# container's. Real guests boot here: run it through tests/vmhost/run (make
# test does).
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ocilife . tests/oci/lib.sh

# --- the basic lifecycle ----------------------------------------------------
bundle b1 '["sh", "-c", "echo hello; echo to-err >&2; exit 7"]'
create c1 b1
t_check "create returns 0 and prints nothing" 0 errlines:0 '!out:.'
pid=$(cat "$W/b1/c1.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q mvm "/proc/$pid/comm"; then
	t_ok "the pid file names a live mvm"
else
	t_bad "the pid file names a live mvm" "pid '$pid'"
fi
rt state c1
t_check "state of a created container" 0 'out:"status": "created"' "out:\"pid\": $pid," \
	"out:\"bundle\": \"$W/b1\"" 'out:"ociVersion": "1\.0\.2-dev"' 'out:"id": "c1"' errlines:0
sleep 1
[ ! -s "$W/c1.out" ] && t_ok "nothing runs before start" || t_bad "nothing runs before start" "$(cat "$W/c1.out")"
rt start c1
t_check "start returns 0 and prints nothing" 0 errlines:0 '!out:.'
st=$(exited c1 b1)
[ "$st" = 7 ] && t_ok "mvm's wait status is the container's (exit 7)" ||
	t_bad "mvm's wait status is the container's (exit 7)" "got $st"
grep -qx hello "$W/c1.out" && grep -qx to-err "$W/c1.err" && ! grep -q to-err "$W/c1.out" &&
	t_ok "the process's stdout and stderr are create's fds 1 and 2" ||
	t_bad "the process's stdout and stderr are create's fds 1 and 2" "out: $(cat "$W/c1.out") err: $(cat "$W/c1.err")"
rt state c1
t_check "state after exit: stopped, pid 0" 0 'out:"status": "stopped"' 'out:"pid": 0,'
rt start c1
t_check "start of a stopped container" 1 'err:cannot start container "c1": it has stopped' errlines:1
rt delete c1
t_check "delete of a stopped container" 0 errlines:0
rt state c1
t_check "state after delete" 1 'err:container "c1" does not exist'
[ ! -e "$ROOT/c1" ] && t_ok "delete removes the state directory" || t_bad "delete removes the state directory" "$(ls "$ROOT/c1")"

# --- stdin, signals, kill, delete --------------------------------------------
bundle b2 '["sh", "-c", "trap \"echo got-term; exit 5\" TERM; echo up; while :; do sleep 0.1; done"]'
create c2 b2
t_check "create c2" 0
rt create --bundle "$W/b2" c2
t_check "a duplicate create" 1 'err:container "c2" already exists' errlines:1
rt start c2
t_check "start c2" 0
for _ in $(seq 1 300); do grep -q up "$W/c2.out" && break; sleep 0.1; done
state_is c2 running && t_ok "state says running after start" || t_bad "state says running after start" "$(cat "$T_OUT")"
rt start c2
t_check "start twice" 1 'err:cannot start container "c2": it is already running' errlines:1
rt delete c2
t_check "delete of a running container without --force" 1 'err:cannot delete container "c2": it is running' errlines:1
rt kill c2 TERM
t_check "kill ID TERM" 0 errlines:0
st=$(exited c2 b2)
[ "$st" = 5 ] && grep -qx got-term "$W/c2.out" && t_ok "SIGTERM reaches the trapping process (exit 5)" ||
	t_bad "SIGTERM reaches the trapping process (exit 5)" "status $st, out $(cat "$W/c2.out")"
rt kill c2 9
t_check "kill of a stopped container" 1 'err:container not running' errlines:1
rt delete c2
t_check "delete c2" 0

printf 'line one\nline two\n' >"$W/c3.in"
bundle b3 '["sh", "-c", "cat; echo cat-done"]'
create c3 b3
rt start c3
st=$(exited c3 b3)
[ "$st" = 0 ] && [ "$(cat "$W/c3.out")" = "$(printf 'line one\nline two\ncat-done')" ] &&
	t_ok "create's stdin reaches the process, and its EOF" ||
	t_bad "create's stdin reaches the process, and its EOF" "status $st, out $(cat "$W/c3.out")"
rt delete c3

bundle b4 '["sleep", "1000"]'
create c4 b4
rt start c4
rt kill c4 KILL
st=$(exited c4 b4)
[ "$st" = 137 ] && t_ok "kill ID KILL gives 137" || t_bad "kill ID KILL gives 137" "got $st"
rt delete c4

create c5 b4
rt start c5
rt delete --force c5
t_check "delete --force of a running container" 0 errlines:0
[ ! -e "$ROOT/c5" ] && ! kill -0 "$(cat "$W/b4/c5.pid")" 2>/dev/null &&
	t_ok "delete --force kills mvm and removes the state" || t_bad "delete --force kills mvm and removes the state" ""

# kill -9 of mvm itself, at each stage: state says stopped, delete cleans up.
for stage in created running; do
	create "k$stage" b4
	[ "$stage" = running ] && rt start "k$stage"
	kill -9 "$(cat "$W/b4/k$stage.pid")"
	exited "k$stage" b4 >/dev/null
	rt state "k$stage"
	t_check "kill -9 of mvm when $stage: state says stopped" 0 'out:"status": "stopped"'
	rt delete "k$stage"
	t_check "kill -9 of mvm when $stage: delete cleans up" 0 errlines:0
	[ ! -e "$ROOT/k$stage" ] || t_bad "kill -9 of mvm when $stage: nothing left" "$(ls "$ROOT")"
done

# --- every signal kill can name reaches the process; mvm survives ------------
# USR1 is mvm's vCPU kick, 37 (RTMIN+3) systemd's stop signal; ABRT and SEGV
# from outside killed mvm itself.
cat >"$W/rootfs/sigtrap.sh" <<'SH'
for s in USR1 ABRT SEGV 37 64 CHLD; do trap "echo got-$s" $s; done
echo up
while :; do sleep 0.1; done
SH
bundle b40 '["sh", "/sigtrap.sh"]'
create c40 b40
rt start c40
for _ in $(seq 1 $((LIMIT * 10))); do grep -q up "$W/c40.out" && break; sleep 0.1; done
for s in USR1 ABRT SEGV 37 64 CHLD; do
	rt kill c40 $s
	t_check "kill ID $s exits 0" 0 errlines:0
	for _ in $(seq 1 $((LIMIT * 10))); do grep -qx "got-$s" "$W/c40.out" && break; sleep 0.1; done
	grep -qx "got-$s" "$W/c40.out" && t_ok "kill ID $s reaches the trapping process" ||
		t_bad "kill ID $s reaches the trapping process" "out: $(cat "$W/c40.out")"
done
rt kill c40 0
t_check "kill ID 0 of a running container" 0 errlines:0
rt kill -a c40 0
t_check "kill -a ID 0 of a running container" 0 errlines:0
rt kill c40 SYS
t_check "kill ID SYS is refused, naming it" 1 'err:SIGSYS is not supported' errlines:1
# kill --all: every process in the container's cgroup, an exec'd one too
# (runc's); without --all only the container's process.
# The detached exec's relay keeps its own stdio (its shell reports the
# sleep that USR1 kills), apart from the checked commands'.
timeout "$LIMIT" "$MVRUN" --root "$ROOT" exec --detach c40 sh -c \
	'trap "echo x >/exec-got-usr1" USR1; echo >/exec-up; while :; do sleep 0.1; done' \
	>"$W/x40.out" 2>"$W/x40.err"
T_STATUS=$?; cp "$W/x40.out" "$T_OUT"; cp "$W/x40.err" "$T_ERR"
t_check "exec --detach a second trapping process" 0 errlines:0
for _ in $(seq 1 $((LIMIT * 10))); do [ -e "$W/rootfs/exec-up" ] && break; sleep 0.1; done
rt kill c40 USR1
for _ in $(seq 1 $((LIMIT * 10))); do [ "$(grep -cx got-USR1 "$W/c40.out")" = 2 ] && break; sleep 0.1; done
[ "$(grep -cx got-USR1 "$W/c40.out")" = 2 ] && [ ! -e "$W/rootfs/exec-got-usr1" ] &&
	t_ok "kill ID USR1 reaches the container's process, not the exec'd one" ||
	t_bad "kill ID USR1 reaches the container's process, not the exec'd one" "$(cat "$W/c40.out")"
rt kill --all c40 USR1
t_check "kill --all ID USR1" 0 errlines:0
for _ in $(seq 1 $((LIMIT * 10))); do [ -e "$W/rootfs/exec-got-usr1" ] && break; sleep 0.1; done
for _ in $(seq 1 $((LIMIT * 10))); do [ "$(grep -cx got-USR1 "$W/c40.out")" = 3 ] && break; sleep 0.1; done
[ "$(grep -cx got-USR1 "$W/c40.out")" = 3 ] && [ -e "$W/rootfs/exec-got-usr1" ] &&
	t_ok "kill --all ID USR1 reaches every process of the container, the exec'd one too" ||
	t_bad "kill --all ID USR1 reaches every process of the container, the exec'd one too" \
		"$(cat "$W/c40.out"; ls "$W/rootfs")"
rm -f "$W/rootfs/exec-up" "$W/rootfs/exec-got-usr1"
state_is c40 running && kill -0 "$(cat "$W/b40/c40.pid")" &&
	t_ok "mvm survives every signal and the container still runs" ||
	t_bad "mvm survives every signal and the container still runs" "$(cat "$T_OUT")"
rt kill c40 KILL
st=$(exited c40 b40)
[ "$st" = 137 ] && t_ok "then kill ID KILL ends it (137)" || t_bad "then kill ID KILL ends it (137)" "got $st"
rt kill c40 0
t_check "kill ID 0 of a stopped container" 1 'err:container not running' errlines:1
rt kill --all c40 TERM
t_check "kill --all of a stopped container: 0, as runc 1.1's" 0 errlines:0
rt delete c40
t_check "delete c40" 0 errlines:0
[ ! -e "$ROOT/c40" ] && t_ok "c40: nothing left" || t_bad "c40: nothing left" "$(ls "$ROOT")"

# --- start returns once the process has been executed --------------------------
# The startContainer hook runs in the guest between START and the process's
# execve; a slow one shows whether start waited for the process: the
# poststart hook (on the host, after start) must find the mark it made and
# the process running.
bundle b41 '["sleep", "1000"]' "
c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'sleep 3; touch /hook-done']}],
              'poststart': [{'path': '/bin/sh', 'args': ['sh', '-c',
                  '[ -e $W/rootfs/hook-done ] && echo mark >$W/poststart41; $MVRUN --root $ROOT exec c41 ps -o args >>$W/poststart41']}]}
"
create c41 b41
t_check "create c41" 0 errlines:0
rt start c41
t_check "start c41" 0 errlines:0
grep -qx mark "$W/poststart41" 2>/dev/null && t_ok "poststart runs after the guest's startContainer hook" ||
	t_bad "poststart runs after the guest's startContainer hook" "$(cat "$W/poststart41" 2>&1)"
grep -qx "sleep 1000" "$W/poststart41" 2>/dev/null && t_ok "poststart sees the process running" ||
	t_bad "poststart sees the process running" "$(cat "$W/poststart41" 2>&1)"
rt delete --force c41
t_check "delete --force c41" 0 errlines:0
[ ! -e "$ROOT/c41" ] && t_ok "c41: nothing left" || t_bad "c41: nothing left" "$(ls "$ROOT")"

# --- run ----------------------------------------------------------------------
bundle b6 '["sh", "-c", "echo via-run; exit 3"]'
rt run --bundle "$W/b6" c6
t_check "run waits and exits with the process's status" 3 'out:^via-run$'
[ ! -e "$ROOT/c6" ] && t_ok "run deletes the container after it exits" || t_bad "run deletes the container" "$(ls "$ROOT")"
# Without a pid namespace (with one, PID 1's own SIGKILL is ignored, as
# under runc: the process-tests suite has that).
bundle b7 '["sh", "-c", "kill -9 $$"]' "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
rt run --bundle "$W/b7" c7
t_check "run: a process killed by SIGKILL gives 137" 137
bundle b44 '["sh", "-c", "kill -9 $$; echo pid1-survives"]'
rt run --bundle "$W/b44" c44
t_check "run: PID 1 of a pid namespace survives its own kill -9, as under runc" 0 'out:^pid1-survives$'
[ ! -e "$ROOT/c7" ] && [ ! -e "$ROOT/c44" ] && t_ok "c7, c44: run deleted them" || t_bad "c7, c44: run deleted them" "$(ls "$ROOT")"

# A foreground run on the caller's terminal: the pty passes "\n" as is (ONLCR
# off), as runc's; the output has no "\r\n".
bundle b43 '["sh", "-c", "echo one; echo two"]' "c['process']['terminal'] = True"
t_exec "$LIMIT" python3 tests/oci/termrun.py "$MVRUN" --root "$ROOT" run --bundle "$W/b43" c43
t_check "run on the caller's terminal: status 0 and the output" 0 'out:one' 'out:two'
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(not (b"one\ntwo\n" in d and b"\r" not in d))' "$T_OUT" &&
	t_ok "run on the caller's terminal: no \\r\\n in the output (ONLCR off)" ||
	t_bad "run on the caller's terminal: no \\r\\n in the output (ONLCR off)" "$(od -An -c "$T_OUT" | head -n 3)"
[ ! -e "$ROOT/c43" ] && t_ok "c43: run deleted it" || t_bad "c43: run deleted it" "$(ls "$ROOT")"

# --- hooks, cgroup, sizing ----------------------------------------------------
bundle b8 '["sh", "-c", "grep MemTotal /proc/meminfo; nproc; hostname"]' "
c['hostname'] = 'hooked'
c['hooks'] = {'prestart': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $W/prestart.json']}],
              'poststart': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $W/poststart.json']}],
              'poststop': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $W/poststop.json']}]}
c['linux']['cgroupsPath'] = '/mvrun-test/c8'
c['linux']['resources'] = {'memory': {'limit': 300 * 1024 * 1024}, 'cpu': {'quota': 200000, 'period': 100000}}
"
create c8 b8
t_check "create with hooks, a cgroup and resources" 0 errlines:0
pid=$(cat "$W/b8/c8.pid" 2>/dev/null)
grep -q '/mvrun-test/c8' "/proc/$pid/cgroup" 2>/dev/null && t_ok "mvm is in linux.cgroupsPath" ||
	t_bad "mvm is in linux.cgroupsPath" "$(cat "/proc/$pid/cgroup" 2>&1)"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["id"]=="c8" and s["status"]=="creating" and s["pid"]>0, s' \
	"$W/prestart.json" 2>>"$T_ERR" && t_ok "prestart ran on the host with the state on stdin" ||
	t_bad "prestart ran on the host with the state on stdin" "$(cat "$W/prestart.json" 2>&1)"
rt start c8
st=$(exited c8 b8)
mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' "$W/c8.out")
[ "$st" = 0 ] && [ -n "$mem" ] && [ "$mem" -gt $((200 * 1024)) ] && [ "$mem" -le $((300 * 1024)) ] &&
	t_ok "a 300 MiB memory limit gives the guest about that ($mem kB)" ||
	t_bad "a 300 MiB memory limit gives the guest about that" "status $st, out $(cat "$W/c8.out")"
grep -qx 2 "$W/c8.out" && t_ok "a cpu quota of 2 gives 2 vCPUs" || t_bad "a cpu quota of 2 gives 2 vCPUs" "$(cat "$W/c8.out")"
grep -qx hooked "$W/c8.out" && t_ok "the hostname is set" || t_bad "the hostname is set" "$(cat "$W/c8.out")"
[ -s "$W/poststart.json" ] && t_ok "poststart ran" || t_bad "poststart ran" "no $W/poststart.json"
rt delete c8
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["status"]=="stopped", s' \
	"$W/poststop.json" 2>>"$T_ERR" && t_ok "poststop ran at delete with the stopped state" ||
	t_bad "poststop ran at delete with the stopped state" "$(cat "$W/poststop.json" 2>&1)"
[ ! -d /sys/fs/cgroup/mvrun-test/c8 ] && [ ! -d /sys/fs/cgroup/memory/mvrun-test/c8 ] &&
	t_ok "delete removes the cgroup" || t_bad "delete removes the cgroup" "still there"

# --- runc's default cgroup, and a cgroup that is not empty ---------------------
bundle b8d '["sleep", "60"]'
create c8d b8d
t_check "create without linux.cgroupsPath" 0 errlines:0
pid=$(cat "$W/b8d/c8d.pid" 2>/dev/null)
# runc's default: the caller's own cgroup (here the root) and the id.
grep -qE '^0::/c8d$' "/proc/$pid/cgroup" 2>/dev/null && [ -d /sys/fs/cgroup/c8d ] &&
	t_ok "without linux.cgroupsPath mvm is in runc's default cgroup, /ID" ||
	t_bad "without linux.cgroupsPath mvm is in runc's default cgroup, /ID" "$(cat "/proc/$pid/cgroup" 2>&1)"
rt start c8d
rt pause c8d
t_check "pause of a container created without linux.cgroupsPath" 0 errlines:0
state_is c8d paused && t_ok "it is paused" || t_bad "it is paused" "$(cat "$T_OUT")"
rt resume c8d
t_check "resume of it" 0 errlines:0
rt delete --force c8d
t_check "delete --force of it" 0 errlines:0
[ ! -d /sys/fs/cgroup/c8d ] && [ ! -e "$ROOT/c8d" ] && t_ok "delete removes the default cgroup and the state" ||
	t_bad "delete removes the default cgroup and the state" "$(ls -d /sys/fs/cgroup/c8d "$ROOT/c8d" 2>&1)"
mkdir -p /sys/fs/cgroup/mvrun-test/busy
sleep 120 &
busy=$!
echo "$busy" >/sys/fs/cgroup/mvrun-test/busy/cgroup.procs
bundle b8e '["true"]' "c['linux']['cgroupsPath'] = '/mvrun-test/busy'"
rt --log "$W/busy.log" create --bundle "$W/b8e" c8e
t_check "create in a cgroup that holds a process succeeds, as runc 1.1" 0 errlines:0
grep -q "c8e: the container's cgroup /mvrun-test/busy is not empty: 1 process(es) found" "$W/busy.log" 2>/dev/null &&
	t_ok "it warns that the cgroup is not empty, as runc 1.1" ||
	t_bad "it warns that the cgroup is not empty, as runc 1.1" "$(cat "$W/busy.log" 2>&1)"
echo "$busy" >/sys/fs/cgroup/cgroup.procs
kill "$busy"
rt delete --force c8e
t_check "delete --force of it" 0 errlines:0

# --- pause, resume, ps, update ------------------------------------------------
bundle b9 '["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"]' "
c['linux']['cgroupsPath'] = '/mvrun-test/c9'
c['linux']['resources'] = {'memory': {'limit': 200 * 1024 * 1024}}
"
create c9 b9
rt start c9
pid=$(cat "$W/b9/c9.pid" 2>/dev/null)
for _ in $(seq 1 300); do [ -s "$W/c9.out" ] && break; sleep 0.1; done
rt ps --format json c9
t_check "ps --format json lists mvm's pid" 0 "out:^\[([0-9]+,)*$pid(,[0-9]+)*\]$" errlines:0
rt ps c9
t_check "ps shows ps -ef's header and mvm's row" 0 'out:^UID +PID +PPID' "out:^[^ ]+ +$pid .*mvm" errlines:0
rt pause c9
t_check "pause" 0 errlines:0
state_is c9 paused && t_ok "state says paused" || t_bad "state says paused" "$(cat "$T_OUT")"
sleep 0.5; n1=$(wc -l <"$W/c9.out"); sleep 2; n2=$(wc -l <"$W/c9.out")
[ "$n1" = "$n2" ] && t_ok "a paused container makes no progress ($n1 lines)" ||
	t_bad "a paused container makes no progress" "$n1 then $n2 lines"
rt pause c9
t_check "pause twice" 1 'err:container "c9" is already paused' errlines:1
rt delete c9
t_check "delete of a paused container without --force" 1 'err:it is paused' errlines:1
rt resume c9
t_check "resume" 0 errlines:0
sleep 2; n3=$(wc -l <"$W/c9.out")
[ "$n3" -gt "$n2" ] && state_is c9 running && t_ok "after resume it runs again ($n2 -> $n3 lines)" ||
	t_bad "after resume it runs again" "$n2 then $n3 lines"
rt resume c9
t_check "resume of a running container" 1 'err:container "c9" is not paused' errlines:1
# Below the VM's RAM: the guest's cgroup holds the container to it, and
# mvm's host cgroup keeps what the VM has (200 MiB).
rt update --memory $((100 * 1024 * 1024)) c9
t_check "update: a memory limit below the VM's RAM goes to the guest" 0 errlines:0
lim=$(cat /sys/fs/cgroup/mvrun-test/c9/memory.max /sys/fs/cgroup/memory/mvrun-test/c9/memory.limit_in_bytes 2>/dev/null | head -n1)
[ "$lim" = 209715200 ] && t_ok "update: mvm's host cgroup keeps the VM's 200 MiB" ||
	t_bad "update: mvm's host cgroup keeps the VM's 200 MiB" "memory limit is '$lim'"
rt exec c9 cat /sys/fs/cgroup/memory.max
t_check "update: the container reads the new limit" 0 'out:^104857600$'
echo '{"memory": {"limit": 419430400}, "cpu": {"quota": 50000, "period": 100000}}' >"$W/res.json"
timeout "$LIMIT" "$MVRUN" --root "$ROOT" update --resources - c9 <"$W/res.json" >"$T_OUT" 2>"$T_ERR"
T_STATUS=$?
t_check "update --resources - (docker update)" 0 errlines:0
lim=$(cat /sys/fs/cgroup/mvrun-test/c9/memory.max /sys/fs/cgroup/memory/mvrun-test/c9/memory.limit_in_bytes 2>/dev/null | head -n1)
[ "$lim" = 419430400 ] && t_ok "update wrote the new memory limit to the cgroup" ||
	t_bad "update wrote the new memory limit to the cgroup" "memory limit is '$lim'"
rt pause c9
rt update --pids-limit 10 c9
t_check "update --pids-limit of a paused container is refused, naming why" 1 \
	'err:pids limit: container "c9" is paused' errlines:1
rt update --memory $((300 * 1024 * 1024)) c9
t_check "update --memory of a paused container is refused, naming why" 1 \
	'err:memory.max: container "c9" is paused' errlines:1
rt resume c9
rt pause c9
rt delete --force c9
t_check "delete --force of a paused container" 0 errlines:0
st=$(exited c9 b9)
[ "$st" = 137 ] && [ ! -e "$ROOT/c9" ] && t_ok "the paused VM is killed (137) and its state gone" ||
	t_bad "the paused VM is killed (137) and its state gone" "status $st"
rt pause c9
t_check "pause of an unknown id" 1 'err:container "c9" does not exist' errlines:1

# --- single-file bind mounts (what engines do for /etc/hosts and friends) ----
printf '10.1.2.3 filebind\n' >"$W/hosts"
printf 'read only\n' >"$W/ro.txt"
bundle b10 '["sh", "-c", "cat /etc/hosts /etc/ro.txt; echo guest-wrote >> /etc/hosts; echo x > /etc/ro.txt || echo ro-refused; ls /mvrun-files 2>&1; grep \" /var/tmp \" /proc/mounts"]' "
c['mounts'].append({'destination': '/etc/hosts', 'type': 'bind', 'source': '$W/hosts', 'options': ['rbind', 'rw']})
c['mounts'].append({'destination': '/etc/ro.txt', 'type': 'bind', 'source': '$W/ro.txt', 'options': ['bind', 'ro']})
c['mounts'].append({'destination': '/var/tmp', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['rw', 'nosuid', 'size=1m', 'tmpcopyup']})
"
create c10 b10
t_check "create with single-file binds" 0 errlines:0
ls -A "$ROOT/c10/files" "$ROOT/c10/files-ro" >"$W/stages" 2>&1
rt start c10
st=$(exited c10 b10)
[ "$st" = 0 ] && grep -qx '10.1.2.3 filebind' "$W/c10.out" && grep -qx 'read only' "$W/c10.out" &&
	t_ok "bound files are readable in the guest" || t_bad "bound files are readable in the guest" "status $st: $(cat "$W/c10.out" "$W/c10.err")"
grep -qx guest-wrote "$W/hosts" && t_ok "a write to a rw file bind reaches the host file" ||
	t_bad "a write to a rw file bind reaches the host file" "$(cat "$W/hosts")"
grep -q ro-refused "$W/c10.out" && [ "$(cat "$W/ro.txt")" = "read only" ] &&
	t_ok "a ro file bind refuses writes" || t_bad "a ro file bind refuses writes" "$(cat "$W/c10.out" "$W/ro.txt")"
grep -q 'No such file' "$W/c10.out" && t_ok "the staged shares are not visible in the container" ||
	t_bad "the staged shares are not visible in the container" "$(cat "$W/c10.out")"
[ "$(tr '\n' ' ' <"$W/stages")" = "$ROOT/c10/files: f0  $ROOT/c10/files-ro: f1 " ] &&
	t_ok "the staging directories hold only the staged files" || t_bad "the staging directories hold only the staged files" "$(cat "$W/stages")"
grep -qE '^tmpfs /var/tmp tmpfs rw,nosuid,nodev,.*size=1024k' "$W/c10.out" && t_ok "a tmpfs elsewhere is the guest's own, with its options" ||
	t_bad "a tmpfs elsewhere is the guest's own, with its options" "$(cat "$W/c10.out")"
[ ! -s "$ROOT/c10/files/f0" ] && t_ok "the host's view of a stage is the empty file (the bind is mvm's own)" ||
	t_bad "the host's view of a stage is the empty file" "$(cat "$ROOT/c10/files/f0")"
rt delete c10
t_check "delete after single-file binds" 0 errlines:0
[ ! -e "$ROOT/c10" ] && t_ok "delete removes the state directory and its stages" ||
	t_bad "delete removes the state directory and its stages" "$(ls -AR "$ROOT/c10")"
rt run --bundle "$W/b10" c10r
t_check "run with single-file binds" 0 'out:^10\.1\.2\.3 filebind$'
[ ! -e "$ROOT/c10r" ] && t_ok "run leaves no state directory after single-file binds" ||
	t_bad "run leaves no state directory after single-file binds" "$(ls -AR "$ROOT/c10r")"

# --- a state path longer than a unix socket address (dockerd's: --root
# <exec-root>/runtime-runc/moby and 64-character ids) ------------------------
LONGROOT=$W/$(printf 'r%.0s' $(seq 1 60))/runtime-runc/moby
LONGID=$(printf '%064x' 12345)
bundle b11 '["sh", "-c", "echo long-path-ok"]'
python3 tests/oci/subreaper.py "$W/long.log" "$MVRUN" --root "$LONGROOT" create --bundle "$W/b11" \
	--pid-file "$W/b11/long.pid" "$LONGID" </dev/null >"$W/long.out" 2>"$W/long.err" &
for _ in $(seq 1 $((LIMIT * 10))); do grep -q '^cmd ' "$W/long.log" 2>/dev/null && break; sleep 0.1; done
T_STATUS=$(sed -n 's/^cmd //p' "$W/long.log"); cp "$W/long.err" "$T_ERR"; : >"$T_OUT"
t_check "create under a --root whose ctl.sock is longer than sun_path" 0 errlines:0
t_exec "$LIMIT" "$MVRUN" --root "$LONGROOT" start "$LONGID"
t_check "start reaches mvm's control socket on the long path" 0 errlines:0
for _ in $(seq 1 $((LIMIT * 10))); do grep -q long-path-ok "$W/long.out" && break; sleep 0.1; done
grep -qx long-path-ok "$W/long.out" && t_ok "the process ran" || t_bad "the process ran" "$(cat "$W/long.out" "$W/long.err")"
t_exec "$LIMIT" "$MVRUN" --root "$LONGROOT" delete --force "$LONGID"

# --- confinement in the guest (begin: confine) ------------------------------
# mvrun spec's config is runc's: three capabilities (also ambient, which the
# kernel refuses without inheritable, as under runc), no_new_privs, NOFILE
# 1024, masked and read-only paths. Plus a masked file and directory the
# guest surely has.
bundle b20 '["sh", "-c", "grep -E \"^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):\" /proc/self/status; ulimit -n; id; echo [$(cat /proc/cmdline)]; echo [$(ls /sys/kernel)]; echo 1 > /proc/sys/kernel/hostname || echo sysctl-ro; mount -t tmpfs none /mnt || echo mount-refused"]' "
c['linux']['maskedPaths'] += ['/proc/cmdline', '/sys/kernel']
"
rt run --bundle "$W/b20" c20
t_check "runc's default spec: its capabilities, no_new_privs, NOFILE 1024" 0 \
	'out:^CapEff:[[:space:]]+0000000020000420$' 'out:^CapBnd:[[:space:]]+0000000020000420$' \
	'out:^CapPrm:[[:space:]]+0000000020000420$' 'out:^CapAmb:[[:space:]]+0000000000000000$' \
	'out:^NoNewPrivs:[[:space:]]+1$' 'out:^Seccomp:[[:space:]]+0$' 'out:^1024$' 'out:^uid=0\(root\) gid=0\(root\)'
t_check "masked paths: a file reads empty, a directory is empty" 0 'out:^\[\]$' '!out:\[.+\]'
t_check "read-only paths: /proc/sys refuses writes" 0 'err:Read-only file system' 'out:^sysctl-ro$'
t_check "without CAP_SYS_ADMIN mount is refused" 0 'out:^mount-refused$'

# A user with groups and a umask, rlimits, sysctl, domainname, a device,
# and an ambient capability for the non-root user.
bundle b21 '["sh", "-c", "id; umask; ulimit -n; ulimit -Hn; cat /proc/sys/fs/mqueue/msg_max /proc/sys/kernel/domainname /proc/sys/net/ipv4/ping_group_range; ls -ln /dev/mvrun-fuse; grep -E \"^(CapEff|CapAmb|NoNewPrivs):\" /proc/self/status"]' "
c['process']['user'] = {'uid': 1000, 'gid': 1000, 'additionalGids': [10, 20], 'umask': 0o027}
c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 123, 'hard': 456}]
c['process']['noNewPrivileges'] = False
caps = ['CAP_NET_BIND_SERVICE']
c['process']['capabilities'] = {k: caps for k in ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']}
c['domainname'] = 'example.test'
c['linux']['sysctl'] = {'fs.mqueue.msg_max': '80', 'net.ipv4.ping_group_range': '0 2147483647'}
c['linux']['devices'] = [{'path': '/dev/mvrun-fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 0o600, 'uid': 1000, 'gid': 0}]
"
rt run --bundle "$W/b21" c21
t_check "user, groups, umask and rlimits" 0 'out:^uid=1000 gid=1000 groups=10(\([a-z]+\))?,20(\([a-z]+\))?$' 'out:^0027$' \
	'out:^123$' 'out:^456$'
# net.* sysctls land in the process's own network namespace (here one with
# only lo, made at start), not mvinit's.
t_check "sysctl (net.* too) and domainname are set in the guest" 0 'out:^80$' 'out:^example.test$' \
	'out:^0[[:space:]]+2147483647$'
t_check "linux.devices: the node is made with its mode and owner" 0 'out:^crw------- +1 1000 +0 +10, +229 .*/dev/mvrun-fuse$'
t_check "a non-root user keeps an ambient capability, no no_new_privs" 0 \
	'out:^CapEff:[[:space:]]+0000000000000400$' 'out:^CapAmb:[[:space:]]+0000000000000400$' \
	'out:^NoNewPrivs:[[:space:]]+0$'

# Seccomp without no_new_privs (installed before the caps are dropped, as
# runc does), all capabilities: an errno rule, an argument rule that refuses
# only unshare(CLONE_NEWUSER), and a KILL_PROCESS rule.
ALLCAPS="['CAP_' + n for n in 'CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP SYS_ADMIN SYS_CHROOT MKNOD'.split()]"
bundle b22 '["sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/x || echo mkdir-refused; unshare -U true || echo userns-refused; unshare -u true && echo uts-allowed; sleep 30 & wait"]' "
c['process']['noNewPrivileges'] = False
c['process']['capabilities'] = {k: $ALLCAPS for k in ['bounding', 'effective', 'permitted']}
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
  'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},
               {'names': ['unshare'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 0x10000000, 'valueTwo': 0x10000000, 'op': 'SCMP_CMP_MASKED_EQ'}]},
               {'names': ['sync', 'no_such_syscall'], 'action': 'SCMP_ACT_KILL_PROCESS'}]}
"
create c22 b22
rt start c22
for _ in $(seq 1 $((LIMIT * 10))); do grep -q uts-allowed "$W/c22.out" 2>/dev/null && break; sleep 0.1; done
cp "$W/c22.out" "$T_OUT"; cp "$W/c22.err" "$T_ERR"; T_STATUS=0
t_check "seccomp: the profile is installed" 0 'out:^Seccomp:[[:space:]]+2$'
t_check "seccomp: SCMP_ACT_ERRNO with errnoRet" 0 'out:^mkdir-refused$' 'err:Permission denied'
t_check "seccomp: an argument rule refuses unshare -U but not unshare -u" 0 'out:^userns-refused$' 'out:^uts-allowed$'
rt exec c22 sh -c 'grep -E "^(Seccomp|CapEff):" /proc/self/status; mkdir /tmp/y || echo exec-mkdir-refused'
t_check "exec: the container's seccomp and capabilities" 0 'out:^Seccomp:[[:space:]]+2$' \
	'out:^CapEff:[[:space:]]+00000000082401ff$' 'out:^exec-mkdir-refused$'
cat >"$W/proc22.json" <<'JSON'
{"args": ["sh", "-c", "grep -E '^(CapEff|NoNewPrivs):' /proc/self/status; ulimit -n"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"],
 "user": {"uid": 0, "gid": 0}, "noNewPrivileges": true, "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 77}],
 "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}
JSON
rt exec --process "$W/proc22.json" c22
t_check "exec --process: its own capabilities, no_new_privs and rlimits" 0 \
	'out:^CapEff:[[:space:]]+0000000000000020$' 'out:^NoNewPrivs:[[:space:]]+1$' 'out:^77$'
rt exec c22 sync
t_check "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS" 159
rt delete --force c22

# tmpcopyup: a tmpfs over /etc starts with the image's /etc; writes stay in it.
bundle b23 '["sh", "-c", "grep \" /etc \" /proc/mounts; cat /etc/group; ls -ln /etc/group; echo new > /etc/new-file && cat /etc/new-file"]' "
c['mounts'].append({'destination': '/etc', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'tmpcopyup', 'mode=755']})
"
rt run --bundle "$W/b23" c23
t_check "tmpcopyup: the tmpfs holds a copy of the image's directory" 0 'out:^tmpfs /etc tmpfs' 'out:^root:x:0:' \
	'out:^-rw-r--r-- +1 0 +0 .*/etc/group$' 'out:^new$'
[ ! -e "$W/rootfs/etc/new-file" ] && t_ok "tmpcopyup: writes stay in the tmpfs" ||
	t_bad "tmpcopyup: writes stay in the tmpfs" "$(ls "$W/rootfs/etc")"

# exec into a created container (runc allows it): it runs before start.
bundle b24 '["sh", "-c", "cat /tmp/marker"]'
create c24 b24
rt exec c24 sh -c 'echo made-before-start > /tmp/marker; echo exec-in-created'
t_check "exec into a created, not started container" 0 'out:^exec-in-created$' errlines:0
state_is c24 created && t_ok "the container is still created after the exec" ||
	t_bad "the container is still created after the exec" "$(cat "$T_OUT")"
rt start c24
st=$(exited c24 b24)
[ "$st" = 0 ] && grep -qx made-before-start "$W/c24.out" && t_ok "start then runs the process, which sees what the exec did" ||
	t_bad "start then runs the process, which sees what the exec did" "status $st: $(cat "$W/c24.out" "$W/c24.err")"
rt delete c24

# /dev as runc makes it: a tmpfs with the default nodes, not the VM's own
# devices; linux.devices in it; linux.resources.devices enforced (the guest's
# cgroup v1 devices controller) for the process and for an exec. A
# linux.devices entry at a default's path (/dev/null) drops runc's default
# rule for it; mknod of any device stays allowed (runc's "b *:* m"), opening
# one without a rule is not.
bundle b25 '["sh", "-c", "echo [$(ls /dev)]; ls -ln /dev/kmsg2; echo hi > /dev/kmsg2 && echo kmsg-written; head -c1 /dev/mem2 || echo mem-denied; cat /dev/null || echo null-denied; head -c 5 /dev/zero | wc -c; mknod /dev/sdx b 8 0 && echo mknod-ok; head -c1 /dev/sdx || echo blk-denied; exec sleep 60"]' "
c['process']['capabilities'] = {k: ['CAP_MKNOD', 'CAP_KILL'] for k in ['bounding', 'effective', 'permitted']}
c['linux']['devices'] = [{'path': '/dev/kmsg2', 'type': 'c', 'major': 1, 'minor': 11, 'fileMode': 0o620, 'uid': 1000, 'gid': 0},
  {'path': '/dev/mem2', 'type': 'c', 'major': 1, 'minor': 1}, {'path': '/dev/null', 'type': 'c', 'major': 1, 'minor': 3}]
c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'c', 'major': 1, 'minor': 11, 'access': 'rw'}]}
"
create c25 b25
rt start c25
for _ in $(seq 1 $((LIMIT * 10))); do grep -q blk-denied "$W/c25.out" 2>/dev/null && break; sleep 0.1; done
cp "$W/c25.out" "$T_OUT"; cp "$W/c25.err" "$T_ERR"; T_STATUS=0
t_check "/dev: the default nodes and links, linux.devices, not the VM's devices" 0 \
	'out:^\[fd full kmsg2 mem2 mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero\]$'
t_check "linux.devices: made with its mode and owner" 0 'out:^crw--w---- +1 1000 +0 +1, +11 .*/dev/kmsg2$'
t_check "resources.devices: an allowed device opens, a default one too" 0 'out:^kmsg-written$' 'out:^5$'
t_check "resources.devices: a device without a rule cannot be opened (EPERM)" 0 'out:^mem-denied$' \
	'err:/dev/mem2: Operation not permitted' 'out:^null-denied$' 'err:/dev/null.*Operation not permitted'
t_check "resources.devices: mknod of a block device is allowed (as runc), opening it is not" 0 \
	'out:^mknod-ok$' 'out:^blk-denied$' 'err:/dev/sdx: Operation not permitted'
rt exec c25 sh -c 'head -c1 /dev/mem2 || echo exec-mem-denied; echo x > /dev/kmsg2 && echo exec-kmsg-written'
t_check "exec: the container's device rules hold" 0 'out:^exec-mem-denied$' 'out:^exec-kmsg-written$' \
	'err:/dev/mem2: Operation not permitted'
rt delete --force c25

# The config's own /dev tmpfs options, but its mode is the image's /dev's
# (755), as runc gives a tmpfs the mode of the directory it covers; with a
# terminal, /dev/console is the process's pty (as runc binds it).
bundle b26 '["sh", "-c", "stat -c %a /dev; df -k /dev | tail -n 1; stat -L -c %t:%T /dev/console /proc/self/fd/0"]' "
c['process']['terminal'] = True
for m in c['mounts']:
    if m['destination'] == '/dev':
        m['options'] = ['nosuid', 'strictatime', 'mode=711', 'size=1024k']
"
rm -f "$W/con26.sock"
CONSOLE_UNTIL_HUP=1 python3 tests/oci/console.py "$W/con26.sock" '' "$MVRUN" --root "$ROOT" create \
	--console-socket "$W/con26.sock" --bundle "$W/b26" c26 >"$W/c26.tty" 2>"$W/c26.err" &
con=$!
for _ in $(seq 1 $((LIMIT * 2))); do state_is c26 created && break; sleep 0.5; done
rt start c26
wait $con
T_STATUS=$?
cp "$W/c26.tty" "$T_OUT"; cp "$W/c26.err" "$T_ERR"
t_check "the config's /dev tmpfs: its size, the mode of the image's /dev (runc's)" 0 'out:^755' \
	'out:^tmpfs +1024 '
python3 -c 'import re, sys
l = re.findall(rb"^([0-9a-f]+:[0-9a-f]+)\r?$", open(sys.argv[1], "rb").read(), re.M)
sys.exit(not (len(l) == 2 and l[0] == l[1] and l[0].startswith(b"88:")))' "$T_OUT" &&
	t_ok "terminal: /dev/console is the process's pty" ||
	t_bad "terminal: /dev/console is the process's pty" "$(cat "$T_OUT")"
rt delete --force c26
# --- (end: confine) ----------------------------------------------------------

# --- events, --debug and --log, runc's device access strings and ENOSYS stub -
# events --stats: one runc stats line from mvm's host cgroup; events
# --interval: a line per interval until the container stops.
bundle b30 '["sh", "-c", "echo up; while :; do sleep 0.1; done"]' "
c['linux']['cgroupsPath'] = '/mvrun-test/c30'
c['linux']['resources'] = {'memory': {'limit': 200 * 1024 * 1024}, 'pids': {'limit': 100}}
"
create c30 b30
rt start c30
for _ in $(seq 1 $((LIMIT * 10))); do grep -q up "$W/c30.out" 2>/dev/null && break; sleep 0.1; done
rt events --stats c30
if [ "$T_STATUS" = 0 ] && [ "$(wc -l <"$T_OUT")" = 1 ] && python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).read())
assert list(e) == ["type", "id", "data"] and e["type"] == "stats" and e["id"] == "c30", e
d = e["data"]
assert list(d)[:5] == ["cpu", "cpuset", "memory", "pids", "blkio"], list(d)
assert d["memory"]["usage"]["limit"] == 200 * 1024 * 1024 and d["memory"]["usage"]["usage"] > 0, d["memory"]["usage"]
assert d["cpu"]["usage"]["total"] > 0 and d["pids"]["current"] >= 1, d
' "$T_OUT" 2>>"$T_ERR" && [ ! -s "$T_ERR" ]; then
	t_ok "events --stats: one runc stats line from the container's cgroup"
else
	t_bad "events --stats: one runc stats line from the container's cgroup" "bad output"
fi
"$MVRUN" --root "$ROOT" events --interval 200ms c30 >"$W/ev30.out" 2>"$W/ev30.err" &
ev=$!
for _ in $(seq 1 $((LIMIT * 10))); do [ "$(wc -l <"$W/ev30.out")" -ge 2 ] && break; sleep 0.1; done
rt kill c30 KILL
for _ in $(seq 1 $((LIMIT * 10))); do kill -0 $ev 2>/dev/null || break; sleep 0.1; done
kill $ev 2>/dev/null && T_STATUS=running || { wait $ev; T_STATUS=$?; }
cp "$W/ev30.out" "$T_OUT"; cp "$W/ev30.err" "$T_ERR"
if [ "$T_STATUS" = 0 ] && [ ! -s "$T_ERR" ] && python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
assert len(l) >= 2 and all(e["type"] == "stats" and e["id"] == "c30" and "memory" in e["data"] for e in l), l
' "$T_OUT" 2>>"$T_ERR"; then
	t_ok "events --interval: a stats line per interval, exit 0 when the container stops"
else
	t_bad "events --interval: a stats line per interval, exit 0 when the container stops" "status $T_STATUS"
fi
exited c30 b30 >/dev/null
rt events --stats c30
t_check "events of a stopped container fails as runc's" 1 'err:container with id c30 is not running' errlines:1
rt delete c30
t_check "delete c30" 0 errlines:0
[ ! -e "$ROOT/c30" ] || t_bad "delete c30 leaves nothing" "$(ls "$ROOT")"

# --debug --log for run and exec: runc's debug lines in the log, the
# container's stdio untouched.
bundle b31 '["sh", "-c", "echo via-run"]'
rt --debug --log "$W/run31.log" run --bundle "$W/b31" c31
t_check "run --debug --log: the process runs, stderr stays the container's" 0 'out:^via-run$' errlines:0
if grep -qE '^time="[^"]+" level=debug msg="mvrun [^ ]+: run --bundle [^ ]+ c31 \(root [^)]+\)"$' "$W/run31.log" &&
	tail -n 1 "$W/run31.log" | grep -qE '^time="[^"]+" level=debug msg="run: exit status 0"$'; then
	t_ok "run --debug --log: runc's text debug lines in the log"
else
	t_bad "run --debug --log: runc's text debug lines in the log" "$(cat "$W/run31.log" 2>&1)"
fi
[ ! -e "$ROOT/c31" ] || t_bad "run c31 leaves nothing" "$(ls "$ROOT")"
bundle b32 '["sleep", "1000"]'
create c32 b32
rt start c32
rt --debug --log "$W/exec32.json" --log-format json exec c32 echo exec-out
t_check "exec --debug --log: the exec runs" 0 'out:^exec-out$' errlines:0
python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
assert l and all(x["level"] == "debug" for x in l) and l[-1]["msg"] == "exec: exit status 0", l
assert l[0]["msg"].endswith("exec c32 echo exec-out (root %s)" % sys.argv[2]), l
' "$W/exec32.json" "$ROOT" 2>>"$T_ERR" && t_ok "exec --debug --log-format json: runc's json debug lines" ||
	t_bad "exec --debug --log-format json: runc's json debug lines" "$(cat "$W/exec32.json" 2>&1)"
rt --debug exec c32 true
t_check "exec --debug without --log: debug lines on stderr" 0 \
	'err:^time="[^"]+" level=debug msg="exec: exit status 0"$'
rt delete --force c32
t_check "delete --force c32" 0 errlines:0

# Device access strings as runc reads them: "rwa" is rw.
bundle b33 '["sh", "-c", "echo x > /dev/kmsg2 && echo kmsg-written; head -c1 /dev/zero | wc -c"]' "
c['linux']['devices'] = [{'path': '/dev/kmsg2', 'type': 'c', 'major': 1, 'minor': 11, 'fileMode': 0o620}]
c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'c', 'major': 1, 'minor': 11, 'access': 'wra'}]}
"
rt run --bundle "$W/b33" c33
t_check "resources.devices: access \"wra\" (runc: rw) lets the device be written" 0 'out:^kmsg-written$' 'out:^1$'
[ ! -e "$ROOT/c33" ] || t_bad "run c33 leaves nothing" "$(ls "$ROOT")"

# runc's ENOSYS stub in the guest: an allowlist of every call below unshare
# (272) but sethostname: sethostname gets the default (EPERM), unshare,
# newer than the profile, ENOSYS.
if [ -r /usr/include/x86_64-linux-gnu/asm/unistd_64.h ]; then
	names=$(awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 + 0 < 272 && $2 != "__NR_sethostname" {
		sub(/^__NR_/, "", $2); printf "%s\"%s\"", n++ ? ", " : "", $2 }' /usr/include/x86_64-linux-gnu/asm/unistd_64.h)
	bundle b34 '["sh", "-c", "hostname h34; unshare -u true; echo done"]' "
c['process']['capabilities'] = {k: ['CAP_SYS_ADMIN'] for k in ['bounding', 'effective', 'permitted']}
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': ['SCMP_ARCH_X86_64'],
  'syscalls': [{'names': [$names], 'action': 'SCMP_ACT_ALLOW'}]}
"
	rt run --bundle "$W/b34" c34
	t_check "seccomp: a call the allowlist omits gets the default (EPERM)" 0 'out:^done$' \
		'err:hostname.*Operation not permitted'
	t_check "seccomp: a call newer than the profile gets ENOSYS (runc's stub)" 0 \
		'err:unshare.*Function not implemented'
	[ ! -e "$ROOT/c34" ] || t_bad "run c34 leaves nothing" "$(ls "$ROOT")"
else
	t_skip "seccomp: the ENOSYS stub in the guest" "no asm/unistd_64.h to list the calls"
fi

t_summary oci-lifecycle
