"""How long an ``amlite`` command takes to start: import time and wall time of whole processes.

Every CLI invocation is a new process, so what it imports before doing anything is paid on every
command (and hundreds of times by the end-to-end tests). This measures, median of ``--runs``:

- ``-X importtime`` total of ``import amlite.cli.main`` (the console script's first line);
- wall time, CPU time and ``-X importtime`` total of a few typical commands run as the console script does (``python -c "from
  amlite.cli.main import main; main()" ...``) against a profile whose endpoint is a closed
  loopback port, so that a command that talks to the server fails at once on connect.

Usage: ``PYTHONPATH=src .venv/bin/python bench/cli_startup.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: list[list[str]] = [
    ["--version"],
    ["--help"],
    ["ml", "model", "list", "-w", "x", "-g", "y"],
    ["ml", "workspace", "show", "-n", "x", "-g", "y"],
    ["group", "list"],
]


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_profile(directory: Path) -> None:
    """A logged-in profile with a cached token, pointing at a closed port."""
    sub = "00000000-0000-0000-0000-000000000001"
    profile = {
        "endpoint": f"http://127.0.0.1:{closed_port()}", "tenantId": "t",
        "user": {"name": "bench", "type": "user"},
        "subscriptions": [{"id": sub, "name": "bench", "isDefault": True, "tenantId": "t", "state": "Enabled"}],
    }
    tokens = {"accessToken": "x", "expiresOn": int(time.time()) + 86400, "expiresIn": 86400, "refreshToken": "r"}
    (directory / "profile.json").write_text(json.dumps(profile), encoding="utf-8")
    (directory / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")


def import_ms() -> float:
    """Cumulative ``-X importtime`` of ``amlite.cli.main``, in milliseconds."""
    proc = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-X", "importtime", "-c", "import amlite.cli.main"],
        capture_output=True, text=True, check=True,
    )
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| amlite\.cli\.main$", line)
        if match:
            return int(match.group(1)) / 1000
    raise RuntimeError("amlite.cli.main not in the -X importtime output")


def command_import_ms(args: list[str], env: dict[str, str]) -> float:
    """Everything ``-X importtime`` reports for one whole command (the sum of its top-level
    imports): a command group's modules are imported when the command runs, not with the script."""
    proc = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-X", "importtime", "-c", "from amlite.cli.main import main; main()", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )
    return sum(int(m.group(1)) for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| \S", proc.stderr, re.M)) / 1000


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ms(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) milliseconds of one command, as the console script runs it."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", "from amlite.cli.main import main; main()", *args],
        capture_output=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )
    return (time.perf_counter() - start) * 1000, (_children_cpu() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_profile(Path(tmp))
        env = {**os.environ, "AMLITE_CONFIG_DIR": tmp}
        bare = statistics.median(
            wall_ms_raw([sys.executable, "-c", "pass"]) for _ in range(opts.runs)
        )
        print(f"python -c pass (interpreter floor): {bare:7.1f} ms")
        print(f"-X importtime amlite.cli.main:      {statistics.median(import_ms() for _ in range(opts.runs)):7.1f} ms")
        print(f"{'command':<44} {'wall':>9} {'CPU':>9} {'imports':>9}")
        for args in COMMANDS:
            runs = [run_ms(args, env) for _ in range(opts.runs)]
            wall = statistics.median(w for w, _c in runs)
            cpu = statistics.median(c for _w, c in runs)
            imports = statistics.median(command_import_ms(args, env) for _ in range(opts.runs))
            print(f"amlite {' '.join(args):<37} {wall:6.1f} ms {cpu:6.1f} ms {imports:6.1f} ms")


def wall_ms_raw(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)  # noqa: S603 - this interpreter
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
