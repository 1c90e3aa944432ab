"""Helpers every BlobStore adapter shares: reading files in chunks, hashing on the way, and the
store-to-store copy that verifies the digest whatever the two stores are."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from amlite.domain.blobs import CHUNK_SIZE, COPY_CHUNK_SIZE, StoredBlob, check_sha256, hash_mismatch

if TYPE_CHECKING:
    from amlite.ports import BlobStore, BlobWriter


def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """A local file's bytes, ``chunk_size`` at a time (the file is opened at the first)."""
    yield from file_chunks_of(open(path, "rb"), chunk_size)  # noqa: SIM115 - closed by file_chunks_of


def file_chunks_of(handle: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """An open file's bytes, ``chunk_size`` at a time; the file is closed at the end, or when the
    iterator is closed."""
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256, size) of a local file, read in constant memory."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file_chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def write_all(writer: BlobWriter, chunks: Iterable[bytes]) -> StoredBlob:
    """Push every chunk into ``writer`` and commit; any exception (the source's included) aborts
    the write first. Every adapter's ``put_stream`` is this loop over its own ``begin_put``."""
    try:
        for chunk in chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


class KnownBlobWriter:
    """The writer for a blob the store has already: the bytes are hashed, not stored, and
    ``commit`` still checks them, so that a wrong upload is refused even then."""

    def __init__(self, expected: str) -> None:
        self._expected = expected
        self._digest = hashlib.sha256()
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write after commit or abort")
        self._digest.update(data)
        self._size += len(data)

    def commit(self) -> StoredBlob:
        if self._done:
            raise ValueError("commit after commit or abort")
        self._done = True
        actual = self._digest.hexdigest()
        if actual != self._expected:
            raise hash_mismatch(self._expected, actual, self._size)
        return StoredBlob(self._expected, self._size, existed=True)

    def abort(self) -> None:
        self._done = True  # nothing was written


def rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes in pieces of exactly ``size`` (the last may be shorter), holding at most
    one piece plus one input chunk in memory."""
    buffer = bytearray()
    for chunk in chunks:
        if not buffer and len(chunk) == size:
            yield chunk  # already the right size: no copy
            continue
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def copy_into(
    target: BlobStore, source: BlobStore, src_account: str, src_container: str, dst_account: str,
    dst_container: str, sha256: str,
) -> StoredBlob:
    """Stream a blob from ``source`` into ``target`` with the digest as the expected hash, so a
    source whose bytes rotted is refused instead of replicated. A blob the target has already is
    not read again."""
    digest = check_sha256(sha256)
    if target.exists(dst_account, dst_container, digest):
        return StoredBlob(digest, target.size(dst_account, dst_container, digest), existed=True)
    size = source.size(src_account, src_container, digest)
    chunks = source.open_chunks(src_account, src_container, digest, COPY_CHUNK_SIZE)
    try:
        return target.put_stream(dst_account, dst_container, chunks, expected_sha256=digest, size_hint=size)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # release the source's file or connection now, not when the generator is collected
