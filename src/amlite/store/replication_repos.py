"""The durable replication queue: one ``replication_tasks`` row per (registry version, region).

Workers claim a due task by writing a lease on it. PostgreSQL claims with
``FOR UPDATE SKIP LOCKED``, so several workers (threads or processes) each take a different row
at once; SQLite has one writer at a time (``BEGIN IMMEDIATE``), which serializes claims by
itself. A task is due when it has not started, when its retry time has come after a failure,
or when it is ``InProgress`` under a lease that expired (its worker died).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from amlite.domain.replication import ReplicationState, ReplicationTask
from amlite.store import tables as t

_t = t.replication_tasks


def _values(task: ReplicationTask) -> dict[str, Any]:
    return {
        "version_key": task.version_key, "registry_key": task.registry_key, "region": task.region,
        "state": task.state.value, "reason": task.reason, "attempts": task.attempts,
        "next_attempt_at": task.next_attempt_at, "last_attempt_at": task.last_attempt_at,
        "lease_owner": task.lease_owner, "lease_expires_at": task.lease_expires_at,
        "created_at": task.created_at, "updated_at": task.updated_at,
    }


def _task(row: sa.Row) -> ReplicationTask:  # type: ignore[type-arg]
    return ReplicationTask(
        key=row.key, version_key=row.version_key, registry_key=row.registry_key, region=row.region,
        state=ReplicationState(row.state), attempts=int(row.attempts), created_at=row.created_at,
        updated_at=row.updated_at, reason=row.reason, next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at, lease_owner=row.lease_owner, lease_expires_at=row.lease_expires_at,
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    waiting = sa.and_(_t.c.state.in_([ReplicationState.NOT_STARTED.value, ReplicationState.FAILED.value]),
                      _t.c.next_attempt_at.is_not(None), _t.c.next_attempt_at <= now)
    orphaned = sa.and_(_t.c.state == ReplicationState.IN_PROGRESS.value,
                       sa.or_(_t.c.lease_expires_at.is_(None), _t.c.lease_expires_at < now))
    return sa.or_(waiting, orphaned)


class ReplicationTaskRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add_missing(self, tasks: list[ReplicationTask]) -> int:
        """Insert the tasks whose (version, region) has none yet; returns how many were new. A
        back-fill that runs twice, or races a create, adds each task once."""
        if not tasks:
            return 0
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        added = 0
        for task in tasks:
            stmt = dialect.insert(_t).values(key=task.key, **_values(task))
            result = self._conn.execute(stmt.on_conflict_do_nothing(index_elements=["version_key", "region"]))
            added += result.rowcount or 0
        return added

    def save(self, task: ReplicationTask) -> None:
        self._conn.execute(_t.update().where(_t.c.key == task.key).values(**_values(task)))

    def get(self, key: str) -> ReplicationTask | None:
        row = self._conn.execute(sa.select(_t).where(_t.c.key == key)).first()
        return _task(row) if row else None

    def of_versions(self, version_keys: list[str]) -> dict[str, list[ReplicationTask]]:
        """Each version's tasks, by version key."""
        found: dict[str, list[ReplicationTask]] = {key: [] for key in version_keys}
        if version_keys:
            for row in self._conn.execute(sa.select(_t).where(_t.c.version_key.in_(version_keys))):
                found[row.version_key].append(_task(row))
        return found

    def claim_next(self, owner: str, now: datetime, lease: Any) -> ReplicationTask | None:
        """Lease the task that has been due the longest, or return None."""
        query = sa.select(_t).where(_due(now)).order_by(_t.c.updated_at).limit(1)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._conn.execute(query).first()
        if row is None:
            return None
        claimed = _task(row).claimed(owner, now, lease)
        self.save(claimed)
        return claimed

    def next_due_at(self) -> datetime | None:
        """When the earliest waiting task becomes due (a worker sleeps until then at most)."""
        return self._conn.execute(  # type: ignore[no-any-return]
            sa.select(sa.func.min(_t.c.next_attempt_at)).where(
                _t.c.state.in_([ReplicationState.NOT_STARTED.value, ReplicationState.FAILED.value]))
        ).scalar()

    def delete(self, key: str) -> None:
        self._conn.execute(_t.delete().where(_t.c.key == key))

    def delete_region(self, registry_key: str, region: str) -> int:
        """Forget a removed region's tasks (its storage goes with it)."""
        result = self._conn.execute(_t.delete().where(_t.c.registry_key == registry_key, _t.c.region == region))
        return result.rowcount or 0

    def release_leases(self) -> int:
        """SQLite at start: one server per file, so every lease belongs to a dead process."""
        result = self._conn.execute(
            _t.update().where(_t.c.state == ReplicationState.IN_PROGRESS.value, _t.c.lease_owner.is_not(None))
            .values(lease_owner=None, lease_expires_at=None)
        )
        return result.rowcount or 0

    def count_by_state(self, registry_key: str | None = None) -> dict[str, int]:
        query = sa.select(_t.c.state, sa.func.count()).group_by(_t.c.state)
        if registry_key is not None:
            query = query.where(_t.c.registry_key == registry_key)
        return {row[0]: int(row[1]) for row in self._conn.execute(query)}

    def version_keys_of_registry(self, registry_key: str) -> list[str]:
        """Every version of a registry (the back-fill's input when a region is added)."""
        c, v = t.registry_asset_containers, t.registry_asset_versions
        query = sa.select(v.c.key).join(c, c.c.key == v.c.container_key).where(c.c.registry_key == registry_key)
        return [row.key for row in self._conn.execute(query)]
