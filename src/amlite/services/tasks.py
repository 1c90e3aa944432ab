"""The one durable task engine: every background job of the product runs through it.

A use case queues a task (``enqueue``) inside its own unit of work, so the work is recorded in
the same commit as the change that calls for it; a kind registers its handler once, at wiring
(``register``). Workers (``worker/runner.py``, a few threads per process, several processes on
one PostgreSQL store) call ``run_next``: it claims the task due the longest with the kind's lease
in a transaction of its own, runs the handler outside any transaction while a heartbeat renews
the lease, and records the outcome in a last transaction, unless the claim was lost meanwhile
(the lease ran out and another worker took the task over: its outcome is the one that counts).

The outcome follows what the handler did: returned (``Succeeded``), raised ``TaskFailed``
(``Failed`` for good), raised ``NotYet`` (queued again after a while, no attempt used: the
task waits without holding a worker), raised ``RetryLater`` or anything else (retried after a backoff, ``Failed``
once the kind's attempts are used up). A kind's ``on_failed`` runs in the transaction that fails
its task, so what the task stands for (an operation's status) ends with it. A worker that dies
mid-task leaves its claim to run out; the next claim counts another attempt, so a task that
kills its worker every time still ends ``Failed``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from amlite.domain.tasks import NotYet, RetryLater, Task, TaskFailed, TaskState, new_task
from amlite.ports import UnitOfWork
from amlite.services.context import Deps

log = logging.getLogger(__name__)

Handler = Callable[[Task], None]
FailedHook = Callable[[UnitOfWork, Task], None]


@dataclass(frozen=True)
class TaskKind:
    """A kind of background job and how the engine runs it."""

    name: str
    handler: Handler
    lease: timedelta = timedelta(seconds=30)
    backoff: timedelta = timedelta(seconds=2)  # the first retry's wait; doubles, capped
    max_attempts: int = 5
    on_failed: FailedHook | None = None


class TaskEngine:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._kinds: dict[str, TaskKind] = {}
        #: Set by bootstrap to the workers' wake-up; called after a commit that queued work.
        self.wakeup: Callable[[], None] = lambda: None

    # -- kinds -----------------------------------------------------------------------------------

    def register(self, kind: TaskKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"task kind '{kind.name}' is registered twice")
        self._kinds[kind.name] = kind

    # -- queueing (inside the caller's unit of work) ----------------------------------------------

    def enqueue(self, uow: UnitOfWork, kind: str, *, dedupe_key: str | None = None, subject_key: str | None = None,
                scope_key: str | None = None, payload: dict[str, Any] | None = None) -> int:
        """Queue one task unless one with ``dedupe_key`` exists; returns 1 if it was added."""
        return self.enqueue_many(uow, [self.new(kind, dedupe_key=dedupe_key, subject_key=subject_key,
                                                scope_key=scope_key, payload=payload)])

    def new(self, kind: str, *, dedupe_key: str | None = None, subject_key: str | None = None,
            scope_key: str | None = None, payload: dict[str, Any] | None = None) -> Task:
        if kind not in self._kinds:
            raise ValueError(f"no handler is registered for task kind '{kind}'")
        return new_task(self._deps.ids.new_id(), kind, self._deps.clock.now(), dedupe_key=dedupe_key,
                        subject_key=subject_key, scope_key=scope_key, payload=payload)

    def enqueue_many(self, uow: UnitOfWork, tasks: list[Task]) -> int:
        return uow.tasks.add_missing(tasks) if tasks else 0

    def wake(self) -> None:
        self.wakeup()

    def requeue_after_restore(self, kind: str, region_of: Callable[[UnitOfWork, Task], str | None],
                              regions: list[str] | None = None) -> int:
        """Queue again, now and with their attempts back, the tasks of ``kind`` that write into a
        region an outage drill failed and that have not run since the region was restored
        (``regions``, or every restored region); returns how many. A task that used up its
        attempts during the outage runs again too: the outage, not the work, made it fail.
        ``region_of`` names the region a task writes into (``None``: none drilled). Called by the
        restore's hook and by the reconciler, so a restore whose hook was lost still catches up."""
        d = self._deps
        with d.uow(write=True) as uow:
            wanted = {r.lower() for r in regions} if regions is not None else None
            outages = {o.region: o for o in uow.region_outages.list()
                       if not o.is_failed and (wanted is None or o.region in wanted)}
            if not outages:
                return 0
            requeued = 0
            for task in uow.tasks.unfinished(kind):
                region = (region_of(uow, task) or "").lower().replace(" ", "")
                outage = outages.get(region)
                restored_at = outage.restored_at if outage is not None else None
                if restored_at is None or (task.last_run_at is not None and task.last_run_at > restored_at):
                    continue
                if task.state is TaskState.PENDING and task.attempts == 0 and task.next_run_at is not None \
                        and task.next_run_at <= d.clock.now():
                    continue  # due already, never tried since: nothing to hurry
                uow.tasks.save(task.requeued(d.clock.now(), f"Region '{region}' was restored; copying again."))
                requeued += 1
            uow.commit()
        if requeued:
            log.info("%d %s tasks into restored regions %s queued again", requeued, kind, sorted(outages))
            self.wake()
        return requeued

    # -- running (the workers) -------------------------------------------------------------------

    def release_leases(self) -> int:
        """At start on SQLite (one server per file): every lease is a dead process's."""
        with self._deps.uow(write=True) as uow:
            released = uow.tasks.release_leases()
            uow.commit()
        return released

    def seconds_until_due(self, ceiling: float) -> float:
        """How long an idle worker may sleep before a task, a retry or an expired lease falls due
        (0: one is due now). A read, so an idle worker's poll takes no write lock and commits
        nothing; only a due task is claimed in a write (``run_next``)."""
        with self._deps.uow() as uow:
            due: datetime | None = uow.tasks.next_event_at(list(self._kinds))
        if due is None:
            return ceiling
        return max(0.0, min(ceiling, (due - self._deps.clock.now()).total_seconds()))

    def run_next(self, worker: str) -> bool:
        """Claim one due task of a kind registered here and run it; False when none is due. Tasks of
        other kinds are left to the processes that know them."""
        d = self._deps
        with d.uow(write=True) as uow:
            due = uow.tasks.next_due(d.clock.now(), list(self._kinds))
            if due is None:
                return False
            kind = self._kinds[due.kind]
            if due.attempts >= kind.max_attempts:  # its worker died on every attempt so far
                self._fail(uow, kind, due, f"The task failed after {kind.max_attempts} attempts.")
                uow.commit()
                return True
            task = due.claimed(worker, d.clock.now(), kind.lease)
            uow.tasks.save(task)
            uow.commit()
        self._run(kind, task, worker)
        return True

    def _run(self, kind: TaskKind, task: Task, worker: str) -> None:
        try:
            with self._heartbeat(kind, task, worker):
                kind.handler(task)
        except TaskFailed as exc:
            self._end(kind, task, worker, lambda t, now: t.failed(now, str(exc)))
        except NotYet as exc:  # waits for something (a node): back in the queue, no attempt used
            self._end(kind, task, worker, lambda t, now: t.deferred(now, exc.after))
        except RetryLater as exc:
            log.warning("task %s (%s) failed (attempt %d): %s", task.key, task.kind, task.attempts, exc)
            self._end(kind, task, worker, lambda t, now: t.retried(now, str(exc), kind.backoff, kind.max_attempts))
        except Exception as exc:  # a bug or an outage the handler did not foresee: retried all the same
            log.exception("task %s (%s) failed (attempt %d)", task.key, task.kind, task.attempts)
            error = f"{type(exc).__name__}: {exc}"
            self._end(kind, task, worker, lambda t, now: t.retried(now, error, kind.backoff, kind.max_attempts))
        else:
            self._end(kind, task, worker, lambda t, now: t.succeeded(now))

    def _end(self, kind: TaskKind, task: Task, worker: str, change: Callable[[Task, datetime], Task]) -> None:
        """Record the outcome unless the claim was lost (the task was taken over, or the handler
        deleted it as no longer wanted)."""
        with self._deps.uow(write=True) as uow:
            current = uow.tasks.get(task.key)
            if current is not None and current.state is TaskState.RUNNING and current.lease_owner == worker:
                ended = change(current, self._deps.clock.now())
                uow.tasks.save(ended)
                if ended.state is TaskState.FAILED and kind.on_failed is not None:
                    kind.on_failed(uow, ended)
            uow.commit()

    def _fail(self, uow: UnitOfWork, kind: TaskKind, task: Task, error: str) -> None:
        ended = task.failed(self._deps.clock.now(), error)
        uow.tasks.save(ended)
        if kind.on_failed is not None:
            kind.on_failed(uow, ended)

    @contextmanager
    def _heartbeat(self, kind: TaskKind, task: Task, worker: str) -> Iterator[None]:
        """Renew the claim every third of the lease while the handler runs. One step may take
        longer than the lease (gigabytes into slow storage); a claim left to run out would hand
        the task to a second worker half-way, and both would do the same work."""
        done = threading.Event()
        interval = max(0.05, kind.lease.total_seconds() / 3)

        def beat() -> None:
            while not done.wait(interval):
                try:
                    self._renew(kind, task, worker)
                except Exception:  # the store is busy or unreachable: try again at the next beat
                    log.exception("could not renew the claim of %s on task %s", worker, task.key)

        heart = threading.Thread(target=beat, name=f"{worker}-heartbeat", daemon=True)
        heart.start()
        try:
            yield
        finally:
            done.set()
            heart.join()

    def _renew(self, kind: TaskKind, task: Task, worker: str) -> None:
        with self._deps.uow(write=True) as uow:
            current = uow.tasks.get(task.key)
            if current is not None and current.state is TaskState.RUNNING and current.lease_owner == worker:
                uow.tasks.save(current.heartbeat(self._deps.clock.now(), kind.lease))
            uow.commit()
