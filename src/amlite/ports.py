"""The ports the services need, as Protocols; adapters live in ``store`` and ``blobs``.

Services receive these through their constructors (``bootstrap`` wires them), so unit tests can
hand them fakes and the services never import an adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from amlite.domain.blobs import CHUNK_SIZE, StoredBlob


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A fresh random UUID in canonical lower-case form."""
        ...


class BlobStore(Protocol):
    """Object storage of one region: accounts hold containers, containers hold blobs.

    Blobs are content-addressed: a blob's name is the sha256 of its bytes (key layout in
    ``amlite.domain.blobs``), so equal bytes are stored once (``StoredBlob.existed`` says so).
    Every write streams in constant memory, hashes while it writes, and is atomic: the bytes
    become visible under their key only once complete and verified, so an interrupted or refused
    write (``BlobHashMismatch``) leaves nothing under any key. Missing blobs and containers raise
    ``BlobNotFound``; failures of the storage service itself raise ``StorageUnavailable``.
    """

    region: str

    # -- blobs -------------------------------------------------------------------------------

    def put_stream(
        self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
        size_hint: int | None = None,
    ) -> StoredBlob:
        """Store the bytes ``chunks`` yields. With ``expected_sha256`` the bytes must hash to it or
        nothing is stored (``BlobHashMismatch``); an exception raised by ``chunks`` propagates and
        likewise stores nothing. ``size_hint`` lets an adapter pick its block size."""
        ...

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        """Store a local file's bytes, as ``put_stream``."""
        ...

    def exists(self, account: str, container: str, sha256: str) -> bool: ...

    def size(self, account: str, container: str, sha256: str) -> int:
        """The blob's size in bytes; ``BlobNotFound`` if it is missing."""
        ...

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's bytes, ``chunk_size`` at a time. The blob is opened before this returns, so
        a missing blob raises ``BlobNotFound`` here rather than from the first ``next()``."""
        ...

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        """Remove a blob; idempotent."""
        ...

    def copy_blob(
        self, source: BlobStore, src_account: str, src_container: str, dst_account: str, dst_container: str,
        sha256: str,
    ) -> StoredBlob:
        """Stream a blob from another store (or this one) into this store, verifying its digest on
        the way: a corrupted source is refused as ``BlobHashMismatch`` and stores nothing."""
        ...

    def sweep_partial(self) -> int:
        """Remove what interrupted writes left behind (temporary files or objects); returns how
        many. ``bootstrap`` calls it at every start, before any write can be in flight."""
        ...

    # -- accounts and containers -------------------------------------------------------------

    def ensure_container(self, account: str, container: str) -> None:
        """Create the container if it is missing; idempotent."""
        ...

    def delete_container(self, account: str, container: str) -> None:
        """Remove the container and everything in it; idempotent."""
        ...

    def delete_account(self, account: str) -> None:
        """Remove a storage account with all its containers; idempotent."""
        ...

    def container_exists(self, account: str, container: str) -> bool: ...

    def list_containers(self, account: str) -> Iterator[str]: ...

    def list_accounts(self) -> Iterator[str]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> AbstractContextManager["UnitOfWork"]:
        """Open a unit of work; ``write=True`` takes the write lock at the start (SQLite's
        ``BEGIN IMMEDIATE``) so that a read-then-write use case never fails halfway on a lock."""
        ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that work inside it. Leaving the context without
    ``commit()`` rolls everything back."""

    tenants: object
    principals: object
    subscriptions: object
    providers: object
    resource_groups: object
    resources: object
    workspaces: object
    datastores: object
    operations: object
    role_assignments: object
    role_definitions: object
    group_members: object
    audit: object

    def commit(self) -> None: ...
