"""The app behind a real uvicorn server on loopback: what only a socket shows (issue 9, items 5
and 6): a 500 leaves the kept-alive connection usable, and an over-long query string is answered
with the ARM error body, not the server's plain text."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
        yield Server(port, creds["subscriptionId"])
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

