#!/bin/bash
# Templates (README, "Templates"): with MVRUN_TEMPLATES=1 the first create
# of a VM shape boots cold and makes a template in the background; later
# creates of that shape restore it. Each restored container behaves as a
# cold one, with randomness and a clock of its own; a damaged template is
# noted in --log, removed and booted around; two creates of a new shape at
# once leave one valid template. Real guests boot: run it through
# tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ocitpl . tests/oci/lib.sh
export MVRUN_TEMPLATES=1 MVRUN_CACHE=$W/cache

# tcreate ID BUNDLE: create (lib.sh's) with --debug and --log W/ID.rlog,
# which says whether the template was restored or made.
tcreate() {
	local id=$1 b=$W/$2
	rm -f "$W/$id.log" "$W/$id.rlog"
	python3 tests/oci/subreaper.py "$W/$id.log" "$MVRUN" --root "$ROOT" --debug --log "$W/$id.rlog" \
		create --bundle "$b" --pid-file "$b/$id.pid" "$id" </dev/null >"$W/$id.out" 2>"$W/$id.err" &
	REAPERS+=($!)
	for _ in $(seq 1 $((LIMIT * 10))); do grep -q '^cmd ' "$W/$id.log" 2>/dev/null && break; sleep 0.1; done
	T_STATUS=$(sed -n 's/^cmd //p' "$W/$id.log" 2>/dev/null)
	cat "$W/$id.rlog" >"$T_OUT" 2>/dev/null
	cp "$W/$id.err" "$T_ERR"
}

# templates: the cache's complete templates (a directory with state and mem).
templates() { for d in "$MVRUN_CACHE"/*/; do [ -s "$d/state" ] && [ -s "$d/mem" ] && basename "$d"; done; }
# await_templates N: wait (LIMIT s at most) for N templates and no maker.
await_templates() {
	for _ in $(seq 1 $((LIMIT * 10))); do [ "$(templates | wc -l)" -ge "$1" ] && break; sleep 0.1; done
	for l in "$MVRUN_CACHE"/*.lock; do [ -e "$l" ] && flock -w "$LIMIT" "$l" true; done
}

# tbundle NAME JSON-ARGS [PYTHON-EDIT]: lib.sh's bundle with no network
# namespace (the guest has only lo): a networked container's device set
# holds its interface's MAC, so it always boots cold.
tbundle() { bundle "$1" "$2" "c[\"linux\"][\"namespaces\"] = []; ${3:-}"; }

# run_probe ID BUNDLE: start ID, wait for it, check what a user sees, delete.
run_probe() {
	rt start "$1"
	t_check "$1: start" 0 errlines:0
	st=$(exited "$1" "$2")
	[ "$st" = 3 ] && grep -qx hello "$W/$1.out" && t_ok "$1: the container's output and exit status (3)" ||
		t_bad "$1: output and exit status" "status $st, out $(cat "$W/$1.out"), err $(cat "$W/$1.err")"
	state_is "$1" stopped && t_ok "$1: state says stopped" || t_bad "$1: state" "$(cat "$T_OUT")"
	rt delete "$1"
	t_check "$1: delete" 0 errlines:0
}

tbundle probe '["sh", "-c", "echo hello; echo \"rand $(head -c 16 /dev/urandom | od -An -tx1 | tr -d \" \\n\")\"; echo \"time $(date +%s)\"; exit 3"]'

# --- the first create boots cold and makes the template -----------------------
tcreate t1 probe
t_check "first create: 0, boots cold and makes a template" 0 'out:making .*/cache/[0-9a-f]{32} in the background' \
	'!out:restoring'
run_probe t1 probe
await_templates 1
[ "$(templates | wc -l)" = 1 ] && [ "$(stat -c %a "$MVRUN_CACHE")" = 700 ] &&
	[ -z "$(ls -A "$MVRUN_CACHE" | grep -v '\.lock$' | grep -v "^$(templates)$")" ] &&
	t_ok "one template appears in the root-only cache, nothing else but its lock" ||
	t_bad "one template in the cache" "$(ls -la "$MVRUN_CACHE")"
key=$(templates | head -1)

# --- later creates restore it -------------------------------------------------
sleep 3 # the template's clock stopped at the save: a restore that kept it would lag
declare -a rand
for i in 2 3; do
	started=$(date +%s)
	tcreate t$i probe
	t_check "create t$i restores the template" 0 "out:restoring .*/$key" '!out:making' \
		'!err:booting cold'
	run_probe t$i probe
	now=$(date +%s)
	gt=$(sed -n 's/^time //p' "$W/t$i.out")
	[ -n "$gt" ] && [ "$gt" -ge "$started" ] && [ "$gt" -le "$now" ] &&
		t_ok "t$i: the restored guest has the host's time" ||
		t_bad "t$i: the guest's time" "guest '$gt', host $started..$now"
	rand[$i]=$(sed -n 's/^rand //p' "$W/t$i.out")
done
[ -n "${rand[2]}" ] && [ "${rand[2]}" != "${rand[3]}" ] &&
	t_ok "two restored containers read different /dev/urandom bytes" ||
	t_bad "different /dev/urandom bytes" "'${rand[2]}' and '${rand[3]}'"

# --- a networked container stays cold ------------------------------------------
bundle net '["true"]'
tcreate n1 net
t_check "a networked container boots cold and makes no template" 0 'out:boots cold' '!out:making' \
	'!out:restoring'
rt delete --force n1
t_check "n1: delete" 0 errlines:0

# --- a damaged template: noted, removed, a cold boot --------------------------
python3 - "$MVRUN_CACHE/$key/state" <<'EOF_PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x40
open(sys.argv[1], "wb").write(b)
EOF_PY
tcreate t4 probe
t_check "a corrupt template: noted in --log, removed, create boots cold" 0 \
	"out:template .*/$key: mvm would not restore it \(.*checksum.*\); removed, booting cold" \
	'!out:restoring' 'out:making'
run_probe t4 probe
await_templates 1
tcreate t5 probe
t_check "the template made again after the corrupt one is restored" 0 "out:restoring .*/$key"
run_probe t5 probe

# --- two creates of a new key at once -----------------------------------------
tbundle ro '["sh", "-c", "echo hello; exit 3"]' 'c["root"]["readonly"] = True'
tcreate c1 ro &
p1=$!
tcreate c2 ro &
p2=$!
wait "$p1" "$p2"
for id in c1 c2; do
	[ "$(sed -n 's/^cmd //p' "$W/$id.log")" = 0 ] && grep -q making "$W/$id.rlog" &&
		t_ok "concurrent create $id of a new key: 0, cold" ||
		t_bad "concurrent create $id" "$(cat "$W/$id.log" "$W/$id.rlog" "$W/$id.err")"
	run_probe "$id" ro
done
await_templates 2
[ "$(templates | wc -l)" = 2 ] && [ -z "$(ls -A "$MVRUN_CACHE" | grep '^\.')" ] &&
	t_ok "two concurrent makers leave one template for the new key, nothing half made" ||
	t_bad "one template per key" "$(ls -la "$MVRUN_CACHE")"
tcreate c3 ro
t_check "the concurrently made template is restored" 0 'out:restoring' '!out:making'
run_probe c3 ro

[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] && t_ok "every container deleted, no state left" ||
	t_bad "no state left" "$(ls -la "$ROOT")"
t_summary oci-template
