"""Models, environments, components and data through the API, on both stores: containers and
versions, auto-increment, immutability, @latest, archive/restore, references, concurrency, and
bad input that changes nothing."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from amlite.domain.assets import AssetKind
from tests.integration.conftest import ML, Api

KINDS = ["models", "environments", "components", "data"]


def body_for(kind: str, **extra: Any) -> dict[str, Any]:
    """A valid version body of each kind, with no references that need to exist."""
    props: dict[str, Any] = {
        "models": {"modelType": "custom_model", "modelUri": "https://example.org/model.pkl"},
        "environments": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"},
        "components": {"componentSpec": {"type": "command", "command": "python train.py --lr ${{inputs.lr}}",
                                         "inputs": {"lr": {"type": "number", "default": 0.1}},
                                         "environment": {"image": "python:3.11"}}},
        "data": {"dataType": "uri_file", "dataUri": "https://example.org/iris.csv"},
    }[kind]
    return {"properties": {**props, **extra}}


def asset_path(api: Api, rg: str, ws: str, kind: str, name: str) -> str:
    return f"{api.ws_path(rg, ws)}/{kind}/{name}"


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return name


def put(api: Api, rg: str, kind: str, name: str, version: str, body: dict[str, Any]) -> Any:
    return api.request("PUT", f"{asset_path(api, rg, 'ws1', kind, name)}/versions/{version}", ML, json=body)


def upload(api: Api, rg: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    r = api.client.put(api.url(f"{api.ws_path(rg, 'ws1')}/artifacts/blobs/{digest}", ML), content=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (200, 201), r.text
    return digest


@pytest.mark.parametrize("kind", KINDS)
def test_create_show_list_latest_archive_restore(api: Api, ws: str, kind: str) -> None:
    base = asset_path(api, ws, "ws1", kind, "Asset-1")
    first = put(api, ws, kind, "Asset-1", "1", body_for(kind, description="one", tags={"stage": "dev"}))
    assert first.status_code == 201, first.text
    doc = first.json()
    assert doc["id"] == f"{base}/versions/1" and doc["name"] == "1"
    assert doc["type"] == f"Microsoft.MachineLearningServices/workspaces/{kind}/versions"
    assert doc["properties"]["description"] == "one" and doc["properties"]["provisioningState"] == "Succeeded"
    assert first.headers["ETag"]
    second = api.request("POST", f"{base}/versions", ML, json=body_for(kind, description="two"))
    assert second.status_code == 201 and second.json()["name"] == "2"

    shown = api.request("GET", f"{base.replace('Asset-1', 'asset-1')}/versions/1", ML)
    assert shown.status_code == 200 and shown.json()["properties"]["tags"] == {"stage": "dev"}
    assert shown.json()["id"] == f"{base}/versions/1"  # the created case, whatever case was asked
    assert api.request("GET", f"{base}/versions/@latest", ML).json()["name"] == "2"
    c = api.request("GET", base, ML).json()
    assert c["name"] == "Asset-1" and c["properties"]["latestVersion"] == "2" and c["properties"]["nextVersion"] == "3"
    listed = api.request("GET", f"{api.ws_path(ws, 'ws1')}/{kind}", ML).json()["value"]
    assert [x["name"] for x in listed] == ["Asset-1"]
    versions = api.request("GET", f"{base}/versions", ML).json()["value"]
    assert [v["name"] for v in versions] == ["2", "1"]  # newest first

    archived = api.request("POST", f"{base}/versions/2/archive", ML)
    assert archived.status_code == 200 and archived.json()["properties"]["isArchived"] is True
    assert api.request("GET", f"{base}/versions/@latest", ML).json()["name"] == "1"
    assert [v["name"] for v in api.request("GET", f"{base}/versions", ML).json()["value"]] == ["1"]
    every = api.request("GET", f"{base}/versions?listViewType=All", ML).json()["value"]
    assert [v["name"] for v in every] == ["2", "1"]
    assert api.request("POST", f"{base}/versions/2/restore", ML).json()["properties"]["isArchived"] is False

    assert api.request("POST", f"{base}/archive", ML).json()["properties"]["isArchived"] is True
    assert api.request("GET", f"{api.ws_path(ws, 'ws1')}/{kind}", ML).json()["value"] == []
    only = api.request("GET", f"{api.ws_path(ws, 'ws1')}/{kind}?listViewType=ArchivedOnly", ML).json()["value"]
    assert [x["name"] for x in only] == ["Asset-1"]
    assert api.request("GET", f"{base}/versions", ML).json()["value"] == []
    assert api.request("GET", f"{base}/versions/@latest", ML).status_code == 404
    api.request("POST", f"{base}/restore", ML)
    assert api.request("GET", f"{base}/versions/@latest", ML).json()["name"] == "2"


def test_versions_are_strings_and_explicit_numbers_move_next_version(api: Api, ws: str) -> None:
    assert put(api, ws, "models", "m", "22.02-py3", body_for("models")).json()["name"] == "22.02-py3"
    assert put(api, ws, "models", "m", "5", body_for("models")).status_code == 201
    base = asset_path(api, ws, "ws1", "models", "m")
    assert api.request("GET", base, ML).json()["properties"]["nextVersion"] == "6"
    assert api.request("POST", f"{base}/versions", ML, json=body_for("models")).json()["name"] == "6"
    # @latest is by creation order, not by number
    put(api, ws, "models", "m", "3", body_for("models"))
    assert api.request("GET", f"{base}/versions/@latest", ML).json()["name"] == "3"


def test_recreate_is_idempotent_and_different_content_conflicts(api: Api, ws: str) -> None:
    body = body_for("models", tags={"a": "1"}, properties={"framework": "sklearn"})
    assert put(api, ws, "models", "m", "1", body).status_code == 201
    again = put(api, ws, "models", "m", "1", body)
    assert again.status_code == 200
    # mutable fields may change through PUT too
    retagged = put(api, ws, "models", "m", "1", body_for("models", tags={"a": "2"}, properties={"framework": "sklearn"}))
    assert retagged.status_code == 200 and retagged.json()["properties"]["tags"] == {"a": "2"}
    before = api.snapshot()
    clash = put(api, ws, "models", "m", "1", body_for("models", modelType="mlflow_model", modelUri="https://other/x"))
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "AssetVersionConflict"
    assert "modelType" in error["message"] and "modelUri" in error["message"] and "properties" in error["message"]
    assert api.snapshot() == before


def test_patch_changes_only_mutable_fields(api: Api, ws: str) -> None:
    put(api, ws, "data", "d", "1", body_for("data"))
    url = f"{asset_path(api, ws, 'ws1', 'data', 'd')}/versions/1"
    r = api.request("PATCH", url, ML, json={"properties": {"description": "new", "tags": {"k": "v"}}})
    assert r.status_code == 200 and r.json()["properties"]["description"] == "new"
    assert r.json()["properties"]["dataUri"] == "https://example.org/iris.csv"
    bad = api.request("PATCH", url, ML, json={"properties": {"dataUri": "https://elsewhere"}})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "properties.dataUri"


def test_list_versions_filters_by_tag_and_pages(api: Api, ws: str) -> None:
    base = asset_path(api, ws, "ws1", "models", "m")
    for i in range(5):
        api.request("POST", f"{base}/versions", ML, json=body_for("models", tags={"stage": "prod" if i % 2 else "dev"}))
    prod = api.request("GET", f"{base}/versions?tags=stage=prod", ML).json()["value"]
    assert [v["name"] for v in prod] == ["4", "2"]
    url: str | None = api.url(f"{base}/versions?$top=2", ML)
    names: list[str] = []
    while url:
        page = api.client.get(url).json()
        names += [v["name"] for v in page["value"]]
        url = page.get("nextLink")
    assert names == ["5", "4", "3", "2", "1"]


def test_uploaded_artifacts_are_verified_and_derive_the_uri(api: Api, ws: str) -> None:
    digest = upload(api, ws, b"weights")
    manifest = [{"path": "model/weights.bin", "sha256": digest, "size": 7}]
    r = put(api, ws, "models", "m", "1", {"properties": {"artifacts": manifest}})
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["artifacts"] == manifest
    assert props["modelUri"] == (f"azureml://subscriptions/{api.sub}/resourcegroups/{ws}/workspaces/ws1"
                                 "/datastores/workspaceblobstore/paths/models/m/1/")
    # the GET-then-PUT round trip of a client is the same content
    assert put(api, ws, "models", "m", "1", {"properties": props}).status_code == 200
    other = put(api, ws, "models", "m", "1", {"properties": {"artifacts": [{**manifest[0], "path": "x.bin"}]}})
    assert other.status_code == 409 and "artifacts" in other.json()["error"]["message"]


def test_references_resolve_or_fail_clearly(api: Api, ws: str) -> None:
    env = put(api, ws, "environments", "env", "1", body_for("environments"))
    assert env.status_code == 201
    command = {"type": "command", "command": "echo hi", "environment": "azureml:env:1"}
    assert put(api, ws, "components", "c", "1", {"properties": {"componentSpec": command}}).status_code == 201
    latest = {**command, "environment": "azureml:env@latest"}
    assert put(api, ws, "components", "c2", "1", {"properties": {"componentSpec": latest}}).status_code == 201
    long_form = {**command, "environment": f"azureml://subscriptions/{api.sub}/resourcegroups/{ws}/workspaces/ws1"
                                           "/environments/env/versions/1"}
    assert put(api, ws, "components", "c3", "1", {"properties": {"componentSpec": long_form}}).status_code == 201
    pipeline = {"type": "pipeline", "jobs": {"train": {"component": "azureml:c:1"},
                                             "again": {"component": "azureml:c2@latest"}}}
    assert put(api, ws, "components", "p", "1", {"properties": {"componentSpec": pipeline}}).status_code == 201
    data = body_for("data", dataUri="azureml://datastores/workspaceblobstore/paths/iris/")
    assert put(api, ws, "data", "d", "1", data).status_code == 201


BAD_INPUTS: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    # (kind, name, version, body, status, code)
    ("models", "bad name!", "1", body_for("models"), 400, "InvalidAssetName"),
    ("models", "m", "1 2", body_for("models"), 400, "InvalidAssetVersion"),
    ("models", "m", "1", {"properties": {"modelType": "pickle", "modelUri": "https://x"}}, 400, "InvalidRequestContent"),
    ("models", "m", "1", {"properties": {}}, 400, "InvalidRequestContent"),
    ("models", "m", "1", {"properties": {"modelUri": "./local/model"}}, 400, "InvalidRequestContent"),
    ("models", "m", "1", {"properties": {"artifacts": [{"path": "../x", "sha256": "a" * 64, "size": 1}]}}, 400,
     "InvalidArtifactPath"),
    ("models", "m", "1", {"properties": {"artifacts": [{"path": "/etc/passwd", "sha256": "a" * 64, "size": 1}]}}, 400,
     "InvalidArtifactPath"),
    ("models", "m", "1", {"properties": {"artifacts": [{"path": "w.bin", "sha256": "b" * 64, "size": 1}]}}, 400,
     "ArtifactNotFound"),
    ("environments", "e", "1", {"properties": {"condaFile": "x"}}, 400, "InvalidRequestContent"),
    ("components", "c", "1", {"properties": {"componentSpec": {"type": "command", "command": "x",
                                                               "environment": "azureml:nope:1"}}}, 400,
     "AssetReferenceNotFound"),
    ("components", "c", "1", {"properties": {"componentSpec": {"type": "command", "command": "x",
                                                               "environment": "azureml:nope@latest"}}}, 400,
     "AssetReferenceNotFound"),
    ("components", "c", "1", {"properties": {"componentSpec": {"type": "command", "command": "x",
                                                               "environment": "azureml://registries/r/environments/e/versions/1"}}},
     400, "AssetReferenceNotFound"),
    ("components", "c", "1", {"properties": {"componentSpec": {"type": "command", "command": "x ${{inputs.y}}",
                                                               "environment": {"image": "python"}}}}, 400,
     "InvalidRequestContent"),
    ("components", "p", "1", {"properties": {"componentSpec": {"type": "pipeline",
                                                               "jobs": {"a": {"component": "azureml:missing:3"}}}}},
     400, "AssetReferenceNotFound"),
    ("components", "p", "1", {"properties": {"componentSpec": {"type": "pipeline",
                                                               "jobs": {"a": {"component": "file:./c.yml"}}}}},
     400, "InvalidAssetReference"),
    ("data", "d", "1", {"properties": {"dataType": "uri_file", "dataUri": "azureml://datastores/nope/paths/x"}}, 400,
     "DatastoreNotFound"),
    ("data", "d", "1", {"properties": {"dataType": "table", "dataUri": "https://x"}}, 400, "InvalidRequestContent"),
    ("data", "d", "1", {"properties": {"dataUri": "https://x", "tags": "not-a-map"}}, 400, "InvalidTag"),
]


@pytest.mark.parametrize("kind, asset, version, body, status, code", BAD_INPUTS)
def test_bad_input_changes_nothing(api: Api, ws: str, kind: str, asset: str, version: str, body: dict[str, Any],
                                   status: int, code: str) -> None:
    before = api.snapshot()
    r = put(api, ws, kind, asset, version, body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    if code != "InvalidAssetVersion":  # POST picks the version itself; every other fault is in the body or name
        post = api.request("POST", f"{asset_path(api, ws, 'ws1', kind, asset)}/versions", ML, json=body)
        assert post.status_code == status and post.json()["error"]["code"] == code, post.text
    assert api.snapshot() == before


def test_missing_assets_are_arm_404s(api: Api, ws: str) -> None:
    base = asset_path(api, ws, "ws1", "models", "ghost")
    for url in (base, f"{base}/versions/1", f"{base}/versions/@latest", f"{base}/versions"):
        r = api.request("GET", url, ML)
        assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound", url
    put(api, ws, "models", "real", "1", body_for("models"))
    r = api.request("GET", f"{asset_path(api, ws, 'ws1', 'models', 'real')}/versions/9", ML)
    assert r.status_code == 404 and "'9'" in r.json()["error"]["message"]


def test_concurrent_writers_get_unique_gapless_versions(api: Api, ws: str) -> None:
    base = asset_path(api, ws, "ws1", "models", "busy")
    results: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def writer() -> None:
        for _ in range(5):
            r = api.request("POST", f"{base}/versions", ML, json=body_for("models"))
            with lock:
                if r.status_code == 201:
                    results.append(r.json()["name"])
                else:
                    errors.append(r.text)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=int) == [str(i) for i in range(1, 41)]
    assert api.request("GET", base, ML).json()["properties"]["nextVersion"] == "41"


def test_container_put_and_workspace_delete_leaves_no_asset_rows(api: Api, ws: str) -> None:
    base = asset_path(api, ws, "ws1", "environments", "env")
    r = api.request("PUT", base, ML, json={"properties": {"description": "base images", "tags": {"t": "1"}}})
    assert r.status_code == 201 and r.json()["properties"]["nextVersion"] == "1"
    again = api.request("PUT", base, ML, json={"properties": {"description": "changed"}})
    assert again.status_code == 200 and again.json()["properties"]["description"] == "changed"
    put(api, ws, "environments", "env", "1", body_for("environments"))
    api.wait(api.request("DELETE", api.ws_path(ws, "ws1"), ML))
    import sqlalchemy as sa

    from amlite.store import tables as t

    with api.container.engine.connect() as conn:
        for table in (t.asset_containers, t.secrets, t.datastores):
            orphans = conn.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.workspace_key.not_in(sa.select(t.workspaces.c.key)))).scalar()
            assert orphans == 0, table.name
        versions = conn.execute(sa.select(sa.func.count()).select_from(t.asset_versions).where(
            t.asset_versions.c.container_key.not_in(sa.select(t.asset_containers.c.key)))).scalar()
        assert versions == 0


def stored_fingerprint(api: Api, rg: str, ws_name: str, kind: AssetKind, asset: str, version: str) -> str:
    """A version's fingerprint as the store holds it."""
    with api.container.deps.uow() as uow:
        ws = uow.workspaces.get(api.sub, rg, ws_name)
        container = uow.asset_containers.get(ws.key, kind, asset)
        found = uow.asset_versions.get(container.key, version)
        assert found is not None
        return found.fingerprint


