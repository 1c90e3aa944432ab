"""Moving a workspace between resource groups and subscriptions through the API (seed 000), on
both stores: ARM's long-running validateMoveResources/moveResources, the pointer move and what it
drops, the refusal's machine-readable report, and the workspace's unavailability while it moves."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import httpx
import pytest

from amlite.domain.providers import DEFAULT_REGISTERED
from amlite.domain.resources import ProvisioningState
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, create_user

ALIAS_VERSION = "api-version=2021-10-01"
KINDS_BODIES: dict[str, dict[str, Any]] = {
    "models": {"modelType": "custom_model", "modelUri": "https://example.org/model.pkl"},
    "environments": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"},
    "data": {"dataType": "uri_file", "dataUri": "https://example.org/iris.csv"},
}


@pytest.fixture(scope="module")
def dest_sub(api: Api) -> str:
    r = api.request("PUT", "/providers/Microsoft.Subscription/aliases/move-destination", ALIAS_VERSION,
                    json={"properties": {"displayName": "Move destination"}})
    assert r.status_code in (200, 201), r.text
    sub = str(r.json()["properties"]["subscriptionId"])
    for namespace in DEFAULT_REGISTERED:  # what a workspace needs at its destination (seed 000's table)
        registered = api.request("POST", f"/subscriptions/{sub}/providers/{namespace}/register")
        assert registered.status_code == 200, registered.text
    return sub


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def ws_id(sub: str, rg: str, ws: str) -> str:
    return f"{rg_id(sub, rg)}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"


def poll_location(api: Api, response: httpx.Response, timeout: float = 20.0) -> httpx.Response:
    """Follow ARM's Location polling: 202 until done, then the final answer."""
    assert response.status_code == 202, response.text
    assert "Azure-AsyncOperation" not in response.headers and response.headers["Retry-After"] == "1"
    url = response.headers["Location"]
    deadline = time.monotonic() + timeout
    while True:
        answer = api.client.get(url)
        if answer.status_code != 202 or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def post(api: Api, action: str, sub: str, rg: str, resources: list[str], target: str) -> httpx.Response:
    return api.request("POST", f"{rg_id(sub, rg)}/{action}",
                       json={"resources": resources, "targetResourceGroup": target})


def make_group(api: Api, sub: str, rg: str, location: str = "eastus") -> None:
    r = api.request("PUT", rg_id(sub, rg), json={"location": location})
    assert r.status_code in (200, 201), r.text


