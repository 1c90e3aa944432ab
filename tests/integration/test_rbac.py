"""Role-based access control with Azure's semantics: inheritance down the scope tree, NotActions,
groups (nested), custom roles and their assignable scopes, filtered lists, and the activity log."""

from __future__ import annotations

import uuid

from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import (
    AUTH, assign, bearer, create_sp, create_user, custom_role, role_id, sp_token, user_token,
)


def as_user(api: Api, name: str, role: str | None = None, scope: str | None = None) -> dict[str, str]:
    user = create_user(api, name)
    if role:
        assert assign(api, user["id"], role, scope or f"/subscriptions/{api.sub}").status_code == 201
    return {**bearer(user_token(api, name)), "oid": user["id"]}


def headers(h: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in h.items() if k != "oid"}


def test_contributor_at_a_group_creates_workspaces_there_but_no_role_assignments(api: Api, name: str) -> None:
    api.create_group(name)
    other = api.create_group(name + "o")["name"]
    who = as_user(api, name + "c", "Contributor", api.rg_path(name))
    assert api.request("PUT", api.ws_path(name, "ws1"), ML, json={"location": "eastus"}, headers=headers(who)).status_code == 200
    assert api.request("PUT", api.ws_path(other, "ws1"), ML, json={"location": "eastus"}, headers=headers(who)).status_code == 403
    denied = assign(api, who["oid"], "Reader", api.rg_path(name), token=headers(who)["Authorization"][7:])
    assert denied.status_code == 403 and "Microsoft.Authorization/roleAssignments/write" in denied.json()["error"]["message"]


def test_reader_at_the_subscription_reads_every_workspace_and_writes_none(api: Api, name: str) -> None:
    for rg in (name + "a", name + "b"):
        api.create_group(rg)
        api.create_workspace(rg, "w" + rg)
    who = headers(as_user(api, name + "r", "Reader"))
    for rg in (name + "a", name + "b"):
        assert api.request("GET", api.ws_path(rg, "w" + rg), ML, headers=who).status_code == 200
    listed = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces", ML, headers=who)
    assert {"w" + name + "a", "w" + name + "b"} <= {w["name"] for w in listed.json()["value"]}
    assert api.request("PATCH", api.ws_path(name + "a", "w" + name + "a"), ML, json={"tags": {}}, headers=who).status_code == 403


def test_a_groups_assignment_applies_to_its_members_and_nested_groups(api: Api, name: str) -> None:
    api.create_group(name)
    outer = api.client.post("/v1.0/groups", json={"displayName": name + "-outer", "mailNickname": "o"}).json()
    inner = api.client.post("/v1.0/groups", json={"displayName": name + "-inner", "mailNickname": "i"}).json()
    member = as_user(api, name + "m")
    odata = "https://graph.microsoft.com/v1.0/directoryObjects/"
    url = f"{api.rg_path(name)}?api-version=2024-03-01"
    assert api.client.get(url, headers=headers(member)).status_code == 403
    assert api.client.post(f"/v1.0/groups/{inner['id']}/members/$ref", json={"@odata.id": odata + member["oid"]}).status_code == 204
    assert api.client.post(f"/v1.0/groups/{outer['id']}/members/$ref", json={"@odata.id": odata + inner["id"]}).status_code == 204
    assert assign(api, outer["id"], "Reader", api.rg_path(name)).status_code == 201
    assert api.client.get(url, headers=headers(member)).status_code == 200
    # A cycle is refused; removing the membership removes the access.
    cycle = api.client.post(f"/v1.0/groups/{inner['id']}/members/$ref", json={"@odata.id": odata + outer["id"]})
    assert cycle.status_code == 400
    assert api.client.delete(f"/v1.0/groups/{inner['id']}/members/{member['oid']}/$ref").status_code == 204
    assert api.client.get(url, headers=headers(member)).status_code == 403


