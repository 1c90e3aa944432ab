"""No request succeeds that Azure's rules would deny: a property test over random role assignments
(built-in and custom roles, at a subscription, groups and workspaces) and random requests, through
the real app on both stores.

The test keeps its own small model of Azure's rule, written independently of amlite's code: a
scope is the tuple of its lower-cased names (the ``providers/{namespace}`` pair left out), an
assignment applies at its scope and below (a prefix of the tuple), it counts only while its role
is assignable there, and a role permits an action when an Action matches it and no NotAction does
(``*`` matches anything, case-insensitively). Built-in roles are Azure's published definitions.

Every response is held against the model: when the model denies, the answer must be 403 and the
store unchanged; when it allows, never 403 (and, for role assignment and definition writes, exactly
what Azure answers). Requests include role-definition and role-assignment writes and names that
differ from real ones only by whitespace, case or Unicode normalisation. Derandomized and
bounded, so it neither flakes nor runs long.
"""

from __future__ import annotations

import fnmatch
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import ML, RES, Api
from tests.integration.rbac_helpers import AUTH, bearer, create_user, user_token

ML_NS = "Microsoft.MachineLearningServices"
RG_READ, RG_WRITE, RG_DELETE = (f"Microsoft.Resources/subscriptions/resourceGroups/{v}" for v in ("read", "write", "delete"))
WS_READ, WS_WRITE = f"{ML_NS}/workspaces/read", f"{ML_NS}/workspaces/write"
RA_WRITE, RA_DELETE = "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"
RD_WRITE, RD_DELETE = "Microsoft.Authorization/roleDefinitions/write", "Microsoft.Authorization/roleDefinitions/delete"

