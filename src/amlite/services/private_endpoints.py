"""A workspace's private endpoint connections: list, show, create or answer (PUT), delete.

A project has none of its own: it shows its hub's (one private endpoint on the hub serves the hub
and its projects) and refuses a PUT or DELETE, naming the hub.

A PUT that names a new connection records a private endpoint's request (``properties.privateEndpoint.id``
required), ``Pending`` unless the body says otherwise; a PUT on an existing one is the owner's
answer (``privateLinkServiceConnectionState``: ``Approved`` or ``Rejected``, with a description).
"""

from __future__ import annotations

from typing import Any

from amlite.domain.errors import NotFound, invalid
from amlite.domain.hubs import project_private_endpoint_refused
from amlite.domain.move_ids import parse_resource_id
from amlite.domain.private_endpoints import ConnectionStatus, PrivateEndpointConnection
from amlite.domain.resources import Workspace
from amlite.ports import UnitOfWork
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.hubs import hub_of
from amlite.services.workspace_scope import require_workspace, writable

_NAME_LIMIT = 128


def connection_not_found(name: str) -> NotFound:
    return NotFound("PrivateEndpointConnectionNotFound", f"The private endpoint connection '{name}' was not found.")


class PrivateEndpointService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def list(self, caller: Caller, sub_id: str, rg: str, ws_name: str) -> tuple[Workspace, list[PrivateEndpointConnection]]:
        with self._deps.uow() as uow:
            ws = _owner(uow, require_workspace(uow, caller, sub_id, rg, ws_name))
            return ws, uow.private_endpoint_connections.of_workspace(ws.key)

    def get(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> tuple[Workspace, PrivateEndpointConnection]:
        with self._deps.uow() as uow:
            ws = _owner(uow, require_workspace(uow, caller, sub_id, rg, ws_name))
            found = uow.private_endpoint_connections.get(ws.key, name)
        if found is None:
            raise connection_not_found(name)
        return ws, found

    def put(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str,
            body: dict[str, Any]) -> tuple[Workspace, PrivateEndpointConnection, bool]:
        if not name or len(name) > _NAME_LIMIT or not all(c.isalnum() or c in "-_." for c in name):
            raise invalid("InvalidPrivateEndpointConnectionName",
                          f"'{name}' must be 1-{_NAME_LIMIT} letters, digits, '-', '_' or '.'.", "privateEndpointConnectionName")
        props = body.get("properties") if isinstance(body, dict) else None
        props = props if isinstance(props, dict) else {}
        state = props.get("privateLinkServiceConnectionState")
        state = state if isinstance(state, dict) else {}
        status = ConnectionStatus.parse(str(state["status"])) if state.get("status") is not None else None
        description = state.get("description")
        if description is not None and not isinstance(description, str):
            raise invalid("InvalidRequestContent", "description must be a string.",
                          "properties.privateLinkServiceConnectionState.description")
        d = self._deps
        now = d.clock.now()
        with d.uow(write=True) as uow:
            ws = _not_a_project(uow, writable(require_workspace(uow, caller, sub_id, rg, ws_name)))
            existing = uow.private_endpoint_connections.get(ws.key, name)
            if existing is None:
                endpoint = props.get("privateEndpoint")
                endpoint_id = endpoint.get("id") if isinstance(endpoint, dict) else None
                parsed = parse_resource_id(endpoint_id) if isinstance(endpoint_id, str) else None
                if parsed is None or parsed.full_type.lower() != "microsoft.network/privateendpoints":
                    raise invalid("InvalidRequestContent", "A new connection needs properties.privateEndpoint.id, the id "
                                  "of a Microsoft.Network/privateEndpoints resource.", "properties.privateEndpoint.id")
                pec = PrivateEndpointConnection(
                    key=d.ids.new_id(), workspace_key=ws.key, name=name, private_endpoint_id=endpoint_id,  # type: ignore[arg-type]
                    status=status or ConnectionStatus.PENDING, description=description or "",
                    actions_required="None", created_at=now, modified_at=now)
                uow.private_endpoint_connections.add(pec)
            else:
                if status is None:
                    raise invalid("InvalidRequestContent", "properties.privateLinkServiceConnectionState.status is "
                                  "required.", "properties.privateLinkServiceConnectionState.status")
                pec = existing.answered(status, description, now)
                uow.private_endpoint_connections.save(pec)
            record_write(d, uow, caller, scope=f"{ws.arm_id}/privateEndpointConnections/{name}")
            uow.commit()
        return ws, pec, existing is None

    def delete(self, caller: Caller, sub_id: str, rg: str, ws_name: str, name: str) -> bool:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _not_a_project(uow, writable(require_workspace(uow, caller, sub_id, rg, ws_name)))
            found = uow.private_endpoint_connections.get(ws.key, name)
            if found is None:
                return False
            uow.private_endpoint_connections.delete(found.key)
            record_write(d, uow, caller, scope=f"{ws.arm_id}/privateEndpointConnections/{name}")
            uow.commit()
        return True



def _owner(uow: UnitOfWork, ws: Workspace) -> Workspace:
    """Whose connections a workspace shows: a project's are its hub's (one private endpoint on the
    hub serves the hub and its projects), read from the hub at every use."""
    return hub_of(uow, ws) or ws


def _not_a_project(uow: UnitOfWork, ws: Workspace) -> Workspace:
    """Connections are made and answered on the hub, never on one of its projects."""
    hub = hub_of(uow, ws)
    if hub is not None:
        raise project_private_endpoint_refused(ws, hub)
    return ws
