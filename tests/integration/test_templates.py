"""Infrastructure as code through the API (SQLite and PostgreSQL): a workspace with a compute, an
online endpoint and a role assignment exports to an ARM template; deploying that template into a
group in another region recreates them there, after which the two templates show no drift, and
a change shows as drift. Templates amlite does not understand are refused with nothing created,
and a resource that fails stops the deployment, naming it."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from amlite.domain.templates import drift
from amlite.sdk.endpoint_entities import load_online_deployment, load_online_endpoint
from tests.integration.clients import Workspace, workspace  # noqa: F401 (fixture)
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_sp, sp_token
from tests.integration.test_computes import cluster
from tests.integration.test_online_endpoints import ONLINE

RES = "api-version=2024-11-01"


def _deploy(api: Api, rg: str, name: str, template: Any, **params: Any) -> Any:
    body = {"properties": {"mode": "Incremental", "template": template,
                           "parameters": {k: {"value": v} for k, v in params.items()}}}
    return api.client.put(f"{api.rg_path(rg)}/providers/Microsoft.Resources/deployments/{name}?{RES}", json=body)


def _export(api: Api, rg: str, ws: str) -> dict[str, Any]:
    r = api.client.post(f"{api.rg_path(rg)}/exportTemplate?{RES}", json={"resources": [api.ws_path(rg, ws)]})
    assert r.status_code == 200, r.text
    return r.json()["template"]  # type: ignore[no-any-return]


def _settle(api: Api, r: Any) -> None:
    """Wait for a PUT's long-running operation to succeed."""
    assert r.status_code in (200, 201, 202), r.text
    url = r.headers.get("Azure-AsyncOperation")
    while url:
        status = api.client.get(url).json()["status"]
        if status != "InProgress":
            assert status == "Succeeded", status
            return
        time.sleep(0.05)


def _source(api: Api, name: str) -> tuple[str, str]:
    rg, ws = f"{name}-src", f"{name}-ws"
    api.create_group(rg, "eastus")
    api.create_workspace(rg, ws, "eastus", tags={"team": "ml"}, properties={"description": "the primary"})
    path = api.ws_path(rg, ws)
    _settle(api, api.request("PUT", f"{path}/computes/cpu", ML, json=cluster(size="Standard_DS2_v2", max_nodes=1)))
    r = api.request("PUT", f"{path}/onlineEndpoints/ep-{name[:8]}", ML,
                    json={"location": "eastus", "properties": {"authMode": "Key", "description": "scoring"}})
    _settle(api, r)
    sp, _ = create_sp(api, f"{name}-reader")
    r = assign(api, sp["id"], "AzureML Data Scientist", path)
    assert r.status_code == 201, r.text
    return rg, ws


