"""What every use case receives besides its arguments: who is calling, and the shared tools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from amlite.domain.rbac import Visibility
from amlite.domain.regions import RegionCatalog
from amlite.ports import BlobStore, IdGenerator, UnitOfWorkFactory


@dataclass(frozen=True)
class Caller:
    """The authenticated principal behind a request, and what the request does: the route's one
    declared action, the scope it was checked at, and the ids that tie it to the audit log."""

    tenant_id: str
    principal_id: str
    name: str
    principal_type: str  # "User" or "ServicePrincipal"
    action: str = ""
    scope: str = ""
    correlation_id: str = ""
    request_id: str = ""
    http_method: str = ""
    client_ip: str = ""
    # Set by list routes: what the caller may see below the listed scope (None: everything).
    visibility: Visibility | None = None

    def acting(self, action: str, scope: str) -> "Caller":
        return replace(self, action=action, scope=scope)

    @property
    def stamp_type(self) -> str:
        """ARM ``systemData`` calls service principals "Application"."""
        return "User" if self.principal_type == "User" else "Application"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class UuidGenerator:
    def new_id(self) -> str:
        return str(uuid.uuid4())


def new_etag(ids: IdGenerator) -> str:
    """ETags are opaque quoted strings, as HTTP writes them."""
    return f'"{ids.new_id()}"'


@dataclass
class Deps:
    """The adapters and tools services share; built once by ``bootstrap``."""

    uow: UnitOfWorkFactory
    clock: SystemClock
    ids: UuidGenerator
    regions: RegionCatalog
    blob_stores: dict[str, BlobStore]
    endpoint: str

    def blobs(self, region: str) -> BlobStore:
        return self.blob_stores[region]
