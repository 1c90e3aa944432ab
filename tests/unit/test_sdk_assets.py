"""SDK asset entities ↔ REST bodies (docs/api.md), and the operations over a MockTransport fake."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from amlite import (
    AccountKeyConfiguration,
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    AzureFileDatastore,
    BuildContext,
    CommandComponent,
    Data,
    Environment,
    MLClient,
    Model,
    SasTokenConfiguration,
)
from amlite.sdk.component_entities import component_from_rest
from amlite.sdk.datastore_entities import datastore_from_rest
from amlite.sdk.errors import ResourceExistsError, ResourceNotFoundError, ValidationException
from tests.unit.fake_assets import FakeAssets
from tests.unit.test_sdk_client import FakeCredential

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
WS_ID = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1"


@pytest.fixture
def fake() -> FakeAssets:
    return FakeAssets(lambda request: httpx.Response(404, json={"error": {"code": "NotFound", "message": "?"}}))


@pytest.fixture
def client(fake: FakeAssets) -> MLClient:
    return MLClient(FakeCredential(), "sub1", "rg1", "ws1", transport=httpx.MockTransport(fake))


def test_model_rest_body_round_trip() -> None:
    model = Model(name="m", version=3, path="azureml://datastores/ds/paths/m/", type="mlflow_model",  # type: ignore[arg-type]
                  tags={"python": 3.10}, stage="Production")  # type: ignore[dict-item]
    spec = model._spec()
    body = model._to_rest(spec, spec.path)
    assert body == {"properties": {"modelType": "mlflow_model", "modelUri": "azureml://datastores/ds/paths/m/",
                                   "stage": "Production", "tags": {"python": "3.1"}}}
    back = Model._from_rest({"id": f"{WS_ID}/models/m/versions/3", "name": "3", **body})
    assert (back.name, back.version, back.type, back.path) == ("m", "3", "mlflow_model", "azureml://datastores/ds/paths/m/")


def test_environment_rest_body() -> None:
    env = Environment(name="e", image="python:3.11", conda_file={"dependencies": ["python=3.10"]}, os_type="Windows",
                      inference_config={"liveness_route": {"port": 1, "path": "/"}, "readiness_route": {"port": 1, "path": "/r"},
                                        "scoring_route": {"port": 1, "path": "/s"}})
    props = env._to_rest(env._spec())["properties"]
    assert props["condaFile"] == "dependencies:\n- python=3.10\n" and props["osType"] == "Windows"
    assert props["inferenceConfig"]["scoringRoute"] == {"port": 1, "path": "/s"}
    built = Environment(name="b", build=BuildContext(path="https://example.com/ctx.tgz", dockerfile_path="docker/Dockerfile"))
    assert built._to_rest(built._spec(), "https://example.com/ctx.tgz")["properties"]["build"] == {
        "contextUri": "https://example.com/ctx.tgz", "dockerfilePath": "docker/Dockerfile"}
    again = Environment._from_rest({"id": f"{WS_ID}/environments/e/versions/1", "name": "1", "properties": props})
    assert again.conda_file == {"dependencies": ["python=3.10"]} and again.os_type == "windows"


def test_data_and_component_bodies() -> None:
    data = Data(name="d", path="https://x.blob.core.windows.net/c/f.csv", type="uri_file", version="1")
    assert data._to_rest(data._spec(), data.path)["properties"] == {
        "dataType": "uri_file", "dataUri": "https://x.blob.core.windows.net/c/f.csv", "tags": {}}
    component = component_from_rest({"id": f"{WS_ID}/components/c/versions/2", "name": "2", "properties": {
        "componentSpec": {"type": "command", "command": "echo", "environment": "azureml:e:1",
                          "inputs": {"a": {"type": "string"}}}}})
    assert isinstance(component, CommandComponent) and component.environment == "azureml:e:1"
    assert (component.name, component.version, component.inputs) == ("c", "2", {"a": {"type": "string"}})
    container = component_from_rest({"id": f"{WS_ID}/components/c", "name": "c", "properties": {"description": "d"}})
    assert type(container).__name__ == "Component" and container.description == "d"  # list() without a name
    assert (container.name, container.version) == ("c", None)
    with pytest.raises(TypeError, match="no spec"):
        container._spec()


def test_datastore_bodies_carry_secrets_only_on_the_way_in() -> None:
    blob = AzureBlobDatastore(name="b", account_name="acct", container_name="c",
                              credentials=AccountKeyConfiguration(account_key="k"))
    props = blob._to_rest()["properties"]
    assert props["datastoreType"] == "AzureBlob" and props["containerName"] == "c"
    assert props["credentials"] == {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": "k"}}
    share = AzureFileDatastore(name="f", account_name="acct", file_share_name="s",
                               credentials=SasTokenConfiguration(sas_token="?sv=1"))
    assert share._to_rest()["properties"]["credentials"]["secrets"] == {"secretsType": "Sas", "sasToken": "?sv=1"}
    lake = AzureDataLakeGen2Datastore(name="l", account_name="acct", filesystem="fs")
    assert lake._to_rest()["properties"]["credentials"] == {"credentialsType": "None"}
    with pytest.raises(ValidationException, match="credentials"):
        AzureDataLakeGen2Datastore(name="l", account_name="a", filesystem="f",
                                   credentials=AccountKeyConfiguration("k"))._to_rest()
    back = datastore_from_rest({"name": "f", "properties": {"datastoreType": "AzureFile", "accountName": "acct",
                                                            "fileShareName": "s", "credentials": {"credentialsType": "Sas"}}})
    assert isinstance(back, AzureFileDatastore) and back.file_share_name == "s" and back.credentials is None


def test_create_without_version_posts_and_with_version_puts(client: MLClient, fake: FakeAssets) -> None:
    model_dir = CORPUS / "assets" / "model"
    first = client.models.create_or_update(Model(name="m", path=str(model_dir)))
    second = client.models.create_or_update(Model(name="m", path=str(model_dir / "weights.bin"), version="7"))
    assert (first.version, second.version) == ("1", "7")
    posts = [(r.method, r.url.path.rsplit("/", 2)[-2:]) for r in fake.requests if "/models/" in r.url.path]
    assert posts == [("POST", ["m", "versions"]), ("PUT", ["versions", "7"])]
    assert len(fake.blobs) == 2  # weights.bin uploaded once although two versions use it
    assert client.models.get("m", label="latest").version == "7"
    with pytest.raises(ResourceExistsError):
        client.models.create_or_update(Model(name="m", path=str(model_dir), version="7"))
    with pytest.raises(ValidationException):
        client.models.get("m")
    with pytest.raises(ResourceNotFoundError):
        client.models.get("m", version="99")


def test_relative_paths_come_from_base_path(client: MLClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    model = Model(name="rel", path="model", base_path=str(CORPUS / "assets"), version="1")
    created = client.models.create_or_update(model)
    assert sorted(a["path"] for a in created.artifacts) == ["model/config.json", "model/weights.bin"]
    client.models.download("rel", "1", tmp_path / "out")
    assert (tmp_path / "out/rel/model/config.json").read_bytes() == (CORPUS / "assets/model/config.json").read_bytes()


def test_missing_local_path_sends_nothing(client: MLClient, fake: FakeAssets) -> None:
    with pytest.raises(ValidationException) as caught:
        client.data.create_or_update(Data(name="d", path="./no/such/dir", base_path=str(CORPUS)))
    assert caught.value.error.code == "LocalPathNotFound" and caught.value.error.target == "path"
    with pytest.raises(ValidationException, match="MLTable"):
        client.data.create_or_update(Data(name="t", type="mltable", path=str(CORPUS / "assets" / "data")))
    assert fake.requests == []


def test_datastore_operations(client: MLClient) -> None:
    client.datastores.create_or_update(AzureBlobDatastore(name="b", account_name="a", container_name="c",
                                                          credentials=SasTokenConfiguration("?sig=1")))
    shown = client.datastores.get("b")
    assert isinstance(shown, AzureBlobDatastore) and shown.credentials is None
    assert client.datastores.list_secrets("b") == SasTokenConfiguration("?sig=1")
    assert [d.name for d in client.datastores.list()] == ["b"]
    client.datastores.delete("b")
    with pytest.raises(ResourceNotFoundError):
        client.datastores.get("b")


@pytest.mark.parametrize("version", [".", ".."])
def test_the_sdk_refuses_dot_versions_before_sending(client: MLClient, version: str) -> None:
    from amlite.sdk.errors import ValidationException

    with pytest.raises(ValidationException):
        client.models.get("m", version=version)
