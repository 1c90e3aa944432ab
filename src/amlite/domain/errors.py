"""The one error tree of amlite.

Every failure a user can cause or meet is an ``AmliteError`` with a stable ARM error code. The
domain and the services raise these and know nothing of HTTP; ``amlite.api.errors`` maps each
class to a status code once, and the SDK rebuilds typed errors from the code.

    AmliteError
    ├── InvalidInput                    400  (bad name, bad body, bad location, ...)
    │   ├── MissingApiVersion           400  MissingApiVersionParameter
    │   ├── InvalidApiVersion           400  InvalidApiVersionParameter
    │   └── BlobHashMismatch            400  BlobHashMismatch (uploaded bytes are not the named digest)
    ├── UnsupportedMediaType            415
    ├── AuthenticationFailed            401  (and its token-specific codes)
    ├── AuthorizationFailed             403
    ├── NotFound                        404  (ResourceGroupNotFound, ResourceNotFound, ...)
    │   └── BlobNotFound                404  BlobNotFound, ContainerNotFound
    ├── Conflict                        409  (duplicates, non-empty groups, state conflicts)
    ├── PreconditionFailed              412  (If-Match / If-None-Match)
    ├── NotImplementedYet               501  (an advertised service amlite does not serve yet)
    └── StorageUnavailable              503  (object storage cannot be reached or refused us)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an ARM error's ``details`` list."""

    code: str
    message: str
    target: str | None = None


@dataclass
class AmliteError(Exception):
    """Root of every error a user can see; ``code`` is the stable ARM error code."""

    code: str
    message: str
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, f"({self.code}) {self.message}")

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"


class InvalidInput(AmliteError):
    """The request is malformed or breaks a rule of the resource model."""


class MissingApiVersion(InvalidInput):
    pass


class InvalidApiVersion(InvalidInput):
    pass


class BlobHashMismatch(InvalidInput):
    """Bytes written under a digest hash to something else; the write stored nothing."""


class UnsupportedMediaType(AmliteError):
    pass


class AuthenticationFailed(AmliteError):
    pass


class AuthorizationFailed(AmliteError):
    pass


class DisallowedByPolicy(AmliteError):
    """A resource breaks an enforced policy assignment at its scope (``RequestDisallowedByPolicy``,
    403 as Azure answers it; see ``domain.policies``)."""


class NotFound(AmliteError):
    pass


class BlobNotFound(NotFound):
    """A blob, or the storage container it should be in, does not exist."""


class Conflict(AmliteError):
    pass


class PreconditionFailed(AmliteError):
    pass


class NotImplementedYet(AmliteError):
    """A service Azure offers at a URL amlite renders (MLflow tracking) that amlite does not serve
    yet: the URL answers this rather than a bare 404, so the client learns why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code=code, message=message)


class StorageUnavailable(AmliteError):
    """Object storage failed for a reason of its own (unreachable, refused our key, answered an
    error we cannot name); a retry may succeed."""


def invalid(code: str, message: str, target: str | None = None) -> InvalidInput:
    """Shorthand used across the domain for a 400-class error."""
    return InvalidInput(code=code, message=message, target=target)
