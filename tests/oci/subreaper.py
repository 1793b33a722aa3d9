#!/usr/bin/python3
"""subreaper.py LOG CMD [ARG...]: stand in for an engine's shim or conmon.

Becomes a child subreaper (PR_SET_CHILD_SUBREAPER, as containerd's shim and
conmon do), runs CMD (usually `mvrun create ...`) with this process's stdio,
and appends "cmd STATUS" to LOG when it ends. Then it stays, reaping what
CMD left behind (mvm, re-parented here), and appends "PID STATUS" to LOG for
each, STATUS being what a shell prints: the exit code, or 128+N for signal
N. It exits when it has no children left.
"""
import ctypes, os, sys

PR_SET_CHILD_SUBREAPER = 36


def status(ws):
    return os.WEXITSTATUS(ws) if os.WIFEXITED(ws) else 128 + os.WTERMSIG(ws)


def main():
    log, argv = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("subreaper: prctl: " + os.strerror(ctypes.get_errno()))
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    while True:
        try:
            p, ws = os.wait()
        except ChildProcessError:
            return
        with open(log, "a") as f:
            f.write(f"{'cmd' if p == pid else p} {status(ws)}\n")


if __name__ == "__main__":
    main()
