"""The side doors Azure clients find amlite through: the ARM cloud-metadata document, the
workspace and registry discovery documents, the registry data-plane prefix, and the MLflow URLs
that answer why they are not served; plus what azure-ai-ml's bodies need (api-versions, flavors)."""

from __future__ import annotations

from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import make_registry, model_body, reg_path, upload


def test_cloud_metadata_names_amlite_for_every_endpoint(api: Api) -> None:
    endpoint = api.container.endpoint
    listed = api.client.get("/metadata/endpoints?api-version=2019-05-01", headers={"Authorization": ""})
    assert listed.status_code == 200, listed.text
    (cloud,) = listed.json()
    assert cloud["resourceManager"] == f"{endpoint}/"
    assert cloud["authentication"]["loginEndpoint"] == f"{endpoint}/"
    assert cloud["suffixes"]["storage"] == api.container.settings.storage_endpoint
    assert cloud["suffixes"]["storage"].startswith("core.")
    single = api.client.get("/metadata/endpoints?api-version=2022-09-01", headers={"Authorization": ""}).json()
    assert single == cloud
    refused = api.client.get("/metadata/endpoints?api-version=1999-01-01")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_workspace_discovery_url_answers_with_amlite_api(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.create_workspace(name, f"ws{name}")
    url = ws["properties"]["discoveryUrl"]
    assert url.startswith(api.container.endpoint)
    answer = api.client.get(url.removeprefix(api.container.endpoint), headers={"Authorization": ""})
    assert answer.status_code == 200
    assert answer.json() == {"api": api.container.endpoint}


def test_a_registry_mlflow_url_answers_a_clear_arm_error(api: Api, name: str) -> None:
    api.create_group(name)
    reg = make_registry(api, name, f"reg{name}", ["eastus"])
    registry_uri = reg["properties"]["mlFlowRegistryUri"].removeprefix(api.container.endpoint)
    for method in ("GET", "POST"):
        r = api.client.request(method, registry_uri + "/api/2.0/mlflow/registered-models/search")
        assert r.status_code == 501, r.text
        assert r.json()["error"]["code"] == "MlflowNotAvailable"


def test_registry_discovery_and_the_data_plane_prefix(api: Api, name: str) -> None:
    api.create_group(name)
    reg = make_registry(api, name, f"reg{name}", ["eastus", "westus"])
    discovery = reg["properties"]["discoveryUrl"].removeprefix(api.container.endpoint)
    found = api.client.get(f"{discovery}?api-version=v1.0")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["subscriptionId"] == api.sub and body["resourceGroup"] == name
    assert body["primaryRegion"] == "eastus" and body["regions"] == ["eastus", "westus"]
    base = body["primaryRegionResourceProviderUri"].removeprefix(api.container.endpoint) + "mferp/managementfrontend"
    assert api.client.get(f"{discovery}?api-version=v1.0", headers={"Authorization": ""}).status_code == 401
    missing = api.client.get("/registrymanagement/v1.0/registries/nosuchregistry/discovery?api-version=v1.0")
    assert missing.status_code in (403, 404)

    path = reg_path(api, name, f"reg{name}")
    digest = upload(api, path, b"weights")
    put = api.client.put(f"{base}{path}/models/m/versions/1?api-version=2021-10-01-dataplanepreview",
                         json=model_body(digest, 7))
    assert put.status_code == 201, put.text
    assert api.request("GET", f"{path}/models/m/versions/1", ML).json()["properties"]["artifacts"][0]["sha256"] == digest


def test_model_flavors_none_and_empty_are_one_content(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.ws_path(name, f"ws{name}")
    api.create_workspace(name, f"ws{name}")
    uri = "azureml://datastores/workspaceblobstore/paths/m/"
    first = api.request("PUT", f"{ws}/models/m/versions/1", "api-version=2023-04-01-preview",
                        json={"properties": {"modelUri": uri}})
    assert first.status_code == 201, first.text
    assert first.json()["properties"]["flavors"] == {}
    again = api.request("PUT", f"{ws}/models/m/versions/1", "api-version=2023-08-01-preview",
                        json={"properties": {"modelUri": uri, "flavors": {}, "isArchived": True}})
    assert again.status_code == 200, again.text
    assert again.json()["properties"]["isArchived"] is True
