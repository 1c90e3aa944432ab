"""BlobStore on Azure Blob Storage through the Azure SDK (``azure-storage-blob``); tested on Azurite.

Mapping (Azure container names allow 3–63 lower-case letters, digits and hyphens, too few for an
amlite account and container side by side: ``azureml-blobstore-<guid>`` alone is 54):

- an amlite storage account ``A`` is the Azure container ``{container_prefix}{A}`` (prefix
  ``amlite-`` by default, so one Azure storage account can host amlite next to other things, and
  several regions or test runs can share one account with prefixes of their own);
- an amlite container ``C`` is the blob prefix ``C/`` in it, made to exist by a marker blob
  ``.containers/C`` (so listing containers is one listing call, and a container is gone the
  moment its marker is, even if deleting its blobs is interrupted);
- a blob is ``C/sha256/<aa>/<bb>/<hexdigest>``.

Writes are atomic through Azure's block blobs: the bytes are staged as uncommitted blocks, which
no reader can see, and the block list is committed (with ``If-None-Match: *``, so a concurrent
upload of the same bytes is a dedup, not an overwrite) only after the last byte was hashed and
the digest checked. An interrupted or refused upload leaves only uncommitted blocks, which Azure
discards after a week or when the next upload of the same key commits. Block ids carry a random
upload id, so two uploads of one key never mix blocks; they all have the same length, as Azure
requires of the blocks of one blob. When the caller does not know the digest, the blocks are
committed under ``.partial/<uuid>`` and server-side copied to their key once it is known;
``sweep_partial`` removes such temporary blobs older than a grace period (other servers may
share the account, so a young one may be in use).

Vendor errors leave this module as domain errors: missing blobs and containers as
``BlobNotFound``, everything else from Azure as ``StorageUnavailable``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import BlobBlock, BlobServiceClient, ContainerClient

from amlite.blobs._stream import KnownBlobWriter, copy_into, file_chunks, hash_file, rechunk, write_all
from amlite.domain.blobs import (
    CHUNK_SIZE,
    StoredBlob,
    blob_key,
    blob_not_found,
    check_sha256,
    container_not_found,
    hash_mismatch,
    is_digest,
)
from amlite.domain.errors import StorageUnavailable
from amlite.ports import BlobStore, BlobWriter

log = logging.getLogger(__name__)

_MARKERS = ".containers/"
_PARTIAL = ".partial/"
_AZURE_CONTAINER = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")
_MAX_BLOCKS = 50_000
MiB = 1 << 20


class AzureBlobStore:
    def __init__(
        self, region: str, *, connection_string: str | None = None, account_url: str | None = None,
        account_key: str | None = None, container_prefix: str = "amlite-", block_size: int = 4 * MiB,
        max_concurrency: int = 4, partial_grace: timedelta = timedelta(hours=1),
    ) -> None:
        """Either ``connection_string`` or ``account_url`` (with ``account_key``; the account name
        is the URL's first label, or its first path segment for emulators like Azurite)."""
        self.region = region
        self.prefix = container_prefix
        self.block_size = block_size
        self.max_concurrency = max(1, max_concurrency)
        self.partial_grace = partial_grace
        options: dict[str, Any] = {"max_single_get_size": 4 * MiB, "max_chunk_get_size": 4 * MiB}
        if connection_string:
            self._service = BlobServiceClient.from_connection_string(connection_string, **options)
        elif account_url:
            credential = {"account_name": _account_name(account_url), "account_key": account_key} if account_key else None
            self._service = BlobServiceClient(account_url, credential=credential, **options)
        else:
            raise ValueError("AzureBlobStore needs a connection_string or an account_url")
        self.endpoint = self._service.url

    # -- names ---------------------------------------------------------------------------------

    def _azure_container(self, account: str) -> ContainerClient:
        name = f"{self.prefix}{account}"
        if not _AZURE_CONTAINER.fullmatch(name):
            raise ValueError(f"invalid storage name {account!r}: '{name}' is not a valid Azure container name")
        return self._service.get_container_client(name)

    @staticmethod
    def _check(container: str) -> str:
        if not container or "/" in container or "\\" in container or container.startswith("."):
            raise ValueError(f"invalid storage name {container!r}")
        return container

    def _key(self, container: str, sha256: str) -> str:
        return f"{self._check(container)}/{blob_key(sha256)}"

    # -- blobs ---------------------------------------------------------------------------------

    def begin_put(
        self, account: str, container: str, expected_sha256: str | None = None, size_hint: int | None = None,
    ) -> BlobWriter:
        expected = check_sha256(expected_sha256) if expected_sha256 is not None else None
        client = self._azure_container(account)
        if not self.container_exists(account, container):
            raise container_not_found(account, container)
        if expected is not None:
            if self.exists(account, container, expected):
                return KnownBlobWriter(expected)
            name = self._key(container, expected)
        else:
            name = f"{_PARTIAL}{uuid.uuid4().hex}"
        block_size = self.block_size
        if size_hint:
            block_size = max(block_size, -(-size_hint // (_MAX_BLOCKS - 1000)))
        return _BlockWriter(self, client, client.get_blob_client(name), account, container, expected, block_size)

    def put_stream(
        self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
        size_hint: int | None = None,
    ) -> StoredBlob:
        return write_all(self.begin_put(account, container, expected_sha256, size_hint), chunks)

    def _stage_block(self, blob: Any, block_id: str, data: bytes, account: str, container: str) -> None:
        with self._translate(account, container):
            blob.stage_block(block_id, data, length=len(data))

    def _commit(self, blob: Any, blocks: list[BlobBlock], digest: str, size: int) -> StoredBlob:
        try:
            blob.commit_block_list(blocks, metadata={"sha256": digest}, if_none_match="*")
        except (ResourceExistsError, ResourceModifiedError):
            return StoredBlob(digest, size, existed=True)  # the same bytes landed meanwhile
        return StoredBlob(digest, size, existed=False)

    def _copy_to_key(self, client: ContainerClient, temp: Any, container: str, digest: str, size: int,
                     account: str) -> StoredBlob:
        target = client.get_blob_client(self._key(container, digest))
        with self._translate(account, container):
            if target.exists():
                return StoredBlob(digest, size, existed=True)
            target.start_copy_from_url(temp.url, metadata={"sha256": digest})
            deadline = time.monotonic() + 3600
            while (status := target.get_blob_properties().copy.status) == "pending" and time.monotonic() < deadline:
                time.sleep(0.2)
        if status != "success":
            raise StorageUnavailable("StorageError", f"Copying blob sha256:{digest} into place ended '{status}'.")
        return StoredBlob(digest, size, existed=False)

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        """Hashes the file first when no digest is given, so the blocks go straight to their key."""
        path = Path(path)
        size = path.stat().st_size
        if expected_sha256 is None:
            expected_sha256, size = hash_file(path)
        return self.put_stream(account, container, file_chunks(path), expected_sha256, size_hint=size)

    def exists(self, account: str, container: str, sha256: str) -> bool:
        blob = self._azure_container(account).get_blob_client(self._key(container, sha256))
        with self._translate(account, container):
            return bool(blob.exists())

    def size(self, account: str, container: str, sha256: str) -> int:
        blob = self._azure_container(account).get_blob_client(self._key(container, sha256))
        with self._translate(account, container, sha256):
            return int(blob.get_blob_properties().size)

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        blob = self._azure_container(account).get_blob_client(self._key(container, sha256))
        with self._translate(account, container, sha256):
            downloader = blob.download_blob(max_concurrency=1)
        return self._read(downloader, chunk_size, account, container, sha256)

    def _read(self, downloader: Any, chunk_size: int, account: str, container: str, sha256: str) -> Iterator[bytes]:
        with self._translate(account, container, sha256):
            yield from rechunk(downloader.chunks(), chunk_size)

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        blob = self._azure_container(account).get_blob_client(self._key(container, sha256))
        with self._translate(account, container):
            try:
                blob.delete_blob()
            except ResourceNotFoundError:
                pass

    def copy_blob(
        self, source: BlobStore, src_account: str, src_container: str, dst_account: str, dst_container: str,
        sha256: str,
    ) -> StoredBlob:
        return copy_into(self, source, src_account, src_container, dst_account, dst_container, sha256)

    def sweep_partial(self) -> int:
        """Remove temporary blobs older than the grace period (uncommitted blocks need no sweep:
        Azure discards them itself)."""
        cutoff = datetime.now(timezone.utc) - self.partial_grace
        removed = 0
        for account in self.list_accounts():
            client = self._azure_container(account)
            with self._translate(account, ""):
                for item in client.list_blobs(name_starts_with=_PARTIAL):
                    if item.last_modified is not None and item.last_modified > cutoff:
                        continue
                    try:
                        client.delete_blob(item.name)
                    except ResourceNotFoundError:
                        continue
                    removed += 1
                    log.info("removed the partial upload %s/%s", client.container_name, item.name)
        return removed

    # -- accounts and containers ---------------------------------------------------------------

    def ensure_container(self, account: str, container: str) -> None:
        client = self._azure_container(account)
        marker = _MARKERS + self._check(container)
        with self._translate(account, container):
            try:
                client.create_container()
            except ResourceExistsError:
                pass
            client.upload_blob(marker, b"", overwrite=True)

    def delete_container(self, account: str, container: str) -> None:
        """The marker goes first, so the container is gone at once; its blobs follow, and a rerun
        after an interruption finishes the job."""
        client = self._azure_container(account)
        marker = _MARKERS + self._check(container)
        with self._translate(account, container):
            try:
                client.delete_blob(marker)
            except ResourceNotFoundError:
                pass
            try:
                for item in client.list_blobs(name_starts_with=f"{container}/"):
                    try:
                        client.delete_blob(item.name)
                    except ResourceNotFoundError:
                        pass
            except ResourceNotFoundError:
                pass  # the whole account is gone

    def delete_account(self, account: str) -> None:
        client = self._azure_container(account)
        with self._translate(account, ""):
            try:
                client.delete_container()
            except ResourceNotFoundError:
                pass

    def container_exists(self, account: str, container: str) -> bool:
        marker = self._azure_container(account).get_blob_client(_MARKERS + self._check(container))
        with self._translate(account, container):
            return bool(marker.exists())

    def list_containers(self, account: str) -> Iterator[str]:
        client = self._azure_container(account)
        with self._translate(account, ""):
            try:
                names = [item.name[len(_MARKERS):] for item in client.list_blobs(name_starts_with=_MARKERS)]
            except ResourceNotFoundError:
                names = []
        return iter(sorted(names))

    def list_blobs(self, account: str, container: str) -> Iterator[str]:
        client = self._azure_container(account)
        prefix = f"{self._check(container)}/sha256/"
        with self._translate(account, container):
            try:
                names = [item.name.rsplit("/", 1)[1] for item in client.list_blobs(name_starts_with=prefix)]
            except ResourceNotFoundError:
                names = []
        return iter(sorted(n for n in names if is_digest(n)))

    def list_accounts(self) -> Iterator[str]:
        with self._translate("", ""):
            names = [c.name[len(self.prefix):] for c in self._service.list_containers(name_starts_with=self.prefix)]
        return iter(sorted(names))

    # -- errors --------------------------------------------------------------------------------

    @contextmanager
    def _translate(self, account: str, container: str, sha256: str | None = None) -> Iterator[None]:
        """Azure's exceptions in, domain errors out."""
        try:
            yield
        except ResourceNotFoundError as exc:
            if sha256 is not None and getattr(exc, "error_code", None) == "BlobNotFound":
                raise blob_not_found(account, container, sha256) from None
            raise container_not_found(account, container) from None
        except ClientAuthenticationError as exc:
            raise StorageUnavailable(
                "StorageAuthenticationFailed", f"Azure Blob Storage at {self.endpoint} refused our credentials: {_first_line(exc)}"
            ) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise StorageUnavailable(
                "StorageUnavailable", f"Azure Blob Storage at {self.endpoint} cannot be reached: {_first_line(exc)}"
            ) from None
        except HttpResponseError as exc:
            raise StorageUnavailable(
                "StorageError", f"Azure Blob Storage answered {exc.status_code} {getattr(exc, 'error_code', None)}: {_first_line(exc)}"
            ) from None
        except AzureError as exc:
            raise StorageUnavailable("StorageError", f"Azure Blob Storage failed: {_first_line(exc)}") from None


class _BlockWriter:
    """A write staged as uncommitted blocks of ``block_size`` (the last may be shorter), a few in
    flight at once on a pool of its own, hashed as they pass; ``commit`` commits the block list
    (see the module docstring). ``abort`` only stops staging: uncommitted blocks are invisible,
    and Azure discards them itself."""

    def __init__(self, store: AzureBlobStore, client: ContainerClient, blob: Any, account: str, container: str,
                 expected: str | None, block_size: int) -> None:
        self._store = store
        self._client = client
        self._blob = blob
        self._where = (account, container)
        self._expected = expected
        self._block_size = block_size
        self._upload = uuid.uuid4().hex
        self._digest = hashlib.sha256()
        self._size = 0
        self._buffer = bytearray()
        self._blocks: list[BlobBlock] = []
        self._in_flight: deque[Future[Any]] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write after commit or abort")
        self._digest.update(data)
        self._size += len(data)
        if not self._buffer and len(data) == self._block_size:
            self._stage(data)  # a whole block as it came: no copy
            return
        self._buffer += data
        while len(self._buffer) >= self._block_size:
            block = bytes(self._buffer[: self._block_size])
            del self._buffer[: self._block_size]
            self._stage(block)

    def _stage(self, data: bytes) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._store.max_concurrency, thread_name_prefix="azure-stage")
        block_id = f"{self._upload}-{len(self._blocks):08d}"  # same length for every block
        self._blocks.append(BlobBlock(block_id=block_id))
        self._in_flight.append(self._pool.submit(self._store._stage_block, self._blob, block_id, data, *self._where))
        while len(self._in_flight) >= self._store.max_concurrency:
            self._in_flight.popleft().result()

    def commit(self) -> StoredBlob:
        if self._done:
            raise ValueError("commit after commit or abort")
        try:
            if self._buffer:
                self._stage(bytes(self._buffer))
                self._buffer = bytearray()
            while self._in_flight:
                self._in_flight.popleft().result()
            digest, size = self._digest.hexdigest(), self._size
            if self._expected is not None and digest != self._expected:
                raise hash_mismatch(self._expected, digest, size)  # the staged blocks are never committed
            store, blob, (account, container) = self._store, self._blob, self._where
            with store._translate(account, container):
                if self._expected is not None:
                    return store._commit(blob, self._blocks, digest, size)
                blob.commit_block_list(self._blocks)
            try:
                return store._copy_to_key(self._client, blob, container, digest, size, account)
            finally:
                with store._translate(account, container):
                    try:
                        blob.delete_blob()
                    except ResourceNotFoundError:
                        pass
        finally:
            self.abort()

    def abort(self) -> None:
        self._done = True
        self._buffer = bytearray()
        for future in self._in_flight:
            future.cancel()
        self._in_flight.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)  # a block being staged finishes; no thread outlives the write


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _account_name(account_url: str) -> str:
    """``https://acct.blob.core.windows.net`` → ``acct``; ``http://127.0.0.1:10000/acct`` → ``acct``."""
    parts = urlsplit(account_url)
    path = parts.path.strip("/")
    host = parts.hostname or ""
    if path and (host.replace(".", "").isdigit() or host == "localhost"):
        return path.split("/")[0]
    return host.split(".")[0]
