# Shared by the OCI suites that boot guests (lifecycle-tests.sh,
# exec-tests.sh): a state root and a rootfs copy in a temp dir W, and
# helpers that drive mvrun the way engines do. Source it from the repo's top
# with OCI_NAME set (the temp dir's prefix) after tests/boot/lib.sh.
MVRUN=${MVRUN:-$PWD/build/mvrun}
LIMIT=${OCI_LIMIT:-120}
W=$(mktemp -d "/tmp/${OCI_NAME:-oci}.XXXXXX")
ROOT=$W/state
REAPERS=()
cleanup() {
	for id in $(ls "$ROOT" 2>/dev/null); do "$MVRUN" --root "$ROOT" delete --force "$id" 2>/dev/null; done
	for p in "${REAPERS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$W" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT
cp -a build/rootfs "$W/rootfs"

# The host's cgroups, as an engine's host has them.
mountpoint -q /sys/fs/cgroup 2>/dev/null || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null ||
	mount -t tmpfs none /sys/fs/cgroup

rt() { t_exec "$LIMIT" "$MVRUN" --root "$ROOT" "$@"; }

# bundle NAME JSON-ARGS [PYTHON-EDIT]: W/NAME/config.json from mvrun spec,
# root.path the shared rootfs, process.args JSON-ARGS, no terminal; then
# PYTHON-EDIT runs on the dict c.
bundle() {
	local b=$W/$1
	mkdir -p "$b"
	rm -f "$b/config.json"
	"$MVRUN" spec --bundle "$b" || return 1
	python3 - "$b/config.json" "$W/rootfs" "$2" "${3:-}" <<'PY'
import json, sys
path, rootfs, args, edit = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": False}
c["process"]["args"] = json.loads(args)
c["process"]["terminal"] = False
exec(edit)
json.dump(c, open(path, "w"), indent=1)
PY
}

# create ID BUNDLE: `mvrun create` under a subreaper (tests/oci/subreaper.py,
# standing in for conmon or the shim), stdio to W/ID.out and W/ID.err, stdin
# from W/ID.in if present. Waits for create to end; T_STATUS is its status.
create() {
	local id=$1 b=$W/$2 in=/dev/null
	[ -e "$W/$id.in" ] && in=$W/$id.in
	rm -f "$W/$id.log"
	python3 tests/oci/subreaper.py "$W/$id.log" "$MVRUN" --root "$ROOT" create --bundle "$b" \
		--pid-file "$b/$id.pid" "$id" <"$in" >"$W/$id.out" 2>"$W/$id.err" &
	REAPERS+=($!)
	for _ in $(seq 1 $((LIMIT * 10))); do grep -q '^cmd ' "$W/$id.log" 2>/dev/null && break; sleep 0.1; done
	T_STATUS=$(sed -n 's/^cmd //p' "$W/$id.log" 2>/dev/null)
	cp "$W/$id.out" "$T_OUT"; cp "$W/$id.err" "$T_ERR"
}

# logged LOG PID: PID's status once the subreaper logged it, or "none" after
# LIMIT seconds.
logged() {
	for _ in $(seq 1 $((LIMIT * 10))); do
		grep -q "^$2 " "$1" 2>/dev/null && break
		sleep 0.1
	done
	sed -n "s/^$2 //p" "$1" 2>/dev/null | grep . || echo none
}

# exited ID BUNDLE: mvm's status once it has ended (its pid is in the pid file).
exited() { logged "$W/$1.log" "$(cat "$W/$2/$1.pid" 2>/dev/null)"; }

# state_is ID STATUS: state succeeds and its status field is STATUS.
state_is() {
	rt state "$1"
	[ "$T_STATUS" = 0 ] && python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(s["status"] != sys.argv[2])' "$T_OUT" "$2"
}
