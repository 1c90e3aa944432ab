"""Role definitions, scopes and Azure's wildcard matching of action strings.

Azure's rule: a principal may perform an action at a scope when one of its role assignments at that
scope or any ancestor names a role whose ``Actions`` match the action and whose ``NotActions`` do
not. ``*`` matches any run of characters, ``/`` included, and matching ignores case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from amlite.domain.errors import invalid

ROOT_SCOPE = "/"


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    assignable_scopes: tuple[str, ...] = (ROOT_SCOPE,)
    is_custom: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: str | None = None

    @property
    def role_type(self) -> str:
        return "CustomRole" if self.is_custom else "BuiltInRole"

    def assignable_at(self, scope: str) -> bool:
        """Azure lets a role be assigned at one of its AssignableScopes or below one of them."""
        return any(is_at_or_below(scope, allowed) for allowed in self.assignable_scopes)

    def permits(self, action: str) -> bool:
        return any(action_matches(p, action) for p in self.actions) and not any(
            action_matches(p, action) for p in self.not_actions
        )


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    principal_id: str
    role_definition_id: str
    scope: str
    created_at: datetime
    created_by: str
    principal_type: str = "User"  # User, ServicePrincipal or Group: the principal's kind, for rendering


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Does the role pattern (``Microsoft.MachineLearningServices/*/read``) cover the action?"""
    return _pattern(pattern).fullmatch(action) is not None


def normalize_scope(scope: str) -> str:
    """Scopes compare without case and without a trailing slash; the root is ``/``.

    Nothing else is folded: whitespace and control characters stay, so ``rg-b\n`` is another
    (invalid) name than ``rg-b`` for authorization exactly as it is for the store; stripping here
    once let a grant on ``rg-b`` cover ``rg-b\n`` and a delete of ``rg-b\n`` remove ``rg-b``'s
    assignments."""
    trimmed = scope.rstrip("/")
    return trimmed.lower() if trimmed else ROOT_SCOPE


def scope_ancestors(scope: str) -> list[str]:
    """The scope and every scope above it, root first, each normalized.

    ``/subscriptions/s/resourceGroups/g/providers/Microsoft.X/workspaces/w`` has the ancestors
    ``/``, ``/subscriptions/s``, ``/subscriptions/s/resourcegroups/g`` and itself; the
    ``providers/{namespace}`` pair is not a scope of its own.
    """
    norm = normalize_scope(scope)
    if norm == ROOT_SCOPE:
        return [ROOT_SCOPE]
    parts = norm.strip("/").split("/")
    found = [ROOT_SCOPE]
    i = 0
    while i + 1 < len(parts):
        if parts[i] == "providers":
            i += 2  # the namespace is not a scope; the type/name pair after it is
            continue
        found.append("/" + "/".join(parts[: i + 2]))
        i += 2
    if found[-1] != norm:
        found.append(norm)
    return found


def is_at_or_below(scope: str, ancestor: str) -> bool:
    """Is ``scope`` the ``ancestor`` scope or inside it (case-insensitively)?"""
    low, anc = normalize_scope(scope), normalize_scope(ancestor)
    return anc == ROOT_SCOPE or low == anc or low.startswith(anc + "/")


@dataclass(frozen=True)
class ParsedScope:
    """A scope taken apart: ``/``, a subscription, a resource group, or a resource in one."""

    scope: str
    subscription_id: str | None = None
    resource_group: str | None = None
    resource_type: str | None = None  # "Microsoft.MachineLearningServices/workspaces", nested types joined by /
    resource_name: str | None = None  # the last name; ``resource_path`` holds the names on the way

    @property
    def workspace(self) -> str | None:
        """The workspace a scope names or lies in, when it is one of Machine Learning's."""
        if self.resource_type and self.resource_type.lower().startswith("microsoft.machinelearningservices/workspaces"):
            return self.scope.split("/")[8]
        return None


def _segment_ok(part: str) -> bool:
    """No name of any scope level holds whitespace or control characters (nor may a scope be
    trimmed into one that does not): such a segment names nothing."""
    return all(ch.isprintable() and not ch.isspace() for ch in part)


