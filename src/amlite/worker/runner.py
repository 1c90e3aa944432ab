"""The in-process workers: a few threads, each claiming one task of any kind at a time.

Several threads let long tasks run side by side (the regions of one version copy at once: the
copies are I/O and hashing, which release the GIL) while a workspace delete still starts at once.
Each thread wakes when a use case queues work, and otherwise sleeps until the next retry or the
next expired lease falls due (at most ``poll_seconds``), so tasks left by a crash or a failed
attempt are picked up again without anyone asking. Several processes may run these on one
PostgreSQL store; claims never overlap.
"""

from __future__ import annotations

import logging
import threading
import uuid

from amlite.services.tasks import TaskEngine

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, engine: TaskEngine, threads: int = 4, poll_seconds: float = 1.0) -> None:
        self._engine = engine
        self._count = max(1, threads)
        self._poll = poll_seconds
        self._wake = threading.Condition()
        self._generation = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"

    def notify(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for index in range(self._count):
            thread = threading.Thread(target=self._loop, args=(f"{self.owner}-{index}",),
                                      name=f"amlite-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.notify()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def drain(self) -> int:
        """Run due tasks on the calling thread until none is due; for tests and tools."""
        count = 0
        while self._engine.run_next(f"{self.owner}-drain"):
            count += 1
        return count

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            with self._wake:
                seen = self._generation
            try:
                worked = self._engine.run_next(name)
            except Exception:  # the store is unreachable or locked: back off and retry
                log.exception("worker %s could not run a task", name)
                worked = False
            if worked:
                continue
            try:
                wait = self._engine.seconds_until_due(self._poll)
            except Exception:  # the store is unreachable: sleep the whole poll, then try again
                log.exception("worker %s could not read when the next task is due", name)
                wait = self._poll
            with self._wake:
                if self._generation == seen and not self._stop.is_set():
                    self._wake.wait(max(0.01, wait))
