#!/usr/bin/python3
"""mvinit's container mode, end to end, without mvm: QEMU microvm boots
build/vmlinux + build/initramfs.cpio with mvinit.control=1, a real
vhost-vsock device (CID 3) and virtio-fs shares served by QEMU's virtiofsd.
This script is the host side: it listens on the proto ports 1024-1028 (CID
any), speaks proto.h (its own small encoder, written from proto.h), and
checks what the guest does.

Needs root, /dev/kvm and /dev/vhost-vsock (modprobe vhost_vsock), busybox
static and /usr/lib/qemu/virtiofsd. Run it where Linux guests boot:
    tests/vmhost/run --module vhost_vsock -- guest-init/tests/qemu-container.py [CASE...]
Prints one line per case and ends with "N passed, N failed".
"""
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build/vmlinux")
INITRD = os.path.join(ROOT, "build/initramfs.cpio")
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
BUSYBOX = "/bin/busybox"
CID = 3
VMADDR_CID_ANY = 0xFFFFFFFF

# proto.h
VERSION = 1
HELLO, SPEC, READY, ERROR, START, SIGNAL, RESIZE, EXIT = range(1, 9)
STARTED = 22  # proto.h: the process has been executed (after START, before EXIT)
NAMES = {1: "HELLO", 2: "SPEC", 3: "READY", 4: "ERROR", 5: "START", 6: "SIGNAL",
         7: "RESIZE", 8: "EXIT", 22: "STARTED"}
SPEC_TTY, SPEC_READONLY_ROOT, MOUNT_RO = 1, 2, 1
P_CONTROL, P_STDIN, P_STDOUT, P_STDERR, P_TTY = 1024, 1025, 1026, 1027, 1028
STREAMS = {P_STDIN: "stdin", P_STDOUT: "stdout", P_STDERR: "stderr", P_TTY: "tty"}


