"""YAML that says two things or expands without bound is refused where it is read, by the SDK, the
CLI and the spec loaders alike (issue 9, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlite.schemas._yaml import MAX_EXPANDED_NODES, YamlSchemaError, load_yaml_dict, load_yaml_text


def billion_laughs(key: str = "tags") -> str:
    """About 480 bytes that expand to 10**9 strings."""
    lines = ["$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json", "name: bomb",
             "path: https://a.blob.core.windows.net/c/m", 'x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        prev = f"*a{level - 1}"
        lines.append(f"x{level}: &a{level} [{','.join([prev] * 9)}]")
    lines.append(f"{key}: {{k: *a8}}")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_document_is_refused_without_expanding_it(tmp_path: Path) -> None:
    text = billion_laughs()
    assert len(text.encode()) < 600
    file = tmp_path / "bomb.yml"
    file.write_text(text)
    with pytest.raises(YamlSchemaError, match="expands to more than"):
        load_yaml_dict(file)


def test_aliases_within_the_bound_are_read() -> None:
    data = load_yaml_text("a: &x [1, 2]\nb: *x\nc: *x\n")
    assert data == {"a": ["1", "2"], "b": ["1", "2"], "c": ["1", "2"]}
    wide = "a: &x [" + ",".join(["1"] * (MAX_EXPANDED_NODES // 4)) + "]\nb: *x\n"
    assert len(load_yaml_text(wide)["b"]) == MAX_EXPANDED_NODES // 4


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(YamlSchemaError, match="refers to itself"):
        load_yaml_text("a: &x [*x]\n")


@pytest.mark.parametrize("text", ["name: a\nname: b\n", "tags:\n  k: 1\n  k: 2\n", "a: {x: 1, x: 1}\n",
                                  "'1': a\n1: b\n"])
def test_a_key_given_twice_is_refused(text: str) -> None:
    with pytest.raises(YamlSchemaError, match="duplicate key"):
        load_yaml_text(text)


def test_merge_keys_may_still_override() -> None:
    assert load_yaml_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n")["c"] == {"x": "3", "y": "2"}


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(YamlSchemaError):
        load_yaml_text("a: " + "[" * 5000 + "]" * 5000)
