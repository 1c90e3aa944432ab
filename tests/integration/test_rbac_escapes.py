"""Attacks that once let a narrow role reach beyond its scope, replayed over HTTP on both stores.

- A User Access Administrator of one group rewrote a custom role assignable only at another group
  (into ``*`` at its own group), deleted roles of other groups, and kept using an assignment whose
  scope the role no longer covered.
- Names with a trailing newline (``rg-b%0A``) were new names to the store but ``rg-b`` to
  authorization and to the cleanup of role assignments.
- A lookup before the authorization check told a caller whether a workspace or registry outside
  its scope exists, and in which group.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import AUTH, assign, bearer, create_user, custom_role, user_token

WS_READ = "Microsoft.MachineLearningServices/workspaces/read"


def defs_url(scope: str, role: str) -> str:
    return f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role}?{AUTH}"


def role_body(name: str, actions: list[str], scopes: list[str]) -> dict[str, Any]:
    return {"properties": {"roleName": name, "description": "test", "type": "CustomRole", "assignableScopes": scopes,
                           "permissions": [{"actions": actions, "notActions": []}]}}


def user(api: Api, name: str, role: str | None = None, scope: str | None = None) -> tuple[str, dict[str, str]]:
    made = create_user(api, name)
    if role is not None:
        assert scope is not None
        assert assign(api, made["id"], role, scope).status_code == 201
    return str(made["id"]), bearer(user_token(api, name))


def error_code(r: Any) -> str:
    return str(r.json()["error"]["code"])


@pytest.fixture
def two_groups(api: Api, name: str) -> dict[str, Any]:
    """rg-b with a User Access Administrator; rg-c with a workspace and a read-only custom role
    assignable only there, assigned there to that same administrator."""
    rg_b, rg_c = name + "b", name + "c"
    api.create_group(rg_b)
    api.create_group(rg_c)
    api.create_workspace(rg_c, "wsc")
    uaa_id, uaa = user(api, name + "uaa", "User Access Administrator", api.rg_path(rg_b))
    readonly = custom_role(api, f"{name} reader at c", [WS_READ], scopes=[api.rg_path(rg_c)])
    assert assign(api, uaa_id, f"{name} reader at c", api.rg_path(rg_c)).status_code == 201
    return {"b": rg_b, "c": rg_c, "uaa": uaa, "uaa_id": uaa_id, "role": readonly["name"], "role_name": f"{name} reader at c"}


# -- role definitions ---------------------------------------------------------------------------

def test_an_admin_of_one_group_cannot_rewrite_a_role_of_another(api: Api, two_groups: dict[str, Any]) -> None:
    g = two_groups
    b, c = api.rg_path(g["b"]), api.rg_path(g["c"])
    before = api.snapshot()
    for scopes in ([b], [b, c], [c]):
        r = api.client.put(defs_url(b, g["role"]), json=role_body(g["role_name"], ["*"], scopes), headers=g["uaa"])
        assert r.status_code == 403, (scopes, r.text)
        assert error_code(r) == "AuthorizationFailed" and "roleDefinitions/write" in r.json()["error"]["message"]
    assert api.snapshot() == before
    # Nothing it could do afterwards: no model write in rg-c's workspace, no Owner at rg-c.
    model = api.request("PUT", f"{api.ws_path(g['c'], 'wsc')}/models/m/versions/1", ML, headers=g["uaa"],
                        json={"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m"}})
    assert model.status_code == 403
    owner = assign(api, g["uaa_id"], "Owner", c, token=g["uaa"]["Authorization"][7:])
    assert owner.status_code == 403
    assert api.snapshot() == before


def test_an_admin_of_one_group_cannot_delete_a_role_that_serves_another(api: Api, two_groups: dict[str, Any]) -> None:
    g = two_groups
    b, c = api.rg_path(g["b"]), api.rg_path(g["c"])
    shared = custom_role(api, g["role_name"] + " shared", [WS_READ], scopes=[b, c])
    before = api.snapshot()
    r = api.client.delete(defs_url(b, shared["name"]), headers=g["uaa"])
    assert r.status_code == 403 and "roleDefinitions/delete" in r.json()["error"]["message"], r.text
    assert c.lower() in r.json()["error"]["message"].lower()
    assert api.snapshot() == before
    # The same role, deleted by someone with the right at every scope: gone.
    assert api.client.delete(defs_url(b, shared["name"])).status_code == 200


def test_its_own_roles_stay_its_own(api: Api, two_groups: dict[str, Any]) -> None:
    """The fix takes nothing away inside the group: a role assignable only at rg-b is rg-b's admin's."""
    g = two_groups
    b = api.rg_path(g["b"])
    role = str(uuid.uuid4())
    made = api.client.put(defs_url(b, role), json=role_body(g["role_name"] + " b", [WS_READ], [b]), headers=g["uaa"])
    assert made.status_code == 201, made.text
    changed = api.client.put(defs_url(b, role), json=role_body(g["role_name"] + " b", ["*/read"], [b]), headers=g["uaa"])
    assert changed.status_code == 200, changed.text
    assert api.client.delete(defs_url(b, role), headers=g["uaa"]).status_code == 200


def test_an_update_cannot_drop_a_scope_that_has_assignments(api: Api, two_groups: dict[str, Any]) -> None:
    g = two_groups
    b, c = api.rg_path(g["b"]), api.rg_path(g["c"])
    before = api.snapshot()
    r = api.client.put(defs_url(b, g["role"]), json=role_body(g["role_name"], [WS_READ], [b]))
    assert r.status_code == 409, r.text
    assert error_code(r) == "RoleDefinitionHasAssignments" and c.lower() in r.json()["error"]["message"].lower()
    assert api.snapshot() == before
    # A scope that still covers the assignment (the subscription above rg-c) is fine.
    wider = api.client.put(defs_url(b, g["role"]), json=role_body(g["role_name"], [WS_READ], [f"/subscriptions/{api.sub}"]))
    assert wider.status_code == 200, wider.text


def test_an_assignment_outside_its_roles_scopes_grants_nothing(api: Api, two_groups: dict[str, Any]) -> None:
    """Defence in depth: a store in which the role lost rg-c (as an older version let happen) must
    not let the assignment at rg-c decide anything."""
    g = two_groups
    ws = f"{api.ws_path(g['c'], 'wsc')}"
    assert api.request("GET", ws, ML, headers=g["uaa"]).status_code == 200
    with api.container.deps.uow(write=True) as uow:
        role = uow.role_definitions.get(g["role"])
        assert role is not None
        uow.role_definitions.save(replace(role, assignable_scopes=(api.rg_path(g["b"]),)))
        uow.commit()
    assert api.request("GET", ws, ML, headers=g["uaa"]).status_code == 403
    listed = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces", ML,
                         headers=g["uaa"])
    assert "wsc" not in {w["name"] for w in listed.json().get("value", [])}


# -- names with whitespace ------------------------------------------------------------------------

def test_names_with_a_trailing_newline_are_refused(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    ws = api.ws_path(name, "ws1")
    model = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m"}}
    cases = [
        (api.rg_path(name + "%0A"), {"location": "eastus"}, None, "InvalidResourceGroupName"),
        (api.ws_path(name, "ws2%0A"), {"location": "eastus"}, ML, "InvalidWorkspaceName"),
        (f"{api.rg_path(name)}/providers/Microsoft.MachineLearningServices/registries/r{name}%0A",
         {"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}}, ML, "InvalidRegistryName"),
        (f"{ws}/datastores/ds1%0A", {"properties": {"datastoreType": "AzureBlob", "accountName": "acct1",
                                                     "containerName": "c1"}}, ML, None),
        (f"{ws}/models/m1%0A/versions/1", model, ML, "InvalidAssetName"),
        (f"{ws}/models/m1/versions/1%0A", model, ML, "InvalidAssetVersion"),
    ]
    before = api.snapshot()
    for path, body, version, code in cases:
        r = api.request("PUT", path, version or "api-version=2024-03-01", json=body)
        assert r.status_code == 400, (path, r.text)
        if code is not None:
            assert error_code(r) == code, (path, r.text)
    assert api.snapshot() == before


def test_a_contributor_of_a_group_cannot_create_its_newline_twin(api: Api, name: str) -> None:
    api.create_group(name)
    _, contributor = user(api, name + "k", "Contributor", api.rg_path(name))
    before = api.snapshot()
    r = api.request("PUT", api.rg_path(name + "%0A"), json={"location": "eastus"}, headers=contributor)
    assert r.status_code == 403 and error_code(r) == "AuthorizationFailed", r.text
    r = api.request("PUT", api.rg_path(name + "%20"), json={"location": "eastus"}, headers=contributor)
    assert r.status_code == 403, r.text
    assert api.snapshot() == before


def test_deleting_a_newline_twin_leaves_the_real_ones_assignments(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "wsb")
    rg_reader, _ = user(api, name + "r", "Reader", api.rg_path(name))
    ws_reader, _ = user(api, name + "w", "Reader", api.ws_path(name, "wsb"))

    def assigned() -> set[str]:
        r = api.client.get(f"{api.ws_path(name, 'wsb')}/providers/Microsoft.Authorization/roleAssignments?{AUTH}")
        return {a["properties"]["principalId"] for a in r.json()["value"]}

    assert {rg_reader, ws_reader} <= assigned()
    # The admin tries to make the twins (refused now; once they were made) and deletes them.
    api.request("PUT", api.ws_path(name, "wsb%0A"), ML, json={"location": "eastus"})
    api.request("PUT", api.rg_path(name + "%0A"), json={"location": "eastus"})
    for path, version in ((api.ws_path(name, "wsb%0A"), ML), (api.rg_path(name + "%0A"), "api-version=2024-03-01")):
        r = api.request("DELETE", path, version)
        if r.status_code == 202:
            api.wait(r)
        else:
            assert r.status_code in (204, 400, 404), r.text
    assert {rg_reader, ws_reader} <= assigned()
    assert api.request("GET", api.ws_path(name, "wsb"), ML).status_code == 200


def test_scopes_with_whitespace_are_other_scopes(api: Api, name: str) -> None:
    """An administrator of rg-b assigns nothing at ``rg-b\\n`` (or `` rg-b``): not its group."""
    api.create_group(name)
    uaa_id, uaa = user(api, name + "u", "User Access Administrator", api.rg_path(name))
    before = api.snapshot()
    for twin in (name + "%0A", name + "%20", "%20" + name):
        r = assign(api, uaa_id, "Reader", api.rg_path(name), token=uaa["Authorization"][7:])
        assert r.status_code == 201  # its own group: fine
        url = f"{api.rg_path(twin)}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}"
        denied = api.client.put(url, headers=uaa, json={"properties": {
            "roleDefinitionId": r.json()["properties"]["roleDefinitionId"], "principalId": uaa_id}})
        # (A newline does not even reach the route: the router's ``{scope:path}`` stops at it.)
        assert denied.status_code == (404 if "%0A" in twin else 403), (twin, denied.text)
        assert api.client.delete(f"{r.json()['id']}?{AUTH}", headers=uaa).status_code == 200
    assert api.snapshot() == before


# -- the same 403 whether it exists or not --------------------------------------------------------

def test_a_registry_outside_the_callers_scope_answers_the_same_whether_it_exists(api: Api, name: str) -> None:
    rg_b, rg_c = name + "b", name + "c"
    api.create_group(rg_b)
    api.create_group(rg_c)
    api.create_workspace(rg_b, "wsb")
    api.create_workspace(rg_c, "wsc")
    registry = "r" + name[1:]
    made = api.request("PUT", f"{api.rg_path(rg_c)}/providers/Microsoft.MachineLearningServices/registries/{registry}",
                       ML, json={"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
    assert made.status_code in (200, 201), made.text
    _, contributor = user(api, name + "k", "Contributor", api.rg_path(rg_b))

    def by_name(reg: str) -> Any:
        return api.client.get(f"/providers/Microsoft.MachineLearningServices/registries/{reg}?{ML}", headers=contributor)

    def shape(r: Any, reg: str) -> tuple[int, str, str]:
        return r.status_code, error_code(r), r.json()["error"]["message"].replace(reg, "<reg>")

    existing, missing = by_name(registry), by_name(registry + "x")
    assert existing.status_code == 403 and shape(existing, registry) == shape(missing, registry + "x")
    assert rg_c.lower() not in existing.text.lower()
    # The admin (Reader and more at the root) still learns that a missing one is missing.
    assert api.client.get(f"/providers/Microsoft.MachineLearningServices/registries/{registry}x?{ML}").status_code == 404

    # A reference from rg-b's workspace to an environment in that registry, or to a workspace in rg-c.
    ws = api.ws_path(rg_b, "wsb")
    before = api.snapshot()

    def component(env: str) -> Any:
        body = {"properties": {"componentSpec": {"type": "command", "command": "python x.py", "environment": env}}}
        return api.request("PUT", f"{ws}/components/c1/versions/1", ML, json=body, headers=contributor)

    env_ref = "azureml://registries/{}/environments/e/versions/1"
    existing, missing = component(env_ref.format(registry)), component(env_ref.format(registry + "x"))
    assert existing.status_code == 403 and shape(existing, registry) == shape(missing, registry + "x"), existing.text
    assert rg_c.lower() not in existing.text.lower()

    def data(ws_name: str) -> Any:
        uri = f"azureml://subscriptions/{api.sub}/resourcegroups/{rg_c}/workspaces/{ws_name}/datastores/d/paths/x.csv"
        body = {"properties": {"dataType": "uri_file", "dataUri": uri}}
        return api.request("PUT", f"{ws}/data/d1/versions/1", ML, json=body, headers=contributor)

    existing, missing = data("wsc"), data("wscx")
    assert existing.status_code == 403 and shape(existing, "wsc") == shape(missing, "wscx"), (existing.text, missing.text)
    assert api.snapshot() == before
