"""Hub and project workspaces through the API, on both stores: creation in Azure's shapes,
inheritance read through the hub, the join permission and self-service projects, and the support
matrix's refusals."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from amlite.store import tables
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token

KEY = "https://kv-it.vault.azure.net/keys/cmk/0123456789abcdef"


def _hub(api: Api, rg: str, name: str, *, default_rg: str | None = None, **props: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"publicNetworkAccess": "Disabled",
                                  "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
                                  "encryption": {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": KEY}},
                                  **props}
    if default_rg:
        properties["workspaceHubConfig"] = {"defaultWorkspaceResourceGroup": api.rg_path(default_rg)}
    return api.create_workspace(rg, name, kind="Hub", properties=properties)


def _project_body(api: Api, rg: str, hub: str, **props: Any) -> dict[str, Any]:
    return {"location": "eastus", "kind": "Project", "properties": {"hubResourceId": api.ws_path(rg, hub), **props}}


def _ws_rows(api: Api) -> list[tuple[Any, ...]]:
    with api.container.engine.connect() as conn:
        return sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(tables.workspaces)))


def test_a_hub_keeps_its_settings_and_a_project_shows_them_as_the_hubs(api: Api, name: str) -> None:
    api.create_group(name)
    hub = _hub(api, name, "hub1", default_rg=name)
    props = hub["properties"]
    assert hub["kind"] == "Hub"
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["managedNetwork"] == {"isolationMode": "AllowOnlyApprovedOutbound"}
    assert props["encryption"]["keyVaultProperties"]["keyIdentifier"] == KEY
    assert props["workspaceHubConfig"]["defaultWorkspaceResourceGroup"] == api.rg_path(name)

    r = api.request("PUT", api.ws_path(name, "proj1"), ML, json=_project_body(api, name, "hub1"))
    assert r.status_code == 200, r.text
    project = r.json()
    p = project["properties"]
    assert project["kind"] == "Project" and p["hubResourceId"] == api.ws_path(name, "hub1")
    for key in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
        assert p[key] == props[key]
        assert p["settingSources"][key] == "hub"
    assert p["publicNetworkAccess"] == "Disabled" and p["settingSources"]["publicNetworkAccess"] == "hub"
    assert p["encryption"]["keyVaultProperties"]["keyIdentifier"] == KEY
    # The project's containers are in the hub's storage, prefixed with its workspace GUID.
    account = props["storageAccount"].rsplit("/", 1)[1]
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    mine = sorted(c.name for c in (root / account).iterdir() if c.name.startswith(p["workspaceId"]))
    assert mine == [f"{p['workspaceId']}-azureml-blobstore", f"{p['workspaceId']}-code"]
    # The hub lists its project.
    shown = api.request("GET", api.ws_path(name, "hub1"), ML).json()
    assert shown["properties"]["associatedWorkspaces"] == [api.ws_path(name, "proj1")]

    # Changing the hub changes what the project shows; the project's row is not rewritten.
    with api.container.engine.connect() as conn:
        before = conn.execute(sa.select(tables.workspaces).where(tables.workspaces.c.name == "proj1")).one()
    r = api.request("PATCH", api.ws_path(name, "hub1"), ML, json={"properties": {"publicNetworkAccess": "Enabled"}})
    assert r.status_code == 200, r.text
    assert api.request("GET", api.ws_path(name, "proj1"), ML).json()["properties"]["publicNetworkAccess"] == "Enabled"
    with api.container.engine.connect() as conn:
        after = conn.execute(sa.select(tables.workspaces).where(tables.workspaces.c.name == "proj1")).one()
    assert tuple(before) == tuple(after)


def test_a_project_overrides_only_application_insights(api: Api, name: str) -> None:
    api.create_group(name)
    _hub(api, name, "hub2")
    other = api.create_workspace(name, "plain2")  # its Application Insights is one the project may name
    insights = other["properties"]["applicationInsights"]
    r = api.request("PUT", api.ws_path(name, "proj2"), ML,
                    json=_project_body(api, name, "hub2", applicationInsights=insights))
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    assert p["applicationInsights"] == insights and p["settingSources"]["applicationInsights"] == "project"
    before = api.snapshot()
    for field, value in (("publicNetworkAccess", "Enabled"), ("storageAccount", other["properties"]["storageAccount"]),
                         ("encryption", {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": KEY + "x"}})):
        r = api.request("PATCH", api.ws_path(name, "proj2"), ML, json={"properties": {field: value}})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "ProjectSettingInherited" and "hub" in r.json()["error"]["message"]
    r = api.request("PUT", api.ws_path(name, "proj3"), ML,
                    json=_project_body(api, name, "hub2", publicNetworkAccess="Enabled"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "ProjectSettingInherited"
    assert api.snapshot() == before
    # A body that repeats what the hub has asks for nothing: accepted.
    r = api.request("PUT", api.ws_path(name, "proj3"), ML,
                    json=_project_body(api, name, "hub2", publicNetworkAccess="Disabled"))
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["settingSources"]["publicNetworkAccess"] == "hub"


def test_support_matrix_refusals(api: Api, name: str) -> None:
    api.create_group(name)
    _hub(api, name, "hub3")
    api.create_workspace(name, "plain3")
    r = api.request("PUT", api.ws_path(name, "proj3"), ML, json=_project_body(api, name, "hub3"))
    assert r.status_code == 200, r.text
    before = api.snapshot()
    # Converting a Default workspace into a hub.
    r = api.request("PUT", api.ws_path(name, "plain3"), ML, json={"location": "eastus", "kind": "Hub"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "HubConversionNotSupported", r.text
    assert "new workspace of kind Hub" in r.json()["error"]["message"]
    r = api.request("PATCH", api.ws_path(name, "plain3"), ML, json={"kind": "Hub"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "HubConversionNotSupported", r.text
    # A compute cluster in a hub or project: serverless instead.
    for ws in ("hub3", "proj3"):
        r = api.request("PUT", api.ws_path(name, ws) + "/computes/cpu1", ML, json={
            "location": "eastus", "properties": {"computeType": "AmlCompute", "properties": {
                "vmSize": "Standard_DS3_v2", "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 1}}}})
        assert r.status_code == 400 and r.json()["error"]["code"] == "ComputeClusterNotSupportedInHub", r.text
        assert "serverless" in r.json()["error"]["message"]
    # Bring-your-own virtual network: the managed network instead.
    r = api.request("PUT", api.ws_path(name, "proj3") + "/computes/ci1", ML, json={
        "location": "eastus", "properties": {"computeType": "ComputeInstance", "properties": {
            "vmSize": "Standard_DS3_v2", "subnet": {"id": api.rg_path(name) + "/providers/Microsoft.Network/"
                                                    "virtualNetworks/v/subnets/s"}}}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "ByoVnetNotSupportedInHub", r.text
    assert "managed virtual network" in r.json()["error"]["message"]
    # Deleting a hub that still has projects names them.
    r = api.request("DELETE", api.ws_path(name, "hub3"), ML)
    assert r.status_code == 409 and r.json()["error"]["code"] == "HubHasProjects", r.text
    assert "proj3" in r.json()["error"]["message"]
    assert api.snapshot() == before
    # Once the project is gone (purged: a soft-deleted one keeps its hub), the hub goes.
    assert api.wait(api.request("DELETE", api.ws_path(name, "proj3"), f"forceToPurge=true&{ML}"))["status"] == "Succeeded"
    assert api.wait(api.request("DELETE", api.ws_path(name, "hub3"), ML))["status"] == "Succeeded"


def test_creating_a_project_needs_the_hubs_join_action(api: Api, name: str) -> None:
    hub_rg, proj_rg, other_rg = name, name + "-p", name + "-o"
    for rg in (hub_rg, proj_rg, other_rg):
        api.create_group(rg)
    _hub(api, hub_rg, "hub4", default_rg=proj_rg)
    dev = create_user(api, name + "dev")
    token = user_token(api, name + "dev")
    body = _project_body(api, hub_rg, "hub4")
    before = api.snapshot()
    # Without a role on the hub: refused naming the join action and the hub.
    r = api.client.put(api.url(api.ws_path(proj_rg, "proj4"), ML), json=body, headers=bearer(token))
    assert r.status_code == 403, r.text
    assert "workspaces/hubs/join/action" in r.json()["error"]["message"]
    assert api.snapshot() == before
    assert assign(api, dev["id"], "Azure AI Developer", api.ws_path(hub_rg, "hub4")).status_code == 201
    # In another group: workspaces/write there is needed too.
    r = api.client.put(api.url(api.ws_path(other_rg, "proj4"), ML), json=body, headers=bearer(token))
    assert r.status_code == 403 and "workspaces/write" in r.json()["error"]["message"], r.text
    # In the hub's default project group: no role there, and the creator becomes Owner.
    r = api.client.put(api.url(api.ws_path(proj_rg, "proj4"), ML), json=body, headers=bearer(token))
    assert r.status_code == 200, r.text
    listed = api.client.get(api.ws_path(proj_rg, "proj4") + "/providers/Microsoft.Authorization/roleAssignments",
                            params={"api-version": "2022-04-01", "$filter": "atScope()"}).json()["value"]
    owners = [a for a in listed if a["properties"]["principalId"] == dev["id"]
              and a["properties"]["roleDefinitionId"].endswith("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")]
    assert len(owners) == 1 and owners[0]["properties"]["scope"].lower() == api.ws_path(proj_rg, "proj4").lower()
    # As Owner of the project the developer manages it; the group itself stays closed to them.
    r = api.client.patch(api.url(api.ws_path(proj_rg, "proj4"), ML), json={"tags": {"a": "b"}}, headers=bearer(token))
    assert r.status_code == 200, r.text
    r = api.client.put(api.url(api.ws_path(proj_rg, "plain"), ML), json={"location": "eastus"},
                       headers=bearer(token))
    assert r.status_code == 403, r.text
    # With workspaces/write on the other group, a project can be created there too.
    assert assign(api, dev["id"], "Contributor", api.rg_path(other_rg)).status_code == 201
    r = api.client.put(api.url(api.ws_path(other_rg, "proj4"), ML), json=body, headers=bearer(token))
    assert r.status_code == 200, r.text


def test_project_bodies_are_judged(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "plain5")
    _hub(api, name, "hub5")
    before = api.snapshot()
    cases = [
        ({"location": "eastus", "kind": "Project"}, "InvalidRequestContent"),
        (_project_body(api, name, "nohub"), "HubNotFound"),
        (_project_body(api, name, "plain5"), "NotAHub"),
        ({"location": "westus", "kind": "Project", "properties": {"hubResourceId": api.ws_path(name, "hub5")}},
         "ProjectLocationMismatch"),
        ({"location": "eastus", "kind": "Project", "properties": {"hubResourceId": "hub5"}}, "InvalidHubResourceId"),
        ({"location": "eastus", "kind": "Hub", "properties": {"publicNetworkAccess": "Sometimes"}},
         "InvalidRequestContent"),
        ({"location": "eastus", "kind": "Hub", "properties": {"encryption": {"keyVaultProperties": {
            "keyIdentifier": "not-a-uri"}}}}, "InvalidRequestContent"),
        ({"location": "eastus", "properties": {"hubResourceId": api.ws_path(name, "hub5")}},
         "UnsupportedWorkspaceProperty"),
        ({"location": "eastus", "kind": "Lake"}, "InvalidRequestContent"),
    ]
    for body, code in cases:
        r = api.request("PUT", api.ws_path(name, "proj5"), ML, json=body)
        assert r.status_code in (400, 404), (body, r.text)
        assert r.json()["error"]["code"] == code, (body, r.text)
    assert api.snapshot() == before


def _family(api: Api, name: str, suffix: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A hub and two projects of it, in group ``name``."""
    api.create_group(name)
    hub = _hub(api, name, "hub" + suffix)
    made = []
    for project in ("alpha" + suffix, "beta" + suffix):
        r = api.request("PUT", api.ws_path(name, project), ML, json=_project_body(api, name, "hub" + suffix))
        assert r.status_code == 200, r.text
        made.append(r.json())
    return hub, made[0], made[1]


