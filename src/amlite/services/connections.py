"""Workspace connection use cases: create or replace (PUT), update (PATCH), read, list, delete,
and ``listsecrets``, the one way to read a connection's credentials.

Credentials are sealed into the owning workspace's secret namespace in the same unit of work as
the connection row; the row names them (``secret_name``) and nothing else holds them. Reads and
listings never return them, and the audit log records only who did what to which connection.

Which workspaces' connections a workspace sees is decided once, by :func:`connection_owners`:
reads, listings and ``listsecrets`` go through it, writes only ever touch the workspace's own
connections. A connection seen from another owner (a hub's, seen from its project) is shown
under its owner's id, with ``createdByWorkspaceArmId`` naming the owner, as Azure does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from collections.abc import Callable
from typing import Any

from amlite.domain.connections import (
    WorkspaceConnection,
    auth_type_of,
    category_of,
    check_connection_name,
    check_credentials,
    secret_name_of,
)
from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.resources import AuditStamp, Workspace
from amlite.ports import UnitOfWork
from amlite.schemas.arm_connections import ConnectionBody, ConnectionProperties
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.secrets import SecretNamespace
from amlite.services.workspace_scope import require_workspace, writable
from amlite.services.hubs import hub_of

P = "properties"
_MAX_TARGET = 2048
_MAX_METADATA = 100


def connection_owners(uow: UnitOfWork, workspace: Workspace) -> list[Workspace]:
    """The workspaces whose connections ``workspace`` sees, its own first: a name found in an
    earlier one hides the same name further on.

    A workspace sees its own connections. A project also sees the connections of its hub (they
    are shared with every project of the hub); a project's own connections are not in any other
    workspace's list, so sibling projects never see each other's.
    """
    hub = hub_of(uow, workspace)
    return [workspace] if hub is None else [workspace, hub]


#: What decides whose connections a workspace sees (``connection_owners``, unless a test says otherwise).
Owners = Callable[[UnitOfWork, Workspace], list[Workspace]]


@dataclass(frozen=True)
class ConnectionView:
    """A connection as ``viewer`` sees it; ``owner`` holds it (the viewer itself, or its hub)."""

    viewer: Workspace
    owner: Workspace
    connection: WorkspaceConnection

    @property
    def arm_id(self) -> str:
        return f"{self.owner.arm_id}/connections/{self.connection.name}"

    @property
    def shared(self) -> bool:
        """Seen from another workspace than the one that holds it."""
        return self.owner.key != self.viewer.key


@dataclass(frozen=True)
class ConnectionSecrets:
    view: ConnectionView
    credentials: dict[str, Any]


@dataclass(frozen=True)
class _Fields:
    """A body, judged: the connection's fields and its credentials (``None``: none to keep)."""

    category: str
    auth_type: str
    target: str
    metadata: dict[str, str]
    is_shared_to_all: bool
    expiry_time: datetime | None
    credentials: dict[str, Any] | None


