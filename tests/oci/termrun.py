#!/usr/bin/python3
"""termrun.py CMD [ARG...]: run CMD on a new terminal (its stdio and
controlling terminal) with nothing typed, and copy every byte it writes
there to stdout, as is. Exits with CMD's status (128+N for signal N)."""
import os, pty, sys

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: the slave's last holder is gone
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
