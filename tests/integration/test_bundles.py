"""Workspace bundles through the API (SQLite and PostgreSQL): a workspace with assets, a finished
job with metrics and outputs, a model from its output and a datastore is exported, its bundle is
imported into a workspace in another region (bytes land in that region's store), and everything
reads back the same; a corrupted or truncated bundle is refused naming the bad member with
nothing imported; importing the same bundle again adds nothing."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from amlite.services.asset_owners import workspace_owner
from tests.integration.conftest import ML, Api
from tests.integration.test_jobs import TRAIN_CMD, job_body, upload, wait_for

TAR = {"Content-Type": "application/x-tar"}


def put(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = api.request("PUT", path, ML, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def source(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace in eastus with one of everything a bundle carries, and its exported bundle."""
    rg = "bsrc"
    api.create_group(rg)
    api.create_workspace(rg, "src")
    ws = api.ws_path(rg, "src")
    put(api, f"{ws}/environments/plain/versions/1", {"properties": {
        "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
        "condaFile": {"dependencies": ["python=3.11", "pip", {"pip": []}]}, "tags": {"stage": "dev"}}})
    rows = {**upload(api, rg, "src", b"x,y\n1,2\n"), "path": "rows.csv"}
    put(api, f"{ws}/data/rows/versions/1", {"properties": {"dataType": "uri_file", "artifacts": [rows],
                                                           "description": "the rows", "tags": {"k": "v"}}})
    put(api, f"{ws}/data/rows/versions/2", {"properties": {"dataType": "uri_file", "artifacts": [rows]}})
    r = api.request("POST", f"{ws}/data/rows/versions/2/archive", ML)
    assert r.status_code == 200, r.text
    put(api, f"{ws}/components/make/versions/1", {"properties": {"componentSpec": {
        "name": "make", "version": "1", "type": "command", "environment": "azureml:plain:1", "command": "echo hi"}}})
    put(api, f"{ws}/datastores/raw", {"properties": {
        "datastoreType": "AzureBlob", "accountName": "mydata", "containerName": "raw",
        "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": "k" * 40}}}})

    job = f"{ws}/jobs/train1"
    created = api.request("PUT", job, ML, json=job_body(api, rg, "src", TRAIN_CMD))
    assert created.status_code == 201, created.text
    done = wait_for(api, job, ("Completed", "Failed", "Canceled"))
    assert done["properties"]["status"] == "Completed", done
    run_id = done["properties"]["mlflowRunId"]
    mlflow = f"/mlflow/v1.0{ws}/api/2.0/mlflow"
    logged = api.client.post(f"{mlflow}/runs/log-batch", json={"run_id": run_id, "params": [
        {"key": "lr", "value": "0.1"}], "metrics": [{"key": "loss", "value": 0.9, "timestamp": 1, "step": 0},
                                                    {"key": "loss", "value": 0.4, "timestamp": 2, "step": 1}]})
    assert logged.status_code == 200, logged.text
    put(api, f"{ws}/models/fromjob/versions/1", {"properties": {
        "modelUri": "azureml://jobs/train1/outputs/model", "modelType": "custom_model", "tags": {"q": "good"}}})

    exported = api.request("POST", f"{ws}/export", ML)
    assert exported.status_code == 200, exported.text
    bundle = tmp_path_factory.mktemp("bundle") / "src.tar"
    bundle.write_bytes(exported.content)
    return {"rg": rg, "ws": ws, "bundle": bundle, "run_id": run_id, "mlflow": mlflow}


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def workspace_view(api: Api, ws: str) -> dict[str, Any]:
    """What a user sees of a workspace's assets, jobs and runs, without ids that name the workspace."""
    out: dict[str, Any] = {}
    for kind in ("models", "data", "environments", "components"):
        for c in api.request("GET", f"{ws}/{kind}?listViewType=All", ML).json()["value"]:
            versions = api.request("GET", f"{ws}/{kind}/{c['name']}/versions?listViewType=All", ML).json()["value"]
            out[f"{kind}/{c['name']}"] = sorted(
                (v["name"], json.dumps({k: v["properties"].get(k) for k in
                                        ("tags", "description", "isArchived", "artifacts", "jobName", "image")},
                                       sort_keys=True)) for v in versions)
    for j in api.request("GET", f"{ws}/jobs", ML).json()["value"]:
        shown = api.request("GET", f"{ws}/jobs/{j['name']}", ML).json()["properties"]
        out[f"jobs/{j['name']}"] = {k: shown.get(k) for k in ("status", "outputs", "logs", "codeArtifacts",
                                                               "metrics", "mlflowRunId", "displayName")}
        out[f"jobs/{j['name']}/log"] = api.request("GET", f"{ws}/jobs/{j['name']}/logs", ML).text
    out["datastores"] = sorted(d["name"] for d in api.request("GET", f"{ws}/datastores", ML).json()["value"])
    return out


