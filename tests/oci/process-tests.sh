#!/bin/bash
# What mvinit applies to each process and the container beyond the basic
# confinement (lifecycle-tests.sh has that): process.oomScoreAdj, runc exec's
# overrides (--cap, --additional-gids, --ignore-paused, and what cannot be
# done), the pids cgroup, the hooks that run in the container, nosuid,
# nodev and noexec on bind mounts, the user namespace (id maps) and the PID
# namespace (the process its PID 1, as under runc). Real guests boot here: run it through
# tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ociproc . tests/oci/lib.sh

# wait_out ID REGEX: until the container's stdout matches (LIMIT seconds).
wait_out() {
	for _ in $(seq 1 $((LIMIT * 10))); do grep -qE "$2" "$W/$1.out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# --- process.oomScoreAdj: the process and each exec, as runc -----------------
bundle b1 '["sh", "-c", "echo oom=$(cat /proc/self/oom_score_adj); while :; do sleep 1; done"]' "
c['process']['oomScoreAdj'] = 123
c['linux']['cgroupsPath'] = '/mvrun-proc-test/c1'
"
create c1 b1
rt start c1
wait_out c1 '^oom='
cp "$W/c1.out" "$T_OUT"; cp "$W/c1.err" "$T_ERR"; T_STATUS=0
t_check "oomScoreAdj: the process reads its value from /proc/self/oom_score_adj" 0 'out:^oom=123$'
rt exec c1 cat /proc/self/oom_score_adj
t_check "oomScoreAdj: an exec'd process gets the container's" 0 'out:^123$' errlines:0
cat >"$W/proc1.json" <<'JSON'
{"args": ["cat", "/proc/self/oom_score_adj"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"],
 "user": {"uid": 0, "gid": 0}, "oomScoreAdj": -500}
JSON
rt exec --process "$W/proc1.json" c1
t_check "oomScoreAdj: exec --process with its own (negative) value" 0 'out:^-500$' errlines:0

# --- runc exec's overrides ----------------------------------------------------
# mvrun spec's capabilities are runc's three (0x20000420), without an
# inheritable set, so --cap adds no ambient capability (runc's rule).
rt exec --cap CAP_NET_ADMIN -c CAP_SYS_TIME c1 grep -E '^Cap(Eff|Bnd|Amb):' /proc/self/status
t_check "exec --cap adds to the bounding, effective and permitted sets" 0 \
	'out:^CapEff:[[:space:]]+0000000022001420$' 'out:^CapBnd:[[:space:]]+0000000022001420$' \
	'out:^CapAmb:[[:space:]]+0000000000000000$' errlines:0
rt exec c1 grep '^CapEff:' /proc/self/status
t_check "without --cap the container's capabilities" 0 'out:^CapEff:[[:space:]]+0000000020000420$'
rt exec --cap CAP_BOGUS c1 true
t_check "exec --cap with an unknown name is refused" 1 'err:--cap CAP_BOGUS: not a capability name' errlines:1
rt exec --additional-gids 10 -g 20,30 c1 id -G
t_check "exec --additional-gids (repeated, or a list)" 0 'out:^0 10 20 30$' errlines:0
rt exec --no-new-privs c1 grep '^NoNewPrivs:' /proc/self/status
t_check "exec --no-new-privs" 0 'out:^NoNewPrivs:[[:space:]]+1$'
rt exec --preserve-fds 2 c1 true
t_check "exec --preserve-fds N is refused: host fds cannot reach the VM" 1 \
	'err:--preserve-fds 2: host fds cannot be passed into the VM' errlines:1
t_exec "$LIMIT" "$MVRUN" --root "$ROOT" --log "$W/exec.log" exec --apparmor unconfined --process-label x c1 echo labelled
t_check "exec --apparmor and --process-label run the process" 0 'out:^labelled$' errlines:0
grep -q 'apparmor profile unconfined ignored (the guest has no AppArmor)' "$W/exec.log" &&
	grep -q 'process label x ignored (the guest has no SELinux)' "$W/exec.log" &&
	t_ok "and say in --log that the guest has no AppArmor or SELinux" ||
	t_bad "and say in --log that the guest has no AppArmor or SELinux" "$(cat "$W/exec.log")"
rt pause c1
rt exec c1 echo never
t_check "exec into a paused container is refused, naming --ignore-paused" 255 \
	'err:cannot exec in a paused container \(use --ignore-paused to override\)' errlines:1
timeout "$LIMIT" "$MVRUN" --root "$ROOT" exec --ignore-paused c1 echo after-resume >"$W/ip.out" 2>"$W/ip.err" &
ip=$!
sleep 1
rt resume c1
wait "$ip"; T_STATUS=$?
cp "$W/ip.out" "$T_OUT"; cp "$W/ip.err" "$T_ERR"
t_check "exec --ignore-paused into a paused container runs once it is resumed" 0 'out:^after-resume$' errlines:0
rt delete --force c1

# --- linux.resources.pids.limit: the container's pids cgroup in the guest --
# The process forks nothing once up (exec sleep): a loop forking at the limit
# would race the exec's fork loop for the last pid and die.
bundle b2 '["sh", "-c", "cat /proc/self/cgroup; echo up; exec sleep 1000"]' "
c['linux']['resources'] = {'pids': {'limit': 20}}
"
create c2 b2
rt start c2
wait_out c2 '^up$'
cp "$W/c2.out" "$T_OUT"; cp "$W/c2.err" "$T_ERR"; T_STATUS=0
# cgroup v2, namespaced at the container's cgroup (devices stays on v1).
t_check "cgroup: the process sees its own cgroup as the root (0::/)" 0 'out:^0::/$' '!out:/c$'
rt exec c2 cat /proc/self/cgroup /sys/fs/cgroup/pids.max
t_check "cgroup: an exec'd process too, with pids.max 20 at /sys/fs/cgroup" 0 'out:^0::/$' 'out:^20$'
rt exec c2 sh -c 'for i in $(seq 1 40); do sleep 60 & done; echo loop-done'
t_check "pids: with pids.limit 20, forking 40 background sleeps fails (the shell gives up)" 2 \
	'err:can.t fork: Resource temporarily unavailable' '!out:loop-done'
rt exec c2 echo still-answers
t_check "pids: the container still answers" 0 'out:^still-answers$'
rt update --pids-limit 100 c2
t_check "update --pids-limit on the running container" 0 errlines:0
rt exec c2 sh -c 'for i in $(seq 1 40); do sleep 60 & done; echo forked-40'
t_check "pids: after update the same loop forks them all" 0 'out:^forked-40$' errlines:0
# As runc's update: -1 lifts the limit ("max").
rt update --pids-limit 10 c2
rt exec c2 sh -c 'for i in $(seq 1 40); do sleep 600 & done; echo loop-done'
t_check "pids: lowered to 10 by update, the loop fails again" 2 '!out:loop-done'
rt update --pids-limit -1 c2
t_check "update --pids-limit -1 lifts the limit" 0 errlines:0
rt exec c2 sh -c 'for i in $(seq 1 40); do sleep 600 & done; echo forked-40'
t_check "pids: without a limit the loop forks them all" 0 'out:^forked-40$' errlines:0
rt exec c2 cat /sys/fs/cgroup/pids.max
t_check "cgroup: update's pids limit is what the container reads" 0 'out:^max$'
rt delete --force c2
t_check "pids: delete --force" 0 errlines:0
[ ! -e "$ROOT/c2" ] && t_ok "pids: nothing left" || t_bad "pids: nothing left" "$(ls -A "$ROOT")"

# --- the container's cgroup v2 in the guest: the limits runtimes size from ---
bundle b16 '["sh", "-c", "cd /sys/fs/cgroup && for f in memory.max memory.low memory.high cpu.max cpu.weight pids.max cpuset.cpus; do echo $f=$(cat $f); done; grep \" /sys/fs/cgroup \" /proc/mounts; echo 1 > /sys/fs/cgroup/pids.max || echo ro-refused; echo up; exec sleep 1000"]' "
c['linux']['resources'] = {'memory': {'limit': 100 * 1024 * 1024, 'reservation': 50 * 1024 * 1024},
                           'cpu': {'quota': 50000, 'period': 100000, 'shares': 1024},
                           'pids': {'limit': 30}, 'unified': {'memory.high': '90000000'}}
"
create c16 b16
rt start c16
wait_out c16 '^up$'
cp "$W/c16.out" "$T_OUT"; cp "$W/c16.err" "$T_ERR"; T_STATUS=0
t_check "cgroup: memory, cpu and pids limits in the container's /sys/fs/cgroup" 0 \
	'out:^memory.max=104857600$' 'out:^memory.low=52428800$' 'out:^memory.high=89997312$' \
	'out:^cpu.max=50000 100000$' 'out:^cpu.weight=39$' 'out:^pids.max=30$' \
	'out:^cgroup2? /sys/fs/cgroup cgroup2 ro,' 'out:^ro-refused$'
# Below the VM's own RAM: the guest's cgroup takes it, mvm's keeps the VM's.
rt update --memory $((48 * 1024 * 1024)) --cpu-quota 20000 c16
t_check "update --memory below the VM's RAM" 0 errlines:0
rt exec c16 cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max
t_check "update: the container reads the new memory.max and cpu.max" 0 'out:^50331648$' \
	'out:^20000 100000$' errlines:0
echo '{"unified": {"memory.high": "40000000"}}' >"$W/res16.json"
rt update --resources "$W/res16.json" c16
t_check "update --resources with unified keys" 0 errlines:0
rt exec c16 cat /sys/fs/cgroup/memory.high
t_check "update: unified memory.high applied" 0 'out:^39997440$'
echo '{"unified": {"memory.nope": "1"}}' >"$W/res16.json"
rt update --resources "$W/res16.json" c16
t_check "update: an unknown unified key fails naming it" 1 'err:memory.nope' errlines:1
rt delete --force c16
t_check "cgroup: delete --force" 0 errlines:0

# A unified key the guest kernel has no file for fails create, naming it.
bundle b17 '["true"]' "
c['linux']['resources'] = {'unified': {'memory.nope': '1'}}
"
create c17 b17
t_check "cgroup: an unknown unified key fails create, naming it" 1 'err:memory.nope' errlines:1
rt delete --force c17
[ ! -e "$ROOT/c17" ] && t_ok "cgroup: the failed create leaves nothing" || t_bad "cgroup: the failed create leaves nothing" "$(ls -A "$ROOT")"

# --- a memory limit below what a VM needs (runc's tests use 32 MiB) --------
# busybox dd reads a whole block into one buffer: bs=48M touches 48 MiB,
# which the 64 MiB VM can hand out but the container's cgroup cannot.
bundle b18 '["dd", "if=/dev/zero", "of=/dev/null", "bs=48M", "count=1"]' "
c['linux']['resources'] = {'memory': {'limit': 32 * 1024 * 1024}}
"
create c18 b18
t_check "memory: a 32 MiB limit is accepted" 0 errlines:0
rt start c18
st=$(exited c18 b18)
[ "$st" = 137 ] && t_ok "memory: past its 32 MiB the process is OOM-killed in the guest (137)" ||
	t_bad "memory: past its 32 MiB the process is OOM-killed in the guest (137)" "status $st: $(cat "$W/c18.err")"
rt delete c18
t_check "memory: delete after the OOM kill" 0 errlines:0
bundle b19 '["dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"]' "
c['linux']['resources'] = {'memory': {'limit': 32 * 1024 * 1024}}
"
create c19 b19
rt start c19
st=$(exited c19 b19)
[ "$st" = 0 ] && t_ok "memory: under its 32 MiB limit the process runs (0)" ||
	t_bad "memory: under its 32 MiB limit the process runs (0)" "status $st: $(cat "$W/c19.err")"
rt delete c19
t_check "memory: delete" 0 errlines:0
[ ! -e "$ROOT/c18" ] && [ ! -e "$ROOT/c19" ] && t_ok "memory: nothing left" ||
	t_bad "memory: nothing left" "$(ls -A "$ROOT")"

# --- hooks that run in the container: createContainer, startContainer ------
mkdir -p "$W/vol"
bundle b3 '["sh", "-c", "echo main-ran; cat /vol/start.env"]' "
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$W/vol', 'options': ['rbind', 'rw']})
env = ['PATH=/bin:/usr/bin', 'HOOKENV=hook-env-ok']
c['hooks'] = {'createContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > /vol/create.json'], 'env': env}],
              'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > /vol/start.json; echo \$HOOKENV \$(id -u) > /vol/start.env'], 'env': env, 'timeout': 60}]}
