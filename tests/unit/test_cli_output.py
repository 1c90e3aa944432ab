"""Output formats and --query, as az prints them."""

from __future__ import annotations

import json

import pytest
import yaml

from amlite.cli.output import InvalidQueryError, apply_query, format_output, format_table, format_tsv
from amlite.cli.tables import arm_resource_table, group_table

WS = [
    {"id": "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1",
     "name": "ws1", "location": "eastus", "tags": {"team": "a"},
     "properties": {"provisioningState": "Succeeded", "workspaceId": "g1"}},
    {"id": "/subscriptions/s/resourceGroups/rg2/providers/Microsoft.MachineLearningServices/workspaces/ws22",
     "name": "ws22", "location": "westus", "tags": {},
     "properties": {"provisioningState": "Deleting", "workspaceId": "g2"}},
]


def test_json_is_indented_with_sorted_camel_case_keys() -> None:
    text = format_output({"name": "x", "displayName": "X", "id": "1"}, "json")
    assert text == '{\n  "displayName": "X",\n  "id": "1",\n  "name": "x"\n}'
    assert json.loads(format_output(WS, "json")) == WS


def test_query_applies_before_formatting() -> None:
    assert format_output(WS, "json", query="[].name") == '[\n  "ws1",\n  "ws22"\n]'
    assert format_output(WS, "tsv", query="[0].properties.workspaceId") == "g1"
    assert format_output(WS, "json", query="[?location=='westus'].name | [0]") == '"ws22"'


def test_tsv_of_query_hash_keeps_query_order_and_lists_print_one_per_line() -> None:
    assert format_output(WS[0], "tsv", query="{z: name, a: location}") == "ws1\teastus"
    assert format_output(WS[0], "tsv", query="[name, location]") == "ws1\neastus"
    assert format_output(WS, "tsv", query="[].[name, location]") == "ws1\teastus\nws22\twestus"


def test_invalid_query_is_reported() -> None:
    with pytest.raises(InvalidQueryError):
        apply_query(WS, "[?name==")


def test_table_with_transformer_has_arm_columns() -> None:
    lines = format_output(WS, "table", table_transformer=arm_resource_table).splitlines()
    assert lines[0].split() == ["Name", "ResourceGroup", "Location", "ProvisioningState"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["ws1", "rg1", "eastus", "Succeeded"]
    assert lines[3].split() == ["ws22", "rg2", "westus", "Deleting"]
    # columns line up: each value starts where its header starts
    assert lines[2].index("rg1") == lines[0].index("ResourceGroup")


def test_table_transformer_ignored_after_query_as_az_does() -> None:
    text = format_output(WS, "table", query="[].{N:name, L:location}", table_transformer=arm_resource_table)
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


def test_tsv_uses_sorted_keys_and_blanks_nested_objects() -> None:
    row = {"name": "rg1", "location": "eastus", "tags": {"a": "b"}, "list": [1, 2, 3], "none": None}
    assert format_tsv(row) == "3\teastus\trg1\t\t"
    assert format_tsv(["a", "b"]) == "a\nb"
    assert format_output(True, "tsv") == "True"


def test_yaml_and_none() -> None:
    assert yaml.safe_load(format_output(WS, "yaml")) == WS
    assert format_output(WS, "none") == ""


def test_jsonc_has_colours_but_same_content() -> None:
    text = format_output({"a": 1}, "jsonc")
    assert "\x1b[" in text
    import re

    assert json.loads(re.sub(r"\x1b\[[0-9;]*m", "", text)) == {"a": 1}
