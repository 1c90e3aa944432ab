"""Failover and failback of a workspace pair (issue 15, behaviour 4; docs/bcdr.md).

A pair (domain/pairs.py) is *active* on its primary until a failover switches it to its secondary;
a failback switches it back. Each switch is one durable task on the one task engine
(``PAIR_FAILOVER`` / ``PAIR_FAILBACK``) whose steps are idempotent; its last step flips the
pair's side and appends the switch's report to the pair's history in one commit, so a pair is
never half switched. The rules here are pure: which switch may start, what a resubmitted job is
named, when an automatic failover is due, and the measured recovery time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from amlite.domain.errors import Conflict
from amlite.domain.jobs import Job, JobStatus
from amlite.domain.pairs import WorkspacePair
from amlite.domain.pipelines import STEP_PROPERTY, pipeline_of

#: The task kinds of a switch, and of one job's files copied ahead into a hot-jobs secondary.
PAIR_FAILOVER = "pair.failover"
PAIR_FAILBACK = "pair.failback"
PAIR_JOB_COPY = "pair.job"
#: The task kind of a version made in the active secondary, copied back into the primary.
PAIR_COPY_BACK = "pair.copyBack"

#: The error code a primary's job ends with when a failover resubmitted it to the secondary.
FAILED_OVER = "WorkspaceFailedOver"
#: The error codes of a job the outage itself interrupted (its runner could not reach storage, or
#: the server running it stopped): it is resubmitted too when it ended after the region failed.
INTERRUPTED = ("JobRunnerError", "JobInterrupted")
#: The wait of an automatic failover when ``failoverAfterSeconds`` is not given.
DEFAULT_FAILOVER_AFTER = 300
#: How many switch reports a pair keeps.
HISTORY_KEPT = 20


def check_can_fail_over(pair: WorkspacePair, switching: bool) -> None:
    """A failover starts from a pair active on its primary with no switch under way."""
    if switching:
        raise Conflict("PairSwitchInProgress", f"A failover or failback of pair '{pair.name}' is under way; wait for "
                       "it to finish (amlite ml workspace pair show).")
    if pair.failed_over:
        raise Conflict("PairAlreadyFailedOver", f"The pair '{pair.name}' is already failed over to its secondary; "
                       "fail back first (amlite ml workspace failback).")


def check_can_fail_back(pair: WorkspacePair, switching: bool, primary_region: str, primary_down: bool) -> None:
    """A failback starts from a failed-over pair whose primary's region serves again."""
    if switching:
        raise Conflict("PairSwitchInProgress", f"A failover or failback of pair '{pair.name}' is under way; wait for "
                       "it to finish (amlite ml workspace pair show).")
    if not pair.failed_over:
        raise Conflict("PairNotFailedOver", f"The pair '{pair.name}' is active on its primary; there is nothing to "
                       "fail back.")
    if primary_down:
        raise Conflict("PrimaryRegionUnavailable", f"The primary's region '{primary_region}' is still unavailable; "
                       "fail back once it is restored (amlite admin region show).")


def failover_job_name(name: str, number: int) -> str:
    """The name of ``name`` resubmitted by the pair's ``number``-th switch: fixed, so a switch
    that runs again after a crash finds the job it submitted instead of submitting another."""
    return f"{name}-failover{number}"[:255]


def resubmittable(job: Job, region_failed_at: datetime | None, steps: Sequence[Job] = ()) -> bool:
    """A primary's job a failover resubmits: one not finished, or one the outage ended (its
    runner failed after the region failed). A pipeline is resubmitted whole, so a step of one
    (its child job) never is on its own; a pipeline the outage ended through one of its ``steps``
    (a step interrupted after the region failed, the pipeline failing with it) is resubmitted too."""
    if is_step(job):
        return False
    if not job.status.is_terminal:
        return True
    if _ended_by_outage(job, region_failed_at):
        return True
    return (job.spec.is_pipeline and job.status is JobStatus.FAILED and _ended_since(job, region_failed_at)
            and any(_ended_by_outage(step, region_failed_at) for step in steps))


def is_step(job: Job) -> bool:
    """A pipeline's child job, running one of its steps."""
    return pipeline_of(job.spec.properties) is not None and STEP_PROPERTY in job.spec.properties


def _ended_since(job: Job, region_failed_at: datetime | None) -> bool:
    return region_failed_at is not None and job.end_time is not None and job.end_time >= region_failed_at


def _ended_by_outage(job: Job, region_failed_at: datetime | None) -> bool:
    return job.status is JobStatus.FAILED and _ended_since(job, region_failed_at) and job.error_code in INTERRUPTED


def auto_failover_due(pair: WorkspacePair, region_failed_at: datetime | None, now: datetime) -> bool:
    """An automatic failover is due when the pair asks for one, is on its primary, and the primary's
    region has been failed for at least the pair's threshold."""
    if not pair.auto_failover or pair.failed_over or region_failed_at is None:
        return False
    return now - region_failed_at >= timedelta(seconds=pair.failover_after_seconds)


def seconds_between(start: datetime, end: datetime) -> float:
    return round(max(0.0, (end - start).total_seconds()), 3)


def with_report(history: tuple[dict[str, Any], ...], report: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The history with ``report`` last, the oldest dropped past ``HISTORY_KEPT``."""
    return (*history, report)[-HISTORY_KEPT:]


def switch_number(pair: WorkspacePair) -> int:
    """The number the next switch of the pair takes (1 for its first)."""
    return max((int(r.get("number", 0)) for r in pair.history), default=0) + 1
