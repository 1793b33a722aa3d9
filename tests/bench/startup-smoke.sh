#!/bin/bash
# The startup benchmark's smoke run (make test, through tests/vmhost/run):
# bench/startup --smoke (N=3, 2 at once, every scenario, every runtime installed) must
# print a complete table, write a JSON with every sample and the PNG plots,
# and leave nothing running; a Ctrl-C in the middle must stop it and delete
# its containers. It asserts no timing. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
W=$(mktemp -d /tmp/startup-smoke.XXXXXX)
trap 'rm -rf "$W" "$T_OUT" "$T_ERR"' EXIT

# One check: t_begin NAME, any number of t_fail WHY, t_end.
t_begin() { CUR=$1 CUR_BAD=""; }
t_fail() { CUR_BAD="${CUR_BAD:+$CUR_BAD; }$1"; }
t_end() {
	if [ -z "$CUR_BAD" ]; then t_ok "$CUR"; else T_FAIL=$((T_FAIL + 1)); echo "FAIL $CUR: $CUR_BAD"; fi
}
mountpoint -q /sys/fs/cgroup 2>/dev/null || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null

# The runtimes that can run here: the harness skips (and says so) the rest.
RTS="mvrun qemu mvm"
for r in runc crun; do
	if command -v $r >/dev/null || [ -x /usr/sbin/$r ]; then RTS="$RTS $r"; else t_skip "$r" "not installed"; fi
done
export RTS

t_begin "the smoke run ends with status 0 and names where it ran"
./bench/startup --smoke --out "$W/res" >"$W/out" 2>"$W/err"
st=$?
[ $st = 0 ] && grep -q '^startup: wrote ' "$W/err" || { t_fail "status $st: $(tail -n 5 "$W/err")"; }
t_end

t_begin "the Markdown table has every scenario, runtime and figure"
python3 - "$W/out" <<'PY' || t_fail "$(cat "$W/pyerr" 2>/dev/null)"
import os, re, sys
md = open(sys.argv[1]).read()
rts = os.environ["RTS"].split()
label = {"mvrun": "mvrun", "runc": "runc", "crun": "crun", "qemu": "QEMU microvm (plain VM)",
         "mvm": "mvm (plain VM)"}
bad = []
for head in ("## 1. run of /bin/true", "## 2. create→start", "## 3. exec of /bin/true",
             "## 4. 2 containers started at once", "## Memory per container",
             "## mvrun breakdown", "Dominant phase: **"):
    if head not in md:
        bad.append(f"no {head!r}")
if not re.search(r"^- cpu: .+; host kernel .+; virtualization: .+", md, re.M):
    bad.append("no cpu/kernel/virtualization line")
if os.environ.get("VMHOST_NESTED") == "1" and "absolute figure is emulated" not in md:
    bad.append("no emulation warning")
secs = re.split(r"^## ", md, flags=re.M)
for sec in secs[1:]:
    name = sec.split("\n", 1)[0]
    peers = ("mvrun", "runc", "crun", "qemu", "mvm") if name.startswith("1.") else \
            ("mvrun", "runc", "crun") if name[:2] in ("2.", "3.", "4.") else ()
    if peers and "load average after:" not in sec:
        bad.append(f"{name}: no load average")
    for r in peers:
        if r not in rts:
            continue
        row = re.search(r"^\| " + re.escape(label[r]) + r" \| (.*)\|$", sec, re.M)
        if not row:
            bad.append(f"{name}: no row for {r}")
            continue
        cells = [c.strip() for c in row.group(1).split("|")]
        want = 8 if name.startswith("4.") else 6
        if len(cells) != want or not all(re.fullmatch(r"[0-9,]+(\.[0-9])?", c) for c in cells):
            bad.append(f"{name}: {r}: row {cells}")
    if peers and "| p50 |" not in sec or peers and "| p99 |" not in sec:
        bad.append(f"{name}: no mvrun/peer ratios")
for r in rts:
    if not re.search(r"^\| " + re.escape(label[r]) + r" \| [0-9.,]+ \| \S+: [0-9.,]+ \|", md, re.M):
        bad.append(f"memory: no row for {r}")
for ph in ("mvrun start", "mvm start", "kernel boot", "mvinit setup", "process run", "teardown"):
    if not re.search(r"^\| " + re.escape(ph) + r".*\| [0-9,.]+ \| [0-9]+ % \|$", md, re.M):
        bad.append(f"breakdown: no {ph!r} row")