def pstr(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b


def msg(typ, payload=b""):
    return struct.pack("<HHI", VERSION, typ, len(payload)) + payload


def spec(argv, env=("PATH=/usr/sbin:/usr/bin:/sbin:/bin",), cwd="/", hostname="",
         root_tag="rootfs", flags=0, uid=0, gid=0, umask=0o022, groups=(), rows=0, cols=0,
         mounts=(), rlimits=()):
    p = struct.pack("<IIIIHH", flags, uid, gid, umask, rows, cols)
    p += pstr(cwd) + pstr(hostname) + pstr(root_tag)
    p += struct.pack("<I", len(groups)) + b"".join(struct.pack("<I", g) for g in groups)
    p += struct.pack("<I", len(argv)) + b"".join(pstr(a) for a in argv)
    p += struct.pack("<I", len(env)) + b"".join(pstr(e) for e in env)
    p += struct.pack("<I", len(mounts))
    for tag, path, fl in mounts:
        # A share's mount: no kernel fstype or source (proto_mount).
        p += pstr(tag) + pstr(path) + struct.pack("<I", fl) + pstr("") + pstr("")
    p += struct.pack("<I", len(rlimits))
    for res, soft, hard in rlimits:
        p += struct.pack("<IQQ", res, soft, hard)
    return msg(SPEC, p)


class Fail(Exception):
    pass


class VM:
    """One boot: virtiofsd per share, QEMU, and the host ends of the streams."""

    def __init__(self, t, shares, timeout=90):
        self.t = t
        self.deadline = time.monotonic() + timeout
        self.procs = []
        self.conns = {}        # port -> socket
        self.data = {p: b"" for p in STREAMS}
        self.eof = set()
        self.ctlbuf = b""
        self.msgs = []
        self.log = os.path.join(t.dir, "console.log")
        self.exit_at = None
        devs = []
        for i, (tag, path) in enumerate(shares.items()):
            sock = os.path.join(t.dir, f"vfs{i}.sock")
            if os.path.exists(sock):
                os.unlink(sock)
            self.procs.append(subprocess.Popen(
                [VIRTIOFSD, f"--socket-path={sock}", "-o", f"source={path}",
                 "-o", "cache=auto", "-o", "sandbox=chroot", "-o", "log_level=err"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(t.dir, f"vfs{i}.log"), "w")))
            while not os.path.exists(sock):
                if self.procs[-1].poll() is not None:
                    raise Fail(f"virtiofsd for {path} failed")
                time.sleep(0.05)
            devs += ["-chardev", f"socket,id=vfs{i},path={sock}",
                     "-device", f"vhost-user-fs-device,chardev=vfs{i},tag={tag}"]
        nested = os.environ.get("VMHOST_NESTED") == "1"
        cmdline = "console=ttyS0 reboot=t panic=-1 mvinit.control=1"
        if not os.environ.get("MVINIT_QEMU_DEBUG"):
            cmdline += " quiet"
        if nested:
            cmdline += " noxsave"
        self.qemu = subprocess.Popen(
            ["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=off,acpi=off",
             "-accel", "kvm", "-cpu", "host,-xsave" if nested else "host",
             "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
             "-no-reboot", "-global", "virtio-mmio.force-legacy=false",
             "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
             "-machine", "memory-backend=mem", "-serial", f"file:{self.log}",
             "-device", f"vhost-vsock-device,guest-cid={CID}", *devs,
             "-kernel", KERNEL, "-initrd", INITRD, "-append", cmdline],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(t.dir, "qemu.log"), "w"))
        self.procs.append(self.qemu)

    # -- plumbing

    def left(self):
        return self.deadline - time.monotonic()

    def step(self, wait=0.2):
        """Accept, read and buffer whatever is ready."""
        fds = list(self.t.listeners.values()) + [c for p, c in self.conns.items()
                                                 if p not in self.eof]
        r, _, _ = select.select(fds, [], [], max(0, min(wait, self.left())))
        for s in r:
            port = self.t.port_of.get(s)
            if port is not None:
                c, (cid, _) = s.accept()
                if port in self.conns:
                    raise Fail(f"second connection on port {port}")
                self.conns[port] = c
                continue
            port = next(p for p, c in self.conns.items() if c is s)
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                b = b""
            if not b:
                self.eof.add(port)
            elif port == P_CONTROL:
                self.ctlbuf += b
                self.parse()
            else:
                self.data[port] += b
        if self.exit_at is None and self.qemu.poll() is not None:
            self.exit_at = time.monotonic()

    def parse(self):
        while len(self.ctlbuf) >= 8:
            ver, typ, n = struct.unpack("<HHI", self.ctlbuf[:8])
            if ver != VERSION:
                raise Fail(f"guest sent version {ver}")
            if len(self.ctlbuf) < 8 + n:
                return
            self.msgs.append((typ, self.ctlbuf[8:8 + n], time.monotonic()))
            self.ctlbuf = self.ctlbuf[8 + n:]

    def until(self, cond, what):
        while not cond():
            if self.left() <= 0:
                raise Fail(f"timed out waiting for {what}; {self.summary()}")
            self.step()

    def summary(self):
        got = ", ".join(NAMES.get(m[0], str(m[0])) for m in self.msgs)
        out = {STREAMS[p]: self.data[p][-200:] for p in STREAMS if self.data[p]}
        logs = ""
        for name in sorted(os.listdir(self.t.dir)):
            if name.endswith(".log") and name != "console.log":
                with open(os.path.join(self.t.dir, name), errors="replace") as f:
                    text = f.read().strip()
                if text:
                    logs += f"\n{name}: {text[-600:]}"
        return (f"messages [{got}], connections {sorted(self.conns)}, streams {out}, "
                f"console: {self.console()[-1500:]}{logs}")

    def console(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def send(self, data):
        self.conns[P_CONTROL].sendall(data)

    def next_msg(self, what):
        """The next message but STARTED, which is noted in self.started."""
        while True:
            self.until(lambda: self.msgs, what)
            m = self.msgs.pop(0)
            if m[0] != STARTED:
                return m
            self.started = True

    # -- the conversation

    def hello_spec(self, spec_msg):
        self.until(lambda: P_CONTROL in self.conns, "the control connection")
        typ, p, _ = self.next_msg("HELLO")
        if typ != HELLO or p != struct.pack("<I", VERSION):
            raise Fail(f"first message {typ} {p!r}, want HELLO {VERSION}")
        self.send(spec_msg)

    def ready(self):
        typ, p, _ = self.next_msg("READY")
        if typ == ERROR:
            st, = struct.unpack("<I", p[:4])
            raise Fail(f"ERROR {st}: {p[8:-1].decode(errors='replace')}")
        if typ != READY:
            raise Fail(f"got {NAMES.get(typ, typ)}, want READY")

    def error(self):
        """Expect ERROR (no READY): returns (status, message)."""
        typ, p, _ = self.next_msg("ERROR")
        if typ != ERROR:
            raise Fail(f"got {NAMES.get(typ, typ)}, want ERROR")
        st, n = struct.unpack("<II", p[:8])
        text = p[8:8 + n - 1].decode(errors="replace")
        self.conns[P_CONTROL].close()
        self.eof.add(P_CONTROL)
        return st, text

    def write(self, port, data):
        self.until(lambda: port in self.conns, f"the {STREAMS[port]} connection")
        self.conns[port].sendall(data)

    def shut(self, port):
        self.until(lambda: port in self.conns, f"the {STREAMS[port]} connection")
        self.conns[port].shutdown(socket.SHUT_WR)

    def wait_output(self, port, needle):
        self.until(lambda: needle in self.data[port], f"{needle!r} on {STREAMS[port]}")

    def exit_status(self, streams=(P_STDOUT, P_STDERR)):
        """Expect EXIT; close control as the host should, then read the
        output streams to EOF and wait for QEMU's exit. Returns the status."""
        typ, p, at = self.next_msg("EXIT")
        if typ == ERROR:
            st, n = struct.unpack("<II", p[:8])
            raise Fail(f"ERROR {st} after START: {p[8:8 + n - 1].decode()}")
        if typ != EXIT:
            raise Fail(f"got {NAMES.get(typ, typ)}, want EXIT")
        # The guest shut the output streams before it sent EXIT; what they
        # still hold here was sent before it too.
        self.conns[P_CONTROL].close()
        self.eof.add(P_CONTROL)
        self.until(lambda: all(s in self.eof for s in streams), "EOF on the outputs")
        self.until(lambda: self.exit_at is not None, "QEMU to exit")
        self.lag = self.exit_at - at
        return struct.unpack("<I", p)[0]

    def powered_off(self):
        self.until(lambda: self.exit_at is not None, "QEMU to exit")

    def out(self, port=P_STDOUT):
        return self.data[port].decode(errors="replace")

    def close(self):
        for c in self.conns.values():
            c.close()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


class Tester:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mvinit-qemu-")
        self.listeners = {}
        for port in (P_CONTROL, P_STDIN, P_STDOUT, P_STDERR, P_TTY):
            s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
            s.bind((VMADDR_CID_ANY, port))
            s.listen(4)
            self.listeners[port] = s
        self.port_of = {s: p for p, s in self.listeners.items()}
        self.rootfs = self.make_rootfs("rootfs", ["proc", "sys", "dev", "etc", "home/user"])
        # A read-only root without /run and /tmp: those are optional.
        self.rorootfs = self.make_rootfs("rorootfs", ["proc", "sys", "dev", "etc", "data"])
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        os.chmod(self.data, 0o777)
        with open(os.path.join(self.data, "hello.txt"), "w") as f:
            f.write("from the host\n")

    def make_rootfs(self, name, dirs):
        r = os.path.join(self.dir, name)
        for d in ["bin"] + dirs:
            os.makedirs(os.path.join(r, d), exist_ok=True)
        shutil.copy(BUSYBOX, os.path.join(r, "bin/busybox"))
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout
        for a in applets.split():
            if a != "busybox":
                os.symlink("busybox", os.path.join(r, "bin", a))
        with open(os.path.join(r, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
        with open(os.path.join(r, "etc/group"), "w") as f:
            f.write("root:x:0:\ntty:x:5:\nwheel:x:10:user\nuser:x:1000:\n")
        with open(os.path.join(r, "etc/notexec"), "w") as f:
            f.write("#!/bin/sh\necho should not run\n")
        with open(os.path.join(r, "etc/rootonly"), "w") as f:
            f.write("#!/bin/sh\necho should not run\n")
        os.chmod(os.path.join(r, "etc/rootonly"), 0o700)
        if "home/user" in dirs:
            os.chown(os.path.join(r, "home/user"), 1000, 1000)
        return r

    def boot(self, shares=None, **kw):
        return VM(self, shares or {"rootfs": self.rootfs}, **kw)


# ---- cases: each returns None or raises Fail


def case_exit_status(t):
    """sh -c 'echo hi; echo err >&2; exit 3': stdout, stderr apart, status 3."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if st != 3 or vm.out() != "hi\n" or vm.out(P_STDERR) != "err\n":
            raise Fail(f"status {st}, stdout {vm.out()!r}, stderr {vm.out(P_STDERR)!r}")
        return f"EXIT 3, EXIT to power-off {vm.lag * 1000:.0f} ms"
    finally:
        vm.close()


def case_path_lookup(t):
    """argv[0] without '/' is searched in the spec's PATH."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["echo", "found"], env=("PATH=/nonexistent:/bin",)))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if st != 0 or vm.out() != "found\n":
            raise Fail(f"status {st}, stdout {vm.out()!r}")
    finally:
        vm.close()


def case_stdin_eof(t):
    """stdin reaches the process, and so does its EOF."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c", "cat; echo done"]))
        vm.ready()
        vm.send(msg(START))
        vm.write(P_STDIN, b"abc\n" + b"x" * 300000 + b"\n")
        vm.shut(P_STDIN)
        st = vm.exit_status()
        want = "abc\n" + "x" * 300000 + "\ndone\n"
        if st != 0 or vm.out() != want:
            raise Fail(f"status {st}, stdout {len(vm.out())} bytes, tail {vm.out()[-20:]!r}")
        return "300 kB through stdin and back"
    finally:
        vm.close()


def case_signal(t):
    """SIGNAL 15 reaches the process with default dispositions restored."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c",
                            "trap 'echo got TERM; exit 42' TERM; echo ready; "
                            "while :; do sleep 0.1; done"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        vm.wait_output(P_STDOUT, b"ready\n")
        vm.send(msg(SIGNAL, struct.pack("<I", 15)))
        st = vm.exit_status()
        if st != 42 or vm.out() != "ready\ngot TERM\n":
            raise Fail(f"status {st}, stdout {vm.out()!r}")
    finally:
        vm.close()


def case_sigkill(t):
    """SIGNAL 9 kills the process: 128+9."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sleep", "1000"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(SIGNAL, struct.pack("<I", 9)))  # before START: queued
        vm.send(msg(START))
        st = vm.exit_status()
        if st != 137:
            raise Fail(f"status {st}")
        return "SIGKILL sent before START, delivered after"
    finally:
        vm.close()


def case_killed_by_signal(t):
    """A process killed by signal N gives 128+N."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c", "kill -SEGV $$"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if st != 128 + 11:
            raise Fail(f"status {st}")
    finally:
        vm.close()


def case_not_found(t):
    """A missing command: ERROR 127 instead of READY."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["nosuchcmd", "x"]))
        st, text = vm.error()
        want = 'exec "nosuchcmd": executable file not found in $PATH'
        if st != 127 or text != want:
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 127 {text!r}"
    finally:
        vm.close()


def case_not_executable(t):
    """A file without x bits: ERROR 126, permission denied."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/etc/notexec"]))
        st, text = vm.error()
        if st != 126 or text != 'exec "/etc/notexec": permission denied':
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 126 {text!r}"
    finally:
        vm.close()


