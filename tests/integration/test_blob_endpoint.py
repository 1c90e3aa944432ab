"""The blob endpoint of the storage accounts amlite serves, through the real app: what
azure-storage-blob sends for azure-ai-ml's uploads and downloads (Put Blob, Put Block and Put
Block List, Get Blob with ranges, properties, metadata, List Blobs), admitted by the SAS that
``listSecrets`` hands out; errors in Azure Storage's XML with ``x-ms-error-code``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from tests.integration.conftest import ML, Api


@pytest.fixture(scope="module")
def store(api: Api) -> dict[str, Any]:
    """A workspace's own storage: its account and container, a SAS to it, and the Host its URLs use."""
    api.create_group("rg-blob")
    api.create_workspace("rg-blob", "ws-blob")
    ds_path = f"{api.ws_path('rg-blob', 'ws-blob')}/datastores/workspaceblobstore"
    ds = api.request("GET", ds_path, ML).json()["properties"]
    secret = api.request("POST", f"{ds_path}/listSecrets", ML, json={"expirableSecret": True, "expireAfterHours": 1})
    assert secret.status_code == 200, secret.text
    assert secret.json()["secretsType"] == "Sas"
    host = f"{ds['accountName']}.blob.{api.container.settings.storage_endpoint}"
    return {"account": ds["accountName"], "container": ds["containerName"], "sas": secret.json()["sasToken"],
            "host": host, "ds_path": ds_path}


def blob(api: Api, store: dict[str, Any], method: str, path: str, sas: bool = True, query: str = "",
         **kwargs: Any) -> httpx.Response:
    """A request as azure-storage-blob sends it: to the account's host, the SAS in the query."""
    params = "&".join(p for p in (store["sas"] if sas else "", query) if p)
    headers = {"Host": store["host"], "Authorization": "", **kwargs.pop("headers", {})}
    return api.client.request(method, f"/{store['container']}/{path}" + (f"?{params}" if params else ""),
                              headers=headers, **kwargs)


def error_code(r: httpx.Response) -> str:
    code = ElementTree.fromstring(r.content).findtext("Code") or ""
    assert r.headers["x-ms-error-code"] == code
    return code


def test_put_then_read_the_blob_its_properties_a_range_and_metadata(api: Api, store: dict[str, Any]) -> None:
    data = bytes(range(256)) * 40
    put = blob(api, store, "PUT", "LocalUpload/abc/model.bin", content=data,
               headers={"x-ms-blob-type": "BlockBlob", "x-ms-meta-upload_status": "started",
                        "x-ms-blob-content-type": "application/x-model", "If-None-Match": "*"})
    assert put.status_code == 201, put.text
    head = blob(api, store, "HEAD", "LocalUpload/abc/model.bin")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data)) and head.headers["content-type"] == "application/x-model"
    assert head.headers["x-ms-meta-upload_status"] == "started" and head.headers["etag"] == put.headers["etag"]
    assert blob(api, store, "GET", "LocalUpload/abc/model.bin").content == data
    part = blob(api, store, "GET", "LocalUpload/abc/model.bin", headers={"x-ms-range": "bytes=100-1123"})
    assert part.status_code == 206 and part.content == data[100:1124]
    assert part.headers["content-range"] == f"bytes 100-1123/{len(data)}"
    meta = blob(api, store, "PUT", "LocalUpload/abc/model.bin", query="comp=metadata",
                headers={"x-ms-meta-upload_status": "completed", "x-ms-meta-name": "m"})
    assert meta.status_code == 200 and meta.headers["etag"] != put.headers["etag"]
    after = blob(api, store, "HEAD", "LocalUpload/abc/model.bin").headers
    assert after["x-ms-meta-upload_status"] == "completed" and "x-ms-meta-name" in after


def test_a_second_put_with_if_none_match_is_refused_and_keeps_the_first(api: Api, store: dict[str, Any]) -> None:
    assert blob(api, store, "PUT", "once.txt", content=b"first", headers={"If-None-Match": "*"}).status_code == 201
    again = blob(api, store, "PUT", "once.txt", content=b"second", headers={"If-None-Match": "*"})
    assert again.status_code == 409 and error_code(again) == "BlobAlreadyExists"
    assert blob(api, store, "GET", "once.txt").content == b"first"


def test_list_blobs_under_a_prefix(api: Api, store: dict[str, Any]) -> None:
    for rel in ("dir/a.txt", "dir/sub/b.txt", "elsewhere.txt"):
        assert blob(api, store, "PUT", rel, content=rel.encode()).status_code == 201
    r = api.client.get(f"/{store['container']}?restype=container&comp=list&prefix=dir/&{store['sas']}",
                       headers={"Host": store["host"], "Authorization": ""})
    assert r.status_code == 200
    names = [e.text for e in ElementTree.fromstring(r.content).iter("Name")]
    assert names == ["dir/a.txt", "dir/sub/b.txt"]


