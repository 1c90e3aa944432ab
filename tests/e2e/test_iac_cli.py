"""Infrastructure as code through the real ``amlite`` CLI against a real server: export a workspace
with a compute and an online endpoint to a template file, deploy it into a group in another region
with ``deployment group create``, find no drift with ``ml workspace diff`` (exit 0), change the copy
and see the drift (exit 1, JSON and table), and a template amlite cannot deploy refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def test_export_deploy_and_diff_from_the_cli(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    src, dst = f"rg-{uuid.uuid4().hex[:8]}", f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", src, "-l", "eastus")
    cli.json("group", "create", "-g", dst, "-l", "westus")
    cli.json("ml", "workspace", "create", "-n", "ws-main", "-g", src, "--tags", "env=prod")
    ws = ["-w", "ws-main", "-g", src]
    cli.json("ml", "compute", "create", "-n", "cpu", "--type", "amlcompute", "--size", "Standard_DS2_v2",
             "--max-instances", "1", *ws)
    (tmp_path / "ep.yml").write_text("name: ep-iac\nauth_mode: key\ndescription: scoring\n")
    cli.json("ml", "online-endpoint", "create", "-f", str(tmp_path / "ep.yml"), *ws)

    out = tmp_path / "ws.json"
    done = cli("ml", "workspace", "export-template", "-n", "ws-main", "-g", src, "--file", str(out))
    assert done.returncode == 0, done.stderr
    template = json.loads(out.read_text())
    assert [r["type"].rsplit("/", 1)[-1] for r in template["resources"]] == ["workspaces", "computes", "onlineEndpoints"]

    deployed = cli.json("deployment", "group", "create", "-g", dst, "--template-file", str(out),
                        "--parameters", "workspaceName=ws-copy")
    assert deployed["name"] == "ws" and deployed["properties"]["provisioningState"] == "Succeeded"
    assert cli.json("ml", "workspace", "show", "-n", "ws-copy", "-g", dst)["location"] == "westus"
    assert [d["name"] for d in cli.json("deployment", "group", "list", "-g", dst)] == ["ws"]

    same = cli("ml", "workspace", "diff", "ws-main", "ws-copy", "-g", src, "-g", dst)
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["equal"] is True

    cli.json("ml", "compute", "create", "-n", "cpu", "--type", "amlcompute", "--size", "Standard_DS2_v2",
             "--max-instances", "2", "-w", "ws-copy", "-g", dst)
    sub = cli.json("account", "show")["id"]
    copy_id = f"/subscriptions/{sub}/resourceGroups/{dst}/providers/Microsoft.MachineLearningServices/workspaces/ws-copy"
    differs = cli("ml", "workspace", "diff", "ws-main", copy_id, "-g", src)
    assert differs.returncode == 1, differs.stderr
    report = json.loads(differs.stdout)
    assert [(d["change"], d["path"], d["a"], d["b"]) for d in report["differences"]] == [
        ("modified", "properties.properties.scaleSettings.maxNodeCount", 1, 2)]
    table = cli("ml", "workspace", "diff", "ws-main", "ws-copy", "-g", src, "-g", dst, "-o", "table")
    assert table.returncode == 1 and "maxNodeCount" in table.stdout

    template["resources"][1]["location"] = "[toLower(parameters('location'))]"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(template))
    refused = cli("deployment", "group", "create", "-g", dst, "--template-file", str(bad),
                  "--parameters", "workspaceName=ws-never")
    assert refused.returncode == 1 and refused.stderr.startswith("(InvalidTemplate)") and "toLower" in refused.stderr
    assert cli("ml", "workspace", "show", "-n", "ws-never", "-g", dst).returncode == 3
