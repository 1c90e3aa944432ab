"""The server's side of the scoring hosts: lay out a deployment's files, start its process, wait
for ``init()``, stop it.

Each deployment generation gets its own folder under ``<data dir>/online/<deployment key>/
<generation>/`` (``model/``, the ``AZUREML_MODEL_DIR``; ``code/``, the scoring code) and one log,
``<data dir>/online/<deployment key>/deployment.log``, that ``getLogs`` reads. The processes are
children of the server and die with it: on Linux each is started with ``PR_SET_PDEATHSIG``
(SIGKILL), so a server killed with ``-9`` leaves none behind; the signal fires when the *thread*
that started the child ends, so every child is started from one thread that lives as long as the
runtime (``_spawner``). They run in a session of their own so that stopping one ends whatever
its scoring script started too.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
LOG_NAME = "deployment.log"


class ScoringStartFailed(Exception):
    """The scoring host did not come up (``init()`` failed, or it did not answer in time)."""


@dataclass(frozen=True)
class ScoringProcess:
    key: str
    generation: str
    port: int
    process: subprocess.Popen[bytes]


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL when the parent (thread) goes."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()


class LocalScoringRuntime:
    def __init__(self, root: Path, host_id: str, start_timeout: float = 120.0) -> None:
        self._root = root
        self.host_id = host_id
        self._timeout = start_timeout
        self._lock = threading.Lock()
        self._running: dict[str, ScoringProcess] = {}
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amlite-scoring-spawner")

    # -- files ----------------------------------------------------------------------------------

    def _dir(self, key: str) -> Path:
        return self._root / key

    def write_file(self, key: str, generation: str, area: str, rel_path: str, chunks: Iterable[bytes]) -> None:
        """One file of the model or the code, written whole (``.part`` then renamed)."""
        base = (self._dir(key) / generation / area).resolve()
        target = (base / rel_path).resolve()
        if base not in target.parents:
            raise ScoringStartFailed(f"The path '{rel_path}' leaves the {area} folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        with open(part, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(part, target)

    def prepare(self, key: str, generation: str) -> None:
        """An empty folder for a generation (a rerun after a crash starts over)."""
        folder = self._dir(key) / generation
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "model").mkdir(parents=True)
        (folder / "code").mkdir(parents=True)

    # -- processes ------------------------------------------------------------------------------

    def start(self, key: str, generation: str, script: str, env: dict[str, str], secret: str) -> int:
        """Start the generation's scoring host (stopping any other of the deployment's) and wait
        until ``init()`` returned; the port it listens on. ``ScoringStartFailed`` with the log's
        tail when it exits first or does not answer within the timeout."""
        self.stop(key)
        folder = self._dir(key) / generation
        ready = folder / "ready.json"
        ready.unlink(missing_ok=True)
        log_path = self._dir(key) / LOG_NAME
        # The host runs the same amlite as the server, wherever that was imported from.
        python_path = os.pathsep.join(p for p in (str(_SOURCE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        child_env = {**os.environ, **env, "AZUREML_MODEL_DIR": str(folder / "model"),
                     "AMLITE_SCORING_SECRET": secret, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path}
        with open(log_path, "ab") as out:
            out.write(f"--- starting generation {generation} ---\n".encode())
            out.flush()
            command = [sys.executable, "-m", "amlite.scoring.host", "--code", str(folder / "code"),
                       "--script", script, "--ready-file", str(ready)]
            proc = self._spawner.submit(
                subprocess.Popen, command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=child_env, cwd=str(folder), preexec_fn=_die_with_parent,
            ).result()
        deadline = time.monotonic() + self._timeout
        while True:
            if ready.exists():
                port = int(json.loads(ready.read_text())["port"])
                with self._lock:
                    self._running[key] = ScoringProcess(key, generation, port, proc)
                return port
            code = proc.poll()
            if code is not None:
                raise ScoringStartFailed(f"The scoring process exited with status {code} before init() "
                                         f"returned.\n{self.read_log(key, 60) or ''}")
            if time.monotonic() > deadline:
                _end(proc)
                raise ScoringStartFailed(f"init() did not return within {self._timeout:.0f} seconds.")
            time.sleep(0.05)

    def stop(self, key: str) -> None:
        with self._lock:
            found = self._running.pop(key, None)
        if found is not None:
            _end(found.process)

    def remove(self, key: str) -> None:
        """Stop the deployment's process and remove its files and log."""
        self.stop(key)
        shutil.rmtree(self._dir(key), ignore_errors=True)

    def running(self) -> dict[str, tuple[str, bool]]:
        """The deployments this server runs: key -> (generation, whether the process lives)."""
        with self._lock:
            return {k: (p.generation, p.process.poll() is None) for k, p in self._running.items()}

    def stop_all(self) -> None:
        with self._lock:
            keys = list(self._running)
        for key in keys:
            self.stop(key)

    def read_log(self, key: str, tail: int | None = None) -> str | None:
        path = self._dir(key) / LOG_NAME
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            return None
        if tail is not None and tail >= 0:
            lines = text.splitlines()
            text = "\n".join(lines[-tail:] if tail else [])
        return text

    def pids(self) -> Iterator[int]:
        with self._lock:
            return iter([p.process.pid for p in self._running.values()])


def _end(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM to the process's session, then SIGKILL if it is still there after ``grace``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(grace)
