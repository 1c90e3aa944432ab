"""Repositories for custom role definitions and role assignments, and the access generation.

Built-in roles are not rows: they live in ``domain.builtin_roles`` and are the same everywhere, as
on Azure. Scopes are matched through their lower-cased column, so ``/resourcegroups/`` and
``/resourceGroups/`` name one scope.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from amlite.domain.rbac import RoleAssignment, RoleDefinition, normalize_scope
from amlite.store import tables as t

_ra = t.role_assignments
_rd = t.role_definitions
_gen = t.access_generation

#: Built once: every request reads the generation, every access change bumps it.
_GENERATION = sa.select(_gen.c.value).where(_gen.c.id == 1)
_BUMP = _gen.update().where(_gen.c.id == 1).values(value=_gen.c.value + 1)


class AccessChanges:
    """Whether a unit of work changed what access decisions read. The repositories mark it; the
    unit of work bumps the generation once, as its last statement before ``COMMIT`` (``bump``),
    so the generation's row is locked for an instant at the end of the transaction and never
    while the transaction goes on to lock other rows (no lock-order deadlock on PostgreSQL)."""

    def __init__(self) -> None:
        self.changed = False
        #: The generation this unit of work read first (``AccessGenerationRepository.current``):
        #: what it reads afterwards is at least that new, so a process may remember it under it.
        self.seen: int | None = None

    def bump(self, conn: sa.Connection) -> None:
        if self.changed:
            conn.execute(_BUMP)
            self.changed = False


class AccessGenerationRepository:
    def __init__(self, conn: sa.Connection, changes: AccessChanges) -> None:
        self._conn = conn
        self._changes = changes

    def current(self) -> int:
        value = int(self._conn.execute(_GENERATION).scalar_one())
        if self._changes.seen is None:
            self._changes.seen = value
        return value


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _below(column: sa.Column[str], norm: str) -> sa.ColumnElement[bool]:
    """Strictly below the (normalized) scope; everything is below the root."""
    if norm == "/":
        return column != "/"
    return column.like(_escape(norm) + "/%", escape="\\")


class RoleDefinitionRepository:
    def __init__(self, conn: sa.Connection, changes: AccessChanges) -> None:
        self._conn = conn
        self._changes = changes

    def add(self, tenant_id: str, role: RoleDefinition) -> None:
        self._changes.changed = True
        self._conn.execute(_rd.insert().values(id=role.id, tenant_id=tenant_id, **_role_values(role)))

    def save(self, role: RoleDefinition) -> None:
        self._changes.changed = True
        self._conn.execute(_rd.update().where(_rd.c.id == role.id).values(**_role_values(role)))

    def get(self, role_id: str) -> RoleDefinition | None:
        row = self._conn.execute(sa.select(_rd).where(_rd.c.id == role_id.lower())).first()
        return _role(row) if row else None

    def many(self, role_ids: Iterable[str]) -> dict[str, RoleDefinition]:
        wanted = sorted({r.lower() for r in role_ids})
        if not wanted:
            return {}
        return {r.id: _role(r) for r in self._conn.execute(sa.select(_rd).where(_rd.c.id.in_(wanted)))}

    def by_name(self, tenant_id: str, name: str) -> RoleDefinition | None:
        row = self._conn.execute(
            sa.select(_rd).where(_rd.c.tenant_id == tenant_id, _rd.c.name_lower == name.lower())
        ).first()
        return _role(row) if row else None

    def list(self, tenant_id: str) -> list[RoleDefinition]:
        query = sa.select(_rd).where(_rd.c.tenant_id == tenant_id).order_by(_rd.c.name_lower)
        return [_role(r) for r in self._conn.execute(query)]

    def delete(self, role_id: str) -> None:
        self._changes.changed = True
        self._conn.execute(_rd.delete().where(_rd.c.id == role_id))


def _role_values(role: RoleDefinition) -> dict[str, object]:
    return {
        "name": role.name, "name_lower": role.name.lower(), "description": role.description,
        "actions": list(role.actions), "not_actions": list(role.not_actions),
        "data_actions": list(role.data_actions), "not_data_actions": list(role.not_data_actions),
        "assignable_scopes": list(role.assignable_scopes), "created_by": role.created_by or "",
        "created_at": role.created_at, "updated_at": role.updated_at,
    }


def _role(row: sa.Row) -> RoleDefinition:  # type: ignore[type-arg]
    return RoleDefinition(
        id=row.id, name=row.name, description=row.description, actions=tuple(row.actions),
        not_actions=tuple(row.not_actions), data_actions=tuple(row.data_actions),
        not_data_actions=tuple(row.not_data_actions), assignable_scopes=tuple(row.assignable_scopes),
        is_custom=True, created_at=row.created_at, updated_at=row.updated_at, created_by=row.created_by,
    )


class RoleAssignmentRepository:
    def __init__(self, conn: sa.Connection, changes: AccessChanges) -> None:
        self._conn = conn
        self._changes = changes

    def add(self, tenant_id: str, assignment: RoleAssignment) -> None:
        self._changes.changed = True
        self._conn.execute(
            _ra.insert().values(
                id=assignment.id, tenant_id=tenant_id, principal_id=assignment.principal_id,
                role_definition_id=assignment.role_definition_id, scope=assignment.scope,
                scope_lower=normalize_scope(assignment.scope), created_by=assignment.created_by,
                created_at=assignment.created_at,
            )
        )

    def get(self, assignment_id: str) -> RoleAssignment | None:
        row = self._conn.execute(_select().where(_ra.c.id == assignment_id.lower())).first()
        return _assignment(row) if row else None

    def find(self, principal_id: str, role_definition_id: str, scope: str) -> RoleAssignment | None:
        row = self._conn.execute(_select().where(
            _ra.c.principal_id == principal_id, _ra.c.role_definition_id == role_definition_id,
            _ra.c.scope_lower == normalize_scope(scope),
        )).first()
        return _assignment(row) if row else None

    def for_principals_at(self, principal_ids: Iterable[str], scopes: Iterable[str]) -> list[RoleAssignment]:
        """Assignments of any of the principals at any of the (normalized) scopes."""
        rows = self._conn.execute(_AT_SCOPES, {"principals": list(principal_ids), "scopes": list(scopes)})
        return [_assignment(r) for r in rows]

    def for_principals_below(self, principal_ids: Iterable[str], scope: str) -> list[RoleAssignment]:
        """Assignments of any of the principals strictly below the scope (for filtered lists)."""
        query = _select().where(_ra.c.principal_id.in_(list(principal_ids)),
                                _below(_ra.c.scope_lower, normalize_scope(scope)))
        return [_assignment(r) for r in self._conn.execute(query)]

    def list(self, tenant_id: str, *, ancestors: list[str], below: str | None, principal_id: str | None = None,
             role_definition_id: str | None = None, limit: int = 1000) -> list[RoleAssignment]:
        """Assignments at any of the ``ancestors`` (normalized scopes), or strictly below ``below``."""
        where = [_ra.c.scope_lower.in_(ancestors)]
        if below is not None:
            where.append(_below(_ra.c.scope_lower, normalize_scope(below)))
        query = _select().where(_ra.c.tenant_id == tenant_id, sa.or_(*where))
        if principal_id is not None:
            query = query.where(_ra.c.principal_id == principal_id.lower())
        if role_definition_id is not None:
            query = query.where(_ra.c.role_definition_id == role_definition_id.lower())
        query = query.order_by(_ra.c.scope_lower, _ra.c.created_at, _ra.c.id).limit(limit)
        return [_assignment(r) for r in self._conn.execute(query)]

    def count_for_role(self, role_definition_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(_ra).where(_ra.c.role_definition_id == role_definition_id)
        return int(self._conn.execute(query).scalar_one())

    def for_role(self, role_definition_id: str) -> list[RoleAssignment]:
        """Every assignment of one role, wherever it is (what a change of its scopes must keep covered)."""
        query = _select().where(_ra.c.role_definition_id == role_definition_id.lower()).order_by(_ra.c.scope_lower, _ra.c.id)
        return [_assignment(r) for r in self._conn.execute(query)]

    def delete(self, assignment_id: str) -> None:
        self._changes.changed = True
        self._conn.execute(_ra.delete().where(_ra.c.id == assignment_id))

    def delete_of_principal(self, principal_id: str) -> int:
        self._changes.changed = True
        return int(self._conn.execute(_ra.delete().where(_ra.c.principal_id == principal_id)).rowcount or 0)

    def delete_at_or_below(self, scope: str) -> int:
        """Remove assignments at a scope and below it (the scope's resource is gone)."""
        self._changes.changed = True
        norm = normalize_scope(scope)
        result = self._conn.execute(_ra.delete().where(sa.or_(_ra.c.scope_lower == norm, _below(_ra.c.scope_lower, norm))))
        return int(result.rowcount or 0)


def _select() -> sa.Select:  # type: ignore[type-arg]
    return sa.select(_ra, t.principals.c.kind.label("principal_kind")).join(
        t.principals, t.principals.c.id == _ra.c.principal_id
    )


#: The authorization check of every request, built once (see ``identity_repos``).
_AT_SCOPES = _select().where(_ra.c.principal_id.in_(sa.bindparam("principals", expanding=True)),
                             _ra.c.scope_lower.in_(sa.bindparam("scopes", expanding=True)))


def _assignment(row: sa.Row) -> RoleAssignment:  # type: ignore[type-arg]
    return RoleAssignment(
        id=row.id, principal_id=row.principal_id, role_definition_id=row.role_definition_id, scope=row.scope,
        created_at=row.created_at, created_by=row.created_by, principal_type=row.principal_kind,
    )


__all__ = ["AccessChanges", "AccessGenerationRepository", "RoleAssignmentRepository", "RoleDefinitionRepository"]
