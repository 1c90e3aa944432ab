"""The ports the services need, as Protocols; adapters live in ``store`` and ``blobs``.

Services receive these through their constructors (``bootstrap`` wires them), so unit tests can
hand them fakes and the services never import an adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A fresh random UUID in canonical lower-case form."""
        ...


class BlobStore(Protocol):
    """Object storage of one region: accounts hold containers, containers hold blobs."""

    region: str

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
    audit: object

    def commit(self) -> None: ...