"
create c3 b3
t_check "create with createContainer and startContainer hooks" 0 errlines:0
pid=$(cat "$W/b3/c3.pid" 2>/dev/null)
python3 - "$W/vol/create.json" c3 creating "$pid" "$W/b3" 2>>"$T_ERR" <<'PY' && t_ok "createContainer ran in the container at create, the state (creating) on its stdin" ||
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["id"], s["status"], s["pid"], s["bundle"]) == (sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]), s
PY
	t_bad "createContainer ran in the container at create, the state (creating) on its stdin" "$(cat "$W/vol/create.json" 2>&1)"
[ ! -e "$W/vol/start.json" ] && t_ok "startContainer has not run before start" || t_bad "startContainer has not run before start" "$(ls "$W/vol")"
rt start c3
st=$(exited c3 b3)
[ "$st" = 0 ] && grep -qx main-ran "$W/c3.out" && t_ok "start: the process runs after the hook" ||
	t_bad "start: the process runs after the hook" "status $st: $(cat "$W/c3.out" "$W/c3.err")"
python3 - "$W/vol/start.json" c3 created "$pid" "$W/b3" 2>>"$T_ERR" <<'PY' && t_ok "startContainer got the state (created, mvm's pid, the bundle) on stdin; the host reads it from the volume" ||
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["id"], s["status"], s["pid"], s["bundle"]) == (sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]), s
PY
	t_bad "startContainer got the state on stdin" "$(cat "$W/vol/start.json" 2>&1)"
