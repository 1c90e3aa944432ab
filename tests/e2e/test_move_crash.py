"""Fault drill of the workspace move (seed 000): a real server dies (``os._exit(137)``, as under
kill -9) at each step of ``moveResources``, restarts, and the workspace is found whole in exactly
one place, serving, with every asset resolvable there: at the source with its role assignment
if the crash came before the move was accepted, at the destination otherwise, never half-moved.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from amlite.domain.providers import DEFAULT_REGISTERED
from tests.e2e.conftest import start_server
from tests.e2e.test_crash_recovery import ML, RES, Session, crash_and_restart
from tests.pg import postgres_database

ALIAS = "api-version=2021-10-01"
AUTH = "api-version=2022-04-01"
KINDS = {
    "models": {"modelType": "custom_model", "modelUri": "https://example.org/model.pkl"},
    "environments": {"image": "python:3.11"},
    "data": {"dataType": "uri_file", "dataUri": "https://example.org/iris.csv"},
}
STEPS = ["move.begin.before_commit", "move.start", "move.before_commit", "move.after_commit"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        with postgres_database() as url:
            yield url


def location_poll(s: Session, url: str, timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        answer = s.http.get(url)
        if answer.status_code != 202:
            return answer
        assert time.monotonic() < deadline, "the move is still running"
        time.sleep(0.2)


def group_resources(s: Session, sub: str, rg: str) -> set[str]:
    answer = s.http.get(f"/subscriptions/{sub}/resourceGroups/{rg}/resources?{RES}")
    assert answer.status_code == 200, answer.text
    return {r["type"].lower() for r in answer.json()["value"]}


@pytest.mark.e2e
@pytest.mark.parametrize("db_url, step", [("sqlite", step) for step in STEPS] + [
    # On PostgreSQL a dead server's claim runs out instead of being freed at start; the same at
    # every step after the claim, so two steps (either side of the commit) prove it.
    ("postgresql", "move.before_commit"), ("postgresql", "move.after_commit")], indirect=["db_url"])
def test_kill_at_each_step_of_a_move_ends_moved_or_not_never_half(tmp_path: Path, step: str, db_url: str | None) -> None:
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": step}, db_url=db_url,
                          config={"operation_lease_seconds": 2})
    try:
        s = Session(server)
        dest = s.http.put(f"/providers/Microsoft.Subscription/aliases/dest?{ALIAS}",
                          json={"properties": {"displayName": "Destination"}}).json()["properties"]["subscriptionId"]
        for namespace in DEFAULT_REGISTERED:
            assert s.http.post(f"/subscriptions/{dest}/providers/{namespace}/register?{RES}").status_code == 200
        assert s.http.put(f"{s.rg('origin-rg')}?{RES}", json={"location": "eastus"}).status_code == 201
        assert s.http.put(f"/subscriptions/{dest}/resourceGroups/destination-rg?{RES}",
                          json={"location": "eastus"}).status_code == 201
        ws = s.ws("origin-rg", "origin-ws")
        workspace_id = s.http.put(f"{ws}?{ML}", json={"location": "eastus"}).json()["properties"]["workspaceId"]
        for kind, props in KINDS.items():
            for version in ("1", "2"):
                r = s.http.put(f"{ws}/{kind}/{kind}-a/versions/{version}?{ML}", json={"properties": props})
                assert r.status_code in (200, 201), r.text
        roles = s.http.get(f"/subscriptions/{s.sub}/providers/Microsoft.Authorization/roleDefinitions",
                           params={"api-version": AUTH.split("=")[1], "$filter": "roleName eq 'Reader'"}).json()["value"]
        me = s.http.get(f"/subscriptions/{s.sub}/providers/Microsoft.Authorization/roleAssignments?{AUTH}").json()["value"][0]
        assigned = s.http.put(f"{ws}/providers/Microsoft.Authorization/roleAssignments/"
                              f"0f5c8a4e-6b9f-4a55-9d1a-9a0b7d9e3a11?{AUTH}", json={"properties": {
                                  "roleDefinitionId": roles[0]["id"], "principalId": me["properties"]["principalId"]}})
        assert assigned.status_code == 201, assigned.text

        body = {"resources": [ws], "targetResourceGroup": f"/subscriptions/{dest}/resourceGroups/destination-rg"}
        location = None
        try:
            accepted = s.http.post(f"{s.rg('origin-rg')}/moveResources?{RES}", json=body)
            assert accepted.status_code == 202, accepted.text
            location = accepted.headers["Location"]
        except httpx.TransportError:
            assert step == "move.begin.before_commit"
        crash_and_restart(server, timeout=60)
        s = Session(server)

        new = f"/subscriptions/{dest}/resourceGroups/destination-rg/providers/Microsoft.MachineLearningServices/workspaces/origin-ws"
        if location is None:  # the crash came before the move was accepted: nothing happened
            home, away, home_rg, away_rg = ws, new, (s.sub, "origin-rg"), (dest, "destination-rg")
        else:
            assert location_poll(s, location).status_code == 204
            home, away, home_rg, away_rg = new, ws, (dest, "destination-rg"), (s.sub, "origin-rg")

        found = s.http.get(f"{home}?{ML}")
        assert found.status_code == 200, found.text
        assert found.json()["properties"]["workspaceId"] == workspace_id
        assert found.json()["properties"]["provisioningState"] == "Succeeded"
        assert s.http.get(f"{away}?{ML}").status_code == 404
        # The workspace and its four associated resources are together, none left on the other side.
        assert len(group_resources(s, *home_rg)) == 5
        assert group_resources(s, *away_rg) == set()
        for kind in KINDS:
            listed = s.http.get(f"{home}/{kind}/{kind}-a/versions?{ML}").json()["value"]
            assert sorted(v["name"] for v in listed) == ["1", "2"], listed
        at_workspace = [a for a in s.http.get(f"/subscriptions/{s.sub}/providers/Microsoft.Authorization/"
                                              f"roleAssignments?{AUTH}").json()["value"]
                        if a["properties"]["scope"].lower() == ws.lower()]
        assert len(at_workspace) == (1 if location is None else 0)
        # It serves: a write lands.
        r = s.http.put(f"{home}/models/after/versions/1?{ML}", json={"properties": KINDS["models"]})
        assert r.status_code in (200, 201), r.text
    finally:
        server.kill()


def blob_files(data_dir: Path, region: str, account: str) -> set[str]:
    base = data_dir / "regions" / region / account
    return {p.name for p in base.rglob("*") if p.is_file() and "/sha256/" in str(p)} if base.is_dir() else set()


@pytest.mark.e2e
def test_kill_mid_copy_of_a_move_to_another_region_leaves_it_whole_then_resumes(tmp_path: Path,
                                                                                db_url: str | None) -> None:
    """kill -9 after the first blob reached the new region: the workspace is still where it was,
    with every byte; after the restart the move's task resumes the copy, flips, and the old
    region's copy is released; every byte is served from the new region."""
    data_dir = tmp_path / "data"
    server = start_server(data_dir, env={"AMLITE_CRASH_AT": "move.copy.after_blob"}, db_url=db_url,
                          config={"operation_lease_seconds": 2})
    try:
        s = Session(server)
        dest = s.http.put(f"/providers/Microsoft.Subscription/aliases/dest?{ALIAS}",
                          json={"properties": {"displayName": "Destination"}}).json()["properties"]["subscriptionId"]
        for namespace in DEFAULT_REGISTERED:
            assert s.http.post(f"/subscriptions/{dest}/providers/{namespace}/register?{RES}").status_code == 200
        assert s.http.put(f"{s.rg('origin-rg')}?{RES}", json={"location": "eastus"}).status_code == 201
        assert s.http.put(f"/subscriptions/{dest}/resourceGroups/west-rg?{RES}",
                          json={"location": "westus"}).status_code == 201
        ws = s.ws("origin-rg", "origin-ws")
        created = s.http.put(f"{ws}?{ML}", json={"location": "eastus"}).json()
        account = created["properties"]["storageAccount"].rsplit("/", 1)[1]
        blobs = {hashlib.sha256(data).hexdigest(): data for data in (b"one " * 1000, b"two " * 2000, b"three")}
        for digest, data in blobs.items():
            r = s.http.put(f"{ws}/artifacts/blobs/{digest}?{ML}", content=data,
                           headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 201, r.text
        first = next(iter(blobs))
        r = s.http.put(f"{ws}/models/m/versions/1?{ML}", json={"properties": {
            "modelType": "custom_model", "artifacts": [{"path": "w.bin", "sha256": first, "size": len(blobs[first])}]}})
        assert r.status_code == 201, r.text

        body = {"resources": [ws], "targetResourceGroup": f"/subscriptions/{dest}/resourceGroups/west-rg",
                "allowRegionChange": True}
        accepted = s.http.post(f"{s.rg('origin-rg')}/moveResources?{RES}", json=body)
        assert accepted.status_code == 202, accepted.text
        assert server.process is not None
        server.process.wait(timeout=60)
        assert server.process.returncode == 137, server.log_tail()
        # Killed mid-copy: one blob in the new region, all of them still in the old one.
        assert len(blob_files(data_dir, "westus", account)) == 1
        assert blob_files(data_dir, "eastus", account) == set(blobs)
        server.env.pop("AMLITE_CRASH_AT", None)
        server.process = None
        server.start()
        s = Session(server)

        assert location_poll(s, accepted.headers["Location"]).status_code == 204
        new = f"/subscriptions/{dest}/resourceGroups/west-rg/providers/Microsoft.MachineLearningServices/workspaces/origin-ws"
        moved = s.http.get(f"{new}?{ML}").json()
        assert moved["location"] == "westus" and moved["properties"]["provisioningState"] == "Succeeded"
        assert s.http.get(f"{ws}?{ML}").status_code == 404
        for digest, data in blobs.items():
            got = s.http.get(f"{new}/artifacts/blobs/{digest}?{ML}")
            assert got.status_code == 200 and got.content == data
            assert got.headers["x-ms-served-region"] == "westus"
        assert s.http.get(f"{new}/models/m/versions/1?{ML}").status_code == 200
        deadline = time.monotonic() + 30
        while blob_files(data_dir, "eastus", account):
            assert time.monotonic() < deadline, "the old region's copy was not released"
            time.sleep(0.2)
    finally:
        server.kill()
