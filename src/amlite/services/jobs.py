"""Command job use cases: submit, read, list, cancel, archive, and read a job's log and outputs.

Submitting is a read, then blob work, then one write. The read admits the caller, judges the
body and resolves every reference the job makes (its environment; each asset input: a data asset
or model of this workspace, another workspace or a registry, or another job's output) to the files
it stands for. The files of an input that live elsewhere are copied into this workspace's storage
(content-addressed: bytes already there are not copied again) and the job's code snapshot is
checked to be stored, with no unit of work open. The write adds the job ``NotStarted`` with the
task that will run it (``services/job_runs.py``), in one commit; the workers are woken after it.

So a job, once accepted, depends on nothing outside its workspace: its code, its inputs' files and
its outputs all live in the workspace's default storage, which is what lets ``job download`` and
``job create -f`` carry it to a second workspace.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.assets import AssetKind, ListViewType, ManifestEntry
from amlite.domain.blobs import CHUNK_SIZE
from amlite.domain.errors import BlobNotFound, Conflict, NotFound, invalid
from amlite.domain.hubs import in_hub_family, parallel_step_refused
from amlite.domain.jobs import (
    Job,
    JobDetails,
    JobInput,
    JobSpec,
    JobStatus,
    check_job_name,
    compute_name,
    environment_plan,
    job_details,
    job_spec,
    parse_output_uri,
)
from amlite.domain.paging import Page
from amlite.domain.pipelines import step_job_name
from amlite.domain.references import AssetRef, is_reference, parse_asset_reference, parse_datastore_path
from amlite.domain.resources import AuditStamp, Workspace
from amlite.ports import UnitOfWork
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import registry_owner, workspace_owner
from amlite.services.asset_references import ReferenceResolver
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.hubs import find_compute, refuse_sibling_data
from amlite.services.images import check_image_reference, image_for
from amlite.services.pipeline_steps import PipelineSteps
from amlite.services.tasks import TaskEngine
from amlite.services.workspace_scope import require_workspace, writable

#: The task kind that runs a job (``services/job_runs.py`` registers its handler).
JOB_TASK = "job.run"
P = "properties"
PYTHON_VERSION = "{}.{}.{}".format(*sys.version_info[:3])
_MODEL_INPUTS = ("custom_model", "mlflow_model", "triton_model")


#: The latest value of each metric a job's MLflow run logged (workspace key, run id): ``job show`` lists them.
RunMetrics = Callable[[str, str], dict[str, float]]
#: Called in the unit of work that adds a job a user submitted (a paired primary's job has its
#: files copied ahead into the secondary: services/failover_jobs.py); returns the tasks it queued.
JobSubmitted = Callable[[UnitOfWork, Job], int]


@dataclass(frozen=True)
class JobView:
    workspace: Workspace
    job: Job
    metrics: dict[str, float] = field(default_factory=dict)  # filled by ``get`` (job show), not by listings

    @property
    def arm_id(self) -> str:
        return f"{self.workspace.arm_id}/jobs/{self.job.name}"


@dataclass(frozen=True)
class JobLog:
    """A slice of a job's log from ``offset``, and the job's status when it was read."""

    data: bytes
    offset: int
    status: JobStatus


@dataclass(frozen=True)
class _Source:
    """Files an input stands for and the storage that holds them."""

    manifest: tuple[ManifestEntry, ...]
    storage: ArtifactStorage | None  # None: already in the job's workspace


class JobService:
    def __init__(self, deps: Deps, engine: TaskEngine, artifacts: ArtifactService, references: ReferenceResolver,
                 authz: Authorizer, jobs_root: Path, run_metrics: RunMetrics) -> None:
        self._deps = deps
        self._run_metrics = run_metrics
        self._engine = engine
        self._artifacts = artifacts
        self._refs = references
        self._authz = authz
        self._root = jobs_root
        self._steps = PipelineSteps(references)
        self.on_job_submitted: list[JobSubmitted] = []

    # -- submit and change -----------------------------------------------------------------------

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                         props: dict[str, Any]) -> tuple[JobView, bool]:
        """PUT: submit a new job, or change an existing job's display name, description, tags or
        archived flag (its definition cannot change: ``409 JobAlreadyExists``)."""
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            check_job_name(name)
            details = job_details(props)
            existing = uow.jobs.get(ws.key, name)
            if existing is None:
                if in_hub_family(ws):
                    _refuse_parallel_steps(ws, props)
                spec = job_spec(props)
                on_ray = _require_compute(uow, ws, spec)
                warnings = _unhonoured(props, spec)
                env_spec: dict[str, Any] = {}
                conda: dict[str, Any] | None = None
                image: str | None = None
                if spec.is_pipeline:
                    for step_name, step in spec.steps.items():
                        self._steps.check(uow, caller, ws, spec, step_name, step)
                else:
                    env_spec, conda = self._environment(uow, caller, ws, spec.environment_id)
                    if not on_ray:  # the build a job on a Ray cluster runs on is the cluster's, not amlite's
                        needs = environment_plan(env_spec, conda, PYTHON_VERSION).requirements
                        image = image_for(uow, ws, PYTHON_VERSION, needs)
                sources = {k: self._source(uow, caller, ws, k, i) for k, i in spec.inputs.items() if i.type != "literal"}
                storage = self._artifacts.storage_in(uow, workspace_owner(ws))
        if existing is not None:
            return self._update(caller, ws, existing, props, details), False
        plan = environment_plan(env_spec, conda, PYTHON_VERSION, on_ray)
        inputs = dict(spec.inputs)
        for key, source in sources.items():
            _copy_into(storage, source)
            inputs[key] = replace(inputs[key], artifacts=source.manifest)
            _check_single_file(key, inputs[key])
        _check_stored(storage, spec.code, f"{P}.codeArtifacts")
        job = self._new_job(caller.principal_id, _stamp(caller, self._deps.clock.now()), ws, name,
                            replace(spec, inputs=inputs), details, warnings + plan.warnings, plan.requirements, image)
        view = self._insert(caller, ws, job)
        return view, True

    def _new_job(self, principal_id: str, stamp: AuditStamp, ws: Workspace, name: str, spec: JobSpec,
                 details: JobDetails, warnings: tuple[str, ...], requirements: tuple[str, ...],
                 image: str | None = None) -> Job:
        d = self._deps
        return Job(key=d.ids.new_id(), workspace_key=ws.key, name=name, spec=spec, status=JobStatus.NOT_STARTED,
                   stamp=stamp, etag=new_etag(d.ids), submitted_by=principal_id,
                   display_name=details.display_name or name, description=details.description or "",
                   tags=dict(details.tags or {}), is_archived=bool(details.is_archived), warnings=warnings,
                   requirements=requirements, image=image, run_id=d.ids.new_id().replace("-", ""))

    def _insert(self, caller: Caller | None, ws: Workspace, job: Job) -> JobView:
        """Add the job and the task that runs it in one commit, then wake the workers."""
        d = self._deps
        with d.uow(write=True) as uow:
            current = uow.workspaces.by_key(ws.key)
            if current is None:
                raise NotFound("ResourceNotFound", f"The workspace '{ws.name}' was not found.")
            writable(current)
            if uow.jobs.get(ws.key, job.name) is not None:
                raise Conflict("JobAlreadyExists", f"A job named '{job.name}' exists already.")
            uow.jobs.add(job)
            self._engine.enqueue(uow, JOB_TASK, dedupe_key=f"job:{job.key}", subject_key=job.key, scope_key=ws.key)
            view = JobView(current, job)
            if caller is not None:  # a user's submission (not a pipeline's step)
                for hook in self.on_job_submitted:
                    hook(uow, job)
                record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        self._engine.wake()
        return view

    def _update(self, caller: Caller, ws: Workspace, existing: Job, props: dict[str, Any], details: Any) -> JobView:
        for key, current in (("command", existing.spec.command), ("environmentId", existing.spec.environment_id)):
            given = props.get(key)
            if given is not None and given != current:
                raise Conflict("JobAlreadyExists",
                               f"A job named '{existing.name}' exists already and its {key} cannot change; submit a "
                               "new job (another name) to run something else.", target=f"{P}.{key}")
        return self._change(caller, ws, existing.name, lambda job: replace(
            job, display_name=details.display_name or job.display_name,
            description=job.description if details.description is None else details.description,
            tags=job.tags if details.tags is None else dict(details.tags),
            is_archived=job.is_archived if details.is_archived is None else details.is_archived))

    def set_archived(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str, archived: bool) -> JobView:
        caller, ws = self._workspace(caller, sub_id, rg_name, ws_name)
        return self._change(caller, ws, name, lambda job: replace(job, is_archived=archived))

    def delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> bool:
        """Remove a finished job's record (its files stay in storage until the workspace goes);
        a job still running must be canceled first. False when there was none."""
        caller, ws = self._workspace(caller, sub_id, rg_name, ws_name)
        d = self._deps
        with d.uow(write=True) as uow:
            job = uow.jobs.lock(ws.key, name)
            if job is None:
                return False
            if not job.status.is_terminal:
                raise Conflict("JobNotFinished", f"The job '{name}' is {job.status.value}; cancel it before deleting it.")
            uow.jobs.delete(job.key)
            record_write(d, uow, caller, scope=JobView(ws, job).arm_id)
            uow.commit()
        return True

    def cancel(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> JobView:
        """A job not started yet is ``Canceled`` at once; a running one is ``CancelRequested`` and
        its runner ends its process tree, then marks it ``Canceled``. A finished job is left as is."""
        caller, ws = self._workspace(caller, sub_id, rg_name, ws_name)
        now = self._deps.clock.now()

        def cancel(job: Job) -> Job:
            if job.status.is_terminal or job.status is JobStatus.CANCEL_REQUESTED:
                return job
            if job.status.has_started:
                return job.moved(JobStatus.CANCEL_REQUESTED, now)
            return job.moved(JobStatus.CANCELED, now)

        return self._change(caller, ws, name, cancel)

    def _change(self, caller: Caller, ws: Workspace, name: str, change: Callable[[Job], Job]) -> JobView:
        d = self._deps
        with d.uow(write=True) as uow:
            job = uow.jobs.lock(ws.key, name)
            if job is None:
                raise job_not_found(name)
            changed = change(job)
            if changed != job:
                changed = replace(changed, etag=new_etag(d.ids),
                                  stamp=job.stamp.touched(caller.name, caller.stamp_type, d.clock.now()))
                uow.jobs.save(changed)
            view = JobView(ws, changed)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view

    # -- resubmission into another workspace (a failover) ------------------------------------------

    def resubmit(self, job: Job, ws: Workspace, name: str, spec: JobSpec, tags: dict[str, str]) -> Job:
        """Submit ``job`` again in ``ws`` as ``name`` (a failover into a pair's secondary), as its
        submitter, with ``spec`` (its files must be in ``ws``'s storage already). Its environment
        build is named in ``ws``'s registry; a compute it names must exist in ``ws``. A pipeline's
        steps are checked in ``ws`` as at submission (their components must resolve there, their
        code be in its storage: ``step_code``); its steps then run there as its children."""
        with self._deps.uow() as uow:
            if _require_compute(uow, ws, spec):
                raise invalid("InputNotSupported", f"The job '{job.name}' ran on a Ray compute; it is not resubmitted.")
            if spec.is_pipeline:
                caller = _submitter(uow, job)
                for step_name, step in spec.steps.items():
                    self._steps.check(uow, caller, ws, spec, step_name, step)
            image = image_for(uow, ws, PYTHON_VERSION, job.requirements) if job.image else None
            storage = self._artifacts.storage_in(uow, workspace_owner(ws))
        _check_stored(storage, spec.code, f"{P}.codeArtifacts")
        for key, given in spec.inputs.items():
            _check_stored(storage, given.artifacts, f"{P}.inputs.{key}")
        now = self._deps.clock.now()
        stamp = AuditStamp(job.stamp.created_by, job.stamp.created_by_type, now, job.stamp.created_by,
                           job.stamp.created_by_type, now)
        details = JobDetails(display_name=job.display_name, description=job.description, tags={**job.tags, **tags})
        again = self._new_job(job.submitted_by, stamp, ws, name, spec, details, job.warnings, job.requirements, image)
        return self._insert(None, ws, again).job

    def step_code(self, uow: UnitOfWork, job: Job, ws: Workspace) -> list[str]:
        """The digests of the code of a pipeline's steps whose components ``ws`` itself holds, each
        step's component resolved in ``ws`` as the job's submitter (a registry's component's code is
        copied from the registry when the step runs); an error naming the step whose component does
        not resolve there."""
        caller = _submitter(uow, job)
        digests: list[str] = []
        for step_name, step in job.spec.steps.items():
            found = self._steps.component(uow, caller, ws, step_name, step)
            if not found.owner.is_registry and found.owner.key == ws.key:
                digests.extend(e.sha256 for e in found.code)
        return list(dict.fromkeys(digests))

    # -- pipelines -------------------------------------------------------------------------------

    def submit_step(self, parent: Job, step_name: str, upstream: dict[str, dict[str, tuple[ManifestEntry, ...]]]) -> Job:
        """Submit the child job that runs ``step_name`` of pipeline ``parent``, as its submitter;
        ``upstream`` holds the outputs of the steps it reads from."""
        step = parent.spec.steps[step_name]
        with self._deps.uow() as uow:
            ws = uow.workspaces.by_key(parent.workspace_key)
            if ws is None:
                raise NotFound("ResourceNotFound", f"The workspace of job '{parent.name}' is gone.")
            caller = _submitter(uow, parent)
            found = self._steps.component(uow, caller, ws, step_name, step)
            spec = PipelineSteps.child_spec(parent.spec, found, step, upstream, parent.name, step_name)
            env_spec, conda = self._environment(uow, caller, ws, spec.environment_id)
            on_ray = _require_compute(uow, ws, spec)
            plan = environment_plan(env_spec, conda, PYTHON_VERSION, on_ray)
            image = None if on_ray else image_for(uow, ws, PYTHON_VERSION, plan.requirements)
            storage = self._artifacts.storage_in(uow, workspace_owner(ws))
            code_storage = None if found.owner.key == ws.key else self._artifacts.storage_in(uow, found.owner)
        _copy_into(storage, _Source(spec.code, code_storage))
        now = self._deps.clock.now()
        stamp = AuditStamp(parent.stamp.created_by, parent.stamp.created_by_type, now, parent.stamp.created_by,
                           parent.stamp.created_by_type, now)
        child = self._new_job(parent.submitted_by, stamp, ws, step_job_name(parent.name, step_name), spec,
                              JobDetails(display_name=step_name), plan.warnings, plan.requirements, image)
        return self._insert(None, ws, child).job

    # -- read ------------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> JobView:
        """The job, with the latest metrics its MLflow run logged (``job show``)."""
        view = self._get(caller, sub_id, rg_name, ws_name, name)
        if not (view.job.status.has_started or view.job.status.is_terminal):
            return view
        return replace(view, metrics=self._run_metrics(view.workspace.key, view.job.run_id))

    def _get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> JobView:
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            job = uow.jobs.get(ws.key, name)
        if job is None:
            raise job_not_found(name)
        return JobView(ws, job)

    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, view: ListViewType, offset: int,
             limit: int) -> Page[JobView]:
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            page = uow.jobs.list(ws.key, view, offset, limit)
        return Page([JobView(ws, job) for job in page.items], page.more)

    def read_log(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str, offset: int,
                 limit: int = 1 << 20) -> JobLog:
        """Up to ``limit`` bytes of ``user_logs/std_log.txt`` from ``offset``: from the runner's
        file while the job runs, from the workspace's storage once it has ended."""
        view = self._get(caller, sub_id, rg_name, ws_name, name)
        job = view.job
        offset = max(0, offset)
        stored = next((e for e in job.logs if e.path == "user_logs/std_log.txt"), None)
        if stored is not None:
            where = self._artifacts.storage_for(workspace_owner(view.workspace))
            data = _read_blob(where, stored.sha256, offset, limit)
        else:
            data = _read_file(self.log_path(job), offset, limit)
        return JobLog(data, offset, job.status)

    def log_path(self, job: Job) -> Path:
        """Where the runner writes the job's log while it runs."""
        return self._root / job.key / "user_logs" / "std_log.txt"

    def output_files(self, uow: UnitOfWork, ws: Workspace, uri: str, target: str) -> tuple[Job, tuple[ManifestEntry, ...]]:
        """The job and the files an ``azureml://jobs/<job>/outputs/<out>[/paths/<p>]`` URI names
        (paths as the output lays them out, under the output's name), in an open unit of work."""
        parsed = parse_output_uri(uri)
        if parsed is None:
            raise invalid("InvalidAssetReference", f"'{uri}' is not azureml://jobs/<job>/outputs/<output>.", target)
        job_name, output, sub_path = parsed
        job = uow.jobs.get(ws.key, job_name)
        if job is None:
            raise invalid("AssetReferenceNotFound", f"The job '{job_name}' ({uri}) does not exist in workspace "
                          f"'{ws.name}'.", target)
        if output not in job.spec.outputs:
            raise invalid("AssetReferenceNotFound", f"The job '{job_name}' has no output '{output}'.", target)
        if job.status is not JobStatus.COMPLETED:
            raise invalid("JobOutputNotReady", f"The job '{job_name}' is {job.status.value}: only a Completed job's "
                          "outputs can be used.", target)
        files = job.outputs.get(output, ())
        if sub_path:
            files = tuple(e for e in files if e.path == sub_path or e.path.startswith(sub_path + "/"))
        if not files:
            raise invalid("AssetReferenceNotFound", f"The output '{output}' of job '{job_name}' holds no files"
                          + (f" under '{sub_path}'" if sub_path else "") + ".", target)
        return job, tuple(ManifestEntry(f"{output}/{e.path}", e.sha256, e.size) for e in files)

    # -- resolving what a job refers to ----------------------------------------------------------

    def _environment(self, uow: UnitOfWork, caller: Caller, ws: Workspace,
                     reference: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The environment version's spec and its parsed conda file."""
        target = f"{P}.environmentId"
        text = f"azureml:{reference}" if reference.startswith("/subscriptions/") else reference
        ref = parse_asset_reference(text, AssetKind.ENVIRONMENTS, target)
        _, version = self._refs.resolve(uow, caller, workspace_owner(ws), ref, target)
        spec = version.spec
        check_image_reference(uow, ws, spec.get("image"), f"{target}.image")
        conda = spec.get("condaFile")
        if isinstance(conda, str):
            try:
                conda = yaml.safe_load(conda)
            except yaml.YAMLError as exc:
                raise invalid("InvalidRequestContent", f"The environment's conda file is not YAML: {exc}.", target) from None
        if conda is not None and not isinstance(conda, dict):
            raise invalid("InvalidRequestContent", "The environment's conda file is not a mapping.", target)
        return spec, conda

    def _source(self, uow: UnitOfWork, caller: Caller, ws: Workspace, name: str, given: JobInput) -> _Source:
        """The files an asset input stands for: uploaded with the job, another job's output, or an
        asset version (with its files) of this workspace, another one or a registry."""
        target = f"{P}.inputs.{name}.uri"
        if given.artifacts:
            return _Source(given.artifacts, None)
        uri = given.uri or ""
        if uri.lower().startswith("azureml://jobs/"):
            _, files = self.output_files(uow, ws, uri, target)
            return _Source(tuple(ManifestEntry(e.path.split("/", 1)[1], e.sha256, e.size) for e in files), None)
        if not is_reference(uri) or parse_datastore_path(uri, target) is not None:
            raise invalid("InputNotSupported",
                          f"The input '{name}' ({uri}) cannot be given to a job by amlite: use a data asset or model "
                          "(azureml:<name>:<version>, azureml://registries/...), another job's output "
                          "(azureml://jobs/<job>/outputs/<name>), or a local path the client uploads.", target)
        kind = AssetKind.MODELS if given.type in _MODEL_INPUTS else AssetKind.DATA
        text = f"azureml:{uri}" if uri.startswith("/subscriptions/") else uri
        ref: AssetRef = parse_asset_reference(text, kind, target)
        container, version = self._refs.resolve(uow, caller, workspace_owner(ws), ref, target)
        if not version.manifest:
            raise invalid("InputNotSupported",
                          f"The {kind.singular} '{container.name}:{version.version}' of input '{name}' has no uploaded "
                          "files (it points at a datastore path or URL), so the job cannot be given its contents.",
                          target)
        owner = self._owner_of(uow, container.owner_key, ref)
        if owner.key != ws.key and ref.registry is None:
            refuse_sibling_data(uow, ws, owner.key, f"The input '{name}'", target)
        storage = None if owner.key == ws.key else self._artifacts.storage_in(uow, owner)
        return _Source(version.manifest, storage)

    def _owner_of(self, uow: UnitOfWork, owner_key: str, ref: AssetRef) -> AssetOwner:
        if ref.registry is not None:
            reg = uow.registries.by_key(owner_key)
            if reg is None:
                raise NotFound("RegistryNotFound", f"The registry '{ref.registry}' was not found.")
            return registry_owner(reg)
        found = uow.workspaces.by_key(owner_key)
        if found is None:
            raise NotFound("ResourceNotFound", "The workspace of the input was not found.")
        return workspace_owner(found)

    def _workspace(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> tuple[Caller, Workspace]:
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            return caller, writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))


def steps_of(uow: UnitOfWork, pipeline: Job) -> dict[str, Job]:
    """The child jobs a pipeline job has submitted so far, by step name."""
    found = {step: uow.jobs.get(pipeline.workspace_key, step_job_name(pipeline.name, step))
             for step in pipeline.spec.steps}
    return {step: child for step, child in found.items() if child is not None}


def _submitter(uow: UnitOfWork, job: Job) -> Caller:
    """The job's submitter as a caller: a pipeline's steps are resolved and run with its rights."""
    principal = uow.principals.get(job.submitted_by)
    if principal is None:
        raise NotFound("ResourceNotFound", f"The submitter of job '{job.name}' is gone.")
    return Caller(tenant_id=principal.tenant_id, principal_id=principal.id, name=principal.sign_in_name,
                  principal_type=principal.kind.value)


def _stamp(caller: Caller, now: Any) -> AuditStamp:
    return AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now)


def job_not_found(name: str) -> NotFound:
    return NotFound("JobNotFound", f"The job '{name}' was not found.")


def _refuse_parallel_steps(ws: Workspace, props: dict[str, Any]) -> None:
    """Hubs and projects run no parallel run steps (the support matrix)."""
    steps = props.get("jobs")
    if str(props.get("jobType", "")).lower() == "parallel":
        raise parallel_step_refused(ws, "(the job)")
    if isinstance(steps, dict):
        for step_name, step in steps.items():
            if isinstance(step, dict) and str(step.get("type", "")).lower() == "parallel":
                raise parallel_step_refused(ws, str(step_name))


def _require_compute(uow: UnitOfWork, ws: Workspace, spec: JobSpec) -> bool:
    """A job sent to a compute runs on its nodes, so the compute must be one of the workspace's
    (or a compute instance of another workspace of its hub: instances are shared in a hub); True
    when it is a Ray compute (the job runs on its cluster)."""
    name = compute_name(spec.compute_id)
    if name is None:
        return False
    compute = find_compute(uow, ws.key, name)
    if compute is None:
        raise invalid("ComputeNotFound", f"The compute '{name}' does not exist in the workspace '{ws.name}': create it "
                      "(amlite ml compute create) or use compute: local.", f"{P}.computeId")
    return compute.is_ray


def _unhonoured(props: dict[str, Any], spec: JobSpec) -> tuple[str, ...]:
    """What the job asks for that the local runner does not do, said rather than dropped."""
    warnings: list[str] = []
    resources = props.get("resources")
    if isinstance(resources, dict) and isinstance(resources.get("instanceCount"), int) and resources["instanceCount"] > 1:
        warnings.append(f"resources.instanceCount {resources['instanceCount']} is not honoured: the job runs as one process.")
    if props.get("distribution"):
        warnings.append("distribution is not honoured: the job runs as one process on one node.")
    return tuple(warnings)


def _check_single_file(name: str, given: JobInput) -> None:
    if given.type == "uri_file" and len(given.artifacts) != 1:
        raise invalid("InvalidRequestContent", f"The uri_file input '{name}' stands for {len(given.artifacts)} files; "
                      "a uri_file input is one file (use uri_folder for a folder).", f"{P}.inputs.{name}")


def _copy_into(storage: ArtifactStorage, source: _Source) -> None:
    """An input's files, copied from the storage that holds them into the job's workspace."""
    if source.storage is None:
        _check_stored(storage, source.manifest, f"{P}.inputs")
        return
    for sha in sorted({e.sha256 for e in source.manifest}):
        if not storage.store.exists(storage.account, storage.container, sha):
            storage.store.copy_blob(source.storage.store, source.storage.account, source.storage.container,
                                    storage.account, storage.container, sha)


def _check_stored(storage: ArtifactStorage, manifest: tuple[ManifestEntry, ...], target: str) -> None:
    for entry in manifest:
        try:
            size = storage.store.size(storage.account, storage.container, entry.sha256)
        except BlobNotFound:
            raise invalid("ArtifactNotFound",
                          f"The file '{entry.path}' (sha256 {entry.sha256}) was not uploaded to this workspace; upload "
                          "it (PUT .../artifacts/blobs/{sha256}) before submitting the job.", target) from None
        if size != entry.size:
            raise invalid("ArtifactSizeMismatch", f"The file '{entry.path}' is listed with {entry.size} bytes, but the "
                          f"stored blob has {size}.", target)


def _read_blob(where: ArtifactStorage, sha256: str, offset: int, limit: int) -> bytes:
    out = bytearray()
    skipped = 0
    chunks: Iterator[bytes] = where.store.open_chunks(where.account, where.container, sha256, CHUNK_SIZE)
    for chunk in chunks:
        if skipped + len(chunk) <= offset:
            skipped += len(chunk)
            continue
        start = max(0, offset - skipped)
        skipped += len(chunk)
        out.extend(chunk[start:])
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def _read_file(path: Path, offset: int, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(limit)
    except FileNotFoundError:
        return b""
