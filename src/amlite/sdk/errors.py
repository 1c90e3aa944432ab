"""Typed errors of the amlite SDK, named after azure-core's so that code written for Azure ports as is.

The server answers every failure with one ARM error body, and the SDK rebuilds a typed exception
from that body's ``code`` (falling back to the HTTP status), so callers can write
``except ResourceNotFoundError`` instead of inspecting status codes.

Tree::

    AzureError                              root of everything the SDK raises
    ├── ServiceRequestError                 the request never reached the server (cannot connect)
    ├── ValidationException                 bad input caught on the client (e.g. no config.json)
    └── HttpResponseError                   the server answered with an error body
        ├── ClientAuthenticationError       401, OAuth2 invalid_client / invalid_grant
        │   └── CredentialUnavailableError  no usable credential (not logged in)
        ├── AuthorizationFailedError        403 AuthorizationFailed
        ├── ResourceNotFoundError           404, or a code ending in NotFound
        ├── ResourceExistsError             409
        └── ResourceModifiedError           412 PreconditionFailed (If-Match mismatch)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the CLI imports these errors on every command, httpx is slow to import
    import httpx

__all__ = [
    "AuthorizationFailedError",
    "AzureError",
    "ClientAuthenticationError",
    "CredentialUnavailableError",
    "ErrorDetail",
    "HttpResponseError",
    "ResourceExistsError",
    "ResourceModifiedError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "ValidationException",
    "error_from_body",
    "error_from_response",
]


class AzureError(Exception):
    """Root of every error the SDK raises; ``message`` is what a user should read."""

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(message)
        self.message = message
        self.inner_exception: BaseException | None = kwargs.get("error")

    def __str__(self) -> str:
        return self.message


class ServiceRequestError(AzureError):
    """The request could not be sent: the server is down, the endpoint is wrong, or it timed out."""

    def __init__(self, message: str = "", *, endpoint: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.endpoint = endpoint
        self.error = ErrorDetail(code="ServiceRequestError", message=message)


class ValidationException(AzureError):
    """Input rejected before any request was made (as azure-ai-ml's ``ValidationException``)."""

    def __init__(self, message: str = "", *, code: str = "ValidationError", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error = ErrorDetail(code=code, message=message)


@dataclass
class ErrorDetail:
    """The ``error`` object of an ARM error body (azure-core calls it ``ODataV4Format``)."""

    code: str
    message: str
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)
    additional_info: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ErrorDetail:
        details = [cls.from_dict(d) for d in body.get("details") or [] if isinstance(d, dict)]
        return cls(
            code=str(body.get("code") or "Unknown"),
            message=str(body.get("message") or ""),
            target=body.get("target"),
            details=details,
            additional_info=list(body.get("additionalInfo") or []),
        )

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"


class HttpResponseError(AzureError):
    """The server answered with an error; ``error`` holds the parsed ARM error object."""

    def __init__(
        self,
        message: str | None = None,
        *,
        response: httpx.Response | None = None,
        error: ErrorDetail | None = None,
        status_code: int | None = None,
    ) -> None:
        self.response = response
        self.status_code = status_code if status_code is not None else (
            response.status_code if response is not None else None
        )
        self.reason = response.reason_phrase if response is not None else None
        self.error = error or ErrorDetail(code="Unknown", message=message or "")
        super().__init__(message or str(self.error))

    @property
    def code(self) -> str:
        return self.error.code

    def __str__(self) -> str:
        return str(self.error)


class ClientAuthenticationError(HttpResponseError):
    """The token was missing, expired or rejected, or the credentials were wrong."""


class CredentialUnavailableError(ClientAuthenticationError):
    """No credential can be used: nobody has run ``amlite login`` and no environment is set."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error=ErrorDetail(code="CredentialUnavailable", message=message))


class AuthorizationFailedError(HttpResponseError):
    """The caller is authenticated but lacks the action at that scope (403)."""


class ResourceNotFoundError(HttpResponseError):
    """The resource (or its parent group, subscription, namespace) does not exist."""


class ResourceExistsError(HttpResponseError):
    """A conflict: the resource exists already or is in a state that forbids the change (409)."""


class ResourceModifiedError(HttpResponseError):
    """The ``If-Match`` ETag no longer matches: someone else changed the resource (412)."""


_AUTHN_CODES = {
    "authenticationfailed",
    "expiredauthenticationtoken",
    "invalidauthenticationtoken",
    "invalidauthenticationtokenaudience",
    "invalidauthenticationtokentenant",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "invalid_request",
}
_BY_CODE: dict[str, type[HttpResponseError]] = {
    "authorizationfailed": AuthorizationFailedError,
    "linkedauthorizationfailed": AuthorizationFailedError,
    "preconditionfailed": ResourceModifiedError,
    "conflict": ResourceExistsError,
    "resourceexists": ResourceExistsError,
    "resourcealreadyexists": ResourceExistsError,
    "alreadyexists": ResourceExistsError,
    "invalidresourcenamespace": ResourceNotFoundError,
}
_BY_STATUS: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    403: AuthorizationFailedError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    412: ResourceModifiedError,
}


def _error_class(code: str, status_code: int | None) -> type[HttpResponseError]:
    """Pick the class from the ARM code first (stable across statuses), then from the status."""
    key = code.lower()
    if key in _AUTHN_CODES:
        return ClientAuthenticationError
    if key in _BY_CODE:
        return _BY_CODE[key]
    if key.endswith("notfound"):
        return ResourceNotFoundError
    if status_code is not None and status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return HttpResponseError


def error_from_body(
    body: Any, *, status_code: int | None = None, response: httpx.Response | None = None
) -> HttpResponseError:
    """Rebuild the typed error from an ARM error body, an OAuth2 error body or a bare error object.

    Accepts ``{"error": {...}}``, the inner ``{"code", "message"}`` object (as found in a failed
    operation's status body) and ``{"error": "invalid_grant", "error_description": "..."}``.
    """
    detail: ErrorDetail | None = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and ("code" in inner or "message" in inner):
            detail = ErrorDetail.from_dict(inner)
        elif isinstance(inner, str):
            detail = ErrorDetail(code=inner, message=str(body.get("error_description") or inner))
    if detail is None:
        reason = response.reason_phrase if response is not None else "Error"
        text = ""
        if response is not None:
            text = response.text.strip()[:500]
        code = "".join(reason.split()) or f"Http{status_code}"
        detail = ErrorDetail(code=code, message=text or reason or f"HTTP {status_code}")
    cls = _error_class(detail.code, status_code)
    return cls(str(detail), response=response, error=detail, status_code=status_code)


def error_from_response(response: httpx.Response) -> HttpResponseError:
    """Build the typed error for a failed HTTP response (status >= 400)."""
    body: Any = None
    try:
        if response.content:
            body = json.loads(response.content)
    except ValueError:
        body = None
    return error_from_body(body, status_code=response.status_code, response=response)
