"""config.json discovery as azure-ai-ml does it: current directory, parents, `.azureml/`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlite.sdk.config import find_config_file, load_config, write_config
from amlite.sdk.credentials import AccessToken
from amlite.sdk.entities import Workspace
from amlite.sdk.errors import ValidationException
from amlite.sdk.ml_client import MLClient


class FakeCredential:
    endpoint = "http://127.0.0.1:1"

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("t", 2**31)


def _write(path: Path, sub: str = "sub-1", rg: str = "rg-1", ws: str = "ws-1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"subscription_id": sub, "resource_group": rg, "workspace_name": ws}))
    return path


def test_found_in_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "config.json", ws="here")
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert (config.subscription_id, config.resource_group, config.workspace_name) == ("sub-1", "rg-1", "here")
    assert config.path == (tmp_path / "config.json").resolve()


def test_found_in_parent_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "config.json", ws="parent")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert load_config().workspace_name == "parent"


def test_found_in_dot_azureml_of_a_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / ".azureml" / "config.json", ws="dotazureml")
    child = tmp_path / "project"
    child.mkdir()
    monkeypatch.chdir(child)
    assert load_config().workspace_name == "dotazureml"


def test_nearest_file_wins(tmp_path: Path) -> None:
    _write(tmp_path / "config.json", ws="far")
    _write(tmp_path / "near" / ".azureml" / "config.json", ws="near")
    assert load_config(tmp_path / "near").workspace_name == "near"
    assert load_config(tmp_path).workspace_name == "far"


def test_explicit_file_path_and_custom_file_name(tmp_path: Path) -> None:
    custom = _write(tmp_path / "prod.json", ws="prod")
    assert load_config(custom).workspace_name == "prod"
    assert load_config(tmp_path, file_name="prod.json").workspace_name == "prod"


def test_scope_key_is_understood(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({
        "Scope": "/subscriptions/s9/resourceGroups/g9/providers/"
                 "Microsoft.MachineLearningServices/workspaces/w9"}))
    config = load_config(tmp_path)
    assert (config.subscription_id, config.resource_group, config.workspace_name) == ("s9", "g9", "w9")


def test_missing_config_raises_validation_exception(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert find_config_file(empty, file_name="definitely-not-here.json") is None
    with pytest.raises(ValidationException) as info:
        load_config(empty, file_name="definitely-not-here.json")
    assert "could not find" in str(info.value)
    assert info.value.error.code == "ConfigFileNotFound"


def test_invalid_json_is_a_validation_exception(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValidationException):
        load_config(tmp_path)


def test_ml_client_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / ".azureml" / "config.json", sub="s1", rg="g1", ws="w1")
    monkeypatch.chdir(tmp_path)
    client = MLClient.from_config(FakeCredential())
    assert (client.subscription_id, client.resource_group_name, client.workspace_name) == ("s1", "g1", "w1")
    assert client.endpoint == "http://127.0.0.1:1"
    other = MLClient.from_config(FakeCredential(), path=tmp_path, endpoint="http://127.0.0.1:2/")
    assert other.endpoint == "http://127.0.0.1:2"


def test_dump_config_round_trips(tmp_path: Path) -> None:
    ws = Workspace._from_rest({
        "id": "/subscriptions/s2/resourceGroups/g2/providers/Microsoft.MachineLearningServices/workspaces/w2",
        "name": "w2", "location": "eastus", "properties": {}})
    written = ws.dump_config(tmp_path)
    assert written == tmp_path / "config.json"
    assert json.loads(written.read_text()) == {
        "subscription_id": "s2", "resource_group": "g2", "workspace_name": "w2"}
    assert load_config(tmp_path).workspace_name == "w2"
    target = write_config("s", "g", "w", tmp_path / "sub" / "named.json")
    assert target.name == "named.json" and json.loads(target.read_text())["workspace_name"] == "w"


def test_dump_config_needs_server_fields() -> None:
    with pytest.raises(ValidationException):
        Workspace(name="w").dump_config()
