"""What every use case receives besides its arguments: who is calling, and the shared tools."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from amlite.domain.errors import AuthenticationFailed
from amlite.domain.rbac import Visibility
from amlite.domain.regions import RegionCatalog
from amlite.ports import BlobStore, Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory


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
    # False while only the token vouches for the caller: the principal's existence (and its name)
    # and the route's action are then checked by the use case in its own unit of work
    # (``Authorizer.admit``). Nothing reads or writes the store for a caller not admitted.
    admitted: bool = True
    # The job whose token this is (``TokenClaims.job_key``): the caller is admitted only while it runs.
    job_key: str | None = None

    def acting(self, action: str, scope: str) -> "Caller":
        return replace(self, action=action, scope=scope)

    @property
    def stamp_type(self) -> str:
        """ARM ``systemData`` calls service principals "Application"."""
        return "User" if self.principal_type == "User" else "Application"


def admit_principal(uow: UnitOfWork, caller: Caller) -> Caller:
    """The caller with its principal checked against the store and its sign-in name filled in;
    a principal deleted since its token was issued is a 401."""
    principal = uow.principals.get(caller.principal_id)
    if principal is None:
        raise AuthenticationFailed("InvalidAuthenticationToken", "The principal of this access token no longer exists.")
    check_job_token(uow, caller)
    return replace(caller, principal_id=principal.id, name=principal.sign_in_name, admitted=True)


def check_job_token(uow: UnitOfWork, caller: Caller) -> None:
    """A job's token (``Caller.job_key``) outlives the hour of a user's, so it is honoured only
    while its job has not ended: afterwards (or once the job is gone) it is a 401."""
    if caller.job_key is None:
        return
    job = uow.jobs.by_key(caller.job_key)
    if job is None or job.status.is_terminal or job.submitted_by != caller.principal_id:
        raise AuthenticationFailed("ExpiredAuthenticationToken",
                                   "This access token was a job's, and the job has ended.")


def require_admitted(caller: Caller) -> None:
    """The backstop: a caller only the token vouches for must be admitted before anything is read
    or written on its behalf."""
    if not caller.admitted:
        raise RuntimeError(f"the caller of '{caller.action}' was not admitted before the store was used")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that moves only when told (``advance``): rules that depend on time (leases,
    backoffs, token expiry, sign-in windows) are tested without waiting. Safe to read from the
    engine's heartbeat thread while a test advances it."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, tzinfo=timezone.utc)) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time is timezone-aware UTC")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move on by ``seconds`` (never backwards); returns the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


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
    clock: Clock
    ids: IdGenerator
    regions: RegionCatalog
    blob_stores: dict[str, BlobStore]
    endpoint: str

    def blobs(self, region: str) -> BlobStore:
        return self.blob_stores[region]
