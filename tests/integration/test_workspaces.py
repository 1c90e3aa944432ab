"""Workspaces through the API, on both stores."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from amlite.store import tables
from tests.integration.conftest import ML, Api


def test_create_makes_the_workspace_and_its_associated_resources(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.request("PUT", api.ws_path(name, "Team-WS_1"), ML, json={
        "location": "East US", "tags": {"team": "a"},
        "properties": {"friendlyName": "Team A", "description": "first"},
    })
    assert r.status_code == 200, r.text  # made at once: Azure ML answers 200 (202 when the work goes on)
    ws = r.json()
    props = ws["properties"]
    assert ws["name"] == "Team-WS_1" and ws["kind"] == "Default" and ws["location"] == "eastus"
    assert ws["id"] == api.ws_path(name, "Team-WS_1")
    assert ws["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert str(uuid.UUID(props["workspaceId"])) == props["workspaceId"]
    assert props["friendlyName"] == "Team A" and props["description"] == "first"
    assert props["provisioningState"] == "Succeeded"
    prefix = f"/subscriptions/{api.sub}/resourceGroups/{name}/providers/"
    assert props["storageAccount"].startswith(prefix + "Microsoft.Storage/storageAccounts/")
    assert props["keyVault"].startswith(prefix + "Microsoft.KeyVault/vaults/")
    assert props["containerRegistry"].startswith(prefix + "Microsoft.ContainerRegistry/registries/")
    assert props["applicationInsights"].startswith(prefix + "Microsoft.Insights/components/")
    assert r.headers["ETag"] == ws["etag"]

    # The storage area exists in the region's storage, named after the workspace GUID.
    account = props["storageAccount"].rsplit("/", 1)[1]
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    containers = sorted(p.name for p in (root / account).iterdir())
    assert containers == sorted([f"azureml-blobstore-{props['workspaceId']}", f"code-{props['workspaceId']}"])
    # The default datastore points at it; the account sits with the workspace, so the row keeps no
    # copy of the workspace's subscription and group and the API shows the workspace's current ones.
    with api.container.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.datastores).order_by(tables.datastores.c.name)).all()
    stores = {row.name: row for row in rows if row.account_name == account}
    blob = stores["workspaceblobstore"]
    assert blob.is_default and blob.container_name == f"azureml-blobstore-{props['workspaceId']}"
    assert blob.subscription_id is None and blob.resource_group_name is None
    shown = api.request("GET", f"{api.ws_path(name, 'Team-WS_1')}/datastores/workspaceblobstore", ML).json()["properties"]
    assert (shown["subscriptionId"], shown["resourceGroup"]) == (api.sub, name)
    # The group lists the workspace and its associated resources.
    listed = api.request("GET", api.rg_path(name) + "/resources").json()["value"]
    assert {item["type"] for item in listed} == {
        "Microsoft.MachineLearningServices/workspaces", "Microsoft.Storage/storageAccounts",
        "Microsoft.KeyVault/vaults", "Microsoft.ContainerRegistry/registries", "Microsoft.Insights/components",
    }


def test_get_is_case_insensitive_and_echoes_the_created_case(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "MyWs")
    r = api.request("GET", api.ws_path(name.upper(), "myws"), ML)
    assert r.status_code == 200 and r.json()["name"] == "MyWs"


def test_list_by_group_and_by_subscription(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "aa1")
    api.create_workspace(name, "bb2", location="westus")
    in_group = api.request("GET", api.rg_path(name) + "/providers/Microsoft.MachineLearningServices/workspaces", ML).json()
    assert [w["name"] for w in in_group["value"]] == ["aa1", "bb2"]
    assert all(w["properties"]["storageAccount"] for w in in_group["value"])
    url: str | None = api.url(f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces?$top=1", ML)
    ids = []
    while url:
        page = api.client.get(url).json()
        ids += [w["id"] for w in page["value"]]
        url = page.get("nextLink")
    assert {api.ws_path(name, "aa1"), api.ws_path(name, "bb2")} <= set(ids)


def test_patch_and_put_update_only_what_may_change(api: Api, name: str) -> None:
    api.create_group(name)
    created = api.create_workspace(name, "ws1", tags={"a": "1"})
    r = api.request("PATCH", api.ws_path(name, "ws1"), ML, json={"properties": {"description": "new", "friendlyName": "WS One"}})
    assert r.status_code == 200
    assert r.json()["properties"]["description"] == "new" and r.json()["properties"]["friendlyName"] == "WS One"
    assert r.json()["tags"] == {"a": "1"}
    assert r.json()["properties"]["workspaceId"] == created["properties"]["workspaceId"]
    put = api.request("PUT", api.ws_path(name, "ws1"), ML, json={"location": "eastus", "tags": {"b": "2"}})
    assert put.status_code == 200 and put.json()["tags"] == {"b": "2"}
    moved = api.request("PUT", api.ws_path(name, "ws1"), ML, json={"location": "westus"})
    assert moved.status_code == 400 and moved.json()["error"]["target"] == "location"


def test_delete_is_long_running_and_keeps_storage_unless_asked(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.create_workspace(name, "keep")
    gone = api.create_workspace(name, "drop")
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    r = api.request("DELETE", api.ws_path(name, "keep"), ML)
    assert "/providers/Microsoft.MachineLearningServices/locations/eastus/operationStatuses/" in r.headers["Azure-AsyncOperation"]
    assert api.wait(r)["status"] == "Succeeded"
    assert api.request("GET", api.ws_path(name, "keep"), ML).json()["error"]["code"] == "ResourceNotFound"
    # As on Azure, the storage account outlives the workspace: notebooks stay readable.
    kept = ws["properties"]["storageAccount"].rsplit("/", 1)[1]
    assert any((root / kept).iterdir())
    r = api.request("DELETE", api.ws_path(name, "drop") + "?deleteDependentResources=true", ML)
    assert api.wait(r)["status"] == "Succeeded"
    dropped = gone["properties"]["storageAccount"].rsplit("/", 1)[1]
    assert (root / dropped).exists()  # soft-deleted: recoverable, so its storage stays until the purge
    r = api.request("DELETE", api.ws_path(name, "drop") + "?forceToPurge=true", ML)
    assert api.wait(r)["status"] == "Succeeded"
    assert not (root / dropped).exists()
    types = {item["type"] for item in api.request("GET", api.rg_path(name) + "/resources").json()["value"]}
    assert "Microsoft.MachineLearningServices/workspaces" not in types


def test_a_workspace_being_deleted_refuses_changes(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "busy")
    api.container.worker.stop()
    try:
        r = api.request("DELETE", api.ws_path(name, "busy"), ML)
        assert r.status_code == 202
        shown = api.request("GET", api.ws_path(name, "busy"), ML).json()
        assert shown["properties"]["provisioningState"] == "Deleting"
        patch = api.request("PATCH", api.ws_path(name, "busy"), ML, json={"tags": {"a": "b"}})
        assert patch.status_code == 409 and patch.json()["error"]["code"] == "WorkspaceBeingDeleted"
        again = api.request("DELETE", api.ws_path(name, "busy"), ML)
        assert again.headers["Azure-AsyncOperation"] == r.headers["Azure-AsyncOperation"]
        assert api.client.get(r.headers["Location"]).status_code == 202
    finally:
        api.container.worker.start()
    assert api.wait(r)["status"] == "Succeeded"


def test_bad_input_is_refused_and_changes_nothing(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "exists")
    before = api.snapshot()
    cases = [
        (api.ws_path(name, "ab"), {"location": "eastus"}, 400, "InvalidWorkspaceName"),
        (api.ws_path(name, "x" * 34), {"location": "eastus"}, 400, "InvalidWorkspaceName"),
        (api.ws_path(name, "-starts"), {"location": "eastus"}, 400, "InvalidWorkspaceName"),
        (api.ws_path(name, "has.dot"), {"location": "eastus"}, 400, "InvalidWorkspaceName"),
        (api.ws_path(name, "okname"), {"location": "mars"}, 400, "InvalidLocation"),
        (api.ws_path(name, "okname"), {}, 400, "LocationRequired"),
        (api.ws_path(name, "okname"), {"location": "eastus", "kind": "Project"}, 400, "InvalidRequestContent"),
        (api.ws_path(name, "okname"), {"location": "eastus", "kind": "Bogus"}, 400, "InvalidRequestContent"),
        (api.ws_path(name, "okname"), {"location": "eastus", "properties": {"description": 5}}, 400, "InvalidRequestContent"),
        (api.ws_path(name + "missing", "okname"), {"location": "eastus"}, 404, "ResourceGroupNotFound"),
        (api.ws_path(name, "exists"), {"location": "westus"}, 400, "InvalidRequestContent"),
    ]
    for path, body, status, code in cases:
        r = api.request("PUT", path, ML, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, body, r.text)
    dup = api.request("PUT", api.ws_path(name, "EXISTS"), ML, json={"location": "eastus"}, headers={"If-None-Match": "*"})
    assert dup.status_code == 412
    assert api.snapshot() == before


def test_azure_workspace_fields_amlite_does_not_honour_are_refused_by_name(api: Api, name: str) -> None:
    """Bring-your-own storage, customer-managed keys, hubs, private networks: refused by name,
    nothing created; a GET put back as it is (its own associated ids, Azure's defaults) is accepted."""
    api.create_group(name)
    url = api.ws_path(name, "ws-byo")
    own_storage = f"/subscriptions/{api.sub}/resourceGroups/{name}/providers/Microsoft.Storage/storageAccounts/mine"
    for props, field in (({"storageAccount": own_storage}, "storageAccount"),
                         ({"encryption": {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": "k"}}}, "encryption"),
                         ({"hubResourceId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/h"},
                          "hubResourceId"),
                         ({"publicNetworkAccess": "Disabled"}, "publicNetworkAccess"),
                         ({"imageBuildCompute": "cpu-cluster"}, "imageBuildCompute")):
        refused = api.request("PUT", url, ML, json={"location": "eastus", "properties": props})
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "UnsupportedWorkspaceProperty" and error["target"] == f"properties.{field}", error
        assert api.request("GET", url, ML).status_code == 404
    created = api.request("PUT", url, ML, json={"location": "eastus", "properties": {"publicNetworkAccess": "Enabled",
                                                                        "hbiWorkspace": False}})
    assert created.status_code == 200, created.text
    shown = created.json()
    again = api.request("PUT", url, ML, json={"location": "eastus", "properties": shown["properties"]})
    assert again.status_code == 200, again.text
    moved = api.request("PATCH", url, ML, json={"properties": {"storageAccount": own_storage}})
    assert moved.status_code == 400 and moved.json()["error"]["target"] == "properties.storageAccount", moved.text
    assert api.request("GET", url, ML).json()["properties"]["storageAccount"] == \
        shown["properties"]["storageAccount"]
