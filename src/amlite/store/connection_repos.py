"""The repository of workspace connections (``workspace_connections``). Their credentials are
not here: they are sealed in the ``secrets`` table, which ``SecretRepository`` owns."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from amlite.domain.connections import WorkspaceConnection
from amlite.store import tables as t
from amlite.store.resource_repos import stamp_of, stamp_values

_c = t.workspace_connections


class WorkspaceConnectionRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, item: WorkspaceConnection) -> None:
        self._conn.execute(_c.insert().values(key=item.key, **_values(item)))

    def save(self, item: WorkspaceConnection) -> None:
        self._conn.execute(_c.update().where(_c.c.key == item.key).values(**_values(item)))

    def get(self, ws_key: str, name: str) -> WorkspaceConnection | None:
        row = self._conn.execute(sa.select(_c).where(_c.c.workspace_key == ws_key,
                                                     _c.c.name_lower == name.lower())).first()
        return _connection(row) if row else None

    def of_workspaces(self, ws_keys: Sequence[str], category: str | None = None,
                      target: str | None = None) -> list[WorkspaceConnection]:
        """The connections of these workspaces, by name; ``category`` (Azure's spelling) and
        ``target`` keep only those that match."""
        if not ws_keys:
            return []
        query = sa.select(_c).where(_c.c.workspace_key.in_(list(ws_keys)))
        if category is not None:
            query = query.where(_c.c.category == category)
        if target is not None:
            query = query.where(_c.c.target == target)
        return [_connection(r) for r in self._conn.execute(query.order_by(_c.c.name_lower, _c.c.key))]

    def delete(self, key: str) -> None:
        self._conn.execute(_c.delete().where(_c.c.key == key))


def _values(item: WorkspaceConnection) -> dict[str, object]:
    return {
        "workspace_key": item.workspace_key, "name": item.name, "name_lower": item.name.lower(),
        "category": item.category, "auth_type": item.auth_type, "target": item.target, "meta": item.metadata,
        "is_shared_to_all": item.is_shared_to_all, "expiry_time": item.expiry_time, "secret_name": item.secret_name,
        **stamp_values(item.stamp),
    }


def _connection(row: sa.Row) -> WorkspaceConnection:  # type: ignore[type-arg]
    return WorkspaceConnection(
        key=row.key, workspace_key=row.workspace_key, name=row.name, category=row.category,
        auth_type=row.auth_type, target=row.target, stamp=stamp_of(row), metadata=dict(row.meta or {}),
        is_shared_to_all=bool(row.is_shared_to_all), expiry_time=row.expiry_time, secret_name=row.secret_name,
    )
