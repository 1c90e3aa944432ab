"""Connection limits uvicorn does not have: a header deadline and a connection cap that keeps
serving fresh requests.

uvicorn (httptools) closes a kept-alive connection after ``timeout_keep_alive``, but arms that
timer only after a response: a connection that never sends a request, or sends half its headers,
stays open for ever, and a few thousand of them exhaust the process's file descriptors. Its
``limit_concurrency`` answers 503 to every request past the limit, ``/health`` included, so a
flood of idle sockets would still keep everyone out. ``protocol_class`` adds to uvicorn's
``HttpToolsProtocol`` (selected with uvicorn's ``http=`` option):

- a header deadline: from the moment a connection opens, and from the first byte of each later
  request, the headers must be complete within ``header_timeout_seconds`` and hold at most
  ``max_header_bytes``, else the connection is closed;
- a cap on open connections: past ``max_connections``, the connections that have waited longest
  without a request in progress (opened or kept alive, headers not yet complete) and with no
  unread bytes are closed, right after the loop has read what the new ones sent; failing those,
  the oldest still sending a request body. Requests being answered are never cut, and a fresh
  request always gets in while idle connections can make room.

Everything runs on the event loop, so the bookkeeping needs no locks.
"""

from __future__ import annotations

import fcntl
import logging
import resource
import struct
import termios
from asyncio import TimerHandle, Transport
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from amlite.api.http_server import ArmHttpToolsProtocol
from amlite.config import Limits

log = logging.getLogger(__name__)

#: File descriptors kept for everything but client sockets (database, blob files, logs).
RESERVED_FILES = 256


def raise_open_file_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # e.g. above the kernel's nr_open: keep what we have
            pass
    return soft


def connection_cap(limits: Limits, open_files: int) -> int:
    """``max_connections``, lowered so that client sockets leave ``RESERVED_FILES`` free."""
    fits = max(16, open_files - RESERVED_FILES)
    if limits.max_connections > fits:
        log.warning("max_connections %d lowered to %d to fit the open-file limit %d",
                    limits.max_connections, fits, open_files)
    return min(limits.max_connections, fits)


def protocol_class(limits: Limits, max_connections: int) -> type[HttpToolsProtocol]:
    """A ``HttpToolsProtocol`` subclass enforcing ``limits``, with its own connection books (one
    class per server)."""
    # Insertion-ordered: the first key is the connection that has waited longest.
    waiting: dict[LimitedHttpToolsProtocol, None] = {}
    reading: dict[LimitedHttpToolsProtocol, None] = {}
    closing: set[LimitedHttpToolsProtocol] = set()  # closed by us, not yet gone
    books: dict[str, Any] = {"sweep": None, "closed": 0, "next_log": 0.0}

    def sweep(connections: set[Any], loop: Any) -> None:
        """Close waiting connections, longest-waiting first, until the count is back under the
        cap. One with unread bytes is spared: it is a client whose request the loop has not read
        yet (a burst of accepts comes first), not an idle one; a later sweep looks again."""
        books["sweep"] = None
        excess = len(connections) - len(closing) - max_connections
        spared = 0
        for conn in list(waiting):
            if excess <= 0:
                break
            if conn._silent():
                conn._close()
                excess -= 1
            else:
                spared += 1
        if excess > 0 and not spared:  # nothing idle left: the oldest request still sending its body
            for conn in list(reading)[:excess]:
                conn._close()
                excess -= 1
        if excess > 0 and spared:
            books["sweep"] = loop.call_later(0.01, sweep, connections, loop)
        if loop.time() >= books["next_log"] and books["closed"]:  # a flood must not also flood the log
            log.warning("over %d connections: closed %d waiting ones to make room", max_connections, books["closed"])
            books.update(closed=0, next_log=loop.time() + 10.0)

    class LimitedHttpToolsProtocol(ArmHttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_timer: TimerHandle | None = None
            self._header_bytes = 0

        def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()
            if len(self.connections) - len(closing) > max_connections and books["sweep"] is None:
                # after the loop has read what the connections accepted so far have sent
                books["sweep"] = self.loop.call_later(0.01, sweep, self.connections, self.loop)

        def connection_lost(self, exc: Exception | None) -> None:
            self._forget()
            closing.discard(self)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._header_timer is not None:  # headers still incomplete after these bytes
                self._header_bytes += len(data)
                if self._header_bytes > limits.max_header_bytes:
                    self._close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._header_timer is None:  # a kept-alive connection's next request
                self._await_headers()

        def on_headers_complete(self) -> None:
            self._forget()
            super().on_headers_complete()
            if self.cycle is not None and self.cycle.more_body and not self.cycle.response_complete:
                reading[self] = None

        def on_message_complete(self) -> None:
            reading.pop(self, None)
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            idle = self.cycle is None or self.cycle.response_complete  # no pipelined request started
            if idle and not self.transport.is_closing():
                waiting[self] = None  # kept alive: idle until its next request

        def _await_headers(self) -> None:
            self._header_bytes = 0
            waiting[self] = None
            self._header_timer = self.loop.call_later(limits.header_timeout_seconds, self._close)

        def _forget(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            waiting.pop(self, None)
            reading.pop(self, None)

        def _silent(self) -> bool:
            """No bytes waiting to be read: a fresh client whose request the loop has not read
            yet (a burst of accepts comes first) must not be taken for an idle one."""
            try:
                fd = self.transport.get_extra_info("socket").fileno()
                pending = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            except (OSError, AttributeError):
                return True
            return pending == 0

        def shutdown(self) -> None:
            """The server is stopping. An idle TLS connection is dropped at once: closing it
            politely sends TLS's close_notify and waits up to 30 s for the client's, which a client
            keeping the connection in its pool (requests, so every Azure SDK) never sends, and the
            server would wait that long to stop."""
            if (self.cycle is None or self.cycle.response_complete) and _tls(self.transport):
                self._forget()
                self.transport.abort()
                return
            super().shutdown()

        def _close(self) -> None:
            self._forget()
            if self.transport is not None and not self.transport.is_closing():
                closing.add(self)
                books["closed"] += 1
                if _tls(self.transport):  # idle or too slow: no 30 s wait for its close_notify
                    self.transport.abort()
                else:
                    self.transport.close()

    return LimitedHttpToolsProtocol


def _tls(transport: Transport | None) -> bool:
    return transport is not None and transport.get_extra_info("sslcontext") is not None
