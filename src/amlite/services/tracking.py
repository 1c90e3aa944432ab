"""MLflow tracking of a workspace: the use cases behind its ``mlFlowTrackingUri`` (experiments,
runs, logging, searches), with MLflow's rules, so the plain ``mlflow`` client works unmodified.

Every use case names the workspace by its ARM path and is authorized by the route before it
runs (``experiments/read|write|delete``, ``experiments/runs/read|write``); runs and experiments
of another workspace are not there (``RESOURCE_DOES_NOT_EXIST``), whatever id is sent. Writes
are audited like every other write.

``JobTracking`` (at the end) is the small API for the job runner: a run for a job in the
experiment its ``experiment_name`` names, ended with the job's status, and its latest metrics
for ``job show``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from amlite.domain.errors import Conflict
from amlite.domain.resources import Workspace
from amlite.domain.tracking import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS_TAGS,
    MAX_BATCH_TOTAL,
    MAX_EXPERIMENT_TAG_VAL_LENGTH,
    MAX_PARAM_VAL_LENGTH,
    MAX_RESULTS_METRIC_HISTORY,
    MAX_RESULTS_SEARCH_EXPERIMENTS,
    MAX_RESULTS_SEARCH_RUNS,
    MAX_TAG_VAL_LENGTH,
    RUN_NAME_TAG,
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
    ViewType,
    check_experiment_name,
    check_key,
    check_value,
    experiment_artifact_location,
    experiment_exists,
    experiment_not_found,
    invalid,
    run_artifact_root,
    run_not_found,
)
from amlite.domain.tracking_search import (
    EXPERIMENT_ATTRIBUTES,
    RUN_ORDER_ATTRIBUTES,
    parse_experiment_filter,
    parse_orders,
    parse_run_filter,
)
from amlite.ports import TrackingUnitOfWork, TrackingUnitOfWorkFactory
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.workspace_scope import require_workspace, writable

T = TypeVar("T")
_ADJECTIVES = ("bold", "calm", "eager", "gentle", "keen", "lively", "merry", "quiet", "brave", "clever", "swift",
               "tidy", "witty", "sunny", "rare", "proud")
_NOUNS = ("otter", "falcon", "maple", "river", "comet", "badger", "cedar", "heron", "lynx", "orca", "panda", "raven",
          "sparrow", "tiger", "willow", "zebra")


@dataclass(frozen=True)
class WorkspaceRef:
    """The workspace an MLflow request names by its path."""

    subscription_id: str
    resource_group: str
    workspace: str


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_page_token: str | None


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    """The offset of an MLflow ``page_token`` this server wrote; anything else is refused."""
    if not token:
        return 0
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode() + b"=="))
        offset = body["offset"]
    except (ValueError, KeyError, TypeError):
        raise invalid(f"Invalid page token '{token[:40]}'.") from None
    if not isinstance(offset, int) or offset < 0 or offset > 10**12:
        raise invalid(f"Invalid page token '{token[:40]}'.")
    return offset


def max_results(raw: int | None, default: int, limit: int) -> int:
    value = default if raw is None else raw
    if value <= 0 or value > limit:
        raise invalid(f"Invalid value {value} for parameter 'max_results' supplied. It must be between 1 and {limit}.")
    return value


class TrackingService:
    def __init__(self, deps: Deps, uow: TrackingUnitOfWorkFactory) -> None:
        self._deps = deps
        self._uow = uow

    # -- plumbing ------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self._deps.clock.now().timestamp() * 1000)

    def _read(self, caller: Caller, ref: WorkspaceRef, work: Callable[[TrackingUnitOfWork, Workspace], T]) -> T:
        with self._uow() as uow:
            ws = require_workspace(uow, caller, ref.subscription_id, ref.resource_group, ref.workspace)
            return work(uow, ws)

    def _write(self, caller: Caller, ref: WorkspaceRef, work: Callable[[TrackingUnitOfWork, Workspace], T]) -> T:
        with self._uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, ref.subscription_id, ref.resource_group, ref.workspace))
            result = work(uow, ws)
            record_write(self._deps, uow, caller)
            uow.commit()
            return result

    def _experiment(self, uow: TrackingUnitOfWork, ws: Workspace, experiment_id: str) -> Experiment:
        exp = uow.tracking.experiment(ws.key, experiment_id)
        if exp is None and experiment_id == DEFAULT_EXPERIMENT_ID:
            exp = self._default_experiment(uow, ws)
        if exp is None:
            raise experiment_not_found(f"id={experiment_id}")
        return exp

    def _default_experiment(self, uow: TrackingUnitOfWork, ws: Workspace) -> Experiment:
        """The workspace's ``Default`` experiment (id ``0``), made the first time it is used, as
        an MLflow server has one from the start. Reads see it before it exists (not stored)."""
        now = self.now_ms()
        return Experiment(self._deps.ids.new_id(), ws.key, DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME,
                          experiment_artifact_location(DEFAULT_EXPERIMENT_ID), LifecycleStage.ACTIVE, now, now)

    def _stored_experiment(self, uow: TrackingUnitOfWork, ws: Workspace, experiment_id: str) -> Experiment:
        """The experiment, stored first if it is the default one not yet made (a write needs its row)."""
        exp = self._experiment(uow, ws, experiment_id)
        if uow.tracking.experiment(ws.key, exp.experiment_id) is None:
            if uow.tracking.experiment_by_name(ws.key, DEFAULT_EXPERIMENT_NAME) is not None:
                raise experiment_not_found(f"id={experiment_id}")  # a user experiment took the name
            uow.tracking.add_experiment(exp)
        return exp

    def require_run(self, uow: TrackingUnitOfWork, ws: Workspace, run_id: str) -> Run:
        if not run_id:
            raise invalid("Missing value for required parameter 'run_id'.")
        run = uow.tracking.run(ws.key, run_id)
        if run is None:
            raise run_not_found(run_id)
        return run

    def _active_run(self, uow: TrackingUnitOfWork, ws: Workspace, run_id: str) -> Run:
        run = self.require_run(uow, ws, run_id)
        if run.lifecycle_stage is not LifecycleStage.ACTIVE:
            raise invalid(f"The run {run_id} must be in the 'active' state. Current state is {run.lifecycle_stage.value}.")
        return run

    def require_workspace(self, caller: Caller, ref: WorkspaceRef) -> None:
        """The workspace is there (its tracking server answers only then)."""
        self._read(caller, ref, lambda uow, ws: None)

    # -- experiments ---------------------------------------------------------------------------

    def create_experiment(self, caller: Caller, ref: WorkspaceRef, raw_name: object, artifact_location: str | None,
                          tags: dict[str, str]) -> str:
        name = check_experiment_name(raw_name)
        if artifact_location:
            raise invalid("An artifact_location cannot be chosen: the workspace keeps every run's artifacts in its "
                          "own storage (leave artifact_location empty).")
        for k, v in tags.items():
            check_value("experiment tag", check_key("tag", k), v, MAX_EXPERIMENT_TAG_VAL_LENGTH)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> str:
            existing = uow.tracking.experiment_by_name(ws.key, name)
            if existing is not None or name == DEFAULT_EXPERIMENT_NAME and uow.tracking.experiment(
                    ws.key, DEFAULT_EXPERIMENT_ID) is None:
                if existing is None:  # the default experiment's name, before it was made: make it
                    existing = self._stored_experiment(uow, ws, DEFAULT_EXPERIMENT_ID)
                raise experiment_exists(name, existing.lifecycle_stage)
            now = self.now_ms()
            exp_id = self._deps.ids.new_id()
            uow.tracking.add_experiment(Experiment(self._deps.ids.new_id(), ws.key, exp_id, name,
                                                   experiment_artifact_location(exp_id), LifecycleStage.ACTIVE,
                                                   now, now, dict(tags)))
            return exp_id
        try:
            return self._write(caller, ref, work)
        except Conflict as exc:
            if exc.code == "Conflict":  # two creates raced for the name: the loser sees MLflow's answer
                raise experiment_exists(name, LifecycleStage.ACTIVE) from exc
            raise

    def get_experiment(self, caller: Caller, ref: WorkspaceRef, experiment_id: str) -> Experiment:
        if not experiment_id:
            raise invalid("Missing value for required parameter 'experiment_id'.")
        return self._read(caller, ref, lambda uow, ws: self._experiment(uow, ws, experiment_id))

    def get_experiment_by_name(self, caller: Caller, ref: WorkspaceRef, name: str) -> Experiment:
        if not name:
            raise invalid("Missing value for required parameter 'experiment_name'.")

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Experiment:
            exp = uow.tracking.experiment_by_name(ws.key, name)
            if exp is None and name == DEFAULT_EXPERIMENT_NAME and uow.tracking.experiment(
                    ws.key, DEFAULT_EXPERIMENT_ID) is None:
                exp = self._default_experiment(uow, ws)
            if exp is None:
                raise experiment_not_found(f"name={name}")
            return exp
        return self._read(caller, ref, work)

    def search_experiments(self, caller: Caller, ref: WorkspaceRef, view_type: str | None, filter_string: str | None,
                           order_by: list[str] | None, limit: int | None, page_token: str | None) -> Page:
        view = _view(view_type)
        filters = parse_experiment_filter(filter_string)
        orders = parse_orders(order_by, EXPERIMENT_ATTRIBUTES, ("attribute",))
        count = max_results(limit, 1000, MAX_RESULTS_SEARCH_EXPERIMENTS)
        offset = decode_token(page_token)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Page:
            found = uow.tracking.search_experiments(ws.key, view.stages(), filters, orders, offset, count + 1)
            if offset == 0 and uow.tracking.experiment(ws.key, DEFAULT_EXPERIMENT_ID) is None \
                    and LifecycleStage.ACTIVE in view.stages() and not filters \
                    and uow.tracking.experiment_by_name(ws.key, DEFAULT_EXPERIMENT_NAME) is None:
                found.append(self._default_experiment(uow, ws))  # not made yet, but there for clients
            more = len(found) > count
            return Page(found[:count], encode_token(offset + count) if more else None)
        return self._read(caller, ref, work)

    def update_experiment(self, caller: Caller, ref: WorkspaceRef, experiment_id: str, new_name: object) -> None:
        name = check_experiment_name(new_name)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            exp = self._stored_experiment(uow, ws, experiment_id)
            if exp.lifecycle_stage is not LifecycleStage.ACTIVE:
                raise invalid("Cannot rename a non-active experiment.")
            other = uow.tracking.experiment_by_name(ws.key, name)
            if other is not None and other.key != exp.key:
                raise experiment_exists(name, other.lifecycle_stage)
            uow.tracking.save_experiment(replace(exp, name=name, last_update_time=self.now_ms()))
        self._write(caller, ref, work)

    def set_experiment_stage(self, caller: Caller, ref: WorkspaceRef, experiment_id: str, stage: LifecycleStage) -> None:
        """Delete (``deleted``) or restore (``active``) an experiment and its runs, as MLflow does;
        the default experiment cannot be deleted."""
        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            exp = self._stored_experiment(uow, ws, experiment_id)
            if stage is LifecycleStage.DELETED and exp.experiment_id == DEFAULT_EXPERIMENT_ID:
                raise invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
            if stage is LifecycleStage.ACTIVE and exp.lifecycle_stage is LifecycleStage.ACTIVE:
                raise invalid(f"Cannot restore an active experiment {experiment_id}.")
            uow.tracking.save_experiment(replace(exp, lifecycle_stage=stage, last_update_time=self.now_ms()))
            uow.tracking.set_runs_stage(exp.key, stage)
        self._write(caller, ref, work)

    def set_experiment_tag(self, caller: Caller, ref: WorkspaceRef, experiment_id: str, key: str, value: str | None) -> None:
        """Set (``value``) or delete (``None``) an experiment tag."""
        check_key("tag", key)
        if value is not None:
            check_value("experiment tag", key, value, MAX_EXPERIMENT_TAG_VAL_LENGTH)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            exp = self._stored_experiment(uow, ws, experiment_id)
            if exp.lifecycle_stage is not LifecycleStage.ACTIVE:
                raise invalid(f"The experiment {experiment_id} must be in the 'active' state.")
            if value is None:
                if not uow.tracking.delete_experiment_tag(exp.key, key):
                    raise experiment_not_found(f"id={experiment_id} and tag {key}")
            else:
                uow.tracking.set_experiment_tag(exp.key, key, value)
            uow.tracking.save_experiment(replace(exp, last_update_time=self.now_ms()))
        self._write(caller, ref, work)

    # -- runs ----------------------------------------------------------------------------------

    def create_run(self, caller: Caller, ref: WorkspaceRef, experiment_id: str | None, user_id: str | None,
                   start_time: int | None, tags: dict[str, str], run_name: str | None) -> Run:
        for k, v in tags.items():
            check_value("tag", check_key("tag", k), v, MAX_TAG_VAL_LENGTH)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Run:
            return self.new_run(uow, ws, self._stored_experiment(uow, ws, experiment_id or DEFAULT_EXPERIMENT_ID),
                                    user_id or caller.name, start_time, tags, run_name)
        return self._write(caller, ref, work)

    def new_run(self, uow: TrackingUnitOfWork, ws: Workspace, exp: Experiment, user_id: str,
                    start_time: int | None, tags: dict[str, str], run_name: str | None, run_id: str | None = None) -> Run:
        if exp.lifecycle_stage is not LifecycleStage.ACTIVE:
            raise invalid(f"The experiment {exp.experiment_id} must be in the 'active' state. "
                          f"Current state is {exp.lifecycle_stage.value}.")
        run_id = run_id or self._deps.ids.new_id().replace("-", "")
        if run_name and tags.get(RUN_NAME_TAG, run_name) != run_name:
            raise invalid(f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
                          f"values (run_name='{run_name}', mlflow.runName='{tags[RUN_NAME_TAG]}').")
        name = run_name or tags.get(RUN_NAME_TAG) or self._random_name(run_id)
        run = Run(self._deps.ids.new_id(), ws.key, exp.key, exp.experiment_id, run_id, name, user_id, RunStatus.RUNNING,
                  start_time if start_time is not None else self.now_ms(), None, LifecycleStage.ACTIVE,
                  run_artifact_root(exp.experiment_id, run_id))
        uow.tracking.add_run(run)
        all_tags = {**tags, RUN_NAME_TAG: name}
        uow.tracking.set_tags(run.key, all_tags)
        return replace(run, tags=all_tags)

    @staticmethod
    def _random_name(run_id: str) -> str:
        """A memorable run name, as MLflow gives unnamed runs (``bold-otter-417``)."""
        n = int(run_id[:8], 16)
        return f"{_ADJECTIVES[n % 16]}-{_NOUNS[(n >> 4) % 16]}-{(n >> 8) % 1000}"

    def get_run(self, caller: Caller, ref: WorkspaceRef, run_id: str) -> Run:
        return self._read(caller, ref, lambda uow, ws: self.require_run(uow, ws, run_id))

    def update_run(self, caller: Caller, ref: WorkspaceRef, run_id: str, status: str | None, end_time: int | None,
                   run_name: str | None) -> Run:
        new_status = _status(status) if status else None

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Run:
            run = self._active_run(uow, ws, run_id)
            updated = replace(run, status=new_status or run.status,
                              end_time=end_time if end_time is not None else run.end_time,
                              run_name=run_name or run.run_name)
            uow.tracking.save_run(updated)
            if run_name:
                uow.tracking.set_tags(run.key, {RUN_NAME_TAG: run_name})
            return updated
        return self._write(caller, ref, work)

    def set_run_stage(self, caller: Caller, ref: WorkspaceRef, run_id: str, stage: LifecycleStage) -> None:
        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            run = self.require_run(uow, ws, run_id)
            uow.tracking.save_run(replace(run, lifecycle_stage=stage))
        self._write(caller, ref, work)

    def log_batch(self, caller: Caller, ref: WorkspaceRef, run_id: str, metrics: list[Metric],
                  params: dict[str, str], tags: dict[str, str]) -> None:
        """Params, metrics and tags at once (``log-batch``, and each ``log-*`` alone): all are
        checked before anything is written, and a param logged again must keep its value."""
        if len(metrics) > MAX_BATCH_METRICS or len(params) > MAX_BATCH_PARAMS_TAGS or len(tags) > MAX_BATCH_PARAMS_TAGS \
                or len(metrics) + len(params) + len(tags) > MAX_BATCH_TOTAL:
            raise invalid(f"A batch logging request can contain at most {MAX_BATCH_METRICS} metrics, "
                          f"{MAX_BATCH_PARAMS_TAGS} params and {MAX_BATCH_PARAMS_TAGS} tags, "
                          f"{MAX_BATCH_TOTAL} in all.")
        for m in metrics:
            check_key("metric", m.key)
        for k, v in params.items():
            check_value("param", check_key("param", k), v, MAX_PARAM_VAL_LENGTH)
        for k, v in tags.items():
            check_value("tag", check_key("tag", k), v, MAX_TAG_VAL_LENGTH)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            run = self._active_run(uow, ws, run_id)
            logged = uow.tracking.params(run.key, list(params))
            changed = {k: v for k, v in params.items() if k in logged and logged[k] != v}
            if changed:
                k, v = next(iter(changed.items()))
                raise invalid(f"Changing param values is not allowed. Param with key='{k}' was already logged with "
                              f"value='{logged[k]}' for run ID='{run_id}'. Attempted logging new value '{v}'.")
            uow.tracking.add_params(run.key, {k: v for k, v in params.items() if k not in logged})
            uow.tracking.add_metrics(run.key, metrics)
            uow.tracking.set_tags(run.key, tags)
            if tags.get(RUN_NAME_TAG):
                uow.tracking.save_run(replace(run, run_name=tags[RUN_NAME_TAG]))
        self._write(caller, ref, work)

    def delete_tag(self, caller: Caller, ref: WorkspaceRef, run_id: str, key: str) -> None:
        def work(uow: TrackingUnitOfWork, ws: Workspace) -> None:
            run = self._active_run(uow, ws, run_id)
            if not uow.tracking.delete_tag(run.key, key):
                raise invalid(f"No tag with name: {key} in run with id {run_id}")
        self._write(caller, ref, work)

    def search_runs(self, caller: Caller, ref: WorkspaceRef, experiment_ids: list[str], filter_string: str | None,
                    view_type: str | None, limit: int | None, order_by: list[str] | None, page_token: str | None) -> Page:
        view = _view(view_type)
        filters = parse_run_filter(filter_string)
        orders = parse_orders(order_by, RUN_ORDER_ATTRIBUTES)
        count = max_results(limit, 1000, MAX_RESULTS_SEARCH_RUNS)
        offset = decode_token(page_token)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Page:
            keys = [e.key for e in (uow.tracking.experiment(ws.key, i) for i in experiment_ids) if e is not None]
            runs = uow.tracking.search_runs(ws.key, keys, view.stages(), filters, orders, offset, count + 1) if keys else []
            more = len(runs) > count
            return Page(runs[:count], encode_token(offset + count) if more else None)
        return self._read(caller, ref, work)

    def metric_history(self, caller: Caller, ref: WorkspaceRef, run_id: str, key: str, limit: int | None,
                       page_token: str | None) -> Page:
        if not key:
            raise invalid("Missing value for required parameter 'metric_key'.")
        count = max_results(limit, MAX_RESULTS_METRIC_HISTORY, MAX_RESULTS_METRIC_HISTORY)
        offset = decode_token(page_token)

        def work(uow: TrackingUnitOfWork, ws: Workspace) -> Page:
            run = self.require_run(uow, ws, run_id)
            found = uow.tracking.metric_history(run.key, key, offset, count + 1)
            more = len(found) > count
            return Page(found[:count], encode_token(offset + count) if more else None)
        return self._read(caller, ref, work)


def _view(raw: str | None) -> ViewType:
    try:
        return ViewType(raw or "ACTIVE_ONLY")
    except ValueError:
        raise invalid(f"Invalid view_type '{raw}': one of ACTIVE_ONLY, DELETED_ONLY, ALL.") from None


def _status(raw: str) -> RunStatus:
    try:
        return RunStatus(raw)
    except ValueError:
        raise invalid(f"Invalid run status '{raw}': one of {', '.join(s.value for s in RunStatus)}.") from None


class JobTracking:
    """What the job runner needs of MLflow tracking, for jobs it already authorized: the run a job
    logs to (its id goes to the job's process as ``MLFLOW_RUN_ID``, with ``MLFLOW_TRACKING_URI``
    set to the workspace's ``mlFlowTrackingUri``), the run's end, and its metrics for ``job show``.
    Workspaces are named by key; calls are the system's own and are not audited as a user's."""

    def __init__(self, deps: Deps, uow: TrackingUnitOfWorkFactory, tracking: TrackingService) -> None:
        self._deps = deps
        self._uow = uow
        self._tracking = tracking

    def start_job_run(self, workspace_key: str, experiment_name: str, job_name: str, user: str,
                      tags: dict[str, str] | None = None, run_id: str | None = None) -> Run:
        """A new run named after the job in the experiment ``experiment_name`` (made if missing;
        Azure ML's default is the job's folder name), tagged ``azureml.job`` with the job's name.
        ``run_id`` is the id the job was given at submission (its ``mlflowRunId``), so the run
        the job's process logs to is the one ``job show`` names."""
        check_experiment_name(experiment_name)
        try:
            return self._start_job_run(workspace_key, experiment_name, job_name, user, tags, run_id)
        except Conflict as exc:
            if exc.code != "Conflict":
                raise
            # Jobs that start together in a new experiment race to make it; the loser's second try
            # finds the winner's (on PostgreSQL: SQLite's writers take turns and never race).
            return self._start_job_run(workspace_key, experiment_name, job_name, user, tags, run_id)

    def _start_job_run(self, workspace_key: str, experiment_name: str, job_name: str, user: str,
                       tags: dict[str, str] | None, run_id: str | None) -> Run:
        with self._uow(write=True) as uow:
            ws = self._workspace(uow, workspace_key)
            exp = uow.tracking.experiment_by_name(ws.key, experiment_name)
            if exp is None:
                now = self._tracking.now_ms()
                exp_id = self._deps.ids.new_id()
                exp = Experiment(self._deps.ids.new_id(), ws.key, exp_id, experiment_name,
                                 experiment_artifact_location(exp_id), LifecycleStage.ACTIVE, now, now)
                uow.tracking.add_experiment(exp)
            elif exp.lifecycle_stage is not LifecycleStage.ACTIVE:
                uow.tracking.save_experiment(replace(exp, lifecycle_stage=LifecycleStage.ACTIVE))
                exp = replace(exp, lifecycle_stage=LifecycleStage.ACTIVE)
            run = self._tracking.new_run(uow, ws, exp, user, None, {"azureml.job": job_name, **(tags or {})},
                                         job_name, run_id)
            uow.commit()
            return run

    def end_job_run(self, workspace_key: str, run_id: str, status: RunStatus) -> bool:
        """Mark the job's run ended with the job's terminal status (``FINISHED``, ``FAILED``, ``KILLED``);
        False when there is no such run (a job that ended before it ran, or whose workspace is gone)."""
        with self._uow(write=True) as uow:
            ws = uow.workspaces.by_key(workspace_key)
            run = uow.tracking.run(ws.key, run_id) if ws is not None else None
            if run is None:
                return False
            uow.tracking.save_run(replace(run, status=status, end_time=self._tracking.now_ms()))
            uow.commit()
        return True

    def end_job_run_in(self, uow: TrackingUnitOfWork, workspace_key: str, run_id: str, status: RunStatus) -> bool:
        """``end_job_run`` inside the caller's transaction (the task engine's, when a job's task
        gives up and the job fails with it), so the run and the job end together."""
        ws = uow.workspaces.by_key(workspace_key)
        run = uow.tracking.run(ws.key, run_id) if ws is not None else None
        if run is None or run.end_time is not None:
            return False
        uow.tracking.save_run(replace(run, status=status, end_time=self._tracking.now_ms()))
        return True

    def job_run(self, workspace_key: str, run_id: str) -> Run:
        """The run with its params, tags and latest metrics (``Run.metrics``) for ``job show``."""
        with self._uow() as uow:
            return self._tracking.require_run(uow, self._workspace(uow, workspace_key), run_id)

    def job_metrics(self, workspace_key: str, run_id: str) -> dict[str, float]:
        """The latest value of each metric the job logged (none for a job that never ran)."""
        with self._uow() as uow:
            ws = uow.workspaces.by_key(workspace_key)
            run = uow.tracking.run(ws.key, run_id) if ws is not None else None
        return {m.key: m.value for m in run.metrics} if run is not None else {}

    @staticmethod
    def _workspace(uow: TrackingUnitOfWork, workspace_key: str) -> Workspace:
        ws = uow.workspaces.by_key(workspace_key)
        if ws is None:
            raise experiment_not_found(f"workspace key={workspace_key}")
        return ws
