"""The server's keys (domain/server_keys.py): one row per key, never a plaintext decision here.
Two servers making the same key at once both insert; the primary key lets one win, and the
loser's unit of work fails with a ``Conflict`` and reads the winner's."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from amlite.domain.server_keys import StoredKey
from amlite.store import tables as t


class ServerKeyRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> StoredKey | None:
        table = t.server_keys
        row = self._conn.execute(sa.select(table).where(table.c.name == name)).first()
        return StoredKey(row.name, row.material, row.wrapped_by) if row else None

    def add(self, key: StoredKey, at: datetime) -> None:
        self._conn.execute(t.server_keys.insert().values(
            name=key.name, material=key.material, wrapped_by=key.wrapped_by, created_at=at, updated_at=at))

    def save(self, key: StoredKey, at: datetime) -> None:
        table = t.server_keys
        self._conn.execute(table.update().where(table.c.name == key.name)
                           .values(material=key.material, wrapped_by=key.wrapped_by, updated_at=at))
