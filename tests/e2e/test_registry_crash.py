"""Replication survives the server's death: kill -9 while a 200 MB model replicates to three
regions, or a crash at the step between a finished copy and its record; after a restart every
region reaches Succeeded, each replica's sha256 matches, and no partial object is ever visible
under a blob's key."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess, start_server

pytestmark = pytest.mark.e2e
RES, ML = "api-version=2024-03-01", "api-version=2024-10-01"
REGIONS = ["eastus", "eastus2", "westus"]


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


def test_kill_9_while_a_200_mb_model_replicates(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
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
        interrupted = list(data.glob("regions/*/*/*/.partial/*"))  # copies cut short, never under a key
        _assert_no_partial_object_visible(data)
        server.process = None
        server.start()
        http = Http(server)
        assert http.wait_all(version) == {region: "Succeeded" for region in REGIONS}
        replicas = _replicas(data, digest)
        assert sorted(replicas) == sorted(REGIONS)
        _assert_no_partial_object_visible(data)
        assert not [p for p in data.glob("regions/*/*/*/.partial/*")], interrupted  # swept at start
    finally:
        server.stop()


def test_crash_between_copy_and_record_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, env={"AMLITE_CRASH_AT": "replication.before_succeeded"})
    try:
        http = Http(server)
        reg = http.registry("rg-crash2", "crashreg2")
        digest = _random_file(tmp_path / "weights.bin", 4)
        version = _model(http, reg, tmp_path / "weights.bin", digest)
        assert server.process is not None
        server.process.wait(timeout=30)
        assert server.process.returncode == 137, server.log_tail()
        server.env.pop("AMLITE_CRASH_AT", None)
        server.process = None
        server.start()
        http = Http(server)
        assert http.wait_all(version) == {region: "Succeeded" for region in REGIONS}
        assert sorted(_replicas(data, digest)) == sorted(REGIONS)
        _assert_no_partial_object_visible(data)
    finally:
        server.stop()
