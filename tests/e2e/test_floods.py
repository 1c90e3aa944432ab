"""A real server under the unauthenticated floods that once took it down, bounded in count and
time: thousands of sockets that send nothing or half their headers, slowly trickled blob
uploads, two hundred concurrent wrong-password logins and oversized bodies, all at once.
``/health`` must answer within a second throughout, and afterwards the server serves as before.

The server's limits are lowered through its configuration so that each one bites within the
test's time: the header deadline, the connection cap, the upload rate and the body deadline.
Every socket is closed and the server stopped at the end.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.conftest import HOST, ServerProcess

IDLE_SOCKETS = 3000
TRICKLED_UPLOADS = 50
WRONG_LOGINS = 200
FLOOD_SECONDS = 12.0
LIMITS = {
    "header_timeout_seconds": 2,
    "max_connections": 1000,
    "body_timeout_seconds": 3,
    "upload_idle_timeout_seconds": 2,
    "upload_min_bytes_per_second": 100_000,
    # every wrong login really is checked here (the throttle has its own tests): the bound on
    # concurrent password hashes is what keeps /health answering.
    "max_failed_sign_ins_per_ip": 100_000,
    "max_failed_sign_ins_per_principal": 100_000,
}
RG = "rg-flood"
WS = "ws-flood"
ML = "api-version=2024-10-01"


def _token(server: ServerProcess) -> str:
    creds = server.credentials
    r = httpx.post(f"{server.endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _ws_path(server: ServerProcess) -> str:
    return (f"/subscriptions/{server.credentials['subscriptionId']}/resourceGroups/{RG}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{WS}")


#: Probes /health on a fresh connection every 0.2 s for argv[2] seconds, in a process of its own so
#: that the flood's own client work cannot delay it; prints [[latency, status or error], ...].
PROBE = """
import json, sys, time, httpx
endpoint, until, seen = sys.argv[1], time.monotonic() + float(sys.argv[2]), []
while time.monotonic() < until:
    started = time.monotonic()
    try:
        outcome = httpx.get(endpoint + "/health", timeout=5.0).status_code
    except httpx.HTTPError as exc:
        outcome = repr(exc)
    seen.append([time.monotonic() - started, outcome, started])
    time.sleep(0.2)
print(json.dumps(seen))
"""


async def _idle_sockets(count: int, writers: list[asyncio.StreamWriter], readers: list[asyncio.StreamReader],
                        port: int) -> None:
    """Open ``count`` connections; half send nothing, half stop in the middle of their headers."""
    for i in range(count):
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        if i % 2:
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        writers.append(writer)
        readers.append(reader)
        if i % 25 == 24:  # about a thousand a second: the flood accumulates, as the attack's did
            await asyncio.sleep(0.02)


async def _trickled_upload(port: int, path: str, token: str) -> str:
    """A 10 MB upload sent ten bytes at a time; the server must cut it off (408, or close)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        sha = hashlib.sha256(b"x").hexdigest()
        writer.write((f"PUT {path}/artifacts/blobs/{sha}?{ML} HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {10 * 1024 * 1024}\r\n\r\n").encode())
        answer = asyncio.ensure_future(reader.read(65536))
        for _ in range(200):  # at most 20 s; the server's deadline is a few seconds
            done, _ = await asyncio.wait({answer}, timeout=0.1)
            if done:
                break
            writer.write(b"0123456789")
        else:
            answer.cancel()
            return "not cut off"
        data = answer.result()
        return data.split(b"\r\n", 1)[0].decode() if data else "closed"
    except ConnectionError:
        return "closed"
    finally:
        writer.close()


