"""amlite's opt-ins beyond Azure on ``amlite resource move``, against a real server process: a move
to a group in another region is refused as on Azure, then made with ``--allow-region-change``,
after which the model's bytes download from the new region; a principal map without
``--allow-tenant-change`` is refused and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_cli, start_server


@pytest.mark.e2e
def test_resource_move_allow_region_change(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    config = tmp_path / "cli"

    def cli(*args: str) -> Any:
        return run_cli(*args, config_dir=config, cwd=tmp_path)

    def run(*args: str) -> Any:
        done = cli(*args)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    try:
        run("login", "--credentials-file", str(server.credentials_file))
        sub = server.credentials["subscriptionId"]
        run("group", "create", "-g", "east-rg", "-l", "eastus")
        run("group", "create", "-g", "west-rg", "-l", "westus")
        run("ml", "workspace", "create", "-n", "wsmove", "-g", "east-rg")
        (tmp_path / "model.pkl").write_bytes(b"weights that travel")
        run("ml", "model", "create", "--name", "m1", "--version", "1", "--path", "model.pkl", "-w", "wsmove", "-g", "east-rg")
        ws_id = f"/subscriptions/{sub}/resourceGroups/east-rg/providers/Microsoft.MachineLearningServices/workspaces/wsmove"
        move = ("resource", "move", "--destination-group", "west-rg", "--ids", ws_id)

        refused = cli(*move)
        assert refused.returncode == 1 and "MoveCrossRegion" in refused.stderr, refused.stderr
        (tmp_path / "map.json").write_text(json.dumps({server.credentials.get("objectId", sub): sub}))
        mapped = cli(*move, "--allow-region-change", "--principal-map", "@map.json")
        assert mapped.returncode != 0 and "InvalidRequestContent" in mapped.stderr, mapped.stderr
        assert run("ml", "workspace", "show", "-n", "wsmove", "-g", "east-rg")["location"] == "eastus"

        done = cli(*move, "--allow-region-change")
        assert done.returncode == 0 and done.stdout.strip() == "", done.stderr
        assert "copied from 'eastus' to 'westus'" in done.stderr, done.stderr
        moved = run("ml", "workspace", "show", "-n", "wsmove", "-g", "west-rg")
        assert moved["location"] == "westus"
        got = cli("ml", "model", "download", "-n", "m1", "-v", "1", "-w", "wsmove", "-g", "west-rg",
                  "--download-path", str(tmp_path / "d"))
        assert got.returncode == 0, got.stderr
        assert [p.read_bytes() for p in (tmp_path / "d").rglob("*") if p.is_file()] == [b"weights that travel"]
    finally:
        server.stop()
