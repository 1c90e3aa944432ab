"""An in-memory BlobStore for unit tests: the same contract as the real adapters (the contract
suite runs against it too), with every blob held in a dict. Not for production: nothing
survives the process and every blob sits in memory whole."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from amlite.blobs._stream import KnownBlobWriter, copy_into, file_chunks, write_all
from amlite.domain.blobs import (
    CHUNK_SIZE,
    StoredBlob,
    blob_not_found,
    check_sha256,
    container_not_found,
    hash_mismatch,
)
from amlite.ports import BlobStore, BlobWriter


class MemoryBlobStore:
    def __init__(self, region: str = "eastus") -> None:
        self.region = region
        self._accounts: dict[str, dict[str, dict[str, bytes]]] = {}
        self._lock = threading.Lock()

    def _blobs(self, account: str, container: str) -> dict[str, bytes]:
        found = self._accounts.get(account, {}).get(container)
        if found is None:
            raise container_not_found(account, container)
        return found

    # -- blobs ---------------------------------------------------------------------------------

    def begin_put(
        self, account: str, container: str, expected_sha256: str | None = None, size_hint: int | None = None,
    ) -> BlobWriter:
        expected = check_sha256(expected_sha256) if expected_sha256 is not None else None
        blobs = self._blobs(account, container)
        if expected is not None and expected in blobs:
            return KnownBlobWriter(expected)
        return _BufferWriter(self, account, container, expected)

    def put_stream(
        self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
        size_hint: int | None = None,
    ) -> StoredBlob:
        return write_all(self.begin_put(account, container, expected_sha256, size_hint), chunks)

    def _publish(self, account: str, container: str, digest: str, data: bytes) -> StoredBlob:
        with self._lock:
            blobs = self._blobs(account, container)
            existed = digest in blobs
            blobs.setdefault(digest, data)
        return StoredBlob(digest, len(data), existed)

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        return self.put_stream(account, container, file_chunks(Path(path)), expected_sha256)

    def exists(self, account: str, container: str, sha256: str) -> bool:
        digest = check_sha256(sha256)
        return digest in self._accounts.get(account, {}).get(container, {})

    def _get(self, account: str, container: str, sha256: str) -> bytes:
        digest = check_sha256(sha256)
        data = self._accounts.get(account, {}).get(container, {}).get(digest)
        if data is None:
            raise blob_not_found(account, container, digest)
        return data

    def size(self, account: str, container: str, sha256: str) -> int:
        return len(self._get(account, container, sha256))

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        data = self._get(account, container, sha256)
        return (data[i : i + chunk_size] for i in range(0, len(data), chunk_size))

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        digest = check_sha256(sha256)
        with self._lock:
            self._accounts.get(account, {}).get(container, {}).pop(digest, None)

    def copy_blob(
        self, source: BlobStore, src_account: str, src_container: str, dst_account: str, dst_container: str,
        sha256: str,
    ) -> StoredBlob:
        return copy_into(self, source, src_account, src_container, dst_account, dst_container, sha256)

    def sweep_partial(self) -> int:
        return 0  # a write is one dict assignment: nothing partial can exist

    # -- accounts and containers ---------------------------------------------------------------

    def ensure_container(self, account: str, container: str) -> None:
        with self._lock:
            self._accounts.setdefault(account, {}).setdefault(container, {})

    def delete_container(self, account: str, container: str) -> None:
        with self._lock:
            self._accounts.get(account, {}).pop(container, None)

    def delete_account(self, account: str) -> None:
        with self._lock:
            self._accounts.pop(account, None)

    def container_exists(self, account: str, container: str) -> bool:
        return container in self._accounts.get(account, {})

    def list_containers(self, account: str) -> Iterator[str]:
        return iter(sorted(self._accounts.get(account, {})))

    def list_accounts(self) -> Iterator[str]:
        return iter(sorted(self._accounts))

    def list_blobs(self, account: str, container: str) -> Iterator[str]:
        with self._lock:
            return iter(sorted(self._accounts.get(account, {}).get(container, {})))



class _BufferWriter:
    """A write held in a buffer until ``commit`` puts it in the dict in one assignment."""

    def __init__(self, store: MemoryBlobStore, account: str, container: str, expected: str | None) -> None:
        self._store = store
        self._where = (account, container)
        self._expected = expected
        self._buffer = bytearray()
        self._digest = hashlib.sha256()
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write after commit or abort")
        self._digest.update(data)
        self._buffer += data

    def commit(self) -> StoredBlob:
        if self._done:
            raise ValueError("commit after commit or abort")
        actual, data = self._digest.hexdigest(), bytes(self._buffer)
        self.abort()
        if self._expected is not None and actual != self._expected:
            raise hash_mismatch(self._expected, actual, len(data))
        return self._store._publish(*self._where, actual, data)

    def abort(self) -> None:
        self._done = True
        self._buffer = bytearray()
