"""Workspace-level quota through the API, on SQLite and PostgreSQL: ``updateQuotas`` with Azure's
per-entry statuses and ``quotas`` listing the limits; a hub's limit caps its projects together (a
create past it is refused and creates nothing, also under two racing creates in two projects); a
project's own limit is refused naming its hub; a Default workspace's limit caps only itself."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa

from amlite.domain.errors import AmliteError
from amlite.schemas.arm_computes import ComputeBody
from amlite.store import tables
from tests.integration.conftest import ML, Api
from tests.integration.test_hubs import _family

TYPE = "Microsoft.MachineLearningServices/workspaces/quotas"


def _loc(api: Api, location: str = "eastus") -> str:
    return f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/locations/{location}"


def _set(api: Api, *entries: tuple[str, str, int]) -> Any:
    """POST updateQuotas with (workspace id, family, limit) entries, as Azure's SDKs send them."""
    body = {"location": "eastus", "value": [{"id": f"{ws}/quotas/{family}", "type": TYPE, "limit": limit, "unit": "Count"}
                                            for ws, family, limit in entries]}
    return api.request("POST", f"{_loc(api)}/updateQuotas", ML, json=body)


def _own_limits(api: Api) -> dict[str, int]:
    r = api.request("GET", f"{_loc(api)}/quotas", ML)
    assert r.status_code == 200, r.text
    return {q["id"]: q["limit"] for q in r.json()["value"] if q["type"] == TYPE}


def _instance(api: Api, ws: str, compute: str, size: str) -> Any:
    return api.request("PUT", f"{ws}/computes/{compute}", ML, json={
        "location": "eastus", "properties": {"computeType": "ComputeInstance", "properties": {"vmSize": size}}})


def _settle(api: Api, *computes: str) -> None:
    deadline = time.monotonic() + 30
    for compute in computes:
        while api.request("GET", compute, ML).json()["properties"]["provisioningState"] == "Creating":
            assert time.monotonic() < deadline, compute
            time.sleep(0.05)


def _audited(api: Api, scope: str) -> list[str]:
    with api.container.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.audit_log.c.action).where(tables.audit_log.c.scope_lower == scope.lower()))
        return [r.action for r in rows]


def test_a_hubs_limit_caps_its_projects_together_and_a_create_past_it_creates_nothing(api: Api, name: str) -> None:
    hub, _alpha, _beta = _family(api, name, "q")
    a, b = api.ws_path(name, "alphaq"), api.ws_path(name, "betaq")
    r = _set(api, (hub["id"], "standardDSv2Family", 12))
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [{"id": f"{hub['id']}/quotas/standardDSv2Family", "type": TYPE, "limit": 12,
                                  "unit": "Count", "status": "Success"}]
    assert _own_limits(api)[f"{hub['id']}/quotas/standardDSv2Family"] == 12
    assert _audited(api, f"{hub['id']}/quotas/standardDSv2Family") == [
        "Microsoft.MachineLearningServices/locations/updateQuotas/action"]

    assert _instance(api, a, "ci-a", "Standard_DS3_v2").status_code == 201  # 4 of the hub's 12
    assert _instance(api, b, "ci-b", "Standard_DS4_v2").status_code == 201  # 8 more: the hub's balance is spent
    _settle(api, f"{a}/computes/ci-a", f"{b}/computes/ci-b")
    before = api.snapshot()
    r = _instance(api, a, "ci-a2", "Standard_DS1_v2")  # the subscription has 12 of 24 left: the hub's limit refuses
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "QuotaExceeded"
    for part in ("standardDSv2Family", f"hub '{hub['name']}'", "Current usage: 12", "limit: 12", "updateQuotas"):
        assert part in error["message"], (part, error["message"])
    assert api.snapshot() == before
    assert api.request("GET", f"{a}/computes/ci-a2", ML).status_code == 404
    # The subscription's usage is unchanged by the hub's limit: still the regional picture.
    usages = api.request("GET", f"{_loc(api)}/usages", ML).json()["value"]
    assert next(u for u in usages if u["name"]["value"] == "standardDSv2Family")["limit"] == 24

    # Raising the hub's limit lets the create through.
    assert _set(api, (hub["id"], "standardDSv2Family", 13)).json()["value"][0]["status"] == "Success"
    assert _instance(api, a, "ci-a2", "Standard_DS1_v2").status_code == 201
    _settle(api, f"{a}/computes/ci-a2")


def test_limits_below_usage_above_the_subscription_or_of_no_family_are_refused_per_entry(api: Api, name: str) -> None:
    hub, _alpha, _beta = _family(api, name, "r")
    a = api.ws_path(name, "alphar")
    assert _set(api, (hub["id"], "standardFSv2Family", 16)).json()["value"][0]["status"] == "Success"
    assert _instance(api, a, "ci-f", "Standard_F8s_v2").status_code == 201  # 8 of 16, in a project
    _settle(api, f"{a}/computes/ci-f")
    before = api.snapshot()
    r = _set(api, (hub["id"], "standardFSv2Family", 4), (hub["id"], "standardESv3Family", 25),
             (hub["id"], "standardBogusFamily", 4))
    assert r.status_code == 200, r.text
    assert [e["status"] for e in r.json()["value"]] == [
        "InvalidQuotaBelowClusterMinimum", "InvalidQuotaExceedsSubscriptionLimit", "InvalidVMFamilyName"]
    assert api.snapshot() == before
    # Per entry: the valid one is applied, the refused one is not.
    r = _set(api, (hub["id"], "standardFSv2Family", 8), (hub["id"], "standardFSv2Family", 7))
    assert [e["status"] for e in r.json()["value"]] == ["Success", "InvalidQuotaBelowClusterMinimum"]
    assert _own_limits(api)[f"{hub['id']}/quotas/standardFSv2Family"] == 8
    # Azure's spelling of the family is read as the family.
    r = _set(api, (hub["id"], "Standard_FSv2_Family_Cluster_Dedicated_vCPUs", 9))
    assert r.json()["value"][0]["status"] == "Success"
    assert _own_limits(api)[f"{hub['id']}/quotas/standardFSv2Family"] == 9