def parse_scope(scope: str) -> ParsedScope:
    """Check that a scope is one Azure accepts (``/``, ``/subscriptions/{s}``, ``.../resourceGroups/{g}``,
    ``.../providers/{ns}/{type}/{name}[/{type}/{name}...]``) and take it apart; ``InvalidScope`` else."""
    text = "/" + scope.strip("/")
    if text == "/":
        return ParsedScope(ROOT_SCOPE)
    parts = text.strip("/").split("/")
    bad = invalid("InvalidScope", f"The scope {text!r} is not valid: expected '/', '/subscriptions/{{id}}', "
                  "'/subscriptions/{id}/resourceGroups/{name}' or a resource id below one.", "scope")
    if (len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1] or any(not p for p in parts)
            or any(not _segment_ok(p) for p in parts)):
        raise bad
    if len(parts) == 2:
        return ParsedScope(text, parts[1].lower())
    if len(parts) < 4 or parts[2].lower() != "resourcegroups":
        raise bad
    if len(parts) == 4:
        return ParsedScope(text, parts[1].lower(), parts[3])
    rest = parts[4:]
    if len(rest) < 4 or rest[0].lower() != "providers" or len(rest[2:]) % 2:
        raise bad
    pairs = rest[2:]
    types = "/".join(pairs[0::2])
    return ParsedScope(text, parts[1].lower(), parts[3], f"{rest[1]}/{types}", pairs[-1])


def check_custom_role(role: RoleDefinition) -> None:
    """What Azure insists on for a custom role: a name, some permission, and assignable scopes that
    are subscriptions, resource groups or resources (the root ``/`` is for built-in roles)."""
    if not role.name.strip():
        raise invalid("InvalidRoleDefinition", "The role definition needs a roleName.", "roleName")
    if not role.actions and not role.data_actions:
        raise invalid("InvalidActionOrNotAction", "The role definition must list at least one action.", "permissions")
    if not role.assignable_scopes:
        raise invalid("InvalidAssignableScopes", "The role definition needs at least one assignable scope.",
                      "assignableScopes")
    for scope in role.assignable_scopes:
        if parse_scope(scope).scope == ROOT_SCOPE:
            raise invalid("InvalidAssignableScopes", "The root scope '/' is not allowed as an assignable scope of "
                          "a custom role.", "assignableScopes")
    for pattern in (*role.actions, *role.not_actions, *role.data_actions, *role.not_data_actions):
        if not isinstance(pattern, str) or not pattern or not _segment_ok(pattern):
            raise invalid("InvalidActionOrNotAction", f"'{pattern}' is not a valid action.", "permissions")


@dataclass(frozen=True)
class Visibility:
    """What a caller may list below a scope for one read action.

    ``everything`` when the action is granted at the listed scope or above it; otherwise the
    (normalized) scopes below it where an assignment grants the action. Repositories receive the
    names derived here and filter in SQL."""

    everything: bool
    scopes: tuple[str, ...] = ()

    def subscription_ids(self) -> set[str]:
        return {p.subscription_id for p in map(parse_scope, self.scopes) if p.subscription_id}

    def resource_groups(self, subscription_id: str) -> set[str]:
        """Lower-cased names of groups readable as a whole (the grant is at the group)."""
        found = set()
        for scope in self.scopes:
            parsed = parse_scope(scope)
            if parsed.subscription_id == subscription_id.lower() and parsed.resource_group and not parsed.resource_type:
                found.add(parsed.resource_group.lower())
        return found

    def workspaces(self, subscription_id: str) -> set[tuple[str, str]]:
        """(group, workspace) pairs, lower-cased, readable through a grant at the workspace itself."""
        found = set()
        for scope in self.scopes:
            parsed = parse_scope(scope)
            if (parsed.subscription_id == subscription_id.lower() and parsed.resource_group and parsed.resource_type
                    and parsed.resource_type.lower() == "microsoft.machinelearningservices/workspaces"):
                found.add((parsed.resource_group.lower(), (parsed.resource_name or "").lower()))
        return found


EVERYTHING = Visibility(True)

__all__ = [
    "EVERYTHING", "ROOT_SCOPE", "ParsedScope", "RoleAssignment", "RoleDefinition", "Visibility",
    "action_matches", "check_custom_role", "is_at_or_below", "normalize_scope", "parse_scope",
    "scope_ancestors",
]
