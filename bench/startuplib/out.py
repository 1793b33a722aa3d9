"""bench/startup's figures: statistics, mvrun's breakdown, the Markdown
summary, the JSON with every sample, and the gnuplot PNGs."""
import io, json, os, shutil, subprocess, tempfile

from .scen import SCENARIOS, TITLES

LABEL = {"mvrun": "mvrun", "mvrun-tpl": "mvrun, template", "runc": "runc", "crun": "crun", "qemu": "QEMU microvm (plain VM)",
         "mvm": "mvm (plain VM)"}
STATS = ("min", "p50", "p95", "p99", "max")

# mvrun's breakdown: (key, label, start point, end point) over the points
# of one `mvrun run` (bench/startup's clock and mvm's report share
# CLOCK_MONOTONIC; marks are mvinit's, proto/mvm_port.h).
PHASES = (
    ("mvrun_start", "mvrun start: CLI, config, cgroup, fork/exec of mvm", "spawn", "t0"),
    ("mvm_start", "mvm start: KVM VM, devices, kernel load", "t0", "run"),
    ("kernel_boot", "kernel boot: first vCPU entry to PID 1 (mvinit)", "run", "m1"),
    ("mvinit_ctl", "mvinit setup: vsock control stream, SPEC", "m1", "m2"),
    ("mvinit_setup", "mvinit setup: virtio-fs root, mounts, switch root, stdio", "m2", "m3"),
    ("ready_start", "READY → START (mvrun run's start)", "m3", "m4"),
    ("process", "process run: fork, exec, exit of /bin/true", "m4", "m5"),
    ("td_guest", "teardown: EXIT, mvinit linger, sync, reset", "m5", "stop"),
    ("td_mvm", "teardown: mvm exit (devices, memory)", "stop", "end"),
    ("td_mvrun", "teardown: mvrun delete (state, cgroup) and exit", "end", "done"),
)
GROUPS = {"mvinit setup": ("mvinit_ctl", "mvinit_setup"),
          "teardown": ("td_guest", "td_mvm", "td_mvrun")}


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def stats(xs):
    if not xs:
        return None
    return {"n": len(xs), "min": min(xs), "p50": pct(xs, 50), "p95": pct(xs, 95),
            "p99": pct(xs, 99), "max": max(xs)}


def latencies(scen, rec):
    """The latency samples (ms) of a record: per container for concurrent."""
    if scen == "concurrent":
        return [x for s in rec["samples"] for x in s["per_ms"]]
    return [s["ms"] for s in rec["samples"]]


def breakdown(rec):
    """Per-phase ms of each mvrun run that has a complete report."""
    out = []
    for s in rec.get("samples", []):
        m = s.get("mvm")
        if not m or len(m.get("marks_us", [])) < 6 or not all(m["marks_us"][1:6]):
            continue
        t0 = m["t0_ns"]
        pts = {"spawn": s["t_spawn_ns"], "t0": t0, "run": m["run_ns"], "stop": m["stop_ns"],
               "end": m["end_ns"], "done": s["t_done_ns"]}
        for i in range(1, 6):
            pts[f"m{i}"] = t0 + m["marks_us"][i] * 1000
        out.append({k: (pts[b] - pts[a]) / 1e6 for k, _, a, b in PHASES})
    return out


def analyse(ctx, env):
    """Everything the summary and the JSON need, from ctx.res."""
    figs = {}
    for scen in SCENARIOS:
        figs[scen] = {}
        for n, rec in ctx.res[scen].items():
            f = {"error": rec["error"], "latency_ms": stats(latencies(scen, rec)),
                 "loadavg": rec.get("loadavg")}
            if scen == "concurrent":
                f["total_ms"] = stats([s["ms"] for s in rec["samples"]])
            figs[scen][n] = f
    mem = {}
    for n, rec in ctx.res["run"].items():
        ms_ = rec.get("memory") or []
        if not ms_:
            continue
        col = lambda k: stats([m[k] for m in ms_ if m.get(k) is not None])
        names = [m["largest_process"] for m in ms_]
        mem[n] = {"runs": len(ms_), "tree_peak_rss_kib": col("tree_peak_rss_kib"),
                  "largest_vmhwm_kib": col("largest_vmhwm_kib"),
                  "largest_process": max(set(names), key=names.count),
                  "mvm_vmhwm_kib": col("mvm_vmhwm_kib"),
                  "guest_touched_kib": col("guest_touched_kib")}
    bd = breakdown(ctx.res["run"].get("mvrun", {}))
    bd_p50 = {k: pct([b[k] for b in bd], 50) for k, _, _, _ in PHASES} if bd else {}
    return {"figures": figs, "memory": mem, "breakdown": {"samples": bd, "p50_ms": bd_p50}}


def f1(x):
    return "–" if x is None else f"{x:,.1f}"


