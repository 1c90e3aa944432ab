"""Replication of registry asset versions to their registry's other regions.

A version created in a registry is usable at once from its primary region; one task of kind
``REPLICATE`` (``domain/tasks.py``) per other region is written in the same transaction. A worker
claims it, copies the version's blobs into the region's storage and marks it ``Succeeded``; a
failure (the region's storage unreachable) is retried after an exponential backoff with the
reason kept, so a region that is down is reported and retried while the others proceed. The copy
is idempotent (content-addressed blobs already there are skipped), so a task whose worker died
is simply claimed again.

What a client sees per region (``properties.replication``) is the task's state, named as before:

    task Pending (never tried)      -> NotStarted
    task Running                    -> InProgress
    task Pending after a failure    -> Failed (reason, attempts, next attempt)
    task Failed (attempts used up)  -> Failed (no next attempt)
    task Succeeded                  -> Succeeded
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from amlite.domain.tasks import Task, TaskState

#: The task kind that copies one registry version into one region.
REPLICATE = "registry.replicate"
#: After this many failed attempts a copy stays ``Failed`` until its region is re-added.
MAX_ATTEMPTS = 12


class ReplicationState(str, Enum):
    NOT_STARTED = "NotStarted"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


def copy_key(version_key: str, region: str) -> str:
    """The one task that copies ``version_key`` into ``region`` (the reconciler's unit)."""
    return f"{REPLICATE}:{version_key}:{region.lower()}"


def region_of(task: Task) -> str:
    return str(task.payload["region"])


def state_of(task: Task) -> ReplicationState:
    if task.state is TaskState.RUNNING:
        return ReplicationState.IN_PROGRESS
    if task.state is TaskState.SUCCEEDED:
        return ReplicationState.SUCCEEDED
    if task.state is TaskState.FAILED or task.last_error is not None:
        return ReplicationState.FAILED
    return ReplicationState.NOT_STARTED


@dataclass(frozen=True)
class RegionReplica:
    """One region's line of a version's ``properties.replication``."""

    location: str
    state: ReplicationState
    attempts: int = 0
    reason: str | None = None
    last_attempt_time: datetime | None = None
    next_attempt_time: datetime | None = None


def replication_of(primary: str, regions: tuple[str, ...], tasks: list[Task]) -> list[RegionReplica]:
    """Per-region state of one version: the primary is ``Succeeded`` (the version exists only once
    its primary copy is committed); other regions show their task; a region without a task yet
    (added a moment ago, its back-fill not written) is ``NotStarted``. Regions no longer in the
    registry are left out."""
    by_region = {region_of(t).lower(): t for t in tasks}
    out = [RegionReplica(primary, ReplicationState.SUCCEEDED)]
    for region in regions:
        if region.lower() == primary.lower():
            continue
        task = by_region.get(region.lower())
        if task is None:
            out.append(RegionReplica(region, ReplicationState.NOT_STARTED))
        else:
            state = state_of(task)
            reason = task.last_error if state is ReplicationState.FAILED else None
            next_at = task.next_run_at if state is ReplicationState.FAILED else None
            out.append(RegionReplica(region, state, task.attempts, reason, task.last_run_at, next_at))
    return out
