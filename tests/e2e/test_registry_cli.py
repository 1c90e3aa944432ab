"""Seed 002 through the real ``amlite`` CLI against a real server: both registry.yml files exactly
as the seed writes them, then show, list, update (a region added from the edited file), delete."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli
from tests.seed_registries import SEED_1, SEED_2

pytestmark = pytest.mark.e2e


def regions(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [d["location"] for d in body["replication_locations"]]


def test_the_seed_registries_from_yaml(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    (first / "registry.yml").write_text(SEED_1)
    (second / "registry.yml").write_text(SEED_2)
    one = cli.json("ml", "registry", "create", "--file", str(first / "registry.yml"), "-g", group)
    two = cli.json("ml", "registry", "create", "--file", str(second / "registry.yml"), "-g", group)
    assert (one["name"], two["name"]) == ("DemoRegistry1", "DemoRegistry2")
    assert regions(one) == regions(two) == ["eastus", "eastus2", "westus"]
    assert one["tags"] == {"foo": "bar"} and one["location"] == "eastus"
    for region in two["replication_locations"]:
        storage = region["storage_config"]
        assert (storage["storage_account_type"], storage["storage_account_hns"]) == ("standard_lrs", False)
        assert "/providers/Microsoft.Storage/storageAccounts/" in storage["arm_resource_id"]
    assert two["resourceGroup"] == group
    # The name is unique in the tenant: a second create of the same file elsewhere is refused.
    other = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", other, "-l", "westus")
    dup = cli("ml", "registry", "create", "--file", str(first / "registry.yml"), "-g", other)
    assert dup.returncode == 1 and dup.stderr.startswith("(RegistryNameNotAvailable)"), dup.stderr
    assert cli.json("ml", "registry", "show", "-n", "demoregistry1")["id"] == one["id"]
    assert cli.json("ml", "registry", "show", "-n", "DemoRegistry1", "-g", group)["id"] == one["id"]  # az's -g
    assert cli("ml", "registry", "show", "-n", "DemoRegistry1", "-g", other).returncode == 3
    regions_table = cli("ml", "registry", "show", "-n", "DemoRegistry1", "-o", "table").stdout.splitlines()
    assert regions_table[0].split() == ["Name", "ResourceGroup", "Location", "Regions"]
    assert regions_table[2].split()[3:] == ["eastus,", "eastus2,", "westus"]
    assert sorted(r["name"] for r in cli.json("ml", "registry", "list", "-g", group)) == ["DemoRegistry1", "DemoRegistry2"]
    updated = cli.json("ml", "registry", "update", "-n", "DemoRegistry1", "--set", "description=shared models")
    assert updated["description"] == "shared models" and updated["tags"] == {"foo": "bar"}
    (first / "registry.yml").write_text(SEED_1 + "  - location: North Europe\n")
    grown = cli.json("ml", "registry", "update", "-n", "DemoRegistry1", "--file", str(first / "registry.yml"))
    assert regions(grown) == ["eastus", "eastus2", "westus", "northeurope"]
    (first / "registry.yml").write_text(SEED_1.replace("location: eastus\nrepl", "location: westus\nrepl"))
    moved = cli("ml", "registry", "update", "-n", "DemoRegistry1", "--file", str(first / "registry.yml"))
    assert moved.returncode == 1 and moved.stderr.startswith("(PrimaryRegionImmutable)"), moved.stderr
    for name in ("DemoRegistry1", "DemoRegistry2"):
        assert cli("ml", "registry", "delete", "-n", name, "--yes").returncode == 0
        assert cli("ml", "registry", "show", "-n", name).returncode == 3


CURATED = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"


def test_a_component_on_a_curated_environment_creates_in_a_fresh_workspace_of_a_fresh_server(
        cli: Cli, server_factory: Any, tmp_path: Path) -> None:
    """Real YAML names Azure ML's curated environments; the built-in ``azureml`` registry has them."""
    server = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    cli.json("group", "create", "-g", "rg-curated", "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-curated", "-g", "rg-curated")
    ws = ["-g", "rg-curated", "-w", "ws-curated"]
    spec = tmp_path / "train.yml"
    spec.write_text("$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\n"
                    "name: train_model\nversion: 1\ntype: command\ncommand: python train.py\n"
                    f"environment: {CURATED}\n")
    made = cli.json("ml", "component", "create", "--file", str(spec), *ws)
    assert json.dumps(made).count(CURATED) == 1
    latest = cli.json("ml", "environment", "show", "-n", "sklearn-1.5", "--label", "latest", "--registry-name", "azureml")
    assert "mcr.microsoft.com/azureml/curated/sklearn-1.5:" in json.dumps(latest)
    pinned = cli.json("ml", "environment", "show", "-n", "sklearn-1.5", "-v", "50", "--registry-name", "azureml")
    assert "sklearn-1.5:50" in json.dumps(pinned)
    env = tmp_path / "env.yml"
    env.write_text("name: sklearn-1.5\nversion: 999\nimage: python:3.11\n")
    refused = cli("ml", "environment", "create", "--file", str(env), "--registry-name", "azureml")
    assert refused.returncode != 0 and "(SystemRegistryReadOnly)" in refused.stderr, refused.stderr
    labelled = cli("ml", "environment", "show", "-n", "sklearn-1.5", "--label", "prod", "--registry-name", "azureml")
    assert labelled.returncode != 0 and "managed" in labelled.stderr, labelled.stderr
