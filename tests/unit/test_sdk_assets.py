"""SDK asset entities ↔ REST bodies (docs/api.md). The operations against the real app are in
tests/integration/test_sdk_asset_operations.py."""

from __future__ import annotations

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
    Model,
    SasTokenConfiguration,
)
from amlite.sdk.component_entities import component_from_rest
from amlite.sdk.datastore_entities import datastore_from_rest
from amlite.sdk.errors import ValidationException

WS_ID = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1"


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
        AzureDataLakeGen2Datastore(name="l", account_name="acct", filesystem="f",
                                   credentials=AccountKeyConfiguration("k"))._to_rest()
    back = datastore_from_rest({"name": "f", "properties": {"datastoreType": "AzureFile", "accountName": "acct",
                                                            "fileShareName": "s", "credentials": {"credentialsType": "Sas"}}})
    assert isinstance(back, AzureFileDatastore) and back.file_share_name == "s" and back.credentials is None



@pytest.mark.parametrize("account", ["a", "My_Account", "x" * 25])
def test_the_sdk_refuses_a_storage_account_name_the_server_refuses(account: str) -> None:
    """One rule (``schemas.datastores``): the SDK refuses before sending what the server would."""
    with pytest.raises(ValidationException, match="storage account name is 3 to 24"):
        AzureBlobDatastore(name="b", account_name=account, container_name="c")._to_rest()
