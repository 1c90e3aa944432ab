"""Artifact blobs of a workspace: content-addressed files in the workspace's default storage.

A workspace's artifacts live in its storage account's ``azureml-blobstore-<workspaceId>``
container (the container behind its default datastore), in the object storage of the
workspace's region, keyed by sha256. Writing a blob needs no metadata row: the bytes are stored
(atomically, verified against the digest the caller named) before any asset version that refers
to them is committed, so a crash can leave an unreferenced blob but never a reference to a
missing or partial one. Unreferenced blobs are harmless, and dedup makes a retry free.

A registry's blobs live in its ``azureml-registry-<id>`` container in each replication region's
storage account: uploads go to the primary region, the replication workers copy them to the
others, and a read names the caller's region (``callerRegion``) to be served that region's copy
when it is there. A blob is present in a region only once a verified copy was published there
(every adapter publishes atomically), so "present" means "this region's replica is ready".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.blobs import CHUNK_SIZE, StoredBlob, check_sha256
from amlite.domain.errors import Conflict, NotFound, StorageUnavailable
from amlite.ports import BlobStore, BlobWriter, UnitOfWork
from amlite.services.asset_owners import project_storage_prefix, registry_owner
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.registries import require_registry
from amlite.services.scoped_blobs import ProjectStorageView
from amlite.services.workspace_scope import require_workspace, writable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArtifactStorage:
    """Where one workspace's artifact blobs are: a region's store, an account and a container."""

    region: str
    account: str
    container: str
    store: BlobStore


@dataclass(frozen=True)
class BlobDownload:
    """An opened blob: its size and region (for response headers) and its bytes, streamed; from a
    store of local files also the open file, which a server may send with ``sendfile`` instead
    (then it closes ``file`` and never starts ``chunks``)."""

    sha256: str
    size: int
    region: str
    chunks: Iterator[bytes]
    file: BinaryIO | None = None


def open_download(where: ArtifactStorage, digest: str, chunk_size: int = CHUNK_SIZE) -> BlobDownload:
    """The blob ``digest`` of ``where``, opened (a missing blob fails here, before any byte is sent)."""
    open_file = getattr(where.store, "open_file", None)
    if open_file is None:
        size = where.store.size(where.account, where.container, digest)
        return BlobDownload(digest, size, where.region,
                            where.store.open_chunks(where.account, where.container, digest, chunk_size))
    handle: BinaryIO = open_file(where.account, where.container, digest)
    size = os.fstat(handle.fileno()).st_size
    return BlobDownload(digest, size, where.region, _read(handle, chunk_size), handle)


def _read(handle: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    """An open file's bytes, ``chunk_size`` at a time; the file is closed at the end."""
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk


class BlobUpload:
    """A blob upload under way: the store's writer, whose ``commit`` also records the write in the
    audit log. The API pushes the request body into it (``api.streams``)."""

    def __init__(self, writer: BlobWriter, on_commit: Callable[[], None]) -> None:
        self._writer = writer
        self._on_commit = on_commit

    def write(self, data: bytes) -> None:
        self._writer.write(data)

    def commit(self) -> StoredBlob:
        stored = self._writer.commit()
        self._on_commit()
        return stored

    def abort(self) -> None:
        self._writer.abort()


