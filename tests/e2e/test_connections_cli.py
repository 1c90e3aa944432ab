"""Connections through the real ``amlite`` CLI against a real server, as a user types them: create
from azure-ai-ml connection YAML, show and list without secrets, list by type, update by --set and
by file (credentials kept unless given), a bad file that creates nothing, and delete."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

AOAI_KEY = "sk-e2e-aoai-key-0042"
PAT = "ghp_e2ePersonalAccessToken"


def test_connections_from_the_cli(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-conn", "-g", group)
    ws = ["-w", "ws-conn", "-g", group]

    (tmp_path / "aoai.yml").write_text(
        "name: my-aoai\ntype: azure_open_ai\nazure_endpoint: https://contoso.openai.azure.com/\n"
        f"api_version: '2024-02-01'\napi_key: {AOAI_KEY}\n")
    made = cli("ml", "connection", "create", "--file", str(tmp_path / "aoai.yml"), *ws)
    assert made.returncode == 0, made.stderr
    assert AOAI_KEY not in made.stdout
    created = cli.json("ml", "connection", "show", "-n", "my-aoai", *ws)
    assert (created["type"], created["azure_endpoint"], created["api_version"]) == (
        "azure_open_ai", "https://contoso.openai.azure.com/", "2024-02-01")
    assert created["credentials"] == {"type": "api_key"} and created["is_shared"] is True
    assert created["id"].endswith(f"/resourceGroups/{group}/providers/Microsoft.MachineLearningServices"
                                  "/workspaces/ws-conn/connections/my-aoai")

    (tmp_path / "git.yml").write_text(
        "name: my-git\ntype: git\ntarget: https://github.com/contoso/repo\n"
        f"credentials:\n  type: pat\n  pat: {PAT}\n")
    assert cli("ml", "connection", "create", "-f", str(tmp_path / "git.yml"), *ws).returncode == 0
    listed = cli("ml", "connection", "list", *ws, "-o", "json")
    assert AOAI_KEY not in listed.stdout and PAT not in listed.stdout
    assert sorted(c["name"] for c in cli.json("ml", "connection", "list", *ws)) == ["my-aoai", "my-git"]
    assert [c["name"] for c in cli.json("ml", "connection", "list", "--type", "git", *ws)] == ["my-git"]
    table = cli("ml", "connection", "list", *ws, "-o", "table")
    assert "my-git" in table.stdout and "pat" in table.stdout

    updated = cli.json("ml", "connection", "update", "-n", "my-git", "--set", "target=https://github.com/contoso/new",
                       *ws)
    assert updated["target"] == "https://github.com/contoso/new" and updated["credentials"] == {"type": "pat"}
    (tmp_path / "aoai2.yml").write_text(
        "name: my-aoai\ntype: azure_open_ai\nazure_endpoint: https://eu.openai.azure.com/\napi_version: '2025-01-01'\n"
        "credentials:\n  type: api_key\n")
    moved = cli.json("ml", "connection", "update", "--file", str(tmp_path / "aoai2.yml"), *ws)
    assert (moved["azure_endpoint"], moved["api_version"]) == ("https://eu.openai.azure.com/", "2025-01-01")

    (tmp_path / "bad.yml").write_text("name: bad\ntype: telepathy\ntarget: x\n")
    bad = cli("ml", "connection", "create", "--file", str(tmp_path / "bad.yml"), *ws)
    assert bad.returncode == 1 and bad.stderr.startswith("(InvalidConnectionCategory)") and "Telepathy" in bad.stderr
    (tmp_path / "bad2.yml").write_text(f"name: bad2\ntype: git\ntarget: x\ncredentials:\n  type: pat\n  pat: ''\n")
    bad2 = cli("ml", "connection", "create", "--file", str(tmp_path / "bad2.yml"), *ws)
    assert bad2.returncode != 0 and "credentials.pat" in bad2.stderr
    assert cli("ml", "connection", "show", "-n", "bad", *ws).returncode == 3
    assert cli("ml", "connection", "show", "-n", "bad2", *ws).returncode == 3

    assert cli("ml", "connection", "delete", "-n", "my-git", *ws).returncode != 0  # no tty, no --yes: refused
    assert cli("ml", "connection", "delete", "-n", "my-git", "--yes", *ws).returncode == 0
    assert cli("ml", "connection", "show", "-n", "my-git", *ws).returncode == 3
    assert [c["name"] for c in cli.json("ml", "connection", "list", *ws)] == ["my-aoai"]
