"""The storage accounts amlite serves, as Azure Blob Storage clients (azure-storage-blob, under
azure-ai-ml) see them: blobs by path in a container, admitted by a shared access signature.

azure-ai-ml uploads a model's files to ``https://{account}.blob.{storage suffix}/{container}/
LocalUpload/<hash>/...`` before it creates the version, and builds that URL itself from the
datastore's account name. amlite answers there itself rather than through Azurite: the bytes then
land in the owner's own object storage (local directory or Azure Blob, whatever the region uses),
content-addressed as every other artifact, so a version created from them is an ordinary amlite
version (downloadable, shareable, replicated) and nothing else must run beside the server.

The SAS comes from ``listSecrets`` on a workspace's default datastore (Azure's ``expirableSecret``)
or from a registry's ``tempdatarefs``; it names the container and its region (signed), so a blob
request needs no store read to find the bytes. Each blob PUT stores the bytes first, then records
the path in one unit of work: a crash between leaves an unreferenced blob, never a path without
bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.assets import AssetKind, ManifestEntry
from amlite.domain.errors import BlobNotFound, Conflict, invalid
from amlite.domain.storage_paths import (
    ALL_PERMISSIONS,
    MAX_BLOCK_ID,
    MAX_BLOCKS,
    SasGrant,
    StagedBlock,
    StoredPath,
    check_sas,
    sign_sas,
)
from amlite.ports import BlobWriter, UnitOfWork
from amlite.schemas.arm_assets import AssetVersionProperties
from amlite.services.context import Deps

#: The longest a listSecrets SAS lives (Azure ML caps ``expireAfterHours`` too).
MAX_SAS_HOURS = 24
#: A listing answers at most this many blobs (azure-storage-blob pages on with a marker).
MAX_LIST = 5000
#: A workspace datastore path: ``azureml://[subscriptions/../resourcegroups/../workspaces/{ws}/]datastores/{ds}/paths/{path}``.
_DATASTORE_URI = re.compile(r"azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/"
                            r"(?:providers/Microsoft\.MachineLearningServices/)?workspaces/([^/]+)/)?"
                            r"datastores/([^/]+)/paths/(.+)", re.IGNORECASE)


@dataclass(frozen=True)
class ContainerAccess:
    """A container's URL and the SAS that admits a client to it."""

    url: str
    sas: str

    @property
    def sas_url(self) -> str:
        return f"{self.url}?{self.sas}"


class PathUpload:
    """A blob PUT under way: bytes into the region's store, then the path row on commit."""

    def __init__(self, service: "StorageEndpointService", grant: SasGrant, path: str, writer: BlobWriter,
                 content_type: str, metadata: dict[str, str], if_none_match: str | None) -> None:
        self._service, self._grant, self._path, self._writer = service, grant, path, writer
        self._content_type, self._metadata, self._if_none_match = content_type, metadata, if_none_match

    def write(self, data: bytes) -> None:
        self._writer.write(data)

    def commit(self) -> StoredPath:
        stored = self._writer.commit()
        return self._service._record(self._grant, self._path, stored.sha256, stored.size, self._content_type,
                                     self._metadata, self._if_none_match)

    def abort(self) -> None:
        self._writer.abort()


class BlockUpload:
    """A Put Block under way: bytes into the region's store, then the staged block's row on commit."""

    def __init__(self, service: "StorageEndpointService", grant: SasGrant, path: str, block_id: str,
                 writer: BlobWriter) -> None:
        self._service, self._grant, self._path, self._block_id, self._writer = service, grant, path, block_id, writer

    def write(self, data: bytes) -> None:
        self._writer.write(data)

    def commit(self) -> StagedBlock:
        stored = self._writer.commit()
        block = StagedBlock(self._block_id, stored.sha256, stored.size, self._service._deps.clock.now())
        with self._service._deps.uow(write=True) as uow:
            uow.storage_blocks.put(self._grant.account, self._grant.container, self._path, block)
            uow.commit()
        return block

    def abort(self) -> None:
        self._writer.abort()


