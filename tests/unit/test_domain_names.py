"""Naming rules: one clear message per broken rule."""

from __future__ import annotations

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.names import check_resource_group_name, check_subscription_id, check_tags, check_workspace_name


@pytest.mark.parametrize("name", ["abc", "a" * 33, "Team-WS_1", "9lives", "ws_"])
def test_valid_workspace_names(name: str) -> None:
    assert check_workspace_name(name) == name


@pytest.mark.parametrize("name, words", [
    ("ab", "between 3 and 33"), ("a" * 34, "between 3 and 33"), ("has.dot", "only letters"),
    ("has space", "only letters"), ("-lead", "start with a letter"), ("_lead", "start with a letter"),
    ("ünï", "only letters"),
])
def test_invalid_workspace_names_say_which_rule(name: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_workspace_name(name)
    assert info.value.code == "InvalidWorkspaceName" and words in info.value.message
    assert info.value.target == "workspaceName"


@pytest.mark.parametrize("name", ["a", "rg-1", "my_rg.(prod)", "x" * 90, "Ünicode-ok"])
def test_valid_resource_group_names(name: str) -> None:
    assert check_resource_group_name(name) == name


@pytest.mark.parametrize("name, words", [
    ("", "between 1 and 90"), ("x" * 91, "between 1 and 90"), ("ends.", "must not end with a period"),
    ("bad*name", "may contain only"), ("bad/name", "may contain only"), ("a b", "may contain only"),
])
def test_invalid_resource_group_names(name: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_resource_group_name(name)
    assert info.value.code == "InvalidResourceGroupName" and words in info.value.message


def test_subscription_ids_are_canonical_guids() -> None:
    assert check_subscription_id("A5ED46E5-47B7-470A-A198-247B73D3AED3") == "a5ed46e5-47b7-470a-a198-247b73d3aed3"
    with pytest.raises(InvalidInput):
        check_subscription_id("default")


def test_tags_keep_string_values_and_refuse_bad_shapes() -> None:
    assert check_tags({"version": 2.10, "flag": True, "n": None}) == {"version": "2.1", "flag": "true", "n": ""}
    assert check_tags(None) == {}
    for bad in (["a"], {"k/slash": "v"}, {"k": "v" * 257}, {str(i): "v" for i in range(51)}, {"k": {"nested": 1}}):
        with pytest.raises(InvalidInput):
            check_tags(bad)
