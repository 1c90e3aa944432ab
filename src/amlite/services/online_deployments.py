"""Online deployment use cases: create or update (long-running), read, list, patch, delete
(long-running), the deployment's log, and running deployments as local processes.

A PUT resolves what the deployment serves in the caller's unit of work — the model (a version
of the workspace, of another workspace the caller may read, or of a registry), the environment
(the same, or a curated one of the ``azureml`` registry) and the code (a manifest of blobs
already in the workspace's storage) — records the deployment ``Creating`` (or ``Updating``) with
a new *generation*, and queues its operation on the one task engine. The operation's handler,
on whichever server process claims it, lays out ``AZUREML_MODEL_DIR`` and the code from object
storage, starts the scoring host and waits for ``init()``: the deployment ends ``Succeeded``
with the port it listens on, or ``Failed`` with the log's tail, and the operation with it.

At every server start, ``queue_restarts`` queues a start task for each ``Succeeded``
deployment (their processes died with the previous server); the reconciler stops processes
whose deployment is gone or superseded, and restarts one that died.

The environment is resolved and recorded; its image and packages are not built: the scoring
script runs with the server's Python, and the deployment says so in its warnings.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any, Protocol
from collections.abc import Iterable

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.assets import AssetKind
from amlite.domain.errors import AmliteError, Conflict, NotFound, invalid
from amlite.domain.online_endpoints import (
    DeploymentState,
    OnlineDeployment,
    OnlineEndpoint,
    check_deployment_name,
)
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.references import parse_asset_reference
from amlite.domain.resources import Workspace
from amlite.domain.tasks import Task, TaskFailed
from amlite.domain.blobs import check_sha256
from amlite.schemas.arm_endpoints import OnlineDeploymentBody, OnlineDeploymentPatchBody, OnlineDeploymentProperties
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_owners import registry_by_key, workspace_owner
from amlite.services.asset_references import ReferenceResolver
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.online_endpoints import EndpointView, OnlineEndpointService, require_endpoint
from amlite.services.operations import OperationService
from amlite.services.tasks import TaskEngine, TaskKind
from amlite.services.workspace_scope import require_workspace, writable

log = logging.getLogger(__name__)

P = "properties"
START_TASK = "online-deployment-start"
ENV_WARNING = ("The environment '{env}' is recorded but not built: the scoring script runs with the server's own "
               "Python and packages.")


class ScoringRuntime(Protocol):
    """Where deployments run (``scoring/runtime.py`` on this machine)."""

    host_id: str

    def prepare(self, key: str, generation: str) -> None: ...
    def write_file(self, key: str, generation: str, area: str, rel_path: str, chunks: Iterable[bytes]) -> None: ...
    def start(self, key: str, generation: str, script: str, env: dict[str, str], secret: str) -> int: ...
    def stop(self, key: str) -> None: ...
    def remove(self, key: str) -> None: ...
    def running(self) -> dict[str, tuple[str, bool]]: ...
    def read_log(self, key: str, tail: int | None = None) -> str | None: ...


class DeploymentFailed(AmliteError):
    """The deployment's process did not come up; the operation and the deployment end Failed."""


@dataclass(frozen=True)
class DeploymentView:
    endpoint: EndpointView
    deployment: OnlineDeployment

    @property
    def arm_id(self) -> str:
        return f"{self.endpoint.arm_id}/deployments/{self.deployment.name}"


