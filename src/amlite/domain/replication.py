"""Replication of registry asset versions to their registry's other regions, as a state machine.

A version created in a registry is usable at once from its primary region; one
``ReplicationTask`` per other region is written in the same transaction. A worker claims a due
task with a lease (``InProgress``), copies the version's blobs into the region's storage and marks
it ``Succeeded``; a failure (the region's storage unreachable) marks it ``Failed`` with the reason
and schedules the next attempt after an exponential backoff, so a region that is down is
reported and retried while the others proceed. A task whose lease expired (its worker died) is
claimed again; the copy is idempotent (content-addressed blobs already there are skipped).

    NotStarted ──claim──▶ InProgress ──copied──▶ Succeeded
                              │  ▲
                     failure  ▼  │ claim when next_attempt_at has passed
                            Failed (reason, attempts, next_attempt_at; none after MAX_ATTEMPTS)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum


class ReplicationState(str, Enum):
    NOT_STARTED = "NotStarted"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


#: After this many failed attempts a task stays ``Failed`` until something (a region re-added)
#: starts it again; until then it is retried with backoff.
MAX_ATTEMPTS = 12
#: The longest wait between two attempts.
MAX_BACKOFF = timedelta(minutes=5)


def backoff(attempts: int, base: timedelta) -> timedelta:
    """The wait before attempt ``attempts + 1``: base, 2·base, 4·base, ... capped at ``MAX_BACKOFF``."""
    factor: int = 2 ** max(0, attempts - 1)  # typeshed types int ** int as Any: a negative power is a float
    return min(base * factor, MAX_BACKOFF)


@dataclass(frozen=True)
class ReplicationTask:
    key: str
    version_key: str
    registry_key: str
    region: str
    state: ReplicationState
    attempts: int
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    def claimed(self, owner: str, now: datetime, lease: timedelta) -> "ReplicationTask":
        return replace(self, state=ReplicationState.IN_PROGRESS, attempts=self.attempts + 1, lease_owner=owner,
                       lease_expires_at=now + lease, last_attempt_at=now, updated_at=now, next_attempt_at=None)

    def renewed(self, now: datetime, lease: timedelta) -> "ReplicationTask":
        return replace(self, lease_expires_at=now + lease, updated_at=now)

    def succeeded(self, now: datetime) -> "ReplicationTask":
        return replace(self, state=ReplicationState.SUCCEEDED, reason=None, lease_owner=None, lease_expires_at=None,
                       next_attempt_at=None, updated_at=now)

    def failed(self, now: datetime, reason: str, base: timedelta) -> "ReplicationTask":
        """Failed with ``reason``; the next attempt is scheduled unless the attempts are used up."""
        retry = now + backoff(self.attempts, base) if self.attempts < MAX_ATTEMPTS else None
        return replace(self, state=ReplicationState.FAILED, reason=reason[:2000], lease_owner=None,
                       lease_expires_at=None, next_attempt_at=retry, updated_at=now)


def new_task(key: str, version_key: str, registry_key: str, region: str, now: datetime) -> ReplicationTask:
    return ReplicationTask(key=key, version_key=version_key, registry_key=registry_key, region=region,
                           state=ReplicationState.NOT_STARTED, attempts=0, created_at=now, updated_at=now,
                           next_attempt_at=now)


@dataclass(frozen=True)
class RegionReplica:
    """One region's line of a version's ``properties.replication``."""

    location: str
    state: ReplicationState
    attempts: int = 0
    reason: str | None = None
    last_attempt_time: datetime | None = None
    next_attempt_time: datetime | None = None


def replication_of(primary: str, regions: tuple[str, ...], tasks: list[ReplicationTask]) -> list[RegionReplica]:
    """Per-region state of one version: the primary is ``Succeeded`` (the version exists only once
    its primary copy is committed); other regions show their task; a region without a task yet
    (added a moment ago, its back-fill not written) is ``NotStarted``. Regions no longer in the
    registry are left out."""
    by_region = {t.region.lower(): t for t in tasks}
    out = [RegionReplica(primary, ReplicationState.SUCCEEDED)]
    for region in regions:
        if region.lower() == primary.lower():
            continue
        task = by_region.get(region.lower())
        if task is None:
            out.append(RegionReplica(region, ReplicationState.NOT_STARTED))
        else:
            out.append(RegionReplica(region, task.state, task.attempts, task.reason, task.last_attempt_at,
                                     task.next_attempt_at))
    return out
