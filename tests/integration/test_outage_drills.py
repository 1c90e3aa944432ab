"""Outage drills through the API (issue 15, behaviour 3): a failed region's workspaces and
registries answer 503 ``ServiceUnavailable`` with ``Retry-After``, its storage refuses, other
regions keep working, and a registry's copies into the region wait and catch up after restore."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token
from tests.integration.test_registry_assets import model_body, make_registry, reg_path, replica_file, upload, wait_replicated

LOC = "/providers/Microsoft.MachineLearningServices/locations"


def fail(api: Api, region: str, **kw: Any) -> Any:
    return api.request("POST", f"{LOC}/{region}/fail", ML, **kw)


def restore(api: Api, region: str, **kw: Any) -> Any:
    return api.request("POST", f"{LOC}/{region}/restore", ML, **kw)


@pytest.fixture
def drill(api: Api) -> Iterator[None]:
    """Every region restored after the test, whatever it failed."""
    yield
    for region in ("eastus", "westus", "eastus2"):
        restore(api, region)


def test_a_failed_region_refuses_its_workspaces_while_others_work(api: Api, name: str, drill: None) -> None:
    api.create_group(name)
    east = api.ws_path(name, f"e{name}")
    west = api.ws_path(name, f"w{name}")
    api.create_workspace(name, f"e{name}", location="eastus")
    api.create_workspace(name, f"w{name}", location="westus")
    data = b"before the outage"
    digest = upload(api, east, data)

    r = fail(api, "East US")  # display names are accepted, as for any location
    assert r.status_code == 200 and r.json()["state"] == "Failed" and r.json()["region"] == "eastus", r.text
    assert fail(api, "eastus").json()["failedAt"] == r.json()["failedAt"]  # failing again is the same drill

    for method, path, body in (("GET", east, None), ("GET", f"{east}/models", None),
                               ("PUT", f"{east}/models/m/versions/1", model_body(digest, len(data)))):
        refused = api.request(method, path, ML, json=body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "ServiceUnavailable"
        assert refused.headers["Retry-After"] == "30"
        assert "eastus" in refused.json()["error"]["message"]
    # its storage answers as Azure Storage does in an outage
    store = api.container.deps.blobs("eastus")
    with pytest.raises(Exception) as exc:
        store.list_accounts()
    assert getattr(exc.value, "code", "") == "ServerBusy"
    # the other region works, reads and writes
    assert api.request("GET", west, ML).status_code == 200
    other = upload(api, west, b"west keeps working")
    assert api.request("PUT", f"{west}/models/m/versions/1", ML,
                       json=model_body(other, len(b"west keeps working"))).status_code == 201

    state = api.request("GET", f"{LOC}/eastus/outageDrill", ML).json()
    assert state["state"] == "Failed" and state["failedBy"]
    assert [d["region"] for d in api.request("GET", "/providers/Microsoft.MachineLearningServices/outageDrills",
                                             ML).json()["value"] if d["state"] == "Failed"] == ["eastus"]

    back = restore(api, "eastus")
    assert back.status_code == 200 and back.json()["state"] == "Available" and back.json()["restoredAt"], back.text
    assert api.request("GET", east, ML).status_code == 200
    assert api.request("PUT", f"{east}/models/m/versions/1", ML,
                       json=model_body(digest, len(data))).status_code == 201  # the bytes survived


def test_bad_region_and_non_admins_are_refused_and_change_nothing(api: Api, name: str, drill: None) -> None:
    before = api.snapshot()
    bad = fail(api, "atlantis")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidLocation", bad.text
    create_user(api, name)
    user = user_token(api, name)
    # Owner of a subscription is not a tenant admin: the drill needs the action at the root
    assert assign(api, _user_id(api, name), "Owner", f"/subscriptions/{api.sub}").status_code == 201
    after_assign = api.snapshot()
    denied = fail(api, "eastus", headers=bearer(user))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed", denied.text
    assert restore(api, "eastus", headers=bearer(user)).status_code == 403
    assert api.snapshot() == after_assign
    assert {k: v for k, v in before.items() if k == "region_outages"} == \
        {k: v for k, v in after_assign.items() if k == "region_outages"}
    # restoring a region that is not failed changes nothing
    assert restore(api, "westus").json()["state"] == "Available"
    assert api.snapshot() == after_assign


def _user_id(api: Api, name: str) -> str:
    r = api.client.get(f"/v1.0/users/{name}@amlite.local")
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def test_replication_into_a_failed_region_waits_and_catches_up_after_restore(api: Api, name: str, drill: None) -> None:
    api.create_group(name)
    reg = make_registry(api, name, f"reg-{name}")  # eastus primary, eastus2 and westus replicas
    path = reg_path(api, name, f"reg-{name}")
    assert fail(api, "westus").status_code == 200
    data = b"made during the outage " * 100
    digest = upload(api, path, data)
    assert api.request("PUT", f"{path}/models/d/versions/1", ML, json=model_body(digest, len(data))).status_code == 201
    deadline = time.monotonic() + 30
    while True:  # westus waits, with its reason, while eastus2 gets its copy
        rep = {x["location"]: x for x in
               api.request("GET", f"{path}/models/d/versions/1", ML).json()["properties"]["replication"]}
        if (rep["westus"].get("reason") and rep["eastus2"]["state"] == "Succeeded") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert rep["eastus2"]["state"] == "Succeeded", rep
    assert "westus" in rep["westus"]["reason"] and "unavailable" in rep["westus"]["reason"], rep
    api.container.worker.stop()  # the catch-up below is the restore's doing, not a retry's timing
    try:
        assert restore(api, "westus").status_code == 200
        copies = [t for t in _unfinished(api) if t.payload["region"] == "westus"]
        assert copies and all(t.attempts == 0 and t.state.value == "Pending" for t in copies)
        assert api.container.replication.catch_up() == 0  # nothing left to catch up: idempotent
    finally:
        api.container.worker.start()
    body = wait_replicated(api, f"{path}/models/d/versions/1")
    assert {x["location"]: x["state"] for x in body["properties"]["replication"]} == {
        "eastus": "Succeeded", "eastus2": "Succeeded", "westus": "Succeeded"}, body
    assert hashlib.sha256(replica_file(api, reg, "westus", digest).read_bytes()).hexdigest() == digest


def _unfinished(api: Api) -> list[Any]:
    from amlite.domain.replication import REPLICATE

    with api.container.deps.uow() as uow:
        return uow.tasks.unfinished(REPLICATE)


def test_the_cli_fails_and_restores_a_region(api: Api, tmp_path: Any, monkeypatch: Any, drill: None) -> None:
    import json

    from tests.integration.clients import app_transport, cli_login, route_cli
    from tests.unit.test_cli_commands import run

    route_cli(app_transport(api), monkeypatch, tmp_path)
    cli_login(api, tmp_path)
    failed = run("admin", "region", "fail", "westus")
    assert failed.exit_code == 0 and json.loads(failed.stdout)["state"] == "Failed", failed.stderr
    shown = run("admin", "region", "show", "West US")
    assert json.loads(shown.stdout)["state"] == "Failed"
    bad = run("admin", "region", "fail", "atlantis")
    assert bad.exit_code != 0 and "InvalidLocation" in bad.stderr
    restored = run("admin", "region", "restore", "westus")
    assert restored.exit_code == 0 and json.loads(restored.stdout)["state"] == "Available"
    assert "westus" in {d["region"] for d in json.loads(run("admin", "region", "list").stdout)}