class StorageEndpointService:
    def __init__(self, deps: Deps, key: bytes, storage_endpoint: str) -> None:
        self._deps = deps
        self._key = key
        self._storage_endpoint = storage_endpoint

    # -- handing out access ------------------------------------------------------------------

    def container_url(self, account: str, container: str) -> str:
        return f"https://{account}.blob.{self._storage_endpoint}/{container}"

    def container_access(self, account: str, container: str, region: str, hours: float = 1.0,
                         permissions: str = ALL_PERMISSIONS) -> ContainerAccess:
        """A container SAS valid for ``hours`` (at most ``MAX_SAS_HOURS``)."""
        if not 0 < hours <= MAX_SAS_HOURS:
            raise invalid("InvalidRequestContent", f"expireAfterHours must be more than 0 and at most {MAX_SAS_HOURS}.",
                          "expireAfterHours")
        expires = self._deps.clock.now() + timedelta(hours=hours)
        return ContainerAccess(self.container_url(account, container),
                               sign_sas(self._key, account, container, region, permissions, expires))

    # -- the blob service ----------------------------------------------------------------------

    def admit(self, account: str, container: str, query: dict[str, str], needed: str) -> SasGrant:
        return check_sas(self._key, account, container, query, needed, self._deps.clock.now())

    def begin_put(self, grant: SasGrant, path: str, content_type: str, metadata: dict[str, str],
                  if_none_match: str | None, size_hint: int | None) -> PathUpload:
        store = self._deps.blobs(grant.region)
        writer = store.begin_put(grant.account, grant.container, None, size_hint)
        return PathUpload(self, grant, _check_path(path), writer, content_type, metadata, if_none_match)

    def begin_block(self, grant: SasGrant, path: str, block_id: str, size_hint: int | None) -> BlockUpload:
        """Put Block: stage one block of ``path`` (azure-storage-blob's upload of a large file)."""
        if not block_id or len(block_id) > MAX_BLOCK_ID:
            raise invalid("InvalidQueryParameterValue", f"blockid must be 1 to {MAX_BLOCK_ID} characters.", "blockid")
        writer = self._deps.blobs(grant.region).begin_put(grant.account, grant.container, None, size_hint)
        return BlockUpload(self, grant, _check_path(path), block_id, writer)

    def commit_blocks(self, grant: SasGrant, path: str, block_ids: list[str], content_type: str,
                      metadata: dict[str, str], if_none_match: str | None) -> StoredPath:
        """Put Block List: the blob becomes the staged blocks in the listed order (a block may
        repeat), stored as one content-addressed blob; the staged blocks are then dropped. A block
        that was not staged refuses the list (``InvalidBlockList``) and changes nothing."""
        path = _check_path(path)
        if not block_ids or len(block_ids) > MAX_BLOCKS:
            raise invalid("InvalidBlockList", f"The block list must name 1 to {MAX_BLOCKS} blocks.")
        with self._deps.uow() as uow:
            staged = uow.storage_blocks.of_path(grant.account, grant.container, path)
        missing = [b for b in block_ids if b not in staged]
        if missing:
            raise invalid("InvalidBlockList", f"The block list names blocks that were not uploaded: {missing[0]}.")
        store = self._deps.blobs(grant.region)
        writer = store.begin_put(grant.account, grant.container, None, sum(staged[b].size for b in block_ids))
        try:
            for block_id in block_ids:
                for chunk in store.open_chunks(grant.account, grant.container, staged[block_id].sha256):
                    writer.write(chunk)
            stored = writer.commit()
        except BaseException:
            writer.abort()
            raise
        item = self._record(grant, path, stored.sha256, stored.size, content_type, metadata, if_none_match)
        with self._deps.uow(write=True) as uow:
            uow.storage_blocks.clear(grant.account, grant.container, path)
            uow.commit()
        return item

    def _record(self, grant: SasGrant, path: str, sha256: str, size: int, content_type: str,
                metadata: dict[str, str], if_none_match: str | None) -> StoredPath:
        d = self._deps
        with d.uow(write=True) as uow:
            existing = uow.storage_paths.get(grant.account, grant.container, path)
            if existing is not None and if_none_match == "*":
                raise Conflict("BlobAlreadyExists", "The specified blob already exists.")
            item = StoredPath(grant.account, grant.container, path, sha256, size, content_type, metadata,
                              f'"0x{d.ids.new_id().replace("-", "")[:16].upper()}"', d.clock.now())
            uow.storage_paths.put(item)
            uow.commit()
        return item

    def properties(self, grant: SasGrant, path: str) -> StoredPath:
        with self._deps.uow() as uow:
            found = uow.storage_paths.get(grant.account, grant.container, path)
        if found is None:
            raise BlobNotFound("BlobNotFound", "The specified blob does not exist.")
        return found

    def open(self, grant: SasGrant, path: str) -> tuple[StoredPath, Iterator[bytes]]:
        found = self.properties(grant, path)
        return found, self._deps.blobs(grant.region).open_chunks(grant.account, grant.container, found.sha256)

    def set_metadata(self, grant: SasGrant, path: str, metadata: dict[str, str]) -> StoredPath:
        d = self._deps
        with d.uow(write=True) as uow:
            found = uow.storage_paths.get(grant.account, grant.container, path)
            if found is None:
                raise BlobNotFound("BlobNotFound", "The specified blob does not exist.")
            changed = replace(found, metadata=metadata, modified_at=d.clock.now(),
                              etag=f'"0x{d.ids.new_id().replace("-", "")[:16].upper()}"')
            uow.storage_paths.put(changed)
            uow.commit()
        return changed

    def list(self, grant: SasGrant, prefix: str) -> list[StoredPath]:
        with self._deps.uow() as uow:
            return uow.storage_paths.under(grant.account, grant.container, prefix, MAX_LIST)

    # -- versions made of uploaded paths ---------------------------------------------------------

    def files_at(self, uow: UnitOfWork, owner: AssetOwner, uri: str) -> tuple[ManifestEntry, ...]:
        """The files a version's URI names when they are in storage amlite serves for ``owner``
        (a workspace's default datastore, by datastore path or blob URL; a registry's own
        container URL); empty otherwise: the version then refers to storage amlite does not hold,
        as before."""
        blob = self._blob_url(uri)
        if owner.is_registry:
            primary = owner.primary
            if blob is None or blob[0] != primary.account.lower() or blob[1] != primary.container:
                return ()
            return self.manifest(*blob)
        if blob is not None:
            served = [(d.account_name.lower(), d.container_name) for d in uow.datastores.of_workspace(owner.key)
                      if d.served_by_amlite]
            return self.manifest(*blob) if blob[:2] in served else ()
        match = _DATASTORE_URI.match(uri)
        if match is None or (match.group(1) and match.group(1).lower() != owner.name.lower()):
            return ()
        ds = uow.datastores.get(owner.key, match.group(2))
        if ds is None or not ds.served_by_amlite:
            return ()
        return self.manifest(ds.account_name, ds.container_name, match.group(3))

    def datastore_files(self, uow: UnitOfWork, owner: AssetOwner, uri: str) -> tuple[ManifestEntry, ...] | None:
        """The files a workspace datastore path names now (possibly none: an empty folder), when
        the path is on a datastore of ``owner`` that amlite serves; ``None`` for any other URI,
        whose bytes amlite does not hold."""
        match = _DATASTORE_URI.fullmatch(uri)
        if owner.is_registry or match is None or (match.group(1) and match.group(1).lower() != owner.name.lower()):
            return None
        ds = uow.datastores.get(owner.key, match.group(2))
        if ds is None or not ds.served_by_amlite:
            return None
        return self.manifest(ds.account_name, ds.container_name, match.group(3))

    def _blob_url(self, uri: str) -> tuple[str, str, str] | None:
        """(account, container, path) of a blob URL of the storage amlite serves; ``None`` for any
        other URI."""
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
        account = host.split(".", 1)[0]
        if parts.scheme != "https" or host != f"{account}.blob.{self._storage_endpoint.split(':')[0]}":
            return None
        container, _, path = parts.path.lstrip("/").partition("/")
        return account, container, unquote(path)

    def manifest(self, account: str, container: str, path: str) -> tuple[ManifestEntry, ...]:
        """The files a datastore path names: the blob itself, or every blob under it as a folder
        (names relative to it); empty when nothing is there."""
        path = path.strip("/")
        with self._deps.uow() as uow:
            exact = uow.storage_paths.get(account.lower(), container, path)
            if exact is not None:
                return (ManifestEntry(path=path.rsplit("/", 1)[-1], sha256=exact.sha256, size=exact.size),)
            under = uow.storage_paths.under(account.lower(), container, path + "/", MAX_LIST)
        return tuple(ManifestEntry(path=p.path[len(path) + 1:], sha256=p.sha256, size=p.size) for p in under)