def put_version(api: Api, path: str, kind: str, name: str, version: str, **extra: Any) -> dict[str, Any]:
    r = api.request("PUT", f"{path}/{kind}/{name}/versions/{version}", ML,
                    json={"properties": {**KINDS_BODIES[kind], **extra}})
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def test_validate_then_move_across_subscriptions_rehomes_everything(api: Api, dest_sub: str, name: str) -> None:
    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    created = api.create_workspace(src, "origin")
    old = ws_id(api.sub, src, "origin")
    for kind in KINDS_BODIES:
        put_version(api, old, kind, f"{kind}-a", "1")
        put_version(api, old, kind, f"{kind}-a", "2")
    # A non-default datastore on an account that is not the workspace's own: it stays behind.
    r = api.request("PUT", f"{old}/datastores/external", ML, json={"properties": {
        "datastoreType": "AzureBlob", "accountName": "externalacct", "containerName": "data",
        "credentials": {"credentialsType": "None"}}})
    assert r.status_code in (200, 201), r.text
    user = create_user(api, f"{name}-reader")
    assert assign(api, user["id"], "Reader", old).status_code == 201
    assert assign(api, user["id"], "Reader", rg_id(api.sub, src)).status_code == 201

    target = rg_id(dest_sub, dst)
    validated = poll_location(api, post(api, "validateMoveResources", api.sub, src, [old], target))
    assert validated.status_code == 204, validated.text
    # Validation changed nothing.
    assert api.request("GET", old, ML).status_code == 200

    accepted = post(api, "moveResources", api.sub, src, [old], target)
    done = poll_location(api, accepted)
    assert done.status_code == 204, done.text

    new = ws_id(dest_sub, dst, "origin")
    assert api.request("GET", old, ML).status_code == 404
    moved = api.request("GET", new, ML).json()
    assert moved["id"].lower() == new.lower()
    assert moved["properties"]["workspaceId"] == created["properties"]["workspaceId"]
    for role in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
        assert f"/subscriptions/{dest_sub}/resourceGroups/{dst}/".lower() in moved["properties"][role].lower()
    assert api.request("GET", f"{rg_id(api.sub, src)}/resources").json()["value"] == []
    assert len(api.request("GET", f"{target}/resources").json()["value"]) == 5
    for kind in KINDS_BODIES:
        listed = api.request("GET", f"{new}/{kind}/{kind}-a/versions", ML).json()["value"]
        assert sorted(v["name"] for v in listed) == ["1", "2"]
        assert all(v["id"].lower().startswith(new.lower()) for v in listed)
    default = api.request("GET", f"{new}/datastores/workspaceblobstore", ML).json()
    assert default["properties"]["subscriptionId"] == dest_sub and default["properties"]["resourceGroup"] == dst
    external = api.request("GET", f"{new}/datastores/external", ML).json()
    assert external["properties"]["subscriptionId"] == api.sub and external["properties"]["resourceGroup"] == src

    status = api.client.get(accepted.headers["Location"].replace("/operationResults/", "/operationStatuses/")).json()
    assert status["status"] == "Succeeded"
    result = status["properties"]
    assert result["moved"] == [{"from": old, "to": moved["id"]}]
    assert [ra["scope"].lower() for ra in result["removedRoleAssignments"]] == [old.lower()]
    assert result["datastoresLeftBehind"][0]["name"] == "external"
    assert result["datastoresLeftBehind"][0]["fix"].startswith("amlite ml datastore update --name external")
    # The workspace-scope assignment is gone; the group's stays.
    left = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/roleAssignments",
                       "api-version=2022-04-01").json()["value"]
    scopes = {a["properties"]["scope"].lower() for a in left if a["properties"]["principalId"] == user["id"]}
    assert scopes == {rg_id(api.sub, src).lower()}
    # The activity log has the move at both ends.
    for sub, scope in ((api.sub, old), (dest_sub, new)):
        log = api.request("GET", f"/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values",
                          "api-version=2015-04-01").json()["value"]
        assert any(e["operationName"]["value"].endswith("moveResources/action") and
                   e["resourceId"].lower() == scope.lower() for e in log), log


def test_refusal_lists_every_reason_with_the_dry_run(api: Api, dest_sub: str, name: str) -> None:
    src = f"{name}-src"
    make_group(api, api.sub, src)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    put_version(api, old, "data", "images", "1")
    assert api.request("PUT", f"{old}/labelingJobs/pets", ML, json=labeling_body()).status_code == 201
    spark = link_databricks(api, src, "spark", old)
    missing = ws_id(api.sub, src, "nope")
    answer = poll_location(api, post(api, "validateMoveResources", api.sub, src, [old, missing],
                                     rg_id(dest_sub, f"{name}-absent")))
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "ResourceMoveValidationFailed"
    codes = {d["code"] for d in error["details"]}
    assert {"TargetResourceGroupNotFound", "ResourceNotFound", "WorkspaceHasLabelingProject",
            "WorkspaceLinkedToDatabricks"} <= codes
    assert {d["target"] for d in error["details"] if d["code"] == "WorkspaceLinkedToDatabricks"} == {spark}
    info = error["additionalInfo"][0]
    assert info["type"] == "MoveReport"
    assert old in info["info"]["moving"] and len(info["info"]["moving"]) == 5
    assert {b["code"] for b in info["info"]["blockers"]} == codes
    # A refused move is the same report, and nothing moved or turned unavailable.
    refused = poll_location(api, post(api, "moveResources", api.sub, src, [old], rg_id(dest_sub, f"{name}-absent")))
    assert refused.status_code == 409 and refused.json()["error"]["details"][0]["code"] == "TargetResourceGroupNotFound"
    assert api.request("GET", old, ML).status_code == 200


def labeling_body() -> dict[str, Any]:
    return {"properties": {"jobType": "Labeling", "dataConfiguration": {"dataId": "azureml:images:1"},
                           "labelCategories": {"species": {"classes": {"cat": {}, "dog": {}}}}}}


