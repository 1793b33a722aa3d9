"""The runtimes bench/startup compares and the bundles they share.

OCI runtimes (mvrun, runc, crun) get the same bundle, each with its own
--root state directory. The plain-microVM baselines (QEMU microvm and mvm)
boot build/vmlinux with build/bench/qinit.cpio, whose init runs the same
busybox /bin/true and powers off."""
import json, os, re, shutil, subprocess, time

from . import proc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU_CMDLINE = ("reboot=t panic=-1 pci=off nomodules i8042.noaux i8042.nomux i8042.nopnp "
                "i8042.dumbkbd tsc=reliable quiet 8250.nr_uarts=0")
TIMEOUT = 600


class Oci:
    """An OCI runtime with runc's command line."""
    vm = False

    def __init__(self, name, exe, state, preexec=None, note=None):
        self.name, self.exe, self.state = name, exe, state
        self.preexec, self.note = preexec, note
        os.makedirs(state, exist_ok=True)

    def cmd(self, *args):
        return [self.exe, "--root", self.state, *args]

    def env(self, report=None):
        """The environment for one command; report: mvm's MVM_REPORT_FILE."""
        if not report:
            return None
        return dict(os.environ, MVM_REPORT_FILE=report)

    def spawn(self, args, report=None, **kw):
        return proc.spawn(self.cmd(*args), env=self.env(report), preexec=self.preexec, **kw)

    def run(self, args, what, check=True):
        p = self.spawn(args)
        _, st, _, err = proc.finish(p, TIMEOUT, f"{self.name} {what}", check)
        return st, err

    def containers(self):
        """Ids in this runtime's state root (list -q), [] if it cannot say."""
        try:
            p = subprocess.run(self.cmd("list", "-q"), capture_output=True, text=True,
                               timeout=60, preexec_fn=self.preexec)
        except (OSError, subprocess.SubprocessError):
            return []
        return [w for w in p.stdout.split() if w]

    def delete_all(self):
        """delete --force every container in the state root; returns how many."""
        ids = self.containers()
        for cid in ids:
            try:
                subprocess.run(self.cmd("delete", "--force", cid), capture_output=True,
                               timeout=120, preexec_fn=self.preexec)
            except (OSError, subprocess.SubprocessError):
                pass
        return len(ids)


class TplOci(Oci):
    """mvrun with templates on (MVRUN_TEMPLATES=1, a cache of its own), on
    the same bundles without a network namespace: a networked container
    always boots cold (README, "Templates"). make_template() makes the
    template before the scenarios and notes how long that took."""

    def __init__(self, name, exe, state, cache):
        super().__init__(name, exe, state)
        self.cache = cache

    def env(self, report=None):
        e = dict(os.environ, MVRUN_TEMPLATES="1", MVRUN_CACHE=self.cache)
        if report:
            e["MVM_REPORT_FILE"] = report
        return e

    def cmd(self, *args):
        return super().cmd(*[a + "-nonet" if os.path.isdir(a + "-nonet") else a for a in args])

    def templates(self):
        try:
            return [d for d in os.listdir(self.cache) if not d.startswith(".")
                    and os.path.exists(os.path.join(self.cache, d, "mem"))]
        except OSError:
            return []

    def make_template(self, bundle, cid):
        """One run (cold), then wait for its template; the times go in the note."""
        t0 = time.monotonic()
        st, err = self.run(["run", "--bundle", bundle, cid], "run (to make the template)")
        t1 = time.monotonic()
        while not self.templates() and time.monotonic() - t1 < TIMEOUT:
            time.sleep(0.05)
        t2 = time.monotonic()
        made = bool(self.templates())
        self.note = (f"mvrun with MVRUN_TEMPLATES=1, bundles without a network namespace; the "
                     f"first run (cold) took {(t1 - t0) * 1e3:.0f} ms and its template was "
                     + (f"ready {(t2 - t1) * 1e3:.0f} ms after it ended (made in the background "
                        f"by mvm --snapshot-save)" if made else "not made"))
        return made


class Vmm:
    """A VMM booting the kernel with qinit: the plain-microVM baseline."""
    vm = True
    preexec = None
    note = None

    def __init__(self, name, argv, report_capable):
        self.name, self.argv, self.report_capable = name, argv, report_capable

    def env(self, report=None):
        return dict(os.environ, MVM_REPORT_FILE=report) if report else None

    def delete_all(self):
        return 0


