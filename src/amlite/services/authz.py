"""Authorization: deny by default; allow an action at a scope when an assignment at that scope or
above grants it (Azure's semantics, see ``domain.rbac``).

A caller's assignments are its own and those of every group it is in, directly or through nested
groups. A role grants an action when one of its Actions matches and none of its NotActions does;
the effective permission is the union over the assignments. Every API route declares its one
action string; this is where the decision is made.

A request's admission (the principal still exists, and the route's action is granted at its scope)
is remembered per process under the store's access generation (``UnitOfWork.access_generation``),
a number bumped in the transaction of every change to principals, group members, role assignments
and custom role definitions (and region outages, whose list is remembered under it the same way,
``store.outage_repos``): each request reads that one number and, while it has not moved, skips
the three or four statements of the decision. A change made through any server process is
seen by every process on its next request, since each reads the number from the store.

Lists follow Azure Resource Manager: a caller with the read action at the listed scope (or above)
sees everything there; one without it but with grants further down sees exactly what those grants
cover (``Visibility``), and the repositories filter by it in SQL; one with neither is refused
(403) as for any other request.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import NoReturn

from amlite.domain.audit import AuditResult
from amlite.domain.builtin_roles import BUILT_IN_BY_ID
from amlite.domain.errors import AuthorizationFailed
from amlite.domain.rbac import EVERYTHING, RoleAssignment, RoleDefinition, Visibility, normalize_scope, scope_ancestors
from amlite.domain.resources import Subscription
from amlite.ports import UnitOfWork
from amlite.services.audit import record_outcome
from amlite.services.context import Caller, Deps, admit_principal, check_job_token

#: Admissions remembered per process, oldest out first: (principal, action, scope) of a request.
ADMISSION_CACHE_SIZE = 4096


def roles_by_id(uow: UnitOfWork, role_ids: set[str]) -> dict[str, RoleDefinition]:
    """Built-in roles from the domain, custom ones from the store."""
    found = {rid: BUILT_IN_BY_ID[rid] for rid in role_ids if rid in BUILT_IN_BY_ID}
    found.update(uow.role_definitions.many(role_ids - set(found)))
    return found


def principal_ids(uow: UnitOfWork, principal_id: str) -> list[str]:
    """The principal and every group it belongs to, nested groups included."""
    return [principal_id, *sorted(uow.group_members.groups_of(principal_id))]


def _effective(uow: UnitOfWork, assignments: list[RoleAssignment]) -> list[tuple[RoleAssignment, RoleDefinition]]:
    """The assignments that count, each with its role: the role must still exist and still be
    assignable at the assignment's scope. Role updates refuse to drop a scope that has assignments
    (``RoleService``); this is the second line, so an assignment left outside its role's scopes
    (by an older version, or a restored database) grants nothing."""
    roles = roles_by_id(uow, {a.role_definition_id for a in assignments})
    return [(a, roles[a.role_definition_id]) for a in assignments
            if a.role_definition_id in roles and roles[a.role_definition_id].assignable_at(a.scope)]


def _granting(uow: UnitOfWork, assignments: list[RoleAssignment], action: str) -> list[RoleAssignment]:
    return [a for a, role in _effective(uow, assignments) if role.permits(action)]


class Authorizer:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        # (token's principal id, action, scope) -> (access generation, principal id, sign-in name,
        # allowed). An entry counts only under the generation it was decided at.
        self._admissions: dict[tuple[str, str, str], tuple[int, str, str, bool]] = {}
        self._admissions_lock = threading.Lock()

    def allowed(self, caller: Caller, action: str, scope: str) -> bool:
        with self._deps.uow() as uow:
            return self.allowed_in(uow, caller.principal_id, action, scope)

    @staticmethod
    def allowed_in(uow: UnitOfWork, principal_id: str, action: str, scope: str) -> bool:
        """The decision inside an open unit of work (services that check more than one scope)."""
        assignments = uow.role_assignments.for_principals_at(principal_ids(uow, principal_id), scope_ancestors(scope))
        return bool(_granting(uow, assignments, action))

    def admit(self, uow: UnitOfWork, caller: Caller) -> Caller:
        """Authentication's store check and the route's decision for a caller the token vouches
        for, inside the use case's (read) unit of work, so the request reads the store once. An
        admitted caller passes unchanged. A denial is audited in a transaction of its own."""
        if caller.admitted:
            return caller
        # Read before the decision's rows, so a decision is never remembered under a generation
        # newer than what it read (PostgreSQL reads each statement at its own snapshot).
        generation = uow.access_generation.current()
        key = (caller.principal_id, caller.action, caller.scope)
        known = self._admissions.get(key)
        if known is not None and known[0] == generation:
            check_job_token(uow, caller)  # a job's end is not an access change: checked every time
            caller = replace(caller, principal_id=known[1], name=known[2], admitted=True)
            allowed = known[3]
        else:
            caller = admit_principal(uow, caller)
            allowed = self.allowed_in(uow, caller.principal_id, caller.action, caller.scope)
            with self._admissions_lock:
                while len(self._admissions) >= ADMISSION_CACHE_SIZE:
                    del self._admissions[next(iter(self._admissions))]
                self._admissions[key] = (generation, caller.principal_id, caller.name, allowed)
        if not allowed:
            self.deny(caller, caller.action, caller.scope)
        return caller

    def require(self, caller: Caller, action: str, scope: str) -> None:
        """Raise Azure's 403 naming the principal, the action and the scope; the denial is audited."""
        if not self.allowed(caller, action, scope):
            self.deny(caller, action, scope)

    def deny(self, caller: Caller, action: str, scope: str) -> NoReturn:
        error = AuthorizationFailed(
            "AuthorizationFailed",
            f"The client '{caller.name}' with object id '{caller.principal_id}' does not have authorization "
            f"to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials.",
        )
        record_outcome(self._deps, caller, AuditResult.DENIED, 403, error.message, action=action, scope=scope)
        raise error

    def visibility(self, caller: Caller, action: str, scope: str) -> Visibility:
        """What a list at ``scope`` may show the caller: everything, the scopes below it where the
        action is granted, or a 403 (audited) when there are none."""
        with self._deps.uow() as uow:
            ids = principal_ids(uow, caller.principal_id)
            if _granting(uow, uow.role_assignments.for_principals_at(ids, scope_ancestors(scope)), action):
                return EVERYTHING
            below = _granting(uow, uow.role_assignments.for_principals_below(ids, scope), action)
        if not below:
            self.deny(caller, action, scope)
        return Visibility(False, tuple(sorted({normalize_scope(a.scope) for a in below})))

    def visible_subscriptions(self, caller: Caller, action: str) -> list[Subscription]:
        """Subscriptions listed to the caller: all of the tenant's with ``action`` at the root, else
        those where it holds any role assignment at the subscription or below it (as ``az login``
        shows a subscription to someone with access to one resource group in it). Never a 403."""
        with self._deps.uow() as uow:
            ids = principal_ids(uow, caller.principal_id)
            if _granting(uow, uow.role_assignments.for_principals_at(ids, ["/"]), action):
                return uow.subscriptions.list_for_tenant(caller.tenant_id)
            below = [a for a, _ in _effective(uow, uow.role_assignments.for_principals_below(ids, "/"))]
            subs = Visibility(False, tuple(normalize_scope(a.scope) for a in below)).subscription_ids()
            return uow.subscriptions.list_for_tenant(caller.tenant_id, subs)