def uploaded_uri(kind: AssetKind, props: AssetVersionProperties) -> str | None:
    """The URI of a version's files as the client sent it (``modelUri``, ``dataUri``, a build's
    ``contextUri``), if any."""
    if kind is AssetKind.ENVIRONMENTS:
        return props.build.context_uri if props.build is not None else None
    return {AssetKind.MODELS: props.model_uri, AssetKind.DATA: props.data_uri}.get(kind, props.code_uri)


def spec_uri(kind: AssetKind, spec: dict[str, Any]) -> str | None:
    """The URI of a version's files as its stored spec holds it (``modelUri``, ``dataUri``, a
    build's ``contextUri``, ``codeUri``), if any."""
    if kind is AssetKind.ENVIRONMENTS:
        build = spec.get("build")
        uri = build.get("contextUri") if isinstance(build, dict) else None
    else:
        uri = spec.get({AssetKind.MODELS: "modelUri", AssetKind.DATA: "dataUri"}.get(kind, "codeUri"))
    return uri if isinstance(uri, str) else None


def is_datastore_path(uri: str) -> bool:
    """``azureml://[.../workspaces/{ws}/]datastores/{ds}/paths/{path}``."""
    return _DATASTORE_URI.fullmatch(uri) is not None


def normal_uri(uri: str) -> str:
    """A workspace datastore path in its short form (``azureml://datastores/{ds}/paths/{path}``):
    azure-ai-ml sends the long form at create and the short one back (archive), one content."""
    match = _DATASTORE_URI.fullmatch(uri)
    return f"azureml://datastores/{match.group(2)}/paths/{match.group(3)}" if match else uri


def with_uploaded_uri(kind: AssetKind, spec: dict[str, Any], uri: str) -> dict[str, Any]:
    out = dict(spec)
    if kind is AssetKind.ENVIRONMENTS:
        out["build"] = {**out["build"], "contextUri": uri}
    else:
        out[{AssetKind.MODELS: "modelUri", AssetKind.DATA: "dataUri"}.get(kind, "codeUri")] = uri
    return out


def without_uploaded_uri(kind: AssetKind, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec of a version with files, without the path they were uploaded to: where that path
    means nothing (a workspace's datastore, in a registry), the owner's derived URI names them."""
    out = dict(spec)
    if kind is AssetKind.ENVIRONMENTS:
        if isinstance(out.get("build"), dict):
            out["build"] = {k: v for k, v in out["build"].items() if k != "contextUri"}
    else:
        out.pop({AssetKind.MODELS: "modelUri", AssetKind.DATA: "dataUri"}.get(kind, "codeUri"), None)
    return out


def _check_path(path: str) -> str:
    if not path or len(path) > 1024 or path.startswith("/") or any(ord(c) < 32 for c in path):
        raise invalid("InvalidUri", "The blob name is not valid: 1 to 1024 characters, no control characters.")
    return path