def test_block_upload_commits_the_blocks_in_the_listed_order(api: Api, store: dict[str, Any]) -> None:
    """What azure-storage-blob does for a file over its single-put size (64 MiB)."""
    parts = [b"A" * 1000, b"B" * 10, b"C" * 500]
    ids = [base64.b64encode(f"block-{i:04d}".encode()).decode() for i in range(len(parts))]
    for block_id, part in zip(ids, parts):
        r = blob(api, store, "PUT", "big/file.bin", query=f"comp=block&blockid={block_id}", content=part)
        assert r.status_code == 201, r.text
    assert blob(api, store, "HEAD", "big/file.bin").status_code == 404  # nothing until the list commits
    order = [ids[2], ids[0], ids[1]]
    body = "<?xml version='1.0' encoding='utf-8'?><BlockList>" + "".join(
        f"<Latest>{i}</Latest>" for i in order) + "</BlockList>"
    r = blob(api, store, "PUT", "big/file.bin", query="comp=blocklist", content=body.encode(),
             headers={"x-ms-blob-content-type": "application/octet-stream", "x-ms-meta-name": "big"})
    assert r.status_code == 201, r.text
    got = blob(api, store, "GET", "big/file.bin")
    assert got.content == parts[2] + parts[0] + parts[1] and got.headers["x-ms-meta-name"] == "big"
    unknown = blob(api, store, "PUT", "big/other.bin", query="comp=blocklist",
                   content=f"<BlockList><Latest>{ids[0]}</Latest></BlockList>".encode())
    assert unknown.status_code == 400 and error_code(unknown) == "InvalidBlockList"


def test_a_missing_blob_is_blob_not_found(api: Api, store: dict[str, Any]) -> None:
    r = blob(api, store, "GET", "nothing/here")
    assert r.status_code == 404 and error_code(r) == "BlobNotFound"
    head = blob(api, store, "HEAD", "nothing/here")
    assert head.status_code == 404 and head.content == b"" and head.headers["x-ms-error-code"] == "BlobNotFound"


def test_without_a_valid_sas_nothing_is_read_or_written(api: Api, store: dict[str, Any]) -> None:
    before = api.snapshot()
    r = blob(api, store, "PUT", "nosas.txt", sas=False, content=b"x")
    assert r.status_code == 403 and error_code(r) == "AuthenticationFailed"
    forged = "&".join(f"{k}={'0' * 64 if k == 'sig' else v}" for k, v in parse_qsl(store["sas"]))
    r = api.client.put(f"/{store['container']}/forged.txt?{forged}", content=b"x",
                       headers={"Host": store["host"], "Authorization": ""})
    assert r.status_code == 403 and error_code(r) == "AuthenticationFailed"
    r = api.client.get(f"/other-container/any.txt?{store['sas']}", headers={"Host": store["host"], "Authorization": ""})
    assert r.status_code == 403 and error_code(r) == "AuthenticationFailed"
    assert api.snapshot() == before


def test_path_style_urls_reach_the_same_blobs(api: Api, store: dict[str, Any]) -> None:
    assert blob(api, store, "PUT", "styles.txt", content=b"either style").status_code == 201
    r = api.client.get(f"/blobservice/{store['account']}/{store['container']}/styles.txt?{store['sas']}",
                       headers={"Authorization": ""})
    assert r.status_code == 200 and r.content == b"either style"


def test_container_operations_are_refused_as_unsupported(api: Api, store: dict[str, Any]) -> None:
    r = api.client.put(f"/{store['container']}?restype=container&{store['sas']}",
                       headers={"Host": store["host"], "Authorization": ""})
    assert r.status_code == 400 and error_code(r) == "UnsupportedOperation"


def test_a_version_made_from_an_uploaded_path_holds_its_bytes(api: Api, store: dict[str, Any]) -> None:
    data = b"uploaded weights"
    assert blob(api, store, "PUT", "LocalUpload/h1/w.bin", content=data).status_code == 201
    ws = api.ws_path("rg-blob", "ws-blob")
    uri = (f"azureml://subscriptions/{api.sub}/resourcegroups/rg-blob/workspaces/ws-blob/datastores/"
           "workspaceblobstore/paths/LocalUpload/h1/w.bin")
    r = api.request("PUT", f"{ws}/models/up/versions/1", ML, json={"properties": {"modelUri": uri}})
    assert r.status_code in (200, 201), r.text
    (entry,) = r.json()["properties"]["artifacts"]
    assert entry == {"path": "w.bin", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert api.request("GET", f"{ws}/artifacts/blobs/{entry['sha256']}", ML).content == data
    # read back and sent again (azure-ai-ml's archive): the same content, archived
    props = r.json()["properties"]
    again = api.request("PUT", f"{ws}/models/up/versions/1", ML, json={"properties": {**props, "isArchived": True}})
    assert again.status_code == 200, again.text
    assert again.json()["properties"]["isArchived"] is True


def test_the_sas_names_the_workspace_container_on_its_host(api: Api, store: dict[str, Any]) -> None:
    query = dict(parse_qsl(store["sas"]))
    assert query["sr"] == "c" and query["sp"] and query["se"] and query["si"] == "eastus"
    assert urlsplit(f"https://{store['host']}").hostname == f"{store['account']}.blob.core.localhost"