class OnlineDeploymentService:
    def __init__(self, deps: Deps, operations: OperationService, engine: TaskEngine, artifacts: ArtifactService,
                 references: ReferenceResolver, runtime: ScoringRuntime, endpoints: OnlineEndpointService) -> None:
        self._deps = deps
        self._ops = operations
        self._engine = engine
        self._artifacts = artifacts
        self._references = references
        self._runtime = runtime
        self._endpoints = endpoints
        endpoints.remove_deployments = self._remove_all
        operations.register(OperationKind.WRITE_ONLINE_DEPLOYMENT, self._run_provision)
        operations.register(OperationKind.DELETE_ONLINE_DEPLOYMENT, self._run_delete)
        engine.register(TaskKind(START_TASK, self._run_start, max_attempts=3))

    # -- writes ---------------------------------------------------------------------------------

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str, name: str,
                         body: OnlineDeploymentBody) -> tuple[DeploymentView, Operation, bool]:
        check_deployment_name(name)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ep = require_endpoint(uow, ws, endpoint)
            props = body.properties
            if props is None:
                raise invalid("InvalidRequestContent", "properties must be an object.", P)
            _refuse_unhonoured(props)
            count = body.sku.capacity if body.sku is not None and body.sku.capacity is not None else 1
            if count != 1:
                raise invalid("UnsupportedInstanceCount", "A deployment runs as one local process here: instance count "
                              f"must be 1, not {count}.", "sku.capacity")
            home = workspace_owner(ws)
            model_ref = props.model
            if not model_ref:
                raise invalid("InvalidRequestContent", "A deployment needs a model.", f"{P}.model")
            parsed = _ref(model_ref, AssetKind.MODELS, f"{P}.model")
            model_container, model_version = self._references.resolve(uow, caller, home, parsed, f"{P}.model")
            model_owner = self._references.owner(uow, caller, home, parsed, f"{P}.model")
            env_id = None
            warnings: list[str] = []
            if props.environment_id:
                env_container, env_version = self._references.resolve(
                    uow, caller, home, _ref(props.environment_id, AssetKind.ENVIRONMENTS, f"{P}.environmentId"),
                    f"{P}.environmentId")
                env_id = props.environment_id
                warnings.append(ENV_WARNING.format(env=f"{env_container.name}:{env_version.version}"))
            code = props.code_configuration
            if code is None or not code.scoring_script:
                raise invalid("InvalidRequestContent", "A deployment needs codeConfiguration.scoringScript.",
                              f"{P}.codeConfiguration.scoringScript")
            if code.code_id:
                raise invalid("UnsupportedProperty", "Code assets (codeId) are not served here; send the code's files "
                              "as codeConfiguration.artifacts (amlite's SDK and CLI do).", f"{P}.codeConfiguration.codeId")
            manifest = _manifest(code.artifacts or [], code.scoring_script)
            storage = self._artifacts.storage_in(uow, home)
            for entry in manifest:
                if not storage.store.exists(storage.account, storage.container, entry["sha256"]):
                    raise invalid("BlobNotFound", f"The code file '{entry['path']}' was not uploaded to the workspace.",
                                  f"{P}.codeConfiguration.artifacts")
            existing = uow.online_endpoints.deployment(ep.key, name)
            if existing is not None and existing.state.is_busy:
                raise Conflict("DeploymentBusy", f"The deployment '{name}' is {existing.state.value}; wait for it to end.")
            now = d.clock.now()
            generation = d.ids.new_id()
            fields: dict[str, Any] = dict(
                model_id=f"{model_owner.arm_id}/models/{model_container.name}/versions/{model_version.version}",
                model_ref=model_ref, environment_id=env_id, scoring_script=code.scoring_script,
                code_manifest=tuple(manifest), instance_type=props.instance_type or "Standard_DS3_v2",
                instance_count=1, environment_variables=dict(props.environment_variables or {}),
                description=props.description or "", tags=dict(body.tags or {}), properties=dict(props.properties or {}),
                warnings=tuple(warnings), generation=generation, modified_at=now, error=None,
            )
            if existing is None:
                dep = OnlineDeployment(key=d.ids.new_id(), endpoint_key=ep.key, name=name, state=DeploymentState.CREATING,
                                       created_at=now, created_by=caller.name, **fields)
                uow.online_endpoints.add_deployment(dep)
            else:
                dep = replace(existing, state=DeploymentState.UPDATING, **fields)
                uow.online_endpoints.save_deployment(dep)
            view = DeploymentView(EndpointView(ws, ep), dep)
            op = self._ops.new(
                uow, kind=OperationKind.WRITE_ONLINE_DEPLOYMENT, caller=caller, subscription_id=ws.subscription_id,
                namespace=ML_NAMESPACE, location=ws.location, target_id=view.arm_id, target_key=dep.key,
                payload={"deploymentKey": dep.key, "generation": generation, "workspaceKey": ws.key,
                         "model": {"ownerKey": model_owner.key, "registry": model_owner.is_registry,
                                   "manifest": [m.as_json() for m in model_version.manifest]}},
            )
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self._endpoints.changed(uow, ep)
            uow.commit()
        self._endpoints.woken(planned)
        return view, op, existing is None

    def update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str, name: str,
               body: OnlineDeploymentPatchBody) -> DeploymentView:
        """PATCH the fields that need no new process: tags, description, properties; an instance
        count other than 1 is refused as on PUT."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ep = require_endpoint(uow, ws, endpoint)
            dep = _require(uow, ep, name)
            if body.sku is not None and body.sku.capacity not in (None, 1):
                raise invalid("UnsupportedInstanceCount", "A deployment runs as one local process here: instance count "
                              "must be 1.", "sku.capacity")
            props = body.properties
            if props is not None:
                _refuse_unhonoured(props)
                for field, label in ((props.model, "model"), (props.code_configuration, "codeConfiguration"),
                                     (props.environment_id, "environmentId"), (props.instance_type, "instanceType"),
                                     (props.environment_variables, "environmentVariables")):
                    if field is not None:
                        raise invalid("UnsupportedProperty", f"{label} changes with a PUT of the deployment, not a PATCH.",
                                      f"{P}.{label}")
            changed = replace(dep, tags=dict(body.tags) if body.tags is not None else dep.tags,
                              description=props.description if props is not None and props.description is not None
                              else dep.description,
                              properties=dict(props.properties) if props is not None and props.properties is not None
                              else dep.properties, modified_at=d.clock.now())
            uow.online_endpoints.save_deployment(changed)
            view = DeploymentView(EndpointView(ws, ep), changed)
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self._endpoints.changed(uow, ep)
            uow.commit()
        self._endpoints.woken(planned)
        return view

    def begin_delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str,
                     name: str) -> Operation | None:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = require_endpoint(uow, ws, endpoint)
            dep = uow.online_endpoints.deployment(ep.key, name)
            if dep is None:
                return None
            if ep.traffic.get(dep.name, 0) > 0:
                raise Conflict("DeploymentHasTraffic", f"The deployment '{dep.name}' takes {ep.traffic[dep.name]}% of "
                               f"the traffic of '{ep.name}'; set its traffic to 0 first.")
            view = DeploymentView(EndpointView(ws, ep), dep)
            op = self._ops.new(uow, kind=OperationKind.DELETE_ONLINE_DEPLOYMENT, caller=caller,
                               subscription_id=ws.subscription_id, namespace=ML_NAMESPACE, location=ws.location,
                               target_id=view.arm_id, target_key=dep.key, payload={"deploymentKey": dep.key})
            uow.online_endpoints.save_deployment(replace(dep, state=DeploymentState.DELETING))
            if dep.name in ep.traffic:
                uow.online_endpoints.save(replace(ep, traffic={k: v for k, v in ep.traffic.items() if k != dep.name}))
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self._endpoints.changed(uow, ep)
            uow.commit()
        self._endpoints.woken(planned)
        return op

    # -- reads ----------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str, name: str) -> DeploymentView:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = require_endpoint(uow, ws, endpoint)
            return DeploymentView(EndpointView(ws, ep), _require(uow, ep, name))

    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str, offset: int,
             limit: int) -> Page[DeploymentView]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = require_endpoint(uow, ws, endpoint)
            page = uow.online_endpoints.list_deployments(ep.key, offset, limit)
            return Page([DeploymentView(EndpointView(ws, ep), dep) for dep in page.items], page.more)

    def get_logs(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, endpoint: str, name: str,
                 container_type: str | None, tail: int | None) -> str:
        """The scoring process's output (``containerType`` InferenceServer, Azure's default; the
        storage initializer's work is logged by the server itself)."""
        if container_type is not None and container_type.lower() != "inferenceserver":
            raise invalid("UnsupportedContainerType", "Only the InferenceServer log is kept here.", "containerType")
        if tail is not None and tail < 0:
            raise invalid("InvalidRequestContent", "tail must be a whole number of lines, 0 or more.", "tail")
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            dep = _require(uow, require_endpoint(uow, ws, endpoint), name)
        text = self._runtime.read_log(dep.key, tail)
        if text is None:
            return dep.error or ""
        return text

    # -- running --------------------------------------------------------------------------------

    def _run_provision(self, op: Operation) -> None:
        key, generation = str(op.payload["deploymentKey"]), str(op.payload["generation"])
        with self._deps.uow() as uow:
            dep = uow.online_endpoints.deployment_by_key(key)
            owner = self._model_owner(uow, op.payload["model"])
        if dep is None or dep.generation != generation:  # deleted, or superseded by a later PUT
            self._ops.complete(op.id)
            return
        try:
            self._runtime.prepare(key, generation)
            self._materialise(dep, owner, op.payload["model"]["manifest"], str(op.payload["workspaceKey"]))
            port, secret = self._start(dep)
        except AmliteError as exc:
            self._fail(dep, generation, exc.message)
            raise DeploymentFailed("DeploymentFailed", exc.message) from exc
        except Exception as exc:  # the scoring host did not come up: the deployment's own failure
            message = str(exc)
            self._fail(dep, generation, message)
            raise DeploymentFailed("DeploymentFailed",
                                   f"The deployment '{dep.name}' failed: {message.splitlines()[0] if message else ''} "
                                   "(see its logs).") from exc
        with self._deps.uow(write=True) as uow:
            current = uow.online_endpoints.deployment_by_key(key)
            if current is not None and current.generation == generation:
                uow.online_endpoints.save_deployment(
                    current.started(generation, self._runtime.host_id, port, secret, self._deps.clock.now()))
            self._ops.finish(uow, op.id)
            uow.commit()

    def _materialise(self, dep: OnlineDeployment, owner: AssetOwner, model_manifest: builtins.list[dict[str, Any]],
                     ws_key: str) -> None:
        with self._deps.uow() as uow:
            ws = uow.workspaces.by_key(ws_key)
            if ws is None:
                raise NotFound("ResourceNotFound", "The deployment's workspace is gone.")
            home = self._artifacts.storage_in(uow, workspace_owner(ws))
        region = ws.location if owner.is_registry and owner.region(ws.location) is not None else None
        # a model of another workspace of the tenant (one the deployment referenced by id) is read
        # from that workspace's storage
        model_storage = home if owner.key == ws.key else self._artifacts.storage_for(owner, region)
        for area, storage, manifest in (("model", model_storage, model_manifest), ("code", home, list(dep.code_manifest))):
            for entry in manifest:
                chunks = storage.store.open_chunks(storage.account, storage.container, str(entry["sha256"]), 1 << 20)
                self._runtime.write_file(dep.key, dep.generation, area, str(entry["path"]), chunks)

    def _start(self, dep: OnlineDeployment) -> tuple[int, str]:
        secret = secrets.token_urlsafe(24)
        port = self._runtime.start(dep.key, dep.generation, dep.scoring_script, dict(dep.environment_variables), secret)
        return port, secret

    def _fail(self, dep: OnlineDeployment, generation: str, message: str) -> None:
        self._runtime.stop(dep.key)
        with self._deps.uow(write=True) as uow:
            current = uow.online_endpoints.deployment_by_key(dep.key)
            if current is not None and current.generation == generation:
                uow.online_endpoints.save_deployment(current.failed(message, self._deps.clock.now()))
            uow.commit()

    def _run_delete(self, op: Operation) -> None:
        key = str(op.payload["deploymentKey"])
        self._runtime.remove(key)
        with self._deps.uow(write=True) as uow:
            uow.online_endpoints.delete_deployment(key)
            self._ops.finish(uow, op.id)
            uow.commit()

    def _remove_all(self, deployments: builtins.list[OnlineDeployment]) -> None:
        for dep in deployments:
            self._runtime.remove(dep.key)

    def queue_restarts(self) -> int:
        """A start task for every ``Succeeded`` deployment: their processes died with the last
        server (called once per server start, before its workers run)."""
        boot = self._deps.ids.new_id()
        with self._deps.uow(write=True) as uow:
            deployments = uow.online_endpoints.deployments_in_state(DeploymentState.SUCCEEDED)
            tasks = [self._engine.new(START_TASK, dedupe_key=f"{START_TASK}:{d.key}:{boot}", subject_key=d.key,
                                      payload={"generation": d.generation}) for d in deployments]
            added = self._engine.enqueue_many(uow, tasks)
            uow.commit()
        return added

    def _run_start(self, task: Task) -> None:
        key, generation = task.subject_key or "", str(task.payload.get("generation"))
        with self._deps.uow() as uow:
            dep = uow.online_endpoints.deployment_by_key(key)
        if dep is None or dep.generation != generation or dep.state is not DeploymentState.SUCCEEDED:
            return
        try:
            port, secret = self._start(dep)
        except Exception as exc:  # the files are gone or init() fails now: the deployment fails, with why
            self._fail(dep, generation, f"The deployment could not be restarted: {exc}")
            raise TaskFailed(str(exc)) from exc
        with self._deps.uow(write=True) as uow:
            current = uow.online_endpoints.deployment_by_key(key)
            if current is not None and current.generation == generation:
                uow.online_endpoints.save_deployment(
                    current.started(generation, self._runtime.host_id, port, secret, self._deps.clock.now()))
            uow.commit()

    def reconcile(self) -> int:
        """Stop the processes this server runs whose deployment is gone, failed, superseded or now
        run by another server; queue a start for a ``Succeeded`` one whose process died."""
        running = self._runtime.running()
        if not running:
            return 0
        acted = 0
        with self._deps.uow(write=True) as uow:
            for key, (generation, alive) in running.items():
                dep = uow.online_endpoints.deployment_by_key(key)
                wanted = (dep is not None and dep.generation == generation and dep.state is DeploymentState.SUCCEEDED
                          and dep.host_id == self._runtime.host_id)
                if not wanted:
                    self._runtime.stop(key)
                    acted += 1
                elif not alive:
                    self._runtime.stop(key)
                    acted += self._engine.enqueue(uow, START_TASK, dedupe_key=f"{START_TASK}:{key}:{self._deps.ids.new_id()}",
                                                  subject_key=key, payload={"generation": generation})
            uow.commit()
        if acted:
            self._engine.wake()
        return acted

    # -- helpers --------------------------------------------------------------------------------

    def _model_owner(self, uow: Any, model: dict[str, Any]) -> AssetOwner:
        if model["registry"]:
            owner = registry_by_key(uow, str(model["ownerKey"]))
        else:
            ws = uow.workspaces.by_key(str(model["ownerKey"]))
            owner = workspace_owner(ws) if ws is not None else None
        if owner is None:
            raise TaskFailed("The model's workspace or registry is gone.")
        return owner