grep -qx 'hook-env-ok 0' "$W/c3.out" && t_ok "startContainer ran with its env, before the process (which read its file)" ||
	t_bad "startContainer ran with its env, before the process" "$(cat "$W/c3.out")"
rt delete c3

bundle b4 '["sh", "-c", "echo should-not-run"]' "
c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo hook-says-no >&2; exit 3']}]}
"
rt run --bundle "$W/b4" c4
t_check "a failing startContainer hook: the process never runs, status 255 (runc's init), the error names the hook" 255 \
	'err:startContainer hook /bin/sh exited with status 3: hook-says-no' '!out:should-not-run'
bundle b5 '["true"]' "
c['hooks'] = {'startContainer': [{'path': '/bin/sleep', 'args': ['sleep', '60'], 'timeout': 1}]}
"
rt run --bundle "$W/b5" c5
t_check "a startContainer hook past its timeout is killed" 255 'err:startContainer hook /bin/sleep timed out after 1 s'
bundle b6 '["true"]' "
c['hooks'] = {'createContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo no-create >&2; exit 1']}]}
"
rt create --bundle "$W/b6" c6
t_check "a failing createContainer hook fails create" 1 'err:createContainer hook /bin/sh exited with status 1: no-create'
[ ! -e "$ROOT/c6" ] && t_ok "and leaves nothing behind" || t_bad "and leaves nothing behind" "$(ls "$ROOT")"
bundle b7 '["true"]' "
c['hooks'] = {'createContainer': [{'path': '/usr/libexec/host-only-hook'}]}
"
rt create --bundle "$W/b7" c7
t_check "a createContainer hook not in the container's rootfs is refused at create" 1 \
	'err:hooks.createContainer\[0\]: /usr/libexec/host-only-hook is not in the container.s rootfs' errlines:1

