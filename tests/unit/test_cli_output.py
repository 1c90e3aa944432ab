"""Output formats and --query, as az prints them."""

from __future__ import annotations

import json

import pytest
import yaml

from amlite.cli.output import InvalidQueryError, apply_query, format_output, format_table, format_tsv
from amlite.cli.output import add_resource_group
from amlite.cli.tables import group_table, pair_table, registry_table, switch_table, workspace_table

WS = [
    {"id": "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1",
     "name": "ws1", "location": "eastus", "tags": {"team": "a"}, "display_name": "One",
     "identity": {"principal_id": "g1", "type": "system_assigned"}},
    {"id": "/subscriptions/s/resourceGroups/rg2/providers/Microsoft.MachineLearningServices/workspaces/ws22",
     "name": "ws22", "location": "westus", "tags": {}, "display_name": "Two",
     "identity": {"principal_id": "g2", "type": "system_assigned"}},
]


def test_json_is_indented_with_sorted_camel_case_keys() -> None:
    text = format_output({"name": "x", "displayName": "X", "id": "1"}, "json")
    assert text == '{\n  "displayName": "X",\n  "id": "1",\n  "name": "x"\n}'
    assert json.loads(format_output(WS, "json")) == [{**w, "resourceGroup": g} for w, g in zip(WS, ["rg1", "rg2"])]


def test_resource_group_is_added_as_az_does_before_the_query() -> None:
    model = {"id": "azureml:/subscriptions/s/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/"
                   "workspaces/ws1/models/m/versions/1", "name": "m", "version": "1"}
    assert format_output(model, "tsv", query="resourceGroup") == "rg1"
    # Not for a group itself, nor for ids outside a group, nor where the object already has one.
    assert add_resource_group({"id": "/subscriptions/s/resourceGroups/rg1", "name": "rg1"}) == {
        "id": "/subscriptions/s/resourceGroups/rg1", "name": "rg1"}
    assert "resourceGroup" not in add_resource_group({"id": "/subscriptions/s/providers/A.B/c/d"})
    assert add_resource_group({"id": model["id"], "resource_group": "x"})["resourceGroup"] == "rg1"
    assert add_resource_group({"id": model["id"], "resourceGroup": None})["resourceGroup"] is None
    nested = add_resource_group({"value": [model]})
    assert nested["value"][0]["resourceGroup"] == "rg1" and "resourceGroup" not in model


def test_query_applies_before_formatting() -> None:
    assert format_output(WS, "json", query="[].name") == '[\n  "ws1",\n  "ws22"\n]'
    assert format_output(WS, "tsv", query="[0].identity.principal_id") == "g1"
    assert format_output(WS, "json", query="[?location=='westus'].name | [0]") == '"ws22"'


def test_tsv_of_query_hash_keeps_query_order_and_lists_print_one_per_line() -> None:
    assert format_output(WS[0], "tsv", query="{z: name, a: location}") == "ws1\teastus"
    assert format_output(WS[0], "tsv", query="[name, location]") == "ws1\neastus"
    assert format_output(WS, "tsv", query="[].[name, location]") == "ws1\teastus\nws22\twestus"


def test_invalid_query_is_reported() -> None:
    with pytest.raises(InvalidQueryError):
        apply_query(WS, "[?name==")


def test_table_with_transformer_has_its_columns() -> None:
    lines = format_output(WS, "table", table_transformer=workspace_table).splitlines()
    assert lines[0].split() == ["Name", "ResourceGroup", "Location", "DisplayName"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["ws1", "rg1", "eastus", "One"]
    assert lines[3].split() == ["ws22", "rg2", "westus", "Two"]
    # columns line up: each value starts where its header starts
    assert lines[2].index("rg1") == lines[0].index("ResourceGroup")


def test_table_transformer_ignored_after_query_as_az_does() -> None:
    text = format_output(WS, "table", query="[].{N:name, L:location}", table_transformer=workspace_table)
    assert text.splitlines()[0].split() == ["N", "L"]


def test_automatic_table_skips_nested_values_and_capitalises() -> None:
    text = format_table([{"name": "a", "isDefault": True, "tags": {"x": 1}}])
    assert text.splitlines()[0].split() == ["Name", "IsDefault"]
    assert text.splitlines()[2].split() == ["a", "True"]
    assert format_table(["x", "y"]).splitlines()[2:] == ["x", "y"]
    assert format_table([]) == ""


def test_group_table_for_a_single_object() -> None:
    text = format_output({"name": "rg1", "location": "eastus", "properties": {"provisioningState": "Succeeded"}},
                         "table", table_transformer=group_table)
    assert text.splitlines()[0].split() == ["Name", "Location", "Status"]
    assert text.splitlines()[2].split() == ["rg1", "eastus", "Succeeded"]


def test_registry_table_shows_its_regions() -> None:
    registry = {"id": "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/registries/r",
                "name": "r", "location": "eastus",
                "replication_locations": [{"location": "eastus"}, {"location": "westus"}]}
    lines = format_output(registry, "table", table_transformer=registry_table).splitlines()
    assert lines[0].split() == ["Name", "ResourceGroup", "Location", "Regions"]
    assert lines[2].split() == ["r", "rg1", "eastus", "eastus,", "westus"]


def test_pair_and_switch_tables_show_the_sides_and_what_was_left() -> None:
    ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/"
    pair = {"name": "p1", "properties": {"mode": "hot-warm", "activeSide": "secondary", "autoFailover": True,
                                         "primaryWorkspaceId": ws + "east", "secondaryWorkspaceId": ws + "west"}}
    lines = format_output([pair], "table", table_transformer=pair_table).splitlines()
    assert lines[0].split() == ["Name", "Mode", "Active", "Primary", "Secondary", "AutoFailover"]
    assert lines[2].split() == ["p1", "hot-warm", "secondary", "east", "west", "True"]
    report = {"pair": "p1", "action": "failover", "status": "Succeeded", "toWorkspaceId": ws + "west",
              "rtoSeconds": 0.03, "jobs": [{"from": "a", "to": "a-failover1"}],
              "notCopied": {"models": [], "environments": [{"name": "e"}, {"name": "f"}]}, "notRecovered": []}
    lines = format_output(report, "table", table_transformer=switch_table).splitlines()
    assert lines[0].split() == ["Pair", "Action", "Status", "To", "RtoSeconds", "JobsResubmitted", "NotCopied",
                                "NotRecovered"]
    assert lines[2].split() == ["p1", "failover", "Succeeded", "west", "0.03", "1", "2", "0"]


def test_tsv_uses_sorted_keys_and_blanks_nested_objects() -> None:
    row = {"name": "rg1", "location": "eastus", "tags": {"a": "b"}, "list": [1, 2, 3], "none": None}
    assert format_tsv(row) == "3\teastus\trg1\t\t"
    assert format_tsv(["a", "b"]) == "a\nb"
    assert format_output(True, "tsv") == "True"


def test_yaml_and_none() -> None:
    assert yaml.safe_load(format_output(WS, "yaml")) == json.loads(format_output(WS, "json"))
    assert format_output(WS, "none") == ""


def test_jsonc_has_colours_but_same_content() -> None:
    text = format_output({"a": 1}, "jsonc")
    assert "\x1b[" in text
    import re

    assert json.loads(re.sub(r"\x1b\[[0-9;]*m", "", text)) == {"a": 1}