def test_registry_permission_table_as_custom_roles_on_workspace_assets(api: Api, name: str) -> None:
    """Seed 002's table (registries/read + registries/assets/read to use; + assets/write, delete to
    publish), with the registry routes not there yet: the same mechanism on a workspace's assets."""
    api.create_group(name)
    api.create_workspace(name, "wsx")
    use = custom_role(api, f"{name} asset user", ["Microsoft.MachineLearningServices/workspaces/read",
                                                  "Microsoft.MachineLearningServices/workspaces/models/*/read"])
    publish = custom_role(api, f"{name} asset publisher", [
        "Microsoft.MachineLearningServices/workspaces/read", "Microsoft.MachineLearningServices/workspaces/models/*/read",
        "Microsoft.MachineLearningServices/workspaces/models/*/write", "Microsoft.MachineLearningServices/workspaces/models/*/delete",
    ])
    assert use["properties"]["type"] == "CustomRole" and publish["properties"]["assignableScopes"] == [f"/subscriptions/{api.sub}"]
    reader = headers(as_user(api, name + "u", f"{name} asset user", api.rg_path(name)))
    writer = headers(as_user(api, name + "p", f"{name} asset publisher", api.rg_path(name)))
    ws = api.ws_path(name, "wsx")
    version = f"{ws}/models/m1/versions/1"
    body = {"properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/m1", "modelType": "custom_model"}}
    assert api.request("PUT", version, ML, json=body, headers=reader).status_code == 403
    made = api.request("PUT", version, ML, json=body, headers=writer)
    assert made.status_code in (200, 201), made.text
    assert api.request("GET", version, ML, headers=reader).status_code == 200
    assert api.request("GET", ws, ML, headers=reader).status_code == 200
    assert api.request("PATCH", ws, ML, json={"tags": {}}, headers=writer).status_code == 403  # not the workspace itself


def test_custom_roles_stay_inside_their_assignable_scopes_and_in_use_cannot_go(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_group(name + "x")
    role = custom_role(api, f"{name} narrow", ["*/read"], scopes=[api.rg_path(name)])
    user = create_user(api, name + "n")
    made = api.client.put(f"{api.rg_path(name + 'x')}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}",
                          json={"properties": {"roleDefinitionId": role["id"], "principalId": user["id"]}})
    assert made.status_code == 400 and made.json()["error"]["code"] == "InvalidCreateRoleAssignmentRequest"
    inside = assign(api, user["id"], f"{name} narrow", api.rg_path(name))
    assert inside.status_code == 201
    role_url = f"{api.rg_path(name)}/providers/Microsoft.Authorization/roleDefinitions/{role['name']}?{AUTH}"
    busy = api.client.delete(role_url)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "RoleDefinitionHasAssignments"
    gone = api.client.delete(f"{inside.json()['id']}?{AUTH}")
    assert gone.status_code == 200 and gone.json()["name"] == inside.json()["name"]
    again = api.client.delete(f"{inside.json()['id']}?{AUTH}")  # Azure: already deleted is no error
    assert again.status_code == 204 and again.content == b""
    elsewhere = inside.json()["id"].replace(f"/resourceGroups/{name}/", f"/resourceGroups/{name}x/")
    assert api.client.delete(f"{elsewhere}?{AUTH}").status_code == 204  # not at that scope: none to delete
    no_scope = inside.json()["id"].replace(f"/resourceGroups/{name}/", "/resourceGroups/nosuchgroup/")
    assert api.client.delete(f"{no_scope}?{AUTH}").status_code == 404  # a scope that does not exist still is
    assert api.client.delete(role_url).status_code == 200
    assert api.client.get(role_url).status_code == 404


def test_a_denied_lookup_looks_the_same_whether_the_thing_exists_or_not(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "real")
    api.create_group(name + "mine")
    who = headers(as_user(api, name + "l", "Reader", api.rg_path(name + "mine")))
    real = api.request("GET", api.ws_path(name, "real"), ML, headers=who)
    missing = api.request("GET", api.ws_path(name, "ghost"), ML, headers=who)
    assert real.status_code == missing.status_code == 403
    assert real.json()["error"]["code"] == missing.json()["error"]["code"] == "AuthorizationFailed"
    assert real.json()["error"]["message"].replace("real", "X") == missing.json()["error"]["message"].replace("ghost", "X")


def test_lists_show_only_what_the_caller_may_read(api: Api, name: str) -> None:
    for rg in (name + "a", name + "b"):
        api.create_group(rg)
        api.create_workspace(rg, "wone")
        api.create_workspace(rg, "wtwo")
    who = as_user(api, name + "v", "Reader", api.rg_path(name + "a"))
    single = create_user(api, name + "s")
    assert assign(api, single["id"], "Reader", api.ws_path(name + "b", "wtwo")).status_code == 201
    h, hs = headers(who), bearer(user_token(api, name + "s"))
    groups = api.request("GET", f"/subscriptions/{api.sub}/resourcegroups", headers=h).json()["value"]
    assert [g["name"] for g in groups] == [name + "a"]
    in_sub = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces", ML, headers=h)
    assert sorted(w["id"].split("/")[4] + "/" + w["name"] for w in in_sub.json()["value"]) == [f"{name}a/wone", f"{name}a/wtwo"]
    # Reader on one workspace only: the group's list shows that one; the group list is empty (the
    # grant is below a group, not on one), and 403 is for a caller with no grant under the scope at all.
    in_b = api.request("GET", f"{api.rg_path(name + 'b')}/providers/Microsoft.MachineLearningServices/workspaces", ML, headers=hs)
    assert [w["name"] for w in in_b.json()["value"]] == ["wtwo"]
    assert api.request("GET", f"/subscriptions/{api.sub}/resourcegroups", headers=hs).json()["value"] == []
    nobody = bearer(user_token(api, create_user(api, name + "z")["userPrincipalName"].split("@")[0]))
    assert api.request("GET", f"/subscriptions/{api.sub}/resourcegroups", headers=nobody).status_code == 403
    # Paging still works over the filtered query.
    page = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces?$top=1", ML, headers=h).json()
    assert len(page["value"]) == 1 and "nextLink" in page
    assert [s["subscriptionId"] for s in api.request("GET", "/subscriptions", headers=hs).json()["value"]] == [api.sub]


def test_a_deleted_service_principal_token_is_refused(api: Api, name: str) -> None:
    sp, secret = create_sp(api, name)
    assert assign(api, sp["id"], "Reader", f"/subscriptions/{api.sub}").status_code == 201
    token = sp_token(api, sp["appId"], secret)
    url = f"/subscriptions/{api.sub}/resourcegroups?api-version=2024-03-01"
    assert api.client.get(url, headers=bearer(token)).status_code == 200
    assert api.client.delete(f"/v1.0/servicePrincipals/{sp['appId']}").status_code == 204
    gone = api.client.get(url, headers=bearer(token))
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "InvalidAuthenticationToken"
    refused = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", headers={"Authorization": ""}, data={
        "grant_type": "client_credentials", "client_id": sp["appId"], "client_secret": secret})
    assert refused.status_code == 401


