"""Jobs across a pair's failover (domain/failover.py, docs/bcdr.md "Failover and failback").

Ahead of a failover: when a pair's ``jobs`` mode is hot, each job a user submits in the active
primary has its files (code snapshot and input files, content-addressed) copied into the
secondary's storage by a task of kind ``PAIR_JOB_COPY`` on the one task engine, queued in the
unit of work that adds the job. The job's definition is its row in the metadata store, which a
regional outage does not take (amlite's control plane is not regional; its storage is), so with
the files in place the secondary holds everything the job needs.

At the failover: each job to resubmit is submitted again in the secondary under a fixed name
(``failover_job_name``), reading its files from the secondary's storage, or from the primary's
when they were not copied ahead (``jobs`` hot-cold, or a copy not done yet); if the primary's
storage is unreachable, the job is reported as not recovered with the reason. Its inputs that name
an asset (``azureml:name:version``) are resolved in the secondary, where the hot kinds were copied.
A pipeline is resubmitted whole (its steps run anew in the secondary as its children, their
components resolved there; with ``jobs`` hot their code was copied ahead with the pipeline's
files), never step by step. Then the primary's job (with a pipeline's unfinished steps) ends
``Failed`` with ``WorkspaceFailedOver``, naming the new job, and its MLflow run ends ``FAILED``. Each step
is idempotent: a failover that runs again after a crash finds the job it submitted by name and
does not submit another.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from amlite.domain.assets import AssetKind, ListViewType, ManifestEntry
from amlite.domain.errors import AmliteError
from amlite.domain.failover import FAILED_OVER, PAIR_JOB_COPY, failover_job_name, is_step, resubmittable
from amlite.domain.jobs import Job, JobSpec, JobStatus
from amlite.domain.pairs import WorkspacePair
from amlite.domain.references import is_reference, parse_asset_reference
from amlite.domain.resources import Workspace
from amlite.domain.tasks import RetryLater, Task
from amlite.domain.tracking import RunStatus
from amlite.faults import fault_point
from amlite.ports import TrackingUnitOfWork, UnitOfWork
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import workspace_owner
from amlite.services.context import Deps
from amlite.services.jobs import JobService, steps_of
from amlite.services.replication import copy_missing
from amlite.services.tasks import TaskEngine, TaskKind
from amlite.services.tracking import JobTracking

log = logging.getLogger(__name__)

_MODEL_INPUTS = ("custom_model", "mlflow_model", "triton_model")
#: The tag a resubmitted job carries: the id of the primary's job it replaces.
FROM_TAG = "amlite.failover.from"


def job_files(spec: JobSpec) -> list[str]:
    """The digests of a job's files: its code snapshot and its inputs' files."""
    entries: list[ManifestEntry] = [*spec.code]
    for given in spec.inputs.values():
        entries.extend(given.artifacts)
    return list(dict.fromkeys(e.sha256 for e in entries))


class FailoverJobs:
    def __init__(self, deps: Deps, engine: TaskEngine, jobs: JobService, artifacts: ArtifactService,
                 tracking: JobTracking, lease: timedelta = timedelta(seconds=60),
                 backoff: timedelta = timedelta(seconds=2)) -> None:
        self._deps = deps
        self._engine = engine
        self._jobs = jobs
        self._artifacts = artifacts
        self._tracking = tracking
        engine.register(TaskKind(PAIR_JOB_COPY, self._copy_ahead, lease=lease, backoff=backoff, max_attempts=12))

    # -- ahead of a failover: the hook on job submission and its task --------------------------

    def plan(self, uow: UnitOfWork, job: Job) -> int:
        """Queue the copy of a new job's files into the secondary of every pair active on its
        workspace whose ``jobs`` mode is hot (a pipeline's: its inputs' and its steps' code)."""
        if is_step(job):
            return 0  # its pipeline's copy carries its code
        tasks = [self._engine.new(PAIR_JOB_COPY, dedupe_key=f"{PAIR_JOB_COPY}:{pair.key}:{job.key}",
                                  subject_key=job.key, scope_key=pair.key)
                 for pair in uow.workspace_pairs.of_primary(job.workspace_key)
                 if not pair.failed_over and pair.mode_of("jobs").copies]
        return self._engine.enqueue_many(uow, tasks) if tasks else 0

    def _copy_ahead(self, task: Task) -> None:
        with self._deps.uow() as uow:
            pair = uow.workspace_pairs.by_key(task.scope_key or "")
            job = uow.jobs.by_key(task.subject_key or "")
            primary = uow.workspaces.by_key(pair.primary_key) if pair else None
            secondary = uow.workspaces.by_key(pair.secondary_key) if pair else None
            if pair is None or job is None or primary is None or secondary is None:
                return  # unpaired, or the job or a workspace is gone: nothing to copy
            try:
                source, target = self._storage(uow, primary), self._storage(uow, secondary)
                digests = self._files(uow, job, primary)
            except AmliteError as exc:
                raise RetryLater(exc.message) from exc
        missing = _copy_files(source, target, digests)
        if missing:
            raise RetryLater(f"Copying the files of job '{job.name}' into workspace '{secondary.name}': {missing}")

    # -- at the failover -------------------------------------------------------------------------

    def candidates(self, uow: UnitOfWork, workspace_key: str, region_failed_at: datetime | None) -> list[str]:
        """The keys of the workspace's jobs a failover resubmits (``resubmittable``)."""
        found: list[str] = []
        offset = 0
        while True:
            page = uow.jobs.list(workspace_key, ListViewType.ALL, offset, 500)
            found.extend(j.key for j in page.items if resubmittable(j, region_failed_at, _steps_if_failed(uow, j)))
            if not page.more:
                return found
            offset += len(page.items)

    def resubmit_all(self, pair: WorkspacePair, number: int, job_keys: list[str],
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Resubmit each job to the secondary; (resubmitted jobs, jobs not recovered with why)."""
        done: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for key in job_keys:
            with self._deps.uow() as uow:
                job = uow.jobs.by_key(key)
                primary = uow.workspaces.by_key(pair.primary_key)
                secondary = uow.workspaces.by_key(pair.secondary_key)
            if job is None or primary is None or secondary is None or job.workspace_key != pair.primary_key:
                continue
            outcome = self._resubmit(pair, number, job, primary, secondary)
            (done if "to" in outcome else failed).append(outcome)
        return done, failed

    def _resubmit(self, pair: WorkspacePair, number: int, job: Job, primary: Workspace,
                  secondary: Workspace) -> dict[str, Any]:
        name = failover_job_name(job.name, number)
        with self._deps.uow() as uow:
            again = uow.jobs.get(secondary.key, name)
        if again is not None:  # submitted by an attempt of this failover that died before the switch
            self._end_in_primary(job, pair, secondary, name)
            return {"from": job.name, "to": name, "status": again.status.value, "resolvedInSecondary": []}
        with self._deps.uow() as uow:
            spec, resolved = self._resolved(uow, job.spec, secondary)
            target = self._storage(uow, secondary)
            try:
                digests = self._files(uow, replace(job, spec=spec), secondary)
            except AmliteError as exc:  # a step's component is not in the secondary
                why = (" (components mode is hot-cold: not copied)" if not pair.mode_of("components").copies else "")
                return _not_recovered(job, f"{exc.message}{why}")
            try:
                source: ArtifactStorage | None = self._storage(uow, primary)
            except AmliteError:
                source = None
        missing = _copy_files(source, target, digests)
        if missing:
            ahead = ("its files were not copied ahead (jobs mode is hot-cold)" if not pair.mode_of("jobs").copies
                     else "its files had not been copied ahead yet")
            return _not_recovered(job, f"The job's files are not in the secondary: {ahead}, and the primary's "
                                  f"storage cannot give them: {missing}")
        try:
            again = self._jobs.resubmit(job, secondary, name, spec, {FROM_TAG: f"{primary.arm_id}/jobs/{job.name}"})
        except AmliteError as exc:
            return _not_recovered(job, exc.message)
        fault_point("failover.after_resubmit")
        self._end_in_primary(job, pair, secondary, name)
        return {"from": job.name, "to": name, "status": again.status.value, "resolvedInSecondary": resolved}

    def _end_in_primary(self, job: Job, pair: WorkspacePair, secondary: Workspace, name: str) -> None:
        """The primary's job ends ``Failed`` naming the failover and its new job, and so do a
        pipeline's steps not finished (its runner, if it still runs them, stops their processes
        within a second); their MLflow runs end ``FAILED`` with them. A job already ended stays so."""
        d = self._deps
        why = f"The workspace pair '{pair.name}' failed over to workspace '{secondary.name}'; "
        with d.uow(write=True) as uow:
            current = uow.jobs.by_key(job.key)
            if current is None:
                return
            ending = [(current, f"{why}the job was resubmitted there as '{name}'.")]
            if current.spec.is_pipeline:
                ending += [(step, f"{why}its pipeline '{current.name}' was resubmitted there as '{name}'.")
                           for step in steps_of(uow, current).values()]
            ended = [j.failed(d.clock.now(), FAILED_OVER, message) for j, message in ending if not j.status.is_terminal]
            for j in ended:
                uow.jobs.save(j)
            in_one = hasattr(uow, "tracking")  # the SQL store's unit of work: the runs end in the same commit
            for j in ended if in_one else ():
                self._tracking.end_job_run_in(cast(TrackingUnitOfWork, uow), j.workspace_key, j.run_id,
                                              RunStatus.FAILED)
            uow.commit()
        for j in ended if not in_one else ():
            self._tracking.end_job_run(j.workspace_key, j.run_id, RunStatus.FAILED)

    def _files(self, uow: UnitOfWork, job: Job, ws: Workspace) -> list[str]:
        """The digests of the files a job needs in ``ws``'s storage: its own (``job_files``) and,
        for a pipeline, its steps' code (components resolved in ``ws``)."""
        digests = job_files(job.spec)
        if job.spec.is_pipeline:
            digests += self._jobs.step_code(uow, job, ws)
        return list(dict.fromkeys(digests))

    def _resolved(self, uow: UnitOfWork, spec: JobSpec, secondary: Workspace) -> tuple[JobSpec, list[str]]:
        """The spec with each input that names an asset of the workspace (``azureml:name:version``)
        taking the files of that version in the secondary, when it is there."""
        inputs = dict(spec.inputs)
        resolved: list[str] = []
        for key, given in spec.inputs.items():
            uri = given.uri or ""
            if given.type == "literal" or not uri.lower().startswith("azureml:") or uri.lower().startswith("azureml://"):
                continue
            kind = AssetKind.MODELS if given.type in _MODEL_INPUTS else AssetKind.DATA
            try:
                ref = parse_asset_reference(uri, kind, key) if is_reference(uri) else None
            except AmliteError:
                ref = None
            if ref is None or ref.registry is not None or ref.workspace is not None or ref.version is None:
                continue
            container = uow.asset_containers.get(secondary.key, kind, ref.name)
            version = uow.asset_versions.any_get(container.key, ref.version) if container else None
            if version is not None and version.manifest:
                inputs[key] = replace(given, artifacts=version.manifest)
                resolved.append(f"{key}: {kind.value}/{ref.name}:{ref.version}")
        return replace(spec, inputs=inputs), resolved

    def _storage(self, uow: UnitOfWork, ws: Workspace) -> ArtifactStorage:
        return self._artifacts.storage_in(uow, workspace_owner(ws))


def _copy_files(source: ArtifactStorage | None, target: ArtifactStorage, digests: list[str]) -> str:
    """Copy into ``target`` the blobs it lacks; '' when all are there, else why not."""
    try:
        if source is None:
            lacking = [d for d in digests if not target.store.exists(target.account, target.container, d)]
            return "the primary's storage is not known" if lacking else ""
        copy_missing(source.store, source.account, source.container, target.store, target.account, target.container,
                     digests, fault="pair.job.after_blob")
    except (AmliteError, OSError) as exc:
        return exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
    return ""


def _steps_if_failed(uow: UnitOfWork, job: Job) -> list[Job]:
    """A failed pipeline's steps (to tell whether the outage ended it); nothing for other jobs."""
    return list(steps_of(uow, job).values()) if job.spec.is_pipeline and job.status is JobStatus.FAILED else []


def _not_recovered(job: Job, reason: str) -> dict[str, Any]:
    return {"kind": "job", "name": job.name, "reason": reason}
