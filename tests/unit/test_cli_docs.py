"""Meta-test: every CLI command and each of its options is documented in docs/cli.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from amlite.cli.main import app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
GLOBAL = {"--output", "--query", "--subscription", "--only-show-errors", "--debug", "--help"}


def _commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if children:
        for name, child in children.items():
            yield from _commands(child, [*path, name])
    else:
        yield " ".join(path), command


COMMANDS = list(_commands(typer.main.get_command(app), []))


def test_the_command_tree_is_what_docs_describe() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"login", "logout", "server", "account show", "group create", "ml workspace show"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_and_options_documented(name: str, command: Any) -> None:
    assert f"`{name}" in DOC or f"amlite {name}" in DOC, f"'{name}' is not in docs/cli.md"
    for param in command.params:
        longs = [o for o in param.opts if o.startswith("--") and o not in GLOBAL]
        if longs:
            assert any(o in DOC for o in longs), f"{name}: {longs} not in docs/cli.md"
    for option in GLOBAL - {"--help"}:
        assert option in DOC
