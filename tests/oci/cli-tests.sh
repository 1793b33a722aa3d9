#!/bin/bash
# mvrun's runc-compatible command line on the host itself, where no guest
# boots: global options, --version, spec, features, unknown ids, and every
# kind of bad config.json. Each error is one line on stderr naming the
# problem, and nothing is left under --root.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVRUN=${MVRUN:-$PWD/build/mvrun}
W=$(mktemp -d /tmp/ocicli.XXXXXX)
ROOT=$W/state
trap 'rm -rf "$W" "$T_OUT" "$T_ERR"' EXIT
mv() { t_exec 20 "$MVRUN" --root "$ROOT" "$@"; }

t_exec 10 "$MVRUN" --version
t_check "--version in runc's format" 0 'out:^mvrun version [0-9]' 'out:^commit: ' 'out:^spec: 1\.0\.2-dev$'
t_exec 10 "$MVRUN" help
t_check "help lists the verbs" 0 'out:^  create ' 'out:^  delete ' 'out:^  events ' 'out:^  box '
t_exec 10 "$MVRUN" --frobnicate list
t_check "unknown global option" 1 'err:^mvrun: unknown global option --frobnicate' errlines:1
t_exec 10 "$MVRUN" --root relative/dir list
t_check "--root must be absolute" 1 'err:--root relative/dir: must be an absolute path' errlines:1
t_exec 10 "$MVRUN" --log-format yaml list
t_check "--log-format yaml" 1 'err:--log-format yaml: must be text or json' errlines:1
t_exec 10 "$MVRUN" frob
t_check "unknown command" 1 'err:frob: unknown command' errlines:1

mv list
t_check "list with no containers" 0 'out:^ID +PID +STATUS +BUNDLE +CREATED +OWNER$' errlines:0
mv list -q
t_check "list -q with no containers" 0 '!out:.' errlines:0
mv list --format json
t_check "list --format json with no containers" 0 'out:^\[\]$|^null$' errlines:0

mv features
if [ "$T_STATUS" = 0 ] && python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
assert f["ociVersionMin"].startswith("1.0") and f["ociVersionMax"].startswith("1."), f
assert "network" in f["linux"]["namespaces"] and "user" in f["linux"]["namespaces"] and "v1" in f["linux"]["cgroup"], f["linux"]
assert "bind" in f["mountOptions"] or "rbind" in f["mountOptions"], f["mountOptions"]
sc = f["linux"]["seccomp"]
assert sc["enabled"] and "SCMP_ACT_ERRNO" in sc["actions"] and "SCMP_ACT_NOTIFY" not in sc["actions"], sc
assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"], f["linux"]
a = f["annotations"]
assert "linux.uidMappings" in a["org.mvrun.applied-in-guest"] and "idmapped mounts" in a["org.mvrun.refused"], a
for r in ("blockIO", "hugepageLimits", "rdma", "memory.swappiness", "memory.kernelTCP", "memory.disableOOMKiller"):
    assert r in a["org.mvrun.not-applied-yet"], (r, a["org.mvrun.not-applied-yet"])
for r in ("unified", "memory.reservation", "memory.max", "cpu.max", "kill --all"):
    assert r in a["org.mvrun.applied-in-guest"], (r, a["org.mvrun.applied-in-guest"])
assert "unified" not in a["org.mvrun.not-applied-yet"], a["org.mvrun.not-applied-yet"]
assert "--interval" in a["org.mvrun.events"] and "--debug" in a["org.mvrun.logging"], a
' "$T_OUT" 2>"$W/py.err"; then
	t_ok "features prints the OCI features JSON"
else
	cat "$W/py.err" >>"$T_ERR"; t_bad "features prints the OCI features JSON" "bad JSON"
fi

# Unknown ids: engines match "does not exist"; delete --force must succeed.
for verb in state start "kill" "delete" events "events --stats"; do
	mv $verb nosuch
	t_check "$verb of an unknown id" 1 'err:container "nosuch" does not exist' errlines:1
