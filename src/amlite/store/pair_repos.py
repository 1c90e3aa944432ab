"""Paired workspaces (domain/pairs.py)."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.pairs import PairMode, WorkspacePair
from amlite.store import tables as t

_p = t.workspace_pairs


def _pair(row: sa.Row) -> WorkspacePair:  # type: ignore[type-arg]
    return WorkspacePair(row.key, row.tenant_id, row.name, row.primary_key, row.secondary_key, PairMode(row.mode),
                         {k: PairMode(v) for k, v in (row.per_kind or {}).items()}, row.created_at, row.created_by,
                         bool(row.failed_over), bool(row.auto_failover), int(row.failover_after_seconds),
                         tuple(row.history or ()))


class WorkspacePairRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, pair: WorkspacePair) -> None:
        self._conn.execute(_p.insert().values(
            key=pair.key, tenant_id=pair.tenant_id, name=pair.name, name_lower=pair.name.lower(),
            primary_key=pair.primary_key, secondary_key=pair.secondary_key, mode=pair.mode.value,
            per_kind={k: m.value for k, m in pair.per_kind.items()}, created_at=pair.created_at,
            created_by=pair.created_by, **_switch_columns(pair)))

    def save(self, pair: WorkspacePair) -> None:
        """Store what a switch changes: the active side, the automatic failover, the history."""
        self._conn.execute(_p.update().where(_p.c.key == pair.key).values(**_switch_columns(pair)))

    def by_name(self, tenant_id: str, name: str) -> WorkspacePair | None:
        row = self._conn.execute(sa.select(_p).where(_p.c.tenant_id == tenant_id,
                                                     _p.c.name_lower == name.lower())).first()
        return _pair(row) if row else None

    def by_key(self, key: str) -> WorkspacePair | None:
        row = self._conn.execute(sa.select(_p).where(_p.c.key == key)).first()
        return _pair(row) if row else None

    def of_primary(self, workspace_key: str) -> list[WorkspacePair]:
        return [_pair(r) for r in self._conn.execute(sa.select(_p).where(_p.c.primary_key == workspace_key))]

    def of_workspace(self, workspace_key: str) -> list[WorkspacePair]:
        """The pairs the workspace is either side of."""
        query = sa.select(_p).where(sa.or_(_p.c.primary_key == workspace_key, _p.c.secondary_key == workspace_key))
        return [_pair(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_p.delete().where(_p.c.key == key))

    def list(self, tenant_id: str | None = None) -> list[WorkspacePair]:
        query = sa.select(_p).order_by(_p.c.name_lower)
        if tenant_id is not None:
            query = query.where(_p.c.tenant_id == tenant_id)
        return [_pair(r) for r in self._conn.execute(query)]


def _switch_columns(pair: WorkspacePair) -> dict[str, object]:
    return {"failed_over": pair.failed_over, "auto_failover": pair.auto_failover,
            "failover_after_seconds": pair.failover_after_seconds, "history": list(pair.history)}