# Azure's built-in roles, as published (only the Actions/NotActions that matter here).
BUILT_IN: dict[str, tuple[list[str], list[str]]] = {
    "Owner": (["*"], []),
    "Contributor": (["*"], ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                            "Microsoft.Authorization/elevateAccess/Action"]),
    "Reader": (["*/read"], []),
    "User Access Administrator": (["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], []),
}
# Custom roles the test starts every example with: name -> (actions, notActions, assignable scope nodes).
CUSTOM: dict[str, tuple[list[str], list[str], list[str]]] = {
    "prop ws reader": ([f"{ML_NS}/workspaces/*/read", WS_READ], [], ["g1"]),
    "prop almost all": (["*"], ["Microsoft.Authorization/*"], ["sub"]),
    "prop access admin g2": (["Microsoft.Authorization/*", "*/read"], [], ["g2"]),
    "prop ws writer": ([f"{ML_NS}/workspaces/*"], [f"{ML_NS}/workspaces/delete"], ["w1", "g2"]),
}
ACTION_POOL = ["*", "*/read", "Microsoft.Authorization/*", WS_WRITE, f"{ML_NS}/workspaces/*/read", RG_WRITE]
NODES = ["sub", "g1", "g2", "w1", "w2"]
# Names that differ from g1 only by case, whitespace or Unicode normalisation (fullwidth letter, NFKC).
RG_VARIANTS = ["g1", "G1", "g1 ", " g1", "g1\n", "g1\t", "\uff471", "g\u00b9"]
USERS = 3

Key = tuple[str, ...]


@dataclass
class Role:
    id: str
    actions: list[str]
    not_actions: list[str]
    scopes: list[Key]


@dataclass
class Model:
    """Azure's rule over the test's world."""

    roles: dict[str, Role]  # by name; built-in and custom
    assignments: list[tuple[int, str, Key, str]] = field(default_factory=list)  # (user, role name, scope, id)

    def permits(self, role: Role, action: str) -> bool:
        def hit(pattern: str) -> bool:
            return fnmatch.fnmatchcase(action.lower(), pattern.lower())
        return any(map(hit, role.actions)) and not any(map(hit, role.not_actions))

    @staticmethod
    def below(scope: Key, ancestor: Key) -> bool:
        return scope[:len(ancestor)] == ancestor

    def assignable(self, role: Role, scope: Key) -> bool:
        return any(self.below(scope, s) for s in role.scopes)

    def allowed(self, user: int, action: str, scope: Key) -> bool:
        return any(u == user and self.below(scope, at) and name in self.roles
                   and self.assignable(self.roles[name], at) and self.permits(self.roles[name], action)
                   for u, name, at, _ in self.assignments)


@pytest.fixture(scope="module")
def world(api: Api) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    groups = {"g1": f"g1{tag}", "g2": f"g2{tag}"}
    for rg in groups.values():
        api.create_group(rg)
    api.create_workspace(groups["g1"], "ws1")
    api.create_workspace(groups["g2"], "ws2")
    paths = {"sub": f"/subscriptions/{api.sub}", "g1": api.rg_path(groups["g1"]), "g2": api.rg_path(groups["g2"]),
             "w1": api.ws_path(groups["g1"], "ws1"), "w2": api.ws_path(groups["g2"], "ws2")}
    keys: dict[str, Key] = {"sub": (api.sub.lower(),), "g1": (api.sub.lower(), groups["g1"].lower()),
                            "g2": (api.sub.lower(), groups["g2"].lower())}
    keys["w1"] = (*keys["g1"], "workspaces", "ws1")
    keys["w2"] = (*keys["g2"], "workspaces", "ws2")
    users = []
    for i in range(USERS):
        made = create_user(api, f"prop{i}-{tag}")
        users.append({"id": made["id"], "headers": bearer(user_token(api, f"prop{i}-{tag}"))})
    listed = api.client.get(f"{paths['sub']}/providers/Microsoft.Authorization/roleDefinitions?{AUTH}").json()["value"]
    built_in = {r["properties"]["roleName"]: r["name"] for r in listed if r["properties"]["type"] == "BuiltInRole"}
    custom_ids = {name: str(uuid.uuid4()) for name in CUSTOM}
    return {"tag": tag, "groups": groups, "paths": paths, "keys": keys, "users": users, "built_in": built_in,
            "custom_ids": custom_ids}


def custom_body(name: str, actions: list[str], not_actions: list[str], scopes: list[str]) -> dict[str, Any]:
    return {"properties": {"roleName": name, "type": "CustomRole", "assignableScopes": scopes,
                           "permissions": [{"actions": actions, "notActions": not_actions}]}}


def reset(api: Api, w: dict[str, Any]) -> Model:
    """Back to the starting roles with no assignments for the test's users; the model to match."""
    for user in w["users"]:
        url = (f"{w['paths']['sub']}/providers/Microsoft.Authorization/roleAssignments?{AUTH}"
               f"&$filter=principalId eq '{user['id']}'")
        for a in api.client.get(url).json()["value"]:
            assert api.client.delete(f"{a['id']}?{AUTH}").status_code == 200
    roles = {name: Role(rid, *BUILT_IN[name], [()]) for name, rid in w["built_in"].items() if name in BUILT_IN}
    for name, (actions, not_actions, nodes) in CUSTOM.items():
        rid = w["custom_ids"][name]
        body = custom_body(f"{name} {w['tag']}", actions, not_actions, [w["paths"][n] for n in nodes])
        r = api.client.put(f"{w['paths'][nodes[0]]}/providers/Microsoft.Authorization/roleDefinitions/{rid}?{AUTH}", json=body)
        assert r.status_code in (200, 201), r.text
        roles[name] = Role(rid, actions, not_actions, [w["keys"][n] for n in nodes])
    return Model(roles)


def rg_variant(w: dict[str, Any], variant: str) -> tuple[str, Key]:
    """A group name spelled like g1 but for case, whitespace or normalisation: its path and key."""
    real = w["groups"]["g1"]
    name = variant.replace("g1", real).replace("G1", real.upper()).replace("\uff471", "\uff47" + real[1:])
    name = name.replace("g\u00b9", "g\u00b9" + real[2:])
    return f"{w['paths']['sub']}/resourceGroups/{quote(name, safe='')}", (w["keys"]["sub"][0], name.lower())


def role_def_url(w: dict[str, Any], scope_path: str, role: Role) -> str:
    return f"{scope_path}/providers/Microsoft.Authorization/roleDefinitions/{role.id}?{AUTH}"


@st.composite
def assignment(draw: st.DrawFn) -> tuple[int, str, str]:
    return (draw(st.integers(0, USERS - 1)), draw(st.sampled_from([*BUILT_IN, *CUSTOM])), draw(st.sampled_from(NODES)))


REQUESTS = ["get_ws", "patch_ws", "get_rg", "put_rg", "delete_rg", "put_assignment", "delete_assignment",
            "put_role", "delete_role"]


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_request_succeeds_that_azure_would_deny(api: Api, world: dict[str, Any], data: st.DataObject) -> None:
    w = world
    model = reset(api, w)
    for user, role_name, node in data.draw(st.lists(assignment(), max_size=4), label="assignments"):
        role = model.roles[role_name]
        url = f"{w['paths'][node]}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}"
        r = api.client.put(url, json={"properties": {"roleDefinitionId": role.id, "principalId": w["users"][user]["id"]}})
        if not model.assignable(role, w["keys"][node]):
            assert r.status_code == 400, r.text
        elif any(a[:3] == (user, role_name, w["keys"][node]) for a in model.assignments):
            assert r.status_code == 409, r.text
        else:
            assert r.status_code == 201, r.text
            model.assignments.append((user, role_name, w["keys"][node], r.json()["name"]))
    for _ in range(data.draw(st.integers(1, 4), label="requests")):
        user = data.draw(st.integers(0, USERS - 1), label="caller")
        kind = data.draw(st.sampled_from(REQUESTS), label="request")
        check(api, w, model, data, user, kind)


def check(api: Api, w: dict[str, Any], model: Model, data: st.DataObject, user: int, kind: str) -> None:
    headers = w["users"][user]["headers"]
    before = api.snapshot()
    expect: int | None = None  # the exact answer when the model allows and knows it
    if kind in ("get_ws", "patch_ws"):
        node = data.draw(st.sampled_from(["w1", "w2"]))
        action, key = (WS_READ if kind == "get_ws" else WS_WRITE), w["keys"][node]
        method, body = ("GET", None) if kind == "get_ws" else ("PATCH", {"tags": {"p": "1"}})
        r = api.client.request(method, f"{w['paths'][node]}?{ML}", json=body, headers=headers)
        expect = 200
    elif kind in ("get_rg", "put_rg", "delete_rg"):
        path, key = rg_variant(w, data.draw(st.sampled_from(RG_VARIANTS)))
        action = {"get_rg": RG_READ, "put_rg": RG_WRITE, "delete_rg": RG_DELETE}[kind]
        method = {"get_rg": "GET", "put_rg": "PUT", "delete_rg": "DELETE"}[kind]
        # Bodies and preconditions that change nothing even when allowed.
        body = {"location": "nowhere-region"} if method == "PUT" else None
        r = api.client.request(method, f"{path}?{RES}", json=body, headers={**headers, "If-Match": '"stale"'})
    elif kind == "put_assignment":
        spelled = data.draw(st.sampled_from([*NODES, "G1", "g1 ", "\uff471"]))
        if spelled in NODES:
            scope_path, key = w["paths"][spelled], w["keys"][spelled]
        else:
            scope_path, key = rg_variant(w, spelled)
        target, role_name = data.draw(st.integers(0, USERS - 1)), data.draw(st.sampled_from(sorted(model.roles)))
        role, action = model.roles[role_name], RA_WRITE
        r = api.client.put(f"{scope_path}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}",
                           headers=headers, json={"properties": {"roleDefinitionId": role.id,
                                                                 "principalId": w["users"][target]["id"]}})
        real = key in w["keys"].values()
        if real and model.assignable(role, key):
            duplicate = any(a[:3] == (target, role_name, key) for a in model.assignments)
            expect = 409 if duplicate else 201
        if r.status_code == 201 and model.allowed(user, action, key):
            model.assignments.append((target, role_name, key, r.json()["name"]))
    elif kind == "delete_assignment":
        if not model.assignments:
            return
        target, role_name, key, aid = data.draw(st.sampled_from(model.assignments))
        node = next(n for n, k in w["keys"].items() if k == key)
        action = RA_DELETE
        r = api.client.delete(f"{w['paths'][node]}/providers/Microsoft.Authorization/roleAssignments/{aid}?{AUTH}",
                              headers=headers)
        expect = 200
        if r.status_code == 200 and model.allowed(user, action, key):
            model.assignments = [a for a in model.assignments if a[3] != aid]
    else:  # role definitions: write needs the right at every scope, old and new; delete at every scope
        name = data.draw(st.sampled_from(sorted(CUSTOM)))
        if name not in model.roles:
            return
        role = model.roles[name]
        nodes = data.draw(st.lists(st.sampled_from(NODES), min_size=1, max_size=2, unique=True))
        action = RD_WRITE if kind == "put_role" else RD_DELETE
        if kind == "put_role":
            url_node = nodes[0]
            new_scopes = [w["keys"][n] for n in nodes]
            actions = data.draw(st.lists(st.sampled_from(ACTION_POOL), min_size=1, max_size=2, unique=True))
            needed = [w["keys"][url_node], *role.scopes, *new_scopes]
            r = api.client.put(role_def_url(w, w["paths"][url_node], role), headers=headers, json=custom_body(
                f"{name} {w['tag']}", actions, [], [w["paths"][n] for n in nodes]))
            dropped = any(a[1] == name and not any(Model.below(a[2], s) for s in new_scopes) for a in model.assignments)
            expect = 409 if dropped else 200
        else:
            url_node = next(n for n, k in w["keys"].items() if k == role.scopes[0])
            needed = [w["keys"][url_node], *role.scopes]
            r = api.client.delete(role_def_url(w, w["paths"][url_node], role), headers=headers)
            expect = 409 if any(a[1] == name for a in model.assignments) else 200
        key = needed[0]
        allowed = all(model.allowed(user, action, k) for k in needed)
        judge(api, r, allowed, expect, before, (user, kind, name, nodes))
        if allowed and r.status_code == 200:
            if kind == "put_role":
                model.roles[name] = Role(role.id, actions, [], new_scopes)
            else:
                del model.roles[name]
        return
    judge(api, r, model.allowed(user, action, key), expect, before, (user, kind, key))


def judge(api: Api, r: Any, allowed: bool, expect: int | None, before: Any, case: Any) -> None:
    if not allowed:
        assert r.status_code == 403, (case, r.status_code, r.text)
        assert api.snapshot() == before, (case, "a denied request changed the store")
    else:
        assert r.status_code != 403, (case, r.text)
        if expect is not None:
            assert r.status_code == expect, (case, r.status_code, r.text)
