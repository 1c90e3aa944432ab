"""Asset and datastore commands in process, against the real app (tests/integration/clients.py):
output, exit codes and error lines as the server's answers make them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.clients import Workspace, cli_logged_in, workspace  # noqa: F401 (fixtures)
from tests.integration.conftest import ML
from tests.unit.test_cli_commands import run

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture
def ws(cli_logged_in: Workspace) -> list[str]:
    return ["-w", cli_logged_in.name, "-g", cli_logged_in.group]


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def stored(workspace: Workspace, printed: dict[str, Any]) -> dict[str, Any]:
    """The server's own body of what the CLI printed (its ``id`` less azure-ai-ml's ``azureml:``)."""
    arm_id = str(printed["id"]).removeprefix("azureml:")
    response = workspace.api.request("GET", arm_id, ML)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_model_lifecycle(cli_logged_in: Workspace, ws: list[str], tmp_path: Path) -> None:
    yml = str(CORPUS / "model/valid/no_version_autoincrement.yml")
    first = ok("ml", "model", "create", "--file", yml, *ws)
    assert first["name"] == "auto-versioned" and first["version"] == "1"
    assert first["id"].startswith("azureml:/subscriptions/") and first["id"].endswith("/models/auto-versioned/versions/1")
    assert first["resourceGroup"] == cli_logged_in.group and first["type"] == "custom_model"
    assert first["path"].startswith("azureml://") and first["creation_context"]["created_by_type"] == "User"
    paths = sorted(a["path"] for a in stored(cli_logged_in, first)["properties"]["artifacts"])
    assert paths == ["model/config.json", "model/weights.bin"]
    second = ok("ml", "model", "create", "--file", yml, "--set", "description=second", *ws)
    assert second["version"] == "2" and second["description"] == "second"
    assert run("ml", "model", "create", "--file", yml, *ws, "--query", "version", "-o", "tsv").stdout.strip() == "3"
    ok("ml", "model", "archive", "-n", "auto-versioned", "-v", "3", *ws)
    latest = ok("ml", "model", "show", "-n", "auto-versioned", "--label", "latest", *ws)
    assert latest["version"] == "2"
    ok("ml", "model", "download", "-n", "auto-versioned", "-v", "1", "--download-path", str(tmp_path / "dl"), *ws)
    got = tmp_path / "dl" / "auto-versioned" / "model" / "weights.bin"
    assert got.read_bytes() == (CORPUS / "assets/model/weights.bin").read_bytes()
    ok("ml", "model", "archive", "-n", "auto-versioned", "-v", "2", *ws)
    assert ok("ml", "model", "show", "-n", "auto-versioned", "-l", "latest", *ws)["version"] == "1"
    listed = ok("ml", "model", "list", "-n", "auto-versioned", *ws)
    assert [v["version"] for v in listed] == ["1"]
    assert len(ok("ml", "model", "list", "-n", "auto-versioned", "--include-archived", *ws)) == 3
    ok("ml", "model", "restore", "-n", "auto-versioned", "-v", "2", *ws)
    updated = ok("ml", "model", "update", "-n", "auto-versioned", "-v", "1", "--set", "tags.stage=prod",
                 "description=best", *ws)
    assert updated["tags"] == {"stage": "prod"} and updated["description"] == "best"
    containers = ok("ml", "model", "list", *ws)
    assert [(c["name"], c["latest_version"]) for c in containers] == [("auto-versioned", "2")]
    table = run("ml", "model", "list", *ws, "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "Version", "Description", "CreatedAt"]
    assert table[2].split()[:2] == ["auto-versioned", "2"]


def test_version_one_is_the_string_one_and_identical_recreate_is_idempotent(cli_logged_in: Workspace, ws: list[str]) -> None:
    yml = str(CORPUS / "model/valid/folder_custom.yml")
    created = ok("ml", "model", "create", "--file", yml, *ws)
    assert created["version"] == "1" and created["tags"]["python"] == "3.10"
    put = cli_logged_in.transport.sent("PUT", "/models/")
    assert put[-1].url.path.endswith("/versions/1")
    assert ok("ml", "model", "create", "--file", yml, *ws)["version"] == "1"
    # The description is mutable: the same content with another one updates it in place.
    assert ok("ml", "model", "create", "--file", yml, "--set", "description=changed", *ws)["description"] == "changed"
    conflict = run("ml", "model", "create", "--file", yml, "--set", "type=mlflow_model", *ws)
    assert conflict.exit_code == 1 and conflict.stderr.startswith("(AssetVersionConflict)")


def test_invalid_yaml_and_missing_path_send_nothing(cli_logged_in: Workspace, ws: list[str], tmp_path: Path) -> None:
    bad = run("ml", "component", "create", "--file", str(CORPUS / "component/invalid/undeclared_input.yml"), *ws)
    assert bad.exit_code == 1 and bad.stderr.startswith("(InvalidYaml)") and "inputs.dataset" in bad.stderr
    (tmp_path / "m.yml").write_text("name: m\npath: ./nowhere\n")
    missing = run("ml", "model", "create", "--file", str(tmp_path / "m.yml"), *ws)
    assert missing.exit_code == 1 and missing.stderr.startswith("(LocalPathNotFound) path:")
    assert cli_logged_in.transport.requests == []
    absent = run("ml", "model", "show", "-n", "nope", "-v", "1", *ws)
    assert absent.exit_code == 3


def test_environment_and_component_with_inline_environment(cli_logged_in: Workspace, ws: list[str]) -> None:
    env = ok("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/image_inline_conda.yml"), *ws)
    assert {"pip": ["scikit-learn==1.5.0", "pandas==2.2.2"]} in env["conda_file"]["dependencies"]
    assert env["os_type"] == "linux" and "scikit-learn" in stored(cli_logged_in, env)["properties"]["condaFile"]
    built = ok("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/build_context.yml"), *ws)
    build = built["build"]
    assert build["dockerfile_path"] == "Dockerfile" and build["path"].startswith("azureml://")
    assert [a["path"] for a in stored(cli_logged_in, built)["properties"]["artifacts"]] == ["Dockerfile"]
    comp = ok("ml", "component", "create", "--file", str(CORPUS / "component/valid/inline_environment.yml"), *ws)
    ref = comp["environment"]
    assert ref.startswith("azureml:CliV2AnonymousEnvironment:")
    again = ok("ml", "component", "create", "--file", str(CORPUS / "component/valid/inline_environment.yml"), *ws)
    assert again["environment"] == ref  # same content, same anonymous version
    assert len(ok("ml", "environment", "list", "-n", "CliV2AnonymousEnvironment", *ws)) == 1


def test_component_code_upload_and_missing_environment(cli_logged_in: Workspace, ws: list[str]) -> None:
    yml = str(CORPUS / "component/valid/train_full.yml")
    refused = run("ml", "component", "create", "--file", yml, *ws)
    assert refused.exit_code == 1 and refused.stderr.startswith("(AssetReferenceNotFound)")
    assert run("ml", "component", "show", "-n", "train_model", "-l", "latest", *ws).exit_code == 3
    ok("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/image_only.yml"), *ws)
    comp = ok("ml", "component", "create", "--file", yml, *ws)
    props = stored(cli_logged_in, comp)["properties"]
    assert [a["path"] for a in props["artifacts"]] == ["train.py"] and "code" not in props["componentSpec"]
    assert comp["code"] == props["codeUri"] and comp["code"].startswith("azureml://")
    assert props["componentSpec"]["inputs"]["max_epochs"]["default"] == 10
    assert comp["inputs"]["max_epochs"] == {"type": "integer", "default": "10", "max": "100", "min": "1"}


def test_pipeline_creates_its_file_children_first(ws: list[str]) -> None:
    ok("ml", "environment", "create", "--file", str(CORPUS / "environment/valid/image_only.yml"), *ws)
    yml = str(CORPUS / "component/valid/pipeline_files_and_refs.yml")
    missing = run("ml", "component", "create", "--file", yml, *ws)  # its azureml:hello:1 does not exist yet
    assert missing.exit_code == 1 and missing.stderr.startswith("(AssetReferenceNotFound)") and "hello" in missing.stderr
    ok("ml", "component", "create", "--file", str(CORPUS / "component/valid/no_type.yml"), *ws)
    pipe = ok("ml", "component", "create", "--file", yml, *ws)
    assert pipe["type"] == "pipeline"
    jobs = pipe["jobs"]
    assert jobs["prep"]["component"] == "azureml:prep_data:1"
    assert jobs["train"]["component"].startswith("azureml:train_step:")
    assert jobs["report"]["component"] == "azureml:hello:1"


def test_data_assets(cli_logged_in: Workspace, ws: list[str]) -> None:
    remote = ok("ml", "data", "create", "--file", str(CORPUS / "data/valid/datastore_path.yml"), *ws)
    assert remote["path"] == "azureml://datastores/workspaceblobstore/paths/raw/events/"
    assert remote["type"] == "uri_folder" and "artifacts" not in stored(cli_logged_in, remote)["properties"]
    local = ok("ml", "data", "create", "-n", "csv", "--path", str(CORPUS / "assets/data/titanic.csv"),
               "--type", "uri_file", *ws)
    assert local["version"] == "1"
    assert [a["path"] for a in stored(cli_logged_in, local)["properties"]["artifacts"]] == ["titanic.csv"]
    folder_for_file = run("ml", "data", "create", "-n", "x", "--path", str(CORPUS / "assets/data"),
                          "--type", "uri_file", *ws)
    assert folder_for_file.exit_code == 1 and "is not a file" in folder_for_file.stderr


def test_datastores_never_print_secrets(cli_logged_in: Workspace, ws: list[str]) -> None:
    created = ok("ml", "datastore", "create", "--file", str(CORPUS / "datastore/valid/blob_account_key.yml"), *ws)
    assert created["credentials"] == {} and created["type"] == "azure_blob"
    assert stored(cli_logged_in, created)["properties"]["credentials"] == {"credentialsType": "AccountKey"}
    shown = run("ml", "datastore", "show", "-n", "blob_example", *ws)
    assert "XXXxxx" not in shown.stdout and json.loads(shown.stdout)["container_name"] == "data-container"
    secrets = cli_logged_in.api.request("POST", f"{cli_logged_in.path}/datastores/blob_example/listSecrets", ML)
    assert secrets.json() == {"secretsType": "AccountKey", "key": "XXXxxxXXXxXXXXxxXXXXXxXXXXXxXxxXxXXXxXXX"}
    table = run("ml", "datastore", "list", *ws, "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "Type", "AccountName", "Container"]
    assert ["blob_example", "azure_blob", "mytestblobstore", "data-container"] in [r.split() for r in table]
    ok("ml", "datastore", "delete", "-n", "blob_example", *ws)
    assert run("ml", "datastore", "show", "-n", "blob_example", *ws).exit_code == 3


def test_workspace_defaults_and_usage_errors(cli_logged_in: Workspace) -> None:
    bare = run("ml", "model", "list")
    assert bare.exit_code == 2 and "--resource-group/-g" in bare.stderr
    assert run("configure", "--defaults", f"group={cli_logged_in.group}").exit_code == 0
    no_ws = run("ml", "model", "list")
    assert no_ws.exit_code == 2 and "--workspace-name/-w" in no_ws.stderr
    assert run("configure", "--defaults", f"workspace={cli_logged_in.name}").exit_code == 0
    assert ok("ml", "model", "list") == []
    both = run("ml", "model", "show", "-n", "m")
    assert both.exit_code == 2 and "--label" in both.stderr
    bad_set = run("ml", "model", "update", "-n", "m", "-v", "1", "--set", "path=./x")
    assert bad_set.exit_code == 2 and "(InvalidArgumentValue)" in bad_set.stderr and "immutable" in bad_set.stderr


@pytest.mark.parametrize("bad, says", [("bomb", "expands to more than"), ("twice", "duplicate key")])
def test_the_cli_refuses_yaml_bombs_and_duplicate_keys(ws: list[str], tmp_path: Path, bad: str, says: str) -> None:
    from tests.unit.test_yaml_safety import billion_laughs

    file = tmp_path / f"{bad}.yml"
    file.write_text(billion_laughs() if bad == "bomb" else "name: a\nname: b\npath: https://a.blob.core.windows.net/c/m\n")
    result = run("ml", "model", "create", "--file", str(file), *ws)
    assert result.exit_code != 0
    assert says in result.stderr
    ws_file = tmp_path / f"ws-{bad}.yml"
    ws_file.write_text(billion_laughs("description") if bad == "bomb" else "name: a\nname: b\n")
    result = run("ml", "workspace", "create", "--file", str(ws_file), *ws[2:])
    assert result.exit_code != 0
    assert says in result.stderr
