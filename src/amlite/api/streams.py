"""Request bodies handed to blocking code as plain iterators, in constant memory.

Blob stores are synchronous (file and SDK I/O), so an upload runs in a worker thread. A task on
the event loop reads the body and gathers it into batches of about a MiB, a couple of batches
ahead of the worker: the network and the disk work at the same time, and at most three batches
are held whatever the body's size. Without the read-ahead, the server stops reading the socket
(flow control) while the worker hashes and writes, and the two take turns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from anyio import EndOfStream, create_memory_object_stream, create_task_group, from_thread, to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.requests import Request

from amlite.domain.blobs import CHUNK_SIZE

T = TypeVar("T")
READ_AHEAD = 2


async def consume_body(request: Request, use: Callable[[Iterator[bytes]], T], batch: int = CHUNK_SIZE) -> T:
    """Run ``use(chunks)`` in a worker thread, ``chunks`` yielding the request body. An error while
    reading the body (the client went away: ``ClientDisconnect``) is raised inside ``chunks``, so
    ``use`` unwinds as it would for any failing source, then it propagates from here."""
    send, receive = create_memory_object_stream[object](max_buffer_size=READ_AHEAD)
    failure: Exception | None = None
    async with create_task_group() as tasks:
        tasks.start_soon(_pump, request, send, batch)
        try:
            result = await to_thread.run_sync(use, _chunks(receive))
        except Exception as exc:  # noqa: BLE001 - raised below, outside the task group's ExceptionGroup
            failure = exc
        finally:
            tasks.cancel_scope.cancel()  # ``use`` may stop early (an error): stop reading too
            receive.close()
    if failure is not None:
        raise failure
    return result


async def _pump(request: Request, send: MemoryObjectSendStream[object], batch: int) -> None:
    async with send:
        parts: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                if not chunk:
                    continue
                parts.append(chunk)
                size += len(chunk)
                if size >= batch:
                    await send.send(b"".join(parts))
                    parts, size = [], 0
            if parts:
                await send.send(b"".join(parts))
        except Exception as exc:  # noqa: BLE001 - handed to the worker, which raises it
            await send.send(exc)


def _chunks(receive: MemoryObjectReceiveStream[object]) -> Iterator[bytes]:
    while True:
        try:
            item = from_thread.run(receive.receive)
        except EndOfStream:
            return
        if isinstance(item, BaseException):
            raise item
        yield item  # type: ignore[misc]
