"""Azure Policy, the part amlite enforces: built-in definitions, assignments at a subscription or
resource group, and the decision whether a resource may exist where it is being put.

Subscriptions and groups carry policy assignments (SPEC section 1). Each assignment names a
definition and gives its parameters; with ``enforcementMode: Default`` a resource that breaks it
is refused (``RequestDisallowedByPolicy``, 403) when it is created or changed, and a move that would
bring one into the scope is refused at validation (seed 000: "the move mustn't violate Azure
Policies in the destination location").

amlite ships Azure's own built-in definitions for locations and tags, under their Azure ids, with
Azure's modes: an ``Indexed`` definition evaluates resources that carry tags and a location and
never resource groups; the two ``... on resource groups`` definitions evaluate resource groups
only. Custom definitions are not supported.

Standard library only: the service gathers the assignments, this module decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amlite.domain.errors import AmliteError, DisallowedByPolicy, ErrorDetail, NotFound, invalid
from amlite.domain.rbac import is_at_or_below, normalize_scope

DEFINITIONS_PATH = "/providers/Microsoft.Authorization/policyDefinitions"
ASSIGNMENTS_SEGMENT = "/providers/Microsoft.Authorization/policyAssignments"
GROUP_TYPE = "Microsoft.Resources/subscriptions/resourceGroups"
ENFORCEMENT_MODES = ("Default", "DoNotEnforce")

_ASSIGNMENT_NAME = re.compile(r"^[^<>*%&:\\?/#|+\s][^<>*%&:\\?/#|+]{0,127}$")
_ALLOWED_LOCATIONS = "allowedLocations"
_REQUIRE_TAG = "requireTag"


@dataclass(frozen=True)
class PolicyParameter:
    name: str
    type: str  # "Array" or "String", as Azure spells them
    display_name: str
    description: str


@dataclass(frozen=True)
class PolicyDefinition:
    """A built-in definition: Azure's id (a GUID), names, mode, parameters, and which rule it is."""

    name: str
    display_name: str
    description: str
    mode: str  # "Indexed": resources with tags and a location; "All" with a type condition: groups
    applies_to_groups: bool
    rule: str
    parameters: tuple[PolicyParameter, ...]
    category: str

    @property
    def id(self) -> str:
        return f"{DEFINITIONS_PATH}/{self.name}"

    def applies_to(self, resource_type: str) -> bool:
        is_group = resource_type.lower() == GROUP_TYPE.lower()
        return is_group if self.applies_to_groups else not is_group

    def policy_rule(self) -> dict[str, Any]:
        """The rule as Azure writes it, for ``GET policyDefinitions`` (amlite evaluates ``rule``)."""
        type_cond = ({"field": "type", "equals": GROUP_TYPE} if self.applies_to_groups else None)
        if self.rule == _ALLOWED_LOCATIONS:
            cond: list[dict[str, Any]] = [{"field": "location", "notIn": "[parameters('listOfAllowedLocations')]"},
                                          {"field": "location", "notEquals": "global"}]
        else:
            cond = [{"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"}]
        if type_cond is not None:
            cond.insert(0, type_cond)
        return {"if": {"allOf": cond} if len(cond) > 1 else cond[0], "then": {"effect": "deny"}}


_LOCATIONS = PolicyParameter("listOfAllowedLocations", "Array", "Allowed locations",
                             "The list of locations that can be specified when deploying resources.")
_TAG_NAME = PolicyParameter("tagName", "String", "Tag Name", "Name of the tag, such as 'environment'")

BUILT_IN_DEFINITIONS: tuple[PolicyDefinition, ...] = (
    PolicyDefinition(
        "e56962a6-4747-49cd-b67b-bf8b01975c4c", "Allowed locations",
        "This policy enables you to restrict the locations your organization can specify when deploying "
        "resources. Excludes resource groups and resources that use the 'global' region.",
        "Indexed", False, _ALLOWED_LOCATIONS, (_LOCATIONS,), "General"),
    PolicyDefinition(
        "e765b5de-1225-4ba3-bd56-1ac6695af988", "Allowed locations for resource groups",
        "This policy enables you to restrict the locations your organization can create resource groups in.",
        "All", True, _ALLOWED_LOCATIONS, (_LOCATIONS,), "General"),
    PolicyDefinition(
        "871b6d14-10aa-478d-b590-94f262ecfa99", "Require a tag on resources",
        "Enforces existence of a tag. Does not apply to resource groups.",
        "Indexed", False, _REQUIRE_TAG, (_TAG_NAME,), "Tags"),
    PolicyDefinition(
        "96670d01-0a4d-4649-9c89-2d3abc0a5025", "Require a tag on resource groups",
        "Enforces existence of a tag on resource groups.",
        "All", True, _REQUIRE_TAG, (_TAG_NAME,), "Tags"),
)


