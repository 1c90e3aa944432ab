"""Requests the app never sees whole: over-long request targets and what the HTTP server itself
refuses. Both are answered with the ARM error body, as every other error is.

- :class:`QueryLimitMiddleware` refuses a query string over :data:`MAX_QUERY_BYTES` with
  ``414 RequestUriTooLong`` before routing. The limit sits well above any query amlite writes (a
  ``nextLink`` carries a few dozen bytes; ``$filter`` expressions a few hundred) and below the
  64 KiB beyond which uvicorn's httptools parser cannot parse a request target at all.
- :func:`server_protocol` is uvicorn's HTTP protocol with one change: the 400 it writes for a
  request it cannot parse (which the app never receives: an unparsable or over-long request
  line, a malformed header) carries the ARM JSON body instead of plain text, and is a 414 when the
  request target is what was too long; and every accepted TCP connection gets ``TCP_NODELAY``.

asyncio sets ``TCP_NODELAY`` itself only on sockets whose protocol number says TCP. The
listening socket uvicorn binds for its worker processes (``--workers N``) is made with protocol
number 0 (``socket.socket(family)``), and the connections it accepts inherit that number, so they
kept Nagle's algorithm: a response written in two pieces (headers, then body) on a kept-alive
connection then waited about 40 ms for the client's delayed ACK. The protocol sets it on every
connection, whoever bound the socket.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from amlite.api.errors import error_body, refusal_body, send_refusal

#: Longest query string, in bytes, that a request may carry.
MAX_QUERY_BYTES = 32 * 1024

_TOO_LONG = ("RequestUriTooLong",
             f"The request URI is too long: its query string may be at most {MAX_QUERY_BYTES} bytes.")
_UNPARSABLE = ("InvalidRequest", "The HTTP request could not be parsed.")


def _json(code: str, message: str) -> bytes:
    return json.dumps(error_body(code, message), separators=(",", ":")).encode()


class QueryLimitMiddleware:
    """ASGI middleware: ``414`` with the ARM body for a query string over :data:`MAX_QUERY_BYTES`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await send_refusal(send, 414, refusal_body(scope.get("path", ""), *_TOO_LONG))
            return
        await self.app(scope, receive, send)


def _response(status: int, reason: bytes, body: bytes) -> bytes:
    return (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, reason, len(body))) + body


#: A request body at least this large is read :data:`LARGE_READ` bytes per system call.
LARGE_BODY = 4 * 1024 * 1024
LARGE_READ = 1024 * 1024


class ArmHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (httptools is a dependency), answering a request it cannot parse
    with the ARM error body, and with ``TCP_NODELAY`` on every connection; ``api.connections``
    builds its connection limits on this class."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {ZERO_COPY_SEND: {}}

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        read_size_for(self.transport, self.headers)
        if self.cycle is not None:
            self.cycle.send = zero_copy_send(self.cycle, self.cycle.send)  # type: ignore[method-assign,assignment]

    def send_400_response(self, msg: str) -> None:
        # ``url`` holds the request target read so far; httptools cannot parse one of 64 KiB or more.
        if len(getattr(self, "url", b"")) > MAX_QUERY_BYTES:
            response = _response(414, b"URI Too Long", _json(*_TOO_LONG))
        else:
            response = _response(400, b"Bad Request", _json(*_UNPARSABLE))
        self.transport.write(response)
        self.transport.close()


def read_size_for(transport: asyncio.BaseTransport, headers: list[tuple[bytes, bytes]]) -> None:
    """Read a large request body :data:`LARGE_READ` bytes per ``recv`` instead of asyncio's 256 KiB:
    every read is a round through the event loop, the parser and the ASGI queue, a thousand rounds
    of Python for a 256 MiB upload at the default. Small requests keep
    the default (a large read buffer is allocated for every ``recv``, however little arrives)."""
    if not hasattr(transport, "max_size"):  # not a plain socket transport (TLS reads its own way)
        return
    length = next((value for name, value in headers if name == b"content-length"), b"")
    if length.isdigit() and int(length) >= LARGE_BODY:
        transport.max_size = LARGE_READ
    elif "max_size" in vars(transport):
        del transport.max_size  # back to the class's default


#: The ASGI extension for sending a file's bytes with ``sendfile(2)`` (asgiref's "Zero Copy Send").
ZERO_COPY_SEND = "http.response.zerocopysend"


def zero_copy_send(cycle: Any, send: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """``send`` of a uvicorn request cycle, taught ``http.response.zerocopysend``: ``count`` bytes
    of the open ``file`` from ``offset`` go to the socket by ``loop.sendfile`` (the kernel copies
    them from the page cache; asyncio falls back to reads and writes where it cannot, TLS among
    them), then the body is ended (or continued) as an empty ``http.response.body`` would. The
    response must have a Content-Length that covers them. A client gone mid-file ends the send
    quietly, as uvicorn's own body writes to a closed connection do."""

    async def send_message(message: Any) -> None:
        if message.get("type") != ZERO_COPY_SEND:
            await send(message)
            return
        if not cycle.response_started or cycle.response_complete or cycle.chunked_encoding is not False:
            raise RuntimeError("a zero-copy send needs a started response with a Content-Length")
        count = int(message.get("count") or 0)
        if count > cycle.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        if count and cycle.scope["method"] != "HEAD" and not cycle.disconnected:
            if cycle.flow.write_paused:
                await cycle.flow.drain()
            try:
                await asyncio.get_running_loop().sendfile(cycle.transport, message["file"],
                                                          int(message.get("offset") or 0), count)
            except (ConnectionError, RuntimeError) as exc:  # the peer went away (or the transport closed)
                if not cycle.transport.is_closing() and not isinstance(exc, ConnectionError):
                    raise
                cycle.disconnected = True
                return
        cycle.expected_content_length -= count
        await send({"type": "http.response.body", "body": b"", "more_body": bool(message.get("more_body"))})

    return send_message


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once (no Nagle delay) on the transport's TCP socket; other sockets
    (a Unix socket in tests) are left alone."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # the peer is already gone
            pass


def server_protocol() -> type[asyncio.Protocol]:
    """The HTTP protocol class to serve with when no connection limits are wanted (tests)."""
    return ArmHttpToolsProtocol