open(os.path.dirname(sys.argv[1]) + "/pyerr", "w").write("; ".join(bad))
sys.exit(1 if bad else 0)
PY
t_end

t_begin "the JSON holds every sample: 3 per scenario and runtime, 2 per concurrent round"
python3 - "$W/res" <<'PY' || t_fail "$(cat "$W/pyerr2" 2>/dev/null)"
import glob, json, os, sys
bad = []
fs = glob.glob(sys.argv[1] + "/*/startup.json")
if len(fs) != 1:
    bad.append(f"{len(fs)} startup.json files")
else:
    j = json.load(open(fs[0]))
    rts = os.environ["RTS"].split()
    for k in ("cpu", "kernel", "virt", "loadavg", "where", "guest_kernel"):
        if not j["env"].get(k):
            bad.append(f"env.{k} missing")
    for scen, peers in (("run", rts), ("start", [r for r in rts if r not in ("qemu", "mvm")]),
                        ("exec", [r for r in rts if r not in ("qemu", "mvm")]),
                        ("concurrent", [r for r in rts if r not in ("qemu", "mvm")])):
        for r in peers:
            rec = j["results"][scen].get(r)
            if not rec:
                bad.append(f"{scen}/{r}: missing"); continue
            if rec["error"]:
                bad.append(f"{scen}/{r}: {rec['error']}")
            if len(rec["samples"]) != 3 or not all(s["ms"] > 0 for s in rec["samples"]):
                bad.append(f"{scen}/{r}: {len(rec['samples'])} samples")
            if scen == "concurrent" and any(len(s["per_ms"]) != 2 for s in rec["samples"]):
                bad.append(f"{scen}/{r}: not 2 containers per round")
            st = j["figures"][scen][r]["latency_ms"]
            if not st or any(st.get(k) is None for k in ("min", "p50", "p95", "p99", "max")):
                bad.append(f"{scen}/{r}: stats {st}")
            if not j["figures"][scen][r].get("loadavg"):
                bad.append(f"{scen}/{r}: no load average")
        if scen == "run":
            for r in peers:
                m = j["memory"].get(r)
                if not m or not m["tree_peak_rss_kib"] or not m["largest_vmhwm_kib"]:
                    bad.append(f"memory/{r}: {m}")
            for r in ("mvrun", "mvm"):
                if not (j["memory"].get(r) or {}).get("guest_touched_kib"):
                    bad.append(f"memory/{r}: no guest RAM touched")
    bd = j["breakdown"]
    if len(bd["samples"]) != 3 or any(v is None or v < 0 for v in bd["p50_ms"].values()):
        bad.append(f"breakdown: {len(bd['samples'])} samples, {bd['p50_ms']}")
open(os.path.dirname(sys.argv[1]) + "/pyerr2", "w").write("; ".join(bad))
sys.exit(1 if bad else 0)
PY
t_end

t_begin "the plots exist: a latency CDF per scenario and the RSS bars, as PNG"
for f in startup-1-run-cdf startup-2-start-cdf startup-3-exec-cdf startup-4-concurrent-cdf startup-rss; do
	p=$(ls "$W"/res/*/$f.png 2>/dev/null)
	[ -n "$p" ] && [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(stat -c %s "$p")" -gt 2000 ] || t_fail "$f.png missing or not a PNG"
done
t_end

t_begin "nothing is left running after it: no mvm, QEMU or container process"
left=$(ps -eo pid=,args= | grep -E 'build/mvm|qemu-system-x86_64 -M microvm|sleep 1000000|bench-startup' | grep -v grep)
[ -z "$left" ] || t_fail "still running: $left"
t_end

t_begin "Ctrl-C in the middle stops it with status 130 and deletes its containers"
./bench/startup --scenarios exec -n 1000 --out "$W/int" >"$W/iout" 2>"$W/ierr" &
pid=$!
for _ in $(seq 1 600); do grep -q 'round 2/' "$W/ierr" && break; sleep 0.5; done
kill -INT $pid
wait $pid
st=$?
left=$(ps -eo pid=,args= | grep -E 'build/mvm|sleep 1000000' | grep -v grep)
[ $st = 130 ] && grep -q 'none left' "$W/ierr" && [ -z "$left" ] ||
	t_fail "status $st, still running: '$left', stderr: $(tail -n 3 "$W/ierr")"
t_end

t_summary startup-smoke
