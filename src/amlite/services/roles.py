"""Role definitions (built-in and custom) and role assignments, with Azure's rules.

- A custom role is tenant-wide; it is seen at, and may be assigned at, its AssignableScopes and
  below them. Creating or changing one needs ``roleDefinitions/write`` at every scope it names,
  the ones it has and the ones it is given; deleting one needs ``roleDefinitions/delete`` at every
  one of its scopes, whichever scope the URL names.
- A role that has assignments cannot be deleted, nor lose an assignable scope that still has
  assignments of it (``RoleDefinitionHasAssignments``).
- An assignment names a principal that exists, a role that exists and may be assigned at the
  scope, and a scope whose subscription, resource group and workspace exist. The same principal,
  role and scope twice is ``RoleAssignmentExists``.
- Lists at a scope: ``atScope()`` gives the assignments at the scope and above it (what applies
  there); no filter, or ``principalId eq``, adds those below it as well.
"""

from __future__ import annotations

import re
from dataclasses import replace

from amlite.domain.builtin_roles import BUILT_IN_BY_ID, BUILT_IN_ROLES
from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.rbac import (
    ROOT_SCOPE, RoleAssignment, RoleDefinition, check_custom_role, is_at_or_below, normalize_scope, parse_scope,
    scope_ancestors,
)
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import RoleAssignmentBody, RoleDefinitionBody, RolePermission
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.resource_groups import require_group
from amlite.services.subscriptions import require_subscription
from amlite.services.workspace_scope import workspace_not_found

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
ROLE_DEFINITIONS_WRITE = "Microsoft.Authorization/roleDefinitions/write"
ROLE_DEFINITIONS_DELETE = "Microsoft.Authorization/roleDefinitions/delete"


def role_not_found(ref: str) -> NotFound:
    return NotFound("RoleDefinitionDoesNotExist", f"The specified role definition with ID '{ref}' does not exist.")


def assignment_not_found(name: str) -> NotFound:
    return NotFound("RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")


def role_id_of(value: str) -> str:
    """``/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{guid}`` or a bare GUID."""
    return value.rstrip("/").rsplit("/", 1)[-1].lower()


def _related(role: RoleDefinition, scope: str) -> bool:
    """A role is visible at a scope it may be assigned at, or above one of its assignable scopes."""
    return role.assignable_at(scope) or any(is_at_or_below(a, scope) for a in role.assignable_scopes)


def _strings(value: list[str] | None) -> tuple[str, ...]:
    return tuple(value or ())  # as given: a scope or action with whitespace is refused, never trimmed into another


def _check_scope_exists(uow: UnitOfWork, caller: Caller, scope: str) -> None:
    parsed = parse_scope(scope)
    if parsed.subscription_id:
        sub = require_subscription(uow, caller, parsed.subscription_id)
        if parsed.resource_group:
            rg = require_group(uow, sub.id, parsed.resource_group)
            if parsed.workspace and uow.workspaces.get(sub.id, rg.name, parsed.workspace) is None:
                raise workspace_not_found(rg.name, parsed.workspace)


class _Denied(Exception):
    def __init__(self, action: str, scope: str) -> None:
        super().__init__(action, scope)
        self.action, self.scope = action, scope


