"""Long-running operations' status records (their work is queued in ``tasks``)."""

from __future__ import annotations

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


def _values(op: Operation) -> dict[str, object]:
    return {
        "id": op.id, "kind": op.kind.value, "subscription_id": op.subscription_id, "namespace": op.namespace,
        "location": op.location, "target_id": op.target_id, "target_key": op.target_key,
        "status": op.status.value, "payload": op.payload, "error_code": op.error_code,
        "error_message": op.error_message, "created_by": op.created_by, "created_at": op.created_at,
        "ended_at": op.ended_at,
    }


def _operation(row: sa.Row) -> Operation:  # type: ignore[type-arg]
    return Operation(
        id=row.id, kind=OperationKind(row.kind), subscription_id=row.subscription_id, namespace=row.namespace,
        location=row.location, target_id=row.target_id, target_key=row.target_key,
        status=OperationStatus(row.status), payload=dict(row.payload or {}), error_code=row.error_code,
        error_message=row.error_message, created_by=row.created_by, created_at=row.created_at,
        ended_at=row.ended_at,
    )
