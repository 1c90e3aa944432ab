"""Policy rules (``domain.policies``): definitions found as az finds them, parameters checked
against the definition, Azure's modes (resources vs resource groups), notScopes and enforcement."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.policies import (
    GROUP_TYPE,
    PolicyAssignment,
    Subject,
    check_assignment_name,
    check_parameters,
    disallowed,
    find_definition,
    violations,
)

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
RG = SUB + "/resourceGroups/prod"
WS = RG + "/providers/Microsoft.MachineLearningServices/workspaces/ws"
LOCS, TAG, RG_LOCS = ("e56962a6-4747-49cd-b67b-bf8b01975c4c", "871b6d14-10aa-478d-b590-94f262ecfa99",
                      "e765b5de-1225-4ba3-bd56-1ac6695af988")


def assignment(definition: str, scope: str = SUB, **params: object) -> PolicyAssignment:
    return PolicyAssignment(key="k", subscription_id=SUB.split("/")[2], scope=scope, name="a1",
                            definition_name=definition, parameters=dict(params),
                            created_at=datetime(2025, 1, 1, tzinfo=timezone.utc), created_by="admin")


@pytest.mark.parametrize("ref", [TAG, TAG.upper(), f"/providers/Microsoft.Authorization/policyDefinitions/{TAG}",
                                 f"{SUB}/providers/Microsoft.Authorization/policyDefinitions/{TAG}",
                                 "require a tag on resources"])
def test_a_definition_is_found_by_name_id_or_display_name(ref: str) -> None:
    found = find_definition(ref)
    assert found is not None and found.name == TAG


def test_unknown_definitions_and_bad_names() -> None:
    assert find_definition("nope") is None
    with pytest.raises(InvalidInput):
        check_assignment_name("a/b")
    assert check_assignment_name("only-east") == "only-east"


def test_parameters_are_checked_against_the_definition() -> None:
    definition = find_definition(LOCS)
    assert definition is not None
    assert check_parameters(definition, {"listOfAllowedLocations": {"value": ["eastus"]}}) == {
        "listOfAllowedLocations": ["eastus"]}
    for bad, code in (({}, "MissingPolicyParameter"), ({"x": {"value": 1}}, "UndefinedPolicyParameter"),
                      ({"listOfAllowedLocations": ["eastus"]}, "InvalidPolicyParameters"),
                      ({"listOfAllowedLocations": {"value": "eastus"}}, "InvalidPolicyParameters")):
        with pytest.raises(InvalidInput) as caught:
            check_parameters(definition, bad)
        assert caught.value.code == code


def test_resource_definitions_skip_groups_and_group_definitions_skip_resources() -> None:
    only_east = assignment(LOCS, listOfAllowedLocations=["eastus"])
    groups_east = assignment(RG_LOCS, listOfAllowedLocations=["eastus"])
    west_ws = Subject(WS, "Microsoft.MachineLearningServices/workspaces", "westus")
    west_rg = Subject(RG, GROUP_TYPE, "westus")
    assert [v.assignment.definition_name for v in violations([only_east, groups_east], west_ws)] == [LOCS]
    assert [v.assignment.definition_name for v in violations([only_east, groups_east], west_rg)] == [RG_LOCS]
    assert violations([only_east], replace(west_ws, location="East US")) == []  # display names compare too
    assert violations([only_east], replace(west_ws, location="global")) == []


def test_tags_compare_without_case_and_not_scopes_and_do_not_enforce_exempt() -> None:
    need = assignment(TAG, tagName="CostCenter")
    ws = Subject(WS, "Microsoft.MachineLearningServices/workspaces", "eastus")
    [v] = violations([need], ws)
    assert "CostCenter" in v.reason
    assert violations([need], replace(ws, tags={"costcenter": "1"})) == []
    assert violations([replace(need, not_scopes=(RG.upper(),))], ws) == []
    assert violations([replace(need, enforcement_mode="DoNotEnforce")], ws) == []
    assert violations([replace(need, scope=SUB + "/resourceGroups/other")], ws) == []


def test_the_refusal_names_every_assignment_and_definition() -> None:
    ws = Subject(WS, "Microsoft.MachineLearningServices/workspaces", "westus")
    found = violations([assignment(TAG, tagName="owner"), replace(assignment(LOCS, listOfAllowedLocations=["eastus"]),
                                                                  name="a2")], ws)
    error = disallowed(ws, found)
    assert error.code == "RequestDisallowedByPolicy" and error.target == WS
    assert "a1" in error.message and "a2" in error.message and TAG in error.message and LOCS in error.message
    assert len(error.details) == 2
