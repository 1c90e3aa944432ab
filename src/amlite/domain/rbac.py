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


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Does the role pattern (``Microsoft.MachineLearningServices/*/read``) cover the action?"""
    return _pattern(pattern).fullmatch(action) is not None


def normalize_scope(scope: str) -> str:
    """Scopes compare without case and without a trailing slash; the root is ``/``."""
    trimmed = scope.strip().rstrip("/")
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


BUILT_IN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        id="8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        name="Owner",
        description="Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions=("*",),
    ),
    RoleDefinition(
        id="b24988ac-6180-42a0-ab88-20f7382dd24c",
        name="Contributor",
        description="Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
        actions=("*",),
        not_actions=(
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ),
    ),
    RoleDefinition(
        id="acdd72a7-3385-48ef-bd42-f606fba81ae7",
        name="Reader",
        description="View all resources, but does not allow you to make any changes.",
        actions=("*/read",),
    ),
    RoleDefinition(
        id="18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        name="User Access Administrator",
        description="Lets you manage user access to Azure resources.",
        actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
    ),
)


def built_in_role(name: str) -> RoleDefinition:
    for role in BUILT_IN_ROLES:
        if role.name.lower() == name.lower():
            return role
    raise KeyError(name)