class ConnectionService:
    def __init__(self, deps: Deps, secrets: SecretNamespace, owners: Owners = connection_owners) -> None:
        self._deps = deps
        self._secrets = secrets
        self._owners = owners

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                         body: ConnectionBody) -> tuple[ConnectionView, bool]:
        """PUT: the whole connection, replacing any of the workspace's own of that name."""
        check_connection_name(name)
        self._workspace(caller, sub_id, rg_name, ws_name)  # a missing workspace is 404 before the body is judged
        fields = _judge(_properties(body), previous=None)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            existing = uow.workspace_connections.get(ws.key, name)
            item = self._store(uow, caller, ws, name, existing, fields)
            view = ConnectionView(ws, ws, item)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view, existing is None

    def update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
               body: ConnectionBody) -> ConnectionView:
        """PATCH: the fields given replace the connection's, the rest stay. Credentials not given
        stay too, unless ``authType`` changes (then the new type's credentials are required)."""
        check_connection_name(name)
        self._workspace(caller, sub_id, rg_name, ws_name)
        props = _properties(body)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            existing = self._own(uow, ws, name)
            fields = _judge(props, previous=existing)
            item = self._store(uow, caller, ws, name, existing, fields)
            view = ConnectionView(ws, ws, item)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> ConnectionView:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            return _find(self._owners(uow, ws), ws, uow, name)

    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, category: str | None = None,
             target: str | None = None) -> list[ConnectionView]:
        """Every connection the workspace sees (its own, then those shared with it), by name;
        ``category`` and ``target`` filter as Azure's list does."""
        wanted = category_of(category, "category") if category is not None else None
        if target is not None and ("\x00" in target or len(target) > _MAX_TARGET):
            raise invalid("InvalidRequestContent", f"target must be text of at most {_MAX_TARGET} characters "
                          "without NUL.", "target")
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            return _visible(self._owners(uow, ws), ws, uow, wanted, target)

    def delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> bool:
        """Remove one of the workspace's own connections and its credentials; ``False`` when it
        has none of that name (ARM answers 204)."""
        check_connection_name(name)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            item = uow.workspace_connections.get(ws.key, name)
            if item is None:
                _refuse_shared(self._owners(uow, ws), ws, uow, name)
                return False
            if item.secret_name:
                self._secrets.delete(uow, ws.key, item.secret_name)
            uow.workspace_connections.delete(item.key)
            record_write(d, uow, caller, scope=ConnectionView(ws, ws, item).arm_id)
            uow.commit()
        return True

    def list_secrets(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> ConnectionSecrets:
        """The connection with its credentials, read from its owner's secret namespace (a hub's
        shared connection is usable by its projects, so they read its credentials too)."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            view = _find(self._owners(uow, ws), ws, uow, name)
            secret = view.connection.secret_name
            sealed = self._secrets.get(uow, view.owner.key, secret) if secret else None
            # Who read a connection's credentials is in the activity log (never what they read).
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return ConnectionSecrets(view, json.loads(sealed) if sealed else {})

    def _store(self, uow: UnitOfWork, caller: Caller, ws: Workspace, name: str,
               existing: WorkspaceConnection | None, fields: _Fields) -> WorkspaceConnection:
        now = self._deps.clock.now()
        secret_name = secret_name_of(name)
        keeps_secret = fields.credentials is None and existing is not None and existing.secret_name is not None
        has_secret = bool(fields.credentials) or keeps_secret
        values: dict[str, Any] = {"category": fields.category, "auth_type": fields.auth_type, "target": fields.target,
                  "metadata": fields.metadata, "is_shared_to_all": fields.is_shared_to_all,
                  "expiry_time": fields.expiry_time, "secret_name": secret_name if has_secret else None}
        if existing is None:
            item = WorkspaceConnection(key=self._deps.ids.new_id(), workspace_key=ws.key, name=name,
                                       stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name,
                                                        caller.stamp_type, now), **values)
            uow.workspace_connections.add(item)
        else:
            item = replace(existing, stamp=existing.stamp.touched(caller.name, caller.stamp_type, now), **values)
            uow.workspace_connections.save(item)
        if fields.credentials:
            self._secrets.put(uow, ws.key, secret_name, json.dumps(fields.credentials, sort_keys=True))
        elif not keeps_secret:
            self._secrets.delete(uow, ws.key, secret_name)
        return item

    def _own(self, uow: UnitOfWork, ws: Workspace, name: str) -> WorkspaceConnection:
        item = uow.workspace_connections.get(ws.key, name)
        if item is None:
            _refuse_shared(self._owners(uow, ws), ws, uow, name)
            raise connection_not_found(ws, name)
        return item

    def _workspace(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> Workspace:
        with self._deps.uow() as uow:
            return require_workspace(uow, caller, sub_id, rg_name, ws_name)


def connection_not_found(ws: Workspace, name: str) -> NotFound:
    return NotFound("ResourceNotFound", f"The connection '{name}' does not exist in workspace '{ws.name}'.")


def _visible(owners: list[Workspace], ws: Workspace, uow: UnitOfWork, category: str | None,
             target: str | None) -> list[ConnectionView]:
    rank = {owner.key: i for i, owner in enumerate(owners)}
    by_key = {owner.key: owner for owner in owners}
    found = uow.workspace_connections.of_workspaces([o.key for o in owners], category, target)
    seen: dict[str, ConnectionView] = {}
    for item in sorted(found, key=lambda c: rank[c.workspace_key]):
        seen.setdefault(item.name.lower(), ConnectionView(ws, by_key[item.workspace_key], item))
    return [seen[k] for k in sorted(seen)]


def _find(owners: list[Workspace], ws: Workspace, uow: UnitOfWork, name: str) -> ConnectionView:
    for owner in owners:
        item = uow.workspace_connections.get(owner.key, name)
        if item is not None:
            return ConnectionView(ws, owner, item)
    raise connection_not_found(ws, name)


def _refuse_shared(owners: list[Workspace], ws: Workspace, uow: UnitOfWork, name: str) -> None:
    """A write to a connection the workspace only sees (its hub's) is refused, naming the owner."""
    for owner in owners:
        if owner.key == ws.key:
            continue
        if uow.workspace_connections.get(owner.key, name) is not None:
            raise Conflict("ConnectionSharedFromHub",
                           f"The connection '{name}' belongs to workspace '{owner.name}' and is shared with "
                           f"'{ws.name}'; change or delete it in '{owner.name}'.")


def _properties(body: ConnectionBody) -> ConnectionProperties:
    if body.properties is None:
        raise invalid("InvalidRequestContent", "properties must be an object.", P)
    return body.properties


def _judge(props: ConnectionProperties, previous: WorkspaceConnection | None) -> _Fields:
    """A PUT's properties (``previous`` ``None``) or a PATCH's over ``previous``, judged whole."""
    if props.category is not None:
        category = category_of(props.category)
    elif previous is not None:
        category = previous.category
    else:
        raise invalid("InvalidRequestContent", "A connection needs properties.category.", f"{P}.category")
    if props.auth_type is not None:
        auth_type = auth_type_of(props.auth_type)
    elif previous is not None:
        auth_type = previous.auth_type
    else:
        raise invalid("InvalidRequestContent", "A connection needs properties.authType.", f"{P}.authType")
    credentials: dict[str, Any] | None = None
    if props.credentials is not None or previous is None or auth_type != previous.auth_type:
        credentials = check_credentials(auth_type, props.credentials)
    target = props.target if props.target is not None else (previous.target if previous else "")
    if len(target) > _MAX_TARGET:
        raise invalid("InvalidRequestContent", f"target must be at most {_MAX_TARGET} characters.", f"{P}.target")
    metadata = dict(props.metadata) if props.metadata is not None else (dict(previous.metadata) if previous else {})
    if len(metadata) > _MAX_METADATA or any(len(k) > 256 or len(v) > 4096 for k, v in metadata.items()):
        raise invalid("InvalidRequestContent",
                      f"metadata holds at most {_MAX_METADATA} entries, names of at most 256 characters and values "
                      "of at most 4096.", f"{P}.metadata")
    shared = props.is_shared_to_all if props.is_shared_to_all is not None else (
        previous.is_shared_to_all if previous else False)
    expiry = _expiry(props.expiry_time) if props.expiry_time is not None else (previous.expiry_time if previous else None)
    return _Fields(category, auth_type, target, metadata, shared, expiry, credentials)


def _expiry(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid("InvalidRequestContent", "expiryTime must be an ISO 8601 date and time.",
                      f"{P}.expiryTime") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
