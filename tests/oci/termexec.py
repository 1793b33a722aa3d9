#!/usr/bin/python3
"""termexec.py CMD [ARG...]: run CMD on a new terminal, as a user would.

CMD (mvrun exec -t ... sh) gets a pty of 33x77 as its stdio and
controlling terminal. This types `stty size`, waits for "33 77", resizes
the terminal to 40x100 (the kernel sends SIGWINCH to CMD), types `stty
size` again and waits for "40 100", then types `exit 5`. Everything read
goes to stdout; the exit status is CMD's (128+N for signal N), or 100 when
an expected answer did not come within 60 s.
"""
import fcntl, os, pty, select, struct, sys, termios, time

out = b""


def read_until(fd, want, limit=60):
    global out
    end = time.time() + limit
    while want not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    return want in out


def size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    pid, master = pty.fork()
    if pid == 0:
        size(0, 33, 77)
        os.execvp(sys.argv[1], sys.argv[1:])
    time.sleep(0.5)
    os.write(master, b"stty size\n")
    ok = read_until(master, b"33 77\n")  # ONLCR off, as runc's
    if ok:
        size(master, 40, 100)
        time.sleep(2)
        os.write(master, b"stty size\n")
        ok = read_until(master, b"40 100\n")
    os.write(master, b"exit 5\n")
    read_until(master, b"\0", 30)  # to EOF
    if not ok:
        os.kill(pid, 9)
    _, ws = os.waitpid(pid, 0)
    st = os.WEXITSTATUS(ws) if os.WIFEXITED(ws) else 128 + os.WTERMSIG(ws)
    sys.exit(st if ok else 100)


if __name__ == "__main__":
    main()
