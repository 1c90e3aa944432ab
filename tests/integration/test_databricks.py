"""Azure Databricks workspaces as records of their group, through the API on both stores: the
provider must be registered, a link (``parameters.amlWorkspaceId``) must name an Azure Machine
Learning workspace the caller may write, and create, replace, read, list and delete as ARM does."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token

DBX = "api-version=2024-05-01"


def dbx_body(api: Api, link: str | None = None, location: str = "eastus") -> dict[str, Any]:
    props: dict[str, Any] = {"managedResourceGroupId": f"/subscriptions/{api.sub}/resourceGroups/spark-managed"}
    if link is not None:
        props["parameters"] = {"amlWorkspaceId": {"value": link}}
    return {"location": location, "sku": {"name": "premium"}, "properties": props}


def test_a_databricks_workspace_links_to_a_workspace_and_is_deleted(api: Api, name: str) -> None:
    rg = f"{name}-rg"
    api.create_group(rg)
    api.create_workspace(rg, "ws1")
    ws = api.ws_path(rg, "ws1")
    dbw = f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces/spark"

    unregistered = api.request("PUT", dbw, DBX, json=dbx_body(api, ws))
    assert unregistered.status_code == 409 and unregistered.json()["error"]["code"] == "MissingSubscriptionRegistration"
    assert api.request("POST", f"/subscriptions/{api.sub}/providers/Microsoft.Databricks/register").status_code == 200

    created = api.request("PUT", dbw, DBX, json=dbx_body(api, ws))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["id"], body["type"], body["sku"], body["location"]) == (
        dbw, "Microsoft.Databricks/workspaces", {"name": "premium"}, "eastus")
    assert body["properties"]["parameters"]["amlWorkspaceId"] == {"type": "String", "value": ws}
    assert body["properties"]["provisioningState"] == "Succeeded"
    assert api.request("GET", dbw, DBX).json() == body
    listed = api.request("GET", f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces", DBX).json()["value"]
    assert [d["name"] for d in listed] == ["spark"]
    in_group = api.request("GET", f"{api.rg_path(rg)}/resources").json()["value"]
    assert dbw in [r["id"] for r in in_group]

    unlinked = api.request("PUT", dbw, DBX, json=dbx_body(api))
    assert unlinked.status_code == 200 and unlinked.json()["properties"]["parameters"] == {}
    moved = api.request("PUT", dbw, DBX, json=dbx_body(api, location="westus"))
    assert moved.status_code == 400 and moved.json()["error"]["code"] == "LocationCannotBeChanged"

    log = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Insights/eventtypes/management/values",
                      "api-version=2015-04-01").json()["value"]
    assert any(e["operationName"]["value"] == "Microsoft.Databricks/workspaces/write"
               and e["resourceId"].lower() == dbw.lower() for e in log)
    assert api.request("DELETE", dbw, DBX).status_code == 200
    assert api.request("DELETE", dbw, DBX).status_code == 204
    gone = api.request("GET", dbw, DBX)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"


def test_a_link_needs_an_existing_workspace_the_caller_may_write(api: Api, name: str) -> None:
    rg, other = f"{name}-rg", f"{name}-ml"
    api.create_group(rg)
    api.create_group(other)
    api.create_workspace(other, "ws1")
    ws = api.ws_path(other, "ws1")
    assert api.request("POST", f"/subscriptions/{api.sub}/providers/Microsoft.Databricks/register").status_code == 200
    dbw = f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces/spark"
    missing = api.request("PUT", dbw, DBX, json=dbx_body(api, api.ws_path(other, "absent")))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "LinkedWorkspaceNotFound"
    assert api.request("GET", dbw, DBX).status_code == 404
    # Contributor on the Databricks workspace's group only: it may create the record, not link it.
    user = create_user(api, f"{name}-dbx")
    assert assign(api, user["id"], "Contributor", api.rg_path(rg)).status_code == 201
    token = user_token(api, f"{name}-dbx")
    denied = api.client.put(f"{dbw}?{DBX}", json=dbx_body(api, ws), headers=bearer(token))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "LinkedAuthorizationFailed"
    assert api.request("GET", dbw, DBX).status_code == 404
    plain = api.client.put(f"{dbw}?{DBX}", json=dbx_body(api), headers=bearer(token))
    assert plain.status_code == 201, plain.text
    bad = api.request("PUT", f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces/other", DBX,
                      json={"location": "eastus", "sku": {"name": "gold"}, "properties": {}})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "sku.name"


def test_a_databricks_workspace_is_judged_by_the_groups_policies(api: Api, name: str) -> None:
    rg = f"{name}-rg"
    api.create_group(rg)
    assert api.request("POST", f"/subscriptions/{api.sub}/providers/Microsoft.Databricks/register").status_code == 200
    assignment = f"{api.rg_path(rg)}/providers/Microsoft.Authorization/policyAssignments/need-team"
    r = api.request("PUT", assignment, "api-version=2023-04-01", json={"properties": {
        "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99",
        "parameters": {"tagName": {"value": "team"}}}})
    assert r.status_code == 201, r.text
    dbw = f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces/spark"
    refused = api.request("PUT", dbw, DBX, json=dbx_body(api))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "RequestDisallowedByPolicy"
    assert api.request("GET", dbw, DBX).status_code == 404
    tagged = api.request("PUT", dbw, DBX, json={**dbx_body(api), "tags": {"team": "ml"}})
    assert tagged.status_code == 201 and tagged.json()["tags"] == {"team": "ml"}


def test_a_databricks_workspace_goes_with_its_group(api: Api, name: str) -> None:
    rg = f"{name}-rg"
    api.create_group(rg)
    assert api.request("POST", f"/subscriptions/{api.sub}/providers/Microsoft.Databricks/register").status_code == 200
    dbw = f"{api.rg_path(rg)}/providers/Microsoft.Databricks/workspaces/spark"
    assert api.request("PUT", dbw, DBX, json=dbx_body(api)).status_code == 201
    deleted = api.request("DELETE", api.rg_path(rg))
    assert api.wait(deleted)["status"] == "Succeeded"
    api.create_group(rg)
    assert api.request("GET", dbw, DBX).status_code == 404
    assert api.request("GET", f"{api.rg_path(rg)}/resources").json()["value"] == []
