"""Azure Databricks workspace records (``domain.databricks``): what a PUT's body must hold, and
how the link to an Azure Machine Learning workspace is read."""

from __future__ import annotations

from typing import Any

import pytest

from amlite.domain.databricks import check_databricks_name, judge_body, linked_workspace_id
from amlite.domain.errors import InvalidInput

WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"location": "eastus", "sku": {"name": "Premium"}, "tags": {"team": "ml"},
                            "properties": {"managedResourceGroupId": "/subscriptions/s/resourceGroups/spark-managed",
                                           "parameters": {"amlWorkspaceId": {"value": WS}}}}
    base.update(changes)
    return base


def test_a_valid_body_keeps_its_link() -> None:
    spec = judge_body(body())
    assert (spec.sku, spec.tags, spec.linked_workspace_id) == ("premium", {"team": "ml"}, WS)
    assert spec.properties()["parameters"] == {"amlWorkspaceId": {"value": WS}}
    unlinked = judge_body(body(properties={"managedResourceGroupId": "/subscriptions/s/resourceGroups/m"}))
    assert unlinked.linked_workspace_id is None and unlinked.parameters == {}


@pytest.mark.parametrize(("changes", "target"), [
    ({"location": None}, "location"),
    ({"sku": None}, "sku.name"),
    ({"sku": {"name": "gold"}}, "sku.name"),
    ({"tags": {"a": 1}}, "tags"),
    ({"properties": None}, "properties"),
    ({"properties": {"managedResourceGroupId": "spark-managed"}}, "properties.managedResourceGroupId"),
    ({"properties": {"managedResourceGroupId": "/subscriptions/s/resourceGroups/m", "parameters": {"x": 1}}},
     "properties.parameters"),
    ({"properties": {"managedResourceGroupId": "/subscriptions/s/resourceGroups/m",
                     "parameters": {"amlWorkspaceId": {"value": "/subscriptions/s/resourceGroups/g"}}}},
     "properties.parameters.amlWorkspaceId"),
    ({"properties": {"managedResourceGroupId": "/subscriptions/s/resourceGroups/m",
                     "parameters": {"amlWorkspaceId": {"value": WS.replace("MachineLearningServices", "Storage")}}}},
     "properties.parameters.amlWorkspaceId"),
])
def test_a_bad_body_is_refused_naming_the_field(changes: dict[str, Any], target: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        judge_body(body(**changes))
    assert caught.value.target == target


@pytest.mark.parametrize("name", ["ab", "x" * 65, "a b", "a/b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_databricks_name(name)


def test_the_link_is_read_from_recorded_parameters_only_when_set() -> None:
    assert linked_workspace_id({"amlWorkspaceId": {"value": WS}}) == WS
    assert linked_workspace_id({"amlWorkspaceId": {"value": ""}}) is None
    assert linked_workspace_id({}) is None and linked_workspace_id(None) is None
