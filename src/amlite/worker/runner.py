"""The in-process worker: a thread that claims operation rows and runs them.

It wakes when a use case starts an operation and otherwise polls, so operations left open by a
crash (their lease expired) are picked up again after a restart. Several processes may run
workers on one PostgreSQL store; claims never overlap.
"""

from __future__ import annotations

import logging
import threading
import uuid

from amlite.services.operations import OperationService

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, operations: OperationService, poll_seconds: float = 1.0) -> None:
        self._ops = operations
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="amlite-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drain(self) -> int:
        """Run operations until none is ready; for tests and tools that want synchronous progress."""
        count = 0
        while self._ops.run_next(self.owner):
            count += 1
        return count

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self._ops.run_next(self.owner)
            except Exception:  # the store is unreachable or locked: back off and retry
                log.exception("worker could not claim an operation")
                worked = False
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()