async def _wrong_logins(endpoint: str, tenant: str, username: str) -> list[int | str]:
    """Concurrent wrong passwords: each is refused (400), throttled (429), or its connection was
    closed to make room (it sat silent while a thousand newer ones arrived)."""
    limits = httpx.Limits(max_connections=WRONG_LOGINS, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        async def one(i: int) -> int | str:
            try:
                r = await client.post(f"{endpoint}/{tenant}/oauth2/v2.0/token", data={
                    "grant_type": "password", "username": username, "password": f"wrong-{i}"})
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                return "closed"
            return r.status_code

        return list(await asyncio.gather(*(one(i) for i in range(WRONG_LOGINS))))


async def _response(reader: asyncio.StreamReader) -> tuple[str, Any]:
    """The status line and JSON body of one HTTP/1.1 response."""
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
    length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n") if line.lower().startswith("content-length:"))
    return head.split("\r\n", 1)[0], json.loads(await asyncio.wait_for(reader.readexactly(length), 10))


async def _oversized(endpoint: str, port: int, tenant: str, server: ServerProcess, token: str) -> list[Any]:
    """Bodies far past the limits: declared (refused before reading) and chunked (refused as read)."""
    seen: list[Any] = []
    for path, ctype in ((f"/{tenant}/oauth2/v2.0/token", "application/x-www-form-urlencoded"),
                        (f"/subscriptions/{server.credentials['subscriptionId']}/resourceGroups/rg-big?api-version=2024-03-01",
                         "application/json")):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write((f"PUT {path} HTTP/1.1\r\n" if "resourceGroups" in path else f"POST {path} HTTP/1.1\r\n").encode()
                     + (f"Host: x\r\nAuthorization: Bearer {token}\r\nContent-Type: {ctype}\r\n"
                        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n").encode())
        seen.append(await _response(reader))
        writer.close()

    # No Content-Length: counted as it is read, refused once past 4 MB.
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write((f"PUT /subscriptions/{server.credentials['subscriptionId']}/resourceGroups/rg-big"
                  f"?api-version=2024-03-01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    # One byte past the limit, then silence: the server reads it all, so its close loses nothing.
    for _ in range(4):
        writer.write(b"100000\r\n" + b" " * 0x100000 + b"\r\n")
    writer.write(b"1\r\n \r\n")
    answer = asyncio.ensure_future(_response(reader))
    seen.append(await answer)
    writer.close()
    return seen


def test_health_answers_within_a_second_through_the_floods(server_factory: Callable[..., ServerProcess]) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle_count = min(IDLE_SOCKETS, (hard - 1000) // 2)
    server = server_factory(config={"limits": LIMITS})
    try:
        token = _token(server)
        headers = {"Authorization": f"Bearer {token}"}
        sub = server.credentials["subscriptionId"]
        r = httpx.put(f"{server.endpoint}/subscriptions/{sub}/resourceGroups/{RG}?api-version=2024-03-01",
                      json={"location": "eastus"}, headers=headers, timeout=30)
        assert r.status_code in (200, 201), r.text
        r = httpx.put(f"{server.endpoint}{_ws_path(server)}?{ML}", json={"location": "eastus"}, headers=headers,
                      timeout=30)
        assert r.status_code in (200, 201), r.text

        results = asyncio.run(_floods(server, token, idle_count))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    probes = results["probes"]
    assert len(probes) >= FLOOD_SECONDS, probes
    assert all(p[1] == 200 for p in probes), [p for p in probes if p[1] != 200][:5]
    assert max(p[0] for p in probes) < 1.0, [(round(p[0], 2), round(p[2] - probes[0][2], 2)) for p in probes]
    # Every idle or half-sent socket was closed by the server (header deadline, connection cap).
    assert results["idle_left_open"] == 0, results["idle_left_open"]
    # Every trickled upload was cut off: 408 while reading, or closed to make room.
    assert all(a.startswith("HTTP/1.1 408") or a == "closed" for a in results["uploads"]), results["uploads"]
    assert any(a.startswith("HTTP/1.1 408") for a in results["uploads"]), results["uploads"]
    assert set(results["logins"]) <= {400, 429, "closed"}, results["logins"]
    assert 400 in results["logins"]
    (form_status, form_body), (arm_status, arm_body), (chunked_status, chunked_body) = results["oversized"]
    assert form_status.startswith("HTTP/1.1 413") and form_body["error"] == "invalid_request", results["oversized"]
    assert arm_status.startswith("HTTP/1.1 413") and arm_body["error"]["code"] == "RequestContentTooLarge"
    assert chunked_status.startswith("HTTP/1.1 413") and chunked_body["error"]["code"] == "RequestContentTooLarge"

    # Afterwards the server serves as before: a login, a read, an upload; the oversized group was never made.
    token = _token(server)
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.get(f"{server.endpoint}{_ws_path(server)}?{ML}", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    data = b"after the floods"
    sha = hashlib.sha256(data).hexdigest()
    r = httpx.put(f"{server.endpoint}{_ws_path(server)}/artifacts/blobs/{sha}?{ML}", content=data,
                  headers={**headers, "Content-Type": "application/octet-stream"}, timeout=10)
    assert r.status_code == 201, r.text
    r = httpx.get(f"{server.endpoint}/subscriptions/{sub}/resourceGroups/rg-big?api-version=2024-03-01",
                  headers=headers, timeout=10)
    assert r.status_code == 404, r.text
    server.stop()


async def _floods(server: ServerProcess, token: str, idle_count: int) -> dict[str, Any]:
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.StreamReader] = []
    creds = server.credentials
    prober = subprocess.Popen([sys.executable, "-c", PROBE, server.endpoint, str(FLOOD_SECONDS + 1)],  # noqa: S603
                              stdout=subprocess.PIPE)
    try:
        flood_end = time.monotonic() + FLOOD_SECONDS
        await asyncio.sleep(0.5)
        idle = asyncio.ensure_future(_idle_sockets(idle_count, writers, readers, server.port))
        uploads = asyncio.gather(*(_trickled_upload(server.port, _ws_path(server), token)
                                   for _ in range(TRICKLED_UPLOADS)))
        logins = asyncio.ensure_future(_wrong_logins(server.endpoint, creds["tenantId"], creds["username"]))
        oversized = asyncio.ensure_future(_oversized(server.endpoint, server.port, creds["tenantId"], server, token))
        results: dict[str, Any] = {"uploads": await uploads, "logins": await logins, "oversized": await oversized}
        await idle
        await asyncio.sleep(max(0.0, flood_end - time.monotonic()))
        # By now the header deadline (2 s) has passed for every idle socket: each must read EOF.
        reads = [asyncio.ensure_future(reader.read(65536)) for reader in readers]
        if reads:
            await asyncio.wait(reads, timeout=3.0)
        for read in reads:
            read.cancel()
        closed = sum(1 for r in reads if r.done() and not r.cancelled() and (r.exception() or r.result() == b""))
        results["idle_left_open"] = len(reads) - closed
        out, _ = await asyncio.to_thread(prober.communicate, timeout=30)
        results["probes"] = json.loads(out)
    finally:
        if prober.poll() is None:
            prober.kill()
            prober.wait()
        for writer in writers:
            writer.close()
    return results