class RoleService:
    def __init__(self, deps: Deps, authz: Authorizer) -> None:
        self._deps = deps
        self._authz = authz

    def _existing_scope(self, caller: Caller, scope: str) -> str:
        """The scope, checked: well formed, and its subscription, group and workspace exist."""
        with self._deps.uow() as uow:
            _check_scope_exists(uow, caller, scope)
        return parse_scope(scope).scope

    # -- role definitions ------------------------------------------------------------------------

    def get_definition(self, caller: Caller, scope: str, role_id: str) -> RoleDefinition:
        scope = self._existing_scope(caller, scope)
        with self._deps.uow() as uow:
            role = self._definition(uow, role_id)
        if role is None or not _related(role, scope):
            raise role_not_found(role_id)
        return role

    def _definition(self, uow: UnitOfWork, role_id: str) -> RoleDefinition | None:
        rid = role_id_of(role_id)
        return BUILT_IN_BY_ID.get(rid) or uow.role_definitions.get(rid)

    def list_definitions(self, caller: Caller, scope: str, *, name: str | None = None,
                         role_type: str | None = None) -> list[RoleDefinition]:
        scope = self._existing_scope(caller, scope)
        with self._deps.uow() as uow:
            custom = uow.role_definitions.list(caller.tenant_id)
        roles = [*BUILT_IN_ROLES, *custom]
        found = [r for r in roles if _related(r, scope)]
        if name is not None:
            found = [r for r in found if r.name.lower() == name.lower()]
        if role_type is not None:
            found = [r for r in found if r.role_type.lower() == role_type.lower()]
        return found

    def put_definition(self, caller: Caller, scope: str, role_id: str, body: RoleDefinitionBody) -> tuple[RoleDefinition, bool]:
        scope = self._existing_scope(caller, scope)
        if not _GUID.fullmatch(role_id):
            raise invalid("InvalidRoleDefinitionId", f"The role definition ID '{role_id}' is not valid; it must be a GUID.")
        if role_id.lower() in BUILT_IN_BY_ID:
            raise Conflict("RoleDefinitionUpdateNotPermitted", "Built-in role definitions cannot be changed.")
        props = body.properties
        if props is None:
            raise invalid("InvalidRoleDefinition", "The request body needs 'properties'.", "properties")
        perms = props.permissions or [RolePermission()]
        d = self._deps
        now = d.clock.now()
        scopes = tuple(parse_scope(s).scope for s in _strings(props.assignable_scopes))
        role = RoleDefinition(
            id=role_id.lower(), name=(props.role_name or "").strip(), description=props.description or "",
            actions=tuple(a for p in perms for a in _strings(p.actions)),
            not_actions=tuple(a for p in perms for a in _strings(p.not_actions)),
            data_actions=tuple(a for p in perms for a in _strings(p.data_actions)),
            not_data_actions=tuple(a for p in perms for a in _strings(p.not_data_actions)),
            assignable_scopes=scopes or (scope,), is_custom=True, created_at=now, updated_at=now,
            created_by=caller.principal_id,
        )
        check_custom_role(role)
        try:
            return self._write_definition(caller, scope, role)
        except _Denied as no:
            self._authz.deny(caller, no.action, no.scope)

    def _write_definition(self, caller: Caller, scope: str, role: RoleDefinition) -> tuple[RoleDefinition, bool]:
        d = self._deps
        with d.uow(write=True) as uow:
            existing = uow.role_definitions.get(role.id)
            old_scopes = existing.assignable_scopes if existing is not None else ()
            # Azure: the write permission at every assignable scope, the role's current ones and the
            # new ones, before anything is looked up (a scope the caller may not write answers 403
            # whether it exists or not).
            self._require_everywhere(uow, caller, ROLE_DEFINITIONS_WRITE, (*old_scopes, *role.assignable_scopes))
            for assignable in role.assignable_scopes:
                _check_scope_exists(uow, caller, assignable)
            if existing is not None:
                _refuse_dropping_assigned_scopes(uow, role)
            same_name = uow.role_definitions.by_name(caller.tenant_id, role.name)
            if (same_name is not None and same_name.id != role.id) or role.name.lower() in {
                    r.name.lower() for r in BUILT_IN_ROLES}:
                raise Conflict("RoleDefinitionWithSameNameExists",
                               f"A role definition cannot be updated with a name that already exists: '{role.name}'.")
            if existing is None:
                uow.role_definitions.add(caller.tenant_id, role)
            else:
                role = replace(role, created_at=existing.created_at, created_by=existing.created_by)
                uow.role_definitions.save(role)
            record_write(d, uow, caller, scope=definition_id(scope, role.id))
            uow.commit()
        return role, existing is None

    def delete_definition(self, caller: Caller, scope: str, role_id: str) -> RoleDefinition:
        scope = self._existing_scope(caller, scope)
        try:
            return self._delete_definition(caller, scope, role_id)
        except _Denied as no:
            self._authz.deny(caller, no.action, no.scope)

    def _delete_definition(self, caller: Caller, scope: str, role_id: str) -> RoleDefinition:
        d = self._deps
        with d.uow(write=True) as uow:
            role = self._definition(uow, role_id)
            if role is None or not _related(role, scope):
                raise role_not_found(role_id)
            if not role.is_custom:
                raise Conflict("RoleDefinitionUpdateNotPermitted", "Built-in role definitions cannot be deleted.")
            # The delete permission at every scope the role serves, not only the URL's: a role
            # assignable at rg-c is not rg-b's to delete.
            self._require_everywhere(uow, caller, ROLE_DEFINITIONS_DELETE, role.assignable_scopes)
            if uow.role_assignments.count_for_role(role.id):
                raise Conflict("RoleDefinitionHasAssignments",
                               f"There are existing role assignments referencing role '{role.name}'; delete them first.")
            uow.role_definitions.delete(role.id)
            record_write(d, uow, caller, scope=definition_id(scope, role.id))
            uow.commit()
        return role

    def _require_everywhere(self, uow: UnitOfWork, caller: Caller, action: str, scopes: tuple[str, ...]) -> None:
        """The action at each scope, or ``_Denied`` naming the first where it is missing (turned
        into the audited 403 once the write unit of work is closed: the audit entry needs a
        transaction of its own)."""
        for scope in dict.fromkeys(scopes):
            if not self._authz.allowed_in(uow, caller.principal_id, action, scope):
                raise _Denied(action, scope)

    # -- role assignments ------------------------------------------------------------------------

    def create_assignment(self, caller: Caller, scope: str, name: str, body: RoleAssignmentBody) -> tuple[RoleAssignment, bool]:
        scope = self._existing_scope(caller, scope)
        if not _GUID.fullmatch(name):
            raise invalid("InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid; it must be a GUID.")
        props = body.properties
        if props is None:
            raise invalid("InvalidRequestContent", "The request body needs 'properties'.", "properties")
        role_ref, principal_ref = props.role_definition_id, props.principal_id
        if role_ref is None or not role_ref.strip():
            raise invalid("InvalidRequestContent", "properties.roleDefinitionId is required.", "properties.roleDefinitionId")
        if principal_ref is None or not _GUID.fullmatch(principal_ref):
            raise invalid("InvalidRequestContent", "properties.principalId must be an object id (GUID).",
                          "properties.principalId")
        d = self._deps
        with d.uow(write=True) as uow:
            _check_scope_exists(uow, caller, scope)
            role = self._definition(uow, role_ref)
            if role is None:
                raise invalid("RoleDefinitionDoesNotExist", f"The specified role definition with ID "
                              f"'{role_id_of(role_ref)}' does not exist.", "properties.roleDefinitionId")
            if not role.assignable_at(scope):
                raise invalid("InvalidCreateRoleAssignmentRequest", f"The role '{role.name}' is not available for "
                              f"assignment at the requested scope '{scope}'.", "properties.roleDefinitionId")
            principal = uow.principals.get(principal_ref)
            if principal is None or principal.tenant_id != caller.tenant_id:
                raise invalid("PrincipalNotFound", f"Principal {principal_ref.replace('-', '')} does not exist in the "
                              "directory.", "properties.principalId")
            existing = uow.role_assignments.get(name)
            if existing is not None:
                if (existing.principal_id, existing.role_definition_id, normalize_scope(existing.scope)) != (
                        principal.id, role.id, normalize_scope(scope)):
                    raise Conflict("RoleAssignmentUpdateNotPermitted",
                                   "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
                return existing, False
            if uow.role_assignments.find(principal.id, role.id, scope) is not None:
                raise Conflict("RoleAssignmentExists", "The role assignment already exists.")
            assignment = RoleAssignment(
                id=name.lower(), principal_id=principal.id, role_definition_id=role.id, scope=scope,
                created_at=d.clock.now(), created_by=caller.principal_id, principal_type=principal.kind.value,
            )
            uow.role_assignments.add(caller.tenant_id, assignment)
            record_write(d, uow, caller, scope=assignment_id(assignment))
            uow.commit()
        return assignment, True

    def get_assignment(self, caller: Caller, scope: str, name: str) -> RoleAssignment:
        scope = self._existing_scope(caller, scope)
        with self._deps.uow() as uow:
            found = uow.role_assignments.get(name) if _GUID.fullmatch(name) else None
        if found is None or normalize_scope(found.scope) != normalize_scope(scope):
            raise assignment_not_found(name)
        return found

    def list_assignments(self, caller: Caller, scope: str, *, at_scope: bool = False,
                         principal_id: str | None = None) -> list[RoleAssignment]:
        scope = self._existing_scope(caller, scope)
        with self._deps.uow() as uow:
            return uow.role_assignments.list(
                caller.tenant_id, ancestors=scope_ancestors(scope), below=None if at_scope else scope,
                principal_id=principal_id,
            )

    def delete_assignment(self, caller: Caller, scope: str, name: str) -> RoleAssignment | None:
        """The deleted assignment, or None when the scope holds none by that name: as on Azure,
        deleting an assignment that is already gone is no error (scripts clean up idempotently),
        while a scope that does not exist still is."""
        scope = self._existing_scope(caller, scope)
        d = self._deps
        with d.uow(write=True) as uow:
            found = uow.role_assignments.get(name) if _GUID.fullmatch(name) else None
            if found is None or normalize_scope(found.scope) != normalize_scope(scope):
                return None
            uow.role_assignments.delete(found.id)
            record_write(d, uow, caller, scope=assignment_id(found))
            uow.commit()
        return found


def _refuse_dropping_assigned_scopes(uow: UnitOfWork, role: RoleDefinition) -> None:
    """An update may not take away a scope that has assignments of the role: each existing
    assignment must stay at or below one of the new assignable scopes (``RoleDefinitionHasAssignments``)."""
    for assignment in uow.role_assignments.for_role(role.id):
        if not role.assignable_at(assignment.scope):
            raise Conflict(
                "RoleDefinitionHasAssignments",
                f"The role '{role.name}' is assigned at scope '{assignment.scope}', which the new assignable scopes "
                "do not cover; delete the role assignments there first or keep an assignable scope over them.",
            )


def definition_id(scope: str, role_id: str) -> str:
    prefix = "" if scope == ROOT_SCOPE else scope.rstrip("/")
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"


def assignment_id(assignment: RoleAssignment) -> str:
    prefix = "" if assignment.scope == ROOT_SCOPE else assignment.scope.rstrip("/")
    return f"{prefix}/providers/Microsoft.Authorization/roleAssignments/{assignment.id}"
