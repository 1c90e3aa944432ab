"""Azure's wildcard matching, NotActions and scope inheritance."""

from __future__ import annotations

import pytest

from amlite.domain.builtin_roles import built_in_role
from amlite.domain.rbac import action_matches, normalize_scope, scope_ancestors


@pytest.mark.parametrize("pattern, action, expected", [
    ("*", "Microsoft.MachineLearningServices/workspaces/write", True),
    ("*/read", "Microsoft.MachineLearningServices/workspaces/read", True),
    ("*/read", "Microsoft.MachineLearningServices/workspaces/write", False),
    ("Microsoft.MachineLearningServices/*", "microsoft.machinelearningservices/workspaces/models/versions/write", True),
    ("Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/models/read", True),
    ("Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/read", False),
    ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", True),
    ("Microsoft.Storage/*", "Microsoft.StorageSync/x/read", False),
])
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


def test_contributor_can_do_everything_but_assign_roles() -> None:
    contributor = built_in_role("Contributor")
    assert contributor.permits("Microsoft.MachineLearningServices/workspaces/write")
    assert contributor.permits("Microsoft.Resources/subscriptions/resourceGroups/delete")
    assert not contributor.permits("Microsoft.Authorization/roleAssignments/write")
    assert not contributor.permits("Microsoft.Authorization/roleAssignments/delete")
    assert contributor.permits("Microsoft.Authorization/roleAssignments/read")
    reader = built_in_role("reader")
    assert reader.permits("Microsoft.MachineLearningServices/workspaces/read")
    assert not reader.permits("Microsoft.MachineLearningServices/workspaces/write")
    assert built_in_role("User Access Administrator").permits("Microsoft.Authorization/roleAssignments/write")


def test_scope_ancestors_skip_the_provider_namespace() -> None:
    ws = "/subscriptions/S/resourceGroups/G/providers/Microsoft.MachineLearningServices/workspaces/W"
    assert scope_ancestors(ws) == [
        "/", "/subscriptions/s", "/subscriptions/s/resourcegroups/g",
        "/subscriptions/s/resourcegroups/g/providers/microsoft.machinelearningservices/workspaces/w",
    ]
    assert scope_ancestors("/") == ["/"]
    assert scope_ancestors("/subscriptions/S/providers/Microsoft.Storage") == [
        "/", "/subscriptions/s", "/subscriptions/s/providers/microsoft.storage"]
    assert normalize_scope("/Subscriptions/S/") == "/subscriptions/s"
