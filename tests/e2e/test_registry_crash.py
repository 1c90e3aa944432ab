"""Replication survives the server's death, on SQLite and on PostgreSQL: kill -9 while a 200 MB
model replicates to three regions, or a crash at the step between a finished copy and its record;
after a restart every region reaches Succeeded, each replica's sha256 matches, no partial object is
ever visible under a blob's key, and the temporary files of interrupted copies are swept.

The backends differ in how the dead process's claim on a copy ends. On SQLite (one server per
file) the restarted server releases every lease at start and copies again at once; on PostgreSQL
(several servers may share the store) nobody can tell a dead claimant from a slow one, so the copy
is taken over only when its lease runs out: those variants run with a short lease, and check that
the copy was claimed again after that lease expired, not before.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from amlite.domain.replication import REPLICATE
from amlite.store.tables import tasks
from tests.e2e.conftest import ServerProcess, start_server
from tests.pg import postgres_database

pytestmark = pytest.mark.e2e
RES, ML = "api-version=2024-03-01", "api-version=2024-10-01"
REGIONS = ["eastus", "eastus2", "westus"]
#: PostgreSQL: a dead process's copy is retried once its lease runs out (60 s by default); a short
#: lease keeps that wait short, and a short poll lets an idle worker notice the expiry soon.
PG_SETTINGS: dict[str, Any] = {"replication_lease_seconds": 3, "worker_poll_seconds": 0.2}


@dataclass(frozen=True)
class Backend:
    """The store the server keeps its records in, and the settings it runs with there."""

    name: str
    db_url: str | None  # None: the default, SQLite in the data dir
    config: dict[str, Any] | None = None

    def store_url(self, data_dir: Path) -> str:
        return self.db_url or f"sqlite:///{data_dir / 'amlite.db'}"

    def start(self, data_dir: Path, env: dict[str, str] | None = None,
              settings: dict[str, Any] | None = None) -> ServerProcess:
        config = {**(self.config or {}), **(settings or {})}
        return start_server(data_dir, env=env, db_url=self.db_url, config=config or None)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", None)
    else:
        with postgres_database() as url:
            yield Backend("postgresql", url, PG_SETTINGS)


class Http:
    def __init__(self, server: ServerProcess) -> None:
        creds = server.credentials
        self.sub = creds["subscriptionId"]
        token = httpx.post(f"{server.endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
        self.client = httpx.Client(base_url=server.endpoint, timeout=120,
                                   headers={"Authorization": f"Bearer {token['access_token']}"})

    def registry(self, rg: str, name: str) -> str:
        assert self.client.put(f"/subscriptions/{self.sub}/resourceGroups/{rg}?{RES}",
                               json={"location": "eastus"}).status_code == 201
        path = f"/subscriptions/{self.sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/registries/{name}"
        r = self.client.put(f"{path}?{ML}", json={"location": "eastus", "properties": {
            "regionDetails": [{"location": region} for region in REGIONS]}})
        assert r.status_code == 201, r.text
        return path

    def replication(self, version_url: str) -> dict[str, str]:
        body = self.client.get(f"{version_url}?{ML}").json()
        return {r["location"]: r["state"] for r in body["properties"]["replication"]}

    def wait_all(self, version_url: str, timeout: float = 120.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            states = self.replication(version_url)
            if all(s == "Succeeded" for s in states.values()) or time.monotonic() > deadline:
                return states
            time.sleep(0.2)


def _model(http: Http, reg: str, file: Path, digest: str) -> str:
    def chunks() -> Iterator[bytes]:
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    put = http.client.put(f"{reg}/artifacts/blobs/{digest}?{ML}", content=chunks(),
                          headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 201, put.text
    version = f"{reg}/models/big/versions/1"
    body = {"properties": {"artifacts": [{"path": "big/weights.bin", "sha256": digest, "size": file.stat().st_size}]}}
    r = http.client.put(f"{version}?{ML}", json=body)
    assert r.status_code == 201, r.text
    return version


def _random_file(path: Path, mib: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        for _ in range(mib):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def _visible_blobs(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.glob("regions/*/*/azureml-registry-*/sha256/*/*/*") if p.is_file()]


def _assert_no_partial_object_visible(data_dir: Path) -> None:
    """Every object under a key is whole: its bytes hash to its name."""
    for blob in _visible_blobs(data_dir):
        digest = hashlib.sha256()
        with open(blob, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
        assert digest.hexdigest() == blob.name, f"{blob} is partial or corrupt"


def _replicas(data_dir: Path, digest: str) -> dict[str, Path]:
    return {p.parts[-7]: p for p in _visible_blobs(data_dir) if p.name == digest}


def _partial_files(data_dir: Path) -> list[Path]:
    return list(data_dir.glob("regions/*/*/*/.partial/*"))


def _tasks(store_url: str) -> dict[str, dict[str, Any]]:
    """The replication tasks by region, read from the store itself: right after a kill this is
    what the dead process left (the API only answers once a new server runs, which may already
    have changed them), and only the store shows a claim's lease."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tasks).where(tasks.c.kind == REPLICATE))
            return {row.payload["region"]: dict(row._mapping) for row in rows}
    finally:
        engine.dispose()


