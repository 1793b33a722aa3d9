#!/usr/bin/python3
"""console.py SOCK INPUT CMD [ARG...]: stand in for an engine's console socket.

Listens on the unix socket SOCK, runs CMD (which is given SOCK as its
--console-socket), receives the pty master it sends (one message, one
SCM_RIGHTS fd), writes INPUT to it, and copies what comes back to stdout
until the pty hangs up or 60 s pass. Exits with CMD's status (128+N for
signal N), or 100 if no fd arrived. With CONSOLE_SIZE=ROWSxCOLS in the
environment it first sets the master's window size, as engines do. With
CONSOLE_UNTIL_HUP=1 it keeps reading after CMD has exited (CMD is a create
whose process a later start runs).
"""
import array, fcntl, os, select, socket, struct, subprocess, sys, termios, time


def main():
    path, text, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    proc = subprocess.Popen(argv)
    srv.settimeout(60)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        proc.kill()
        sys.exit(100)
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    if len(fds) != 1:
        proc.kill()
        sys.exit(100)
    master = fds[0]
    if os.environ.get("CONSOLE_SIZE"):
        rows, cols = (int(v) for v in os.environ["CONSOLE_SIZE"].split("x"))
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.write(master, text.encode())
    end = time.time() + 60
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        elif proc.poll() is not None and not os.environ.get("CONSOLE_UNTIL_HUP"):
            break
    st = proc.wait(timeout=60)
    sys.exit(128 - st if st < 0 else st)


if __name__ == "__main__":
    main()