def cgroup_hybrid():
    """True when /sys/fs/cgroup/unified is a cgroup2 mount beside v1
    controllers (systemd's hybrid layout), which crun 1.8 refuses."""
    try:
        with open("/proc/self/mountinfo") as f:
            return any(l.split()[4] == "/sys/fs/cgroup/unified" for l in f)
    except OSError:
        return False


def make(names, work, mem, nested):
    """The runtimes named (in that order) that exist here: (dict name ->
    runtime, dict name -> why it is skipped)."""
    rts, skipped = {}, {}
    mvrun = os.path.join(ROOT, "build/mvrun")
    kernel = os.path.join(ROOT, "build/vmlinux")
    qcpio = os.path.join(ROOT, "build/bench/qinit.cpio")
    for n in names:
        if n == "mvrun":
            rts[n] = Oci(n, mvrun, os.path.join(work, "state-mvrun"))
        elif n == "mvrun-tpl":
            rts[n] = TplOci(n, mvrun, os.path.join(work, "state-mvrun-tpl"),
                            os.path.join(work, "templates"))
        elif n in ("runc", "crun"):
            exe = shutil.which(n, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
            if not exe:
                skipped[n] = f"{n} not installed (Debian package {n}; make deps installs it)"
                continue
            pre, note = None, None
            if n == "crun":
                note = ("this host has no hybrid cgroups (cgroup2 alone at /sys/fs/cgroup): crun "
                        "runs as is; on a hybrid host it gets a private mount namespace with a "
                        "tmpfs over /sys/fs/cgroup/unified")
            if n == "crun" and cgroup_hybrid():
                pre = proc.hide_cgroup_unified
                note = ("crun 1.8 refuses this host's hybrid cgroups: each crun command runs in a "
                        "private mount namespace with a tmpfs over /sys/fs/cgroup/unified, so it "
                        "uses the v1 controllers")
            rts[n] = Oci(n, exe, os.path.join(work, f"state-{n}"), pre, note)
        elif n == "qemu":
            q = shutil.which("qemu-system-x86_64")
            if not q:
                skipped[n] = "qemu-system-x86_64 not installed (Debian package qemu-system-x86)"
                continue
            rts[n] = Vmm(n, [q, "-M", "microvm,x-option-roms=off,isa-serial=off,rtc=off,acpi=off",
                             "-accel", "kvm", "-cpu", "host,-xsave" if nested else "host",
                             "-m", str(mem), "-smp", "1", "-nodefaults", "-no-user-config",
                             "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", qcpio,
                             "-append", QEMU_CMDLINE + (" noxsave" if nested else "")], False)
        elif n == "mvm":
            rts[n] = Vmm(n, [os.path.join(ROOT, "build/mvm"), "--kernel", kernel, "--initrd",
                             qcpio, "--mem", str(mem), "--cpus", "1"]
                         + (["--no-xsave"] if nested else []), True)
        else:
            raise SystemExit(f"bench/startup: --runtimes: unknown runtime {n!r} "
                             "(mvrun, mvrun-tpl, runc, crun, qemu, mvm)")
    return rts, skipped


def bundles(work, mvrun):
    """The shared busybox rootfs (a copy of build/rootfs in work) and one
    bundle per process: true, echo (one line), sleep (for exec), each also
    as NAME-nonet without namespaces (mvrun-tpl's)."""
    rootfs = os.path.join(work, "rootfs")
    shutil.copytree(os.path.join(ROOT, "build/rootfs"), rootfs, symlinks=True)
    out = {}
    for name, args in (("true", ["/bin/true"]), ("echo", ["/bin/echo", "ready"]),
                       ("sleep", ["/bin/sleep", "1000000"])):
        b = os.path.join(work, f"bundle-{name}")
        os.makedirs(b)
        subprocess.run([mvrun, "spec", "--bundle", b], check=True)
        path = os.path.join(b, "config.json")
        with open(path) as f:
            c = json.load(f)
        c["root"] = {"path": rootfs, "readonly": False}
        c["process"]["args"] = args
        c["process"]["terminal"] = False
        with open(path, "w") as f:
            json.dump(c, f, indent=1)
        out[name] = b
        c["linux"]["namespaces"] = []
        os.makedirs(b + "-nonet")
        with open(os.path.join(b + "-nonet", "config.json"), "w") as f:
            json.dump(c, f, indent=1)
    return out


def guest_kernel_version():
    """The release string inside build/vmlinux, or '?'."""
    try:
        with open(os.path.join(ROOT, "build/vmlinux"), "rb") as f:
            m = re.search(rb"Linux version (\S+)", f.read())
        return m.group(1).decode() if m else "?"
    except OSError:
        return "?"
