"""Online endpoint use cases: create or update (long-running, as Azure answers it), read, list,
patch, delete (long-running: its deployments' processes are stopped first), the keys
(``listKeys``, ``regenerateKeys``), a scoring token (``token``), and admitting a scoring request.

An endpoint's two keys are random secrets kept encrypted in the workspace's secret namespace,
named by the endpoint's key (never its name), in the same unit of work as the endpoint row. A
scoring request is admitted by the endpoint's auth mode: ``Key`` compares the bearer value with
both keys in constant time; ``AMLToken`` and ``AADToken`` take an amlite access token whose
principal has ``onlineEndpoints/score/action`` on the endpoint. The endpoint's traffic then
picks the deployment, unless the request names one (``azureml-model-deployment``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from amlite.domain.errors import AuthenticationFailed, AuthorizationFailed, NotFound, invalid
from amlite.domain.online_endpoints import (
    AuthMode,
    DeploymentState,
    OnlineDeployment,
    OnlineEndpoint,
    check_endpoint_name,
    check_traffic,
    pick_deployment,
)
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import Workspace
from amlite.ports import UnitOfWork
from amlite.schemas.arm_endpoints import OnlineEndpointBody, OnlineEndpointPatchBody, OnlineEndpointProperties
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, check_job_token
from amlite.services.operations import OperationService
from amlite.services.secrets import SecretNamespace
from amlite.services.tokens import TokenService
from amlite.services.workspace_scope import require_workspace, writable

ACTION = f"{ML_NAMESPACE}/workspaces/onlineEndpoints"
SCORE_ACTION = f"{ACTION}/score/action"
P = "properties"
KEY_NAMES = ("primary", "secondary")


@dataclass(frozen=True)
class EndpointView:
    workspace: Workspace
    endpoint: OnlineEndpoint
    state: str = "Succeeded"

    @property
    def arm_id(self) -> str:
        return f"{self.workspace.arm_id}/onlineEndpoints/{self.endpoint.name}"


@dataclass(frozen=True)
class EndpointKeys:
    primary: str
    secondary: str


@dataclass(frozen=True)
class ScoringTarget:
    """Where an admitted scoring request goes."""

    deployment: str
    port: int | None
    secret: str | None
    state: DeploymentState


#: Deployment removal, given by the deployment service: stops each deployment's process and files.
RemoveDeployments = Callable[[list[OnlineDeployment]], None]


class EndpointWatcher(Protocol):
    """Told of every change to an endpoint or its deployments (a pair's warm standbys,
    services/warm_endpoints.py): ``plan`` inside the change's unit of work (once more after the
    endpoint's row is deleted), ``wake`` after it committed."""

    def plan(self, uow: UnitOfWork, endpoint: OnlineEndpoint) -> int: ...
    def wake(self) -> None: ...


