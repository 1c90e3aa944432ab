"""Repository of workspaces' private endpoint connections."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.private_endpoints import ConnectionStatus, PrivateEndpointConnection
from amlite.store import tables as t

_pec = t.private_endpoint_connections


class PrivateEndpointConnectionRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, pec: PrivateEndpointConnection) -> None:
        self._conn.execute(_pec.insert().values(key=pec.key, **_values(pec)))

    def save(self, pec: PrivateEndpointConnection) -> None:
        self._conn.execute(_pec.update().where(_pec.c.key == pec.key).values(**_values(pec)))

    def get(self, ws_key: str, name: str) -> PrivateEndpointConnection | None:
        row = self._conn.execute(sa.select(_pec).where(_pec.c.workspace_key == ws_key,
                                                       _pec.c.name_lower == name.lower())).first()
        return _connection(row) if row else None

    def of_workspace(self, ws_key: str) -> list[PrivateEndpointConnection]:
        query = sa.select(_pec).where(_pec.c.workspace_key == ws_key).order_by(_pec.c.name_lower)
        return [_connection(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_pec.delete().where(_pec.c.key == key))


def _values(pec: PrivateEndpointConnection) -> dict[str, object]:
    return {"workspace_key": pec.workspace_key, "name": pec.name, "name_lower": pec.name.lower(),
            "private_endpoint_id": pec.private_endpoint_id, "status": pec.status.value,
            "description": pec.description, "actions_required": pec.actions_required,
            "created_at": pec.created_at, "modified_at": pec.modified_at}


def _connection(row: sa.Row) -> PrivateEndpointConnection:  # type: ignore[type-arg]
    return PrivateEndpointConnection(
        key=row.key, workspace_key=row.workspace_key, name=row.name, private_endpoint_id=row.private_endpoint_id,
        status=ConnectionStatus(row.status), description=row.description, actions_required=row.actions_required,
        created_at=row.created_at, modified_at=row.modified_at)