# --- nosuid, nodev and noexec on bind mounts, applied in the guest -----------
mkdir -p "$W/nx"
printf '#!/bin/sh\necho script-ran\n' >"$W/nx/run.sh"
chmod +x "$W/nx/run.sh"
cp "$W/nx/run.sh" "$W/tool.sh"
bundle b8 '["sh", "-c", "grep -E \" /(nx|ex|usr/local/bin/tool) \" /proc/mounts; /nx/run.sh || echo dir-noexec-refused; /ex/run.sh; /usr/local/bin/tool || echo file-noexec-refused"]' "
c['mounts'].append({'destination': '/nx', 'type': 'bind', 'source': '$W/nx', 'options': ['rbind', 'ro', 'nosuid', 'nodev', 'noexec']})
c['mounts'].append({'destination': '/ex', 'type': 'bind', 'source': '$W/nx', 'options': ['rbind']})
c['mounts'].append({'destination': '/usr/local/bin/tool', 'type': 'bind', 'source': '$W/tool.sh', 'options': ['bind', 'noexec']})
"
rt run --bundle "$W/b8" c8
t_check "bind options nosuid, nodev, noexec (and ro) show in the guest's /proc/mounts" 0 \
	'out:^[^ ]+ /nx virtiofs ro,nosuid,nodev,noexec' 'out:^[^ ]+ /usr/local/bin/tool virtiofs rw,[a-z,]*noexec'
t_check "noexec: a script on the directory bind and the file bind cannot run" 0 \
	'out:^dir-noexec-refused$' 'out:^file-noexec-refused$' 'err:Permission denied'