def asset_rows(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    snap = api.snapshot()
    return {t: snap[t] for t in ("asset_containers", "asset_versions", "datastores")}


def test_content_is_location_independent_and_survives_rerooting_its_workspace(api: Api, name: str) -> None:
    """The same model YAML and bytes in two workspaces of two resource groups is one content (one
    fingerprint). Re-pointing a workspace at another resource group in the store (what a move
    does) changes no asset or datastore row, and every asset stays usable under the new ids:
    shown, listed and downloaded, referenced, and re-created from the same YAML (200, not 409)."""
    data = b"the same weights"
    model = {"properties": {"modelType": "custom_model", "description": "m",
                            "artifacts": [{"path": "model/w.bin", "sha256": hashlib.sha256(data).hexdigest(),
                                           "size": len(data)}]}}
    context = b"FROM python:3.11\n"
    env = {"properties": {"build": {"dockerfilePath": "Dockerfile"},
                          "artifacts": [{"path": "Dockerfile", "sha256": hashlib.sha256(context).hexdigest(),
                                         "size": len(context)}]}}
    component = {"properties": {"componentSpec": {"type": "command", "command": "python train.py",
                                                  "environment": "azureml:env:1"}}}
    groups = [f"{name}a", f"{name}b"]
    for rg in groups:
        api.create_group(rg)
        api.create_workspace(rg, "ws1")
        upload(api, rg, data)
        upload(api, rg, context)
        assert put(api, rg, "models", "m", "1", model).status_code == 201
        assert put(api, rg, "environments", "env", "1", env).status_code == 201
        assert put(api, rg, "components", "c", "1", component).status_code == 201
    prints = {stored_fingerprint(api, rg, "ws1", AssetKind.MODELS, "m", "1") for rg in groups}
    assert len(prints) == 1, prints
    assert len({stored_fingerprint(api, rg, "ws1", AssetKind.ENVIRONMENTS, "env", "1") for rg in groups}) == 1

    # Re-root the first workspace: one pointer in the store, as a move would change it.
    old, new = groups[0], f"{name}n"
    api.create_group(new)
    before = asset_rows(api)
    with api.container.engine.begin() as conn:
        new_key = conn.execute(sa.text("SELECT key FROM resource_groups WHERE name = :n"), {"n": new}).scalar_one()
        old_key = conn.execute(sa.text("SELECT key FROM resource_groups WHERE name = :n"), {"n": old}).scalar_one()
        moved = conn.execute(sa.text("UPDATE workspaces SET resource_group_key = :new WHERE resource_group_key = :old"),
                             {"new": new_key, "old": old_key})
        assert moved.rowcount == 1
    assert asset_rows(api) == before

    ws = api.ws_path(new, "ws1")
    assert api.request("GET", f"{api.ws_path(old, 'ws1')}/models/m/versions/1", ML).status_code == 404
    got = api.request("GET", f"{ws}/models/m/versions/1", ML)
    assert got.status_code == 200, got.text
    assert got.json()["id"] == f"{ws}/models/m/versions/1"
    assert got.json()["properties"]["modelUri"] == (f"azureml://subscriptions/{api.sub}/resourcegroups/{new}"
                                                    "/workspaces/ws1/datastores/workspaceblobstore/paths/models/m/1/")
    shown_env = api.request("GET", f"{ws}/environments/env/versions/1", ML).json()
    assert f"/resourcegroups/{new}/workspaces/ws1/" in shown_env["properties"]["build"]["contextUri"]
    listed = api.request("GET", f"{ws}/models/m/versions", ML)
    assert listed.status_code == 200 and [v["name"] for v in listed.json()["value"]] == ["1"]
    for entry in got.json()["properties"]["artifacts"]:
        blob = api.client.get(api.url(f"{ws}/artifacts/blobs/{entry['sha256']}", ML))
        assert blob.status_code == 200 and blob.content == data
    store = api.request("GET", f"{ws}/datastores/workspaceblobstore", ML).json()["properties"]
    assert (store["subscriptionId"], store["resourceGroup"]) == (api.sub, new)

    # References resolve under the new ids; the same YAML again is the same content.
    assert api.request("GET", f"{ws}/components/c/versions/1", ML).status_code == 200
    made = api.request("PUT", f"{ws}/components/c2/versions/1", ML, json=component)
    assert made.status_code == 201, made.text
    for kind, asset, body in (("models", "m", model), ("environments", "env", env), ("components", "c", component)):
        again = api.request("PUT", f"{ws}/{kind}/{asset}/versions/1", ML, json=body)
        assert again.status_code == 200, again.text
    # and what a client read back (URIs under the new ids) PUT back unchanged is the same content too
    assert api.request("PUT", f"{ws}/models/m/versions/1", ML, json={"properties": got.json()["properties"]}).status_code == 200
    assert stored_fingerprint(api, new, "ws1", AssetKind.MODELS, "m", "1") in prints
