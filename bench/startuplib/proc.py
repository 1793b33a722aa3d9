"""Process plumbing for bench/startup: timed spawns, waits with timeouts,
the subreaper, and a registry of everything still running so that Ctrl-C
can kill it."""
import ctypes, errno, os, select, signal, subprocess, time

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
_libc = ctypes.CDLL(None, use_errno=True)

LIVE = {}  # pid -> Popen, everything spawned and not yet reaped


class Failed(Exception):
    """A runtime command failed: the message names the command and its stderr."""


def become_subreaper():
    """Containers whose runtime exits after create (mvm, runc init) are
    re-parented here, as under conmon or a shim, so their pids can be waited
    for. Returns False if the kernel refused."""
    return _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def hide_cgroup_unified():
    """preexec for crun on a hybrid cgroup host: crun 1.8 refuses hybrid
    mode, so give it a private mount namespace with a tmpfs over
    /sys/fs/cgroup/unified (it then sees plain cgroup v1)."""
    os.setsid()
    if _libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    if _libc.mount(b"tmpfs", b"/sys/fs/cgroup/unified", b"tmpfs", 0, None) != 0:
        raise OSError(ctypes.get_errno(), "mount tmpfs on /sys/fs/cgroup/unified")


def spawn(argv, env=None, stdout=subprocess.DEVNULL, stderr=None, stdin=subprocess.DEVNULL,
          preexec=None):
    """Start argv in its own session (a Ctrl-C on the terminal reaches only the
    harness, which then cleans up). stderr None: a pipe. Returns the Popen."""
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout,
                         stderr=subprocess.PIPE if stderr is None else stderr, env=env,
                         start_new_session=preexec is None, preexec_fn=preexec)
    LIVE[p.pid] = p
    return p


def adopt(pid):
    """Track a container process re-parented to us, for kill_all()."""
    LIVE.setdefault(pid, None)


def wait_pid(pid, timeout, what):
    """Wait for pid (a child, or a container re-parented to us), up to timeout
    seconds. Returns (exit status, rusage) or raises Failed."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        fd = -1
    try:
        if fd >= 0 and not select.select([fd], [], [], timeout)[0]:
            raise Failed(f"{what}: still running after {timeout} s")
        while True:
            try:
                _, st, ru = os.wait4(pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                return 0, None  # not ours to wait for (no subreaper): it has ended
    finally:
        if fd >= 0:
            os.close(fd)
    p = LIVE.pop(pid, None)
    code = os.waitstatus_to_exitcode(st)
    if p is not None:
        p.returncode = code
    return (code if code >= 0 else 128 - code), ru


def wait_each(ps, timeout, what):
    """Wait for all of ps (Popens) at once; returns {pid: (ns at exit,
    status)}, each time taken when its pidfd said it ended."""
    fds = {os.pidfd_open(p.pid): p for p in ps}
    out = {}
    deadline = time.monotonic() + timeout
    try:
        while fds:
            left = deadline - time.monotonic()
            ready = select.select(list(fds), [], [], left)[0] if left > 0 else []
            if not ready:
                raise Failed(f"{what}: {len(fds)} still running after {timeout} s")
            t = time.monotonic_ns()
            for fd in ready:
                p = fds.pop(fd)
                os.close(fd)
                st, _ = wait_pid(p.pid, timeout, what)
                out[p.pid] = (t, st)
    finally:
        for fd in fds:
            os.close(fd)
    return out


def finish(p, timeout, what, check=True):
    """Read p's stderr to EOF and reap it. Returns (ns at exit, status, rusage,
    stderr text); raises Failed on a nonzero status when check is set."""
    err = b""
    if p.stderr is not None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([p.stderr], [], [], left)[0]:
                raise Failed(f"{what}: no exit after {timeout} s")
            chunk = os.read(p.stderr.fileno(), 65536)
            if not chunk:
                break
            err += chunk
        p.stderr.close()
    st, ru = wait_pid(p.pid, timeout, what)
    t = time.monotonic_ns()
    text = err.decode(errors="replace")
    if check and st != 0:
        last = text.strip().splitlines()[-1] if text.strip() else "no message"
        raise Failed(f"{what}: exit status {st}: {last}")
    return t, st, ru, text


def run(argv, timeout, what, env=None, preexec=None, check=True):
    """Run argv to completion; returns (status, stderr text)."""
    p = spawn(argv, env=env, preexec=preexec)
    _, st, _, err = finish(p, timeout, what, check)
    return st, err


def read_line(fd, timeout, what):
    """Block until a whole line arrives on fd; returns the ns at its arrival."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise Failed(f"{what}: no output line after {timeout} s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise Failed(f"{what}: output closed before a whole line ({buf!r})")
        buf += chunk
    return time.monotonic_ns()


def kill_all():
    """SIGKILL every process group and process still running from here."""
    for pid, p in list(LIVE.items()):
        for f in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                f()
            except OSError:
                pass


def reap_orphans():
    """Reap whatever ended and is not waited for elsewhere (re-parented
    container processes). Only call it when no Popen is outstanding."""
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return
        LIVE.pop(pid, None)


def _status(pid):
    """(Name, VmRSS KiB, VmHWM KiB) of pid, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            d = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    except (OSError, ValueError):
        return None
    kib = lambda k: int(d.get(k, "0 kB").split()[0])
    return d.get("Name", "?").strip(), kib("VmRSS"), kib("VmHWM")


def tree(root):
    """pid -> (Name, VmRSS, VmHWM) for root and all its descendants."""
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(e))
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        st = _status(pid)
        if st:
            out[pid] = st
        todo.extend(kids.get(pid, ()))
    return out


def sample_memory(p, period, timeout, what):
    """While p runs, sample its process tree every `period` s. Returns
    (peak of the summed VmRSS, the largest VmHWM seen and its process name),
    KiB; then reaps p like finish()."""
    fd = os.pidfd_open(p.pid)
    peak, hwm, name = 0, 0, "?"
    try:
        deadline = time.monotonic() + timeout
        while not select.select([fd], [], [], period)[0]:
            if time.monotonic() > deadline:
                raise Failed(f"{what}: still running after {timeout} s")
            t = tree(p.pid)
            peak = max(peak, sum(r for _, r, _ in t.values()))
            for n, _, h in t.values():
                if h > hwm:
                    hwm, name = h, n
    finally:
        os.close(fd)
    finish(p, timeout, what)
    return peak, hwm, name