def test_a_labeling_project_blocks_the_move_until_it_is_deleted(api: Api, dest_sub: str, name: str) -> None:
    """Running or paused, a labeling project has not completed: validation and the move are
    refused with WorkspaceHasLabelingProject naming it; once deleted, the workspace moves."""
    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    put_version(api, old, "data", "images", "1")
    for project in ("cats", "dogs"):
        assert api.request("PUT", f"{old}/labelingJobs/{project}", ML, json=labeling_body()).status_code == 201
    assert api.request("POST", f"{old}/labelingJobs/dogs/pause", ML).status_code == 200
    target = rg_id(dest_sub, dst)
    for action in ("validateMoveResources", "moveResources"):
        refused = poll_location(api, post(api, action, api.sub, src, [old], target))
        assert refused.status_code == 409, refused.text
        details = refused.json()["error"]["details"]
        assert [(d["code"], d["target"]) for d in details] == [
            ("WorkspaceHasLabelingProject", f"{old}/labelingJobs/cats"),
            ("WorkspaceHasLabelingProject", f"{old}/labelingJobs/dogs")]
        assert "'dogs'" in details[1]["message"] and "Paused" in details[1]["message"]
    assert api.request("GET", old, ML).status_code == 200
    for project in ("cats", "dogs"):
        assert api.request("DELETE", f"{old}/labelingJobs/{project}", ML).status_code == 200
    assert poll_location(api, post(api, "validateMoveResources", api.sub, src, [old], target)).status_code == 204
    assert poll_location(api, post(api, "moveResources", api.sub, src, [old], target)).status_code == 204
    assert api.request("GET", f"{ws_id(dest_sub, dst, 'ws1')}/labelingJobs", ML).json()["value"] == []


def link_databricks(api: Api, rg: str, name: str, workspace: str | None) -> str:
    """An Azure Databricks workspace in ``rg`` linked to ``workspace`` (as Azure links them: its
    ``amlWorkspaceId`` parameter), or unlinked; its id."""
    assert api.request("POST", f"/subscriptions/{api.sub}/providers/Microsoft.Databricks/register").status_code == 200
    dbw = f"{rg_id(api.sub, rg)}/providers/Microsoft.Databricks/workspaces/{name}"
    props: dict[str, Any] = {"managedResourceGroupId": f"{rg_id(api.sub, rg)}-{name}-managed"}
    if workspace is not None:
        props["parameters"] = {"amlWorkspaceId": {"value": workspace}}
    r = api.request("PUT", dbw, "api-version=2024-05-01",
                    json={"location": "eastus", "sku": {"name": "premium"}, "properties": props})
    assert r.status_code in (200, 201), r.text
    return dbw


def test_a_linked_databricks_workspace_blocks_the_move_until_unlinked(api: Api, dest_sub: str, name: str) -> None:
    src, dst, spark_rg = f"{name}-src", f"{name}-dst", f"{name}-spark"
    for sub, rg in ((api.sub, src), (dest_sub, dst), (api.sub, spark_rg)):
        make_group(api, sub, rg)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    spark = link_databricks(api, spark_rg, "spark", old)
    target = rg_id(dest_sub, dst)
    for action in ("validateMoveResources", "moveResources"):
        refused = poll_location(api, post(api, action, api.sub, src, [old], target))
        assert refused.status_code == 409, refused.text
        details = refused.json()["error"]["details"]
        assert [(d["code"], d["target"]) for d in details] == [("WorkspaceLinkedToDatabricks", spark)]
        assert "Azure Databricks" in details[0]["message"]
    # Naming the Databricks workspace in the move does not carry it along: it is not amlite's to move.
    named = poll_location(api, post(api, "validateMoveResources", api.sub, spark_rg, [spark], target))
    assert named.status_code == 409
    assert "MoveResourceTypeNotSupported" in {d["code"] for d in named.json()["error"]["details"]}
    link_databricks(api, spark_rg, "spark", None)  # the link removed, the Databricks workspace kept
    assert poll_location(api, post(api, "validateMoveResources", api.sub, src, [old], target)).status_code == 204
    assert poll_location(api, post(api, "moveResources", api.sub, src, [old], target)).status_code == 204


