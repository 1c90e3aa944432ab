"""Every accepted connection gets TCP_NODELAY, also on the listening socket uvicorn binds for its
worker processes (protocol number 0, on which asyncio leaves Nagle's algorithm on): without it a
response on a kept-alive connection waits about 40 ms for the client's delayed ACK. A real
socket pair on loopback, with uvicorn's own protocol beside ours to show the difference."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from amlite.api.connections import protocol_class
from amlite.api.http_server import ArmHttpToolsProtocol
from amlite.config import Limits


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # never called: no request is sent
    raise AssertionError("no request expected")


def _nodelay_of_accepted_connection(base: type[HttpToolsProtocol]) -> int:
    """Accept one loopback connection with ``base`` on a socket bound as uvicorn binds one for its
    workers, and read TCP_NODELAY off the server's side once ``connection_made`` has run."""
    config = uvicorn.Config(_app, lifespan="off")
    config.load()
    state = ServerState()
    seen: dict[str, int] = {}

    class Probe(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            seen["nodelay"] = transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    listener = socket.socket(socket.AF_INET)  # protocol number 0, as uvicorn's Config.bind_socket makes it
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Probe(config=config, server_state=state, app_state={}), sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        try:
            for _ in range(200):
                if "nodelay" in seen:
                    break
                await asyncio.sleep(0.01)
        finally:
            writer.close()
            for connection in list(state.connections):
                connection.transport.close()
            server.close()
            await server.wait_closed()

    asyncio.run(run())
    return seen["nodelay"]


@pytest.mark.parametrize("base", [ArmHttpToolsProtocol, protocol_class(Limits(), 64)], ids=["arm", "limited"])
def test_connection_made_sets_tcp_nodelay(base: type[HttpToolsProtocol]) -> None:
    assert _nodelay_of_accepted_connection(base) != 0


def test_uvicorn_alone_leaves_nagle_on_for_a_worker_socket() -> None:
    """Why amlite sets it: the same socket served by uvicorn's own protocol keeps Nagle on."""
    assert _nodelay_of_accepted_connection(HttpToolsProtocol) == 0