done
mv events --interval soon nosuch
t_check "events --interval not a duration" 1 'err:^mvrun: events: --interval soon: not a duration' errlines:1
mv delete --force nosuch
t_check "delete --force of an unknown id exits 0" 0 errlines:0
mv state 'bad/id'
t_check "an id with a slash" 1 'err:bad/id' errlines:1
mv state
t_check "state without an id" 1 'err:usage: mvrun state' errlines:1

# spec writes a config.json that create would accept.
mkdir -p "$W/b/rootfs"
cd "$W/b" && t_exec 10 "$MVRUN" spec; cd - >/dev/null
t_check "spec writes config.json in the current directory" 0 errlines:0
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["process"]["args"]==["sh"], c' \
	"$W/b/config.json" && t_ok "spec's config.json is valid JSON with args [sh]" ||
	t_bad "spec's config.json is valid JSON with args [sh]" "$(head -c 300 "$W/b/config.json")"
t_exec 10 "$MVRUN" spec --bundle "$W/b"
t_check "spec refuses to overwrite" 1 'err:config.json exists' errlines:1
GOOD=$(cat "$W/b/config.json")

# bad_config NAME PYTHON-EDIT ERR-REGEX: config.json edited by a Python
# expression on c (the dict) must fail create with that message, leaving
# nothing behind.
bad_config() {
	local name=$1 edit=$2 want=$3
	mkdir -p "$W/bad/rootfs"
	printf '%s' "$GOOD" | python3 -c "
import json, sys
c = json.load(sys.stdin)
$edit
json.dump(c, open(sys.argv[1], 'w'))" "$W/bad/config.json" || { t_bad "$name" "edit failed"; return; }
	mv create --bundle "$W/bad" badc
	t_check "create: $name" 1 "err:^mvrun: config.json: $want" errlines:1
	[ ! -e "$ROOT/badc" ] || t_bad "create: $name leaves nothing" "$ROOT/badc exists"
}

mkdir -p "$W/bad/rootfs"
printf '{"ociVersion": "1.0.2", "process": {' >"$W/bad/config.json"
mv create --bundle "$W/bad" badc
t_check "create: truncated JSON" 1 'err:^mvrun: config.json: .*(line|end of)' errlines:1
printf 'not json' >"$W/bad/config.json"
mv create --bundle "$W/bad" badc
t_check "create: not JSON" 1 'err:^mvrun: config.json: ' errlines:1
rm -f "$W/bad/config.json"
mv create --bundle "$W/bad" badc
t_check "create: no config.json" 1 'err:config.json: No such file' errlines:1

bad_config "process.args missing" 'del c["process"]["args"]' 'process.args: must be a non-empty array'
bad_config "process.args empty" 'c["process"]["args"] = []' 'process.args: must be a non-empty array'
bad_config "process.args not an array" 'c["process"]["args"] = "sh"' 'process.args: must be'
bad_config "process.args of numbers" 'c["process"]["args"] = [1, 2]' 'process.args'
bad_config "process.user.uid a string" 'c["process"]["user"]["uid"] = "0"' 'process.user.uid: must be an integer'
bad_config "process.cwd relative" 'c["process"]["cwd"] = "tmp"' 'process.cwd: "tmp" must be an absolute path'
bad_config "process.env not strings" 'c["process"]["env"] = [1]' 'process.env'
bad_config "ociVersion missing" 'del c["ociVersion"]' 'ociVersion'
bad_config "ociVersion 2.0.0" 'c["ociVersion"] = "2.0.0"' 'ociVersion: "2.0.0" is not supported'
bad_config "ociVersion not a version" 'c["ociVersion"] = "latest"' 'ociVersion: "latest" is not a version'
bad_config "root missing" 'del c["root"]' 'root'
bad_config "root.path a number" 'c["root"]["path"] = 5' 'root.path: must be a string'
bad_config "root.path missing dir" 'c["root"]["path"] = "nowhere"' 'root.path'
bad_config "mounts not an array" 'c["mounts"] = {}' 'mounts: must be an array'
bad_config "a mount without destination" 'c["mounts"][0].pop("destination")' 'mounts\[0\]\.destination'
bad_config "hooks.prestart relative path" \
	'c["hooks"] = {"prestart": [{"path": "bin/true"}]}' 'hooks.prestart\[0\]\.path: "bin/true" must be an absolute path'