def test_a_new_password_replaces_the_old_and_secrets_are_stored_hashed(api: Api, name: str) -> None:
    import sqlalchemy as sa

    from amlite.store.tables import principals

    sp, first = create_sp(api, name)
    second = api.client.post(f"/v1.0/servicePrincipals/{sp['id']}/addPassword", json={}).json()["secretText"]
    with api.container.engine.connect() as conn:
        stored = conn.execute(sa.select(principals.c.secret_hash).where(principals.c.id == sp["id"])).scalar_one()
    assert stored.startswith("scrypt$") and first not in stored and second not in stored
    assert api.client.post(f"/{api.tenant}/oauth2/v2.0/token", headers={"Authorization": ""}, data={
        "grant_type": "client_credentials", "client_id": sp["appId"], "client_secret": first}).status_code == 401
    assert sp_token(api, sp["appId"], second)


def test_only_owner_or_user_access_administrator_manage_principals(api: Api, name: str) -> None:
    uaa = headers(as_user(api, name + "a", "User Access Administrator", "/"))
    contributor = headers(as_user(api, name + "c", "Contributor", "/"))
    body = {"displayName": name}
    assert api.client.post("/v1.0/groups", json=body, headers=contributor).status_code == 403
    assert api.client.post("/v1.0/groups", json=body, headers=uaa).status_code == 201


def test_the_activity_log_shows_writes_and_denials_and_cannot_be_changed(api: Api, name: str) -> None:
    api.create_group(name)
    who = headers(as_user(api, name + "r", "Reader", api.rg_path(name)))
    assert api.request("PUT", api.ws_path(name, "nope"), ML, json={"location": "eastus"}, headers=who).status_code == 403
    url = f"/subscriptions/{api.sub}/providers/Microsoft.Insights/eventtypes/management/values"
    events = api.client.get(url, params={"api-version": "2015-04-01", "$filter": f"resourceGroupName eq '{name}'"}, headers=who)
    assert events.status_code == 200, events.text
    by_status = {(e["operationName"]["value"], e["status"]["value"], (e["subStatus"] or {}).get("value")) for e in events.json()["value"]}
    assert ("Microsoft.MachineLearningServices/workspaces/write", "Failed", "Forbidden") in by_status
    assert ("Microsoft.Resources/subscriptions/resourceGroups/write", "Succeeded", None) in by_status
    denial = next(e for e in events.json()["value"] if e["status"]["value"] == "Failed")
    assert denial["authorization"]["scope"] == api.ws_path(name, "nope") and denial["httpRequest"]["method"] == "PUT"
    assert {"caller", "correlationId", "eventTimestamp", "resourceId", "subscriptionId", "resourceGroupName"} <= set(denial)
    # Someone with no grant in that group sees none of it.
    outsider = headers(as_user(api, name + "o", "Reader", api.rg_path(api.create_group(name + "x")["name"])))
    theirs = api.client.get(url, params={"api-version": "2015-04-01", "$filter": f"resourceGroupName eq '{name}'"}, headers=outsider)
    assert theirs.status_code == 200 and theirs.json()["value"] == []
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        r = api.client.request(method, f"{url}?api-version=2015-04-01", json={})
        assert r.status_code == 405 and set(r.json()) == {"error"}
    r = api.client.delete(f"{url}/{denial['eventDataId']}?api-version=2015-04-01")
    assert r.status_code == 404 and set(r.json()) == {"error"}