def _in_progress(found: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(region for region, task in found.items() if task["state"] == "Running")


def _assert_claimed_again(backend: Backend, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
                          regions: list[str]) -> None:
    """Each copy the crash cut short was claimed anew by the restarted server: at once on SQLite
    (its leases are released at start), only once the dead claim's lease expired on PostgreSQL."""
    for region in regions:
        old, new = before[region], after[region]
        assert new["attempts"] > old["attempts"], (region, old, new)
        if backend.name == "postgresql":
            assert new["last_run_at"] > old["lease_expires_at"], (region, old, new)
        else:
            assert new["last_run_at"] < old["lease_expires_at"], (region, old, new)


#: Every region on one file system would take the blob as a hard link; the kill must cut a copy
#: that streams 200 MB into each region, so the regions here write their own bytes.
OWN_BYTES: dict[str, Any] = {"storage": {"kind": "local", "hard_links": False}}


def test_kill_9_while_a_200_mb_model_replicates(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "data"
    server = backend.start(data, settings=OWN_BYTES)
    try:
        http = Http(server)
        reg = http.registry("rg-crash", "crashreg")
        digest = _random_file(tmp_path / "weights.bin", 200)
        version = _model(http, reg, tmp_path / "weights.bin", digest)
        deadline = time.monotonic() + 20
        states: dict[str, Any] = {}
        while time.monotonic() < deadline:  # kill while copies are under way
            states = http.replication(version)
            if "InProgress" in states.values():
                break
            time.sleep(0.01)
        server.kill()
        assert states.get("eastus") == "Succeeded" and "InProgress" in states.values(), states
        # The poll saw a copy under way; the dead process's records show one still was at the kill.
        left = _tasks(backend.store_url(data))
        cut_short = _in_progress(left)
        assert cut_short and all(left[region]["lease_owner"] for region in cut_short), (states, left)
        interrupted = _partial_files(data)  # copies cut short, never under a key
        _assert_no_partial_object_visible(data)
        server.process = None
        server.start()
        http = Http(server)
        assert http.wait_all(version) == {region: "Succeeded" for region in REGIONS}
        replicas = _replicas(data, digest)
        assert sorted(replicas) == sorted(REGIONS)
        assert len({p.stat().st_ino for p in replicas.values()}) == len(REGIONS), "each region holds its own bytes"
        _assert_no_partial_object_visible(data)
        assert not _partial_files(data), interrupted  # swept at start (on every backend)
        _assert_claimed_again(backend, left, _tasks(backend.store_url(data)), cut_short)
    finally:
        server.stop()


def test_crash_between_copy_and_record_resumes(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "data"
    server = backend.start(data, env={"AMLITE_CRASH_AT": "replication.before_succeeded"})
    try:
        http = Http(server)
        reg = http.registry("rg-crash2", "crashreg2")
        digest = _random_file(tmp_path / "weights.bin", 4)
        version = _model(http, reg, tmp_path / "weights.bin", digest)
        assert server.process is not None
        server.process.wait(timeout=30)
        assert server.process.returncode == 137, server.log_tail()
        # A copy finished and the process died before recording it: the record still says InProgress.
        left = _tasks(backend.store_url(data))
        unrecorded = _in_progress(left)
        assert unrecorded, left
        server.env.pop("AMLITE_CRASH_AT", None)
        server.process = None
        server.start()
        http = Http(server)
        assert http.wait_all(version) == {region: "Succeeded" for region in REGIONS}
        replicas = _replicas(data, digest)
        assert sorted(replicas) == sorted(REGIONS)
        assert len({p.stat().st_ino for p in replicas.values()}) == 1, "regions of one file system share a link"
        _assert_no_partial_object_visible(data)
        assert not _partial_files(data)
        _assert_claimed_again(backend, left, _tasks(backend.store_url(data)), unrecorded)
    finally:
        server.stop()


def test_crash_between_a_region_change_and_its_backfill_heals(tmp_path: Path, backend: Backend) -> None:
    """The process dies after committing a new region and before its back-fill queues the copies
    of the versions already there: nothing records them, yet after a restart the reconciler
    derives them from the state and the new region receives every version."""
    data = tmp_path / "data"
    server = backend.start(data)
    try:
        http = Http(server)
        reg = http.registry("rg-crash3", "crashreg3")
        digest = _random_file(tmp_path / "weights.bin", 1)
        version = _model(http, reg, tmp_path / "weights.bin", digest)
        assert http.wait_all(version) == {region: "Succeeded" for region in REGIONS}
        server.env["AMLITE_CRASH_AT"] = "registry.regions.before_hooks"
        server.restart()
        http = Http(server)
        body = {"location": "eastus", "properties": {
            "regionDetails": [{"location": region} for region in [*REGIONS, "northeurope"]]}}
        with pytest.raises(httpx.TransportError):
            http.client.put(f"{reg}?{ML}", json=body)
        assert server.process is not None
        server.process.wait(timeout=30)
        assert server.process.returncode == 137, server.log_tail()
        assert "northeurope" not in _tasks(backend.store_url(data))  # the back-fill never ran
        server.env.pop("AMLITE_CRASH_AT", None)
        server.process = None
        server.start()
        http = Http(server)
        shown = http.client.get(f"{reg}?{ML}").json()["properties"]["regionDetails"]
        assert [d["location"] for d in shown] == [*REGIONS, "northeurope"]  # the region change was committed
        assert http.wait_all(version) == {region: "Succeeded" for region in [*REGIONS, "northeurope"]}
        assert sorted(_replicas(data, digest)) == sorted([*REGIONS, "northeurope"])
        _assert_no_partial_object_visible(data)
    finally:
        server.stop()