bad_config "a namespace path relative" \
	'c["linux"]["namespaces"] = [{"type": "network", "path": "ns/net"}]' 'linux.namespaces\[0\]\.path'
bad_config "seccomp SCMP_ACT_NOTIFY (its agent would be outside the VM)" \
	'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}' \
	'linux.seccomp.syscalls\[0\].action: SCMP_ACT_NOTIFY is not supported'
bad_config "seccomp with an unknown action" 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_MAYBE"}' \
	'linux.seccomp.defaultAction: unknown action "SCMP_ACT_MAYBE"'
bad_config "seccomp with an unknown architecture" \
	'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}' \
	'linux.seccomp.architectures\[0\]: unknown architecture'
bad_config "a device rule with an empty access (runc's refusal)" \
	'c["linux"]["resources"]["devices"] = [{"allow": False, "access": ""}]' \
	'linux.resources.devices\[0\].access: cannot be empty'
bad_config "a unified key with a slash (runc's refusal)" \
	'c["linux"]["resources"]["unified"] = {"../memory.max": "1"}' \
	'linux.resources.unified\["../memory.max"\]: unified resource "../memory.max" must be a file name \(no slashes\)'
bad_config "a unified key without a controller (runc's refusal)" \
	'c["linux"]["resources"]["unified"] = {"memory": "1"}' \
	'linux.resources.unified\["memory"\]: unified resource "memory" must be in the form CONTROLLER.PARAMETER'
bad_config "a device without its minor" \
	'c["linux"]["devices"] = [{"path": "/dev/x", "type": "c", "major": 1}]' 'linux.devices\[0\].minor: required'
# User namespaces: the maps mvinit makes one with, checked before any VM boots.
USERNS='c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
bad_config "uid mappings without a user namespace" \
	'c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
	'linux.uidMappings: given, but linux.namespaces has no user namespace'
bad_config "a user namespace without a gid map" \
	"$USERNS; del c['linux']['gidMappings']" \
	'linux.namespaces\[[0-9]+\]: a user namespace needs both linux.uidMappings and linux.gidMappings; linux.gidMappings is missing or empty'
bad_config "joining a user namespace by path" \
	"$USERNS; c['linux']['namespaces'][-1]['path'] = '/proc/1/ns/user'" \
	'linux.namespaces\[[0-9]+\]: joining an existing user namespace \(/proc/1/ns/user\) is not supported'
bad_config "a uid map entry of size 0" \
	"$USERNS; c['linux']['uidMappings'][0]['size'] = 0" 'linux.uidMappings\[0\].size: must be at least 1'
bad_config "a uid map entry past 2^32" \
	"$USERNS; c['linux']['uidMappings'][0]['containerID'] = 4294967295" \
	'linux.uidMappings\[0\].size: 65536 ids from containerID 4294967295 pass 4294967295'
bad_config "overlapping gid map entries" \
	"$USERNS; c['linux']['gidMappings'].append({'containerID': 70000, 'hostID': 165535, 'size': 10})" \
	"linux.gidMappings\\[1\\]: hostID range 165535-165544 overlaps linux.gidMappings\\[0\\]'s 100000-165535"
bad_config "more than 64 uid map entries" \
	"$USERNS; c['linux']['uidMappings'] = [{'containerID': i, 'hostID': i, 'size': 1} for i in range(65)]" \
	'linux.uidMappings: 65 entries; mvrun passes at most 64'
bad_config "process.user.uid not mapped" \
	"$USERNS; c['process']['user']['uid'] = 65536" \
	'process.user.uid: 65536 is not mapped by linux.uidMappings'
bad_config "an additional gid not mapped" \
	"$USERNS; c['process']['user']['additionalGids'] = [0, 70000]" \
	'process.user.additionalGids\[1\]: 70000 is not mapped by linux.gidMappings'
bad_config "a device's uid not mapped" \
	"$USERNS; c['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'uid': 65536}]" \
	'linux.devices\[0\].uid: 65536 is not mapped by linux.uidMappings'
