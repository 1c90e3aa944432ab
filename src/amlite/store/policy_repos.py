"""The repository of policy assignments (``domain.policies``)."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.policies import PolicyAssignment
from amlite.domain.rbac import normalize_scope
from amlite.store import tables as t

_pa = t.policy_assignments


class PolicyAssignmentRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, a: PolicyAssignment) -> None:
        self._conn.execute(_pa.insert().values(key=a.key, **_values(a)))

    def save(self, a: PolicyAssignment) -> None:
        self._conn.execute(_pa.update().where(_pa.c.key == a.key).values(**_values(a)))

    def get(self, scope: str, name: str) -> PolicyAssignment | None:
        row = self._conn.execute(sa.select(_pa).where(_pa.c.scope_lower == normalize_scope(scope),
                                                      _pa.c.name_lower == name.lower())).first()
        return _assignment(row) if row else None

    def delete(self, key: str) -> None:
        self._conn.execute(_pa.delete().where(_pa.c.key == key))

    def at_scopes(self, scopes: list[str]) -> list[PolicyAssignment]:
        """Assignments made exactly at one of ``scopes``."""
        wanted = sorted({normalize_scope(s) for s in scopes})
        rows = self._conn.execute(sa.select(_pa).where(_pa.c.scope_lower.in_(wanted)).order_by(_pa.c.scope_lower, _pa.c.name_lower))
        return [_assignment(r) for r in rows]

    def of_subscription(self, sub_id: str) -> list[PolicyAssignment]:
        rows = self._conn.execute(sa.select(_pa).where(_pa.c.subscription_id == sub_id.lower())
                                  .order_by(_pa.c.scope_lower, _pa.c.name_lower))
        return [_assignment(r) for r in rows]

    def delete_at_or_below(self, scope: str) -> int:
        norm = normalize_scope(scope)
        result = self._conn.execute(_pa.delete().where(sa.or_(_pa.c.scope_lower == norm,
                                                              _pa.c.scope_lower.startswith(norm + "/", autoescape=True))))
        return int(result.rowcount or 0)


def _values(a: PolicyAssignment) -> dict[str, object]:
    return {
        "subscription_id": a.subscription_id, "scope": a.scope, "scope_lower": normalize_scope(a.scope),
        "name": a.name, "name_lower": a.name.lower(), "definition_name": a.definition_name,
        "parameters": a.parameters, "display_name": a.display_name, "description": a.description,
        "enforcement_mode": a.enforcement_mode, "not_scopes": list(a.not_scopes), "created_by": a.created_by,
        "created_at": a.created_at, "updated_at": a.updated_at,
    }


def _assignment(row: sa.Row) -> PolicyAssignment:  # type: ignore[type-arg]
    return PolicyAssignment(
        key=row.key, subscription_id=row.subscription_id, scope=row.scope, name=row.name,
        definition_name=row.definition_name, parameters=dict(row.parameters), created_at=row.created_at,
        created_by=row.created_by, display_name=row.display_name, description=row.description,
        enforcement_mode=row.enforcement_mode, not_scopes=tuple(row.not_scopes), updated_at=row.updated_at,
    )
