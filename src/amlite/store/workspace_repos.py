"""Repositories for workspaces and their datastores.

A workspace row points at its resource group by surrogate key; its ARM id is built from the
group's current subscription and name on every read, so a move rewrites one pointer.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from amlite.domain.resources import Datastore, ProvisioningState, Workspace, WorkspaceKind
from amlite.store import tables as t
from amlite.domain.paging import Page
from amlite.store.resource_repos import paged, soft_delete_of, soft_delete_values, stamp_of, stamp_values

_ws = t.workspaces
_rg = t.resource_groups


class WorkspaceRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, ws: Workspace) -> None:
        self._conn.execute(_ws.insert().values(key=ws.key, **_values(ws)))

    def save(self, ws: Workspace) -> None:
        self._conn.execute(_ws.update().where(_ws.c.key == ws.key).values(**_values(ws)))

    def get(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        """The live workspace of that name (a soft-deleted one is not found: ``deleted_get``)."""
        row = self._conn.execute(_BY_NAMES, {"sub": sub_id.lower(), "rg": rg_name.lower(), "name": name.lower()}).first()
        return _workspace(row) if row else None

    def by_key(self, key: str) -> Workspace | None:
        """The live workspace with that key; ``any_by_key`` finds a soft-deleted one too."""
        row = self._conn.execute(_BY_KEY, {"key": key}).first()
        return _workspace(row) if row else None

    def any_by_key(self, key: str) -> Workspace | None:
        row = self._conn.execute(_select(None).where(_ws.c.key == key)).first()
        return _workspace(row) if row else None

    def by_workspace_id(self, workspace_id: str) -> Workspace | None:
        """The live workspace whose ``workspaceId`` (its GUID, as asset ids name it) this is."""
        row = self._conn.execute(_select().where(_ws.c.workspace_id == workspace_id.lower(),
                                                 _ws.c.deleted_at.is_(None))).first()
        return _workspace(row) if row else None

    def deleted_get(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        """The soft-deleted workspace of that name in that group, if any."""
        row = self._conn.execute(_select(deleted=True).where(
            _rg.c.subscription_id == sub_id.lower(), _rg.c.name_lower == rg_name.lower(),
            _ws.c.name_lower == name.lower())).first()
        return _workspace(row) if row else None

    def list_deleted(self, sub_id: str, offset: int, limit: int) -> Page[Workspace]:
        query = _select(deleted=True).where(_rg.c.subscription_id == sub_id.lower())
        return paged(self._conn, query.order_by(_rg.c.name_lower, _ws.c.name_lower), offset, limit, _workspace)

    def purge_due(self, now: datetime, limit: int) -> list[Workspace]:
        """Soft-deleted workspaces whose retention ended by ``now``, the oldest first."""
        query = _select(deleted=True).where(_ws.c.purge_at <= now).order_by(_ws.c.purge_at).limit(limit)
        return [_workspace(r) for r in self._conn.execute(query)]

    def list_in_group(self, rg_key: str, offset: int, limit: int, names: set[str] | None = None,
                      include_deleted: bool = False) -> Page[Workspace]:
        """``names`` (lower-cased, when given) keeps only those workspaces: the caller's readable ones.
        ``include_deleted``: soft-deleted ones too (the group's own delete purges them)."""
        query = _select(None if include_deleted else False).where(_ws.c.resource_group_key == rg_key)
        if names is not None:
            query = query.where(_ws.c.name_lower.in_(sorted(names)))
        return paged(self._conn, query.order_by(_ws.c.name_lower), offset, limit, _workspace)

    def list_in_subscription(self, sub_id: str, offset: int, limit: int, groups: set[str] | None = None,
                             pairs: set[tuple[str, str]] | None = None) -> Page[Workspace]:
        """With ``groups``/``pairs`` (lower-cased) only the workspaces in those groups, or those
        (group, workspace) pairs: what the caller may read. ``None`` for both: every workspace."""
        query = _select().where(_rg.c.subscription_id == sub_id.lower())
        if groups is not None or pairs is not None:
            query = query.where(sa.or_(
                sa.false(), _rg.c.name_lower.in_(sorted(groups or ())),
                *(sa.and_(_rg.c.name_lower == g, _ws.c.name_lower == w) for g, w in sorted(pairs or ())),
            ))
        return paged(self._conn, query.order_by(_rg.c.name_lower, _ws.c.name_lower), offset, limit, _workspace)

    def names_in_group(self, rg_key: str) -> list[str]:
        query = sa.select(_ws.c.name).where(_ws.c.resource_group_key == rg_key, _ws.c.deleted_at.is_(None)).order_by(
            _ws.c.name_lower)
        return [r.name for r in self._conn.execute(query)]

    def count_in_subscription(self, sub_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(_ws.join(_rg, _rg.c.key == _ws.c.resource_group_key)).where(
            _rg.c.subscription_id == sub_id.lower(), _ws.c.deleted_at.is_(None)
        )
        return int(self._conn.execute(query).scalar_one())

    def projects_of(self, hub_key: str, include_deleted: bool = False) -> list[Workspace]:
        """The hub's project workspaces, by name (the soft-deleted ones too with ``include_deleted``)."""
        return [_workspace(r) for r in self._conn.execute(
            _select(None if include_deleted else False).where(_ws.c.hub_key == hub_key).order_by(_ws.c.name_lower))]

    def delete(self, key: str) -> None:
        self._conn.execute(_ws.delete().where(_ws.c.key == key))

    def add_former_id(self, key: str, ws_key: str, sub_id: str, rg_name: str, name: str, at: datetime) -> None:
        self._conn.execute(t.workspace_former_ids.insert().values(
            key=key, workspace_key=ws_key, subscription_id=sub_id.lower(), resource_group_lower=rg_name.lower(),
            name_lower=name.lower(), moved_at=at))

    def by_former_id(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        """The workspace last moved away from these ids."""
        f = t.workspace_former_ids
        query = (_select().join(f, f.c.workspace_key == _ws.c.key)
                 .where(f.c.subscription_id == sub_id.lower(), f.c.resource_group_lower == rg_name.lower(),
                        f.c.name_lower == name.lower())
                 .order_by(f.c.moved_at.desc()).limit(1))
        row = self._conn.execute(query).first()
        return _workspace(row) if row else None


def _select(deleted: bool | None = False) -> sa.Select:  # type: ignore[type-arg]
    """Workspaces joined with their group: the live ones, the soft-deleted ones (``deleted``), or
    both (``None``)."""
    query = sa.select(_ws, _rg.c.subscription_id, _rg.c.name.label("rg_name")).join(
        _rg, _rg.c.key == _ws.c.resource_group_key
    )
    if deleted is None:
        return query
    return query.where(_ws.c.deleted_at.is_not(None) if deleted else _ws.c.deleted_at.is_(None))


def _values(ws: Workspace) -> dict[str, object]:
    return {
        "resource_group_key": ws.resource_group_key, "name": ws.name, "name_lower": ws.name.lower(),
        "kind": ws.kind.value, "location": ws.location, "workspace_id": ws.workspace_id,
        "friendly_name": ws.friendly_name, "description": ws.description, "tags": ws.tags, "etag": ws.etag,
        "identity_principal_id": ws.identity_principal_id, "provisioning_state": ws.provisioning_state.value,
        "associated": ws.associated, "hub_key": ws.hub_key, "settings": ws.settings, **stamp_values(ws.stamp),
        **soft_delete_values(ws.soft_delete),
    }


def _workspace(row: sa.Row) -> Workspace:  # type: ignore[type-arg]
    return Workspace(
        key=row.key, resource_group_key=row.resource_group_key, subscription_id=row.subscription_id,
        resource_group_name=row.rg_name, name=row.name, kind=WorkspaceKind(row.kind), location=row.location,
        workspace_id=row.workspace_id, tags=dict(row.tags or {}), etag=row.etag, stamp=stamp_of(row),
        friendly_name=row.friendly_name, description=row.description,
        identity_principal_id=row.identity_principal_id,
        provisioning_state=ProvisioningState(row.provisioning_state), associated=dict(row.associated or {}),
        hub_key=row.hub_key, settings=dict(row.settings or {}), soft_delete=soft_delete_of(row),
    )



# The lookups of every workspace request, built once: building and keying a statement costs more
# than executing it on SQLite.
_BY_NAMES = _select().where(_rg.c.subscription_id == sa.bindparam("sub"), _rg.c.name_lower == sa.bindparam("rg"),
                            _ws.c.name_lower == sa.bindparam("name"))
_BY_KEY = _select().where(_ws.c.key == sa.bindparam("key"))
_DATASTORES_OF = (sa.select(t.datastores).where(t.datastores.c.workspace_key == sa.bindparam("ws"))
                  .order_by(t.datastores.c.name_lower))


class DatastoreRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, ds: Datastore) -> None:
        self._conn.execute(t.datastores.insert().values(key=ds.key, **_datastore_values(ds)))

    def save(self, ds: Datastore) -> None:
        self._conn.execute(t.datastores.update().where(t.datastores.c.key == ds.key).values(**_datastore_values(ds)))

    def get(self, ws_key: str, name: str) -> Datastore | None:
        row = self._conn.execute(
            sa.select(t.datastores).where(t.datastores.c.workspace_key == ws_key, t.datastores.c.name_lower == name.lower())
        ).first()
        return _datastore(row) if row else None

    def of_workspace(self, ws_key: str) -> list[Datastore]:
        return [_datastore(r) for r in self._conn.execute(_DATASTORES_OF, {"ws": ws_key})]

    def list(self, ws_key: str, offset: int, limit: int) -> Page[Datastore]:
        query = sa.select(t.datastores).where(t.datastores.c.workspace_key == ws_key).order_by(t.datastores.c.name_lower)
        return paged(self._conn, query, offset, limit, _datastore)  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self._conn.execute(t.datastores.delete().where(t.datastores.c.key == key))

    def delete_of_workspace(self, ws_key: str) -> None:
        self._conn.execute(t.datastores.delete().where(t.datastores.c.workspace_key == ws_key))


def _datastore_values(ds: Datastore) -> dict[str, object]:
    return {
        "workspace_key": ds.workspace_key, "name": ds.name, "name_lower": ds.name.lower(),
        "datastore_type": ds.datastore_type, "account_name": ds.account_name, "container_name": ds.container_name,
        "endpoint": ds.endpoint, "protocol": ds.protocol, "subscription_id": ds.subscription_id,
        "resource_group_name": ds.resource_group_name, "is_default": ds.is_default, "created_at": ds.created_at,
        "credentials_type": ds.credentials_type, "secret_name": ds.secret_name, "description": ds.description,
        "tags": ds.tags,
    }


def _datastore(row: sa.Row) -> Datastore:  # type: ignore[type-arg]
    return Datastore(
        key=row.key, workspace_key=row.workspace_key, name=row.name, datastore_type=row.datastore_type,
        account_name=row.account_name, container_name=row.container_name, endpoint=row.endpoint,
        protocol=row.protocol, subscription_id=row.subscription_id, resource_group_name=row.resource_group_name,
        is_default=row.is_default, created_at=row.created_at, credentials_type=row.credentials_type,
        secret_name=row.secret_name, description=row.description, tags=dict(row.tags or {}),
    )