def md_summary(ctx, env, an):
    a = ctx.a
    o = io.StringIO()
    p = lambda s="": print(s, file=o)
    p("# Startup latency: mvrun next to runc, crun and a plain microVM")
    p()
    p(f"- **where:** {env['where']}")
    p(f"- cpu: {env['cpu']}; host kernel {env['kernel']}; virtualization: {env['virt']}")
    p(f"- guest: kernel {env['guest_kernel']}, 1 vCPU, {a.mem} MiB for the plain VMs "
      f"(mvrun sizes its VM from the bundle: 256 MiB, 1 vCPU)")
    p(f"- runs: N={a.n} per runtime after {a.warmup} warm-up, runtimes interleaved in "
      f"rotating order; {a.concurrency} containers at once in scenario 4; "
      f"same busybox bundle for every OCI runtime")
    p(f"- load average at start: {' '.join(f'{x:.2f}' for x in env['loadavg'])}"
      + (f" (the machine running the test host: {env['outer_loadavg']})"
         if env.get("outer_loadavg") else "") + f"; date {env['date']}; mvrun commit {env.get('commit', '?')}")
    for n, why in env["skipped"].items():
        p(f"- skipped: {why}")
    for n, note in env["notes"].items():
        p(f"- {n}: {note}")
    if env["nested"]:
        p()
        p("> **Emulated.** These times were taken in the nested test host (QEMU TCG, emulated "
          "SVM): every absolute figure is emulated and far slower than hardware. Even the "
          "ratios carry over only between like and like: mvm against QEMU (both VMMs), "
          "roughly. mvrun against runc or crun does **not** carry over, because emulation "
          "inflates VM exits and guest execution far more than host system calls.")
    for i, scen in enumerate(SCENARIOS, 1):
        figs = an["figures"][scen]
        if not figs:
            continue
        p()
        title = TITLES[scen]
        if scen == "concurrent":
            title = f"{a.concurrency} " + title
        p(f"## {i}. {title}")
        p()
        la = next((f["loadavg"] for f in figs.values() if f.get("loadavg")), None)
        if la:
            p(f"load average after: {' '.join(f'{x:.2f}' for x in la)}")
            p()
        if scen == "concurrent":
            p("| runtime | rounds | total p50 ms | total max ms | per-container min | p50 | p95 "
              "| p99 | max ms |")
            p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        else:
            p("| runtime | n | min ms | p50 ms | p95 ms | p99 ms | max ms |")
            p("|---|---:|---:|---:|---:|---:|---:|")
        for n, f in figs.items():
            L = f["latency_ms"]
            if f["error"] and not L:
                p(f"| {LABEL[n]} | failed: {f['error'][:200]} |")
                continue
            if L is None:
                p(f"| {LABEL[n]} | no samples |")
                continue
            cells = " | ".join(f1(L[k]) for k in STATS)
            if scen == "concurrent":
                T = f["total_ms"]
                p(f"| {LABEL[n]} | {T['n']} | {f1(T['p50'])} | {f1(T['max'])} | {cells} |")
            else:
                p(f"| {LABEL[n]} | {L['n']} | {cells} |")
            if f["error"]:
                p(f"| ({LABEL[n]} then failed: {f['error'][:200]}) |")
        ratios(p, figs)
    memory(p, an["memory"])
    bd_md(p, an["breakdown"])
    return o.getvalue()


def ratios(p, figs):
    m = figs.get("mvrun", {}).get("latency_ms")
    peers = [(n, f["latency_ms"]) for n, f in figs.items() if n != "mvrun" and f["latency_ms"]]
    if not m or not peers:
        return
    p()
    p("| mvrun / peer | " + " | ".join(LABEL[n] for n, _ in peers) + " |")
    p("|---|" + "---:|" * len(peers))
    for k in ("p50", "p99"):
        p(f"| {k} | " + " | ".join(f"{m[k] / L[k]:.2f}" if L[k] else "–" for _, L in peers) + " |")


def memory(p, mem):
    if not mem:
        return
    mib = lambda st: "–" if not st else f"{st['p50'] / 1024:.1f}"
    plain = (mem.get("mvm") or {}).get("guest_touched_kib")
    p()
    p(f"## Memory per container (scenario 1, p50 of {max(m['runs'] for m in mem.values())} "
      "extra untimed runs each)")
    p()
    p("| runtime | peak RSS, all its processes MiB | largest process: VmHWM MiB | "
      "guest RAM touched MiB | VMM beyond guest RAM MiB |")
    p("|---|---:|---:|---:|---:|")
    for n, m in mem.items():
        g, beyond = m["guest_touched_kib"], "–"
        if m["mvm_vmhwm_kib"] and g:
            beyond = f"{(m['mvm_vmhwm_kib']['p50'] - g['p50']) / 1024:.1f}"
        elif n == "qemu" and plain and m["largest_vmhwm_kib"]:
            beyond = f"≈ {(m['largest_vmhwm_kib']['p50'] - plain['p50']) / 1024:.1f}"
        p(f"| {LABEL[n]} | {mib(m['tree_peak_rss_kib'])} | {m['largest_process']}: "
          f"{mib(m['largest_vmhwm_kib'])} | {mib(g)} | {beyond} |")
    p()
    p("Peak RSS is the summed VmRSS of the run's process tree (the runtime command and "
      "everything under it), sampled every 10 ms in runs kept apart from the timed ones; "
      "shared pages count once per process. The largest process's VmHWM is exact. For the "
      "VMs it includes the guest RAM they touched (mvm's mincore at exit). QEMU boots the "
      "same kernel and init as mvm (plain VM), so its beyond-guest figure uses mvm's "
      "touched RAM (≈).")


