"""The in-memory store's workspace connections (the SQL store's ``connection_repos``), for
service tests without a database."""

from __future__ import annotations

from collections.abc import Sequence

from amlite.domain.connections import WorkspaceConnection
from amlite.store.memory_tx import Tx, unique


class MemoryWorkspaceConnections:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, item: WorkspaceConnection) -> None:
        unique(item.key in self._tx.rows.workspace_connections
               or self.get(item.workspace_key, item.name) is not None)
        self._tx.write().workspace_connections[item.key] = item

    def save(self, item: WorkspaceConnection) -> None:
        if item.key in self._tx.rows.workspace_connections:
            self._tx.write().workspace_connections[item.key] = item

    def get(self, ws_key: str, name: str) -> WorkspaceConnection | None:
        return next((c for c in self._tx.rows.workspace_connections.values()
                     if c.workspace_key == ws_key and c.name.lower() == name.lower()), None)

    def of_workspaces(self, ws_keys: Sequence[str], category: str | None = None,
                      target: str | None = None) -> list[WorkspaceConnection]:
        found = [c for c in self._tx.rows.workspace_connections.values() if c.workspace_key in set(ws_keys)
                 and (category is None or c.category == category) and (target is None or c.target == target)]
        return sorted(found, key=lambda c: (c.name.lower(), c.key))

    def delete(self, key: str) -> None:
        self._tx.write().workspace_connections.pop(key, None)


def drop_connections_of_workspace(tx: Tx, ws_key: str) -> None:
    """What ``ON DELETE CASCADE`` does in SQL when a workspace row goes."""
    rows = tx.rows.workspace_connections
    if any(c.workspace_key == ws_key for c in rows.values()):
        tx.write().workspace_connections = {k: c for k, c in rows.items() if c.workspace_key != ws_key}
