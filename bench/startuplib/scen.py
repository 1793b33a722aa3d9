"""bench/startup's four scenarios. Each takes warm-up + N rounds; in each
round every runtime runs once, in an order that rotates, so drift and
position hit all alike. A runtime that fails is dropped from the rest of the
scenario with the error recorded; the others go on."""
import json, os, sys, time

from . import proc
from .proc import Failed
from .rt import TIMEOUT

SCENARIOS = ("run", "start", "exec", "concurrent")
TITLES = {
    "run": "run of /bin/true: create, start, wait, delete, end to end",
    "start": "create→start: from `start` until the process's first output line",
    "exec": "exec of /bin/true into a running container",
    "concurrent": "containers started at once (`run` of /bin/true each)",
}
PEERS = {"run": ("mvrun", "mvrun-tpl", "runc", "crun", "qemu", "mvm")}


class Ctx:
    def __init__(self, a, work, bundles, rts):
        self.a, self.work, self.bundles, self.rts = a, work, bundles, rts
        self.res = {s: {} for s in SCENARIOS}  # scenario -> runtime -> record
        self.seq = 0
        self.tty = sys.stderr.isatty()

    def cid(self, rt, scen):
        self.seq += 1
        return f"bench-{rt}-{scen}-{self.seq}"

    def progress(self, scen, i, total, rt, ms):
        line = f"startup: [{scen}] round {i + 1}/{total} {rt}: {ms:.1f} ms"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(70))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self):
        if self.tty:
            sys.stderr.write("\n")


def rotate(names, i):
    k = i % len(names)
    return names[k:] + names[:k]


def ms(a, b):
    return (b - a) / 1e6


def read_report(path):
    """mvm's MVM_REPORT_FILE line (vmm/main.c), or None."""
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        os.unlink(path)
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def loop(ctx, scen, names, one, rounds=None):
    """Run one(rt, i) for every round and runtime; one returns a sample dict
    with "ms". Samples of warm-up rounds are dropped."""
    a = ctx.a
    total = a.warmup + (rounds or a.n)
    recs = {n: ctx.res[scen].setdefault(n, {"samples": [], "error": None}) for n in names}
    for i in range(total):
        for n in rotate(names, i):
            if recs[n]["error"]:
                continue
            try:
                s = one(ctx.rts[n], i)
            except Failed as e:
                recs[n]["error"] = str(e)
                sys.stderr.write(f"\nstartup: [{scen}] {n} failed: {e}\n")
                ctx.rts[n].delete_all()
                continue
            if i >= a.warmup:
                recs[n]["samples"].append(s)
            ctx.progress(scen, i, total, n, s["ms"])
        proc.reap_orphans()
    ctx.done()
    for n in names:
        recs[n]["loadavg"] = os.getloadavg()


def run_true(ctx, r, i):
    """Scenario 1: one end-to-end run; memory from rusage and mvm's report."""
    rep = os.path.join(ctx.work, f"report-{r.name}.json") if r.name in ("mvrun", "mvm") else None
    if r.vm:
        t0 = time.monotonic_ns()
        p = proc.spawn(r.argv, env=r.env(rep))
    else:
        t0 = time.monotonic_ns()
        p = r.spawn(["run", "--bundle", ctx.bundles["true"], ctx.cid(r.name, "run")], report=rep)
    t1, st, ru, err = proc.finish(p, TIMEOUT, f"{r.name} run")
    s = {"ms": ms(t0, t1)}
    if rep:
        m = read_report(rep)
        if m:
            s["mvm"] = m
            s["t_spawn_ns"], s["t_done_ns"] = t0, t1
    return s


def memory_pass(ctx, names, runs):
    """Scenario 1's memory figures, from extra untimed runs (sampling
    /proc costs CPU that would skew the times): the peak of the summed RSS
    of the run's process tree, the largest single VmHWM, and for mvm (mvrun
    and the plain mvm) its own VmHWM and the guest RAM it touched."""
    for n in names:
        r = ctx.rts[n]
        rec = ctx.res["run"].get(n)
        if not rec or rec["error"]:
            continue
        rec["memory"] = []
        for i in range(runs):
            rep = os.path.join(ctx.work, f"report-{n}.json") if n in ("mvrun", "mvm") else None
            if r.vm:
                p = proc.spawn(r.argv, env=r.env(rep))
            else:
                p = r.spawn(["run", "--bundle", ctx.bundles["true"], ctx.cid(n, "mem")],
                            report=rep)
            try:
                peak, hwm, pname = proc.sample_memory(p, 0.01, TIMEOUT, f"{n} run (memory)")
            except Failed as e:
                rec["error"] = f"memory pass: {e}"
                break
            m = {"tree_peak_rss_kib": peak, "largest_vmhwm_kib": hwm, "largest_process": pname}
            mr = read_report(rep) if rep else None
            if mr:
                m["mvm_vmhwm_kib"] = mr["peak_rss_kib"]
                m["guest_touched_kib"] = mr["guest_touched_kib"]
            rec["memory"].append(m)
            sys.stderr.write(f"\rstartup: [memory] {n} {i + 1}/{runs}".ljust(70)
                             + ("" if ctx.tty else "\n"))
        proc.reap_orphans()
    ctx.done()