class ArtifactService:
    """Every use case here admits its caller (``Authorizer.admit``) in the one read unit of work
    that finds the owner and its storage; the bytes move outside any transaction; an upload's
    audit entry is its only write. An upload is thus one read and one commit, a download one read."""

    def __init__(self, deps: Deps, authz: Authorizer) -> None:
        self._deps = deps
        self._authz = authz

    def begin_blob(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str,
                   size_hint: int | None = None) -> BlobUpload:
        """Start storing the blob ``sha256``: the caller writes the bytes into the returned upload
        and commits it. Bytes that hash to anything else are refused at commit
        (``BlobHashMismatch``) and store nothing; bytes that are there already store nothing new
        (``existed``)."""
        caller, where = self._storage(caller, sub_id, rg_name, ws_name, writing=True)
        return self._begin(caller, where, sha256, size_hint)

    def _begin(self, caller: Caller, where: ArtifactStorage, sha256: str, size_hint: int | None) -> BlobUpload:
        writer = where.store.begin_put(where.account, where.container, check_sha256(sha256), size_hint)
        return BlobUpload(writer, partial(self._record_upload, caller))

    def _record_upload(self, caller: Caller) -> None:
        with self._deps.uow(write=True) as uow:
            record_write(self._deps, uow, caller)
            uow.commit()

    def blob_size(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str) -> tuple[int, str]:
        """(size, region) of a stored blob; ``BlobNotFound`` when it is not there."""
        _, where = self._storage(caller, sub_id, rg_name, ws_name)
        return where.store.size(where.account, where.container, check_sha256(sha256)), where.region

    def open_blob(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, sha256: str,
                  chunk_size: int = CHUNK_SIZE) -> BlobDownload:
        """The blob, opened for streaming (a missing blob fails here, before any byte is sent)."""
        _, where = self._storage(caller, sub_id, rg_name, ws_name)
        return open_download(where, check_sha256(sha256), chunk_size)

    def storage_for(self, owner: AssetOwner, region: str | None = None) -> ArtifactStorage:
        """Where an owner's blobs are: a workspace's default storage, or a registry's storage in
        ``region`` (default: its primary region)."""
        if owner.regions:
            return self._region_storage(owner, region)
        with self._deps.uow() as uow:
            ws = uow.workspaces.by_key(owner.key)
            if ws is None:
                raise NotFound("ResourceNotFound", f"The workspace '{owner.name}' was not found.")
            return self._default_storage(uow, ws.key, ws.name, ws.location, project_storage_prefix(ws))

    def storage_in(self, uow: UnitOfWork, owner: AssetOwner) -> ArtifactStorage:
        """``storage_for`` (primary region) in an open unit of work, for an owner read in it (the
        read before a write): its default datastore is the only row left to read."""
        if owner.regions:
            return self._region_storage(owner, None)
        return self._default_storage(uow, owner.key, owner.name, owner.location, owner.storage_prefix)

    def _region_storage(self, owner: AssetOwner, region: str | None) -> ArtifactStorage:
        place = owner.region(region) if region else owner.primary
        if place is None:
            raise NotFound("StorageNotFound", f"The {owner.label} '{owner.name}' has no replication region '{region}'.")
        store = self._deps.blob_stores.get(place.region)
        if store is None:
            raise NotFound("StorageNotFound", f"No object storage is configured for region '{place.region}'.")
        return ArtifactStorage(place.region, place.account, place.container, store)

    # -- registries ----------------------------------------------------------------------------

    def begin_registry_blob(self, caller: Caller, sub_id: str, rg_name: str, reg_name: str, sha256: str,
                            size_hint: int | None = None) -> BlobUpload:
        """Start storing a blob in the registry's primary region (replicas follow its asset
        versions), as ``begin_blob``."""
        caller, owner = self._registry(caller, sub_id, rg_name, reg_name)
        if not owner.writable:
            raise Conflict("RegistryBeingDeleted", f"The registry '{owner.name}' is being deleted and cannot be changed.")
        return self._begin(caller, self.storage_for(owner), sha256, size_hint)

    def open_registry_blob(self, caller: Caller, sub_id: str, rg_name: str, reg_name: str, sha256: str,
                           caller_region: str | None = None, chunk_size: int = CHUNK_SIZE) -> BlobDownload:
        """The blob from ``caller_region``'s replica when it is there, else from the primary;
        ``BlobDownload.region`` says which served it."""
        where = self._registry_copy(caller, sub_id, rg_name, reg_name, sha256, caller_region)
        return open_download(where, check_sha256(sha256), chunk_size)

    def registry_blob_size(self, caller: Caller, sub_id: str, rg_name: str, reg_name: str, sha256: str,
                           caller_region: str | None = None) -> tuple[int, str]:
        where = self._registry_copy(caller, sub_id, rg_name, reg_name, sha256, caller_region)
        return where.store.size(where.account, where.container, check_sha256(sha256)), where.region

    def _registry_copy(self, caller: Caller, sub_id: str, rg_name: str, reg_name: str, sha256: str,
                       caller_region: str | None) -> ArtifactStorage:
        _, owner = self._registry(caller, sub_id, rg_name, reg_name)
        digest = check_sha256(sha256)
        region = self._deps.regions.find(caller_region) if caller_region else None
        if region is not None and owner.region(region.name) is not None and region.name != owner.location:
            replica = self.storage_for(owner, region.name)
            try:
                if replica.store.exists(replica.account, replica.container, digest):
                    return replica
            except (StorageUnavailable, OSError) as exc:  # the region's storage is down: the primary still serves
                log.warning("registry %s: region %s cannot serve sha256:%s (%s); serving the primary's copy",
                            owner.name, region.name, digest, exc)
        return self.storage_for(owner)

    def _registry(self, caller: Caller, sub_id: str, rg_name: str, reg_name: str) -> tuple[Caller, AssetOwner]:
        """The admitted caller and the registry, in one read."""
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            return caller, registry_owner(require_registry(uow, caller, sub_id, rg_name, reg_name))

    def _storage(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, *,
                 writing: bool = False) -> tuple[Caller, ArtifactStorage]:
        """The admitted caller and the workspace's artifact storage, in one read."""
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            if writing:
                writable(ws)
            return caller, self._default_storage(uow, ws.key, ws.name, ws.location, project_storage_prefix(ws))

    def _default_storage(self, uow: UnitOfWork, ws_key: str, ws_name: str, location: str,
                         prefix: str) -> ArtifactStorage:
        default = next((ds for ds in uow.datastores.of_workspace(ws_key) if ds.is_default), None)
        if default is None:
            raise NotFound("DatastoreNotFound", f"The workspace '{ws_name}' has no default datastore for its artifacts.")
        store = self._deps.blob_stores.get(location)
        if store is None:
            raise NotFound("StorageNotFound", f"No object storage is configured for region '{location}'.")
        if prefix:  # a project in its hub's shared account: only the project's own containers
            store = ProjectStorageView(store, default.account_name, prefix)
        return ArtifactStorage(location, default.account_name, default.container_name, store)
