"""A region on Azure Blob Storage (Azurite), wired by the configuration: a workspace there gets its
containers in Azure, its artifact blobs round-trip through the API, and deleting it with its
dependent resources removes its storage account's Azure container."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.blobs.azure import AzureBlobStore
from amlite.bootstrap import Container, build
from amlite.config import Settings
from tests.azurite import azurite

__all__ = ["azurite"]

ML = "api-version=2024-10-01"
OCTET = {"Content-Type": "application/octet-stream"}


@dataclass
class AzureApi:
    client: TestClient
    container: Container
    sub: str

    def ws(self, rg: str, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}"


@pytest.fixture(scope="module")
def azure_api(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureApi]:
    tmp = tmp_path_factory.mktemp("amlite-azure")
    prefix = f"i{uuid.uuid4().hex[:8]}-"
    config = tmp / "amlite.yaml"
    config.write_text(json.dumps({
        "worker_poll_seconds": 0.05,
        "regions": [
            {"name": "eastus", "paired_region": "westus"},
            {"name": "westus", "paired_region": "eastus",
             "storage": {"kind": "azure", "connection_string_env": "TEST_AZURITE", "container_prefix": prefix}},
        ],
    }))
    settings = Settings.load(data_dir=tmp / "data", db_url=f"sqlite:///{tmp / 'amlite.db'}", config_file=config,
                             env={"TEST_AZURITE": azurite})
    container = build(settings)
    creds = json.loads(settings.credentials_file.read_text())
    with TestClient(create_app(container), base_url="http://127.0.0.1:8600") as client:
        token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield AzureApi(client, container, creds["subscriptionId"])
    store = container.deps.blobs("westus")
    for account in list(store.list_accounts()):
        store.delete_account(account)
    container.close()


def test_artifacts_of_a_workspace_in_an_azure_region(azure_api: AzureApi) -> None:
    api = azure_api
    store = api.container.deps.blobs("westus")
    assert isinstance(getattr(store, "inner", store), AzureBlobStore)
    assert api.client.put(f"/subscriptions/{api.sub}/resourceGroups/azrg?api-version=2024-03-01",
                          json={"location": "westus"}).status_code == 201
    ws = api.client.put(f"{api.ws('azrg', 'azws')}?{ML}", json={"location": "westus"}).json()
    account = ws["properties"]["storageAccount"].rsplit("/", 1)[1]
    assert account in list(store.list_accounts())
    assert f"azureml-blobstore-{ws['properties']['workspaceId']}" in list(store.list_containers(account))

    data = b"bytes kept in Azure " * 50_000
    digest = hashlib.sha256(data).hexdigest()
    url = f"{api.ws('azrg', 'azws')}/artifacts/blobs/{digest}?{ML}"
    put = api.client.put(url, content=data, headers=OCTET)
    assert put.status_code == 201 and put.json()["size"] == len(data)
    assert api.client.put(url, content=data, headers=OCTET).json()["existed"] is True
    got = api.client.get(url)
    assert got.content == data and got.headers["x-ms-served-region"] == "westus"
    assert api.client.head(url).headers["content-length"] == str(len(data))

    wrong = hashlib.sha256(b"other").hexdigest()
    bad = api.client.put(f"{api.ws('azrg', 'azws')}/artifacts/blobs/{wrong}?{ML}", content=data, headers=OCTET)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BlobHashMismatch"
    assert api.client.head(f"{api.ws('azrg', 'azws')}/artifacts/blobs/{wrong}?{ML}").status_code == 404

    deleted = api.client.delete(f"{api.ws('azrg', 'azws')}?{ML}&deleteDependentResources=true&forceToPurge=true")
    assert deleted.status_code == 202
    status = _wait(api, deleted.headers["Azure-AsyncOperation"])
    assert status == "Succeeded"
    assert account not in list(store.list_accounts())


def _wait(api: AzureApi, url: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = api.client.get(url).json()
        if body["status"] != "InProgress":
            return str(body["status"])
        time.sleep(0.05)
    return "InProgress"