def test_a_project_reaches_only_its_own_containers_of_the_hubs_storage(api: Api, name: str) -> None:
    from amlite.domain.errors import AuthorizationFailed
    from amlite.services.asset_owners import workspace_owner

    hub, alpha, beta = _family(api, name, "6")
    account = hub["properties"]["storageAccount"].rsplit("/", 1)[1]
    a_id, b_id = alpha["properties"]["workspaceId"], beta["properties"]["workspaceId"]
    ds = api.ws_path(name, "alpha6") + "/datastores/"

    def datastore(container: str) -> dict[str, Any]:
        return {"properties": {"datastoreType": "AzureBlob", "accountName": account, "containerName": container,
                               "credentials": {"credentialsType": "None"}}}

    before = api.snapshot()
    for container in (f"{b_id}-azureml-blobstore", f"azureml-blobstore-{hub['properties']['workspaceId']}"):
        r = api.request("PUT", ds + "theirs", ML, json=datastore(container))
        assert r.status_code == 403 and r.json()["error"]["code"] == "ProjectStorageIsolation", r.text
    assert api.snapshot() == before
    r = api.request("PUT", ds + "mine", ML, json=datastore(f"{a_id}-azureml-blobstore"))
    assert r.status_code in (200, 201), r.text

    # The blob adapter a project's use cases get is confined to its containers.
    with api.container.deps.uow() as uow:
        ws_a = uow.workspaces.get(api.sub, name, "alpha6")
        ws_b = uow.workspaces.get(api.sub, name, "beta6")
        assert ws_a is not None and ws_b is not None
        a_store = api.container.artifacts.storage_in(uow, workspace_owner(ws_a))
        b_store = api.container.artifacts.storage_in(uow, workspace_owner(ws_b))
    assert (a_store.account, b_store.account) == (account, account)
    stored = b_store.store.put_stream(account, b_store.container, [b"beta's rows\n"])
    assert b_store.store.exists(account, b_store.container, stored.sha256)
    for attempt in (lambda: a_store.store.exists(account, b_store.container, stored.sha256),
                    lambda: a_store.store.open_chunks(account, b_store.container, stored.sha256),
                    lambda: a_store.store.delete_blob(account, b_store.container, stored.sha256),
                    lambda: a_store.store.put_stream(account, b_store.container, [b"x"]),
                    lambda: a_store.store.delete_account(account)):
        try:
            attempt()
        except AuthorizationFailed as exc:
            assert exc.code == "ProjectStorageIsolation"
        else:
            raise AssertionError("a project's view reached another project's container")
    listed = set(a_store.store.list_containers(account))
    assert listed == {f"{a_id}-azureml-blobstore", f"{a_id}-code"}
    assert b_store.store.exists(account, b_store.container, stored.sha256)  # untouched