def find_definition(ref: str) -> PolicyDefinition | None:
    """A built-in definition by name (its GUID), full id (at the root or under a subscription),
    or display name; case-insensitive, as az accepts any of them for ``--policy``."""
    wanted = ref.strip().rstrip("/").lower()
    name = wanted.rsplit("/", 1)[-1] if "/policydefinitions/" in wanted else wanted
    for d in BUILT_IN_DEFINITIONS:
        if d.name == name or d.display_name.lower() == wanted:
            return d
    return None


def definition_not_found(ref: str) -> AmliteError:
    return NotFound("PolicyDefinitionNotFound", f"The policy definition '{ref}' could not be found. amlite has "
                    "these built-in definitions: " + ", ".join(f"'{d.display_name}' ({d.name})"
                                                               for d in BUILT_IN_DEFINITIONS) + ".",
                    "policyDefinitionId")


@dataclass(frozen=True)
class PolicyAssignment:
    key: str
    subscription_id: str
    scope: str  # as given (case kept): /subscriptions/{s} or /subscriptions/{s}/resourceGroups/{g}
    name: str
    definition_name: str
    parameters: dict[str, Any]  # parameter name -> value (Azure's {"p": {"value": v}} unwrapped)
    created_at: datetime
    created_by: str
    display_name: str = ""
    description: str = ""
    enforcement_mode: str = "Default"
    not_scopes: tuple[str, ...] = ()
    updated_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"{self.scope.rstrip('/')}{ASSIGNMENTS_SEGMENT}/{self.name}"

    @property
    def definition(self) -> PolicyDefinition:
        found = find_definition(self.definition_name)
        if found is None:  # only built-ins can be assigned, and they are never removed
            raise LookupError(self.definition_name)
        return found

    def covers(self, resource_id: str) -> bool:
        """The resource lies at or below the assignment's scope and outside its notScopes."""
        return is_at_or_below(resource_id, self.scope) and not any(is_at_or_below(resource_id, n) for n in self.not_scopes)


def check_assignment_name(name: str) -> str:
    if not _ASSIGNMENT_NAME.match(name or ""):
        raise invalid("InvalidPolicyAssignmentName",
                      f"The policy assignment name '{name}' is invalid: 1-128 characters, none of <>*%&:\\?/#|+, "
                      "not starting with a space.", "name")
    return name


def check_enforcement_mode(value: str | None) -> str:
    if value is None:
        return "Default"
    for mode in ENFORCEMENT_MODES:
        if value.lower() == mode.lower():
            return mode
    raise invalid("InvalidPolicyEnforcementMode",
                  f"enforcementMode '{value}' is not valid; use {' or '.join(ENFORCEMENT_MODES)}.",
                  "properties.enforcementMode")


