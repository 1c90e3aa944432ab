"""How many store transactions each asset request opens, pinned so the number only goes down.

A request authenticates its caller, checks the route's action, resolves the asset's owner and
does its work; each transaction is a round trip (and on PostgreSQL a commit) on the hot path.
A read is one transaction; a version create is two: the authorization, owner and storage lookup
in one read, the blob check outside any transaction, and the write with its audit entry in one
write. A blob upload is two as well: the authorization and storage lookup in one read, the bytes
outside any transaction, then its audit entry. A registry share reads the source and the target
registry once and writes once. On PostgreSQL only the writes commit: a read, and the check of a
pooled connection, end without one (``pg_stat_database`` counts them).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import build
from amlite.config import Settings
from tests.pg import SERVER, postgres_database

from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import make_registry
from tests.integration.transactions import counting_transactions, watching_workers

ONE_KIB = bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def outage_state_held(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blob calls ask whether their region is drilled, and a process reads that from the store at
    most once a second (``outage_cache_seconds``, docs/bcdr.md): a loaded machine can cross that
    second inside a counted request and add one read. The counts here are the request's own, so
    the answer is read now and held for the test."""
    api.container.outages.is_failed("eastus")
    monkeypatch.setattr(api.container.outages, "_cache_seconds", 3600.0)


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return api.ws_path(name, "ws1")


def upload(api: Api, owner_path: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    r = api.client.put(api.url(f"{owner_path}/artifacts/blobs/{digest}", ML), content=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (200, 201), r.text
    return digest


def model_body(digest: str) -> dict[str, Any]:
    return {"properties": {"modelType": "custom_model", "tags": {"stage": "dev"},
                           "artifacts": [{"path": "model/w.bin", "sha256": digest, "size": len(ONE_KIB)}]}}


def test_a_version_create_with_an_uploaded_artifact_is_two_transactions(api: Api, ws: str) -> None:
    digest = upload(api, ws, ONE_KIB)  # its own request, not counted
    with counting_transactions(api.container.engine) as counted:
        r = api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest))
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads
    with counting_transactions(api.container.engine) as counted:
        r = api.request("POST", f"{ws}/models/m/versions", ML, json=model_body(digest))
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads


def test_a_version_create_without_files_is_two_transactions(api: Api, ws: str) -> None:
    body = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m.pkl"}}
    with counting_transactions(api.container.engine) as counted:
        r = api.request("PUT", f"{ws}/models/m/versions/1", ML, json=body)
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads


def test_a_blob_upload_is_a_read_and_a_write_and_a_download_one_read(api: Api, ws: str) -> None:
    data = os.urandom(1024)
    with counting_transactions(api.container.engine) as counted:
        digest = upload(api, ws, data)
    assert counted.count == 2, counted.threads
    with counting_transactions(api.container.engine) as counted:
        r = api.client.get(api.url(f"{ws}/artifacts/blobs/{digest}", ML))
    assert r.status_code == 200 and r.content == data
    assert counted.count == 1, counted.threads


def test_reads_are_one_transaction(api: Api, ws: str) -> None:
    digest = upload(api, ws, ONE_KIB)
    assert api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest)).status_code == 201
    for path in (f"{ws}/models/m/versions/1", f"{ws}/models/m/versions/@latest", f"{ws}/models/m/versions",
                 f"{ws}/models/m", f"{ws}/models"):
        with counting_transactions(api.container.engine) as counted:
            r = api.request("GET", path, ML)
        assert r.status_code == 200, (path, r.text)
        assert counted.count == 1, (path, counted.threads)


def test_a_registry_share_is_two_transactions(api: Api, ws: str, name: str) -> None:
    make_registry(api, name, f"reg-{name}")
    digest = upload(api, ws, ONE_KIB)
    assert api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest)).status_code == 201
    share = {"registryName": f"reg-{name}", "shareWithName": "prod", "shareWithVersion": "1"}
    with counting_transactions(api.container.engine) as counted:
        r = api.request("POST", f"{ws}/models/m/versions/1/share", ML, json=share)
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads


def test_an_idle_worker_reads_and_never_writes(api: Api) -> None:
    """The task workers poll (every 0.05 s in these tests) with reads: no write lock (SQLite's
    ``BEGIN IMMEDIATE``), no commit, once the work other tests queued is done."""
    from amlite.store.tables import tasks

    deadline = time.monotonic() + 30
    while True:
        with api.container.engine.connect() as conn:
            busy = conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
                tasks.c.state.in_(["Pending", "Running"]))).scalar()
        if not busy:
            break
        assert time.monotonic() < deadline, f"{busy} tasks still not done"
        time.sleep(0.1)
    with watching_workers(api.container.engine) as watched:
        time.sleep(0.5)
    assert watched.begins, "the workers did not poll"
    assert set(watched.begins) == {"BEGIN"} and watched.commits == 0, watched


def _commits(database: str) -> int:
    """The database's committed transactions less its sessions, once every backend on it has gone
    (a backend reports its counters when it exits, so nothing is left pending). A new connection
    commits once as the driver sets it up; that is per connection, not per request."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        deadline = time.monotonic() + 20
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the server's connections did not close"
            time.sleep(0.05)
        admin.execute("SELECT pg_stat_clear_snapshot()")
        row = admin.execute("SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = %s",
                            (database,)).fetchone()
    return int(row[0]) - int(row[1])


def test_on_postgresql_only_writes_commit(tmp_path: Path) -> None:
    """An upload and a version create commit once each; reads never."""
    with postgres_database() as url:
        config = tmp_path / "amlite.yaml"
        config.write_text("worker_poll_seconds: 3600\nreconcile_seconds: 3600\n")
        container = build(Settings.load(data_dir=tmp_path / "data", db_url=url, config_file=config, env={}))
        database = sa.engine.make_url(url).database
        assert database is not None
        creds = json.loads(container.settings.credentials_file.read_text())
        with TestClient(create_app(container), base_url="http://127.0.0.1:8600") as client:
            token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
                "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            rg = f"/subscriptions/{creds['subscriptionId']}/resourceGroups/commits"
            assert client.put(f"{rg}?api-version=2024-03-01", json={"location": "eastus"}).status_code == 201
            ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/commits"
            assert client.put(f"{ws}?{ML}", json={"location": "eastus"}).status_code == 200
            container.engine.dispose()
            before = _commits(database)
            for _ in range(5):
                data = os.urandom(1024)
                digest = hashlib.sha256(data).hexdigest()
                r = client.put(f"{ws}/artifacts/blobs/{digest}?{ML}", content=data,
                               headers={"Content-Type": "application/octet-stream"})
                assert r.status_code == 201, r.text
                body = {"properties": {"modelType": "custom_model",
                                       "artifacts": [{"path": "m.bin", "sha256": digest, "size": 1024}]}}
                assert client.post(f"{ws}/models/m/versions?{ML}", json=body).status_code == 201
                for path in (f"{ws}/models/m/versions/1", f"{ws}/models/m/versions/@latest",
                             f"{ws}/artifacts/blobs/{digest}"):
                    assert client.get(f"{path}?{ML}").status_code == 200
            container.engine.dispose()
            assert _commits(database) - before == 10
        container.close()
