"""The durable task: one row per unit of background work, whatever its kind, as a state machine.

Every background job (a long-running operation's work, a registry version's copy into one
region, and the jobs, moves and failovers to come) is a ``Task`` of some ``kind``; the engine
(``services/tasks.py``) runs the handler registered for the kind. A task is claimed with a lease
that its worker renews (the heartbeat) while the handler runs; a lease that runs out means the
worker died, and another claims the task again, so handlers must be idempotent.

    Pending ──claim──▶ Running ──done──▶ Succeeded
       ▲                 │  │
       └──retry later────┘  └──failed for good, or attempts used up──▶ Failed (last_error)

A retry waits an exponential backoff (base, 2·base, 4·base, ... capped); a task that has used up
its attempts, or whose handler says the failure is final, ends ``Failed`` with its error and is
never claimed again. ``dedupe_key`` names the work a task does (one copy of one version into one
region): the store keeps one task per key, so enqueueing the same work twice adds it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any


class TaskState(str, Enum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"

    @property
    def is_terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED)


class IllegalTransition(RuntimeError):
    """A programming error: something tried to move a finished task."""


class TaskFailed(Exception):
    """Raised by a handler: the task cannot succeed however often it is retried."""


class RetryLater(Exception):
    """Raised by a handler: this attempt failed for a reason that may pass (storage unreachable);
    the message is kept as the task's ``last_error`` until the next attempt."""


class NotYet(Exception):
    """Raised by a handler: the task cannot go on yet (it waits for something another task holds,
    a compute's node); it runs again after ``after`` without using up an attempt, and no worker
    thread is held while it waits."""

    def __init__(self, reason: str, after: timedelta) -> None:
        super().__init__(reason)
        self.after = after


#: The longest wait between two attempts, whatever the kind's base.
MAX_BACKOFF = timedelta(minutes=5)


def backoff(attempts: int, base: timedelta, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """The wait after attempt ``attempts`` failed: base, 2·base, 4·base, ... never more than ``cap``."""
    exponent = min(max(0, attempts - 1), 32)  # 2**32 · any sane base is past any cap already
    factor: int = 2 ** exponent
    return min(base * factor, cap)


@dataclass(frozen=True)
class Task:
    key: str
    kind: str
    dedupe_key: str
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    subject_key: str | None = None  # what the task works on (an operation, a registry version)
    scope_key: str | None = None  # the owner whose removal ends its tasks (a registry)
    state: TaskState = TaskState.PENDING
    attempts: int = 0
    last_error: str | None = None
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        """Claimable now: waiting and its time has come, or running under a lease that ran out."""
        if self.state is TaskState.PENDING:
            return self.next_run_at is not None and self.next_run_at <= now
        if self.state is TaskState.RUNNING:
            return self.lease_expires_at is None or self.lease_expires_at < now
        return False

    def claimed(self, owner: str, now: datetime, lease: timedelta) -> "Task":
        self._check_open()
        return replace(self, state=TaskState.RUNNING, attempts=self.attempts + 1, lease_owner=owner,
                       lease_expires_at=now + lease, heartbeat_at=now, last_run_at=now, next_run_at=None,
                       updated_at=now)

    def heartbeat(self, now: datetime, lease: timedelta) -> "Task":
        """The worker is alive: its claim runs on for another ``lease``."""
        self._check_open()
        return replace(self, lease_expires_at=now + lease, heartbeat_at=now)

    def released(self) -> "Task":
        """The claim's process is known dead (SQLite at start): claimable at once."""
        return replace(self, lease_owner=None, lease_expires_at=None)

    def succeeded(self, now: datetime) -> "Task":
        self._check_open()
        return replace(self, state=TaskState.SUCCEEDED, last_error=None, next_run_at=None, updated_at=now,
                       lease_owner=None, lease_expires_at=None)

    def failed(self, now: datetime, error: str) -> "Task":
        """Failed for good: never claimed again."""
        self._check_open()
        return replace(self, state=TaskState.FAILED, last_error=error[:2000], next_run_at=None, updated_at=now,
                       lease_owner=None, lease_expires_at=None)

    def retried(self, now: datetime, error: str, base: timedelta, max_attempts: int,
                cap: timedelta = MAX_BACKOFF) -> "Task":
        """This attempt failed: wait the backoff and try again, or fail for good once the attempts
        are used up."""
        if self.attempts >= max_attempts:
            return self.failed(now, error)
        self._check_open()
        return replace(self, state=TaskState.PENDING, last_error=error[:2000], updated_at=now,
                       next_run_at=now + backoff(self.attempts, base, cap), lease_owner=None, lease_expires_at=None)

    def deferred(self, now: datetime, after: timedelta) -> "Task":
        """This claim found the task unable to go on yet: claimable again after ``after``, with the
        attempt the claim counted given back (waiting is not failing)."""
        self._check_open()
        return replace(self, state=TaskState.PENDING, attempts=max(0, self.attempts - 1), updated_at=now,
                       next_run_at=now + after, lease_owner=None, lease_expires_at=None)

    def requeued(self, now: datetime, reason: str) -> "Task":
        """Run afresh now with every attempt back (the outage that made it fail has ended,
        domain/outages.py); a running task is left to its claim."""
        if self.state is TaskState.RUNNING or self.state is TaskState.SUCCEEDED:
            return self
        return replace(self, state=TaskState.PENDING, attempts=0, last_error=reason[:2000], next_run_at=now,
                       updated_at=now, lease_owner=None, lease_expires_at=None)

    def _check_open(self) -> None:
        if self.state.is_terminal:
            raise IllegalTransition(f"task {self.key} ({self.kind}) is already {self.state.value}")


def new_task(key: str, kind: str, now: datetime, *, dedupe_key: str | None = None, payload: dict[str, Any] | None = None,
             subject_key: str | None = None, scope_key: str | None = None) -> Task:
    return Task(key=key, kind=kind, dedupe_key=dedupe_key or key, created_at=now, updated_at=now,
                payload=dict(payload or {}), subject_key=subject_key, scope_key=scope_key, next_run_at=now)