@pytest.mark.parametrize("body, code", [
    ({}, "InvalidRequestContent"),
    ({"resources": [], "targetResourceGroup": "/subscriptions/x/resourceGroups/y"}, "InvalidRequestContent"),
    ({"resources": ["not-an-id"], "targetResourceGroup": "/subscriptions/x/resourceGroups/y"}, "InvalidResourceId"),
    ({"resources": ["/subscriptions/other/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"],
      "targetResourceGroup": "/subscriptions/x/resourceGroups/y"}, "ResourceNotInSourceResourceGroup"),
    ({"resources": ["{ws}"], "targetResourceGroup": "rg2"}, "InvalidTargetResourceGroup"),
])
def test_bad_bodies_are_400_and_change_nothing(api: Api, name: str, body: dict[str, Any], code: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    if body.get("resources") == ["{ws}"]:
        body = {**body, "resources": [ws_id(api.sub, name, "ws1")]}
    for action in ("validateMoveResources", "moveResources"):
        r = api.request("POST", f"{rg_id(api.sub, name)}/{action}", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    assert api.request("GET", ws_id(api.sub, name, "ws1"), ML).json()["properties"]["provisioningState"] == "Succeeded"


def test_a_moving_workspace_answers_409_workspace_moving(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    path = ws_id(api.sub, name, "ws1")
    with api.container.deps.uow(write=True) as uow:  # the state between the go-ahead and the commit
        ws = uow.workspaces.get(api.sub, name, "ws1")
        assert ws is not None
        from dataclasses import replace

        uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.MOVING))
        uow.commit()
    try:
        for method, suffix, body in (("GET", "", None), ("GET", "/models", None), ("GET", "/datastores", None),
                                     ("PUT", "/models/m/versions/1", {"properties": KINDS_BODIES["models"]}),
                                     ("DELETE", "", None)):
            r = api.request(method, path + suffix, ML, json=body)
            assert r.status_code == 409 and r.json()["error"]["code"] == "WorkspaceMoving", (method, suffix, r.text)
    finally:
        with api.container.deps.uow(write=True) as uow:
            ws = uow.workspaces.get(api.sub, name, "ws1")
            assert ws is not None
            uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.SUCCEEDED))
            uow.commit()


