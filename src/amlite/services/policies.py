"""Policy assignments at subscriptions and resource groups, and their enforcement.

``policy_enforcement.require_compliant`` is the one check every write of a governed resource makes (resource group,
workspace and registry create or update) inside its unit of work, so a refused write changes
nothing; move validation (``services.move_checks``) evaluates the destination's assignments with
the same rules (``domain.policies``).
"""

from __future__ import annotations

import builtins

from amlite.domain.errors import invalid
from amlite.domain.policies import (
    BUILT_IN_DEFINITIONS,
    PolicyAssignment,
    PolicyDefinition,
    check_assignment_name,
    check_enforcement_mode,
    check_parameters,
    definition_not_found,
    find_definition,
)
from amlite.domain.errors import NotFound
from amlite.domain.rbac import is_at_or_below, normalize_scope, parse_scope
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import PolicyAssignmentBody
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.resource_groups import require_group
from amlite.services.subscriptions import require_subscription


def assignment_not_found(name: str) -> NotFound:
    return NotFound("PolicyAssignmentNotFound", f"The policy assignment '{name}' is not found.", "policyAssignmentName")


class PolicyService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def definitions(self, caller: Caller, sub_id: str | None = None) -> builtins.list[PolicyDefinition]:
        """The built-ins, readable by every signed-in principal; under a subscription (ARM serves
        them there too) the subscription must be one of the caller's tenant."""
        self._require_sub(caller, sub_id)
        return list(BUILT_IN_DEFINITIONS)

    def definition(self, caller: Caller, name: str, sub_id: str | None = None) -> PolicyDefinition:
        self._require_sub(caller, sub_id)
        found = find_definition(name)
        if found is None or found.name != name.lower():
            raise definition_not_found(name)
        return found

    def create_or_update(self, caller: Caller, scope: str, name: str,
                         body: PolicyAssignmentBody) -> tuple[PolicyAssignment, bool]:
        d = self._deps
        with d.uow(write=True) as uow:
            scope = self._require_scope(uow, caller, scope)  # the parent first, then the body
            check_assignment_name(name)
            props = body.properties
            if props is None or not props.policy_definition_id:
                raise invalid("InvalidRequestContent", "properties.policyDefinitionId is required.",
                              "properties.policyDefinitionId")
            definition = find_definition(props.policy_definition_id)
            if definition is None:
                raise definition_not_found(props.policy_definition_id)
            values = check_parameters(definition, props.parameters)
            mode = check_enforcement_mode(props.enforcement_mode)
            not_scopes = tuple(self._check_not_scope(scope, n) for n in props.not_scopes or [])
            existing = uow.policy_assignments.get(scope, name)
            now = d.clock.now()
            new = PolicyAssignment(
                key=existing.key if existing else d.ids.new_id(), subscription_id=parse_scope(scope).subscription_id or "",
                scope=existing.scope if existing else scope, name=existing.name if existing else name,
                definition_name=definition.name, parameters=values,
                created_at=existing.created_at if existing else now,
                created_by=existing.created_by if existing else caller.name,
                display_name=props.display_name or "", description=props.description or "",
                enforcement_mode=mode, not_scopes=not_scopes, updated_at=now if existing else None,
            )
            if existing is None:
                uow.policy_assignments.add(new)
            else:
                uow.policy_assignments.save(new)
            record_write(d, uow, caller, scope=new.id)
            uow.commit()
        return new, existing is None

    def get(self, caller: Caller, scope: str, name: str) -> PolicyAssignment:
        with self._deps.uow() as uow:
            scope = self._require_scope(uow, caller, scope)
            found = uow.policy_assignments.get(scope, name)
        if found is None:
            raise assignment_not_found(name)
        return found

    def list(self, caller: Caller, scope: str, *, at_scope: bool) -> builtins.list[PolicyAssignment]:
        """Assignments that apply at ``scope`` (there and above) and, unless ``at_scope`` (ARM's
        ``$filter=atScope()``), also those below it, as ARM lists a subscription's or group's."""
        with self._deps.uow() as uow:
            scope = self._require_scope(uow, caller, scope)
            sub = parse_scope(scope).subscription_id or ""
            every = uow.policy_assignments.of_subscription(sub)
        return [a for a in every if is_at_or_below(scope, a.scope) or (not at_scope and is_at_or_below(a.scope, scope))]

    def delete(self, caller: Caller, scope: str, name: str) -> PolicyAssignment | None:
        """Delete; ARM answers 200 with the deleted assignment, or 204 when there was none."""
        d = self._deps
        with d.uow(write=True) as uow:
            scope = self._require_scope(uow, caller, scope)
            found = uow.policy_assignments.get(scope, name)
            if found is None:
                return None
            uow.policy_assignments.delete(found.key)
            record_write(d, uow, caller, scope=found.id)
            uow.commit()
        return found

    # -- scopes ---------------------------------------------------------------------------------

    def _require_sub(self, caller: Caller, sub_id: str | None) -> None:
        if sub_id is not None:
            with self._deps.uow() as uow:
                require_subscription(uow, caller, sub_id)

    @staticmethod
    def _require_scope(uow: UnitOfWork, caller: Caller, scope: str) -> str:
        """A subscription or resource group of the caller's tenant that exists, as given."""
        parsed = parse_scope(scope)
        if parsed.subscription_id is None or parsed.resource_type is not None:
            raise invalid("InvalidPolicyAssignmentScope",
                          f"Policy assignments in amlite are made at a subscription or a resource group, not at "
                          f"'{parsed.scope}'.", "scope")
        sub = require_subscription(uow, caller, parsed.subscription_id)
        if parsed.resource_group is not None:
            rg = require_group(uow, sub.id, parsed.resource_group)
            return rg.arm_id
        return sub.arm_id

    @staticmethod
    def _check_not_scope(scope: str, value: str) -> str:
        parsed = parse_scope(value)
        if not is_at_or_below(parsed.scope, scope) or normalize_scope(parsed.scope) == normalize_scope(scope):
            raise invalid("InvalidNotScopes", f"The excluded scope '{value}' must lie below the assignment's scope "
                          f"'{scope}'.", "properties.notScopes")
        return parsed.scope

