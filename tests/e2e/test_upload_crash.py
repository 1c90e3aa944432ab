"""kill -9 of a real server while a large artifact upload is streaming: after the restart the blob
is not visible, the start-up sweep has removed the temporary file, and the retried upload
succeeds with the right digest.

The 200 MiB body comes from a seeded PRNG a MiB at a time, so neither side ever holds it whole.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ServerProcess

ML = "api-version=2024-10-01"
MiB = 1 << 20
SIZE_MIB = 200
KILL_AFTER_MIB = 60


def body(seed: int, on_chunk: Callable[[int], None] | None = None) -> Iterator[bytes]:
    rng = random.Random(seed)
    for i in range(SIZE_MIB):
        if on_chunk is not None:
            on_chunk(i)
        yield rng.randbytes(MiB)


def digest_of(seed: int) -> str:
    h = hashlib.sha256()
    for chunk in body(seed):
        h.update(chunk)
    return h.hexdigest()


def partial_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "regions").rglob("*.part") if p.is_file()]


def login(server: ServerProcess) -> httpx.Client:
    creds = server.credentials
    token = httpx.post(f"{server.endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
    return httpx.Client(base_url=server.endpoint, headers={"Authorization": f"Bearer {token['access_token']}"},
                        timeout=120.0)


@pytest.mark.e2e
def test_kill_during_a_large_upload_leaves_nothing_and_the_retry_succeeds(
    server_factory: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    server = server_factory(tmp_path / "data")
    http = login(server)
    sub = server.credentials["subscriptionId"]
    ws = f"/subscriptions/{sub}/resourceGroups/crash/providers/Microsoft.MachineLearningServices/workspaces/big"
    assert http.put(f"/subscriptions/{sub}/resourceGroups/crash?api-version=2024-03-01",
                    json={"location": "eastus"}).status_code == 201
    assert http.put(f"{ws}?{ML}", json={"location": "eastus"}).status_code == 200
    seed = 20261122
    digest = digest_of(seed)
    url = f"{ws}/artifacts/blobs/{digest}?{ML}"
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(SIZE_MIB * MiB)}
    seen: list[int] = []

    def kill_mid_stream(index: int) -> None:
        """Once the server is writing the upload to a temporary file, kill it (SIGKILL)."""
        if index != KILL_AFTER_MIB:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sizes = [p.stat().st_size for p in partial_files(server.data_dir)]
            if sizes and max(sizes) > 0:
                seen.append(max(sizes))
                break
            time.sleep(0.05)
        server.kill()

    with pytest.raises(httpx.TransportError):
        http.put(url, content=body(seed, kill_mid_stream), headers=headers)
    assert seen and 0 < seen[0] < SIZE_MIB * MiB, "the server was killed while writing a partial upload"
    assert server.process is not None and server.process.returncode == -9
    assert partial_files(server.data_dir), "the crash left a temporary file for the sweep to find"

    server.process = None
    server.start()
    http = login(server)
    assert partial_files(server.data_dir) == [], "the start-up sweep removed the partial upload"
    assert http.head(url).status_code == 404
    assert http.get(url).json()["error"]["code"] == "BlobNotFound"

    retry = http.put(url, content=body(seed), headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.json() == {"sha256": digest, "size": SIZE_MIB * MiB, "existed": False}
    assert http.head(url).headers["content-length"] == str(SIZE_MIB * MiB)
    h = hashlib.sha256()
    with http.stream("GET", url) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            h.update(chunk)
    assert h.hexdigest() == digest
    http.close()


@pytest.mark.e2e
def test_a_client_that_goes_away_mid_upload_leaves_nothing(
    server_factory: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    """No restart here: the live server drops the temporary file as soon as the client is gone."""
    server = server_factory(tmp_path / "data")
    http = login(server)
    sub = server.credentials["subscriptionId"]
    ws = f"/subscriptions/{sub}/resourceGroups/gone/providers/Microsoft.MachineLearningServices/workspaces/half"
    http.put(f"/subscriptions/{sub}/resourceGroups/gone?api-version=2024-03-01", json={"location": "eastus"})
    assert http.put(f"{ws}?{ML}", json={"location": "eastus"}).status_code == 200
    digest = digest_of(7)
    url = f"{ws}/artifacts/blobs/{digest}?{ML}"

    def give_up(index: int) -> None:
        if index == 30:
            deadline = time.monotonic() + 30
            while not partial_files(server.data_dir) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert partial_files(server.data_dir)
            raise RuntimeError("the client gives up")

    with pytest.raises(RuntimeError, match="gives up"):
        http.put(url, content=body(7, give_up),
                 headers={"Content-Type": "application/octet-stream", "Content-Length": str(SIZE_MIB * MiB)})
    http.close()
    http = login(server)
    deadline = time.monotonic() + 30
    while partial_files(server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert partial_files(server.data_dir) == []
    assert http.head(url).status_code == 404
    assert server.running
    small = b"after the abandoned upload"
    ok = http.put(f"{ws}/artifacts/blobs/{hashlib.sha256(small).hexdigest()}?{ML}", content=small,
                  headers={"Content-Type": "application/octet-stream"})
    assert ok.status_code == 201
    assert "Traceback" not in server.log_tail(200), "a client going away is not a server error"
    http.close()