def test_export_deploy_elsewhere_then_no_drift_until_a_change(api: Api, name: str) -> None:
    rg, ws = _source(api, name)
    template = _export(api, rg, ws)
    assert template["$schema"].endswith("2019-04-01/deploymentTemplate.json#")
    assert set(template["parameters"]) == {"workspaceName", "location"}
    types = [r["type"] for r in template["resources"]]
    assert types == ["Microsoft.MachineLearningServices/workspaces", "Microsoft.MachineLearningServices/workspaces/computes",
                     "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
                     "Microsoft.Authorization/roleAssignments"], types
    assert "key" not in json.dumps(template).lower().replace("authmode", "").replace('"key"', "")

    target = f"{name}-dr"
    api.create_group(target, "westus")
    r = _deploy(api, target, "restore", template, workspaceName=f"{name}-ws2")
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["provisioningState"] == "Succeeded", r.json()["properties"].get("error")
    assert api.client.get(r.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    made = api.request("GET", api.ws_path(target, f"{name}-ws2"), ML).json()
    assert made["location"] == "westus" and made["tags"] == {"team": "ml"}
    compute = api.request("GET", f"{api.ws_path(target, f'{name}-ws2')}/computes/cpu", ML).json()
    assert compute["properties"]["properties"]["scaleSettings"]["maxNodeCount"] == 1
    copy_template = _export(api, target, f"{name}-ws2")
    assert drift(template, copy_template) == []

    listed = api.client.get(f"{api.rg_path(target)}/providers/Microsoft.Resources/deployments?{RES}").json()
    assert [d["name"] for d in listed["value"]] == ["restore"]

    _settle(api, api.request("PUT", f"{api.ws_path(target, f'{name}-ws2')}/computes/cpu", ML,
                             json={**cluster(size="Standard_DS2_v2", max_nodes=2), "location": "westus"}))
    found = drift(template, _export(api, target, f"{name}-ws2"))
    assert [(d["change"], d["path"], d["a"], d["b"]) for d in found] == [
        ("modified", "properties.properties.scaleSettings.maxNodeCount", 1, 2)], found


def test_bad_templates_are_refused_with_nothing_created(api: Api, name: str) -> None:
    rg, ws = _source(api, name)
    template = _export(api, rg, ws)
    target = f"{name}-bad"
    api.create_group(target, "westus")
    before = api.snapshot()
    cases: list[tuple[Any, str]] = []
    unknown_fn = copy.deepcopy(template)
    unknown_fn["resources"][1]["location"] = "[toLower(parameters('location'))]"
    cases.append((unknown_fn, "toLower"))
    unknown_type = copy.deepcopy(template)
    unknown_type["resources"].append({"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
                                      "name": "st", "location": "westus"})
    cases.append((unknown_type, "Microsoft.Storage/storageAccounts"))
    missing = copy.deepcopy(template)
    del missing["parameters"]["workspaceName"]["defaultValue"]
    cases.append((missing, "workspaceName"))
    cycle = copy.deepcopy(template)
    cycle["resources"][0]["dependsOn"] = [cycle["resources"][1]["name"]]
    cases.append((cycle, "Circular"))
    variables = copy.deepcopy(template)
    variables["variables"] = {"x": 1}
    cases.append((variables, "variables"))
    for bad, named in cases:
        r = _deploy(api, target, "bad", bad, workspaceName=f"{name}-never") if named != "workspaceName" \
            else _deploy(api, target, "bad", bad)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "InvalidTemplate" and named in r.json()["error"]["message"], r.text
    assert api.snapshot() == before


def test_a_failing_resource_fails_the_deployment_naming_it(api: Api, name: str) -> None:
    rg, ws = _source(api, name)
    template = _export(api, rg, ws)
    template["resources"][1]["properties"]["properties"]["vmSize"] = "Standard_Nope_v9"
    target = f"{name}-fail"
    api.create_group(target, "westus")
    r = _deploy(api, target, "broken", template, workspaceName=f"{name}-ws3")
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["provisioningState"] == "Failed"
    assert props["error"]["code"] == "DeploymentFailed"
    assert props["error"]["details"][0]["target"].endswith("/computes/cpu"), props["error"]
    got = api.client.get(f"{api.rg_path(target)}/providers/Microsoft.Resources/deployments/broken?{RES}").json()
    assert got["properties"]["provisioningState"] == "Failed"
    # what came before the failure stays (incremental), nothing after it was made
    assert api.request("GET", api.ws_path(target, f"{name}-ws3"), ML).status_code == 200
    eps = api.request("GET", f"{api.ws_path(target, f'{name}-ws3')}/onlineEndpoints", ML).json()["value"]
    assert eps == []


def test_online_deployment_exports_and_deploys_into_another_workspace(workspace: Workspace) -> None:
    """An endpoint with a running deployment (a real scoring process) exports with its model's id,
    code files and traffic; the template recreates both in another group and region, the
    deployment serving there, and the two workspaces show no drift."""
    api = workspace.api
    client = workspace.ml_client()
    client.online_endpoints.begin_create_or_update(load_online_endpoint(ONLINE / "endpoint.yml")).result()
    client.online_deployments.begin_create_or_update(load_online_deployment(ONLINE / "blue.yml")).result()
    endpoint = client.online_endpoints.get("my-endpoint")
    endpoint.traffic = {"blue": 100}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    template = _export(api, workspace.group, workspace.name)
    dep = next(r for r in template["resources"] if r["type"].endswith("/deployments"))
    assert dep["properties"]["model"].endswith("/models/my-endpoint-blue-model/versions/1")
    assert dep["properties"]["codeConfiguration"]["scoringScript"] == "score.py"

    target = f"{workspace.group}-dep"
    api.create_group(target, "westus")
    r = _deploy(api, target, "with-deployment", template, workspaceName=f"{workspace.name}-2")
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["provisioningState"] == "Succeeded", r.json()["properties"].get("error")
    copy_path = api.ws_path(target, f"{workspace.name}-2")
    got = api.request("GET", f"{copy_path}/onlineEndpoints/my-endpoint/deployments/blue", ML).json()
    assert got["properties"]["provisioningState"] == "Succeeded"
    assert api.request("GET", f"{copy_path}/onlineEndpoints/my-endpoint", ML).json()["properties"]["traffic"] == {
        "blue": 100}
    assert drift(template, _export(api, target, f"{workspace.name}-2")) == []


def test_each_resource_is_authorized_for_the_deploying_caller(api: Api, name: str) -> None:
    """A Contributor of the target group may deploy the workspace and its compute and endpoint, but
    not the role assignment (Contributor cannot write Microsoft.Authorization): the deployment
    fails there, naming it, and no assignment is made."""
    rg, ws = _source(api, name)
    template = _export(api, rg, ws)
    target = f"{name}-rbac"
    api.create_group(target, "westus")
    sp, secret = create_sp(api, f"{name}-deployer")
    assert assign(api, sp["id"], "Contributor", api.rg_path(target)).status_code == 201
    token = sp_token(api, sp["appId"], secret)
    body = {"properties": {"mode": "Incremental", "template": template,
                           "parameters": {"workspaceName": {"value": f"{name}-ws4"}}}}
    r = api.client.put(f"{api.rg_path(target)}/providers/Microsoft.Resources/deployments/as-contributor?{RES}",
                       json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    error = r.json()["properties"]["error"]
    assert r.json()["properties"]["provisioningState"] == "Failed"
    assert error["details"][0]["code"] == "AuthorizationFailed"
    assert "/providers/Microsoft.Authorization/roleAssignments/" in error["details"][0]["target"], error
    copy_path = api.ws_path(target, f"{name}-ws4")
    assert api.request("GET", f"{copy_path}/computes/cpu", ML).status_code == 200
    listed = api.client.get(f"{copy_path}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
                            "&$filter=atScope()").json()["value"]
    assert [a for a in listed if a["properties"]["scope"].lower() == copy_path.lower()] == []
