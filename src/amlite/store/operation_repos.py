"""The durable queue of long-running operations.

A worker claims an operation by writing a lease on it. PostgreSQL claims with
``FOR UPDATE SKIP LOCKED`` so many workers share the queue; SQLite has one writer at a time
(``BEGIN IMMEDIATE``), which serializes claims by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from amlite.domain.operations import Operation, OperationKind, OperationStatus
from amlite.store import tables as t


class OperationRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, op: Operation) -> None:
        self._conn.execute(t.operations.insert().values(**_values(op)))

    def save(self, op: Operation) -> None:
        values = _values(op)
        del values["id"]
        self._conn.execute(t.operations.update().where(t.operations.c.id == op.id).values(**values))

    def get(self, op_id: str) -> Operation | None:
        row = self._conn.execute(sa.select(t.operations).where(t.operations.c.id == op_id.lower())).first()
        return _operation(row) if row else None

    def open_for_target(self, target_key: str) -> Operation | None:
        row = self._conn.execute(
            sa.select(t.operations).where(
                t.operations.c.target_key == target_key,
                t.operations.c.status == OperationStatus.IN_PROGRESS.value,
            )
        ).first()
        return _operation(row) if row else None

    def claim_next(self, owner: str, now: datetime, lease: timedelta) -> Operation | None:
        """Lease the oldest open operation whose lease is free or expired, or return None."""
        query = (
            sa.select(t.operations)
            .where(
                t.operations.c.status == OperationStatus.IN_PROGRESS.value,
                sa.or_(t.operations.c.lease_expires_at.is_(None), t.operations.c.lease_expires_at < now),
            )
            .order_by(t.operations.c.created_at)
            .limit(1)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._conn.execute(query).first()
        if row is None:
            return None
        claimed = _operation(row).claimed(owner, now, lease)
        self.save(claimed)
        return claimed

    def count_open(self) -> int:
        return int(
            self._conn.execute(
                sa.select(sa.func.count()).select_from(t.operations).where(
                    t.operations.c.status == OperationStatus.IN_PROGRESS.value
                )
            ).scalar_one()
        )


def _values(op: Operation) -> dict[str, object]:
    return {
        "id": op.id, "kind": op.kind.value, "subscription_id": op.subscription_id, "namespace": op.namespace,
        "location": op.location, "target_id": op.target_id, "target_key": op.target_key,
        "status": op.status.value, "payload": op.payload, "error_code": op.error_code,
        "error_message": op.error_message, "created_by": op.created_by, "created_at": op.created_at,
        "ended_at": op.ended_at, "attempts": op.attempts, "lease_owner": op.lease_owner,
        "lease_expires_at": op.lease_expires_at,
    }


def _operation(row: sa.Row) -> Operation:  # type: ignore[type-arg]
    return Operation(
        id=row.id, kind=OperationKind(row.kind), subscription_id=row.subscription_id, namespace=row.namespace,
        location=row.location, target_id=row.target_id, target_key=row.target_key,
        status=OperationStatus(row.status), payload=dict(row.payload or {}), error_code=row.error_code,
        error_message=row.error_message, created_by=row.created_by, created_at=row.created_at,
        ended_at=row.ended_at, attempts=row.attempts, lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
    )
