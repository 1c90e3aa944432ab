"""The in-memory repositories of identity and access: tenants, principals, group members, role
assignments and role definitions (``amlite.store.memory`` assembles them into a unit of work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from amlite.domain.rbac import RoleAssignment, RoleDefinition, normalize_scope
from amlite.domain.resources import Principal, PrincipalKind, Tenant
from amlite.store.memory_tx import Tx, unique


def _below(scope_lower: str, norm: str) -> bool:
    """Strictly below the (normalized) scope; everything is below the root."""
    return scope_lower != "/" if norm == "/" else scope_lower.startswith(norm + "/")


# -- identity ------------------------------------------------------------------------------------


class MemoryTenants:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, tenant: Tenant, created_at: object) -> None:
        unique(tenant.id in self._tx.rows.tenants)
        self._tx.write().tenants[tenant.id] = (tenant, created_at)

    def first(self) -> Tenant | None:
        found = self.list()
        return found[0] if found else None

    def list(self) -> list[Tenant]:
        rows = list(self._tx.rows.tenants.values())
        return [tenant for tenant, _ in sorted(rows, key=lambda r: str(r[1]))]


class MemoryPrincipals:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, principal: Principal) -> None:
        rows = self._tx.rows.principals.values()
        upn = (principal.user_principal_name or "").lower()
        unique(principal.id in self._tx.rows.principals
               or any(upn and p.tenant_id == principal.tenant_id and (p.user_principal_name or "").lower() == upn
                      for p in rows)
               or any(principal.app_id and p.app_id == principal.app_id for p in rows))
        self._tx.write_access().principals[principal.id] = principal

    def get(self, principal_id: str) -> Principal | None:
        return self._tx.rows.principals.get(principal_id.lower())

    def by_user_principal_name(self, tenant_id: str, upn: str) -> Principal | None:
        return next((p for p in self._tx.rows.principals.values()
                     if p.tenant_id == tenant_id and (p.user_principal_name or "").lower() == upn.lower()), None)

    def by_app_id(self, tenant_id: str, app_id: str) -> Principal | None:
        return next((p for p in self._tx.rows.principals.values()
                     if p.tenant_id == tenant_id and p.app_id == app_id.lower()), None)

    def set_secret(self, principal_id: str, secret_hash: str) -> None:
        found = self._tx.rows.principals.get(principal_id)
        if found is not None:
            self._tx.write().principals[principal_id] = replace(found, secret_hash=secret_hash)

    def delete(self, principal_id: str) -> None:
        rows = self._tx.write_access()
        rows.group_members = {(g, m) for g, m in rows.group_members if principal_id not in (g, m)}
        rows.principals.pop(principal_id, None)

    def list(self, tenant_id: str, kind: PrincipalKind, *, name_prefix: str | None = None,
             limit: int = 1000) -> list[Principal]:
        found = [p for p in self._tx.rows.principals.values() if p.tenant_id == tenant_id and p.kind is kind
                 and (not name_prefix or p.display_name.lower().startswith(name_prefix.lower()))]
        return sorted(found, key=lambda p: (p.display_name.lower(), p.id))[:limit]


class MemoryGroupMembers:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, group_id: str, member_id: str) -> bool:
        if (group_id, member_id) in self._tx.rows.group_members:
            return False
        self._tx.write_access().group_members.add((group_id, member_id))
        return True

    def remove(self, group_id: str, member_id: str) -> bool:
        if (group_id, member_id) not in self._tx.rows.group_members:
            return False
        self._tx.write_access().group_members.discard((group_id, member_id))
        return True

    def members(self, group_id: str) -> list[Principal]:
        rows = self._tx.rows
        found = [rows.principals[m] for g, m in rows.group_members if g == group_id and m in rows.principals]
        return sorted(found, key=lambda p: (p.display_name.lower(), p.id))

    def groups_of(self, principal_id: str) -> set[str]:
        """Every group the principal is in, directly or through nested groups."""
        found: set[str] = set()
        frontier = {principal_id}
        while frontier:
            frontier = {g for g, m in self._tx.rows.group_members if m in frontier} - found
            found |= frontier
        return found


# -- role-based access control -------------------------------------------------------------------


class MemoryAccessGeneration:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def current(self) -> int:
        return self._tx.rows.access_generation


class MemoryRoleAssignments:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def _all(self) -> Iterator[tuple[str, RoleAssignment]]:
        """Assignments whose principal exists (the SQL store reads them joined to it), with its kind."""
        principals = self._tx.rows.principals
        for tenant_id, ra in self._tx.rows.role_assignments.values():
            principal = principals.get(ra.principal_id)
            if principal is not None:
                yield tenant_id, replace(ra, principal_type=principal.kind.value)

    def add(self, tenant_id: str, assignment: RoleAssignment) -> None:
        norm = normalize_scope(assignment.scope)
        unique(assignment.id in self._tx.rows.role_assignments or any(
            ra.principal_id == assignment.principal_id and ra.role_definition_id == assignment.role_definition_id
            and normalize_scope(ra.scope) == norm for _, ra in self._tx.rows.role_assignments.values()))
        self._tx.write_access().role_assignments[assignment.id] = (tenant_id, assignment)

    def get(self, assignment_id: str) -> RoleAssignment | None:
        return next((ra for _, ra in self._all() if ra.id == assignment_id.lower()), None)

    def find(self, principal_id: str, role_definition_id: str, scope: str) -> RoleAssignment | None:
        norm = normalize_scope(scope)
        return next((ra for _, ra in self._all() if ra.principal_id == principal_id
                     and ra.role_definition_id == role_definition_id and normalize_scope(ra.scope) == norm), None)

    def for_principals_at(self, principal_ids: Iterable[str], scopes: Iterable[str]) -> list[RoleAssignment]:
        ids, wanted = set(principal_ids), set(scopes)
        return [ra for _, ra in self._all() if ra.principal_id in ids and normalize_scope(ra.scope) in wanted]

    def for_principals_below(self, principal_ids: Iterable[str], scope: str) -> list[RoleAssignment]:
        ids, norm = set(principal_ids), normalize_scope(scope)
        return [ra for _, ra in self._all() if ra.principal_id in ids and _below(normalize_scope(ra.scope), norm)]

    def count_for_role(self, role_definition_id: str) -> int:
        return sum(ra.role_definition_id == role_definition_id for _, ra in self._tx.rows.role_assignments.values())

    def for_role(self, role_definition_id: str) -> list[RoleAssignment]:
        found = [ra for _, ra in self._all() if ra.role_definition_id == role_definition_id.lower()]
        return sorted(found, key=lambda ra: (normalize_scope(ra.scope), ra.id))

    def delete(self, assignment_id: str) -> None:
        self._tx.write_access().role_assignments.pop(assignment_id, None)

    def delete_of_principal(self, principal_id: str) -> int:
        return self._delete_where(lambda ra: ra.principal_id == principal_id)

    def delete_at_or_below(self, scope: str) -> int:
        norm = normalize_scope(scope)
        return self._delete_where(lambda ra: normalize_scope(ra.scope) == norm or _below(normalize_scope(ra.scope), norm))

    def _delete_where(self, doomed: Callable[[RoleAssignment], bool]) -> int:
        keys = [key for key, (_, ra) in self._tx.rows.role_assignments.items() if doomed(ra)]
        rows = self._tx.write_access()
        for key in keys:
            del rows.role_assignments[key]
        return len(keys)

    def list(self, tenant_id: str, *, ancestors: list[str], below: str | None, principal_id: str | None = None,
             role_definition_id: str | None = None, limit: int = 1000) -> list[RoleAssignment]:
        def wanted(ra: RoleAssignment) -> bool:
            scope = normalize_scope(ra.scope)
            return ((scope in ancestors or (below is not None and _below(scope, normalize_scope(below))))
                    and (principal_id is None or ra.principal_id == principal_id.lower())
                    and (role_definition_id is None or ra.role_definition_id == role_definition_id.lower()))

        found = [ra for tenant, ra in self._all() if tenant == tenant_id and wanted(ra)]
        return sorted(found, key=lambda ra: (normalize_scope(ra.scope), ra.created_at, ra.id))[:limit]


class MemoryRoleDefinitions:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, tenant_id: str, role: RoleDefinition) -> None:
        unique(role.id in self._tx.rows.role_definitions or self.by_name(tenant_id, role.name) is not None)
        self._tx.write_access().role_definitions[role.id] = (tenant_id, role)

    def save(self, role: RoleDefinition) -> None:
        found = self._tx.rows.role_definitions.get(role.id)
        if found is not None:
            self._tx.write_access().role_definitions[role.id] = (found[0], role)

    def get(self, role_id: str) -> RoleDefinition | None:
        found = self._tx.rows.role_definitions.get(role_id.lower())
        return found[1] if found else None

    def many(self, role_ids: Iterable[str]) -> dict[str, RoleDefinition]:
        return {role.id: role for role in (self.get(r) for r in set(role_ids)) if role is not None}

    def by_name(self, tenant_id: str, name: str) -> RoleDefinition | None:
        return next((role for tenant, role in self._tx.rows.role_definitions.values()
                     if tenant == tenant_id and role.name.lower() == name.lower()), None)

    def delete(self, role_id: str) -> None:
        self._tx.write_access().role_definitions.pop(role_id, None)

    def list(self, tenant_id: str) -> list[RoleDefinition]:
        found = [role for tenant, role in self._tx.rows.role_definitions.values() if tenant == tenant_id]
        return sorted(found, key=lambda role: role.name.lower())


# -- subscriptions, groups, resources ------------------------------------------------------------
