"""amlite's idle memory after each phase of the registry workload, beside another amlite build.

Run ``.venv/bin/python bench/memory_phases.py [--versions 20000] [--against OTHER/.venv/bin/amlite]``.
``--against`` names the ``amlite`` executable of another checkout (an older commit's virtualenv,
say), run second on the same workload, so a change's effect on memory is two columns of one run.

The phases are ``registry_bench.py``'s, for amlite alone (one process, SQLite, new connections):
``--versions`` versions by 1 writer spread over 20 models, as many again by 8 writers in one
model, the reads of that model, 100 kept-alive ``/health`` requests, one 256 MiB upload and
download. After each, the server is left idle for ``--idle`` seconds and the PSS of its process
tree is read from ``/proc/<pid>/smaps_rollup``. With ``--trim``, a last reading follows glibc's
``malloc_trim(0)`` called in the server through gdb: what the allocator still held free.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry_bench import Amlite, artifact, big_file, create_many, keepalive, reads


def phases(amlite: str, versions: int, idle: float, trim: bool, workdir: Path, src: Path,
           sha: str) -> list[tuple[str, float, str]]:
    """(phase, PSS MB after it, what the phase measured) for one server."""
    system = Amlite(workdir, amlite, None, 1, False)
    out: list[tuple[str, float, str]] = []

    def after(name: str, work: Callable[[], Any]) -> None:
        measured = work()
        time.sleep(idle)
        out.append((name, system.memory()[0], measured if isinstance(measured, str) else ""))
        print(f"  {name}: {out[-1][1]:.1f} MB {out[-1][2]}", flush=True)

    try:
        after("start-up (50 warm-up versions)", lambda: create_many(system, ["warmup"], 0, 50, 8))
        after(f"{versions} versions, 1 writer, 20 models",
              lambda: f"{create_many(system, [f's{k}' for k in range(20)], 0, versions, 1):.0f} versions/s")
        after(f"{versions} versions, 8 writers, one model",
              lambda: f"{create_many(system, ['one'], 0, versions, 8):.0f} versions/s")
        after("reads of that model", lambda: reads(system, "one", 50, 10, 20))
        after("100 kept-alive /health", lambda: keepalive(system, 100))
        after("256 MiB up and down",
              lambda: "{:.0f} / {:.0f} MiB/s".format(*artifact(system, workdir, src, sha)))
        if trim:
            assert system.proc is not None
            subprocess.run(["gdb", "-p", str(system.proc.pid), "-batch", "-ex", "call (int)malloc_trim(0)"],
                           capture_output=True, check=False)
            after("then malloc_trim(0) through gdb", lambda: "")
    finally:
        system.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--against", help="another build's amlite executable, run second")
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=7.0, help="seconds idle before each reading")
    parser.add_argument("--trim", action="store_true", help="end with malloc_trim(0) through gdb")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-memory-"))
    try:
        src = workdir / "big.bin"
        sha = big_file(src, 256 * 2**20)
        os.sync()
        columns: list[list[tuple[str, float, str]]] = []
        for amlite in [args.amlite, *([args.against] if args.against else [])]:
            print(f"{amlite}:", flush=True)
            run = workdir / f"run{len(columns)}"
            run.mkdir()
            columns.append(phases(amlite, args.versions, args.idle, args.trim, run, src, sha))
            shutil.rmtree(run, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nPSS of the server after each phase, MB (idle {args.idle:.0f} s before each reading); "
          f"load average (1 min) {os.getloadavg()[0]:.1f} at the end")
    names = ["this build", *(["--against"] if args.against else [])]
    print(f"{'phase':44} " + " ".join(f"{n:>12}" for n in names) + ("   ratio" if args.against else ""))
    for i, (phase, mb, _) in enumerate(columns[0]):
        row = [mb, *(c[i][1] for c in columns[1:])]
        ratio = f"  {row[0] / row[1]:5.2f}x" if len(row) > 1 else ""
        print(f"{phase:44} " + " ".join(f"{v:12.1f}" for v in row) + ratio)


if __name__ == "__main__":
    main()
