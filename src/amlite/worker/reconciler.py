"""The reconciler: a thread that, every ``interval`` seconds, asks each registered pass to derive
from the state what background work must exist and to queue what is missing.

Hooks that queue work after a commit (a registry's regions back-filled) can be lost: the process
dies between the two transactions, or the second fails. The reconciler is the one safety net
that makes such a loss heal by itself; its passes are idempotent (the task store keeps one task
per piece of work), so several processes may run it on one PostgreSQL store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Pass = Callable[[], int]


class Reconciler:
    def __init__(self, passes: list[Pass], interval: float = 30.0) -> None:
        self._passes = passes
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self._interval > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="amlite-reconciler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> int:
        """Run every pass now; returns how many tasks they queued or removed. A failing pass is
        logged and the others still run: the next round retries it."""
        changed = 0
        for run in self._passes:
            try:
                changed += run()
            except Exception:  # the store is busy or unreachable: the next round tries again
                log.exception("reconciliation pass %r failed", run)
        return changed

    def _loop(self) -> None:
        while True:  # a first round at start: what a crash left unqueued heals at once
            self.run_once()
            if self._stop.wait(self._interval):
                return