def create(ctx, r, bundle, cid, stdout):
    """create CID from bundle with the given stdout; returns the pid-file pid."""
    pf = os.path.join(ctx.work, f"{cid}.pid")
    with open(os.path.join(ctx.work, f"{cid}.err"), "wb") as err:
        p = r.spawn(["create", "--bundle", bundle, "--pid-file", pf, cid], stdout=stdout,
                    stderr=err)
    _, st, _, _ = proc.finish(p, TIMEOUT, f"{r.name} create", check=False)
    if st != 0:
        with open(os.path.join(ctx.work, f"{cid}.err"), errors="replace") as f:
            raise Failed(f"{r.name} create: exit status {st}: {f.read().strip()[-300:]}")
    with open(pf) as f:
        pid = int(f.read().strip())
    proc.adopt(pid)
    return pid


def start_latency(ctx, r, i):
    """Scenario 2: create (untimed), then start until the first line."""
    cid = ctx.cid(r.name, "start")
    rd, wr = os.pipe()
    try:
        try:
            pid = create(ctx, r, ctx.bundles["echo"], cid, wr)
        finally:
            os.close(wr)
        t0 = time.monotonic_ns()
        p = r.spawn(["start", cid])
        t1 = proc.read_line(rd, TIMEOUT, f"{r.name} start")
        proc.finish(p, TIMEOUT, f"{r.name} start")
    finally:
        os.close(rd)
    proc.wait_pid(pid, TIMEOUT, f"{r.name} container {cid}")
    r.run(["delete", cid], "delete")
    return {"ms": ms(t0, t1)}


def exec_scenario(ctx, names):
    """Scenario 3: one sleeping container per runtime, execs interleaved."""
    live = {}
    try:
        for n in names:
            r = ctx.rts[n]
            cid = ctx.cid(n, "exec")
            rec = ctx.res["exec"].setdefault(n, {"samples": [], "error": None})
            try:
                pid = create(ctx, r, ctx.bundles["sleep"], cid, open(os.devnull, "wb"))
                live[n] = (cid, pid)
                r.run(["start", cid], "start")
            except Failed as e:
                rec["error"] = str(e)

        def one(r, i):
            t0 = time.monotonic_ns()
            p = r.spawn(["exec", live[r.name][0], "/bin/true"])
            t1, _, _, _ = proc.finish(p, TIMEOUT, f"{r.name} exec")
            return {"ms": ms(t0, t1)}

        loop(ctx, "exec", [n for n in names if n in live], one)
    finally:
        for n, (cid, pid) in live.items():
            try:
                ctx.rts[n].run(["delete", "--force", cid], "delete --force", check=False)
                proc.wait_pid(pid, TIMEOUT, f"{n} container {cid}")
            except Failed as e:
                sys.stderr.write(f"startup: [exec] {n} cleanup: {e}\n")


def concurrent(ctx, r, i):
    """Scenario 4: K runs at once. Per-container times from each one's own
    spawn; the total from the first spawn to the last exit."""
    k = ctx.a.concurrency
    ps = []
    t0 = time.monotonic_ns()
    for j in range(k):
        cid = ctx.cid(r.name, "conc")
        err = open(os.path.join(ctx.work, f"{cid}.err"), "wb")
        ts = time.monotonic_ns()
        ps.append((r.spawn(["run", "--bundle", ctx.bundles["true"], cid], stderr=err), ts, cid))
        err.close()
    per = []
    exits = proc.wait_each([p for p, _, _ in ps], TIMEOUT, f"{r.name} run")
    for (p, ts, cid) in ps:
        t, st = exits[p.pid]
        if st != 0:
            with open(os.path.join(ctx.work, f"{cid}.err"), errors="replace") as f:
                raise Failed(f"{r.name} run {cid}: exit status {st}: {f.read().strip()[-300:]}")
        per.append(ms(ts, t))
    total = ms(t0, max(t for t, _ in exits.values()))
    return {"ms": total, "per_ms": per}
