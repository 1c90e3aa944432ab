"""A project's view of its hub's storage: a ``ports.BlobStore`` confined to the containers of one
account whose names start with the project's workspace GUID.

Projects share their hub's storage account (Azure gives each project's identity a conditional
role assignment on the containers prefixed with its GUID, and nothing else). amlite hands a
project's use cases this view instead of the region's store, so a bug or a crafted name that
reaches the adapter with another project's container (or the hub's) is refused at the adapter,
whatever route it came from. Accounts other than the hub's pass through: they are not shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from amlite.domain.blobs import CHUNK_SIZE, StoredBlob
from amlite.domain.errors import AuthorizationFailed
from amlite.ports import BlobStore, BlobWriter


class ProjectStorageView:
    """``store`` as project ``prefix`` may see it inside the shared ``account``."""

    def __init__(self, store: BlobStore, account: str, prefix: str) -> None:
        self._store = store
        self._account = account.lower()
        self._prefix = prefix.lower()
        self.region = store.region

    def _check(self, account: str, container: str) -> None:
        if account.lower() == self._account and not container.lower().startswith(self._prefix):
            raise AuthorizationFailed(
                "ProjectStorageIsolation",
                f"Container '{container}' of the hub's storage account '{account}' belongs to another workspace; a "
                f"project reaches only its own containers (prefixed '{self._prefix}').")

    def begin_put(self, account: str, container: str, expected_sha256: str | None = None,
                  size_hint: int | None = None) -> BlobWriter:
        self._check(account, container)
        return self._store.begin_put(account, container, expected_sha256, size_hint)

    def put_stream(self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
                   size_hint: int | None = None) -> StoredBlob:
        self._check(account, container)
        return self._store.put_stream(account, container, chunks, expected_sha256, size_hint)

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        self._check(account, container)
        return self._store.put_file(account, container, path, expected_sha256)

    def exists(self, account: str, container: str, sha256: str) -> bool:
        self._check(account, container)
        return self._store.exists(account, container, sha256)

    def size(self, account: str, container: str, sha256: str) -> int:
        self._check(account, container)
        return self._store.size(account, container, sha256)

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        self._check(account, container)
        return self._store.open_chunks(account, container, sha256, chunk_size)

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        self._check(account, container)
        self._store.delete_blob(account, container, sha256)

    def copy_blob(self, source: BlobStore, src_account: str, src_container: str, dst_account: str,
                  dst_container: str, sha256: str) -> StoredBlob:
        self._check(dst_account, dst_container)
        if isinstance(source, ProjectStorageView):
            source._check(src_account, src_container)
        self._check(src_account, src_container)
        return self._store.copy_blob(source, src_account, src_container, dst_account, dst_container, sha256)

    def sweep_partial(self) -> int:
        return 0  # the server sweeps the whole store at start; a view never does

    def ensure_container(self, account: str, container: str) -> None:
        self._check(account, container)
        self._store.ensure_container(account, container)

    def list_blobs(self, account: str, container: str) -> Iterator[str]:
        self._check(account, container)
        return self._store.list_blobs(account, container)

    def delete_container(self, account: str, container: str) -> None:
        self._check(account, container)
        self._store.delete_container(account, container)

    def delete_account(self, account: str) -> None:
        if account.lower() == self._account:
            raise AuthorizationFailed("ProjectStorageIsolation",
                                      f"A project cannot delete its hub's storage account '{account}'.")
        self._store.delete_account(account)

    def container_exists(self, account: str, container: str) -> bool:
        self._check(account, container)
        return self._store.container_exists(account, container)

    def list_containers(self, account: str) -> Iterator[str]:
        for name in self._store.list_containers(account):
            if account.lower() != self._account or name.lower().startswith(self._prefix):
                yield name

    def list_accounts(self) -> Iterator[str]:
        return self._store.list_accounts()
