"""Running a command job: the handler of the ``job.run`` tasks of the one task engine.

    claim ─▶ Queued ─▶ place (the one seam that picks where and when a job runs: at once on the
    local runner, or once a node slot of its compute is free) ─▶ Preparing:
    code snapshot and inputs' files from the workspace's storage into a working folder under the
    data directory, the environment's virtualenv ─▶ Running: the job's MLflow run is started, the
    command, bound to local paths, runs under its supervisor ─▶ Finalizing: outputs and the log into the workspace's storage ─▶
    Completed | Failed | Canceled

The task engine's heartbeat keeps the claim while the job runs; the handler looks at the job's row
every second, so a cancel (``CancelRequested``) ends the process tree within about a second. A
server that dies takes its jobs' processes with it (the supervisor watches its parent), and its
claim runs out; the next worker to claim the task finds the job already started by a process
that is gone, and fails it with that reason: a job is never run twice behind its submitter's
back. Resubmitting (``job create`` again) runs it anew.

A job on a compute holds one of its node slots (its holder named by the job's name, which is
what ``listNodes`` shows as the node's ``runId``) from placement to its end, renewing the slot's
lease while it runs; the slot is released whatever the outcome, and a server that dies stops
renewing, so the lease running out frees it. The job's MLflow run ends with the job's status, in the same commit.

A job on a Ray compute is the other backend: it is submitted through Ray's job API to the
compute's cluster (``ports.RayJobs``), as the runner ``runner/ray_entry.py`` with the job's
description; the runner fetches the code and inputs from the workspace over HTTP, runs the
command and uploads the outputs, and this handler follows the Ray job's state and log (see
``domain/ray_jobs.py``). The Ray job outlives a server that dies: its submission id is derived
from the job's key, so the restarted server re-attaches to it, or fails the job when the cluster
never received it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import cast

from amlite.domain.assets import ManifestEntry
from amlite.domain.errors import AmliteError, Conflict
from amlite.domain.computes import NodeSlot
from amlite.domain.jobs import Job, JobSetupFailed, JobStatus, bind_command, compute_name
from amlite.domain.ray_jobs import RayJobInfo, RayResult, result_marker, split_log, submission_id
from amlite.domain.pipelines import step_order
from amlite.domain.tasks import NotYet, Task, TaskFailed
from amlite.domain.resources import Workspace
from amlite.domain.tracking import RunStatus
from amlite.ports import JobExecutor, JobProcess, RayJobs, TrackingUnitOfWork, UnitOfWork
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import workspace_owner
from amlite.services.computes import ComputeService
from amlite.services.context import Deps
from amlite.services.jobs import JOB_TASK, JobService, steps_of
from amlite.services.tasks import TaskEngine, TaskKind
from amlite.services.tokens import TokenService
from amlite.services.tracking import JobTracking

log = logging.getLogger(__name__)

LOG_FILE = "user_logs/std_log.txt"
POLL_SECONDS = 0.2
CHECK_SECONDS = 1.0
#: Environment variables passed from the server to a job (nothing else of the server's is).
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "PYTHONPATH", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
              "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CACHE_DIR")


#: How often a job waiting for a node of its compute asks again.
SLOT_WAIT_SECONDS = 1.0
_RUN_STATUS = {JobStatus.COMPLETED: RunStatus.FINISHED, JobStatus.FAILED: RunStatus.FAILED,
               JobStatus.CANCELED: RunStatus.KILLED}


#: Stands for the runner's own folder on a Ray node in a Ray job's bound command.
RAY_ROOT = "@@AMLITE_JOB_ROOT@@"
#: The artifact routes' API version the Ray runner calls with.
BLOB_API_VERSION = "2024-04-01"
#: How long a canceled Ray job is given to stop before the job is ended Canceled anyway.
RAY_STOP_SECONDS = 30.0
#: How long a Ray cluster may not answer about a running job before the job's runner gives up.
RAY_SILENCE_SECONDS = 60.0
#: Tags of a Ray job's MLflow run saying where it was submitted, set before it is: what a restarted
#: server has left to stop it by when its Ray compute was deleted while the server was down.
RAY_ADDRESS_TAG = "amlite.ray.address"
RAY_SUBMISSION_TAG = "amlite.ray.submissionId"


@dataclass(frozen=True)
class Placement:
    """Where a job runs: the server's local runner (``slot`` None), a node slot of a compute, or
    the Ray cluster of a Ray compute (``ray_address``)."""

    target: str = "local"
    slot: NodeSlot | None = None
    ray_address: str = ""


class JobRunService:
    def __init__(self, deps: Deps, engine: TaskEngine, jobs: JobService, artifacts: ArtifactService,
                 executor: JobExecutor, tokens: TokenService, jobs_root: Path, tracking: JobTracking,
                 computes: ComputeService, ray: RayJobs | None = None, lease: timedelta = timedelta(seconds=30)) -> None:
        self._deps = deps
        self._ray = ray
        self._jobs = jobs
        self._artifacts = artifacts
        self._executor = executor
        self._tokens = tokens
        self._root = jobs_root
        self._tracking = tracking
        self._computes = computes
        engine.register(TaskKind(JOB_TASK, self.run, lease=lease, max_attempts=3, on_failed=self._task_failed))

    # -- the seam: where and when ----------------------------------------------------------------

    def place(self, job: Job) -> Placement | None:
        """Pick where and when ``job`` runs: a command job sent to a Ray compute goes to its cluster
        (Ray queues it there); one sent to another compute waits (``Queued``) for a free node slot
        of it; anything else runs at once on the local runner. None when the job was canceled while
        it waited (or its compute can no longer run it: the job has failed). A job with no free
        node raises ``NotYet``: its task is queued again and looks for a node a moment later, so
        jobs waiting for nodes hold none of the server's few worker threads."""
        name = compute_name(job.spec.compute_id)
        if name is None or job.spec.is_pipeline:  # a pipeline's own row runs no process: its steps take the nodes
            return Placement()
        try:
            address = self._ray_address(job, name)
            if address:  # Ray schedules its own cluster: the job waits there, PENDING, not for a slot here
                return Placement(name, None, address)
            slot = self._computes.acquire_slot(job.workspace_key, name, holder=job.name)
        except AmliteError as exc:  # deleted, failed, or a stopped instance: the job cannot run there
            self._end(job, None, exc.code, f"The compute '{name}' cannot run the job: {exc.message}")
            return None
        if slot is not None:
            return Placement(name, slot)
        current = self._reload(job)
        if current.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED) or current.status.is_terminal:
            self._end(current, JobStatus.CANCELED, "", "")
            return None
        raise NotYet(f"The job '{job.name}' waits for a node of the compute '{name}'.",
                     timedelta(seconds=SLOT_WAIT_SECONDS))

    # -- the handler -----------------------------------------------------------------------------

    def run(self, task: Task) -> None:
        job = self._load(task)
        if job.status.is_terminal:
            return
        if job.status.has_started and self._reattach(job):  # a Ray job outlives the server that submitted it
            return
        if job.spec.is_pipeline and job.status is JobStatus.RUNNING and task.attempts == 1:
            # The claim after a look that found steps still running (NotYet gives its attempt back;
            # a claim after a dead server's has more): look again.
            try:
                self._supervise_pipeline(job)
            except (TaskFailed, NotYet):
                raise
            except Exception as exc:  # as on the first look: the pipeline ends, and says why
                log.exception("pipeline %s failed in its runner", job.name)
                self._cancel_children(self._children_of(job))
                self._end(job, None, "JobRunnerError", f"The job's runner failed: {type(exc).__name__}: {exc}")
            return
        if job.status.has_started:  # an earlier attempt's server died under it, and its processes with it
            if job.spec.is_pipeline:  # its steps go with it; they ran (or would run) as its children
                self._cancel_children(self._children_of(job))
            final = JobStatus.CANCELED if job.status is JobStatus.CANCEL_REQUESTED else None
            name = compute_name(job.spec.compute_id)
            if name is not None:  # the dead server's node of the compute is free again
                self._computes.release_slots_of(job.workspace_key, name, job.name)
            self._end(job, final, "JobInterrupted", self._interrupted(job))
            return
        if job.status is not JobStatus.QUEUED:  # Queued already: an earlier claim found no free node
            job = self._move(job, JobStatus.QUEUED)
            if job.status is not JobStatus.QUEUED:
                return
        placement = self.place(job)
        if placement is None:
            return
        folder = self._root / job.key
        try:
            job = self._move(job, JobStatus.PREPARING)
            if job.status is not JobStatus.PREPARING:
                self._end(job, JobStatus.CANCELED, "", "")
                return
            shutil.rmtree(folder, ignore_errors=True)
            if job.spec.is_pipeline:
                self._run_pipeline(job)
            elif placement.ray_address:
                self._execute_on_ray(job, folder, placement.ray_address)
            else:
                self._execute(job, folder, placement)
        except (TaskFailed, NotYet):
            raise
        except Exception as exc:  # storage or the runner failed under the job: it ends, and says why
            log.exception("job %s failed in its runner", job.name)
            self._end(job, None, "JobRunnerError", f"The job's runner failed: {type(exc).__name__}: {exc}")
        finally:
            if placement.slot is not None:
                self._computes.release_slot(placement.slot)
            shutil.rmtree(folder, ignore_errors=True)

    def _execute(self, job: Job, folder: Path, placement: Placement) -> None:
        logfile = folder / LOG_FILE
        logfile.parent.mkdir(parents=True, exist_ok=True)
        logfile.touch()
        ws, storage = self._where(job)
        try:
            values, cwd = self._prepare(job, folder, storage)
            python = self._executor.python_for(list(job.requirements), logfile, job.image or "")
            command = bind_command(job.spec.command, values)
        except JobSetupFailed as exc:
            self._finish(job, storage, folder, None, exc.code, exc.message)
            return
        job = self._move(job, JobStatus.RUNNING)
        if job.status is not JobStatus.RUNNING:
            self._finish(job, storage, folder, None)
            return
        run = self._tracking.start_job_run(ws.key, experiment_name=job.spec.experiment_name, job_name=job.name,
                                           user=job.stamp.created_by, run_id=job.run_id)
        env = self._environment(job, ws, python)
        env["MLFLOW_EXPERIMENT_ID"] = run.experiment_id
        process = self._executor.start(command, cwd, env, logfile)
        try:
            code = self._watch(job, process, placement)
        except JobSetupFailed as exc:
            self._finish(self._reload(job), storage, folder, None, exc.code, exc.message)
            return
        finally:
            if process.poll() is None:  # the watch itself failed: the job's processes do not outlive it
                process.kill()
        self._finish(self._reload(job), storage, folder, code)

    def _watch(self, job: Job, process: JobProcess, placement: Placement) -> int | None:
        """Wait for the process, ending it when the job is canceled (``None``), and renewing its
        node slot; a slot that is lost (the compute deleted, stopped or scaled below it) ends it."""
        checked = renewed = time.monotonic()
        slot = placement.slot
        while True:
            code = process.poll()
            if code is not None:
                process.wait()
                return code
            if slot is not None and time.monotonic() - renewed >= self._computes.slot_lease.total_seconds() / 3:
                renewed = time.monotonic()
                slot = self._computes.renew_slot(slot)
                if slot is None:
                    process.kill()
                    raise JobSetupFailed("ComputeNodeLost", f"The job lost its node of the compute "
                                         f"'{placement.target}' (deleted, stopped or scaled down) and was stopped.")
            if time.monotonic() - checked >= CHECK_SECONDS:
                checked = time.monotonic()
                with self._deps.uow() as uow:
                    current = uow.jobs.by_key(job.key)
                # Canceled, ended by a failover of its workspace's pair, or gone with its workspace:
                # its processes end now.
                if current is None or current.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED, JobStatus.FAILED):
                    process.kill()
                    return None
            time.sleep(POLL_SECONDS)

    # -- Ray ---------------------------------------------------------------------------------------

    def _ray_address(self, job: Job, name: str) -> str:
        """The cluster address of ``name`` when it is a Ray compute that can run jobs ('' for other
        computes); a Ray compute that cannot (failed, being deleted) fails the job with that reason."""
        with self._deps.uow() as uow:
            compute = uow.computes.get(job.workspace_key, name)
        if compute is None or not compute.is_ray:
            return ""
        state = compute.provisioning_state.value
        if state == "Creating":
            return ""  # acquire_slot answers None meanwhile: the job waits Queued
        if state != "Succeeded":
            raise Conflict("ComputeNotAvailable", f"Compute '{compute.name}' is {state} and cannot run jobs.")
        if self._ray is None:
            raise Conflict("ComputeNotAvailable", "This server has no Ray client to submit jobs with.")
        return compute.ray_address

    def _execute_on_ray(self, job: Job, folder: Path, address: str) -> None:
        """Submit the job's runner to the Ray cluster, then follow it to its end."""
        assert self._ray is not None
        ws, storage = self._where(job)
        values: dict[str, str] = {}
        for name, given in job.spec.inputs.items():
            if given.type == "literal":
                values[f"inputs.{name}"] = given.value or ""
            elif given.type == "uri_file":
                values[f"inputs.{name}"] = f"{RAY_ROOT}/inputs/{name}/{given.artifacts[0].path}"
            else:
                values[f"inputs.{name}"] = f"{RAY_ROOT}/inputs/{name}"
        for name, output in job.spec.outputs.items():
            values[f"outputs.{name}"] = f"{RAY_ROOT}/outputs/{name}" + (f"/{name}" if output.type == "uri_file" else "")
        command = bind_command(job.spec.command, values)
        run = self._tracking.start_job_run(ws.key, experiment_name=job.spec.experiment_name, job_name=job.name,
                                           user=job.stamp.created_by, run_id=job.run_id,
                                           tags={RAY_ADDRESS_TAG: address, RAY_SUBMISSION_TAG: submission_id(job.key)})
        env = dict(job.spec.environment_variables)
        env.update({"PYTHONUNBUFFERED": "1", "AZUREML_RUN_ID": job.name,
                    "MLFLOW_TRACKING_URI": f"{self._deps.endpoint}/mlflow/v1.0{ws.arm_id}",
                    "MLFLOW_RUN_ID": job.run_id, "MLFLOW_EXPERIMENT_NAME": job.spec.experiment_name,
                    "MLFLOW_EXPERIMENT_ID": run.experiment_id})
        token = self._token(job) or ""
        if token:
            env["MLFLOW_TRACKING_TOKEN"] = token
        spec = {
            "blobs": f"{self._deps.endpoint}{ws.arm_id}/artifacts/blobs", "api_version": BLOB_API_VERSION,
            "token": token, "root_marker": RAY_ROOT, "result_marker": result_marker(job.key), "command": command,
            "code": [e.as_json() for e in job.spec.code],
            "inputs": {n: [e.as_json() for e in i.artifacts] for n, i in job.spec.inputs.items() if i.type != "literal"},
            "outputs": sorted(job.spec.outputs), "env": env,
        }
        files = folder / "ray"
        files.mkdir(parents=True)
        shutil.copy(self._ray.entry_script(), files / self._ray.entry_script().name)
        descriptor = files / "job.json"
        descriptor.touch(mode=0o600)
        descriptor.write_text(json.dumps(spec))
        sid = submission_id(job.key)
        if self._ray.info(address, sid) is None:  # an earlier attempt may have submitted it already
            self._ray.submit(address, sid, files, list(job.requirements),
                             {"amlite.job": job.name, "amlite.workspace": ws.arm_id})
        shutil.rmtree(files, ignore_errors=True)  # the token's copy; Ray has the files now
        self._follow_ray(job, storage, folder, address, sid)

    def _reattach(self, job: Job) -> bool:
        """A started job on a Ray compute whose cluster knows its submission: follow it again (its
        log is read anew from Ray). False for any other job (it was interrupted)."""
        name = compute_name(job.spec.compute_id)
        if name is None or job.spec.is_pipeline or self._ray is None:
            return False
        with self._deps.uow() as uow:
            compute = uow.computes.get(job.workspace_key, name)
        if compute is None or not compute.is_ray:
            return False
        sid = submission_id(job.key)
        if self._ray.info(compute.ray_address, sid) is None:
            return False
        log.info("job %s: re-attaching to its Ray job %s at %s", job.name, sid, compute.ray_address)
        folder = self._root / job.key
        shutil.rmtree(folder, ignore_errors=True)
        try:
            self._follow_ray(job, self._where(job)[1], folder, compute.ray_address, sid)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return True

    def _interrupted(self, job: Job) -> str:
        """Why a started job that nothing follows any more ends ``JobInterrupted``. A job on the
        server's own runner ended with the server. A job submitted to a Ray compute that was
        deleted while the server was down is not: it is stopped on its cluster, found by its MLflow
        run's tags, if Ray says it is this job's (its metadata), and the message says what became of it."""
        again = "Submit the job again (job create) to rerun it."
        name = compute_name(job.spec.compute_id)
        address, sid = self._ray_submission(job) if name is not None and not job.spec.is_pipeline else ("", "")
        if not address:
            return ("The server running this job stopped before the job finished, and the job's processes were "
                    f"ended with it. {again}")
        where = f"its Ray job '{sid}' at {address}"
        try:
            if self._ray is None:
                raise RuntimeError("this server has no Ray client")
            info = self._ray.info(address, sid)
            ws, _ = self._where(job)
            if info is None:
                outcome = f"the cluster at {address} does not know '{sid}' (the server stopped before submitting it)"
            elif info.metadata.get("amlite.job") != job.name or info.metadata.get("amlite.workspace") != ws.arm_id:
                outcome = f"the Ray job '{sid}' at {address} is not this job's, and was left alone"
            elif info.is_terminal:
                outcome = f"{where} had ended {info.status}, and its outputs were not collected"
            else:
                self._ray.stop(address, sid)
                outcome = f"{where} was stopped"
        except Exception as exc:  # the cluster may be gone with its compute: say so, the job ends all the same
            log.warning("job %s: could not stop its Ray job %s at %s: %s", job.name, sid, address, exc)
            outcome = (f"{where} could not be stopped ({type(exc).__name__}: {exc}); stop it on the cluster "
                       f"(ray job stop {sid})")
        return (f"The server running this job stopped before the job finished, and the job's Ray compute '{name}' "
                f"was deleted meanwhile, so the job can no longer be followed: {outcome}. {again}")

    def _ray_submission(self, job: Job) -> tuple[str, str]:
        """Where the job was submitted to Ray (its run's tags) when its compute no longer exists;
        ('', '') for any other job."""
        name = compute_name(job.spec.compute_id)
        with self._deps.uow() as uow:
            if name is None or uow.computes.get(job.workspace_key, name) is not None:
                return "", ""
        try:
            tags = self._tracking.job_run(job.workspace_key, job.run_id).tags
        except AmliteError:  # no run: the job never reached its runner
            return "", ""
        return tags.get(RAY_ADDRESS_TAG, ""), tags.get(RAY_SUBMISSION_TAG, "")

    def _follow_ray(self, job: Job, storage: ArtifactStorage, folder: Path, address: str, sid: str) -> None:
        """Mirror the Ray job's log into the job's log file (what ``job stream`` reads) and its state
        into the job's, stop it when the job is canceled, and end the job with it."""
        assert self._ray is not None
        logfile = folder / LOG_FILE
        logfile.parent.mkdir(parents=True, exist_ok=True)
        logfile.write_bytes(b"")
        marker = result_marker(job.key)
        written = 0
        stop_asked: float | None = None
        unanswered: float | None = None
        while True:
            try:
                info = self._ray.info(address, sid)
                kept, result = split_log(self._ray.logs(address, sid), marker)
                unanswered = None
            except Exception:  # the cluster does not answer: a blip is waited out, a silence is not
                unanswered = unanswered or time.monotonic()
                if time.monotonic() - unanswered > RAY_SILENCE_SECONDS:
                    raise
                time.sleep(CHECK_SECONDS)
                continue
            if info is not None and not info.is_terminal:
                kept = kept[:kept.rfind("\n") + 1]  # whole lines only: the result line may be half-written
            if len(kept) > written:
                with open(logfile, "a", encoding="utf-8") as out:
                    out.write(kept[written:])
                written = len(kept)
            if info is None or info.is_terminal:
                break
            current = self._reload(job)
            if current.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED) or current.status.is_terminal:
                if stop_asked is None:
                    self._ray.stop(address, sid)
                    stop_asked = time.monotonic()
                elif time.monotonic() - stop_asked > RAY_STOP_SECONDS:
                    break
            elif info.status == "RUNNING" and current.status is not JobStatus.RUNNING:
                job = self._move(current, JobStatus.RUNNING)
            time.sleep(CHECK_SECONDS)
        self._end_ray(self._reload(job), storage, folder, address, sid, info, result)

    def _end_ray(self, job: Job, storage: ArtifactStorage, folder: Path, address: str, sid: str,
                 info: RayJobInfo | None, result: RayResult | None) -> None:
        logs = _upload(storage, folder / "user_logs", prefix="user_logs/")
        where = f"the Ray job '{sid}' at {address}"
        if job.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED):
            self._end(job, JobStatus.CANCELED, "", "", logs=logs)
            return
        if info is not None and info.status in ("SUCCEEDED", "FAILED") and job.status is JobStatus.PREPARING:
            job = self._move(job, JobStatus.RUNNING)  # it ran between two looks
        if info is None:
            self._end(job, None, "RayJobLost", f"The Ray cluster no longer knows {where}.", logs=logs)
        elif info.status == "SUCCEEDED" and result is not None and result.exit_code == 0:
            outputs = {n: result.outputs.get(n, ()) for n in job.spec.outputs}
            missing = [e.path for entries in outputs.values() for e in entries
                       if not storage.store.exists(storage.account, storage.container, e.sha256)]
            if missing:
                self._end(job, None, "RayOutputMissing", f"The outputs {where} names are not in the workspace's "
                          f"storage: {', '.join(missing[:5])}.", logs=logs)
                return
            job = self._move(job, JobStatus.FINALIZING)
            self._end(job, JobStatus.COMPLETED, "", "", outputs=outputs, logs=logs)
        elif info.status == "STOPPED":
            self._end(job, None, "RayJobStopped", f"{where} was stopped on the cluster, not by amlite: "
                      f"{info.message}".strip(), logs=logs)
        elif result is not None and result.error:
            self._end(job, None, "RayRunnerError", f"The job's runner on {where} failed: {result.error}", logs=logs)
        elif result is not None and result.exit_code not in (None, 0):
            self._end(job, None, "UserError", f"The command exited with code {result.exit_code}; see {LOG_FILE} "
                      "(amlite ml job stream).", logs=logs)
        else:
            self._end(job, None, "RayJobFailed", f"{where} ended {info.status}: {info.message}".strip(), logs=logs)

    # -- pipelines ---------------------------------------------------------------------------------

    def _run_pipeline(self, job: Job) -> None:
        self._supervise_pipeline(self._move(job, JobStatus.RUNNING))

    def _supervise_pipeline(self, job: Job) -> None:
        """One look at a running pipeline: submit each step as a child job once the steps it reads
        from have completed; end with the children: Completed when all did, Failed naming the
        first that did not, Canceled (with every child still running) when the pipeline is
        canceled. While steps still run, ``NotYet``: the pipeline's task looks again a moment
        later and holds no worker meanwhile (the steps need the workers: pipelines that each held
        one could take them all and wait for ever)."""
        order = step_order(job.spec.steps)
        children = self._children_of(job)
        current = self._reload(job)
        if current.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED):
            self._cancel_children(children)
            self._end(job, JobStatus.CANCELED, "", "")
            return
        if current.status.is_terminal:  # ended by a failover of its workspace's pair: no more steps here
            self._cancel_children(children)
            return
        stopped = any(c.status in (JobStatus.FAILED, JobStatus.CANCELED) for c in children.values())
        skipped: set[str] = set()  # worked out afresh each look: what makes a step skipped never passes
        for step in order:
            if step in children:
                continue
            needs = job.spec.steps[step].needs
            if any(n in skipped or (n in children and children[n].status in (JobStatus.FAILED, JobStatus.CANCELED))
                   for n in needs) or (stopped and not job.spec.continue_on_step_failure):
                skipped.add(step)
            elif all(n in children and children[n].status is JobStatus.COMPLETED for n in needs):
                upstream = {n: children[n].outputs for n in needs}
                try:
                    children[step] = self._jobs.submit_step(job, step, upstream)
                except AmliteError as exc:
                    self._cancel_children(children)
                    self._end(job, None, exc.code, f"The step '{step}' could not be submitted: {exc.message}")
                    return
        if all(c.status.is_terminal for c in children.values()) and len(children) + len(skipped) == len(order):
            self._end_pipeline(job, children)
            return
        raise NotYet(f"The pipeline '{job.name}' waits for its steps.", timedelta(seconds=CHECK_SECONDS))

    def _end_pipeline(self, job: Job, children: dict[str, Job]) -> None:
        outputs: dict[str, tuple[ManifestEntry, ...]] = {}
        for step, child in children.items():
            for port, name in job.spec.steps[step].outputs.items():
                if name and port in child.outputs:
                    outputs[name] = child.outputs[port]
        bad = next(((s, c) for s, c in children.items() if c.status is not JobStatus.COMPLETED), None)
        if bad is None and len(children) == len(job.spec.steps):
            self._end(job, JobStatus.COMPLETED, "", "", outputs=outputs)
            return
        if bad is None:
            self._end(job, None, "PipelineStepSkipped", "Some steps did not run.", outputs=outputs)
            return
        step, child = bad
        self._end(job, None, "PipelineStepFailed",
                  f"The step '{step}' (job '{child.name}') ended {child.status.value}: {child.error_message or ''}".strip(),
                  outputs=outputs)

    def _children_of(self, job: Job) -> dict[str, Job]:
        with self._deps.uow() as uow:
            return steps_of(uow, job)

    def _cancel_children(self, children: dict[str, Job]) -> None:
        now = self._deps.clock.now()
        with self._deps.uow(write=True) as uow:
            for child in children.values():
                current = uow.jobs.by_key(child.key)
                if current is None or current.status.is_terminal or current.status is JobStatus.CANCEL_REQUESTED:
                    continue
                to = JobStatus.CANCEL_REQUESTED if current.status.has_started else JobStatus.CANCELED
                uow.jobs.save(current.moved(to, now))
            uow.commit()

    # -- preparing ---------------------------------------------------------------------------------

    def _prepare(self, job: Job, folder: Path, storage: ArtifactStorage) -> tuple[dict[str, str], Path]:
        """The code snapshot and the inputs' files in the working folder; the bindings' values."""
        cwd = folder / "wd"
        cwd.mkdir(parents=True)
        _download(storage, job.spec.code, cwd)
        values: dict[str, str] = {}
        for name, given in job.spec.inputs.items():
            if given.type == "literal":
                values[f"inputs.{name}"] = given.value or ""
                continue
            target = folder / "inputs" / name
            _download(storage, given.artifacts, target)
            if given.type == "uri_file":
                values[f"inputs.{name}"] = str(target / given.artifacts[0].path)
            else:
                values[f"inputs.{name}"] = str(target)
        for name, output in job.spec.outputs.items():
            target = folder / "outputs" / name
            target.mkdir(parents=True)
            values[f"outputs.{name}"] = str(target / name) if output.type == "uri_file" else str(target)
        return values, cwd

    def _environment(self, job: Job, ws: Workspace, python: Path) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', os.defpath)}"
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(job.spec.environment_variables)
        token = self._token(job)
        env.update({
            "AZUREML_RUN_ID": job.name, "AZUREML_CR_WORKING_DIR": str(self._root / job.key / "wd"),
            "MLFLOW_TRACKING_URI": f"{self._deps.endpoint}/mlflow/v1.0{ws.arm_id}",
            "MLFLOW_RUN_ID": job.run_id, "MLFLOW_EXPERIMENT_NAME": job.spec.experiment_name,
        })
        if token:
            env["MLFLOW_TRACKING_TOKEN"] = token
        return env

    def _token(self, job: Job) -> str | None:
        """The job's token: its submitter's rights, for the job's own calls (MLflow, the Ray
        runner's blobs), honoured as long as the job has not ended (``JOB_TOKEN_LIFETIME`` at most),
        so a job that waits or runs for hours keeps it."""
        with self._deps.uow() as uow:
            principal = uow.principals.get(job.submitted_by)
        if principal is None:
            return None
        token, _ = self._tokens.issue(tenant_id=principal.tenant_id, object_id=principal.id,
                                      name=principal.sign_in_name, principal_type=principal.kind.value,
                                      now=self._deps.clock.now(), job_key=job.key)
        return token

    # -- finishing ---------------------------------------------------------------------------------

    def _finish(self, job: Job, storage: ArtifactStorage, folder: Path, code: int | None,
                error_code: str | None = None, error_message: str | None = None) -> None:
        """Store the outputs (of a command that succeeded) and the log, then end the job."""
        canceled = job.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED)
        outputs: dict[str, tuple[ManifestEntry, ...]] = {}
        if code == 0 and not canceled:
            job = self._move(job, JobStatus.FINALIZING)
            for name in job.spec.outputs:
                outputs[name] = _upload(storage, folder / "outputs" / name)
        logs = _upload(storage, folder / "user_logs", prefix="user_logs/")
        if canceled:
            final: JobStatus | None = JobStatus.CANCELED
        elif error_code is None and code == 0:
            final = JobStatus.COMPLETED
        else:
            final = None
            if error_code is None:
                error_code, error_message = "UserError", (
                    f"The command exited with code {code}; see {LOG_FILE} (amlite ml job stream).")
        self._end(job, final, error_code or "", error_message or "", outputs=outputs, logs=logs)

    def _end(self, job: Job, final: JobStatus | None, code: str, message: str,
             outputs: dict[str, tuple[ManifestEntry, ...]] | None = None, logs: tuple[ManifestEntry, ...] = ()) -> None:
        """End the job: ``final`` (Completed or Canceled), or Failed with ``code`` and ``message``."""
        d = self._deps
        with d.uow(write=True) as uow:
            current = uow.jobs.by_key(job.key)
            if current is None or current.status.is_terminal:
                return
            now = d.clock.now()
            if final is JobStatus.CANCELED and current.status is not JobStatus.CANCEL_REQUESTED:
                current = current.moved(JobStatus.CANCEL_REQUESTED, now)
            if final is JobStatus.COMPLETED and current.status is JobStatus.RUNNING:  # a pipeline: nothing to store
                current = current.moved(JobStatus.FINALIZING, now)
            ended = current.moved(final, now) if final is not None else current.failed(now, code, message)
            uow.jobs.save(replace(ended, outputs=outputs or {}, logs=logs))
            in_one = hasattr(uow, "tracking")  # the SQL store's unit of work: the run ends in the same commit
            if in_one:
                self._tracking.end_job_run_in(cast(TrackingUnitOfWork, uow), job.workspace_key, job.run_id,
                                              _RUN_STATUS[ended.status])
            uow.commit()
        if not in_one:
            self._tracking.end_job_run(job.workspace_key, job.run_id, _RUN_STATUS[ended.status])

    def _task_failed(self, uow: UnitOfWork, task: Task) -> None:
        """The task gave up (its attempts used up): the job ends ``Failed`` with it, in the same
        transaction, and so does its MLflow run; a job it had submitted to Ray is stopped there."""
        job = uow.jobs.by_key(task.subject_key or "")
        if job is not None and not job.status.is_terminal:
            uow.jobs.save(job.failed(self._deps.clock.now(), "JobRunnerError",
                                     f"The job could not be run: {task.last_error or 'the runner failed'}."))
            if hasattr(uow, "tracking"):  # the SQL store's unit of work holds MLflow tracking too
                self._tracking.end_job_run_in(cast(TrackingUnitOfWork, uow), job.workspace_key, job.run_id,
                                              RunStatus.FAILED)
            self._stop_on_ray(uow, job)

    def _stop_on_ray(self, uow: UnitOfWork, job: Job) -> None:
        """Stop the job's Ray job, if it has one; a cluster that does not answer is logged, not raised."""
        name = compute_name(job.spec.compute_id)
        compute = uow.computes.get(job.workspace_key, name) if name and self._ray is not None else None
        if compute is None or not compute.is_ray or self._ray is None:
            return
        try:
            if self._ray.info(compute.ray_address, submission_id(job.key)) is not None:
                self._ray.stop(compute.ray_address, submission_id(job.key))
        except Exception:  # the job has failed already; its Ray job may be unreachable with its cluster
            log.exception("job %s: could not stop its Ray job at %s", job.name, compute.ray_address)

    # -- store helpers -----------------------------------------------------------------------------

    def _load(self, task: Task) -> Job:
        with self._deps.uow() as uow:
            job = uow.jobs.by_key(task.subject_key or "")
        if job is None:
            raise TaskFailed(f"The job '{task.subject_key}' no longer exists.")
        return job

    def _reload(self, job: Job) -> Job:
        with self._deps.uow() as uow:
            return uow.jobs.by_key(job.key) or job

    def _move(self, job: Job, to: JobStatus) -> Job:
        """The job in status ``to``, unless it was canceled meanwhile (then as the store has it)."""
        with self._deps.uow(write=True) as uow:
            current = uow.jobs.by_key(job.key)
            if current is None:
                raise TaskFailed(f"The job '{job.name}' no longer exists.")
            if current.status in (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED) or current.status.is_terminal:
                return current
            moved = current.moved(to, self._deps.clock.now())
            uow.jobs.save(moved)
            uow.commit()
        return moved

    def _where(self, job: Job) -> tuple[Workspace, ArtifactStorage]:
        with self._deps.uow() as uow:
            ws = uow.workspaces.by_key(job.workspace_key)
            if ws is None:
                raise TaskFailed(f"The workspace of job '{job.name}' no longer exists.")
            return ws, self._artifacts.storage_in(uow, workspace_owner(ws))


def _download(storage: ArtifactStorage, manifest: tuple[ManifestEntry, ...], dest: Path) -> None:
    """Files of the workspace's storage into ``dest`` (paths were judged safe on receipt)."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in manifest:
        target = dest / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            for chunk in storage.store.open_chunks(storage.account, storage.container, entry.sha256):
                handle.write(chunk)


def _upload(storage: ArtifactStorage, folder: Path, prefix: str = "") -> tuple[ManifestEntry, ...]:
    """Every file under ``folder`` into the workspace's storage; their manifest, sorted by path."""
    entries: list[ManifestEntry] = []
    if not folder.is_dir():
        return ()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        stored = storage.store.put_file(storage.account, storage.container, path)
        entries.append(ManifestEntry(prefix + path.relative_to(folder).as_posix(), stored.sha256, stored.size))
    return tuple(entries)

