"""Data and operations survive a restart of the service (in process; the e2e suite kills a real
server process with SIGKILL at named points)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import build
from tests.integration.conftest import ML, RES, settings_for
from tests.pg import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'r.db'}"
    else:
        with postgres_database() as url:
            yield url


def _client(tmp: Path, db_url: str) -> tuple[TestClient, object]:
    container = build(settings_for(tmp, db_url))
    client = TestClient(create_app(container), base_url="http://127.0.0.1:8600")
    creds = json.loads(container.settings.credentials_file.read_text())
    client.__enter__()
    token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.sub = creds["subscriptionId"]  # type: ignore[attr-defined]
    return client, container


def test_data_and_an_interrupted_delete_survive_a_restart(tmp_path: Path, db_url: str) -> None:
    client, container = _client(tmp_path, db_url)
    sub = client.sub  # type: ignore[attr-defined]
    rg = f"/subscriptions/{sub}/resourceGroups/keep"
    ws = rg + "/providers/Microsoft.MachineLearningServices/workspaces/"
    assert client.put(f"{rg}?{RES}", json={"location": "eastus"}).status_code == 201
    kept = client.put(f"{ws}stays?{ML}", json={"location": "eastus"}).json()
    assert client.put(f"{ws}goes?{ML}", json={"location": "eastus"}).status_code == 200
    container.worker.stop()  # type: ignore[attr-defined]
    pending = client.delete(f"{ws}goes?{ML}")
    assert pending.status_code == 202
    running = client.get(pending.headers["Azure-AsyncOperation"])
    # while it runs, the status says when to look again (azure-core waits 30 s a poll without it)
    assert running.json()["status"] == "InProgress" and running.headers["Retry-After"] == "1"
    client.__exit__(None, None, None)
    container.close()  # type: ignore[attr-defined]

    first = json.loads((tmp_path / "data" / "admin-credentials.json").read_text())
    client, container = _client(tmp_path, db_url)
    try:
        assert json.loads((tmp_path / "data" / "admin-credentials.json").read_text()) == first
        status_url = pending.headers["Azure-AsyncOperation"]
        deadline = time.monotonic() + 20
        while (body := client.get(status_url).json())["status"] == "InProgress" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert body["status"] == "Succeeded"
        assert "Retry-After" not in client.get(status_url).headers  # nothing left to wait for
        assert client.get(f"{ws}goes?{ML}").status_code == 404
        again = client.get(f"{ws}stays?{ML}").json()
        assert again["properties"]["workspaceId"] == kept["properties"]["workspaceId"]
        assert again["etag"] == kept["etag"]
    finally:
        client.__exit__(None, None, None)
        container.close()  # type: ignore[attr-defined]
