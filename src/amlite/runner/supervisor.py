"""The small process between the server and a job's command: ``python supervisor.py LOG CWD --
COMMAND`` (run as a script: it imports the standard library only).

It runs COMMAND with ``/bin/sh -c`` in a process group of its own, output and errors appended to
LOG, and ends that whole group (TERM, then KILL after a grace period) when any of these happens:

- the server asks (it sends the supervisor SIGTERM: a cancel);
- the server dies, however it dies: the supervisor's stdin is a pipe whose other end only the
  server holds, so it reads end-of-file when the server is gone, even after ``kill -9``; on Linux
  ``PR_SET_PDEATHSIG`` also signals it at once;
- the command itself ends: what it left running in the background goes with it.

Its exit status is the command's (128 + N for a command ended by signal N).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

GRACE_SECONDS = 3.0
PR_SET_PDEATHSIG = 1


def _end_group(pgid: int) -> None:
    """TERM the group, then KILL what is left of it after the grace period."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _watch_parent(pgid: int, parent: int) -> None:
    """Block on stdin; end-of-file (or an error) means the server is gone."""
    try:
        while os.read(0, 4096):
            continue
    except OSError as exc:
        print(f"amlite supervisor: stdin failed ({exc}); ending the job", file=sys.stderr)
    _end_group(pgid)
    os._exit(137)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: supervisor.py LOG CWD -- COMMAND", file=sys.stderr)
        return 2
    log_path, cwd, command = argv[0], argv[1], " ".join(argv[3:])
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the server died before the signal was asked for
            return 137
    with open(log_path, "ab", buffering=0) as log:
        child = subprocess.Popen(["/bin/sh", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, process_group=0)
    pgid = child.pid

    def on_term(signum: int, frame: object) -> None:
        _end_group(pgid)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    threading.Thread(target=_watch_parent, args=(pgid, parent), daemon=True).start()
    code = child.wait()
    _end_group(pgid)  # what the command left behind in its group
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # not sys.exit: the watcher thread is blocked reading stdin
