"""Counting the store transactions one request opens.

A listener on the engine's ``begin`` event records every transaction begun while the block runs,
with the thread that began it. The server's background threads (task workers, heartbeats, the
reconciler) share the engine, so their transactions are left out by thread name: what remains is
the request's own work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event

BACKGROUND_THREADS = ("amlite-", "worker-")


@dataclass
class TransactionCount:
    threads: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.threads)


_counters: dict[int, list[TransactionCount]] = {}
_lock = threading.Lock()


def _listen_once(engine: sa.Engine) -> list[TransactionCount]:
    """One listener per engine for its whole life: adding and removing listeners while the
    server's threads begin transactions would race with SQLAlchemy's dispatch."""
    with _lock:
        if id(engine) not in _counters:
            active: list[TransactionCount] = []
            _counters[id(engine)] = active

            def on_begin(_connection: sa.Connection) -> None:
                name = threading.current_thread().name
                if name.startswith(BACKGROUND_THREADS):
                    return
                with _lock:
                    for counted in active:
                        counted.threads.append(name)

            event.listen(engine, "begin", on_begin)
        return _counters[id(engine)]


@contextmanager
def counting_transactions(engine: sa.Engine) -> Iterator[TransactionCount]:
    """Count the transactions begun on ``engine`` by request threads inside the block."""
    active = _listen_once(engine)
    counted = TransactionCount()
    with _lock:
        active.append(counted)
    try:
        yield counted
    finally:
        with _lock:
            active.remove(counted)