def _ref(value: str, kind: AssetKind, target: str) -> Any:
    """An Azure ML id (``/subscriptions/...``) or reference (``azureml:...``) as a reference."""
    text = value.strip()
    if text.startswith("/subscriptions/"):
        text = "azureml:" + text
    return parse_asset_reference(text, kind, target)


def _manifest(entries: list[dict[str, Any]], script: str) -> list[dict[str, Any]]:
    target = f"{P}.codeConfiguration.artifacts"
    out: list[dict[str, Any]] = []
    for entry in entries:
        path, sha, size = entry.get("path"), entry.get("sha256"), entry.get("size")
        if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
            raise invalid("InvalidRequestContent", f"The code file path '{path}' must be relative, inside the code folder.",
                          target)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise invalid("InvalidRequestContent", f"The code file '{path}' needs its size in bytes.", target)
        out.append({"path": path, "sha256": check_sha256(str(sha)), "size": size})
    if script.replace("\\", "/") not in {e["path"] for e in out}:
        raise invalid("ScoringScriptNotFound", f"The scoring script '{script}' is not among the code's files.",
                      f"{P}.codeConfiguration.scoringScript")
    return out


def _refuse_unhonoured(props: OnlineDeploymentProperties) -> None:
    compute = props.endpoint_compute_type
    if compute is not None and compute.lower() != "managed":
        raise invalid("UnsupportedProperty", f"Only managed online deployments are supported, not '{compute}'.",
                      f"{P}.endpointComputeType")
    for value, label in ((props.liveness_probe, "livenessProbe"), (props.readiness_probe, "readinessProbe"),
                         (props.startup_probe, "startupProbe"), (props.data_collector, "dataCollector"),
                         (props.model_mount_path, "modelMountPath"), (props.request_settings, "requestSettings")):
        if value:
            raise invalid("UnsupportedProperty", f"{label} is not supported by local deployments.", f"{P}.{label}")
    scale = props.scale_settings
    if scale and str(scale.get("scaleType", "Default")).lower() != "default":
        raise invalid("UnsupportedProperty", "Only the Default scale settings are supported.", f"{P}.scaleSettings")
    if props.app_insights_enabled:
        raise invalid("UnsupportedProperty", "Application Insights is not available.", f"{P}.appInsightsEnabled")
    egress = props.egress_public_network_access
    if egress is not None and egress.lower() != "enabled":
        raise invalid("UnsupportedProperty", "Egress cannot be restricted for local deployments.",
                      f"{P}.egressPublicNetworkAccess")


def _require(uow: Any, ep: OnlineEndpoint, name: str) -> OnlineDeployment:
    dep: OnlineDeployment | None = uow.online_endpoints.deployment(ep.key, name)
    if dep is None:
        raise NotFound("ResourceNotFound", f"The deployment '{name}' does not exist in endpoint '{ep.name}'.")
    return dep

