"""Template deployments (``Microsoft.Resources/deployments``): an ARM template applied to a group.

The whole template is judged first (domain/templates.py ``expand``, then each resource's body
read as its PUT body would be): a template amlite does not understand is refused as
``InvalidTemplate`` and nothing is created or recorded. A valid one is recorded ``Running`` and
its resources are made in dependency order through the same use cases their own PUTs use, with
the deploying caller, so authorization, validation, quota and policy apply to each. A resource's
long-running operation is waited for before the next starts. The first failure stops the
deployment: it ends ``Failed`` with ARM's ``DeploymentFailed`` error, whose detail names the
failing resource; what was made before stays (ARM's incremental mode keeps it too).

An exported deployment's code files (named by their hashes) that the target workspace lacks are
copied from the workspace holding its model (the exported one), which the caller must be able
to read.

An endpoint's ``traffic`` names deployments the template makes after it, so an endpoint is made
with its other settings first and its traffic applied once the template's resources exist (Azure's
own templates need a second, nested deployment for this).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from amlite.domain.errors import AmliteError, Conflict, InvalidInput, NotFound, invalid
from amlite.domain.operations import Operation, OperationStatus
from amlite.domain.templates import (
    COMPUTES,
    DEPLOYMENTS,
    ENDPOINTS,
    ROLE_ASSIGNMENTS,
    WORKSPACES,
    GroupContext,
    PlannedResource,
    TemplateDeployment,
    expand,
    template_error,
)
from amlite.schemas.arm_computes import ComputeBody
from amlite.schemas.arm_endpoints import OnlineDeploymentBody, OnlineEndpointBody
from amlite.schemas.arm_resources import RoleAssignmentBody, WorkspaceBody
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_owners import workspace_owner
from amlite.services.authz import Authorizer
from amlite.services.computes import ComputeService
from amlite.services.context import Caller, Deps
from amlite.services.online_deployments import OnlineDeploymentService
from amlite.services.online_endpoints import OnlineEndpointService
from amlite.services.resource_groups import require_group, require_group_writable
from amlite.services.roles import RoleService
from amlite.services.subscriptions import require_subscription
from amlite.services.workspace_scope import require_workspace
from amlite.services.workspaces import WorkspaceService

_NAME = re.compile(r"^[-\w._()]{1,64}$")
_WS_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/"
                    r"workspaces/([^/]+)", re.IGNORECASE)
_WS_READ = "Microsoft.MachineLearningServices/workspaces/read"
_BODIES: dict[str, type] = {
    WORKSPACES: WorkspaceBody, COMPUTES: ComputeBody, ENDPOINTS: OnlineEndpointBody,
    DEPLOYMENTS: OnlineDeploymentBody, ROLE_ASSIGNMENTS: RoleAssignmentBody,
}
_WRITE = {
    COMPUTES: "Microsoft.MachineLearningServices/workspaces/computes/write",
    ENDPOINTS: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
    DEPLOYMENTS: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
    ROLE_ASSIGNMENTS: "Microsoft.Authorization/roleAssignments/write",
}
RUNNING, SUCCEEDED, FAILED = "Running", "Succeeded", "Failed"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Step:
    planned: PlannedResource
    body: Any


class TemplateDeploymentService:
    def __init__(self, deps: Deps, authz: Authorizer, workspaces: WorkspaceService, computes: ComputeService,
                 endpoints: OnlineEndpointService, deployments: OnlineDeploymentService, roles: RoleService,
                 artifacts: ArtifactService, wake: Callable[[], None] = lambda: None,
                 operation_timeout: float = 600.0) -> None:
        self._artifacts = artifacts
        self._deps = deps
        self._authz = authz
        self._workspaces = workspaces
        self._computes = computes
        self._endpoints = endpoints
        self._deployments = deployments
        self._roles = roles
        self._wake = wake
        self._timeout = operation_timeout
        # the deployments this process is running: one left ``Running`` by a crash may run again
        self._running: set[str] = set()

    # -- reads -----------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> TemplateDeployment:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            found = uow.template_deployments.get(rg.key, name)
        if found is None:
            raise NotFound("DeploymentNotFound", f"Deployment '{name}' could not be found.")
        return found

    def list_in_group(self, caller: Caller, sub_id: str, rg_name: str) -> list[TemplateDeployment]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            return uow.template_deployments.in_group(rg.key)

    # -- deploy ----------------------------------------------------------------------------------

    def create(self, caller: Caller, sub_id: str, rg_name: str, name: str,
               body: dict[str, Any]) -> TemplateDeployment:
        """PUT: judge the whole template, record the deployment, make its resources in order and
        end it ``Succeeded`` or ``Failed``. Returns the finished record."""
        if not _NAME.fullmatch(name):
            raise invalid("InvalidDeploymentName", f"The deployment name '{name}' is not valid: 1-64 letters, "
                          "digits, '-', '_', '.', '(' or ')'.")
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise invalid("InvalidRequestContent", "The request body needs 'properties'.", "properties")
        if props.get("templateLink") or props.get("parametersLink"):
            raise invalid("InvalidTemplate", "Linked templates are not supported; send 'properties.template'.",
                          "properties.templateLink")
        mode = str(props.get("mode", "Incremental"))
        if mode.lower() != "incremental":
            raise invalid("InvalidDeploymentMode", f"The deployment mode '{mode}' is not supported; amlite deploys "
                          "in Incremental mode.", "properties.mode")
        template = props.get("template")
        given = _parameter_values(props.get("parameters") or {})
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            require_group_writable(rg)
            group = GroupContext(sub.id, rg.name, rg.location)
        steps = [_Step(p, _body_of(p)) for p in expand(template, given, group)]
        self._check_parents(caller, group, steps)
        with _LOCK:
            record = self._start(caller, sub.id, rg.key, rg.name, name, given, template)
            self._running.add(record.key)
        try:
            return self._run(caller, group, steps, record)
        finally:
            with _LOCK:
                self._running.discard(record.key)

    def _run(self, caller: Caller, group: GroupContext, steps: list[_Step],
             record: TemplateDeployment) -> TemplateDeployment:
        began = time.monotonic()
        made: list[str] = []
        current = ""
        try:
            traffic: list[_Step] = []
            for step in steps:
                current = step.planned.arm_id
                self._apply(caller, group, step)
                made.append(current)
                if step.planned.type == ENDPOINTS and (step.planned.body.get("properties") or {}).get("traffic"):
                    traffic.append(step)
            for step in traffic:
                current = step.planned.arm_id
                self._apply(caller, group, step, with_traffic=True)
        except AmliteError as exc:
            failing = current
            error = {"code": "DeploymentFailed", "message": (
                "At least one resource deployment operation failed. Please list deployment operations for details."),
                "details": [{"code": exc.code, "target": failing,
                             "message": f"The resource '{failing}' failed: {exc.message}"}]}
            return self._end(record, FAILED, made, error, time.monotonic() - began)
        return self._end(record, SUCCEEDED, made, None, time.monotonic() - began)

    def _check_parents(self, caller: Caller, group: GroupContext, steps: list[_Step]) -> None:
        """A workspace's child resource needs its workspace in the template or in the group
        already; otherwise the template is refused before anything is made."""
        in_template = {s.planned.arm_id.lower() for s in steps}
        for s in steps:
            if s.planned.type in (COMPUTES, ENDPOINTS, DEPLOYMENTS):
                ws_name = s.planned.names[0]
                ws_id = f"{group.arm_id}/providers/{WORKSPACES}/{ws_name}".lower()
                if ws_id in in_template:
                    continue
                with self._deps.uow() as uow:
                    if uow.workspaces.get(group.subscription_id, group.name, ws_name) is None:
                        raise template_error(f"The resource '{s.planned.arm_id}' needs the workspace '{ws_name}', "
                                             "which is neither in the template nor in the resource group",
                                             s.planned.symbol)

    def _start(self, caller: Caller, sub_id: str, rg_key: str, rg_name: str, name: str, given: dict[str, Any],
               template: Any) -> TemplateDeployment:
        now = self._deps.clock.now()
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
        with self._deps.uow(write=True) as uow:
            existing = uow.template_deployments.get(rg_key, name)
            if existing is not None and existing.state == RUNNING and existing.key in self._running:
                raise Conflict("DeploymentActive", f"The deployment '{name}' is still running.")
            params = {k: ({"value": "***"} if _secret_name(k) else {"value": v}) for k, v in given.items()}
            record = TemplateDeployment(
                key=existing.key if existing else self._deps.ids.new_id(), resource_group_key=rg_key,
                subscription_id=sub_id, resource_group_name=rg_name, name=name, state=RUNNING, parameters=params,
                template_hash=digest, output_resources=(), error=None,
                created_at=existing.created_at if existing else now, modified_at=now)
            if existing is None:
                uow.template_deployments.add(record)
            else:
                uow.template_deployments.save(record)
            uow.commit()
        return record

    def _end(self, record: TemplateDeployment, state: str, made: list[str], error: dict[str, Any] | None,
             seconds: float) -> TemplateDeployment:
        done = replace(record, state=state, output_resources=tuple(made), error=error,
                       modified_at=self._deps.clock.now(), duration_seconds=round(seconds, 3))
        with self._deps.uow(write=True) as uow:
            uow.template_deployments.save(done)
            uow.commit()
        return done

    # -- one resource ----------------------------------------------------------------------------

    def _apply(self, caller: Caller, group: GroupContext, step: _Step, with_traffic: bool = False) -> None:
        p, body = step.planned, step.body
        sub, rg = group.subscription_id, group.name
        if p.type in _WRITE:
            self._authz.require(caller, _WRITE[p.type], p.arm_id if p.type != ROLE_ASSIGNMENTS else str(p.scope))
        if p.type == WORKSPACES:
            self._workspaces.create_or_update(caller, sub, rg, p.names[0], body)
        elif p.type == COMPUTES:
            _view, op = self._computes.create_or_update(caller, sub, rg, p.names[0], p.names[1], body)
            self._wait(op)
        elif p.type == ENDPOINTS:
            if not with_traffic and body.properties is not None and body.properties.traffic:
                body = body.model_copy(update={"properties": body.properties.model_copy(update={"traffic": None})})
            _v, op, _c = self._endpoints.create_or_update(caller, sub, rg, p.names[0], p.names[1], body)
            self._wait(op)
        elif p.type == DEPLOYMENTS:
            self._bring_code(caller, sub, rg, p.names[0], body)
            _dv, op, _dc = self._deployments.create_or_update(caller, sub, rg, p.names[0], p.names[1], p.names[2], body)
            self._wait(op)
        else:
            self._roles.create_assignment(caller, str(p.scope), p.names[0], body)

    def _bring_code(self, caller: Caller, sub: str, rg: str, ws_name: str, body: OnlineDeploymentBody) -> None:
        """A deployment's code files are named by their hashes; an exported deployment's model is
        the exported workspace's, so the files it lacks here are copied from that workspace
        (which the caller must be able to read) before the deployment's own use case checks them."""
        props = body.properties
        code = props.code_configuration if props is not None else None
        found = _WS_ID.match(str(props.model or "")) if props is not None else None
        if code is None or not code.artifacts or found is None:
            return
        source_id = found.group(0)
        self._authz.require(caller, _WS_READ, source_id)
        with self._deps.uow() as uow:
            target = require_workspace(uow, caller, sub, rg, ws_name)
            source = uow.workspaces.get(found.group(1).lower(), found.group(2), found.group(3))
            if source is None:
                return
            dst = self._artifacts.storage_in(uow, workspace_owner(target))
            src = self._artifacts.storage_in(uow, workspace_owner(source))
        for entry in code.artifacts:
            sha = entry.get("sha256")
            if isinstance(sha, str) and not dst.store.exists(dst.account, dst.container, sha) \
                    and src.store.exists(src.account, src.container, sha):
                dst.store.copy_blob(src.store, src.account, src.container, dst.account, dst.container, sha)

    def _wait(self, op: Operation | None) -> None:
        """Block until the resource's own operation ends; its failure is the deployment's."""
        if op is None:
            return
        self._wake()
        deadline = time.monotonic() + self._timeout
        while True:
            with self._deps.uow() as uow:
                found = uow.operations.get(op.id)
            if found is None or found.status is OperationStatus.SUCCEEDED:
                return
            if found.status.is_terminal:
                raise AmliteError(found.error_code or "OperationFailed", found.error_message or "The operation failed.")
            if time.monotonic() > deadline:
                raise AmliteError("DeploymentTimeout", f"The operation '{op.id}' did not end in {self._timeout:.0f} s.")
            time.sleep(0.05)


