"""Request bodies pushed into blocking writers, in constant memory, without a thread waiting on
the network.

Blob stores are synchronous (file and SDK I/O), so the code that stores an upload runs in worker
threads. If a thread pulled the bytes straight from the socket, a client sending slowly would
hold it for as long as it liked, and a few dozen such clients would hold the whole pool every
route shares. Instead the event loop awaits the body, and each complete batch of bytes is handed
to the store's writer (``ports.BlobWriter``) by a short worker-thread call that only writes it;
``commit`` runs in a thread once the body is complete. The bytes go straight to the store's
partial area (written once, no spool), and a body of one batch or less takes a single thread
call. Whatever ends the body early (the client went away, a body limit of ``api.limits``, a
failed write) aborts the writer, so nothing is left behind.

The two sides overlap: while a thread writes (and hashes) one batch, the event loop gathers the
next, so a large upload costs about the slower of the two instead of their sum. At most two
batches of one upload are held here (the one being written and the one being gathered); the
store's writer may hold one more while its disk write finishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, TypeVar

import anyio
from anyio import to_thread
from starlette.requests import Request

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
#: Bytes gathered on the event loop before they are handed to a thread (see the module's
#: docstring for how many are held). 1 MiB makes a 256 MiB upload 256 thread calls; a smaller batch makes the calls'
#: own cost (a hand-over to the pool and back) a visible share of the upload's time.
UPLOAD_BATCH = 1024 * 1024


class BodySink(Protocol[T_co]):
    """Where a body goes: a ``BlobWriter``, or a service's wrapper of one."""

    def write(self, data: bytes) -> None: ...
    def commit(self) -> T_co: ...
    def abort(self) -> None: ...


async def stream_body(request: Request, begin: Callable[[], BodySink[T]], batch: int = UPLOAD_BATCH) -> T:
    """Push the request body into the sink ``begin()`` opens, and commit it; the result of
    ``commit``. ``begin`` runs (in a thread) when the first batch is in, so a body that fails
    early opens nothing. An error while reading the body (``ClientDisconnect``; a body limit)
    or from the sink aborts the sink and propagates from here; the sink is never written to
    from two threads at once, nor aborted while a write is in flight."""
    sink: BodySink[T] | None = None
    writing: asyncio.Task[None] | None = None  # the previous batch's write, still in its thread
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            parts.append(chunk)
            size += len(chunk)
            if size >= batch:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
                parts, size = [], 0
                if sink is None:
                    sink = await to_thread.run_sync(begin)
                if writing is not None:
                    await asyncio.shield(writing)  # one write at a time; its error surfaces here
                writing = asyncio.ensure_future(to_thread.run_sync(sink.write, data))
        if writing is not None:
            await asyncio.shield(writing)
            writing = None
        return await to_thread.run_sync(_finish, sink, begin, b"".join(parts))
    except BaseException:
        with anyio.CancelScope(shield=True):  # a cancelled request still removes its partial
            if writing is not None:
                await asyncio.wait([writing])  # the thread finishes its write before the abort
                if not writing.cancelled():
                    writing.exception()  # retrieved: the error that matters is the one raised below
            if sink is not None:
                await to_thread.run_sync(sink.abort)
        raise


def _finish(sink: BodySink[T] | None, begin: Callable[[], BodySink[T]], tail: bytes) -> T:
    """The last write and the commit, in one thread call (with ``begin`` for a one-batch body)."""
    opened = sink or begin()
    try:
        if tail:
            opened.write(tail)
    except BaseException:
        opened.abort()
        raise
    return opened.commit()