def test_role_definitions_list_and_filter_like_azure(api: Api) -> None:
    url = f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/roleDefinitions"
    builtin = api.client.get(url, params={"api-version": "2022-04-01", "$filter": "type eq 'BuiltInRole'"}).json()["value"]
    names = {r["properties"]["roleName"]: r["name"] for r in builtin}
    assert names["AzureML Data Scientist"] == "f6c7c914-8db3-469d-8ca1-694a8f32e121"
    assert names["Azure AI Developer"] == "64702f94-c441-49e6-a78b-ef80e0188fee"
    assert {"Owner", "Contributor", "Reader", "User Access Administrator", "AzureML Compute Operator",
            "AzureML Registry User"} <= set(names)
    assert role_id(api, "Reader").endswith("/acdd72a7-3385-48ef-bd42-f606fba81ae7")


def test_access_taken_away_is_refused_on_the_very_next_request(api: Api, name: str) -> None:
    """Admissions are remembered per server under the store's access generation
    (``services.authz``): a removed assignment, a group left and a custom role narrowed each
    count from the next request on, for reads and for a version create alike."""
    api.create_group(name)
    api.create_workspace(name, "ws1")
    ws = api.ws_path(name, "ws1")
    body = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m.pkl"}}
    assert api.request("POST", f"{ws}/models/m/versions", ML, json=body).status_code == 201
    user = create_user(api, name + "u")
    who = bearer(user_token(api, name + "u"))
    made = assign(api, user["id"], "Reader", ws)
    assert made.status_code == 201, made.text
    for _ in range(3):  # the first decides, the rest are remembered
        assert api.request("GET", f"{ws}/models/m/versions/1", ML, headers=who).status_code == 200
    assert api.client.delete(f"{made.json()['id']}?{AUTH}").status_code == 200
    assert api.request("GET", f"{ws}/models/m/versions/1", ML, headers=who).status_code == 403

    group = api.client.post("/v1.0/groups", json={"displayName": name + "g", "mailNickname": name + "g",
                                                  "securityEnabled": True, "mailEnabled": False})
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    writer = custom_role(api, name + " writer", ["Microsoft.MachineLearningServices/workspaces/models/*"])
    r = api.client.put(f"{ws}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}", json={
        "properties": {"roleDefinitionId": writer["id"], "principalId": gid}})
    assert r.status_code == 201, r.text
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}
    assert api.client.post(f"/v1.0/groups/{gid}/members/$ref", json=ref).status_code == 204
    for _ in range(2):
        assert api.request("POST", f"{ws}/models/m/versions", ML, json=body, headers=who).status_code == 201
    narrowed = {"properties": {"roleName": name + " writer", "description": "reads only", "type": "CustomRole",
                               "assignableScopes": writer["properties"]["assignableScopes"],
                               "permissions": [{"actions": ["Microsoft.MachineLearningServices/workspaces/models/versions/read"],
                                                "notActions": []}]}}
    assert api.client.put(f"{writer['id']}?{AUTH}", json=narrowed).status_code == 200
    assert api.request("POST", f"{ws}/models/m/versions", ML, json=body, headers=who).status_code == 403
    assert api.request("GET", f"{ws}/models/m/versions/1", ML, headers=who).status_code == 200
    assert api.client.delete(f"/v1.0/groups/{gid}/members/{user['id']}/$ref").status_code == 204
    assert api.request("GET", f"{ws}/models/m/versions/1", ML, headers=who).status_code == 403