def test_a_hubs_projects_share_instances_and_draw_on_one_quota(api: Api, name: str) -> None:
    _hub_ws, _alpha, _beta = _family(api, name, "7")
    plain = api.create_workspace(name, "plain7")
    a, b = api.ws_path(name, "alpha7"), api.ws_path(name, "beta7")

    def instance(ws: str, compute: str, size: str) -> Any:
        return api.request("PUT", f"{ws}/computes/{compute}", ML, json={
            "location": "eastus", "properties": {"computeType": "ComputeInstance", "properties": {"vmSize": size}}})

    assert instance(a, "ci-a", "Standard_DS5_v2").status_code == 201  # 16 of the family's 24 vCPUs
    assert instance(b, "ci-b", "Standard_DS4_v2").status_code == 201  # 8 more: the balance is spent
    import time

    deadline = time.monotonic() + 30
    for compute in (f"{a}/computes/ci-a", f"{b}/computes/ci-b"):
        while api.request("GET", compute, ML).json()["properties"]["provisioningState"] != "Succeeded":
            assert time.monotonic() < deadline, compute
            time.sleep(0.05)
    before = api.snapshot()
    r = instance(b, "ci-b2", "Standard_DS1_v2")
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "QuotaExceeded"
    assert "standardDSv2Family" in error["message"] and "Current usage: 24" in error["message"]
    assert "limit: 24" in error["message"] and "hub7" in error["message"]
    assert api.snapshot() == before

    # A job of beta may name alpha's instance; a Default workspace's may not.
    env = {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"}}
    for ws in (b, plain["id"]):
        assert api.request("PUT", f"{ws}/environments/plain/versions/1", ML, json=env).status_code in (200, 201)
    body = {"properties": {"jobType": "Command", "command": "echo shared", "environmentId": "azureml:plain:1",
                           "computeId": "azureml:ci-a"}}
    r = api.request("PUT", f"{plain['id']}/jobs/nope7", ML, json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "ComputeNotFound", r.text
    r = api.request("PUT", f"{b}/jobs/shared7", ML, json=body)
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 60
    while (status := api.request("GET", f"{b}/jobs/shared7", ML).json()["properties"]["status"]) not in (
            "Completed", "Failed", "Canceled"):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status == "Completed"
    # A parallel run step is refused in a project.
    r = api.request("PUT", f"{b}/jobs/par7", ML, json={"properties": {"jobType": "Pipeline", "jobs": {
        "score": {"type": "parallel", "componentId": "azureml:scorer:1"}}}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "ParallelRunStepNotSupportedInHub", r.text
    assert "command step" in r.json()["error"]["message"]


def test_deleting_a_project_keeps_its_containers_until_it_is_purged_and_leaves_the_hubs(api: Api, name: str) -> None:
    """A deleted project is soft-deleted: its containers in the hub's storage stay (it can be
    recovered) but the hub no longer lists it; purging it removes its containers only."""
    hub, alpha, _beta = _family(api, name, "8")
    account = hub["properties"]["storageAccount"].rsplit("/", 1)[1]
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    a_id = alpha["properties"]["workspaceId"]
    assert (root / account / f"{a_id}-azureml-blobstore").exists()
    assert api.wait(api.request("DELETE", api.ws_path(name, "alpha8"), ML))["status"] == "Succeeded"
    assert (root / account / f"{a_id}-azureml-blobstore").exists()
    assert api.request("GET", api.ws_path(name, "hub8"), ML).json()["properties"]["associatedWorkspaces"] == [
        api.ws_path(name, "beta8")]
    purged = api.request("DELETE", api.ws_path(name, "alpha8"), f"forceToPurge=true&{ML}")
    assert api.wait(purged)["status"] == "Succeeded"
    left = {p.name for p in (root / account).iterdir()}
    assert not any(c.startswith(a_id) for c in left)
    assert f"azureml-blobstore-{hub['properties']['workspaceId']}" in left


def test_a_hub_read_and_put_back_is_accepted_and_changes_nothing(api: Api, name: str) -> None:
    _hub_ws, _alpha, _beta = _family(api, name, "9")
    for ws in ("hub9", "alpha9"):
        shown = api.request("GET", api.ws_path(name, ws), ML).json()
        r = api.request("PUT", api.ws_path(name, ws), ML, json={
            "location": shown["location"], "kind": shown["kind"], "tags": shown["tags"],
            "properties": shown["properties"]})
        assert r.status_code == 200, r.text
        assert r.json()["properties"] == {**shown["properties"]}


def test_a_group_holding_a_hub_with_projects_elsewhere_is_not_deleted(api: Api, name: str) -> None:
    other = name + "-p"
    api.create_group(name)
    api.create_group(other)
    hub = _hub(api, name, "hub10")
    r = api.request("PUT", api.ws_path(other, "proj10"), ML, json=_project_body(api, name, "hub10"))
    assert r.status_code == 200, r.text
    account = hub["properties"]["storageAccount"].rsplit("/", 1)[1]
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    prefix = r.json()["properties"]["workspaceId"]
    before = api.snapshot()
    forced = "?forceDeletionTypes=Microsoft.MachineLearningServices/workspaces"
    r = api.request("DELETE", api.rg_path(name) + forced)
    assert r.status_code == 409 and r.json()["error"]["code"] == "HubHasProjects", r.text
    assert "proj10" in r.json()["error"]["message"]
    assert api.snapshot() == before
    # The project's group goes with its project; then the hub's group can go.
    assert api.wait(api.request("DELETE", api.rg_path(other) + forced))["status"] == "Succeeded"
    assert not any(c.name.startswith(prefix) for c in (root / account).iterdir())  # its containers went with it
    assert api.wait(api.request("DELETE", api.rg_path(name) + forced))["status"] == "Succeeded"


def test_a_soft_deleted_project_keeps_its_hub_until_it_is_purged(api: Api, name: str) -> None:
    """A soft-deleted project can be recovered, so it still needs its hub: deleting the hub (or the
    hub's group) is refused naming it and how to purge it; once purged, the hub goes."""
    other = name + "-p"
    api.create_group(other)
    _hub_ws, _alpha, _beta = _family(api, name, "11")
    r = api.request("PUT", api.ws_path(other, "gamma11"), ML, json=_project_body(api, name, "hub11"))
    assert r.status_code == 200, r.text
    for project, rg in (("alpha11", name), ("beta11", name), ("gamma11", other)):
        assert api.wait(api.request("DELETE", api.ws_path(rg, project), ML))["status"] == "Succeeded"
    before = api.snapshot()
    r = api.request("DELETE", api.ws_path(name, "hub11"), ML)
    assert r.status_code == 409 and r.json()["error"]["code"] == "HubHasProjects", r.text
    message = r.json()["error"]["message"]
    assert f"{api.ws_path(name, 'alpha11')} (soft-deleted)" in message and "gamma11" in message
    assert "forceToPurge=true" in message and f"-n beta11 -g {name} --permanently-delete" in message
    assert "purge them first" in message
    r = api.request("DELETE", api.ws_path(name, "hub11"), f"forceToPurge=true&{ML}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "HubHasProjects", r.text
    forced = "?forceDeletionTypes=Microsoft.MachineLearningServices/workspaces"
    r = api.request("DELETE", api.rg_path(name) + forced)  # gamma11, in another group, would lose its hub
    assert r.status_code == 409 and r.json()["error"]["code"] == "HubHasProjects", r.text
    assert f"-n gamma11 -g {other} --permanently-delete" in r.json()["error"]["message"]
    assert api.snapshot() == before
    # The projects can still be recovered: their hub is there.
    r = api.request("POST", api.ws_path(name, "alpha11") + "/recover", ML)
    assert r.status_code == 200 and r.json()["properties"]["hubResourceId"] == api.ws_path(name, "hub11"), r.text
    r = api.request("DELETE", api.ws_path(name, "hub11"), ML)
    assert r.status_code == 409 and "delete them first and purge the soft-deleted ones" in r.text, r.text
    assert "-n alpha11 " not in r.text and "-n beta11 " in r.text
    for project, rg in (("alpha11", name), ("beta11", name), ("gamma11", other)):
        purged = api.request("DELETE", api.ws_path(rg, project), f"forceToPurge=true&{ML}")
        assert api.wait(purged)["status"] == "Succeeded"
    assert api.wait(api.request("DELETE", api.ws_path(name, "hub11"), ML))["status"] == "Succeeded"


def test_a_project_cannot_register_data_on_another_projects_datastore(api: Api, name: str) -> None:
    """A data asset is a reference: a project's may name a path on its own datastores, not on a
    sibling's or the hub's (all in the hub's shared storage), nor a URL of their containers; a
    Default workspace is not concerned."""
    hub, alpha, beta = _family(api, name, "12")
    api.create_workspace(name, "plain12")

    def path(ws: str) -> str:
        return (f"azureml://subscriptions/{api.sub}/resourcegroups/{name}/workspaces/{ws}/datastores/"
                "workspaceblobstore/paths/rows/")

    def data(ws: str, target: str, version: str = "1") -> Any:
        return api.request("PUT", api.ws_path(name, ws) + f"/data/rows/versions/{version}", ML,
                           json={"properties": {"dataType": "uri_folder", "dataUri": target}})

    before = api.snapshot()
    for owner, other in (("alpha12", "beta12"), ("alpha12", "hub12"), ("hub12", "beta12")):
        r = data(owner, path(other))
        assert r.status_code == 403 and r.json()["error"]["code"] == "ProjectDataIsolation", r.text
        assert other in r.json()["error"]["message"] and "properties.dataUri" in r.text
    assert api.snapshot() == before
    assert data("alpha12", path("alpha12")).status_code in (200, 201)
    assert data("alpha12", "azureml://datastores/workspaceblobstore/paths/rows/", "2").status_code in (200, 201)
    assert data("plain12", path("beta12")).status_code in (200, 201)
    # Nor by a storage URL into another container of the hub's account, in any of its spellings.
    account = hub["properties"]["storageAccount"].rsplit("/", 1)[1]
    theirs = f"{beta['properties']['workspaceId']}-azureml-blobstore"
    mine = f"{alpha['properties']['workspaceId']}-code"
    before = api.snapshot()
    for url in (f"https://{account}.blob.core.windows.net/{theirs}/rows/",
                f"wasbs://{theirs}@{account}.blob.core.windows.net/rows/",
                f"abfss://{theirs}@{account}.dfs.core.windows.net/rows/"):
        r = data("alpha12", url, "3")
        assert r.status_code == 403 and r.json()["error"]["code"] == "ProjectStorageIsolation", (url, r.text)
    assert api.snapshot() == before
    assert data("alpha12", f"https://{account}.blob.core.windows.net/{mine}/rows/", "3").status_code in (200, 201)
    assert data("alpha12", f"https://elsewhere.blob.core.windows.net/{theirs}/rows/", "4").status_code in (200, 201)


def test_a_hub_and_its_project_from_one_arm_template(api: Api, name: str) -> None:
    """Azure's ARM template for a hub and a project (two Microsoft.MachineLearningServices/workspaces
    resources, the project depending on the hub) deploys through the template-deployment route, and
    the project it makes inherits from the hub as one made by its own PUT does."""
    api.create_group(name)
    hub_id = "[resourceId('Microsoft.MachineLearningServices/workspaces', parameters('hubName'))]"
    workspace = {"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-10-01",
                 "location": "[resourceGroup().location]", "identity": {"type": "SystemAssigned"}}
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"hubName": {"type": "string", "defaultValue": "hub13"}},
        "resources": [
            {**workspace, "name": "[parameters('hubName')]", "kind": "Hub", "properties": {
                "publicNetworkAccess": "Disabled", "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
                "encryption": {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": KEY}},
                "workspaceHubConfig": {"defaultWorkspaceResourceGroup": "[resourceGroup().id]"}}},
            {**workspace, "name": "proj13", "kind": "Project", "dependsOn": [hub_id],
             "properties": {"friendlyName": "Project 13", "hubResourceId": hub_id}},
        ],
    }
    body = {"properties": {"mode": "Incremental", "template": template, "parameters": {}}}
    r = api.client.put(f"{api.rg_path(name)}/providers/Microsoft.Resources/deployments/hub13?api-version=2024-11-01",
                       json=body)
    assert r.status_code in (200, 201), r.text
    assert r.json()["properties"]["provisioningState"] == "Succeeded", r.text
    hub = api.request("GET", api.ws_path(name, "hub13"), ML).json()
    assert hub["kind"] == "Hub" and hub["properties"]["associatedWorkspaces"] == [api.ws_path(name, "proj13")]
    project = api.request("GET", api.ws_path(name, "proj13"), ML).json()
    p = project["properties"]
    assert project["kind"] == "Project" and p["hubResourceId"] == api.ws_path(name, "hub13")
    assert p["publicNetworkAccess"] == "Disabled" and p["settingSources"]["publicNetworkAccess"] == "hub"
    assert p["encryption"]["keyVaultProperties"]["keyIdentifier"] == KEY
    assert p["storageAccount"] == hub["properties"]["storageAccount"] and p["friendlyName"] == "Project 13"


def test_a_project_is_reached_through_its_hubs_private_endpoint(api: Api, name: str) -> None:
    """One private endpoint on the hub serves the hub and its projects: a project shows the hub's
    connections as they are now, and refuses one of its own, naming the hub."""
    _hub_ws, _alpha, _beta = _family(api, name, "14")
    hub, alpha = api.ws_path(name, "hub14"), api.ws_path(name, "alpha14")
    endpoint = {"properties": {"privateEndpoint": {
        "id": api.rg_path(name) + "/providers/Microsoft.Network/privateEndpoints/pe14"}}}
    r = api.request("PUT", f"{hub}/privateEndpointConnections/pe14", ML, json=endpoint)
    assert r.status_code == 201, r.text
    before = api.snapshot()
    for method, body in (("PUT", endpoint), ("DELETE", None)):
        r = api.request(method, f"{alpha}/privateEndpointConnections/pe14", ML, json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "ProjectSettingInherited", r.text
        assert "hub14" in r.json()["error"]["message"]
    assert api.snapshot() == before
    approved = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok"}}}
    assert api.request("PUT", f"{hub}/privateEndpointConnections/pe14", ML, json=approved).status_code == 200
    listed = api.request("GET", f"{alpha}/privateEndpointConnections", ML).json()["value"]
    assert [c["id"] for c in listed] == [f"{hub}/privateEndpointConnections/pe14"]
    assert listed[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    shown = api.request("GET", f"{alpha}/privateEndpointConnections/pe14", ML)
    assert shown.status_code == 200 and shown.json()["id"] == f"{hub}/privateEndpointConnections/pe14", shown.text


def test_a_project_names_its_own_application_insights_from_the_cli_and_yaml(
        api: Api, monkeypatch: Any, tmp_path: Any, name: str) -> None:
    """The one setting a project may override, from ``--application-insights`` and from the YAML's
    ``application_insights``; a Default workspace or a hub naming one is refused, not ignored."""
    from tests.integration.clients import app_transport, cli_login, route_cli
    from tests.unit.test_cli_commands import run

    route_cli(app_transport(api), monkeypatch, tmp_path)
    cli_login(api, tmp_path)
    api.create_group(name)
    hub = _hub(api, name, "hub15")
    insights = api.create_workspace(name, "plain15")["properties"]["applicationInsights"]
    made = run("ml", "workspace", "create", "--kind", "project", "--hub-id", hub["id"], "-n", "alpha15", "-g", name,
               "--application-insights", insights)
    assert made.exit_code == 0, made.stderr
    shown = json.loads(made.stdout)
    assert shown["application_insights"] == insights and shown["setting_sources"]["applicationInsights"] == "project"
    (tmp_path / "beta.yml").write_text(f"name: beta15\nkind: project\nhub_id: {hub['id']}\n"
                                       f"application_insights: {insights}\n")
    made = run("ml", "workspace", "create", "--file", str(tmp_path / "beta.yml"), "-g", name)
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["setting_sources"]["applicationInsights"] == "project"
    before = api.snapshot()
    refused = run("ml", "workspace", "create", "-n", "plain16", "-g", name, "--application-insights", insights)
    assert refused.exit_code != 0 and "(UnsupportedWorkspaceProperty)" in refused.stderr, refused.stderr
    (tmp_path / "plain.yml").write_text(f"name: plain17\napplication_insights: {insights}\n")
    refused = run("ml", "workspace", "create", "--file", str(tmp_path / "plain.yml"), "-g", name)
    assert refused.exit_code != 0 and "application_insights" in refused.stderr, refused.stderr
    assert api.snapshot() == before
