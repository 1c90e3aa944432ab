"""The app behind a real uvicorn server on loopback: what only a socket shows (issue 9, items 5
and 6): a 500 leaves the kept-alive connection usable, and an over-long query string is answered
with the ARM error body, not the server's plain text. Also the large-body paths that only a real
server takes: an upload read 1 MiB per ``recv`` and a download sent with ``sendfile``
(``api.http_server``), byte for byte, on one kept-alive connection."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from amlite.api.app import create_app
from amlite.api.http_server import server_protocol
from amlite.bootstrap import build
from tests.integration.conftest import settings_for

HOST = "127.0.0.1"


@dataclass
class Server:
    port: int
    sub: str
    creds: dict[str, Any]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    container = build(settings_for(tmp_path_factory.mktemp("http"), backend))
    app = create_app(container)

    def bug() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-bug", bug, methods=["GET", "PUT"])
    port = _free_port()
    config = uvicorn.Config(app, host=HOST, port=port, log_level="critical", http=server_protocol())
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    creds = json.loads(container.settings.credentials_file.read_text())
    try:
        yield Server(port, creds["subscriptionId"], creds)
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        container.close()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body, read off ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection; got {data!r}"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        rest += chunk
    return status, headers, rest[:length]


def exchange(sock: socket.socket, method: str, target: str) -> tuple[int, dict[str, str], Any]:
    sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n".encode())
    status, headers, body = read_response(sock)
    return status, headers, json.loads(body)


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_500_leaves_the_kept_alive_connection_usable(server: Server, method: str) -> None:
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        status, headers, body = exchange(sock, method, "/test-bug")
        assert status == 500
        assert body["error"]["code"] == "InternalServerError"
        assert "x-ms-request-id" in headers
        assert headers.get("connection", "").lower() != "close"
        status, _, body = exchange(sock, "GET", "/health")
        assert status == 200, body


@pytest.mark.parametrize("size", [40_000, 70_000, 200_000])
def test_an_over_long_query_string_gets_the_arm_error_body(server: Server, size: int) -> None:
    target = f"/subscriptions/{server.sub}/resourcegroups?api-version=2024-03-01&x={'a' * size}"
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        status, headers, body = read_response(sock)
    assert status == 414, body
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "RequestUriTooLong"


def test_a_query_string_under_the_limit_is_served(server: Server) -> None:
    target = f"/subscriptions/{server.sub}/resourcegroups?api-version=2024-03-01&x={'a' * 30_000}"
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        status, _, body = exchange(sock, "GET", target)
    assert status == 401, body  # reached the app: no token was sent
    assert body["error"]["code"]



def test_a_large_blob_goes_up_and_comes_back_byte_for_byte_on_one_connection(server: Server) -> None:
    base = f"http://{HOST}:{server.port}"
    creds = server.creds
    token = httpx.post(f"{base}/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
    rg = f"/subscriptions/{server.sub}/resourceGroups/bigbody"
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/bigbody"
    data = os.urandom(9 * 1024 * 1024 + 12_345)  # over the large-body threshold, not a whole number of MiB
    sha = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        assert client.put(f"{rg}?api-version=2024-03-01", json={"location": "eastus"}).status_code in (200, 201)
        assert client.put(f"{ws}?api-version=2024-10-01", json={"location": "eastus"}).status_code in (200, 201)
        blob = f"{ws}/artifacts/blobs/{sha}?api-version=2024-10-01"

        wrong = client.put(f"{ws}/artifacts/blobs/{'0' * 64}?api-version=2024-10-01", content=data,
                           headers={"Content-Type": "application/octet-stream"})
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "BlobHashMismatch"
        assert client.get(f"{ws}/artifacts/blobs/{'0' * 64}?api-version=2024-10-01").status_code == 404

        stored = client.put(blob, content=data, headers={"Content-Type": "application/octet-stream"})
        assert stored.status_code == 201, stored.text
        assert stored.json() == {"sha256": sha, "size": len(data), "existed": False}
        for _ in range(2):  # the second on the same kept-alive connection
            got = client.get(blob)
            assert got.status_code == 200
            assert got.headers["content-length"] == str(len(data)) and got.headers["etag"] == f'"{sha}"'
            assert hashlib.sha256(got.content).hexdigest() == sha
        again = client.put(blob, content=data, headers={"Content-Type": "application/octet-stream"})
        assert again.status_code == 200 and again.json()["existed"] is True
        assert client.get("/health").status_code == 200
