"""Crash safety of a real server process: the server dies (``os._exit(137)``, as under kill -9)
at a named step of an operation, restarts, and every operation ends in a terminal state with the
workspace either fully present or fully gone, never half; storage a crash left behind is swept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess, start_server
from tests.pg import postgres_database

RES, ML = "api-version=2024-03-01", "api-version=2024-10-01"


class Session:
    def __init__(self, server: ServerProcess) -> None:
        creds = server.credentials
        self.server, self.sub = server, creds["subscriptionId"]
        token = httpx.post(f"{server.endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
        self.http = httpx.Client(base_url=server.endpoint, headers={"Authorization": f"Bearer {token['access_token']}"})

    def rg(self, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{name}"

    def ws(self, rg: str, name: str) -> str:
        return f"{self.rg(rg)}/providers/Microsoft.MachineLearningServices/workspaces/{name}"

    def poll(self, url: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.http.get(url).json()
            if body["status"] != "InProgress":
                return body  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, f"operation still InProgress: {body}"
            time.sleep(0.2)


def crash_and_restart(server: ServerProcess, timeout: float = 30.0) -> None:
    """Wait for the armed crash point to end the process, then start it again unarmed."""
    assert server.process is not None
    server.process.wait(timeout=timeout)
    assert server.process.returncode == 137, server.log_tail()
    server.env.pop("AMLITE_CRASH_AT", None)
    server.process = None
    server.start()


def cases(points: list[str], on_postgresql: list[str]) -> list[tuple[str, str]]:
    """Every kill point on SQLite; on PostgreSQL the ones named. What differs there is how a dead
    server's claim ends (its lease runs out instead of being freed at start), the same at any point
    after the claim, so one or two points prove it without the whole cross product."""
    return [("sqlite", p) for p in points] + [("postgresql", p) for p in on_postgresql]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        with postgres_database() as url:
            yield url


def storage_dirs(data_dir: Path, account: str) -> list[Path]:
    base = data_dir / "regions" / "eastus" / account
    return sorted(base.iterdir()) if base.is_dir() else []


@pytest.mark.e2e
@pytest.mark.parametrize("db_url, point", cases(
    ["workspace.delete.start", "workspace.delete.before_commit", "workspace.delete.after_commit"],
    ["workspace.delete.before_commit"]), indirect=["db_url"])
def test_kill_during_workspace_delete_ends_deleted_and_terminal(tmp_path: Path, point: str, db_url: str | None) -> None:
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": point}, db_url=db_url,
                          config={"operation_lease_seconds": 2})
    try:
        s = Session(server)
        assert s.http.put(f"{s.rg('rg1')}?{RES}", json={"location": "eastus"}).status_code == 201
        created = s.http.put(f"{s.ws('rg1', 'doomed')}?{ML}", json={"location": "eastus"}).json()
        kept = s.http.put(f"{s.ws('rg1', 'bystander')}?{ML}", json={"location": "eastus"}).json()
        account = created["properties"]["storageAccount"].rsplit("/", 1)[1]
        assert storage_dirs(server.data_dir, account)
        accepted = s.http.delete(f"{s.ws('rg1', 'doomed')}?{ML}&deleteDependentResources=true&forceToPurge=true")
        assert accepted.status_code == 202
        crash_and_restart(server)

        s = Session(server)
        assert s.poll(accepted.headers["Azure-AsyncOperation"])["status"] == "Succeeded"
        assert s.http.get(accepted.headers["Location"]).status_code == 204
        gone = s.http.get(f"{s.ws('rg1', 'doomed')}?{ML}")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"
        types = [r["name"] for r in s.http.get(f"{s.rg('rg1')}/resources?{RES}").json()["value"]]
        assert not any(name.startswith("doomed") or account in name for name in types), types
        assert storage_dirs(server.data_dir, account) == []
        again = s.http.get(f"{s.ws('rg1', 'bystander')}?{ML}").json()
        assert again["properties"]["workspaceId"] == kept["properties"]["workspaceId"]
        # The name is free again.
        assert s.http.put(f"{s.ws('rg1', 'doomed')}?{ML}", json={"location": "eastus"}).status_code == 200
    finally:
        server.kill()


@pytest.mark.e2e
@pytest.mark.parametrize("db_url, point", cases(
    ["workspace.delete.start", "workspace.delete.before_commit", "workspace.recover.before_commit"],
    ["workspace.recover.before_commit"]), indirect=["db_url"])
def test_kill_during_soft_delete_or_recover_leaves_one_whole_state(tmp_path: Path, point: str,
                                                                    db_url: str | None) -> None:
    """A soft delete is one metadata transition, and so is a recover: killed at any point, the
    workspace is afterwards either live or soft-deleted (never half), its storage and contents
    untouched, and a recover then brings it back whole."""
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": point}, db_url=db_url,
                          config={"operation_lease_seconds": 2})
    try:
        s = Session(server)
        assert s.http.put(f"{s.rg('rg1')}?{RES}", json={"location": "eastus"}).status_code == 201
        created = s.http.put(f"{s.ws('rg1', 'sleepy')}?{ML}", json={"location": "eastus"}).json()
        account = created["properties"]["storageAccount"].rsplit("/", 1)[1]
        accepted = s.http.delete(f"{s.ws('rg1', 'sleepy')}?{ML}")
        assert accepted.status_code == 202
        if point.startswith("workspace.recover"):
            s.poll(accepted.headers["Azure-AsyncOperation"])
            with pytest.raises(httpx.TransportError):
                s.http.post(f"{s.ws('rg1', 'sleepy')}/recover?{ML}")
        crash_and_restart(server)

        s = Session(server)
        if not point.startswith("workspace.recover"):
            assert s.poll(accepted.headers["Azure-AsyncOperation"])["status"] == "Succeeded"
        assert s.http.get(f"{s.ws('rg1', 'sleepy')}?{ML}").status_code == 404  # soft-deleted, whole
        deleted = s.http.get(f"/subscriptions/{s.sub}/providers/Microsoft.MachineLearningServices/deletedWorkspaces?{ML}")
        assert [w["name"] for w in deleted.json()["value"]] == ["sleepy"]
        assert storage_dirs(server.data_dir, account)
        back = s.http.post(f"{s.ws('rg1', 'sleepy')}/recover?{ML}")
        assert back.status_code == 200, back.text
        assert back.json()["properties"]["workspaceId"] == created["properties"]["workspaceId"]
    finally:
        server.kill()


@pytest.mark.e2e
def test_kill_during_workspace_create_leaves_no_workspace_and_no_orphan(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": "workspace.create.before_commit"})
    try:
        s = Session(server)
        assert s.http.put(f"{s.rg('rg1')}?{RES}", json={"location": "eastus"}).status_code == 201
        with pytest.raises(httpx.TransportError):
            s.http.put(f"{s.ws('rg1', 'half')}?{ML}", json={"location": "eastus"})
        crash_and_restart(server)
        s = Session(server)
        assert s.http.get(f"{s.ws('rg1', 'half')}?{ML}").status_code == 404
        assert s.http.get(f"{s.rg('rg1')}/resources?{RES}").json()["value"] == []
        region = server.data_dir / "regions" / "eastus"
        assert [p for p in region.iterdir() if not p.name.startswith(".")] == []
        assert s.http.put(f"{s.ws('rg1', 'half')}?{ML}", json={"location": "eastus"}).status_code == 200
    finally:
        server.kill()


@pytest.mark.e2e
def test_kill_during_forced_group_delete_removes_everything(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": "resource_group.delete.after_commit"})
    try:
        s = Session(server)
        assert s.http.put(f"{s.rg('rg1')}?{RES}", json={"location": "eastus"}).status_code == 201
        s.http.put(f"{s.ws('rg1', 'inside')}?{ML}", json={"location": "eastus"}).raise_for_status()
        accepted = s.http.delete(f"{s.rg('rg1')}?{RES}&forceDeletionTypes=Microsoft.MachineLearningServices/workspaces")
        assert accepted.status_code == 202
        crash_and_restart(server)
        s = Session(server)
        assert s.poll(accepted.headers["Azure-AsyncOperation"])["status"] == "Succeeded"
        assert s.http.get(f"{s.rg('rg1')}?{RES}").status_code == 404
        region = server.data_dir / "regions" / "eastus"
        assert [p for p in region.iterdir() if not p.name.startswith(".")] == []
    finally:
        server.kill()


@pytest.mark.e2e
def test_kill_during_registry_soft_delete_and_version_delete_leaves_whole_states(tmp_path: Path,
                                                                                db_url: str | None) -> None:
    """A registry's soft delete and a version's delete, killed before their commit: afterwards the
    registry's delete operation ends, the registry is soft-deleted (or, for the version, the
    version is as it was), and recover brings everything back."""
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": "asset_version.delete.before_commit"},
                          db_url=db_url, config={"operation_lease_seconds": 2})
    try:
        s = Session(server)
        assert s.http.put(f"{s.rg('rg1')}?{RES}", json={"location": "eastus"}).status_code == 201
        reg = f"{s.rg('rg1')}/providers/Microsoft.MachineLearningServices/registries/reg-crash"
        body = {"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}}
        assert s.http.put(f"{reg}?{ML}", json=body).status_code == 201
        env = {"properties": {"image": "python:3.11"}}
        assert s.http.put(f"{reg}/environments/e/versions/1?{ML}", json=env).status_code == 201
        with pytest.raises(httpx.TransportError):
            s.http.delete(f"{reg}/environments/e/versions/1?{ML}")
        server.process.wait(timeout=30)  # type: ignore[union-attr]
        server.env["AMLITE_CRASH_AT"] = "registry.delete.before_commit"
        server.process = None
        server.start()

        s = Session(server)
        assert s.http.get(f"{reg}/environments/e/versions/1?{ML}").status_code == 200  # as it was
        accepted = s.http.delete(f"{reg}?{ML}")
        assert accepted.status_code == 202
        crash_and_restart(server)

        s = Session(server)
        assert s.poll(accepted.headers["Azure-AsyncOperation"])["status"] == "Succeeded"
        assert s.http.get(f"{reg}?{ML}").status_code == 404
        assert s.http.post(f"{reg}/recover?{ML}").status_code == 200
        assert s.http.get(f"{reg}/environments/e/versions/1?{ML}").status_code == 200
    finally:
        server.kill()