class OnlineEndpointService:
    def __init__(self, deps: Deps, operations: OperationService, secrets_ns: SecretNamespace, authz: Authorizer,
                 tokens: TokenService) -> None:
        self._deps = deps
        self._ops = operations
        self._secrets = secrets_ns
        self._authz = authz
        self._tokens = tokens
        self.remove_deployments: RemoveDeployments = lambda _deployments: None
        self.watchers: list[EndpointWatcher] = []
        operations.register(OperationKind.WRITE_ONLINE_ENDPOINT, lambda op: operations.complete(op.id))
        operations.register(OperationKind.DELETE_ONLINE_ENDPOINT, self._run_delete)

    # -- writes ---------------------------------------------------------------------------------

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                         body: OnlineEndpointBody) -> tuple[EndpointView, Operation, bool]:
        check_endpoint_name(name)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            props = body.properties or OnlineEndpointProperties()
            _refuse_unhonoured(props)
            if body.location is not None and body.location.lower().replace(" ", "") != ws.location.lower():
                raise invalid("InvalidLocation", f"An endpoint lives in its workspace's region '{ws.location}', "
                              f"not '{body.location}'.", "location")
            if body.identity is not None and str(body.identity.get("type", "None")).lower() not in ("none", "systemassigned"):
                raise invalid("UnsupportedIdentity", "Endpoints take no user-assigned identity here.", "identity.type")
            existing = uow.online_endpoints.get(ws.key, name)
            now = d.clock.now()
            mode = AuthMode.parse(props.auth_mode or "Key", f"{P}.authMode")
            if existing is None:
                if props.traffic:
                    check_traffic(_weights(props.traffic), set())
                ep = OnlineEndpoint(
                    key=d.ids.new_id(), workspace_key=ws.key, name=name, scoring_id=d.ids.new_id(), auth_mode=mode,
                    description=props.description or "", tags=dict(body.tags or {}), properties=dict(props.properties or {}),
                    traffic={}, created_at=now, modified_at=now, created_by=caller.name,
                )
                uow.online_endpoints.add(ep)
                for which in KEY_NAMES:
                    self._secrets.put(uow, ws.key, _secret_name(ep, which), _new_key())
            else:
                traffic = existing.traffic if props.traffic is None else self._traffic(uow, existing, props.traffic)
                ep = replace(existing, auth_mode=mode, description=props.description if props.description is not None
                             else existing.description, tags=dict(body.tags) if body.tags is not None else existing.tags,
                             properties=dict(props.properties) if props.properties is not None else existing.properties,
                             traffic=traffic, modified_at=now)
                uow.online_endpoints.save(ep)
            view = EndpointView(ws, ep)
            op = self._ops.new(uow, kind=OperationKind.WRITE_ONLINE_ENDPOINT, caller=caller, subscription_id=ws.subscription_id,
                               namespace=ML_NAMESPACE, location=ws.location, target_id=view.arm_id, target_key=ep.key)
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self.changed(uow, ep)
            uow.commit()
        self.woken(planned)
        return view, op, existing is None

    def update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
               body: OnlineEndpointPatchBody) -> EndpointView:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ep = _require(uow, ws, name)
            props = body.properties or OnlineEndpointProperties()
            _refuse_unhonoured(props)
            changed = replace(
                ep, tags=dict(body.tags) if body.tags is not None else ep.tags,
                description=props.description if props.description is not None else ep.description,
                auth_mode=AuthMode.parse(props.auth_mode, f"{P}.authMode") if props.auth_mode is not None else ep.auth_mode,
                traffic=self._traffic(uow, ep, props.traffic) if props.traffic is not None else ep.traffic,
                modified_at=d.clock.now(),
            )
            uow.online_endpoints.save(changed)
            view = EndpointView(ws, changed)
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self.changed(uow, changed)
            uow.commit()
        self.woken(planned)
        return view

    def begin_delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> Operation | None:
        """The delete operation; ``None`` when there is no such endpoint (ARM answers 204)."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = uow.online_endpoints.get(ws.key, name)
            if ep is None:
                return None
            view = EndpointView(ws, ep)
            op = self._ops.new(uow, kind=OperationKind.DELETE_ONLINE_ENDPOINT, caller=caller,
                               subscription_id=ws.subscription_id, namespace=ML_NAMESPACE, location=ws.location,
                               target_id=view.arm_id, target_key=ep.key, payload={"endpointKey": ep.key})
            for dep in uow.online_endpoints.deployments(ep.key):
                uow.online_endpoints.save_deployment(replace(dep, state=DeploymentState.DELETING))
            record_write(d, uow, caller, scope=view.arm_id)
            planned = self.changed(uow, ep)
            uow.commit()
        self.woken(planned)
        return op

    def _run_delete(self, op: Operation) -> None:
        key = str(op.payload["endpointKey"])
        with self._deps.uow() as uow:
            deployments = uow.online_endpoints.deployments(key)
        self.remove_deployments(deployments)
        planned = 0
        with self._deps.uow(write=True) as uow:
            ep = uow.online_endpoints.by_key(key)
            if ep is not None:
                for which in KEY_NAMES:
                    self._secrets.delete(uow, ep.workspace_key, _secret_name(ep, which))
                uow.online_endpoints.delete(ep.key)  # its deployments go with it (ON DELETE CASCADE)
                planned = self.changed(uow, ep)  # the watchers see it gone
            self._ops.finish(uow, op.id)
            uow.commit()
        self.woken(planned)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> EndpointView:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = _require(uow, ws, name)
            return EndpointView(ws, ep, _state(uow, ep))

    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, offset: int, limit: int) -> Page[EndpointView]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            page = uow.online_endpoints.list(ws.key, offset, limit)
            return Page([EndpointView(ws, ep, _state(uow, ep)) for ep in page.items], page.more)

    def list_keys(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> EndpointKeys:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = _require(uow, ws, name)
            _need_keys(ep)
            return self._keys(uow, ep)

    def regenerate_keys(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                        key_type: str | None, key_value: str | None) -> EndpointKeys:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            ep = _require(uow, ws, name)  # a missing endpoint is 404 before the body is judged
            which = (key_type or "").lower()
            if which not in KEY_NAMES:
                raise invalid("InvalidRequestContent", "keyType must be Primary or Secondary.", "keyType")
            if key_value is not None and not 16 <= len(key_value) <= 256:
                raise invalid("InvalidRequestContent", "keyValue must be 16 to 256 characters.", "keyValue")
            _need_keys(ep)
            self._secrets.put(uow, ws.key, _secret_name(ep, which), key_value or _new_key())
            keys = self._keys(uow, ep)
            record_write(d, uow, caller, scope=EndpointView(ws, ep).arm_id)
            uow.commit()
        return keys

    def token(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> tuple[str, datetime]:
        """An access token for the endpoint's token auth modes, for the caller (Azure's
        ``token`` action); a ``Key`` endpoint has none."""
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            ep = _require(uow, ws, name)
        if ep.auth_mode is AuthMode.KEY:
            raise invalid("TokenAuthNotEnabled", f"The endpoint '{name}' authenticates with keys, not tokens.", "authMode")
        return self._tokens.issue(tenant_id=caller.tenant_id, object_id=caller.principal_id, name=caller.name,
                                  principal_type=caller.principal_type, now=self._deps.clock.now())

    # -- scoring --------------------------------------------------------------------------------

    def admit(self, scoring_id: str, authorization: str | None, deployment: str | None,
              token_caller: Callable[[str | None], Caller], draw: float) -> ScoringTarget:
        """Check a scoring request's credentials against the endpoint's auth mode and pick the
        deployment that serves it."""
        with self._deps.uow() as uow:
            ep = uow.online_endpoints.by_scoring_id(scoring_id)
            if ep is None:
                raise NotFound("EndpointNotFound", "No online endpoint has this scoring URI.")
            ws = uow.workspaces.by_key(ep.workspace_key)
            assert ws is not None, "an endpoint's workspace outlives it"
            if ep.auth_mode is AuthMode.KEY:
                given = _bearer(authorization)
                keys = self._keys(uow, ep)
                if not any(hmac.compare_digest(given.encode(), k.encode()) for k in (keys.primary, keys.secondary)):
                    raise AuthenticationFailed("InvalidEndpointKey", "The key is not one of the endpoint's keys.")
            else:
                caller = token_caller(authorization)
                check_job_token(uow, caller)
                if not Authorizer.allowed_in(uow, caller.principal_id, SCORE_ACTION, EndpointView(ws, ep).arm_id):
                    raise AuthorizationFailed(
                        "AuthorizationFailed",
                        f"The client '{caller.name}' may not score endpoint '{ep.name}' ({SCORE_ACTION}).")
            chosen = deployment if deployment else pick_deployment(ep.traffic, draw)
            if chosen is None:
                raise NotFound("NoTrafficDeployment", f"The endpoint '{ep.name}' sends traffic to no deployment; "
                               "set its traffic or name a deployment with the azureml-model-deployment header.")
            dep = uow.online_endpoints.deployment(ep.key, chosen)
            if dep is None:
                raise NotFound("DeploymentNotFound", f"The endpoint '{ep.name}' has no deployment '{chosen}'.")
            return ScoringTarget(dep.name, dep.port, dep.secret, dep.state)

    # -- watchers ---------------------------------------------------------------------------------

    def changed(self, uow: UnitOfWork, endpoint: OnlineEndpoint) -> int:
        """Tell the watchers, inside the change's unit of work; how much work they queued."""
        return sum(watcher.plan(uow, endpoint) for watcher in self.watchers)

    def woken(self, planned: int) -> None:
        """After the change committed: the watchers' queued work runs now."""
        if planned:
            for watcher in self.watchers:
                watcher.wake()

    # -- helpers --------------------------------------------------------------------------------

    def _keys(self, uow: UnitOfWork, ep: OnlineEndpoint) -> EndpointKeys:
        values = [self._secrets.get(uow, ep.workspace_key, _secret_name(ep, which)) or "" for which in KEY_NAMES]
        return EndpointKeys(values[0], values[1])

    def _traffic(self, uow: UnitOfWork, ep: OnlineEndpoint, traffic: dict[str, Any]) -> dict[str, int]:
        names = {d.name.lower(): d.name for d in uow.online_endpoints.deployments(ep.key)}
        checked = check_traffic(_weights(traffic), set(names))
        return {names[k.lower()]: v for k, v in checked.items()}


