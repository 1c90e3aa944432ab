"""Seed 003's MLOps flow through the real CLI against a real server, and seed 001's share commands
as written (``az`` replaced by ``amlite``): a model and an environment made in a dev workspace are
shared to a three-region registry, and a prod workspace in another subscription and another
region reads the model from its own region's replica, with lineage back to the dev asset."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def _wait_replicated(cli: Cli, *args: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown = cli.json(*args)
        states = {r["location"]: r["state"] for r in shown["replication"]}
        if all(s == "Succeeded" for s in states.values()) or time.monotonic() > deadline:
            return shown  # type: ignore[no-any-return]
        time.sleep(0.3)


def test_dev_to_registry_to_prod_in_another_subscription(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    tag = uuid.uuid4().hex[:6]
    dev_rg, reg_rg, registry = f"dev-{tag}", f"reg-{tag}", f"mlops-{tag}"
    cli.json("group", "create", "-g", dev_rg, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "dev-ws", "-g", dev_rg, "-l", "eastus")

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    weights = b"trained weights " * 4096
    (model_dir / "weights.bin").write_bytes(weights)
    (tmp_path / "model.yml").write_text("name: credit-model\nversion: 1\npath: ./model\ntype: custom_model\n")
    (tmp_path / "env.yml").write_text("name: train-env\nversion: 1\nimage: mcr.microsoft.com/azureml/minimal:latest\n")
    dev_model = cli.json("ml", "model", "create", "--file", str(tmp_path / "model.yml"), "-w", "dev-ws", "-g", dev_rg)
    cli.json("ml", "environment", "create", "--file", str(tmp_path / "env.yml"), "-w", "dev-ws", "-g", dev_rg)

    (tmp_path / "registry.yml").write_text(
        f"name: {registry}\nlocation: eastus\nreplication_locations:\n"
        "  - location: eastus\n  - location: eastus2\n  - location: westus\n")
    cli.json("group", "create", "-g", reg_rg, "-l", "eastus")
    cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", reg_rg)

    # Seed 001's table, az -> amlite: short -w/-g for the model, long forms for the environment.
    shared = cli.json("ml", "model", "share", "--name", "credit-model", "--version", "1", "--registry-name", registry,
                      "--share-with-name", "credit-model", "--share-with-version", "1", "-w", "dev-ws", "-g", dev_rg)
    dev_id = dev_model["id"].removeprefix("azureml:")
    assert shared["lineage"]["source_asset_id"] == dev_id
    cli.json("ml", "environment", "share", "--name", "train-env", "--version", "1", "--resource-group", dev_rg,
             "--workspace-name", "dev-ws", "--share-with-name", "train-env", "--share-with-version", "1",
             "--registry-name", registry)

    # Prod: another subscription (an alias, with the ML provider registered) and another region.
    alias = cli.json("account", "alias", "create", "--name", f"prod-{tag}", "--display-name", f"Prod {tag}",
                     "--workload", "Production")
    prod_sub = alias["properties"]["subscriptionId"]
    assert cli("provider", "register", "-n", "Microsoft.MachineLearningServices", "--subscription", prod_sub).returncode == 0
    cli.json("group", "create", "-g", "prod-rg", "-l", "westus", "--subscription", prod_sub)
    cli.json("ml", "workspace", "create", "-n", "prod-ws", "-g", "prod-rg", "-l", "westus", "--subscription", prod_sub)
    prod = ["-w", "prod-ws", "-g", "prod-rg", "--subscription", prod_sub]

    shown = _wait_replicated(cli, "ml", "model", "show", "-n", "credit-model", "-v", "1", "--registry-name", registry,
                             *prod)
    assert [(r["location"], r["state"]) for r in shown["replication"]] == [
        ("eastus", "Succeeded"), ("eastus2", "Succeeded"), ("westus", "Succeeded")]
    assert shown["lineage"]["source_asset_id"] == dev_id
    assert shown["lineage"]["source_workspace_id"].endswith(f"/resourceGroups/{dev_rg}/providers/"
                                                                         "Microsoft.MachineLearningServices/workspaces/dev-ws")

    result = cli("ml", "model", "download", "-n", "credit-model", "-v", "1", "--registry-name", registry,
                 "--download-path", str(tmp_path / "out"), *prod)
    assert result.returncode == 0, result.stderr
    assert "served from region westus" in result.stderr
    downloaded = tmp_path / "out" / "credit-model" / "model" / "weights.bin"
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() == hashlib.sha256(weights).hexdigest()

    # The prod workspace uses the registry's environment by reference.
    (tmp_path / "score.yml").write_text(
        "name: score\nversion: 1\ntype: command\ncommand: python score.py\n"
        f"environment: azureml://registries/{registry}/environments/train-env/labels/latest\n")
    made = cli.json("ml", "component", "create", "--file", str(tmp_path / "score.yml"), *prod)
    assert made["name"] == "score" and made["version"] == "1"
    listed = cli.json("ml", "model", "list", "--registry-name", registry)
    assert [m["name"] for m in listed] == ["credit-model"]
    # Bad input changes nothing: sharing onto the existing name with other content is refused.
    (model_dir / "weights.bin").write_bytes(b"other weights")
    cli.json("ml", "model", "create", "--file", str(tmp_path / "model.yml"), "-w", "dev-ws", "-g", dev_rg,
             "--version", "2")
    clash = cli("ml", "model", "share", "-n", "credit-model", "-v", "2", "--registry-name", registry,
                "--share-with-name", "credit-model", "--share-with-version", "1", "-w", "dev-ws", "-g", dev_rg)
    assert clash.returncode == 1 and clash.stderr.startswith("(AssetVersionConflict)")
