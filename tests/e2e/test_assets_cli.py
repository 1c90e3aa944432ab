"""Assets through the real ``amlite`` CLI against a real server: what the README tour does not show —
failing creates leave no version behind, conflicts keep the original, datastores hide secrets."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
pytestmark = pytest.mark.e2e


@pytest.fixture
def ws(logged_in: Cli) -> list[str]:
    group = f"rg-{uuid.uuid4().hex[:8]}"
    logged_in.json("group", "create", "-g", group, "-l", "eastus")
    logged_in.json("ml", "workspace", "create", "-n", "ws-assets", "-g", group)
    return ["-w", "ws-assets", "-g", group]


def test_failing_creates_leave_no_version(logged_in: Cli, ws: list[str], tmp_path: Path) -> None:
    cli = logged_in
    bad_yaml = cli("ml", "component", "create", "--file", str(CORPUS / "component/invalid/undeclared_input.yml"), *ws)
    assert bad_yaml.returncode == 1 and bad_yaml.stderr.startswith("(InvalidYaml)")
    no_env = cli("ml", "component", "create", "--file", str(CORPUS / "component/valid/train_full.yml"), *ws)
    assert no_env.returncode == 1 and no_env.stderr.startswith("(AssetReferenceNotFound)")
    assert cli("ml", "component", "show", "-n", "train_model", "-v", "1", *ws).returncode == 3
    no_store = cli("ml", "data", "create", "-n", "d", "--path", "azureml://datastores/nope/paths/x/", *ws)
    assert no_store.returncode == 1 and no_store.stderr.startswith("(DatastoreNotFound)")
    (tmp_path / "m.yml").write_text("name: ghost\npath: ./missing\n")
    missing = cli("ml", "model", "create", "--file", str(tmp_path / "m.yml"), *ws)
    assert missing.returncode == 1 and missing.stderr.startswith("(LocalPathNotFound)")
    assert cli.json("ml", "component", "list", *ws) == []
    assert cli.json("ml", "data", "list", *ws) == []
    assert cli.json("ml", "model", "list", *ws) == []


def test_conflicting_version_keeps_the_original(logged_in: Cli, ws: list[str]) -> None:
    cli = logged_in
    yml = str(CORPUS / "model/valid/folder_custom.yml")
    first = cli.json("ml", "model", "create", "--file", yml, *ws)
    assert first["version"] == "1" and first["tags"]["python"] == "3.10"
    assert cli.json("ml", "model", "create", "--file", yml, *ws)["version"] == "1"  # identical: idempotent
    clash = cli("ml", "model", "create", "--file", yml, "--path", str(CORPUS / "assets/model/weights.bin"), *ws)
    assert clash.returncode == 1 and clash.stderr.startswith("(AssetVersionConflict)")
    shown = cli.json("ml", "model", "show", "-n", "credit-default", "-v", "1", *ws)
    assert shown["path"] == first["path"] and shown["description"] == "Credit default classifier"
    table = cli("ml", "model", "show", "-n", "credit-default", "-v", "1", *ws, "-o", "table").stdout.splitlines()
    assert table[2].split()[:2] == ["credit-default", "1"]


def test_environment_build_context_component_and_pipeline(logged_in: Cli, ws: list[str]) -> None:
    cli = logged_in
    built = cli.json("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/build_context.yml"), *ws)
    assert built["build"]["dockerfile_path"] == "Dockerfile" and built["build"]["path"].startswith("azureml://")
    cli.json("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/image_only.yml"), *ws)
    inline = cli.json("ml", "component", "create", "--file", str(CORPUS / "component/valid/inline_environment.yml"), *ws)
    assert inline["environment"].startswith("azureml:CliV2AnonymousEnvironment:")
    cli.json("ml", "component", "create", "--file", str(CORPUS / "component/valid/no_type.yml"), *ws)
    pipe = cli.json("ml", "component", "create", "--file", str(CORPUS / "component/valid/pipeline_files_and_refs.yml"), *ws)
    assert pipe["jobs"]["prep"]["component"] == "azureml:prep_data:1"
    listed = {c["name"] for c in cli.json("ml", "component", "list", *ws)}  # containers, without a name
    assert {"inline_env_component", "prep_data", "train_pipeline"} <= listed, listed


def test_datastore_secrets_stay_on_the_server(logged_in: Cli, ws: list[str]) -> None:
    cli = logged_in
    created = cli("ml", "datastore", "create", "--file", str(CORPUS / "datastore/valid/blob_account_key.yml"), *ws)
    assert created.returncode == 0, created.stderr
    key = "XXXxxxXXXxXXXXxxXXXXXxXXXXXxXxxXxXXXxXXX"
    assert key not in created.stdout
    names = [d["name"] for d in cli.json("ml", "datastore", "list", *ws)]
    assert "blob_example" in names and "workspaceblobstore" in names
    assert key not in cli("ml", "datastore", "show", "-n", "blob_example", *ws).stdout
    assert cli("ml", "datastore", "delete", "-n", "blob_example", *ws).returncode == 0
    assert cli("ml", "datastore", "show", "-n", "blob_example", *ws).returncode == 3
    default = cli("ml", "datastore", "delete", "-n", "workspaceblobstore", *ws)
    assert default.returncode == 1
    assert json.loads(cli("ml", "datastore", "show", "-n", "workspaceblobstore", *ws).stdout)["name"]


def test_model_list_with_tags_searches_every_model(logged_in: Cli, ws: list[str]) -> None:
    cli = logged_in
    yml = str(CORPUS / "model/valid/folder_custom.yml")  # tagged python=3.10
    cli.json("ml", "model", "create", "--file", yml, *ws)
    cli.json("ml", "model", "create", "--file", yml, "--name", "other", "--set", "tags.stage=prod", *ws)
    found = cli.json("ml", "model", "list", "--tags", "python=3.10", *ws)
    assert [m["id"].split("/models/")[1] for m in found] == ["other/versions/1", "credit-default/versions/1"]
    assert [m["id"].split("/models/")[1] for m in cli.json("ml", "model", "list", "--tags", "stage", *ws)] == \
        ["other/versions/1"]
    refused = cli("ml", "data", "list", "--tags", "stage", *ws)
    assert refused.returncode != 0 and "models only" in refused.stderr