def case_exec_fails_in_child(t):
    """execve fails only as the user (root-only file): ERROR 126 after START."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/etc/rootonly"], uid=1000, gid=1000))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st, text = vm.error()
        if st != 126 or text != 'exec "/etc/rootonly": permission denied':
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 126 {text!r} after START"
    finally:
        vm.close()


def case_big_output(t):
    """2 MiB on stdout, all of it before EXIT."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c",
                            "dd if=/dev/zero bs=1024 count=2048 2>/dev/null | tr '\\0' x"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if st != 0 or vm.out() != "x" * (2 << 20):
            raise Fail(f"status {st}, {len(vm.out())} bytes")
    finally:
        vm.close()


def case_bad_cwd(t):
    """A cwd that does not exist: ERROR 1."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/true"], cwd="/nonexistent"))
        st, text = vm.error()
        if st != 1 or "/nonexistent" not in text:
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 1 {text!r}"
    finally:
        vm.close()


def case_container(t):
    """Mounts, user, groups, cwd, umask, env, hostname, rlimit, /dev."""
    script = "; ".join([
        "id", "pwd", "hostname", "echo FOO=$FOO", "umask", "ulimit -n",
        "grep -E ' / | /proc | /sys | /dev | /dev/pts | /dev/shm | /dev/mqueue | /run | /tmp "
        "| /data | /ro ' /proc/mounts | cut -d' ' -f2-4",
        "readlink /dev/ptmx", "cat /ro/hello.txt",
        "echo written > /data/by-guest.txt", "touch /ro/x 2>&1 | sed 's/.*: //'",
        "echo > /dev/stdout via-dev-stdout",
        "ls -ld /tmp | cut -c1-10", "echo lo: $(cat /sys/class/net/lo/operstate)",
    ])
    vm = t.boot({"rootfs": t.rootfs, "data": t.data})
    try:
        vm.hello_spec(spec(["/bin/sh", "-c", script], cwd="/home/user", hostname="box",
                           uid=1000, gid=1000, groups=(10, 1000), umask=0o027,
                           env=("PATH=/bin", "FOO=bar baz"),
                           mounts=(("data", "/data", 0), ("data", "/ro", MOUNT_RO)),
                           rlimits=((7, 123, 456),)))  # RLIMIT_NOFILE
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        out = vm.out()
        want = [
            "uid=1000(user) gid=1000(user) groups=10(wheel),1000(user)",
            "/home/user", "box", "FOO=bar baz", "0027", "123",
            "/ virtiofs rw", "/proc proc rw,nosuid,nodev,noexec",
            "/sys sysfs ro,nosuid,nodev,noexec", "/dev tmpfs rw,nosuid",
            "/dev/pts devpts rw,nosuid,noexec", "/dev/shm tmpfs rw,nosuid,nodev",
            "/dev/mqueue mqueue rw,nosuid,nodev,noexec", "/run tmpfs rw,nosuid,nodev",
            "/tmp tmpfs rw,nosuid,nodev", "/data virtiofs rw", "/ro virtiofs ro",
            "pts/ptmx", "from the host", "Read-only file system", "via-dev-stdout",
            "drwxrwxrwt", "lo: unknown",
        ]
        missing = [w for w in want if w not in out]
        if st != 0 or missing:
            raise Fail(f"status {st}, missing {missing}; stdout:\n{out}\nstderr: {vm.out(P_STDERR)}")
        path = os.path.join(t.data, "by-guest.txt")
        s = os.stat(path)
        if open(path).read() != "written\n" or s.st_uid != 1000 or (s.st_mode & 0o777) != 0o640:
            raise Fail(f"host file: uid {s.st_uid} mode {s.st_mode:o}")
        # mvinit created the missing mount points in the writable root.
        for d in ("run", "tmp"):
            if not os.path.isdir(os.path.join(t.rootfs, d)):
                raise Fail(f"/{d} not created in the writable root")
    finally:
        vm.close()


def case_readonly_root(t):
    """READONLY_ROOT: / refuses writes, missing /run and /tmp are skipped."""
    vm = t.boot({"rootfs": t.rorootfs, "data": t.data})
    try:
        vm.hello_spec(spec(["/bin/sh", "-c",
                            "touch /x 2>&1 | sed 's/.*: //'; grep -c ' /tmp ' /proc/mounts; "
                            "echo ok > /data/ro-root.txt && echo data-ok"],
                           flags=SPEC_READONLY_ROOT, mounts=(("data", "/data", 0),)))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if vm.out() != "Read-only file system\n0\ndata-ok\n":
            raise Fail(f"status {st}, stdout {vm.out()!r}")
    finally:
        vm.close()


def case_readonly_missing_mountpoint(t):
    """READONLY_ROOT and a spec mount point that is missing: ERROR 1."""
    vm = t.boot({"rootfs": t.rorootfs, "data": t.data})
    try:
        vm.hello_spec(spec(["/bin/true"], flags=SPEC_READONLY_ROOT,
                           mounts=(("data", "/missing/dir", 0),)))
        st, text = vm.error()
        if st != 1 or "/missing/dir" not in text or "read-only" not in text:
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 1 {text!r}"
    finally:
        vm.close()


def case_bad_tag(t):
    """A spec mount of a share that does not exist: ERROR 1 naming it."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/true"], mounts=(("nosuchtag", "/data", 0),)))
        st, text = vm.error()
        if st != 1 or "nosuchtag" not in text or "/data" not in text:
            raise Fail(f"ERROR {st} {text!r}")
        vm.powered_off()
        return f"ERROR 1 {text!r}"
    finally:
        vm.close()


