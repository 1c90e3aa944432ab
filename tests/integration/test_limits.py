"""Request limits (``config.Limits``) through the app: body sizes, body deadlines and failed
sign-ins, each answered as Azure answers and changing nothing.

The app here has lowered deadlines and sign-in limits so that each one bites within a test;
clients come from distinct addresses (ASGI ``client``) so that per-address counts are the test's own.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from amlite.api.app import create_app
from amlite.api.streams import UPLOAD_BATCH
from amlite.bootstrap import build
from amlite.config import Limits
from tests.integration.conftest import ML, RES, settings_for

LIMITS = Limits(body_timeout_seconds=0.5, upload_idle_timeout_seconds=0.5, upload_min_bytes_per_second=1_000_000,
                max_failed_sign_ins_per_ip=3, max_failed_sign_ins_per_principal=5)


class Server:
    def __init__(self, app: Any, creds: dict[str, Any], data_dir: Path) -> None:
        self.app, self.creds, self.data_dir = app, creds, data_dir
        self.sub, self.tenant = creds["subscriptionId"], creds["tenantId"]
        self.token = ""

    def request(self, method: str, path: str, ip: str = "10.0.0.1", **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
            headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8600") as client:
                return await client.request(method, path, headers=headers, **kwargs)

        return asyncio.run(go())

    def login(self, ip: str, username: str | None = None, password: str | None = None) -> httpx.Response:
        return self.request("POST", f"/{self.tenant}/oauth2/v2.0/token", ip=ip, data={
            "grant_type": "password", "username": username or self.creds["username"],
            "password": password or self.creds["password"]})

    def rg(self, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{name}?{RES}"


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = settings_for(tmp_path_factory.mktemp("limits"), backend)
    container = build(replace(settings, limits=LIMITS))
    creds = json.loads(container.settings.credentials_file.read_text())
    srv = Server(create_app(container), creds, container.settings.data_dir)
    r = srv.login("10.0.0.254")
    assert r.status_code == 200, r.text
    srv.token = r.json()["access_token"]
    ws = f"/subscriptions/{srv.sub}/resourceGroups/rg-limits/providers/Microsoft.MachineLearningServices/workspaces/ws-limits"
    assert srv.request("PUT", srv.rg("rg-limits"), json={"location": "eastus"}).status_code in (200, 201)
    assert srv.request("PUT", f"{ws}?{ML}", json={"location": "eastus"}).status_code in (200, 201)
    yield srv
    container.close()


def _ws_blob(server: Server, sha: str) -> str:
    return (f"/subscriptions/{server.sub}/resourceGroups/rg-limits/providers/Microsoft.MachineLearningServices"
            f"/workspaces/ws-limits/artifacts/blobs/{sha}?{ML}")


async def _trickle(first: bytes, rest: bytes, pause: float) -> AsyncIterator[bytes]:
    yield first
    await asyncio.sleep(pause)
    yield rest


def test_a_json_body_over_4_mb_is_413_and_changes_nothing(server: Server) -> None:
    body = b'{"location": "eastus", "tags": {"t": "' + b"x" * (4 * 1024 * 1024) + b'"}}'
    r = server.request("PUT", server.rg("rg-big"), content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "RequestContentTooLarge"
    assert r.headers["connection"] == "close"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]

    r = server.request("PUT", server.rg("rg-big"), content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "RequestContentTooLarge"
    assert server.request("GET", server.rg("rg-big")).status_code == 404
    # just under the limit is fine
    ok = b'{"location": "eastus", "tags": {"t": "' + b"x" * 200 + b'"}}'
    r = server.request("PUT", server.rg("rg-fits"), content=ok, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 201), r.text


def test_a_token_form_over_its_limit_is_413_in_oauth_shape(server: Server) -> None:
    form = {"grant_type": "password", "username": server.creds["username"], "password": "p" * (65 * 1024)}
    r = server.request("POST", f"/{server.tenant}/oauth2/v2.0/token", ip="10.0.1.1", data=form)
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "invalid_request" and "maximum size" in r.json()["error_description"]


def test_a_body_that_trickles_past_the_deadline_is_408_and_changes_nothing(server: Server) -> None:
    r = server.request("PUT", server.rg("rg-slow"), content=_trickle(b'{"location": ', b'"eastus"}', 1.5),
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 408, r.text
    assert r.json()["error"]["code"] == "RequestTimeout"
    assert server.request("GET", server.rg("rg-slow")).status_code == 404


def test_a_token_form_that_trickles_is_408_in_oauth_shape(server: Server) -> None:
    r = server.request("POST", f"/{server.tenant}/oauth2/v2.0/token", ip="10.0.1.2",
                       content=_trickle(b"grant_type=password&", b"username=x&password=y", 1.5),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 408, r.text
    assert r.json()["error"] == "invalid_request"


def test_a_trickled_upload_is_cut_off_and_stores_nothing(server: Server) -> None:
    data = b"a" * 1000 + b"b" * 1000
    sha = hashlib.sha256(data).hexdigest()
    r = server.request("PUT", _ws_blob(server, sha), content=_trickle(data[:1000], data[1000:], 1.5),
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 408, r.text
    assert r.json()["error"]["code"] == "RequestTimeout"
    assert server.request("HEAD", _ws_blob(server, sha)).status_code == 404
    # sent at once, the same upload is stored
    r = server.request("PUT", _ws_blob(server, sha), content=data, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text


def test_an_upload_cut_off_after_its_first_batches_removes_its_partial(server: Server) -> None:
    """The first two batches are written into the region's partial area as they arrive (the
    second waits for the first's write, so at least one batch is on disk before more is read);
    the 408 that ends the upload aborts that write, so nothing is left, on disk or under the key."""
    data = bytes(range(256)) * 4096 * 3  # 3 MiB
    first = 2 * UPLOAD_BATCH
    sha = hashlib.sha256(data).hexdigest()
    regions = server.data_dir / "regions"
    seen: list[int] = []

    async def stalls() -> AsyncIterator[bytes]:
        yield data[:UPLOAD_BATCH]
        yield data[UPLOAD_BATCH:first]
        seen.extend(p.stat().st_size for p in regions.rglob("*.part"))
        await asyncio.sleep(1.5)
        yield data[first:]

    r = server.request("PUT", _ws_blob(server, sha), content=stalls(), headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 408, r.text
    assert len(seen) == 1 and UPLOAD_BATCH <= seen[0] <= first, \
        f"the received bytes went straight to the region's partial area: {seen}"
    assert list(regions.rglob("*.part")) == []
    assert server.request("HEAD", _ws_blob(server, sha)).status_code == 404


def test_failed_logins_from_one_address_are_throttled_and_others_still_sign_in(server: Server) -> None:
    for i in range(3):
        r = server.login("10.0.2.1", password=f"wrong-{i}")
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    r = server.login("10.0.2.1", password="wrong-again")
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "temporarily_unavailable"
    assert 1 <= int(r.headers["Retry-After"]) <= LIMITS.sign_in_window_seconds
    # the right password from that address waits too; from another address it signs in
    assert server.login("10.0.2.1").status_code == 429
    assert server.login("10.0.2.2").status_code == 200


def test_failed_logins_for_one_name_are_throttled_from_any_address(server: Server) -> None:
    ghost = "nobody@amlite.local"  # counted whether or not the name exists: no hint which names do
    for i in range(5):
        r = server.login(f"10.0.3.{i}", username=ghost, password="wrong")
        assert r.status_code == 400, r.text
    r = server.login("10.0.3.100", username=ghost, password="wrong")
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    # another principal, from a fresh address, signs in
    assert server.login("10.0.3.101").status_code == 200
