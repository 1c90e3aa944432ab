"""The template engine: expressions, parameters, ordering and refusals (domain/templates.py), and
the drift between two exported templates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.templates import SCHEMA_2019, GroupContext, drift, expand

GROUP = GroupContext("sub-1", "rg-dr", "westus")
WS = "Microsoft.MachineLearningServices/workspaces"


def _template(**extra: Any) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_2019, "contentVersion": "1.0.0.0",
        "parameters": {"workspaceName": {"type": "string", "defaultValue": "ws1"},
                       "location": {"type": "string", "defaultValue": "[resourceGroup().location]"}},
        "resources": [
            {"type": f"{WS}/computes", "apiVersion": "2024-10-01",
             "name": "[concat(parameters('workspaceName'), '/', 'cpu')]", "location": "[parameters('location')]",
             "dependsOn": [f"[resourceId('{WS}', parameters('workspaceName'))]"], "properties": {"computeType": "AmlCompute"}},
            {"type": WS, "apiVersion": "2024-10-01", "name": "[parameters('workspaceName')]",
             "location": "[parameters('location')]", "properties": {"description": "it''s [[literal]"}},
            {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
             "name": f"[guid(resourceId('{WS}', parameters('workspaceName')), 'r', 'p')]",
             "scope": f"[concat('{WS}/', parameters('workspaceName'))]",
             "properties": {"roleDefinitionId": "[concat(subscription().id, '/providers/x/', 'r')]", "principalId": "p"}},
        ],
        **extra,
    }


def _refused(template: Any, *words: str, **params: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        expand(template, params, GROUP)
    assert err.value.code == "InvalidTemplate"
    for word in words:
        assert word in err.value.message, err.value.message


def test_expressions_defaults_and_order() -> None:
    planned = expand(_template(), {"workspaceName": "copy"}, GROUP)
    assert [p.type.rsplit("/", 1)[-1] for p in planned] == ["workspaces", "computes", "roleAssignments"]
    ws, compute, ra = planned
    assert ws.arm_id == f"/subscriptions/sub-1/resourceGroups/rg-dr/providers/{WS}/copy"
    assert ws.body["location"] == "westus" and ws.body["properties"]["description"] == "it''s [[literal]"
    assert compute.names == ("copy", "cpu") and compute.body["location"] == "westus"
    assert ra.scope == ws.arm_id and ra.arm_id.startswith(ws.arm_id + "/providers/Microsoft.Authorization/")
    assert ra.body["properties"]["roleDefinitionId"] == "/subscriptions/sub-1/providers/x/r"
    again = expand(_template(), {"workspaceName": "copy"}, GROUP)[2]
    assert again.names == ra.names  # guid() is deterministic


def test_literal_escape_and_string_quotes() -> None:
    t = _template()
    t["resources"][1]["properties"]["description"] = "[[not an expression]"
    t["resources"][1]["tags"] = {"a": "[concat('it''s', ' ', 'ok')]"}
    ws = expand(t, {}, GROUP)[0]
    assert ws.body["properties"]["description"] == "[not an expression]" and ws.body["tags"] == {"a": "it's ok"}


@pytest.mark.parametrize("mutate,words", [
    (lambda t: t["resources"][0].update(location="[toLower(parameters('location'))]"), ("toLower",)),
    (lambda t: t["resources"].append({"type": "Microsoft.Storage/storageAccounts", "apiVersion": "x", "name": "s"}),
     ("Microsoft.Storage/storageAccounts",)),
    (lambda t: t.update(variables={"v": 1}), ("variables",)),
    (lambda t: t.update({"$schema": "https://example/other.json"}), ("$schema",)),
    (lambda t: t["parameters"]["workspaceName"].pop("defaultValue"), ("workspaceName", "not provided")),
    (lambda t: t["resources"][1].update(dependsOn=["[concat(parameters('workspaceName'), '/', 'cpu')]"]),
     ("Circular",)),
    (lambda t: t["resources"][0].update(dependsOn=["nowhere"]), ("nowhere", "not defined")),
    (lambda t: t["resources"][0].update(name="[parameters('workspaceName')]"), ("segments",)),
    (lambda t: t["resources"][1].update(copy={"count": 2}), ("copy",)),
    (lambda t: t["resources"][1].update(location="[parameters('nope')]"), ("nope",)),
    (lambda t: t["resources"][1].update(location="[concat('a', ]"), ("not valid",)),
])
def test_what_is_not_understood_is_refused(mutate: Any, words: tuple[str, ...]) -> None:
    t = _template()
    mutate(t)
    _refused(t, *words)


def test_unknown_parameter_is_refused() -> None:
    _refused(_template(), "extra", extra="x")


def test_drift_ignores_names_and_location_and_reports_fields() -> None:
    a = _template()
    b = copy.deepcopy(a)
    b["resources"][1]["location"] = "eastus"
    assert drift(a, b) == []
    b["resources"][0]["properties"]["computeType"] = "ComputeInstance"
    b["resources"].pop(2)
    found = drift(a, b)
    assert [(d["change"], d.get("path")) for d in found] == [
        ("removed", None), ("modified", "properties.computeType")], found
