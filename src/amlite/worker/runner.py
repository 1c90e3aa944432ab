"""The in-process workers: a few threads, each claiming one task of any kind at a time.

Several threads let long tasks run side by side (the regions of one version copy at once: the
copies are I/O and hashing, which release the GIL) while a workspace delete still starts at once.
Each thread wakes when a use case of this process queues work (``notify``), and otherwise sleeps
until the next retry or the next expired lease falls due (at most ``poll_seconds``), so work
queued by another process on the same PostgreSQL store, and tasks left by a crash or a failed
attempt, are picked up without anyone asking. Looking is a read: an idle worker takes no write
lock (on SQLite, the one lock every request's write waits for) and commits nothing; only a task
found due is claimed, in a write. Several processes may run these on one PostgreSQL store; claims
never overlap.
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
                wait = self._engine.seconds_until_due(self._poll)
                if wait <= 0:
                    if self._engine.run_next(name):
                        continue
                    wait = 0.05  # taken by another thread or process just now; look again soon
            except Exception:  # the store is unreachable or locked: back off and retry
                log.exception("worker %s could not look for or run a task", name)
                wait = self._poll
            with self._wake:
                if self._generation == seen and not self._stop.is_set():
                    self._wake.wait(max(0.01, wait))
