"""Sharing a version that points at a path on its workspace's datastore (the README's
``examples/data.yml``): the files there at the time of the share are copied into the registry, as
Azure's share copies them, and the registry version is then an ordinary one (its own URI, its
files downloadable from the registry, usable from another workspace)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import make_registry, reg_path, wait_replicated

DATA_URI = "azureml://datastores/workspaceblobstore/paths/data/reviews/"


def _put_blob(api: Api, ws: str, path: str, data: bytes) -> None:
    """Upload to the workspace's default datastore as azure-storage-blob does, with listSecrets' SAS."""
    ds_path = f"{ws}/datastores/workspaceblobstore"
    ds = api.request("GET", ds_path, ML).json()["properties"]
    sas = api.request("POST", f"{ds_path}/listSecrets", ML,
                      json={"expirableSecret": True, "expireAfterHours": 1}).json()["sasToken"]
    host = f"{ds['accountName']}.blob.{api.container.settings.storage_endpoint}"
    r = api.client.put(f"/{ds['containerName']}/{path}?{sas}", content=data,
                       headers={"Host": host, "Authorization": "", "x-ms-blob-type": "BlockBlob"})
    assert r.status_code == 201, r.text


def _setup(api: Api, name: str) -> tuple[str, str]:
    api.create_group(name)
    api.create_workspace(name, f"ws{name}")
    make_registry(api, name, f"reg-{name}")
    return api.ws_path(name, f"ws{name}"), reg_path(api, name, f"reg-{name}")


def _share(api: Api, ws: str, registry: str, version: str = "1") -> Any:
    return api.request("POST", f"{ws}/data/reviews/versions/1/share", ML,
                       json={"registryName": registry, "shareWithName": "reviews", "shareWithVersion": version})


def test_sharing_data_on_a_datastore_path_copies_its_files_into_the_registry(api: Api, name: str) -> None:
    ws, reg = _setup(api, name)
    body = {"properties": {"dataType": "uri_folder", "dataUri": DATA_URI, "description": "reviews"}}
    assert api.request("PUT", f"{ws}/data/reviews/versions/1", ML, json=body).status_code == 201
    # Files put at the path after the data asset was made: the share copies what is there now.
    files = {"data/reviews/a.csv": b"id,text\n1,great\n", "data/reviews/more/b.csv": b"id,text\n2,poor\n"}
    for path, data in files.items():
        _put_blob(api, ws, path, data)
    r = _share(api, ws, f"reg-{name}")
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["dataUri"] == f"azureml://registries/reg-{name}/data/reviews/versions/1"
    assert sorted((a["path"], a["size"]) for a in props["artifacts"]) == [("a.csv", 16), ("more/b.csv", 15)]
    assert props["lineage"]["sourceAssetId"] == f"{ws}/data/reviews/versions/1"
    for data in files.values():
        got = api.client.get(api.url(f"{reg}/artifacts/blobs/{hashlib.sha256(data).hexdigest()}", ML))
        assert got.status_code == 200 and got.content == data
    assert {x["state"] for x in wait_replicated(api, f"{reg}/data/reviews/versions/1")["properties"]["replication"]} \
        == {"Succeeded"}
    # The same share again is the same content: idempotent.
    assert _share(api, ws, f"reg-{name}").status_code == 200
    # Another workspace uses it by its registry reference.
    api.create_workspace(name, f"other{name}")
    other = api.ws_path(name, f"other{name}")
    comp = {"properties": {"componentSpec": {
        "type": "command", "command": "ls ${{inputs.d}}", "environment": "azureml:AzureML-sklearn-1.5@latest",
        "inputs": {"d": {"type": "uri_folder", "default": f"azureml://registries/reg-{name}/data/reviews/versions/1"}}}}}
    made = api.request("PUT", f"{other}/components/c/versions/1", ML, json=comp)
    assert made.status_code == 201, made.text


def test_sharing_data_on_an_empty_datastore_path_shares_an_empty_folder(api: Api, name: str) -> None:
    ws, reg = _setup(api, name)
    body = {"properties": {"dataType": "uri_folder", "dataUri": DATA_URI}}
    assert api.request("PUT", f"{ws}/data/reviews/versions/1", ML, json=body).status_code == 201
    r = _share(api, ws, f"reg-{name}")
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["dataUri"] == f"azureml://registries/reg-{name}/data/reviews/versions/1"
    got = api.request("GET", f"{reg}/data/reviews/versions/1", ML)
    assert got.status_code == 200 and got.json()["properties"]["dataUri"].startswith("azureml://registries/")


def test_data_on_a_datastore_amlite_does_not_serve_is_still_refused(api: Api, name: str) -> None:
    ws, _ = _setup(api, name)
    share = {"properties": {"datastoreType": "AzureFile", "accountName": "files", "fileShareName": "share"}}
    assert api.request("PUT", f"{ws}/datastores/outside", ML, json=share).status_code in (200, 201)
    body = {"properties": {"dataType": "uri_folder", "dataUri": "azureml://datastores/outside/paths/x/"}}
    assert api.request("PUT", f"{ws}/data/reviews/versions/1", ML, json=body).status_code == 201
    before = api.snapshot()
    r = _share(api, ws, f"reg-{name}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidAssetReference", r.text
    assert api.snapshot() == before
