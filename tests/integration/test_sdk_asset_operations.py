"""The SDK's asset and datastore operations against the real app: POST for an unversioned create,
uploads skipped for blobs the server has, idempotent re-creates, and input refused before sending."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlite import AzureBlobDatastore, Data, Model, SasTokenConfiguration
from amlite.sdk.errors import ResourceExistsError, ResourceNotFoundError, ValidationException
from tests.integration.clients import Workspace, workspace  # noqa: F401 (fixture)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_create_without_version_posts_and_with_version_puts(workspace: Workspace) -> None:
    client = workspace.ml_client()
    model_dir = CORPUS / "assets" / "model"
    first = client.models.create_or_update(Model(name="m", path=str(model_dir)))
    second = client.models.create_or_update(Model(name="m", path=str(model_dir / "weights.bin"), version="7"))
    assert (first.version, second.version) == ("1", "7")
    sent = [(r.method, r.url.path.rsplit("/", 2)[-2:]) for r in workspace.transport.requests if "/models/" in r.url.path]
    assert sent == [("POST", ["m", "versions"]), ("PUT", ["versions", "7"])]
    assert len(workspace.transport.sent("PUT", "/artifacts/blobs/")) == 2  # weights.bin once for two versions
    assert client.models.get("m", label="latest").version == "7"
    with pytest.raises(ResourceExistsError):
        client.models.create_or_update(Model(name="m", path=str(model_dir), version="7"))
    with pytest.raises(ValidationException):
        client.models.get("m")
    with pytest.raises(ResourceNotFoundError):
        client.models.get("m", version="99")


def test_relative_paths_come_from_base_path(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = workspace.ml_client()
    monkeypatch.chdir(tmp_path)
    model = Model(name="rel", path="model", base_path=str(CORPUS / "assets"), version="1")
    created = client.models.create_or_update(model)
    assert sorted(a["path"] for a in created.artifacts) == ["model/config.json", "model/weights.bin"]
    client.models.download("rel", "1", tmp_path / "out")
    assert (tmp_path / "out/rel/model/config.json").read_bytes() == (CORPUS / "assets/model/config.json").read_bytes()


def test_missing_local_path_sends_nothing(workspace: Workspace) -> None:
    client = workspace.ml_client()
    with pytest.raises(ValidationException) as caught:
        client.data.create_or_update(Data(name="d", path="./no/such/dir", base_path=str(CORPUS)))
    assert caught.value.error.code == "LocalPathNotFound" and caught.value.error.target == "path"
    with pytest.raises(ValidationException, match="MLTable"):
        client.data.create_or_update(Data(name="t", type="mltable", path=str(CORPUS / "assets" / "data")))
    assert workspace.transport.requests == []


def test_datastore_operations(workspace: Workspace) -> None:
    client = workspace.ml_client()
    client.datastores.create_or_update(AzureBlobDatastore(name="b", account_name="acct1", container_name="c",
                                                          credentials=SasTokenConfiguration("?sig=1")))
    shown = client.datastores.get("b")
    assert isinstance(shown, AzureBlobDatastore) and shown.credentials is None
    assert client.datastores.list_secrets("b") == SasTokenConfiguration("?sig=1")
    assert "b" in [d.name for d in client.datastores.list()]
    client.datastores.delete("b")
    with pytest.raises(ResourceNotFoundError):
        client.datastores.get("b")
    assert "b" not in [d.name for d in client.datastores.list()]


@pytest.mark.parametrize("version", [".", ".."])
def test_the_sdk_refuses_dot_versions_before_sending(workspace: Workspace, version: str) -> None:
    with pytest.raises(ValidationException):
        workspace.ml_client().models.get("m", version=version)
    assert workspace.transport.requests == []