def case_tty(t):
    """A pty: controlling terminal, window size, input, RESIZE."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c",
                            "tty; stty size; [ -t 0 ] && echo is-a-tty; read x; echo got:$x; "
                            "stty size; exit 5"],
                           flags=SPEC_TTY, rows=24, cols=80))
        vm.ready()
        vm.send(msg(START))
        vm.wait_output(P_TTY, b"is-a-tty")
        vm.send(msg(RESIZE, struct.pack("<HH", 30, 100)))
        vm.step(0.3)  # RESIZE and the input travel on different streams
        vm.write(P_TTY, b"hello\r")
        st = vm.exit_status(streams=(P_TTY,))
        out = vm.out(P_TTY).replace("\r\n", "\n")
        for w in ("/dev/pts/0\n", "24 80\n", "is-a-tty\n", "got:hello\n", "30 100\n"):
            if w not in out:
                raise Fail(f"{w!r} missing; status {st}; tty {out!r}")
        if st != 5 or not out.startswith("/dev/pts/0\n"):
            raise Fail(f"status {st}, tty output {out!r}")
    finally:
        vm.close()


def case_orphans(t):
    """Orphans are reaped by PID 1 (no zombies)."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c",
                            "for i in 1 2 3; do (sleep 0.1 &); done; sleep 1; "
                            "ps -o stat,comm | grep -c '^Z'"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        st = vm.exit_status()
        if vm.out().strip() != "0":
            raise Fail(f"status {st}, zombies: {vm.out()!r}")
    finally:
        vm.close()


