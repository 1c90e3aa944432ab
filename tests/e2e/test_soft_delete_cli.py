"""Soft delete through the real ``amlite`` CLI against a real server: a deleted workspace comes
back (``recover``, or a re-create) with its model intact, ``--permanently-delete`` frees the name;
the same for a registry; a server whose retention is a moment purges by itself. And seed 001's
data share of the README's own ``examples/data.yml`` (a datastore path) into a registry."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, ServerProcess

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _model(cli: Cli, tmp_path: Path, *where: str) -> dict:  # type: ignore[type-arg]
    model_dir = tmp_path / "model"
    model_dir.mkdir(exist_ok=True)
    (model_dir / "w.bin").write_bytes(b"weights that must survive")
    (tmp_path / "model.yml").write_text("name: keeper\nversion: 1\npath: ./model\ntype: custom_model\n")
    return cli.json("ml", "model", "create", "--file", str(tmp_path / "model.yml"), *where)  # type: ignore[no-any-return]


def test_workspace_soft_delete_recover_and_purge(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group, other = f"rg-{uuid.uuid4().hex[:8]}", f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("group", "create", "-g", other, "-l", "eastus")
    ws = cli.json("ml", "workspace", "create", "-n", "ws-soft", "-g", group)
    _model(cli, tmp_path, "-w", "ws-soft", "-g", group)
    assert cli("ml", "workspace", "delete", "-n", "ws-soft", "-g", group, "--yes").returncode == 0
    assert cli("ml", "workspace", "show", "-n", "ws-soft", "-g", group).returncode == 3
    deleted = cli.json("ml", "workspace", "list-deleted")
    assert [w["name"] for w in deleted if w["resourceGroup"] == group] == ["ws-soft"]
    taken = cli("ml", "workspace", "create", "-n", "ws-soft", "-g", group, "-l", "westus")
    assert taken.returncode == 1 and "Soft-deleted workspace exists" in taken.stderr, taken.stderr
    back = cli.json("ml", "workspace", "recover", "-n", "ws-soft", "-g", group)
    assert back["id"] == ws["id"]
    got = cli("ml", "model", "download", "-n", "keeper", "-v", "1", "-w", "ws-soft", "-g", group,
              "--download-path", str(tmp_path / "down"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "down" / "keeper" / "model" / "w.bin").read_bytes() == b"weights that must survive"
    # delete again and re-create: recovered as Azure does
    cli("ml", "workspace", "delete", "-n", "ws-soft", "-g", group, "--yes")
    cli.json("ml", "workspace", "create", "-n", "ws-soft", "-g", group)
    assert cli.json("ml", "model", "show", "-n", "keeper", "-v", "1", "-w", "ws-soft", "-g", group)["version"] == "1"
    # purge: soft delete then --permanently-delete; the name is then free, in the other group too
    cli("ml", "workspace", "delete", "-n", "ws-soft", "-g", group, "--yes")
    purged = cli("ml", "workspace", "delete", "-n", "ws-soft", "-g", group, "--yes", "--permanently-delete")
    assert purged.returncode == 0, purged.stderr
    assert cli("ml", "workspace", "recover", "-n", "ws-soft", "-g", group).returncode == 3
    cli.json("ml", "workspace", "create", "-n", "ws-soft", "-g", other)
    cli.json("ml", "workspace", "create", "-n", "ws-soft", "-g", group)  # a new, empty workspace
    assert cli("ml", "model", "show", "-n", "keeper", "-v", "1", "-w", "ws-soft", "-g", group).returncode == 3


def test_registry_soft_delete_recover_and_purge(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group, other = f"rg-{uuid.uuid4().hex[:8]}", f"rg-{uuid.uuid4().hex[:8]}"
    name = f"reg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("group", "create", "-g", other, "-l", "eastus")
    (tmp_path / "registry.yml").write_text(f"name: {name}\nlocation: eastus\nreplication_locations:\n"
                                           "  - location: eastus\n")
    reg = cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", group)
    _model(cli, tmp_path, "--registry-name", name)
    assert cli("ml", "registry", "delete", "-n", name, "-g", group, "--yes").returncode == 0
    assert cli("ml", "registry", "show", "-n", name).returncode != 0
    assert name in [r["name"] for r in cli.json("ml", "registry", "list-deleted")]
    clash = cli("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", other)
    assert clash.returncode == 1 and clash.stderr.startswith("(RegistryNameNotAvailable)"), clash.stderr
    assert cli.json("ml", "registry", "recover", "-n", name, "-g", group)["id"] == reg["id"]
    shown = cli.json("ml", "model", "show", "-n", "keeper", "-v", "1", "--registry-name", name)
    assert shown["version"] == "1"
    cli("ml", "registry", "delete", "-n", name, "-g", group, "--yes")
    purged = cli("ml", "registry", "delete", "-n", name, "-g", group, "--yes", "--permanently-delete")
    assert purged.returncode == 0, purged.stderr
    assert cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", other)["name"] == name


def test_a_short_retention_purges_by_itself(server_factory: object, cli: Cli) -> None:
    server: ServerProcess = server_factory(config={"soft_delete_retention_days": 0.00002,  # type: ignore[operator]
                                                   "reconcile_seconds": 0.5})
    cli.json("login", "--credentials-file", str(server.credentials_file))
    cli.json("group", "create", "-g", "rg-brief", "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-brief", "-g", "rg-brief")
    cli("ml", "workspace", "delete", "-n", "ws-brief", "-g", "rg-brief", "--yes")
    deadline = time.monotonic() + 60
    while cli.json("ml", "workspace", "list-deleted") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cli.json("ml", "workspace", "list-deleted") == []
    cli.json("group", "create", "-g", "rg-other", "-l", "eastus")
    assert cli.json("ml", "workspace", "create", "-n", "ws-brief", "-g", "rg-other")["name"] == "ws-brief"


def test_the_readme_data_yml_shares_to_a_registry(logged_in: Cli, tmp_path: Path) -> None:
    """Seed 001's table, data row: ``data share`` of a data asset on a datastore path, then the
    registry side (``--registry-name``) reads it and takes a new version by ``data create``."""
    cli = logged_in
    group, name = f"rg-{uuid.uuid4().hex[:8]}", f"reg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-data", "-g", group)
    (tmp_path / "registry.yml").write_text(f"name: {name}\nlocation: eastus\nreplication_locations:\n"
                                           "  - location: eastus\n")
    cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", group)
    cli.json("ml", "data", "create", "--file", str(REPO / "examples" / "data.yml"), "-w", "ws-data", "-g", group)
    shared = cli.json("ml", "data", "share", "--name", "reviews", "--version", "1", "--resource-group", group,
                      "--workspace-name", "ws-data", "--share-with-name", "reviews", "--share-with-version", "1",
                      "--registry-name", name)
    assert shared["path"] == f"azureml://registries/{name}/data/reviews/versions/1"
    assert cli.json("ml", "data", "show", "-n", "reviews", "-v", "1", "--registry-name", name)["type"] == "uri_folder"
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "a.csv").write_text("id,text\n1,great\n")
    (tmp_path / "data2.yml").write_text("name: reviews\nversion: 2\ntype: uri_folder\npath: ./reviews\n")
    made = cli.json("ml", "data", "create", "-f", str(tmp_path / "data2.yml"), "-g", group, "--registry-name", name)
    assert made["version"] == "2"


def test_a_version_soft_deletes_recovers_and_purges(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-ver", "-g", group)
    where = ("-w", "ws-ver", "-g", group)
    _model(cli, tmp_path, *where)
    assert cli("ml", "model", "delete", "-n", "keeper", "-v", "1", *where).returncode == 0
    assert cli("ml", "model", "show", "-n", "keeper", "-v", "1", *where).returncode == 3
    assert cli.json("ml", "model", "recover", "-n", "keeper", "-v", "1", *where)["version"] == "1"
    got = cli("ml", "model", "download", "-n", "keeper", "-v", "1", *where, "--download-path", str(tmp_path / "d"))
    assert got.returncode == 0 and (tmp_path / "d" / "keeper" / "model" / "w.bin").read_bytes() == \
        b"weights that must survive"
    assert cli("ml", "model", "delete", "-n", "keeper", "-v", "1", *where, "--permanently-delete").returncode == 0
    assert cli("ml", "model", "recover", "-n", "keeper", "-v", "1", *where).returncode == 3
    (tmp_path / "model" / "w.bin").write_bytes(b"other weights")  # other content under the freed number
    assert cli.json("ml", "model", "create", "--file", str(tmp_path / "model.yml"), *where)["version"] == "1"
