"""Request bodies handed to blocking code as plain iterators, in constant memory, without a
thread waiting on the network.

Blob stores are synchronous (file and SDK I/O) and pull their bytes from an iterator, so the
code that stores an upload runs in a worker thread. If that thread pulled the bytes straight from
the socket, a client sending slowly would hold it for as long as it liked, and a few dozen such
clients would hold the whole pool every route shares. Instead the event loop awaits the body;
each complete batch of bytes is written to a spool file by a short worker-thread call; and only
once the body is complete does ``use`` run, reading the spool at disk speed. A body of one batch
or less never touches the disk. The spool is an anonymous temporary file (nothing is left after
a crash) in ``app.state.upload_spool``, the data directory's ``uploads/`` (not ``/tmp``, which
may be memory).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

from anyio import to_thread
from starlette.requests import Request

from amlite.domain.blobs import CHUNK_SIZE

T = TypeVar("T")
#: Bytes gathered on the event loop before they are handed to a thread (held per upload).
SPOOL_BATCH = 256 * 1024


async def consume_body(request: Request, use: Callable[[Iterator[bytes]], T], batch: int = SPOOL_BATCH) -> T:
    """Run ``use(chunks)`` in a worker thread once the whole body is in, ``chunks`` yielding it.
    An error while reading the body (the client went away: ``ClientDisconnect``; a body limit:
    ``api.limits``) propagates from here before ``use`` runs, so nothing is stored."""
    spool: IO[bytes] | None = None
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            parts.append(chunk)
            size += len(chunk)
            if size >= batch:
                if spool is None:
                    spool = await to_thread.run_sync(_open_spool, getattr(request.app.state, "upload_spool", None))
                await to_thread.run_sync(spool.write, b"".join(parts))
                parts, size = [], 0
        tail = b"".join(parts)
        if spool is None:
            return await to_thread.run_sync(use, iter([tail] if tail else []))
        if tail:
            await to_thread.run_sync(spool.write, tail)
        return await to_thread.run_sync(use, _read_back(spool))
    finally:
        if spool is not None:
            spool.close()


def _open_spool(directory: Path | None) -> IO[bytes]:
    if directory is not None:
        os.makedirs(directory, exist_ok=True)
    return tempfile.TemporaryFile(dir=directory)


def _read_back(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(CHUNK_SIZE):
        yield chunk
