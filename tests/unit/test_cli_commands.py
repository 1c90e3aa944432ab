"""CLI commands that need no server: the login they lack, the server they cannot reach. The
commands against the real app are in tests/integration/test_cli_arm.py and test_cli_assets.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from amlite.cli.args import expand_argv
from amlite.cli.main import app

TENANT = "11111111-1111-1111-1111-111111111111"
SUB1 = "22222222-2222-2222-2222-222222222222"


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, expand_argv(list(args)), input=input)


def test_not_logged_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path / "profile"))
    monkeypatch.delenv("AMLITE_ENDPOINT", raising=False)
    result = run("group", "list")
    assert result.exit_code == 1
    assert result.stderr.strip() == "(NotLoggedIn) Please run 'amlite login' to set up an account."


def test_connection_refused_is_one_clean_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "profile.json").write_text(json.dumps({
        "endpoint": "http://127.0.0.1:1", "tenantId": TENANT, "user": {"name": "u", "type": "user"},
        "subscriptions": [{"id": SUB1, "name": "s", "isDefault": True}]}))
    (tmp_path / "tokens.json").write_text(json.dumps({"accessToken": "at", "expiresOn": 2**31, "expiresIn": 3600}))
    result = run("group", "list")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("(ServiceRequestError) Cannot connect to the amlite server at http://127.0.0.1:1")
    debug = run("group", "list", "--debug")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


@pytest.mark.parametrize("args, message", [
    (("resource", "move", "--destination-group", "rg2", "--ids",
      f"/subscriptions/{SUB1}/resourceGroups/a/providers/Microsoft.MachineLearningServices/workspaces/w1",
      f"/subscriptions/{SUB1}/resourceGroups/b/providers/Microsoft.MachineLearningServices/workspaces/w2"),
     "(InvalidArgumentValue) All resources should be in the same resource group."),
    (("resource", "move", "--destination-group", "rg2", "--ids", "not-an-id"),
     "(InvalidArgumentValue) 'not-an-id' is not a valid resource id."),
    (("resource", "invoke-action", "--action", "validateMoveResources", "--ids", f"/subscriptions/{SUB1}/resourceGroups/a",
      "--request-body", "{not json"), "(InvalidArgumentValue) --request-body is not valid JSON"),
])
def test_move_arguments_are_judged_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      args: tuple[str, ...], message: str) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profile.json").write_text(json.dumps({
        "endpoint": "http://127.0.0.1:1", "tenantId": TENANT, "user": {"name": "u", "type": "user"},
        "subscriptions": [{"id": SUB1, "name": "s", "isDefault": True}]}))
    (tmp_path / "tokens.json").write_text(json.dumps({"accessToken": "at", "expiresOn": 2**31, "expiresIn": 3600}))
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message), result.stderr
