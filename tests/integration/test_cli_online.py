"""Online endpoint commands in process, against the real app (tests/integration/clients.py): the
arguments az takes on ``update`` either change what they name or are refused with one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.clients import Workspace, cli_logged_in, workspace  # noqa: F401 (fixtures)
from tests.unit.test_cli_commands import run

ENDPOINT = Path(__file__).resolve().parents[1] / "corpus" / "online" / "endpoint.yml"


@pytest.fixture
def ws(cli_logged_in: Workspace) -> list[str]:
    return ["-w", cli_logged_in.name, "-g", cli_logged_in.group]


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def refused(*args: str) -> str:
    result = run(*args)
    assert result.exit_code != 0, result.stdout
    assert "Traceback" not in result.stderr and "UnexpectedError" not in result.stderr, result.stderr
    return str(result.stderr.strip())


def test_endpoint_update_by_name_applies_set_and_refuses_what_is_wrong(ws: list[str]) -> None:
    ok("ml", "online-endpoint", "create", "--file", str(ENDPOINT), *ws)
    updated = ok("ml", "online-endpoint", "update", "-n", "my-endpoint", "--set", "description=serves blue",
                 "tags.stage=prod", *ws)
    assert updated["description"] == "serves blue" and updated["tags"] == {"stage": "prod"}
    shown = ok("ml", "online-endpoint", "show", "-n", "my-endpoint", *ws)
    assert shown["description"] == "serves blue" and shown["tags"] == {"stage": "prod"}
    assert shown["auth_mode"] == "key"

    error = refused("ml", "online-endpoint", "update", "-n", "my-endpoint", "--set", "auth_mode=password", *ws)
    assert "auth_mode" in error
    error = refused("ml", "online-endpoint", "update", "-n", "my-endpoint", "--set", "name=other", *ws)
    assert "cannot be renamed" in error
    assert refused("ml", "online-endpoint", "update", "-n", "my-endpoint", "--traffic", "blue", *ws).startswith(
        "(InvalidArgumentValue) --traffic: 'blue' is not NAME=WEIGHT")
    assert ok("ml", "online-endpoint", "show", "-n", "my-endpoint", *ws)["description"] == "serves blue"


def test_commands_that_need_a_file_say_so(ws: list[str]) -> None:
    assert refused("ml", "online-endpoint", "create", "-n", "x", *ws) == "(MissingArguments) online-endpoint create needs --file."
    assert refused("ml", "online-endpoint", "update", *ws).startswith("(MissingArguments)")
    assert refused("ml", "online-deployment", "update", "-n", "blue", "-e", "my-endpoint", "--set", "instance_count=2",
                   *ws).startswith("(MissingArguments) online-deployment create and update need --file")