def case_host_gone(t):
    """The host closes the control stream: the VM powers off."""
    vm = t.boot()
    try:
        vm.hello_spec(spec(["/bin/sh", "-c", "echo running; sleep 1000"]))
        vm.ready()
        vm.shut(P_STDIN)
        vm.send(msg(START))
        vm.wait_output(P_STDOUT, b"running")
        vm.conns[P_CONTROL].close()
        vm.eof.add(P_CONTROL)
        t0 = time.monotonic()
        vm.powered_off()
        if "host is gone" not in vm.console():
            raise Fail(f"console: {vm.console()[-400:]!r}")
        return f"powered off {1000 * (vm.exit_at - t0):.0f} ms after the close"
    finally:
        vm.close()


CASES = [(n[5:], f) for n, f in globals().items() if n.startswith("case_")]


def main():
    for f in (KERNEL, INITRD, VIRTIOFSD, BUSYBOX):
        if not os.path.exists(f):
            sys.exit(f"qemu-container: {f} missing")
    want = sys.argv[1:]
    t = Tester()
    passed = failed = 0
    for name, f in CASES:
        if want and name not in want:
            continue
        t0 = time.monotonic()
        try:
            note = f(t)
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f} s){': ' + note if note else ''}",
                  flush=True)
        except Fail as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
    shutil.rmtree(t.dir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