def _weights(traffic: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, weight in traffic.items():
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise invalid("InvalidTrafficWeight", f"The traffic of '{name}' must be a whole number from 0 to 100.",
                          f"{P}.traffic.{name}")
        out[str(name)] = weight
    return out


def _refuse_unhonoured(props: OnlineEndpointProperties) -> None:
    if props.mirror_traffic:
        raise invalid("UnsupportedProperty", "Mirrored traffic is not supported.", f"{P}.mirrorTraffic")
    if props.public_network_access is not None and props.public_network_access.lower() != "enabled":
        raise invalid("UnsupportedProperty", "Endpoints here are served on the server's own address; "
                      "publicNetworkAccess can only be Enabled.", f"{P}.publicNetworkAccess")
    if props.compute:
        raise invalid("UnsupportedProperty", "Kubernetes online endpoints (compute) are not supported.", f"{P}.compute")


def _state(uow: UnitOfWork, ep: OnlineEndpoint) -> str:
    deployments = uow.online_endpoints.deployments(ep.key)
    if any(d.state is DeploymentState.DELETING for d in deployments) and all(
            d.state is DeploymentState.DELETING for d in deployments):
        return "Deleting"
    return "Succeeded"


def _need_keys(ep: OnlineEndpoint) -> None:
    if ep.auth_mode is not AuthMode.KEY:
        raise invalid("KeyAuthNotEnabled", f"The endpoint '{ep.name}' authenticates with tokens ({ep.auth_mode.value}); "
                      "it has no keys.", "authMode")


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthenticationFailed("AuthenticationFailed", "Scoring needs an 'Authorization: Bearer <key>' header.")
    return authorization[7:].strip()


def _secret_name(ep: OnlineEndpoint, which: str) -> str:
    return f"onlineEndpoints--{ep.key}--{which}"


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def _require(uow: UnitOfWork, ws: Workspace, name: str) -> OnlineEndpoint:
    ep = uow.online_endpoints.get(ws.key, name)
    if ep is None:
        raise NotFound("ResourceNotFound", f"The online endpoint '{name}' does not exist in workspace '{ws.name}'.")
    return ep


def require_endpoint(uow: UnitOfWork, ws: Workspace, name: str) -> OnlineEndpoint:
    return _require(uow, ws, name)
