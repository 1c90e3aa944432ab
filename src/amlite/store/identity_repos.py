"""Repositories for tenants, principals and role assignments."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from amlite.domain.rbac import RoleAssignment, normalize_scope
from amlite.domain.resources import Principal, PrincipalKind, Tenant
from amlite.store import tables as t


class TenantRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, tenant: Tenant, created_at: object) -> None:
        self._conn.execute(
            t.tenants.insert().values(
                id=tenant.id, display_name=tenant.display_name, default_domain=tenant.default_domain,
                created_at=created_at,
            )
        )

    def get(self, tenant_id: str) -> Tenant | None:
        row = self._conn.execute(sa.select(t.tenants).where(t.tenants.c.id == tenant_id.lower())).first()
        return _tenant(row) if row else None

    def first(self) -> Tenant | None:
        row = self._conn.execute(sa.select(t.tenants).order_by(t.tenants.c.created_at).limit(1)).first()
        return _tenant(row) if row else None

    def list(self) -> list[Tenant]:
        return [_tenant(r) for r in self._conn.execute(sa.select(t.tenants).order_by(t.tenants.c.created_at))]


def _tenant(row: sa.Row) -> Tenant:  # type: ignore[type-arg]
    return Tenant(id=row.id, display_name=row.display_name, default_domain=row.default_domain)


class PrincipalRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, principal: Principal) -> None:
        upn = principal.user_principal_name
        self._conn.execute(
            t.principals.insert().values(
                id=principal.id, tenant_id=principal.tenant_id, kind=principal.kind.value,
                display_name=principal.display_name, user_principal_name=upn,
                upn_lower=upn.lower() if upn else None, app_id=principal.app_id,
                secret_hash=principal.secret_hash, created_at=principal.created_at,
            )
        )

    def get(self, principal_id: str) -> Principal | None:
        row = self._conn.execute(sa.select(t.principals).where(t.principals.c.id == principal_id.lower())).first()
        return _principal(row) if row else None

    def by_user_principal_name(self, tenant_id: str, upn: str) -> Principal | None:
        row = self._conn.execute(
            sa.select(t.principals).where(
                t.principals.c.tenant_id == tenant_id, t.principals.c.upn_lower == upn.lower()
            )
        ).first()
        return _principal(row) if row else None

    def by_app_id(self, tenant_id: str, app_id: str) -> Principal | None:
        row = self._conn.execute(
            sa.select(t.principals).where(
                t.principals.c.tenant_id == tenant_id, t.principals.c.app_id == app_id.lower()
            )
        ).first()
        return _principal(row) if row else None


def _principal(row: sa.Row) -> Principal:  # type: ignore[type-arg]
    return Principal(
        id=row.id, tenant_id=row.tenant_id, kind=PrincipalKind(row.kind), display_name=row.display_name,
        user_principal_name=row.user_principal_name, app_id=row.app_id, secret_hash=row.secret_hash,
        created_at=row.created_at,
    )


class RoleAssignmentRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, tenant_id: str, assignment: RoleAssignment) -> None:
        self._conn.execute(
            t.role_assignments.insert().values(
                id=assignment.id, tenant_id=tenant_id, principal_id=assignment.principal_id,
                role_definition_id=assignment.role_definition_id, scope=assignment.scope,
                scope_lower=normalize_scope(assignment.scope), created_by=assignment.created_by,
                created_at=assignment.created_at,
            )
        )

    def for_principals_at(self, principal_ids: Iterable[str], scopes: Iterable[str]) -> list[RoleAssignment]:
        """Assignments of any of the principals at any of the (normalized) scopes."""
        query = sa.select(t.role_assignments).where(
            t.role_assignments.c.principal_id.in_(list(principal_ids)),
            t.role_assignments.c.scope_lower.in_(list(scopes)),
        )
        return [_assignment(r) for r in self._conn.execute(query)]

    def delete_at_or_below(self, scope: str) -> int:
        """Remove assignments at a scope and below it (the scope's resource is gone)."""
        norm = normalize_scope(scope)
        result = self._conn.execute(
            t.role_assignments.delete().where(
                sa.or_(t.role_assignments.c.scope_lower == norm, t.role_assignments.c.scope_lower.like(_escape(norm) + "/%", escape="\\"))
            )
        )
        return int(result.rowcount or 0)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _assignment(row: sa.Row) -> RoleAssignment:  # type: ignore[type-arg]
    return RoleAssignment(
        id=row.id, principal_id=row.principal_id, role_definition_id=row.role_definition_id, scope=row.scope,
        created_at=row.created_at, created_by=row.created_by,
    )
