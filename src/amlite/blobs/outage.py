"""A region's blob store that can be failed for an outage drill (domain/outages.py).

``DrillableBlobStore`` wraps the region's real adapter and asks ``is_failed(region)`` before
every call: while the region is failed, every read, write, copy and container change raises the
``StorageUnavailable`` Azure Storage's 503 maps to, and nothing reaches the adapter, so nothing
changes. A copy out of a failed region is refused the same way. ``sweep_partial`` is local
cleanup at start and always runs. Anything else is the wrapped adapter's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from amlite.domain.blobs import CHUNK_SIZE, StoredBlob
from amlite.domain.outages import storage_unavailable
from amlite.ports import BlobStore, BlobWriter


class DrillableBlobStore:
    def __init__(self, inner: BlobStore, is_failed: Callable[[str], bool]) -> None:
        self.inner = inner
        self.region = inner.region
        self._is_failed = is_failed

    def _check(self, region: str | None = None) -> None:
        region = region or self.region
        if self._is_failed(region):
            raise storage_unavailable(region)

    def begin_put(self, account: str, container: str, expected_sha256: str | None = None,
                  size_hint: int | None = None) -> BlobWriter:
        self._check()
        return self.inner.begin_put(account, container, expected_sha256, size_hint)

    def put_stream(self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
                   size_hint: int | None = None) -> StoredBlob:
        self._check()
        return self.inner.put_stream(account, container, chunks, expected_sha256, size_hint)

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        self._check()
        return self.inner.put_file(account, container, path, expected_sha256)

    def exists(self, account: str, container: str, sha256: str) -> bool:
        self._check()
        return self.inner.exists(account, container, sha256)

    def size(self, account: str, container: str, sha256: str) -> int:
        self._check()
        return self.inner.size(account, container, sha256)

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        self._check()
        return self.inner.open_chunks(account, container, sha256, chunk_size)

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        self._check()
        self.inner.delete_blob(account, container, sha256)

    def copy_blob(self, source: BlobStore, src_account: str, src_container: str, dst_account: str,
                  dst_container: str, sha256: str) -> StoredBlob:
        self._check()
        self._check(source.region)
        origin = source.inner if isinstance(source, DrillableBlobStore) else source  # keeps hard links local
        return self.inner.copy_blob(origin, src_account, src_container, dst_account, dst_container, sha256)

    def sweep_partial(self) -> int:
        return self.inner.sweep_partial()

    def ensure_container(self, account: str, container: str) -> None:
        self._check()
        self.inner.ensure_container(account, container)

    def delete_container(self, account: str, container: str) -> None:
        self._check()
        self.inner.delete_container(account, container)

    def delete_account(self, account: str) -> None:
        self._check()
        self.inner.delete_account(account)

    def container_exists(self, account: str, container: str) -> bool:
        self._check()
        return self.inner.container_exists(account, container)

    def list_containers(self, account: str) -> Iterator[str]:
        self._check()
        return self.inner.list_containers(account)

    def list_accounts(self) -> Iterator[str]:
        self._check()
        return self.inner.list_accounts()

    def __getattr__(self, name: str) -> Any:  # an adapter's own extras (a local store's root, ...)
        return getattr(self.inner, name)