t_check "the same directory bound without options runs it" 0 'out:^script-ran$'

# --- run (not detached) with a terminal and --console-socket ---------------
# runc sends the pty's master to the socket for run as for create.
bundle b9 '["sh", "-c", "tty; echo on-the-pty; exit 3"]' "c['process']['terminal'] = True"
rm -f "$W/con9.sock"
t_exec "$LIMIT" python3 tests/oci/console.py "$W/con9.sock" '' \
	"$MVRUN" --root "$ROOT" run --console-socket "$W/con9.sock" --bundle "$W/b9" c9
t_check "run --console-socket: the process's pty reaches the socket, with its status" 3 \
	'out:^/dev/pts/0' 'out:^on-the-pty'
# An engine's pty keeps ONLCR, as runc's: "\n" reaches the socket as "\r\n"
# (only the caller's own terminal gets it off).
python3 -c 'import sys; sys.exit(b"on-the-pty\r\n" not in open(sys.argv[1], "rb").read())' "$T_OUT" &&
	t_ok "run --console-socket: the pty keeps ONLCR (\\r\\n), as runc's" ||
	t_bad "run --console-socket: the pty keeps ONLCR (\\r\\n), as runc's" "$(od -An -c "$T_OUT" | head -n 3)"
t_exec 10 "$MVRUN" --root "$ROOT" list -q
t_check "and run deleted it after the exit" 0 '!out:^c9$'

# --- the config's /dev/shm tmpfs: its size and mode (docker's --shm-size) ---
bundle b10 '["sh", "-c", "df -k /dev/shm | tail -1; stat -c %a /dev/shm; grep \" /dev/shm \" /proc/mounts"]' "
for m in c['mounts']:
    if m['destination'] == '/dev/shm':
        m['options'] = ['nosuid', 'noexec', 'nodev', 'mode=1770', 'size=8m']
"
rt run --bundle "$W/b10" c10
t_check "the config's /dev/shm tmpfs: its size, mode and flags" 0 'out:^[a-z]+ +8192 ' 'out:^1770$' \
	'out:/dev/shm tmpfs rw,nosuid,nodev,noexec'

