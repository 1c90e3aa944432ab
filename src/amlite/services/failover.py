"""Failover and failback of a workspace pair (domain/failover.py, docs/bcdr.md).

``failover`` and ``failback`` check the caller (write on both workspaces, read without going
through the primary's region: a failover is for when that region is down) and the pair's rules,
then queue one durable task (``PAIR_FAILOVER`` / ``PAIR_FAILBACK``) on the one task engine in the
same commit, and wait for it to finish (up to ``wait``) to answer its report.

A failover's steps, each idempotent so that a server killed mid-way finishes the switch on restart:

1. jobs (services/failover_jobs.py): each primary job to resubmit (chosen when the failover was
   asked, plus any not finished since) is submitted again in the secondary under a fixed name, then
   its primary job ends ``Failed`` naming it;
2. the extra steps (``FailoverStep``: e.g. hot-warm endpoints deployed in the secondary), in order,
   each result kept in the report under the step's name;
3. the switch: in one commit the pair becomes active on the secondary and the report (measured RTO,
   what was not copied per kind, the jobs, what could not be done) joins its history. Until this
   commit the pair is on its primary; after it, a task that runs again finds its report and stops.

A failback copies back what the secondary made since the failover (retried while the primary's
region is down; refused at the start if it is), then switches back the same way.
``health_check`` is the reconciler's pass that starts the automatic failovers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from amlite.domain.assets import ListViewType
from amlite.domain.errors import NotFound
from amlite.domain.failover import (
    PAIR_COPY_BACK, PAIR_FAILBACK, PAIR_FAILOVER, auto_failover_due, check_can_fail_back, check_can_fail_over,
    seconds_between, switch_number, with_report,
)
from amlite.domain.jobs import Job
from amlite.domain.pairs import WorkspacePair
from amlite.domain.resources import Workspace
from amlite.domain.tasks import RetryLater, Task, TaskFailed, TaskState
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.failover_jobs import FailoverJobs
from amlite.services.pairs import WS_WRITE, Missing, PairService, failed_over_since
from amlite.services.tasks import TaskEngine, TaskKind

log = logging.getLogger(__name__)


class FailoverStep(Protocol):
    """An extra step of a failover, run after the jobs are resubmitted and before the switch (e.g.
    deploying a hot-warm pair's endpoints in the secondary). ``run`` must be idempotent: after a
    crash the failover runs again from its first step. What it returns is kept in the report under
    ``steps[name]``; what it raises is reported under ``notRecovered`` and the failover goes on."""

    name: str

    def run(self, pair: WorkspacePair, report: dict[str, Any]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class SwitchOutcome:
    """What ``failover``/``failback`` answer: the report once the switch is done (``done``), or,
    when it took longer than the wait, the switch's number and that it is still under way."""

    pair: WorkspacePair
    report: dict[str, Any]
    done: bool


class FailoverService:
    def __init__(self, deps: Deps, engine: TaskEngine, pairs: PairService, jobs: FailoverJobs, authz: Authorizer,
                 steps: Sequence[FailoverStep] = (), wait: timedelta = timedelta(seconds=60),
                 lease: timedelta = timedelta(seconds=60), backoff: timedelta = timedelta(seconds=1)) -> None:
        self._deps = deps
        self._engine = engine
        self._pairs = pairs
        self._jobs = jobs
        self._authz = authz
        self._steps = list(steps)
        #: How long a request waits for its switch before answering it under way (202).
        self.wait = wait
        engine.register(TaskKind(PAIR_FAILOVER, self._run_failover, lease=lease, backoff=backoff, max_attempts=20,
                                 on_failed=self._switch_failed))
        # A failback waits for the primary's region as long as it takes (the backoff is capped).
        engine.register(TaskKind(PAIR_FAILBACK, self._run_failback, lease=lease, backoff=backoff,
                                 max_attempts=10_000, on_failed=self._switch_failed))

    # -- use cases -------------------------------------------------------------------------------

    def failover(self, caller: Caller, name: str) -> SwitchOutcome:
        """Switch the pair to its secondary; the report once done (or under way after the wait)."""
        pair, number = self._start(caller, name, PAIR_FAILOVER)
        return self._await(pair, number, PAIR_FAILOVER)

    def failback(self, caller: Caller, name: str) -> SwitchOutcome:
        """Switch a failed-over pair back to its primary once the primary's region is back."""
        pair, number = self._start(caller, name, PAIR_FAILBACK)
        return self._await(pair, number, PAIR_FAILBACK)

    def health_check(self) -> int:
        """The reconciler's pass: start the automatic failover of every pair that asks for one and
        whose primary's region has been failed longer than its threshold; returns how many started."""
        started = 0
        with self._deps.uow() as uow:
            failed = {o.region: o.failed_at for o in uow.region_outages.list() if o.is_failed}
            due = []
            for pair in uow.workspace_pairs.list():
                primary = uow.workspaces.by_key(pair.primary_key)
                at = failed.get(primary.location.lower()) if primary is not None else None
                if primary is not None and auto_failover_due(pair, at, self._deps.clock.now()):
                    due.append(pair)
        for pair in due:
            try:
                self._start_as_system(pair)
                started += 1
            except Exception as exc:  # a switch under way, the pair gone: the next pass looks again
                log.info("automatic failover of pair %s not started: %s", pair.name, exc)
        return started

    # -- starting and waiting --------------------------------------------------------------------

    def _start(self, caller: Caller, name: str, kind: str) -> tuple[WorkspacePair, int]:
        d = self._deps
        with d.uow() as uow:  # decided in a read: a denial is audited in a unit of work of its own
            pair = uow.workspace_pairs.by_name(caller.tenant_id, name)
            primary = uow.workspaces.by_key(pair.primary_key) if pair else None
            secondary = uow.workspaces.by_key(pair.secondary_key) if pair else None
            if pair is None or primary is None or secondary is None:
                raise NotFound("ResourceNotFound", f"The workspace pair '{name}' was not found.")
            for ws in (primary, secondary):
                if not Authorizer.allowed_in(uow, caller.principal_id, WS_WRITE, ws.arm_id):
                    self._authz.deny(caller, WS_WRITE, ws.arm_id)
        number = self._enqueue(pair.key, kind, automatic=False, by=caller.name or caller.principal_id, caller=caller)
        return pair, number

    def _start_as_system(self, pair: WorkspacePair) -> int:
        return self._enqueue(pair.key, PAIR_FAILOVER, automatic=True, by="automatic failover (health check)")

    def _enqueue(self, pair_key: str, kind: str, automatic: bool, by: str, caller: Caller | None = None) -> int:
        d = self._deps
        with d.uow(write=True) as uow:
            pair = uow.workspace_pairs.by_key(pair_key)
            primary = uow.workspaces.by_key(pair.primary_key) if pair else None
            if pair is None or primary is None:
                raise NotFound("ResourceNotFound", "The workspace pair was deleted meanwhile.")
            switching = _switching(uow, pair)
            region = primary.location.lower()
            outage = uow.region_outages.get(region)
            failed_at = outage.failed_at if outage is not None and outage.is_failed else None
            payload: dict[str, Any] = {"number": switch_number(pair), "startedAt": d.clock.now().isoformat(),
                                       "automatic": automatic, "by": by,
                                       "regionFailedAt": failed_at.isoformat() if failed_at else None}
            if kind == PAIR_FAILOVER:
                check_can_fail_over(pair, switching)
                payload["jobs"] = self._jobs.candidates(uow, pair.primary_key, failed_at)
            else:
                check_can_fail_back(pair, switching, region, failed_at is not None)
            added = self._engine.enqueue(uow, kind, dedupe_key=f"{kind}:{pair.key}:{payload['number']}",
                                         subject_key=pair.key, scope_key=pair.key, payload=payload)
            if not added:
                check_can_fail_over(pair, True)  # the same switch was asked for a moment ago
            if caller is not None:
                record_write(d, uow, caller, scope=primary.arm_id)
            uow.commit()
        self._engine.wake()
        return int(payload["number"])

    def _await(self, pair: WorkspacePair, number: int, kind: str) -> SwitchOutcome:
        deadline = time.monotonic() + self.wait.total_seconds()
        while True:
            with self._deps.uow() as uow:
                current = uow.workspace_pairs.by_key(pair.key)
                tasks = _open(uow, kind, pair.key)
            if current is None:
                raise NotFound("ResourceNotFound", f"The workspace pair '{pair.name}' was deleted meanwhile.")
            report = next((r for r in current.history if r.get("number") == number), None)
            if report is not None:
                return SwitchOutcome(current, report, True)
            if not tasks or time.monotonic() > deadline:
                status = "InProgress" if tasks else "Failed"
                return SwitchOutcome(current, {"number": number, "action": _action(kind), "status": status}, False)
            time.sleep(0.05)

    # -- the switches (task handlers) ------------------------------------------------------------

    def _run_failover(self, task: Task) -> None:
        number = int(task.payload["number"])
        pair, primary, secondary = self._load(task)
        if pair is None or primary is None or secondary is None or _reported(pair, number):
            return  # unpaired meanwhile, or switched already by an attempt that died after its commit
        if pair.failed_over:
            raise TaskFailed(f"The pair '{pair.name}' is already failed over.")
        with self._deps.uow() as uow:
            region_failed_at = _time(task.payload.get("regionFailedAt"))
            keys = list(dict.fromkeys([*task.payload.get("jobs", []),
                                       *self._jobs.candidates(uow, pair.primary_key, region_failed_at)]))
        jobs, not_recovered = self._jobs.resubmit_all(pair, number, keys)
        fault_point("failover.before_steps")
        report = self._report(task, pair, primary, secondary)
        report.update(jobs=jobs, notRecovered=not_recovered)
        self._run_steps(pair, report)
        fault_point("failover.before_switch")
        self._switch(task, pair.key, number, report, failed_over=True,
                     not_copied=lambda uow, p: self._pairs.not_copied(uow, p))

    def _run_failback(self, task: Task) -> None:
        number = int(task.payload["number"])
        pair, primary, secondary = self._load(task)
        if pair is None or primary is None or secondary is None or _reported(pair, number):
            return
        if not pair.failed_over:
            raise TaskFailed(f"The pair '{pair.name}' is not failed over.")
        with self._deps.uow() as uow:
            if primary.location.lower() in uow.region_outages.failed_regions():
                raise RetryLater(f"The primary's region '{primary.location}' is unavailable; waiting for it.")
            since = failed_over_since(pair) or datetime.min.replace(tzinfo=self._deps.clock.now().tzinfo)
            missing = self._pairs.not_copied_back(uow, pair, since)
            made = self._pairs.made_since(uow, pair, since)
            running = [j.name for j in _unfinished_jobs(uow, secondary.key)]
        not_recovered: list[dict[str, Any]] = []
        for label, items in missing.items():
            for m in items:
                try:
                    self._pairs.copy_back_now(pair, m)  # RetryLater propagates: nothing is switched yet
                except TaskFailed as exc:
                    not_recovered.append({"kind": label, "name": m.name, "version": m.version, "reason": str(exc)})
        lost = {(r["kind"], r["name"], r["version"]) for r in not_recovered}
        # What the secondary made meanwhile and the primary now holds (copied back while failed
        # over, or just now).
        copied = [{"kind": label, **_version(m)} for label, items in made.items() for m in items
                  if (label, m.name, m.version) not in lost]
        fault_point("failback.before_switch")
        report = self._report(task, pair, secondary, primary)
        report.update(copiedBack=copied, notRecovered=not_recovered, jobsLeftInSecondary=running)
        self._switch(task, pair.key, number, report, failed_over=False,
                     not_copied=lambda uow, p: self._pairs.not_copied_back(uow, p, since))

    def _run_steps(self, pair: WorkspacePair, report: dict[str, Any]) -> None:
        steps: dict[str, Any] = {}
        report["steps"] = steps
        for step in self._steps:
            try:
                steps[step.name] = step.run(pair, report)
            except Exception as exc:  # reported, and the failover goes on: the secondary must become active
                log.exception("failover step %s of pair %s failed", step.name, pair.name)
                steps[step.name] = []
                report["notRecovered"].append({"kind": "step", "name": step.name,
                                               "reason": f"{type(exc).__name__}: {exc}"})

    def _switch(self, task: Task, pair_key: str, number: int, report: dict[str, Any], failed_over: bool,
                not_copied: Any) -> None:
        """The last step, in one commit: the pair's side, and the report in its history."""
        d = self._deps
        with d.uow(write=True) as uow:
            pair = uow.workspace_pairs.by_key(pair_key)
            if pair is None or _reported(pair, number):
                return
            ended = d.clock.now()
            started = _time(report["startedAt"]) or ended
            failed_at = _time(report.get("regionFailedAt"))
            report["notCopied"] = {kind: [_version(m) for m in items]
                                   for kind, items in not_copied(uow, pair).items()}
            report.update(status="Succeeded", endedAt=ended.isoformat(), rtoSeconds=seconds_between(started, ended),
                          rtoSinceRegionFailureSeconds=seconds_between(failed_at, ended) if failed_at else None)
            if not failed_over:
                uow.tasks.delete_scope(PAIR_COPY_BACK, pair.key)  # copied back by the failback itself
            uow.workspace_pairs.save(replace(pair, failed_over=failed_over, history=with_report(pair.history, report)))
            uow.commit()
        log.warning("pair %s %s: RTO %.3f s", report["pair"], report["action"], report["rtoSeconds"])
        self._pairs.wake()

    def _switch_failed(self, uow: UnitOfWork, task: Task) -> None:
        """The switch gave up: the pair stays where it was, and the history says why."""
        pair = uow.workspace_pairs.by_key(task.scope_key or "")
        if pair is None or _reported(pair, int(task.payload.get("number", 0))):
            return
        report = {"number": task.payload.get("number"), "action": _action(task.kind), "status": "Failed",
                  "startedAt": task.payload.get("startedAt"), "endedAt": self._deps.clock.now().isoformat(),
                  "error": task.last_error or "The switch failed.", "pair": pair.name}
        uow.workspace_pairs.save(replace(pair, history=with_report(pair.history, report)))

    # -- helpers ---------------------------------------------------------------------------------

    def _load(self, task: Task) -> tuple[WorkspacePair | None, Workspace | None, Workspace | None]:
        with self._deps.uow() as uow:
            pair = uow.workspace_pairs.by_key(task.scope_key or "")
            if pair is None:
                return None, None, None
            return pair, uow.workspaces.by_key(pair.primary_key), uow.workspaces.by_key(pair.secondary_key)

    def _report(self, task: Task, pair: WorkspacePair, source: Workspace, target: Workspace) -> dict[str, Any]:
        return {"number": int(task.payload["number"]), "action": _action(task.kind), "pair": pair.name,
                "automatic": bool(task.payload.get("automatic")), "by": task.payload.get("by"),
                "fromWorkspaceId": source.arm_id, "fromLocation": source.location,
                "toWorkspaceId": target.arm_id, "toLocation": target.location,
                "startedAt": task.payload["startedAt"], "regionFailedAt": task.payload.get("regionFailedAt")}


def _action(kind: str) -> str:
    return "failover" if kind == PAIR_FAILOVER else "failback"


def _reported(pair: WorkspacePair, number: int) -> bool:
    return any(r.get("number") == number and r.get("status") == "Succeeded" for r in pair.history)


def _switching(uow: UnitOfWork, pair: WorkspacePair) -> bool:
    return any(_open(uow, kind, pair.key) for kind in (PAIR_FAILOVER, PAIR_FAILBACK))


def _open(uow: UnitOfWork, kind: str, pair_key: str) -> int:
    """How many tasks of ``kind`` for the pair wait or run."""
    counts = uow.tasks.count_by_state(kind, pair_key)
    return counts.get(TaskState.PENDING.value, 0) + counts.get(TaskState.RUNNING.value, 0)


def _unfinished_jobs(uow: UnitOfWork, workspace_key: str) -> list[Job]:
    page = uow.jobs.list(workspace_key, ListViewType.ALL, 0, 1000)
    return [j for j in page.items if not j.status.is_terminal]


def _version(m: Missing) -> dict[str, Any]:
    return {"name": m.name, "version": m.version, "createdAt": m.created_at.isoformat()}


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
