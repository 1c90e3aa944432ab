"""Authorization: deny by default; allow an action at a scope when an assignment at that scope or
above grants it (Azure's semantics, see ``domain.rbac``).

Every API route declares its one action string; this is where the decision is made.
"""

from __future__ import annotations

from amlite.domain.audit import AuditResult
from amlite.domain.errors import AuthorizationFailed
from amlite.domain.rbac import BUILT_IN_ROLES, RoleDefinition, scope_ancestors
from amlite.services.audit import record_outcome
from amlite.services.context import Caller, Deps

_ROLES_BY_ID: dict[str, RoleDefinition] = {role.id: role for role in BUILT_IN_ROLES}


class Authorizer:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def allowed(self, caller: Caller, action: str, scope: str) -> bool:
        with self._deps.uow() as uow:
            assignments = uow.role_assignments.for_principals_at([caller.principal_id], scope_ancestors(scope))
        for assignment in assignments:
            role = _ROLES_BY_ID.get(assignment.role_definition_id)
            if role is not None and role.permits(action):
                return True
        return False

    def require(self, caller: Caller, action: str, scope: str) -> None:
        """Raise Azure's 403 naming the principal, the action and the scope; the denial is audited."""
        if not self.allowed(caller, action, scope):
            error = AuthorizationFailed(
                "AuthorizationFailed",
                f"The client '{caller.name}' with object id '{caller.principal_id}' does not have authorization "
                f"to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
                "recently granted, please refresh your credentials.",
            )
            record_outcome(self._deps, caller, AuditResult.DENIED, 403, error.message, action=action, scope=scope)
            raise error