# --- linux.uidMappings/gidMappings: the container's user namespace ----------
# As under runc: the processes are root of a user namespace with the maps;
# what they write to a share is owned by the mapped ids on the host; files of
# unmapped owners are nobody's and root's privileges stop at them.
userns_edit="
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$W/uvol', 'options': ['rbind', 'rw']})
c['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'nodev']})
c['mounts'].append({'destination': '/newvol', 'type': 'bind', 'source': '$W/uvol', 'options': ['rbind', 'ro']})
"
# /newvol is missing in the image: its mount point is made on the host, as
# runc makes it (the guest, as an unmapped owner, may not create it).
rm -rf "$W/uvol" "$W/rootfs/newvol"; mkdir -p "$W/uvol"
chown 100000:200000 "$W/uvol"; chmod 777 "$W/uvol"
echo top-secret >"$W/uvol/secret"; chmod 600 "$W/uvol/secret"
bundle b11 '["sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map; touch /vol/by-root; mkdir /vol/dir; stat -c \"root-owner=%u:%g\" /; stat -c \"tmp-owner=%u:%g\" /tmp; cat /vol/secret || echo secret-refused; mknod /tmp/null c 1 3 || echo mknod-refused; [ -d /newvol/dir ] && echo newvol-mounted; echo up; exec sleep 1000"]' "$userns_edit"
create c11 b11
rt start c11
wait_out c11 '^up$'
cp "$W/c11.out" "$T_OUT"; cp "$W/c11.err" "$T_ERR"; T_STATUS=0
t_check "user namespace: the process is root of it, with the config's maps" 0 \
	'out:^uid=0\(root\) gid=0\(root\)' 'out:^ +0 +100000 +65536$' 'out:^ +0 +200000 +65536$'
t_check "user namespace: host root's files are nobody's, and closed to the container's root" 0 \
	'out:^root-owner=65534:65534$' 'out:^secret-refused$' 'out:^mknod-refused$'
t_check "user namespace: the tmpfs on /tmp is the container root's" 0 'out:^tmp-owner=0:0$'
t_check "user namespace: a bind whose mount point the image lacks is mounted" 0 'out:^newvol-mounted$'
t_exec 10 sh -c 'stat -c %u:%g "$0" "$1" | sort | uniq -c' "$W/uvol/by-root" "$W/uvol/dir"
t_check "user namespace: what it writes to a share is owned by the mapped ids on the host" 0 \
	'out:^ *2 100000:200000$'
rt exec --user 1000:1000 c11 sh -c 'id -u; cat /proc/self/uid_map; touch /vol/by-1000'
t_check "user namespace: exec joins it, as another user" 0 'out:^1000$' 'out:^ +0 +100000 +65536$' errlines:0
t_exec 10 stat -c '%u:%g' "$W/uvol/by-1000"
t_check "and its file is owned by the mapped ids on the host" 0 'out:^101000:201000$'
rt exec --user 70000:0 c11 true
t_check "user namespace: exec --user with an unmapped uid fails before the guest" 255 \
	'err:exec c11: process.user.uid: 70000 is not mapped by the container.s linux.uidMappings' errlines:1
rt exec --additional-gids 70000 c11 true
t_check "user namespace: exec with an unmapped additional gid fails" 255 \
	'err:exec c11: process.user.additionalGids\[0\]: 70000 is not mapped by the container.s linux.gidMappings' errlines:1
cat >"$W/proc11.json" <<'JSON'
{"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 65536}}
JSON
rt exec --process "$W/proc11.json" c11
t_check "user namespace: exec --process with an unmapped gid fails" 255 \
	'err:exec c11: process.user.gid: 65536 is not mapped by the container.s linux.gidMappings' errlines:1
rt delete --force c11

# With CAP_SYS_ADMIN, root of the namespace owns its mount and UTS
# namespaces (as under runc), and still not the guest's devices.
rm -rf "$W/uvol"; mkdir -p "$W/uvol"; chown 100000:200000 "$W/uvol"
bundle b12 '["sh", "-c", "mount -t tmpfs none /tmp && echo mounted; hostname inside-ns && hostname; ls /dev/mqueue >/dev/null && echo mqueue"]' "$userns_edit
for s in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][s].append('CAP_SYS_ADMIN')
"
rt run --bundle "$W/b12" c12
t_check "user namespace: with CAP_SYS_ADMIN its root mounts and sets the host name in its own namespaces" 0 \
	'out:^mounted$' 'out:^inside-ns$' 'out:^mqueue$'

# A map without root: the process is its user, with no capability from
# having come in as the guest's root (none is ambient); a terminal is the user's.
rm -rf "$W/uvol"; mkdir -p "$W/uvol"; chown 101000:101000 "$W/uvol"
bundle b13 '["sh", "-c", "id -u; tty; stat -c tty-owner=%u \"$(tty)\"; grep ^CapEff: /proc/self/status; echo x >/vol/by-1000"]' "
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 1000, 'hostID': 101000, 'size': 1}]
c['linux']['gidMappings'] = [{'containerID': 1000, 'hostID': 101000, 'size': 1}]
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['terminal'] = True
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$W/uvol', 'options': ['rbind', 'rw']})
"
rm -f "$W/con13.sock"
t_exec "$LIMIT" python3 tests/oci/console.py "$W/con13.sock" '' \
	"$MVRUN" --root "$ROOT" run --console-socket "$W/con13.sock" --bundle "$W/b13" c13
t_check "user namespace without root in the map: the user, its terminal, no capability (none ambient)" 0 \
	'out:^1000' 'out:^/dev/pts/0' 'out:^tty-owner=1000' 'out:^CapEff:[[:space:]]+0000000000000000'
t_exec 10 stat -c '%u:%g' "$W/uvol/by-1000"
t_check "and its file is owned by the mapped ids on the host" 0 'out:^101000:101000$'

# --- what a container may plant on its shares (README "Security") ----------
# As under runc, root may leave set-id files on a rw bind; mvm, stricter,
# makes only the device nodes linux.devices names.
rm -rf "$W/pvol"; mkdir -p "$W/pvol"
bundle b14 '["sh", "-c", "mknod /vol/zero c 1 5 && echo zero-made; mknod /vol/mem c 1 1 || echo mem-refused; mknod /vol/fifo p && echo fifo-made; cp /bin/busybox /vol/suid && chmod 4755 /vol/suid && echo suid-made"]' "
for s in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][s] += ['CAP_MKNOD', 'CAP_FSETID', 'CAP_CHOWN', 'CAP_FOWNER']
c['linux']['resources']['devices'].append({'allow': True, 'type': 'c', 'major': 1, 'access': 'rwm'})
c['linux']['devices'] = [{'path': '/dev/myzero', 'type': 'c', 'major': 1, 'minor': 5, 'fileMode': 0o666}]
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$W/pvol', 'options': ['rbind', 'rw']})
"
rt run --bundle "$W/b14" c14
t_check "shares: a container makes the device nodes linux.devices names, and no other" 0 \
	'out:^zero-made$' 'out:^mem-refused$' 'out:^fifo-made$' 'out:^suid-made$'
