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


@dataclass
class WorkerActivity:
    """What the task workers' threads began and committed while a block ran."""

    begins: list[str] = field(default_factory=list)  # "BEGIN", or SQLite's "BEGIN IMMEDIATE" of a write
    commits: int = 0


_watchers: dict[int, list[WorkerActivity]] = {}


@contextmanager
def watching_workers(engine: sa.Engine) -> Iterator[WorkerActivity]:
    """Record the transactions the task workers (threads ``amlite-worker-*``) begin and commit
    inside the block; listeners are added once per engine, as for ``counting_transactions``."""
    with _lock:
        if id(engine) not in _watchers:
            active: list[WorkerActivity] = []
            _watchers[id(engine)] = active

            def on_begin(connection: sa.Connection) -> None:
                if threading.current_thread().name.startswith("amlite-worker"):
                    kind = connection.get_execution_options().get("sqlite_begin", "BEGIN")
                    with _lock:
                        for watched in active:
                            watched.begins.append(kind)

            def on_commit(_connection: sa.Connection) -> None:
                if threading.current_thread().name.startswith("amlite-worker"):
                    with _lock:
                        for watched in active:
                            watched.commits += 1

            event.listen(engine, "begin", on_begin)
            event.listen(engine, "commit", on_commit)
        watching = WorkerActivity()
        _watchers[id(engine)].append(watching)
    try:
        yield watching
    finally:
        with _lock:
            _watchers[id(engine)].remove(watching)