def check_parameters(definition: PolicyDefinition, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Azure's assignment parameters (``{"tagName": {"value": "env"}}``) checked against the
    definition: every parameter given, of its type, and no other; returns the unwrapped values."""
    given = dict(given or {})
    known = {p.name.lower(): p for p in definition.parameters}
    unknown = [k for k in given if k.lower() not in known]
    if unknown:
        raise invalid("UndefinedPolicyParameter",
                      f"The policy assignment has parameters {', '.join(repr(u) for u in unknown)} that the policy "
                      f"definition '{definition.display_name}' does not define; it takes "
                      + ", ".join(repr(p.name) for p in definition.parameters) + ".", "properties.parameters")
    values: dict[str, Any] = {}
    for key, raw in given.items():
        param = known[key.lower()]
        if not isinstance(raw, Mapping) or "value" not in raw:
            raise invalid("InvalidPolicyParameters",
                          f"Parameter '{param.name}' must be given as {{\"{param.name}\": {{\"value\": ...}}}}.",
                          f"properties.parameters.{param.name}")
        value = raw["value"]
        if param.type == "Array" and not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise invalid("InvalidPolicyParameters", f"Parameter '{param.name}' must be an array of strings.",
                          f"properties.parameters.{param.name}")
        if param.type == "String" and not (isinstance(value, str) and value.strip()):
            raise invalid("InvalidPolicyParameters", f"Parameter '{param.name}' must be a non-empty string.",
                          f"properties.parameters.{param.name}")
        values[param.name] = value
    missing = [p.name for p in definition.parameters if p.name not in values]
    if missing:
        raise invalid("MissingPolicyParameter",
                      f"The policy definition '{definition.display_name}' requires parameter(s) "
                      + ", ".join(repr(m) for m in missing) + "; give them with --params "
                      + "'{" + ", ".join(f"\"{m}\": {{\"value\": ...}}" for m in missing) + "}'.",
                      "properties.parameters")
    return values


@dataclass(frozen=True)
class Subject:
    """What a policy evaluates: a resource (or resource group) as it would be after the write."""

    resource_id: str
    resource_type: str  # "Microsoft.MachineLearningServices/workspaces", GROUP_TYPE, ...
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    assignment: PolicyAssignment
    reason: str


def violations(assignments: Iterable[PolicyAssignment], subject: Subject) -> list[Violation]:
    """The enforced assignments covering ``subject`` that it breaks, in scope order."""
    found: list[Violation] = []
    for a in sorted(assignments, key=lambda a: (len(a.scope), a.name.lower())):
        if a.enforcement_mode != "Default" or not a.covers(subject.resource_id):
            continue
        definition = a.definition
        if not definition.applies_to(subject.resource_type):
            continue
        reason = _breaks(definition, a.parameters, subject)
        if reason:
            found.append(Violation(a, reason))
    return found


def _breaks(definition: PolicyDefinition, params: Mapping[str, Any], subject: Subject) -> str | None:
    if definition.rule == _ALLOWED_LOCATIONS:
        allowed = [str(v) for v in params.get("listOfAllowedLocations", [])]
        loc = subject.location.replace(" ", "").lower()
        if loc == "global" or loc in {a.replace(" ", "").lower() for a in allowed}:
            return None
        return f"location '{subject.location}' is not one of the allowed locations ({', '.join(allowed)})"
    tag = str(params.get("tagName", ""))
    if any(k.lower() == tag.lower() for k in subject.tags):
        return None
    return f"the required tag '{tag}' is missing"


def disallowed(subject: Subject, found: list[Violation]) -> DisallowedByPolicy:
    """Azure's refusal: names the resource, every assignment and definition it breaks, and why."""
    idents = ", ".join(
        f"{{\"policyAssignment\":{{\"name\":\"{v.assignment.display_name or v.assignment.name}\","
        f"\"id\":\"{v.assignment.id}\"}},\"policyDefinition\":{{\"name\":\"{v.assignment.definition.display_name}\","
        f"\"id\":\"{v.assignment.definition.id}\"}}}}"
        for v in found)
    name = subject.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return DisallowedByPolicy(
        "RequestDisallowedByPolicy",
        f"Resource '{name}' was disallowed by policy. Reasons: "
        + "; ".join(f"'{v.assignment.name}' ({v.assignment.definition.display_name}): {v.reason}" for v in found)
        + f". Policy identifiers: '[{idents}]'.",
        subject.resource_id,
        [ErrorDetail("RequestDisallowedByPolicy", f"{v.assignment.id}: {v.reason}", v.assignment.id) for v in found],
    )


def applies_to_scopes(resource_id: str) -> list[str]:
    """The scopes whose assignments can cover ``resource_id`` (its subscription and its group)."""
    parts = normalize_scope(resource_id).strip("/").split("/")
    scopes = ["/" + "/".join(parts[:2])] if len(parts) >= 2 else []
    if len(parts) >= 4:
        scopes.append("/" + "/".join(parts[:4]))
    return scopes
