"""The durable task queue (``tasks``): every background job, whatever its kind.

A worker claims a due task by writing a lease on it. PostgreSQL selects it with
``FOR UPDATE SKIP LOCKED``, so several workers (threads or processes) each take a different row
at once; SQLite has one writer at a time (the unit of work begins ``BEGIN IMMEDIATE``), which
serializes claims by itself. ``dedupe_key`` is unique: ``add_missing`` inserts with
``ON CONFLICT DO NOTHING``, so the same work queued twice (a hook and the reconciler racing) is
one task.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from amlite.domain.replication import REPLICATE
from amlite.domain.tasks import Task, TaskState
from amlite.store import tables as t

_t = t.tasks


def _values(task: Task) -> dict[str, Any]:
    return {
        "kind": task.kind, "dedupe_key": task.dedupe_key, "subject_key": task.subject_key,
        "scope_key": task.scope_key, "payload": task.payload, "state": task.state.value, "attempts": task.attempts,
        "last_error": task.last_error, "next_run_at": task.next_run_at, "last_run_at": task.last_run_at,
        "lease_owner": task.lease_owner, "lease_expires_at": task.lease_expires_at,
        "heartbeat_at": task.heartbeat_at, "created_at": task.created_at, "updated_at": task.updated_at,
    }


def _task(row: sa.Row) -> Task:  # type: ignore[type-arg]
    return Task(
        key=row.key, kind=row.kind, dedupe_key=row.dedupe_key, created_at=row.created_at, updated_at=row.updated_at,
        payload=dict(row.payload or {}), subject_key=row.subject_key, scope_key=row.scope_key,
        state=TaskState(row.state), attempts=int(row.attempts), last_error=row.last_error,
        next_run_at=row.next_run_at, last_run_at=row.last_run_at, lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at, heartbeat_at=row.heartbeat_at,
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """``Task.is_due`` in SQL."""
    waiting = sa.and_(_t.c.state == TaskState.PENDING.value, _t.c.next_run_at.is_not(None), _t.c.next_run_at <= now)
    orphaned = sa.and_(_t.c.state == TaskState.RUNNING.value,
                       sa.or_(_t.c.lease_expires_at.is_(None), _t.c.lease_expires_at < now))
    return sa.or_(waiting, orphaned)


_rv, _rc, _rr, _reg = t.registry_asset_versions, t.registry_asset_containers, t.registry_regions, t.registries
#: Every registry version beside every region of its registry.
_COPIES = (_rv.join(_rc, _rc.c.key == _rv.c.container_key).join(_reg, _reg.c.key == _rc.c.registry_key)
           .join(_rr, _rr.c.registry_key == _reg.c.key))
#: ... but the primary, which holds the version already (``AssetOwner.replica_regions``).
_REPLICA = sa.func.lower(_rr.c.region) != sa.func.lower(_reg.c.location)


def _wanted_copies() -> tuple[sa.ColumnElement[str], ...]:
    """The columns of a wanted copy over ``_COPIES``, its task's ``dedupe_key`` built as
    ``domain.replication.copy_key`` builds it."""
    dedupe = sa.literal(f"{REPLICATE}:") + _rv.c.key + sa.literal(":") + sa.func.lower(_rr.c.region)
    return _rc.c.registry_key, _rv.c.key, _rr.c.region, dedupe


class TaskRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add_missing(self, tasks: list[Task]) -> int:
        """Insert the tasks whose ``dedupe_key`` has none yet; returns how many were new."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        added = 0
        for task in tasks:
            stmt = dialect.insert(_t).values(key=task.key, **_values(task))
            # RETURNING counts the rows inserted on both stores (psycopg's rowcount may be -1 here)
            inserted = self._conn.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
                                          .returning(_t.c.key)).first()
            added += inserted is not None
        return added

    def save(self, task: Task) -> None:
        self._conn.execute(_t.update().where(_t.c.key == task.key).values(**_values(task)))

    def get(self, key: str) -> Task | None:
        row = self._conn.execute(sa.select(_t).where(_t.c.key == key)).first()
        return _task(row) if row else None

    def next_due(self, now: datetime, kinds: list[str]) -> Task | None:
        """The task of ``kinds`` due the longest, locked for this transaction (skipped by other
        claimers)."""
        query = sa.select(_t).where(_due(now), _t.c.kind.in_(kinds)).order_by(_t.c.updated_at).limit(1)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._conn.execute(query).first()
        return _task(row) if row else None

    def next_event_at(self, kinds: list[str]) -> datetime | None:
        """When the next task of ``kinds`` falls due: a retry's time, or a running task's lease
        running out; ``datetime.min`` (UTC) when a running task holds no lease (released at a
        start), which is due at once."""
        running = sa.and_(_t.c.state == TaskState.RUNNING.value, _t.c.kind.in_(kinds))
        if self._conn.execute(sa.select(_t.c.key).where(running, _t.c.lease_expires_at.is_(None)).limit(1)).first():
            return datetime.min.replace(tzinfo=timezone.utc)
        waiting = self._conn.execute(sa.select(sa.func.min(_t.c.next_run_at)).where(
            _t.c.state == TaskState.PENDING.value, _t.c.kind.in_(kinds))).scalar()
        leased = self._conn.execute(sa.select(sa.func.min(_t.c.lease_expires_at)).where(running)).scalar()
        times: list[datetime] = [value for value in (waiting, leased) if value is not None]
        return min(times) if times else None

    def of_subjects(self, kind: str, subject_keys: list[str]) -> dict[str, list[Task]]:
        """Each subject's tasks of ``kind``, by subject key."""
        found: dict[str, list[Task]] = {key: [] for key in subject_keys}
        if subject_keys:
            query = sa.select(_t).where(_t.c.kind == kind, _t.c.subject_key.in_(subject_keys))
            for row in self._conn.execute(query):
                found[row.subject_key].append(_task(row))
        return found

    def unfinished(self, kind: str) -> list[Task]:
        """The tasks of ``kind`` waiting or failed for good (not running, not done)."""
        query = sa.select(_t).where(_t.c.kind == kind,
                                    _t.c.state.in_([TaskState.PENDING.value, TaskState.FAILED.value]))
        return [_task(row) for row in self._conn.execute(query)]

    def dedupe_keys_in_scope(self, kind: str, scope_key: str) -> set[str]:
        query = sa.select(_t.c.dedupe_key).where(_t.c.kind == kind, _t.c.scope_key == scope_key)
        return {row.dedupe_key for row in self._conn.execute(query)}

    def count_by_state(self, kind: str, scope_key: str | None = None) -> dict[str, int]:
        query = sa.select(_t.c.state, sa.func.count()).where(_t.c.kind == kind).group_by(_t.c.state)
        if scope_key is not None:
            query = query.where(_t.c.scope_key == scope_key)
        return {row[0]: int(row[1]) for row in self._conn.execute(query)}

    def missing_copies(self) -> list[tuple[str, str, str]]:
        """(registry key, version key, region) of every registry version's copy into a replica
        region that has no task: one anti-join, each probe by the unique ``dedupe_key``."""
        registry_key, version_key, region, dedupe = _wanted_copies()
        query = (sa.select(registry_key, version_key, region).select_from(_COPIES)
                 .where(_REPLICA, ~sa.exists().where(_t.c.dedupe_key == dedupe))
                 .order_by(registry_key, version_key, region))
        return [(row[0], row[1], row[2]) for row in self._conn.execute(query)]

    def delete_unwanted_copies(self) -> int:
        """Drop the copy tasks no version, registry and replica region calls for any more: the
        statement sees one snapshot, so a version committed with its tasks is never taken for gone."""
        _, version_key, _, dedupe = _wanted_copies()
        wanted = sa.exists().select_from(_COPIES).where(
            _REPLICA, version_key == _t.c.subject_key, dedupe == _t.c.dedupe_key)
        result = self._conn.execute(_t.delete().where(_t.c.kind == REPLICATE, ~wanted))
        return result.rowcount or 0

    def delete(self, key: str) -> None:
        self._conn.execute(_t.delete().where(_t.c.key == key))

    def delete_by_dedupe_keys(self, keys: list[str]) -> int:
        deleted = 0
        for start in range(0, len(keys), 500):
            result = self._conn.execute(_t.delete().where(_t.c.dedupe_key.in_(keys[start:start + 500])))
            deleted += result.rowcount or 0
        return deleted

    def forget_succeeded(self, keys: list[str]) -> int:
        deleted = 0
        for start in range(0, len(keys), 500):
            result = self._conn.execute(_t.delete().where(_t.c.dedupe_key.in_(keys[start:start + 500]),
                                                          _t.c.state == TaskState.SUCCEEDED.value))
            deleted += result.rowcount or 0
        return deleted

    def delete_scope(self, kind: str, scope_key: str) -> int:
        result = self._conn.execute(_t.delete().where(_t.c.kind == kind, _t.c.scope_key == scope_key))
        return result.rowcount or 0

    def release_leases(self) -> int:
        """SQLite at start: one server per file, so every lease belongs to a dead process."""
        result = self._conn.execute(
            _t.update().where(_t.c.state == TaskState.RUNNING.value, _t.c.lease_owner.is_not(None))
            .values(lease_owner=None, lease_expires_at=None)
        )
        return result.rowcount or 0