def _parameter_values(raw: Any) -> dict[str, Any]:
    """ARM's ``{"name": {"value": v}}`` parameters; a ``reference`` (Key Vault) is not supported."""
    if not isinstance(raw, dict):
        raise invalid("InvalidTemplate", "properties.parameters must be an object.", "properties.parameters")
    out: dict[str, Any] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "value" not in spec:
            raise invalid("InvalidTemplate", f"The parameter '{name}' needs a 'value' (Key Vault references are "
                          "not supported).", f"properties.parameters.{name}")
        out[name] = spec["value"]
    return out


def _secret_name(name: str) -> bool:
    return any(w in name.lower() for w in ("password", "secret", "key", "token"))


def _body_of(p: PlannedResource) -> Any:
    """The resource's PUT body, read as its own PUT reads it; a body that does not read is the
    template's error, named after the resource."""
    model = _BODIES[p.type]
    try:
        return model.model_validate(p.body)  # type: ignore[attr-defined]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise template_error(f"The resource '{p.arm_id}' ({p.symbol}) is not valid at '{where}': {first.get('msg')}",
                             p.symbol) from exc
    except InvalidInput as exc:
        raise template_error(f"The resource '{p.arm_id}' ({p.symbol}) is not valid: {exc.message}", p.symbol) from exc