[ "$(stat -c '%F %t:%T' "$W/pvol/zero" 2>&1)" = "character special file 1:5" ] && [ ! -e "$W/pvol/mem" ] &&
	[ "$(stat -c %a "$W/pvol/suid")" = 4755 ] && [ ! -e "$ROOT/c14" ] &&
	t_ok "shares: on the host, the listed node and the set-id file, no other node; run left no state" ||
	t_bad "shares: on the host, the listed node and the set-id file, no other node" "$(ls -l "$W/pvol" "$ROOT" 2>&1)"

# A single-file bind's share holds the bound file and nothing else may be
# made there, even by a container that mounts the share's tag itself.
printf 'host-line\n' >"$W/fhosts"
bundle b15 '["sh", "-c", "mkdir -p /tmp/x && mount -t virtiofs files0 /tmp/x && echo mounted; ls /tmp/x || echo list-refused; cat /tmp/x/f0; touch /tmp/x/new || echo create-refused; mknod /tmp/x/fifo p || echo mknod-refused; ln /tmp/x/f0 /tmp/x/l || echo link-refused; mv /tmp/x/f0 /tmp/x/g || echo rename-refused; rm -f /tmp/x/f0 || echo unlink-refused; echo appended >>/tmp/x/f0 && echo wrote"]' "
for s in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][s].append('CAP_SYS_ADMIN')
c['mounts'].append({'destination': '/etc/hosts', 'type': 'bind', 'source': '$W/fhosts', 'options': ['rbind', 'rw']})
"
create c15 b15
rt start c15
st=$(exited c15 b15)
cp "$W/c15.out" "$T_OUT"; cp "$W/c15.err" "$T_ERR"; T_STATUS=$st
t_check "file binds: the staging share refuses to list, create, link, rename or remove" 0 'out:^mounted$' \
	'out:^list-refused$' 'out:^host-line$' 'out:^create-refused$' 'out:^mknod-refused$' \
	'out:^link-refused$' 'out:^rename-refused$' 'out:^unlink-refused$' 'out:^wrote$'
[ "$(ls -A "$ROOT/c15/files")" = f0 ] && [ "$(cat "$W/fhosts")" = "host-line
appended" ] && t_ok "file binds: the staging directory holds only the stage; the bound file took the write" ||
	t_bad "file binds: the staging directory holds only the stage" "$(ls -Al "$ROOT/c15/files"; cat "$W/fhosts")"
rt delete c15
t_check "file binds: delete" 0 errlines:0
[ ! -e "$ROOT/c15" ] && t_ok "file binds: delete leaves nothing" || t_bad "file binds: delete leaves nothing" "$(ls -AR "$ROOT/c15")"

# --- the PID namespace: the process is its PID 1, as under runc ---------------
# mvrun spec lists a pid namespace, as runc's does.
bundle b16 '["sleep", "600"]'
create c16 b16
t_check "pid namespace: create" 0 errlines:0
rt start c16
t_check "pid namespace: start" 0 errlines:0
rt exec c16 sh -c 'tr "\0" " " </proc/1/cmdline; echo; for p in /proc/[0-9]*; do echo "comm=$(cat $p/comm)"; done'
t_check "pid namespace: /proc/1 is the container's process, /proc lists only the container's" 0 \
	'out:^sleep 600 $' 'out:^comm=sleep$' 'out:^comm=sh$' '!out:^comm=init$' '!out:^comm=kthreadd$' errlines:0
rt exec c16 ps -o pid,comm
t_check "pid namespace: ps in the container shows PID 1 and itself only" 0 \
	'out:^ *1 +sleep$' 'out:^ *[0-9]+ +ps$' '!out:init' '!out:kthreadd' errlines:0
rt exec c16 sh -c '[ "$(readlink /proc/self/ns/pid)" = "$(readlink /proc/1/ns/pid)" ] && echo same-ns; echo "self=$$"'
t_check "pid namespace: an exec is in the init's namespace, with a pid of that namespace" 0 \
	'out:^same-ns$' 'out:^self=([2-9]|[0-9]{2,})$' errlines:0
rt ps --format json c16
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); sys.exit(int(sys.argv[2]) not in p)' "$T_OUT" \
	"$(cat "$W/b16/c16.pid")" && t_ok "pid namespace: mvrun ps lists host pids (mvm's)" ||
	t_bad "pid namespace: mvrun ps lists host pids (mvm's)" "$(cat "$T_OUT")"