def test_references_from_another_workspace_and_a_registry_follow_the_move(api: Api, dest_sub: str, name: str) -> None:
    src, dst, other = f"{name}-src", f"{name}-dst", f"{name}-other"
    for sub, rg in ((api.sub, src), (dest_sub, dst), (api.sub, other)):
        make_group(api, sub, rg)
    api.create_workspace(src, "origin")
    api.create_workspace(other, "neighbour")
    old, neighbour = ws_id(api.sub, src, "origin"), ws_id(api.sub, other, "neighbour")
    data = b"weights " * 100
    digest = __import__("hashlib").sha256(data).hexdigest()
    assert api.client.put(api.url(f"{old}/artifacts/blobs/{digest}", ML), content=data,
                          headers={"Content-Type": "application/octet-stream"}).status_code in (200, 201)
    r = api.request("PUT", f"{old}/models/m/versions/1", ML, json={"properties": {
        "modelType": "custom_model", "artifacts": [{"path": "w.bin", "sha256": digest, "size": len(data)}]}})
    assert r.status_code == 201, r.text
    put_version(api, old, "environments", "env", "1")
    registry = f"reg{name}"
    reg = api.request("PUT", f"{rg_id(api.sub, other)}/providers/Microsoft.MachineLearningServices/registries/{registry}",
                      ML, json={"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
    assert reg.status_code in (200, 201), reg.text
    shared = api.request("POST", f"{old}/models/m/versions/1/share", ML,
                         json={"registryName": registry, "shareWithName": "prod", "shareWithVersion": "1"})
    assert shared.status_code == 201, shared.text
    long_ref = (f"azureml:/subscriptions/{api.sub}/resourceGroups/{src}/providers/"
                "Microsoft.MachineLearningServices/workspaces/origin/environments/env/versions/1")
    component = {"componentSpec": {"type": "command", "command": "echo hi", "environment": long_ref}}
    r = api.request("PUT", f"{neighbour}/components/c/versions/1", ML, json={"properties": component})
    assert r.status_code == 201, r.text

    assert poll_location(api, post(api, "moveResources", api.sub, src, [old], rg_id(dest_sub, dst))).status_code == 204
    new = ws_id(dest_sub, dst, "origin")

    # The neighbour's version written with the old ids is still served, and a new one written with
    # the old ids (a script or YAML not yet updated) resolves to the moved workspace, as do the new ids.
    assert api.request("GET", f"{neighbour}/components/c/versions/1", ML).status_code == 200
    r = api.request("PUT", f"{neighbour}/components/c/versions/2", ML, json={"properties": component})
    assert r.status_code == 201, r.text
    new_ref = long_ref.replace(f"/subscriptions/{api.sub}/resourceGroups/{src}/", f"/subscriptions/{dest_sub}/resourceGroups/{dst}/")
    r = api.request("PUT", f"{neighbour}/components/c/versions/3", ML, json={"properties": {
        "componentSpec": {**component["componentSpec"], "environment": new_ref}}})
    assert r.status_code == 201, r.text
    # The registry's copy traces back to the workspace at its new id, and sharing again works.
    copy = api.request("GET", f"{rg_id(api.sub, other)}/providers/Microsoft.MachineLearningServices/registries/"
                              f"{registry}/models/prod/versions/1", ML).json()
    assert copy["properties"]["lineage"]["sourceWorkspaceId"] == new
    assert copy["properties"]["lineage"]["sourceAssetId"] == f"{new}/models/m/versions/1"
    again = api.request("POST", f"{new}/models/m/versions/1/share", ML,
                        json={"registryName": registry, "shareWithName": "prod", "shareWithVersion": "1"})
    assert again.status_code in (200, 201), again.text


def pec_body(endpoint: str, status: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"privateEndpoint": {"id": endpoint}}
    if status is not None:
        props["privateLinkServiceConnectionState"] = {"status": status, "description": "ok"}
    return {"properties": props}


def test_private_endpoint_connections_answer_and_are_recreated_pending_by_a_move(api: Api, dest_sub: str,
                                                                                   name: str) -> None:
    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    endpoint = f"/subscriptions/{api.sub}/resourceGroups/{src}/providers/Microsoft.Network/privateEndpoints/pe1"
    created = api.request("PUT", f"{old}/privateEndpointConnections/pe1.conn", ML, json=pec_body(endpoint))
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    approved = api.request("PUT", f"{old}/privateEndpointConnections/pe1.conn", ML, json=pec_body(endpoint, "Approved"))
    assert approved.status_code == 200 and approved.json()["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    rejected = api.request("PUT", f"{old}/privateEndpointConnections/pe2", ML, json=pec_body(endpoint, "Rejected"))
    assert rejected.status_code == 201
    again = api.request("PUT", f"{old}/privateEndpointConnections/pe2", ML, json=pec_body(endpoint, "Approved"))
    assert again.status_code == 400 and again.json()["error"]["code"] == "PrivateEndpointConnectionRejected"
    bad = api.request("PUT", f"{old}/privateEndpointConnections/pe3", ML, json={"properties": {}})
    assert bad.status_code == 400
    assert [c["name"] for c in api.request("GET", f"{old}/privateEndpointConnections", ML).json()["value"]] == ["pe1.conn", "pe2"]

    validated = poll_location(api, post(api, "validateMoveResources", api.sub, src, [old], rg_id(dest_sub, dst)))
    assert validated.status_code == 204
    accepted = post(api, "moveResources", api.sub, src, [old], rg_id(dest_sub, dst))
    assert poll_location(api, accepted).status_code == 204
    new = ws_id(dest_sub, dst, "ws1")
    listed = api.request("GET", f"{new}/privateEndpointConnections", ML).json()["value"]
    assert [(c["id"], c["properties"]["privateLinkServiceConnectionState"]["status"]) for c in listed] == [
        (f"{new}/privateEndpointConnections/pe1.conn", "Pending"), (f"{new}/privateEndpointConnections/pe2", "Pending")]
    status = api.client.get(accepted.headers["Location"].replace("/operationResults/", "/operationStatuses/")).json()
    assert [c["previousStatus"] for c in status["properties"]["privateEndpointConnections"]] == ["Approved", "Rejected"]
    reconnected = api.request("PUT", f"{new}/privateEndpointConnections/pe1.conn", ML, json=pec_body(endpoint, "Approved"))
    assert reconnected.json()["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert api.request("DELETE", f"{new}/privateEndpointConnections/pe2", ML).status_code == 200
    assert api.request("DELETE", f"{new}/privateEndpointConnections/pe2", ML).status_code == 204
    assert api.request("GET", f"{new}/privateEndpointConnections/pe2", ML).status_code == 404


def test_validation_reports_what_would_be_lost(api: Api, dest_sub: str, name: str) -> None:
    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    endpoint = f"/subscriptions/{api.sub}/resourceGroups/{src}/providers/Microsoft.Network/privateEndpoints/pe1"
    assert api.request("PUT", f"{old}/privateEndpointConnections/c1", ML, json=pec_body(endpoint)).status_code == 201
    user = create_user(api, f"{name}-u")
    assert assign(api, user["id"], "Reader", old).status_code == 201
    # Something blocks (the destination holds a workspace of the same name): the report also says what would be lost.
    r = api.request("PUT", ws_id(dest_sub, dst, "ws1"), ML, json={"location": "eastus"})
    assert r.status_code == 200, r.text
    answer = poll_location(api, post(api, "validateMoveResources", api.sub, src, [old], rg_id(dest_sub, dst)))
    assert answer.status_code == 409
    info = answer.json()["error"]["additionalInfo"][0]["info"]
    assert [b["code"] for b in info["blockers"]] == ["ResourceExistsInTargetResourceGroup"]
    assert sorted(loss["kind"] for loss in info["losses"]) == ["PrivateEndpointConnection", "RoleAssignment"]


def test_a_finished_job_and_its_outputs_move_with_the_workspace(api: Api, dest_sub: str, name: str) -> None:
    from tests.integration.test_jobs import TRAIN_CMD, job_body, wait_for

    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    r = api.request("PUT", f"{old}/environments/plain/versions/1", ML, json={"properties": {
        "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
        "condaFile": {"dependencies": ["python=3.11", "pip", {"pip": []}]}}})
    assert r.status_code in (200, 201), r.text
    created = api.request("PUT", f"{old}/jobs/job1", ML, json=job_body(api, src, "ws1", TRAIN_CMD))
    assert created.status_code == 201, created.text
    assert wait_for(api, f"{old}/jobs/job1", ("Completed", "Failed", "Canceled"))["properties"]["status"] == "Completed"

    assert poll_location(api, post(api, "moveResources", api.sub, src, [old], rg_id(dest_sub, dst))).status_code == 204
    new = ws_id(dest_sub, dst, "ws1")
    job = api.request("GET", f"{new}/jobs/job1", ML)
    assert job.status_code == 200 and job.json()["id"].lower().startswith(new.lower())
    assert job.json()["properties"]["status"] == "Completed"
    assert "read 3 rows" in api.request("GET", f"{new}/jobs/job1/logs", ML).text
    model = api.request("PUT", f"{new}/models/fromjob/versions/1", ML, json={"properties": {
        "modelUri": "azureml://jobs/job1/outputs/model", "modelType": "custom_model"}})
    assert model.status_code == 201, model.text
    assert [a["path"] for a in model.json()["properties"]["artifacts"]] == ["model/model.txt"]


def wait_until(check: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_move_to_another_region_is_refused_unless_asked_then_copies_the_storage(api: Api, dest_sub: str,
                                                                                    name: str) -> None:
    src, dst = f"{name}-src", f"{name}-west"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst, "westus")
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    blobs = [b"weights " * 5000, b"a code snapshot", b"job output " * 300]
    for data in blobs:
        put = api.client.put(api.url(f"{old}/artifacts/blobs/{hashlib.sha256(data).hexdigest()}", ML), content=data,
                             headers={"Content-Type": "application/octet-stream"})
        assert put.status_code == 201, put.text
    weights = hashlib.sha256(blobs[0]).hexdigest()
    r = api.request("PUT", f"{old}/models/m/versions/1", ML, json={"properties": {
        "modelType": "custom_model", "artifacts": [{"path": "w.bin", "sha256": weights, "size": len(blobs[0])}]}})
    assert r.status_code == 201, r.text
    account = api.request("GET", old, ML).json()["properties"]["storageAccount"].rsplit("/", 1)[1]
    east, west = api.container.deps.blobs("eastus"), api.container.deps.blobs("westus")
    target = rg_id(dest_sub, dst)

    # Refused by default, as Azure refuses it, by validation and by the move alike; nothing changes.
    for action in ("validateMoveResources", "moveResources"):
        refused = poll_location(api, post(api, action, api.sub, src, [old], target))
        assert refused.status_code == 409, refused.text
        assert [d["code"] for d in refused.json()["error"]["details"]] == ["MoveCrossRegion"]
    assert api.request("GET", old, ML).json()["location"] == "eastus"
    bad = api.request("POST", f"{rg_id(api.sub, src)}/moveResources",
                      json={"resources": [old], "targetResourceGroup": target, "allowRegionChange": "yes"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidRequestContent"
    assert list(west.list_accounts()).count(account) == 0

    body = {"resources": [old], "targetResourceGroup": target, "allowRegionChange": True}
    validated = poll_location(api, api.request("POST", f"{rg_id(api.sub, src)}/validateMoveResources", json=body))
    assert validated.status_code == 204, validated.text
    accepted = api.request("POST", f"{rg_id(api.sub, src)}/moveResources", json=body)
    assert poll_location(api, accepted).status_code == 204

    new = ws_id(dest_sub, dst, "ws1")
    moved = api.request("GET", new, ML).json()
    assert moved["location"] == "westus"
    assert {r["location"] for r in api.request("GET", f"{target}/resources").json()["value"]} == {"westus"}
    for data in blobs:  # every byte is served by the new region
        got = api.request("GET", f"{new}/artifacts/blobs/{hashlib.sha256(data).hexdigest()}", ML)
        assert got.status_code == 200 and got.content == data
        assert got.headers["x-ms-served-region"] == "westus"
    version = api.request("GET", f"{new}/models/m/versions/1", ML).json()
    assert version["properties"]["artifacts"][0]["sha256"] == weights
    status = api.client.get(accepted.headers["Location"].replace("/operationResults/", "/operationStatuses/")).json()
    copied = status["properties"]["storageCopied"]
    assert [(c["account"], c["fromRegion"], c["toRegion"]) for c in copied] == [(account, "eastus", "westus")]
    assert copied[0]["blobs"] == len(blobs)
    # The old region's copy is released once the move has committed.
    assert wait_until(lambda: account not in list(east.list_accounts())), "the old region still holds the account"
    assert sorted(west.list_blobs(account, next(c for c in west.list_containers(account) if "blobstore" in c))) == \
        sorted(hashlib.sha256(d).hexdigest() for d in blobs)
    # It serves: a new upload lands in the new region.
    data = b"after the move"
    put = api.client.put(api.url(f"{new}/artifacts/blobs/{hashlib.sha256(data).hexdigest()}", ML), content=data,
                         headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 201, put.text
    assert api.request("GET", f"{new}/artifacts/blobs/{hashlib.sha256(data).hexdigest()}",
                       ML).headers["x-ms-served-region"] == "westus"


def other_tenant(api: Api, name: str) -> tuple[str, str, dict[str, str]]:
    """A second tenant (amlite makes one tenant per server: this one is written to the store, as a
    directory import would), its subscription ready for a workspace with group ``{name}-theirs``,
    and three of its principals: ``me`` (Contributor on that group), ``reader`` and ``idle``."""
    from amlite.domain.builtin_roles import built_in_role
    from amlite.domain.rbac import RoleAssignment
    from amlite.domain.resources import Principal, PrincipalKind, Subscription, Tenant
    from amlite.schemas.arm_resources import ResourceGroupBody
    from amlite.services.context import Caller

    tenant, sub = str(uuid.uuid4()), str(uuid.uuid4())
    people = {who: str(uuid.uuid4()) for who in ("me", "reader", "idle")}
    now = api.container.deps.clock.now()
    with api.container.deps.uow(write=True) as uow:
        uow.tenants.add(Tenant(tenant, f"{name} other", f"{name}.example.org"), now)
        for who, oid in people.items():
            uow.principals.add(Principal(oid, tenant, PrincipalKind.USER, who, f"{who}@{name}.example.org",
                                         created_at=now))
        uow.subscriptions.add(Subscription(sub, tenant, "theirs"), now)
        for namespace in DEFAULT_REGISTERED:
            uow.providers.set_state(sub, namespace, "Registered")
        uow.commit()
    me = Caller(tenant, people["me"], "me", "User")
    api.container.resource_groups.create_or_update(me, sub, f"{name}-theirs",
                                                   ResourceGroupBody.model_validate({"location": "eastus"}))
    with api.container.deps.uow(write=True) as uow:
        uow.role_assignments.add(tenant, RoleAssignment(
            str(uuid.uuid4()), people["me"], built_in_role("Contributor").id, rg_id(sub, f"{name}-theirs"), now, "test"))
        uow.commit()
    return tenant, sub, people


def test_a_move_to_another_tenant_is_refused_unless_asked_and_maps_role_assignments(api: Api, name: str) -> None:
    from amlite.services.authz import Authorizer

    tenant, sub, people = other_tenant(api, name)
    src, dst = f"{name}-src", f"{name}-theirs"
    make_group(api, api.sub, src)
    api.create_workspace(src, "ws1")
    old = ws_id(api.sub, src, "ws1")
    reader, idle = create_user(api, f"{name}-reader"), create_user(api, f"{name}-idle")
    assert assign(api, reader["id"], "Reader", old).status_code == 201
    assert assign(api, idle["id"], "Reader", old).status_code == 201
    with api.container.deps.uow() as uow:
        admin = uow.principals.by_user_principal_name(api.tenant, api.credentials["username"])
    assert admin is not None
    target = rg_id(sub, dst)

    def attempt(action: str, **extra: Any) -> httpx.Response:
        return poll_location(api, api.request("POST", f"{rg_id(api.sub, src)}/{action}",
                                              json={"resources": [old], "targetResourceGroup": target, **extra}))

    refused = attempt("validateMoveResources")
    assert refused.status_code == 409
    assert "MoveCrossTenant" in [d["code"] for d in refused.json()["error"]["details"]]
    # Opted in, but the caller has no identity in the other tenant: no write there.
    unmapped = attempt("moveResources", allowTenantChange=True)
    assert [d["code"] for d in unmapped.json()["error"]["details"]] == ["MoveTargetWriteNotAuthorized"]
    stranger = str(uuid.uuid4())
    bad_map = attempt("validateMoveResources", allowTenantChange=True,
                      principalMap={admin.id: people["me"], reader["id"]: stranger})
    assert [d["code"] for d in bad_map.json()["error"]["details"]] == ["MovePrincipalNotInTargetTenant"]
    no_flag = api.request("POST", f"{rg_id(api.sub, src)}/moveResources", json={
        "resources": [old], "targetResourceGroup": target, "principalMap": {admin.id: people["me"]}})
    assert no_flag.status_code == 400 and no_flag.json()["error"]["code"] == "InvalidRequestContent"
    assert api.request("GET", old, ML).status_code == 200

    body = {"resources": [old], "targetResourceGroup": target, "allowTenantChange": True,
            "principalMap": {admin.id: people["me"], reader["id"]: people["reader"]}}
    accepted = api.request("POST", f"{rg_id(api.sub, src)}/moveResources", json=body)
    assert poll_location(api, accepted).status_code == 204
    new = ws_id(sub, dst, "ws1")
    assert api.request("GET", old, ML).status_code == 404
    status = api.client.get(accepted.headers["Location"].replace("/operationResults/", "/operationStatuses/")).json()
    result = status["properties"]
    assert sorted(ra["principalId"] for ra in result["removedRoleAssignments"]) == sorted([reader["id"], idle["id"]])
    assert [(ra["sourcePrincipalId"], ra["principalId"], ra["scope"]) for ra in result["recreatedRoleAssignments"]] == [
        (reader["id"], people["reader"], new)]
    with api.container.deps.uow() as uow:
        ws = uow.workspaces.get(sub, dst, "ws1")
        assert ws is not None and ws.subscription_id == sub
        read = "Microsoft.MachineLearningServices/workspaces/read"
        assert Authorizer.allowed_in(uow, people["reader"], read, new)
        assert not Authorizer.allowed_in(uow, people["idle"], read, new)
        assert not Authorizer.allowed_in(uow, reader["id"], read, new)
        assert {r.full_type.lower() for r in uow.resources.in_group(ws.resource_group_key)} == {
            "microsoft.storage/storageaccounts", "microsoft.keyvault/vaults",
            "microsoft.containerregistry/registries", "microsoft.insights/components"}
