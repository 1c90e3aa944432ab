"""Standby endpoint definitions of paired workspaces (domain/warm_endpoints.py)."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.warm_endpoints import StandbyEndpoint
from amlite.store import tables as t

_s = t.standby_endpoints


def _standby(row: sa.Row) -> StandbyEndpoint:  # type: ignore[type-arg]
    return StandbyEndpoint(row.key, row.pair_key, row.name, row.source_key, dict(row.definition), row.fingerprint,
                           row.copied_at)


class StandbyEndpointRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def save(self, standby: StandbyEndpoint) -> None:
        """Insert, or replace the pair's standby of the same name."""
        self._conn.execute(_s.delete().where(_s.c.pair_key == standby.pair_key,
                                             _s.c.name_lower == standby.name.lower()))
        self._conn.execute(_s.insert().values(
            key=standby.key, pair_key=standby.pair_key, name=standby.name, name_lower=standby.name.lower(),
            source_key=standby.source_key, definition=standby.definition, fingerprint=standby.fingerprint,
            copied_at=standby.copied_at))

    def of_pair(self, pair_key: str) -> list[StandbyEndpoint]:
        query = sa.select(_s).where(_s.c.pair_key == pair_key).order_by(_s.c.name_lower)
        return [_standby(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_s.delete().where(_s.c.key == key))