bad_config "an idmapped mount" \
	"$USERNS; c['mounts'].append({'destination': '/m', 'type': 'bind', 'source': '/tmp', 'options': ['rbind'], 'uidMappings': [{'containerID': 0, 'hostID': 1, 'size': 1}], 'gidMappings': [{'containerID': 0, 'hostID': 1, 'size': 1}]})" \
	'mounts\[[0-9]+\]: idmapped mounts are not supported yet'
bad_config "the top level an array" 'c = [c]' '\(top level\): must be an object'

mv create --bundle "$W/nobundle" x
t_check "create: a missing bundle" 1 "err:--bundle $W/nobundle: No such file" errlines:1
[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] && t_ok "failed creates leave nothing under --root" ||
	t_bad "failed creates leave nothing under --root" "$(ls -A "$ROOT")"

# --log with --log-format json: runc-style error lines.
mv --log "$W/log.json" --log-format json state nosuch
if [ "$T_STATUS" = 1 ] && python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
assert l[-1]["level"] == "error" and "does not exist" in l[-1]["msg"] and l[-1]["time"], l
' "$W/log.json" 2>>"$T_ERR"; then
	t_ok "--log-format json writes runc-style error lines"
else
	t_bad "--log-format json writes runc-style error lines" "$(cat "$W/log.json" 2>&1)"
fi
# --log is created even when nothing is logged, as runc's.
mv --log "$W/made.log" list
t_check "--log on success" 0 errlines:0
[ -f "$W/made.log" ] && [ ! -s "$W/made.log" ] && t_ok "--log's file is made, empty, on success" ||
	t_bad "--log's file is made, empty, on success" "$(ls -l "$W/made.log" 2>&1)"
mv --log "$W/nodir/x.log" list
t_check "--log in a missing directory" 1 "err:^mvrun: --log $W/nodir/x.log: No such file" errlines:1
# --debug: runc's logrus lines, on stderr without --log (text, or json with
# --log-format json), in --log with it; the error stays one line on stderr.
mv --debug list
t_check "--debug: text debug lines on stderr" 0 'out:^ID ' \
	'err:^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})" level=debug msg="mvrun [^ ]+: list \(root [^)]+\)"$' \
	'err:^time="[^"]+" level=debug msg="list: exit status 0"$' errlines:2
mv --debug --log-format json list
t_check "--debug --log-format json: json debug lines on stderr" 0 \
	'err:^\{"level":"debug","msg":"mvrun [^"]+: list \(root [^)]+\)","time":"[^"]+"\}$' \
	'err:^\{"level":"debug","msg":"list: exit status 0","time":"[^"]+"\}$' errlines:2
mv --debug --log "$W/debug.log" state nosuch
t_check "--debug --log: the error alone on stderr" 1 'err:^mvrun: container "nosuch" does not exist$' errlines:1
if grep -qE '^time="[^"]+" level=debug msg="mvrun [^ ]+: state nosuch \(root [^)]+\)"$' "$W/debug.log" &&
	grep -qE '^time="[^"]+" level=error msg="container \\"nosuch\\" does not exist"$' "$W/debug.log" &&
	grep -qE '^time="[^"]+" level=debug msg="state: exit status 1"$' "$W/debug.log" &&
	[ "$(wc -l <"$W/debug.log")" = 3 ]; then
	t_ok "--debug --log: runc's text lines in the log"
else
	t_bad "--debug --log: runc's text lines in the log" "$(cat "$W/debug.log")"
fi
mv --debug --log "$W/debug.json" --log-format json list
if [ "$T_STATUS" = 0 ] && [ ! -s "$T_ERR" ] && python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
assert [x["level"] for x in l] == ["debug", "debug"] and all(list(x) == ["level", "msg", "time"] for x in l), l
assert l[1]["msg"] == "list: exit status 0", l
' "$W/debug.json" 2>>"$T_ERR"; then
	t_ok "--debug --log --log-format json: runc's json lines in the log"
else
	t_bad "--debug --log --log-format json: runc's json lines in the log" "$(cat "$W/debug.json")"
fi
mv --systemd-cgroup create --bundle "$W/b" sd
t_check "--systemd-cgroup without systemd" 1 'err:--systemd-cgroup: systemd is not running' errlines:1

t_summary oci-cli
