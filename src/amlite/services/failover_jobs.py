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
Then the primary's job ends ``Failed`` with ``WorkspaceFailedOver``, naming the new job. Each step
is idempotent: a failover that runs again after a crash finds the job it submitted by name and
does not submit another.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from amlite.domain.assets import AssetKind, ListViewType, ManifestEntry
from amlite.domain.errors import AmliteError
from amlite.domain.failover import FAILED_OVER, PAIR_JOB_COPY, failover_job_name, resubmittable
from amlite.domain.jobs import Job, JobSpec
from amlite.domain.pairs import WorkspacePair
from amlite.domain.references import is_reference, parse_asset_reference
from amlite.domain.resources import Workspace
from amlite.domain.tasks import RetryLater, Task
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import workspace_owner
from amlite.services.context import Deps
from amlite.services.jobs import JobService
from amlite.services.tasks import TaskEngine, TaskKind

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
                 lease: timedelta = timedelta(seconds=60), backoff: timedelta = timedelta(seconds=2)) -> None:
        self._deps = deps
        self._engine = engine
        self._jobs = jobs
        self._artifacts = artifacts
        engine.register(TaskKind(PAIR_JOB_COPY, self._copy_ahead, lease=lease, backoff=backoff, max_attempts=12))

    # -- ahead of a failover: the hook on job submission and its task --------------------------

    def plan(self, uow: UnitOfWork, job: Job) -> int:
        """Queue the copy of a new job's files into the secondary of every pair active on its
        workspace whose ``jobs`` mode is hot."""
        if job.spec.is_pipeline:
            return 0
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
            except AmliteError as exc:
                raise RetryLater(exc.message) from exc
        missing = _copy_files(source, target, job_files(job.spec))
        if missing:
            raise RetryLater(f"Copying the files of job '{job.name}' into workspace '{secondary.name}': {missing}")

    # -- at the failover -------------------------------------------------------------------------

    def candidates(self, uow: UnitOfWork, workspace_key: str, region_failed_at: datetime | None) -> list[str]:
        """The keys of the workspace's jobs a failover resubmits (``resubmittable``)."""
        found: list[str] = []
        offset = 0
        while True:
            page = uow.jobs.list(workspace_key, ListViewType.ALL, offset, 500)
            found.extend(j.key for j in page.items if resubmittable(j, region_failed_at))
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
        if job.spec.is_pipeline:
            return _not_recovered(job, "A pipeline job is not resubmitted by a failover; submit it again in the "
                                  "secondary (its steps' components must be there).")
        with self._deps.uow() as uow:
            spec, resolved = self._resolved(uow, job.spec, secondary)
            target = self._storage(uow, secondary)
            try:
                source: ArtifactStorage | None = self._storage(uow, primary)
            except AmliteError:
                source = None
        missing = _copy_files(source, target, job_files(spec))
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
        """The primary's job ends ``Failed`` naming the failover and its new job (its runner, if
        it still runs it, stops its processes within a second); a job already ended stays so."""
        d = self._deps
        with d.uow(write=True) as uow:
            current = uow.jobs.by_key(job.key)
            if current is None or current.status.is_terminal:
                return
            uow.jobs.save(current.failed(d.clock.now(), FAILED_OVER,
                                         f"The workspace pair '{pair.name}' failed over to workspace "
                                         f"'{secondary.name}'; the job was resubmitted there as '{name}'."))
            uow.commit()

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
        for digest in digests:
            if target.store.exists(target.account, target.container, digest):
                continue
            if source is None:
                return "the primary's storage is not known"
            target.store.copy_blob(source.store, source.account, source.container, target.account, target.container,
                                   digest)
    except (AmliteError, OSError) as exc:
        return exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
    return ""


def _not_recovered(job: Job, reason: str) -> dict[str, Any]:
    return {"kind": "job", "name": job.name, "reason": reason}
