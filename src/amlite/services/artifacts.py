"""Artifact blobs of a workspace: content-addressed files in the workspace's default storage.

A workspace's artifacts live in its storage account's ``azureml-blobstore-<workspaceId>``
container (the container behind its default datastore), in the object storage of the
workspace's region, keyed by sha256. Writing a blob needs no metadata row: the bytes are stored
(atomically, verified against the digest the caller named) before any asset version that refers
to them is committed, so a crash can leave an unreferenced blob but never a reference to a
missing or partial one. Unreferenced blobs are harmless, and dedup makes a retry free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from amlite.domain.blobs import CHUNK_SIZE, StoredBlob, check_sha256
from amlite.domain.errors import NotFound
from amlite.domain.resources import Workspace
from amlite.ports import BlobStore
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.workspace_scope import require_workspace, writable


@dataclass(frozen=True)
class ArtifactStorage:
    """Where one workspace's artifact blobs are: a region's store, an account and a container."""

    region: str
    account: str
    container: str
    store: BlobStore


@dataclass(frozen=True)
class BlobDownload:
    """An opened blob: its size and region (for response headers) and its bytes, streamed."""

    sha256: str
    size: int
    region: str
    chunks: Iterator[bytes]


class ArtifactService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def put_blob(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str,
                 chunks: Iterable[bytes], size_hint: int | None = None) -> StoredBlob:
        """Store the bytes ``chunks`` yields as the blob ``sha256``; bytes that hash to anything
        else are refused (``BlobHashMismatch``) and store nothing. Storing bytes that are there
        already stores nothing new (``existed``)."""
        where = self._storage(caller, sub_id, rg_name, ws_name, writing=True)
        digest = check_sha256(sha256)
        stored = where.store.put_stream(where.account, where.container, chunks, digest, size_hint)
        with self._deps.uow(write=True) as uow:
            record_write(self._deps, uow, caller)
            uow.commit()
        return stored

    def blob_size(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str) -> tuple[int, str]:
        """(size, region) of a stored blob; ``BlobNotFound`` when it is not there."""
        where = self._storage(caller, sub_id, rg_name, ws_name)
        return where.store.size(where.account, where.container, check_sha256(sha256)), where.region

    def open_blob(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str,
                  chunk_size: int = CHUNK_SIZE) -> BlobDownload:
        """The blob, opened for streaming (a missing blob fails here, before any byte is sent)."""
        where = self._storage(caller, sub_id, rg_name, ws_name)
        digest = check_sha256(sha256)
        size = where.store.size(where.account, where.container, digest)
        chunks = where.store.open_chunks(where.account, where.container, digest, chunk_size)
        return BlobDownload(digest, size, where.region, chunks)

    def storage_of(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> ArtifactStorage:
        """The workspace's artifact storage, for other use cases (asset versions) that write blobs."""
        return self._storage(caller, sub_id, rg_name, ws_name)

    def _storage(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, *, writing: bool = False) -> ArtifactStorage:
        with self._deps.uow() as opened:
            uow: Any = opened  # repositories are typed by their adapters, not by the port
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            if writing:
                writable(ws)
            return self._default_storage(uow, ws)

    def _default_storage(self, uow: Any, ws: Workspace) -> ArtifactStorage:
        default = next((ds for ds in uow.datastores.of_workspace(ws.key) if ds.is_default), None)
        if default is None:
            raise NotFound("DatastoreNotFound", f"The workspace '{ws.name}' has no default datastore for its artifacts.")
        store = self._deps.blob_stores.get(ws.location)
        if store is None:
            raise NotFound("StorageNotFound", f"No object storage is configured for region '{ws.location}'.")
        return ArtifactStorage(ws.location, default.account_name, default.container_name, store)
