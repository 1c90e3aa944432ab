"""Pair replication survives kill -9, on SQLite and on PostgreSQL: the server dies after a
version's bytes reached the secondary and before the version was written there. The secondary
shows no version meanwhile; after a restart the copy is claimed again and the version arrives
whole, once."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from amlite.domain.pairs import PAIR_COPY
from amlite.store import tables as t
from tests.e2e.test_registry_crash import ML, RES, Backend, Http, backend  # noqa: F401  (backend is a fixture)

pytestmark = pytest.mark.e2e


def _secondary_versions(store_url: str, workspace: str) -> list[str]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            ws_key = conn.execute(sa.select(t.workspaces.c.key).where(t.workspaces.c.name == workspace)).scalar_one()
            c, v = t.asset_containers, t.asset_versions
            rows = conn.execute(sa.select(v.c.version).select_from(v.join(c, c.c.key == v.c.container_key))
                                .where(c.c.workspace_key == ws_key))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def _copy_tasks(store_url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(t.tasks).where(t.tasks.c.kind == PAIR_COPY))]
    finally:
        engine.dispose()


def test_kill_9_between_a_pair_copys_bytes_and_its_version(tmp_path: Path, backend: Backend) -> None:  # noqa: F811
    data = tmp_path / "data"
    server = backend.start(data)
    try:
        http = Http(server)
        rg = f"/subscriptions/{http.sub}/resourceGroups/rg-pair"
        assert http.client.put(f"{rg}?{RES}", json={"location": "eastus"}).status_code == 201
        ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces"
        for name, region in (("prim", "eastus"), ("sec", "westus")):
            r = http.client.put(f"{ws}/{name}?{ML}", json={"location": region})
            assert r.status_code == 200, r.text
        pair = {"properties": {"primaryWorkspaceId": f"{ws}/prim", "secondaryWorkspaceId": f"{ws}/sec",
                               "mode": "hot-hot"}}
        pairs = "/providers/Microsoft.MachineLearningServices/workspacePairs/crashpair"
        assert http.client.put(f"{pairs}?{ML}", json=pair).status_code == 201
        server.env["AMLITE_CRASH_AT"] = "pair.before_version"
        server.restart()
        http = Http(server)
        payload = b"survives the crash " * 10_000
        digest = hashlib.sha256(payload).hexdigest()
        assert http.client.put(f"{ws}/prim/artifacts/blobs/{digest}?{ML}", content=payload,
                               headers={"Content-Type": "application/octet-stream"}).status_code == 201
        body = {"properties": {"artifacts": [{"path": "m/w.bin", "sha256": digest, "size": len(payload)}]}}
        try:
            assert http.client.put(f"{ws}/prim/models/m/versions/1?{ML}", json=body).status_code == 201
        except httpx.TransportError:
            pass  # the worker may have reached the crash point before the answer left
        assert server.process is not None
        server.process.wait(timeout=60)
        assert server.process.returncode == 137, server.log_tail()
        store = backend.store_url(data)
        assert _secondary_versions(store, "sec") == []  # no half version
        [left] = _copy_tasks(store)
        assert left["state"] == "Running" and left["attempts"] == 1
        server.env.pop("AMLITE_CRASH_AT", None)
        server.process = None
        server.start()
        http = Http(server)
        deadline = time.monotonic() + 120
        while True:
            lag = {x["kind"]: x for x in http.client.get(f"{pairs}?{ML}").json()["properties"]["lag"]}
            if lag["models"]["versionsPending"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert lag["models"]["versionsPending"] == 0, lag
        got = http.client.get(f"{ws}/sec/artifacts/blobs/{digest}?{ML}")
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest
        assert _secondary_versions(store, "sec") == ["1"]
        [done] = _copy_tasks(store)
        assert done["state"] == "Succeeded" and done["attempts"] == 2
    finally:
        server.stop()