def bd_md(p, bd):
    if not bd["p50_ms"]:
        return
    q = bd["p50_ms"]
    total = sum(q.values())
    p()
    p(f"## mvrun breakdown (scenario 1, p50 of each phase over {len(bd['samples'])} runs)")
    p()
    p("| phase | p50 ms | share |")
    p("|---|---:|---:|")
    for k, label, _, _ in PHASES:
        p(f"| {label} | {f1(q[k])} | {100 * q[k] / total:.0f} % |")
    p(f"| sum of the phase p50s | {f1(total)} | 100 % |")
    grouped = {"mvrun start": q["mvrun_start"], "mvm start": q["mvm_start"],
               "kernel boot": q["kernel_boot"], "READY → START": q["ready_start"],
               "process run": q["process"]}
    for g, keys in GROUPS.items():
        grouped[g] = sum(q[k] for k in keys)
    top = max(grouped, key=grouped.get)
    p()
    p(f"Dominant phase: **{top}**, {f1(grouped[top])} ms of {f1(total)} "
      f"({100 * grouped[top] / total:.0f} %).")


def write_json(path, ctx, env, an):
    with open(path, "w") as f:
        params = {k: v for k, v in vars(ctx.a).items() if k != "now"}
        json.dump({"env": env, "params": params, "results": ctx.res, **an}, f, indent=1)
        f.write("\n")


def plots(outdir, ctx, an):
    """One latency CDF per scenario (a line per runtime) and the RSS bars.
    Returns the PNG paths written."""
    gp = shutil.which("gnuplot")
    if not gp:
        raise SystemExit("bench/startup: gnuplot missing (Debian package gnuplot-nox; "
                         "make deps installs it)")
    pngs = []
    tmp = tempfile.mkdtemp(prefix="plot.", dir=ctx.work)
    for i, scen in enumerate(SCENARIOS, 1):
        lines = []
        for n, rec in ctx.res[scen].items():
            xs = sorted(latencies(scen, rec))
            if not xs:
                continue
            dat = os.path.join(tmp, f"{scen}-{n}.dat")
            with open(dat, "w") as f:
                f.write(f"{xs[0]} 0\n")
                for j, x in enumerate(xs, 1):
                    f.write(f"{x} {j / len(xs)}\n")
            lines.append(f"'{dat}' using 1:2 with steps lw 2 title '{LABEL[n]}'")
        if not lines:
            continue
        png = os.path.join(outdir, f"startup-{i}-{scen}-cdf.png")
        title = TITLES[scen].replace("`", "").replace("'", "")
        script = (f"set terminal pngcairo size 960,560 font 'sans,10'\n"
                  f"set output '{png}'\nset title '{i}. {title} (latency CDF)' noenhanced\n"
                  "set xlabel 'ms (log scale)'\nset ylabel 'fraction of runs'\n"
                  "set logscale x\nset yrange [0:1.02]\nset grid\nset key bottom right noenhanced\n"
                  "plot " + ", ".join(lines) + "\n")
        gnuplot(gp, script, png)
        pngs.append(png)
    mem = an["memory"]
    rows = [(n, m) for n, m in mem.items() if m["tree_peak_rss_kib"]]
    if rows:
        dat = os.path.join(tmp, "rss.dat")
        with open(dat, "w") as f:
            for n, m in rows:
                g = m["guest_touched_kib"]
                f.write(f"\"{LABEL[n]}\" {m['tree_peak_rss_kib']['p50'] / 1024:.2f} "
                        f"{g['p50'] / 1024 if g else 'NaN'}\n")
        png = os.path.join(outdir, "startup-rss.png")
        script = (f"set terminal pngcairo size 960,560 font 'sans,10'\nset output '{png}'\n"
                  "set title 'Peak host RSS per container: run of /bin/true (p50)' noenhanced\n"
                  "set ylabel 'MiB'\nset style data histograms\n"
                  "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
                  "set yrange [0:*]\nset grid ytics\nset key top left noenhanced\n"
                  f"plot '{dat}' using 2:xtic(1) title 'peak RSS, all its processes'" +
                  (", '' using 3 title 'guest RAM touched (mvm mincore)'"
                   if any(m["guest_touched_kib"] for _, m in rows) else "") + "\n")
        gnuplot(gp, script, png)
        pngs.append(png)
    shutil.rmtree(tmp, ignore_errors=True)
    return pngs


def gnuplot(gp, script, png):
    p = subprocess.run([gp], input=script, capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(png):
        raise SystemExit(f"bench/startup: gnuplot failed for {os.path.basename(png)}: "
                         f"{p.stderr.strip()[-400:]}")
