"""Repositories for tenants, principals (users, service principals, groups) and group members."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from amlite.domain.resources import Principal, PrincipalKind, Tenant
from amlite.store import tables as t
from amlite.store.rbac_repos import AccessChanges


# Statements every request runs (its caller's admission), built once: building and keying a
# statement costs more than executing it on SQLite.
_PRINCIPAL_BY_ID = sa.select(t.principals).where(t.principals.c.id == sa.bindparam("id"))
_GROUPS_OF_MEMBERS = sa.select(t.group_members.c.group_id).where(
    t.group_members.c.member_id.in_(sa.bindparam("members", expanding=True)))


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
    def __init__(self, conn: sa.Connection, changes: AccessChanges) -> None:
        self._conn = conn
        self._changes = changes

    def add(self, principal: Principal) -> None:
        self._changes.changed = True
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
        row = self._conn.execute(_PRINCIPAL_BY_ID, {"id": principal_id.lower()}).first()
        return _principal(row) if row else None

    def by_user_principal_name(self, tenant_id: str, upn: str) -> Principal | None:
        row = self._conn.execute(
            sa.select(t.principals).where(
                t.principals.c.tenant_id == tenant_id, t.principals.c.upn_lower == upn.lower()
            )
        ).first()
        return _principal(row) if row else None

    def list(self, tenant_id: str, kind: PrincipalKind, *, name_prefix: str | None = None,
             limit: int = 1000) -> list[Principal]:
        query = sa.select(t.principals).where(t.principals.c.tenant_id == tenant_id, t.principals.c.kind == kind.value)
        if name_prefix:
            query = query.where(sa.func.lower(t.principals.c.display_name).startswith(name_prefix.lower(), autoescape=True))
        query = query.order_by(sa.func.lower(t.principals.c.display_name), t.principals.c.id).limit(limit)
        return [_principal(r) for r in self._conn.execute(query)]

    def many(self, ids: Iterable[str]) -> dict[str, Principal]:
        wanted = [i.lower() for i in ids]
        if not wanted:
            return {}
        rows = self._conn.execute(sa.select(t.principals).where(t.principals.c.id.in_(wanted)))
        return {r.id: _principal(r) for r in rows}

    def set_secret(self, principal_id: str, secret_hash: str) -> None:
        self._conn.execute(t.principals.update().where(t.principals.c.id == principal_id).values(secret_hash=secret_hash))

    def delete(self, principal_id: str) -> None:
        """Its memberships go by the foreign keys' cascade; its role assignments the caller removes."""
        self._changes.changed = True
        self._conn.execute(t.group_members.delete().where(
            sa.or_(t.group_members.c.group_id == principal_id, t.group_members.c.member_id == principal_id)))
        self._conn.execute(t.principals.delete().where(t.principals.c.id == principal_id))

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


class GroupMemberRepository:
    """Who is in which group. Groups nest: ``groups_of`` follows memberships upwards."""

    def __init__(self, conn: sa.Connection, changes: AccessChanges) -> None:
        self._conn = conn
        self._changes = changes

    def add(self, group_id: str, member_id: str) -> bool:
        """False when the member was in the group already."""
        gm = t.group_members
        exists = self._conn.execute(
            sa.select(gm.c.group_id).where(gm.c.group_id == group_id, gm.c.member_id == member_id)).first()
        if exists:
            return False
        self._changes.changed = True
        self._conn.execute(gm.insert().values(group_id=group_id, member_id=member_id))
        return True

    def remove(self, group_id: str, member_id: str) -> bool:
        gm = t.group_members
        self._changes.changed = True
        result = self._conn.execute(gm.delete().where(gm.c.group_id == group_id, gm.c.member_id == member_id))
        return bool(result.rowcount)

    def members(self, group_id: str) -> list[Principal]:
        gm, p = t.group_members, t.principals
        query = sa.select(p).join(gm, gm.c.member_id == p.c.id).where(gm.c.group_id == group_id)
        return [_principal(r) for r in self._conn.execute(query.order_by(sa.func.lower(p.c.display_name), p.c.id))]

    def groups_of(self, principal_id: str) -> set[str]:
        """Every group the principal is in, directly or through nested groups (one query per level)."""
        found: set[str] = set()
        frontier = {principal_id}
        while frontier:
            rows = self._conn.execute(_GROUPS_OF_MEMBERS, {"members": sorted(frontier)})
            frontier = {r.group_id for r in rows} - found
            found |= frontier
        return found