def test_the_manifest_lists_every_member_with_its_checksum(source: dict[str, Any]) -> None:
    found = members(source["bundle"])
    manifest = json.loads(found.pop("manifest.json"))
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) == set(found)
    for name, data in found.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest() and listed[name]["size"] == len(data)
    blobs = [n for n in found if n.startswith("blobs/sha256/")]
    assert len(blobs) == len(set(blobs)) == manifest["counts"]["blobs"]  # each blob once
    assert manifest["counts"]["jobs"] == 1 and manifest["counts"]["runs"] == 1
    datastores = json.loads(found["datastores.json"])
    assert [d["name"] for d in datastores] == ["raw"] and "k" * 40 not in found["datastores.json"].decode()


def test_import_into_another_region_carries_everything(api: Api, source: dict[str, Any]) -> None:
    api.create_group("bdst", location="westus")
    api.create_workspace("bdst", "dst", location="westus")
    dst = api.ws_path("bdst", "dst")
    r = api.request("POST", f"{dst}/import", ML, content=source["bundle"].read_bytes(), headers=TAR)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["region"] == "westus" and result["totalNew"] > 0 and result["blobsStored"] > 0
    assert result["new"]["jobs"] == 1 and result["new"]["runs"] == 1 and result["new"]["versions"] == 5
    assert result["datastoresWithoutCredentials"] == ["raw"]

    assert workspace_view(api, dst) == workspace_view(api, source["ws"])
    model = api.request("GET", f"{dst}/models/fromjob/versions/1", ML).json()["properties"]
    assert model["jobName"] == "train1"  # lineage: the model's job is there too
    history = api.client.get(f"/mlflow/v1.0{dst}/api/2.0/mlflow/metrics/get-history",
                             params={"run_id": source["run_id"], "metric_key": "loss"}).json()["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(0, 0.9), (1, 0.4)]
    run = api.client.get(f"/mlflow/v1.0{dst}/api/2.0/mlflow/runs/get", params={"run_id": source["run_id"]}).json()
    assert {p["key"]: p["value"] for p in run["run"]["data"]["params"]} == {"lr": "0.1"}

    c = api.container
    with c.deps.uow() as uow:
        ws = uow.workspaces.get(api.sub, "bdst", "dst")
    assert ws is not None
    where = c.artifacts.storage_for(workspace_owner(ws))
    assert where.region == "westus"
    for name in members(source["bundle"]):
        if name.startswith("blobs/sha256/"):
            assert where.store.exists(where.account, where.container, name.rsplit("/", 1)[1])

    before = api.snapshot()
    again = api.request("POST", f"{dst}/import", ML, content=source["bundle"].read_bytes(), headers=TAR)
    assert again.status_code == 200, again.text
    assert again.json()["totalNew"] == 0 and again.json()["blobsStored"] == 0
    assert api.snapshot() == before  # the second import changed nothing


def _rewrite(bundle: Path, target: Path, change: Any) -> None:
    """Copy the bundle's members into ``target`` with ``change(name, data)`` applied."""
    with tarfile.open(bundle) as tar, tarfile.open(target, "w") as out:
        for m in tar:
            data = tar.extractfile(m).read()  # type: ignore[union-attr]
            data = change(m.name, data)
            if data is None:
                continue
            info = tarfile.TarInfo(m.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_a_corrupted_or_truncated_bundle_is_refused_with_nothing_imported(api: Api, source: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    api.create_group("bbad", location="westus")
    api.create_workspace("bbad", "bad", location="westus")
    bad_ws = api.ws_path("bbad", "bad")
    blob = next(n for n in members(source["bundle"]) if n.startswith("blobs/sha256/"))

    def flip(name: str, data: bytes) -> bytes:
        if name != blob:
            return data
        return bytes([data[0] ^ 0x01]) + data[1:]

    flipped = tmp_path / "flipped.tar"
    _rewrite(source["bundle"], flipped, flip)
    missing = tmp_path / "missing.tar"
    _rewrite(source["bundle"], missing, lambda name, data: None if name == "jobs.json" else data)
    raw = source["bundle"].read_bytes()
    truncated = raw[: len(raw) // 2]

    before = api.snapshot()
    for body, member in ((flipped.read_bytes(), blob), (missing.read_bytes(), "jobs.json"), (truncated, None)):
        r = api.request("POST", f"{bad_ws}/import", ML, content=body, headers=TAR)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "BundleCorrupt" and "Nothing was imported" in error["message"]
        if member is not None:
            assert error["target"] == member and member in error["message"]
    assert api.snapshot() == before
    assert api.request("GET", f"{bad_ws}/jobs", ML).json()["value"] == []


def test_a_version_that_exists_with_other_content_refuses_the_whole_import(api: Api, source: dict[str, Any]) -> None:
    api.create_group("bclash")
    api.create_workspace("bclash", "clash")
    ws = api.ws_path("bclash", "clash")
    put(api, f"{ws}/environments/plain/versions/1", {"properties": {"image": "python:3.12-slim"}})
    before = api.snapshot()
    r = api.request("POST", f"{ws}/import", ML, content=source["bundle"].read_bytes(), headers=TAR)
    assert r.status_code == 409 and r.json()["error"]["code"] == "AssetVersionConflict", r.text
    assert "plain" in r.json()["error"]["message"]
    assert api.snapshot() == before
    c = api.container
    with c.deps.uow() as uow:
        target = uow.workspaces.get(api.sub, "bclash", "clash")
    assert target is not None
    where = c.artifacts.storage_for(workspace_owner(target))
    blobs = [n.rsplit("/", 1)[1] for n in members(source["bundle"]) if n.startswith("blobs/")]
    assert not any(where.store.exists(where.account, where.container, b) for b in blobs)  # no byte written


def test_a_gzipped_bundle_imports_and_bad_requests_change_nothing(api: Api, source: dict[str, Any]) -> None:
    api.create_group("bgz")
    api.create_workspace("bgz", "gzipped")
    ws = api.ws_path("bgz", "gzipped")
    exported = api.request("POST", f"{source['ws']}/export?compression=gzip", ML)
    assert exported.status_code == 200 and exported.content[:2] == b"\x1f\x8b"
    before = api.snapshot()
    bad = api.request("POST", f"{source['ws']}/export?compression=zstd", ML)
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "compression"
    missing = api.request("POST", f"{api.ws_path('bgz', 'nope')}/import", ML, content=exported.content, headers=TAR)
    assert missing.status_code == 404
    assert api.snapshot() == before
    r = api.request("POST", f"{ws}/import", ML, content=exported.content, headers={"Content-Type": "application/gzip"})
    assert r.status_code == 200 and r.json()["new"]["jobs"] == 1, r.text


def test_a_backup_restores_the_datastores_secrets_in_another_region(api: Api, source: dict[str, Any]) -> None:
    backup = api.request("POST", f"{source['ws']}/backup", ML)
    assert backup.status_code == 200, backup.text
    with tarfile.open(fileobj=io.BytesIO(backup.content)) as tar:
        stores = json.loads(tar.extractfile("datastores.json").read())  # type: ignore[union-attr]
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["source"]["kind"] == "backup"
    assert stores[0]["sealedSecret"] and "k" * 40 not in backup.content.decode("latin-1")  # encrypted, not plain
    api.create_group("brestore", location="westus")
    api.create_workspace("brestore", "restored", location="westus")
    ws = api.ws_path("brestore", "restored")
    r = api.request("POST", f"{ws}/import", ML, content=backup.content, headers=TAR)
    assert r.status_code == 200 and r.json()["datastoresWithoutCredentials"] == [], r.text
    shown = api.request("GET", f"{ws}/datastores/raw", ML).json()["properties"]
    assert shown["credentials"] == {"credentialsType": "AccountKey"}
    secrets = api.request("POST", f"{ws}/datastores/raw/listSecrets", ML)
    assert secrets.status_code == 200 and secrets.json() == {"secretsType": "AccountKey", "key": "k" * 40}
    assert workspace_view(api, ws) == workspace_view(api, source["ws"])