def test_a_projects_own_limit_is_refused_naming_its_hub_and_bad_entries_change_nothing(api: Api, name: str) -> None:
    hub, alpha, _beta = _family(api, name, "s")
    before = api.snapshot()
    r = _set(api, (hub["id"], "standardDSv2Family", 4), (alpha["id"], "standardDSv2Family", 4))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "ProjectQuotaInheritedFromHub"
    assert f"hub '{hub['name']}'" in error["message"] and f"{hub['id']}/quotas/standardDSv2Family" in error["message"]
    for bad in ({"value": [{"id": f"{hub['id']}/computes/x", "limit": 4}]},                       # not a quota id
                {"value": [{"id": f"{hub['id']}/quotas/standardDSv2Family", "limit": -1}]},
                {"value": [{"id": f"{hub['id']}/quotas/standardDSv2Family", "limit": 4, "unit": "Bytes"}]},
                {"value": [{"id": f"{hub['id']}/quotas/standardDSv2Family", "limit": "4"}]},
                {"location": "westus", "value": [{"id": f"{hub['id']}/quotas/standardDSv2Family", "limit": 4}]},
                {"value": []}, {}):
        r = api.request("POST", f"{_loc(api)}/updateQuotas", ML, json=bad)
        assert r.status_code == 400, (bad, r.text)
    url = f"{_loc(api)}/updateQuotas?api-version=2024-10-01"
    assert api.client.post(url, content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert api.client.post(url, json={"value": []}, headers={"Authorization": ""}).status_code == 401
    missing = api.ws_path(name, "nosuch")
    assert _set(api, (missing, "standardDSv2Family", 4)).status_code == 404
    assert api.snapshot() == before


def test_a_default_workspaces_own_limit_caps_only_itself(api: Api, name: str) -> None:
    api.create_group(name)
    mine = api.create_workspace(name, name + "a")["id"]
    other = api.create_workspace(name, name + "b")["id"]
    assert _set(api, (mine, "standardNCASv3_T4Family", 4)).json()["value"][0]["status"] == "Success"
    assert _instance(api, mine, "gpu-one", "Standard_NC4as_T4_v3").status_code == 201
    _settle(api, f"{mine}/computes/gpu-one")
    before = api.snapshot()
    r = _instance(api, mine, "gpu-two", "Standard_NC4as_T4_v3")
    assert r.status_code == 400 and r.json()["error"]["code"] == "QuotaExceeded", r.text
    assert f"workspace '{name}a'" in r.json()["error"]["message"]
    assert api.snapshot() == before
    # Another workspace of the subscription draws on the subscription's limit alone.
    assert _instance(api, other, "gpu-one", "Standard_NC4as_T4_v3").status_code == 201
    _settle(api, f"{other}/computes/gpu-one")


def test_two_racing_creates_in_two_projects_cannot_both_pass_the_hubs_limit(api: Api, name: str) -> None:
    hub, _alpha, _beta = _family(api, name, "t")
    assert _set(api, (hub["id"], "standardESv3Family", 8)).json()["value"][0]["status"] == "Success"
    caller = api.container.identity.authenticate(f"Bearer {api.token}")
    service = api.container.computes
    body = ComputeBody.model_validate({"location": "eastus", "properties": {
        "computeType": "ComputeInstance", "properties": {"vmSize": "Standard_E8s_v3"}}})  # 8 each: one fits
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def create(project: str) -> None:
        start.wait()
        try:
            service.create_or_update(caller, api.sub, name, project, "race", body)
            outcomes.append("created")
        except AmliteError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=create, args=(p,)) for p in ("alphat", "betat")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["QuotaExceeded", "created"], outcomes
    made = [p for p in ("alphat", "betat")
            if api.request("GET", f"{api.ws_path(name, p)}/computes/race", ML).status_code == 200]
    assert len(made) == 1
    _settle(api, f"{api.ws_path(name, made[0])}/computes/race")


def test_a_soft_deleted_projects_computes_still_draw_on_its_hubs_balance(api: Api, name: str) -> None:
    hub, _alpha, _beta = _family(api, name, "u")
    a, b = api.ws_path(name, "alphau"), api.ws_path(name, "betau")
    assert _set(api, (hub["id"], "standardDv3Family", 8)).json()["value"][0]["status"] == "Success"
    assert _instance(api, a, "ci-d", "Standard_D4_v3").status_code == 201  # 4 of 8
    _settle(api, f"{a}/computes/ci-d")
    api.wait(api.request("DELETE", a, ML))  # soft-deleted: it keeps its instance, recoverable
    assert api.request("GET", a, ML).status_code == 404
    r = _set(api, (hub["id"], "standardDv3Family", 2))
    assert r.json()["value"][0]["status"] == "InvalidQuotaBelowClusterMinimum", r.text
    r = _instance(api, b, "ci-d", "Standard_D8_v3")
    assert r.status_code == 400 and "Current usage: 4" in r.json()["error"]["message"], r.text
