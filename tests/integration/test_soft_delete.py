"""Soft delete through the API, on SQLite and PostgreSQL: a deleted workspace or registry answers
404 and leaves its lists, keeps its name reserved and its contents, comes back (recover, or a
re-create in its group) with them intact, and ``forceToPurge`` purges it at once and frees the
name. Bad requests change nothing."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import make_registry, model_body, reg_path, upload

NS = "providers/Microsoft.MachineLearningServices"


def _delete(api: Api, path: str, purge: bool = False) -> dict[str, Any]:
    query = f"forceToPurge=true&{ML}" if purge else ML
    return api.wait(api.client.delete(f"{path}?{query}"))


def _model(api: Api, owner: str, name: str = "m", data: bytes = b"weights") -> str:
    digest = upload(api, owner, data)
    r = api.request("PUT", f"{owner}/models/{name}/versions/1", ML, json=model_body(digest, len(data)))
    assert r.status_code == 201, r.text
    return digest


def _names(api: Api, path: str) -> list[str]:
    return [x["name"] for x in api.request("GET", path, ML).json()["value"]]


def test_a_deleted_workspace_is_hidden_reserved_and_recovered_with_its_contents(api: Api, name: str) -> None:
    api.create_group(name)
    created = api.create_workspace(name, "wsx")
    ws = api.ws_path(name, "wsx")
    digest = _model(api, ws)
    assert _delete(api, ws)["status"] == "Succeeded"
    got = api.request("GET", ws, ML)
    assert got.status_code == 404 and got.json()["error"]["code"] == "ResourceNotFound"
    assert api.request("GET", f"{ws}/models/m/versions/1", ML).status_code == 404
    assert "wsx" not in _names(api, f"{api.rg_path(name)}/{NS}/workspaces")
    deleted = api.request("GET", f"/subscriptions/{api.sub}/{NS}/deletedWorkspaces", ML).json()["value"]
    mine = next(w for w in deleted if w["id"] == created["id"])
    assert mine["properties"]["deletedAt"] and mine["properties"]["scheduledPurgeDate"] > mine["properties"]["deletedAt"]
    # The notebooks' storage stays while it is soft-deleted.
    account = created["properties"]["storageAccount"].rsplit("/", 1)[1]
    share = api.container.deps.blobs("eastus").root / account / f"code-{created['properties']['workspaceId']}"  # type: ignore[attr-defined]
    assert share.is_dir()
    # The name stays reserved in its group: a create there in another region is Azure's refusal.
    before = api.snapshot()
    other = api.request("PUT", ws, ML, json={"location": "westus"})
    assert other.status_code == 400 and other.json()["error"]["code"] == "BadRequest"
    assert "Soft-deleted workspace exists" in other.json()["error"]["message"]
    assert api.snapshot() == before
    # recover: the same workspace, contents intact
    back = api.request("POST", f"{ws}/recover", ML)
    assert back.status_code == 200, back.text
    assert back.json()["properties"]["workspaceId"] == created["properties"]["workspaceId"]
    version = api.request("GET", f"{ws}/models/m/versions/1", ML)
    assert version.status_code == 200 and version.json()["properties"]["artifacts"][0]["sha256"] == digest
    assert api.request("GET", f"{ws}/artifacts/blobs/{digest}", ML).content == b"weights"
    again = api.request("POST", f"{ws}/recover", ML)
    assert again.status_code == 404


def test_recreating_a_deleted_workspace_in_its_group_recovers_it(api: Api, name: str) -> None:
    api.create_group(name)
    created = api.create_workspace(name, "wsx")
    ws = api.ws_path(name, "wsx")
    _model(api, ws)
    _delete(api, ws)
    again = api.create_workspace(name, "WSX", tags={"back": "yes"})
    assert again["properties"]["workspaceId"] == created["properties"]["workspaceId"]
    assert again["tags"] == {"back": "yes"}
    assert api.request("GET", f"{ws}/models/m/versions/1", ML).status_code == 200


def test_purge_removes_a_live_or_soft_deleted_workspace_and_frees_its_name(api: Api, name: str) -> None:
    api.create_group(name)
    first = api.create_workspace(name, "live")
    assert _delete(api, api.ws_path(name, "live"), purge=True)["status"] == "Succeeded"
    api.create_workspace(name, "soft")
    soft = api.ws_path(name, "soft")
    _delete(api, soft)
    assert _delete(api, soft, purge=True)["status"] == "Succeeded"
    gone = api.request("POST", f"{soft}/recover", ML)
    assert gone.status_code == 404, gone.text
    deleted = api.request("GET", f"/subscriptions/{api.sub}/{NS}/deletedWorkspaces", ML).json()["value"]
    assert not [w for w in deleted if w["id"].lower().startswith(api.rg_path(name).lower())]
    for ws in ("live", "soft"):  # the names are free: new workspaces, new ids
        made = api.create_workspace(name, ws)
        assert made["properties"]["workspaceId"] != first["properties"]["workspaceId"]
    # a purge of what does not exist (or a plain delete of a soft-deleted one) is 404 and changes nothing
    _delete(api, soft)
    before = api.snapshot()
    for path, query in ((soft, ML), (api.ws_path(name, "never"), f"forceToPurge=true&{ML}")):
        r = api.client.delete(f"{path}?{query}")
        assert r.status_code == 404, r.text
    assert api.snapshot() == before


def test_a_group_delete_purges_its_soft_deleted_workspaces(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "wsx")
    _delete(api, api.ws_path(name, "wsx"))
    r = api.wait(api.client.delete(api.url(api.rg_path(name))))
    assert r["status"] == "Succeeded", r
    assert api.request("GET", f"/subscriptions/{api.sub}/{NS}/deletedWorkspaces", ML).json()["value"] == [] or all(
        not w["id"].lower().startswith(api.rg_path(name).lower())
        for w in api.request("GET", f"/subscriptions/{api.sub}/{NS}/deletedWorkspaces", ML).json()["value"])


def test_a_deleted_registry_keeps_its_name_in_the_tenant_and_recovers_its_assets(api: Api, name: str) -> None:
    api.create_group(name)
    reg = make_registry(api, name, f"reg-{name}", ["eastus", "westus"])
    path = reg_path(api, name, f"reg-{name}")
    digest = _model(api, path, data=b"registry weights")
    assert _delete(api, path)["status"] == "Succeeded"
    assert api.request("GET", path, ML).status_code == 404
    assert api.request("GET", f"/{NS}/registries/reg-{name}", ML).status_code in (403, 404)
    listed = api.request("GET", f"/subscriptions/{api.sub}/{NS}/deletedRegistries", ML).json()["value"]
    assert any(r["name"] == f"reg-{name}" and r["properties"]["scheduledPurgeDate"] for r in listed)
    # another group of the tenant cannot take the name
    api.create_group(f"{name}b")
    clash = api.request("PUT", reg_path(api, f"{name}b", f"reg-{name}"), ML,
                        json={"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "RegistryNameNotAvailable"
    back = api.request("POST", f"{path}/recover", ML)
    assert back.status_code == 200, back.text
    assert back.json()["properties"]["registryId"] == reg["properties"]["registryId"]
    got = api.client.get(api.url(f"{path}/artifacts/blobs/{digest}", ML))
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest
    # re-create after a soft delete recovers too; a purge frees the name
    _delete(api, path)
    make_registry(api, name, f"reg-{name}", ["eastus", "westus"])
    assert api.request("GET", f"{path}/models/m/versions/1", ML).status_code == 200
    _delete(api, path)
    assert _delete(api, path, purge=True)["status"] == "Succeeded"
    fresh = make_registry(api, f"{name}b", f"reg-{name}", ["eastus"])
    assert fresh["properties"]["registryId"] != reg["properties"]["registryId"]


def test_a_deleted_version_is_hidden_then_recovered_or_purged(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "wsv")
    ws = api.ws_path(name, "wsv")
    digest = _model(api, ws)
    v2 = api.request("POST", f"{ws}/models/m/versions", ML, json=model_body(digest, 7))
    assert v2.json()["name"] == "2"
    r = api.client.delete(f"{ws}/models/m/versions/2?{ML}")
    assert r.status_code == 200, r.text
    assert api.request("GET", f"{ws}/models/m/versions/2", ML).status_code == 404
    assert [v["name"] for v in api.request("GET", f"{ws}/models/m/versions", ML).json()["value"]] == ["1"]
    assert api.request("GET", f"{ws}/models/m", ML).json()["properties"]["latestVersion"] == "1"
    # its number stays taken: the next auto-numbered version skips it
    assert api.request("POST", f"{ws}/models/m/versions", ML, json=model_body(digest, 7)).json()["name"] == "3"
    other = {"properties": {"modelType": "custom_model", "modelUri": "https://x.blob.core.windows.net/c/m.pkl"}}
    clash = api.request("PUT", f"{ws}/models/m/versions/2", ML, json=other)
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "AssetVersionSoftDeleted"
    back = api.request("POST", f"{ws}/models/m/versions/2/recover", ML)
    assert back.status_code == 200 and back.json()["properties"]["artifacts"][0]["sha256"] == digest
    assert api.request("GET", f"{ws}/models/m/versions/2", ML).status_code == 200
    # purge: soft delete then forceToPurge; the number is free again
    api.client.delete(f"{ws}/models/m/versions/2?{ML}")
    assert api.client.delete(f"{ws}/models/m/versions/2?forceToPurge=true&{ML}").status_code == 200
    assert api.request("POST", f"{ws}/models/m/versions/2/recover", ML).status_code == 404
    assert api.request("PUT", f"{ws}/models/m/versions/2", ML, json=other).status_code == 201
    before = api.snapshot()
    assert api.client.delete(f"{ws}/models/m/versions/9?{ML}").status_code == 404
    assert api.snapshot() == before


def test_a_registry_version_soft_deletes_and_recovers(api: Api, name: str) -> None:
    api.create_group(name)
    make_registry(api, name, f"reg-{name}", ["eastus"])
    path = reg_path(api, name, f"reg-{name}")
    _model(api, path)
    assert api.client.delete(f"{path}/models/m/versions/1?{ML}").status_code == 200
    assert api.request("GET", f"{path}/models/m/versions/1", ML).status_code == 404
    assert api.request("POST", f"{path}/models/m/versions/1/recover", ML).status_code == 200
    assert api.request("GET", f"{path}/models/m/versions/1", ML).status_code == 200