# An unhandled SIGTERM from outside the namespace does not reach its init
# (the kernel's rule, as under runc): the exec after it finds it running.
rt kill c16 TERM
t_check "pid namespace: kill ID TERM exits 0" 0 errlines:0
rt exec c16 true
t_check "pid namespace: an exec after the TERM" 0 errlines:0
state_is c16 running && t_ok "pid namespace: a PID 1 sleep ignores an unhandled TERM" ||
	t_bad "pid namespace: a PID 1 sleep ignores an unhandled TERM" "$(cat "$T_OUT")"
rt kill c16 KILL
t_check "pid namespace: kill ID KILL exits 0" 0 errlines:0
st=$(exited c16 b16)
[ "$st" = 137 ] && state_is c16 stopped && t_ok "pid namespace: KILL stops it (137)" ||
	t_bad "pid namespace: KILL stops it (137)" "status $st, $(cat "$T_OUT")"
rt delete c16
t_check "pid namespace: delete" 0 errlines:0
[ ! -e "$ROOT/c16" ] && t_ok "pid namespace: delete leaves nothing" || t_bad "pid namespace: delete leaves nothing" "$(ls -A "$ROOT")"

# A PID 1 that handles TERM gets it, and its status is the container's; the
# namespace's other processes end with it.
bundle b17 '["sh", "-c", "trap \"echo got-term; exit 3\" TERM; echo up; while :; do sleep 0.1; done"]'
create c17 b17
rt start c17
wait_out c17 '^up$'
"$MVRUN" --root "$ROOT" exec --detach --pid-file "$W/c17x.pid" c17 sleep 600 </dev/null >/dev/null 2>"$W/c17x.err"
rt kill c17 TERM
t_check "pid namespace: kill ID TERM to a PID 1 that traps it" 0 errlines:0
st=$(exited c17 b17)
[ "$st" = 3 ] && grep -qx got-term "$W/c17.out" && t_ok "pid namespace: the trap ran; the status is its (3)" ||
	t_bad "pid namespace: the trap ran; the status is its (3)" "status $st, out $(cat "$W/c17.out")"
xp=$(cat "$W/c17x.pid" 2>/dev/null)
for _ in $(seq 1 $((LIMIT * 10))); do kill -0 "$xp" 2>/dev/null || break; sleep 0.1; done
[ -n "$xp" ] && ! kill -0 "$xp" 2>/dev/null && t_ok "pid namespace: the exec ended with the container" ||
	t_bad "pid namespace: the exec ended with the container" "$(cat "$W/c17x.err")"
rt state c17
t_check "pid namespace: state says stopped" 0 'out:"status": "stopped"'
rt delete c17
t_check "pid namespace: delete c17" 0 errlines:0
[ ! -e "$ROOT/c17" ] && t_ok "pid namespace: c17 leaves nothing" || t_bad "pid namespace: c17 leaves nothing" "$(ls -A "$ROOT")"

# Without a pid namespace runc runs the process in the host's: here it is the
# guest's, with mvinit as PID 1, and TERM ends the (not PID 1) sleep.
bundle b18 '["sleep", "600"]' "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
create c18 b18
rt start c18
rt exec c18 sh -c 'cat /proc/1/comm; test -e /proc/2 && echo kthreadd=$(cat /proc/2/comm)'
t_check "no pid namespace: the guest's processes, mvinit as PID 1" 0 'out:^init$' 'out:^kthreadd=kthreadd$' errlines:0
rt kill c18 TERM
st=$(exited c18 b18)
[ "$st" = 143 ] && t_ok "no pid namespace: TERM ends the sleep (143)" || t_bad "no pid namespace: TERM ends the sleep (143)" "status $st"
rt delete c18
t_check "no pid namespace: delete" 0 errlines:0
[ ! -e "$ROOT/c18" ] && t_ok "no pid namespace: delete leaves nothing" || t_bad "no pid namespace: delete leaves nothing" "$(ls -A "$ROOT")"

t_summary oci-process
