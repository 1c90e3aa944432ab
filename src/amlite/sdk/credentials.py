"""Credentials shaped like azure-identity's: each has ``get_token(*scopes) -> AccessToken``.

They talk to the server's OAuth2 token endpoint (``POST {endpoint}/{tenant}/oauth2/v2.0/token``,
form-encoded) and cache the token until shortly before it expires, so that a client making many
calls asks for one token, not one per call. Unlike azure-identity, a credential also knows its
``endpoint``: amlite has no fixed authority host, and the endpoint is where both the token and the
ARM API live.

- :class:`ClientSecretCredential`: a service principal's id and secret (client-credentials grant).
- :class:`UsernamePasswordCredential`: a user's name and password (password grant), then the
  refresh token it returns.
- :class:`AmliteCliCredential`: whatever ``amlite login`` stored, refreshed with the stored
  refresh token or service-principal secret, like ``AzureCliCredential``.
- :class:`DefaultAmliteCredential`: the ``AZURE_*`` environment variables (with ``AMLITE_ENDPOINT``)
  when set, else the CLI's profile.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import os
import threading
import time
from typing import Any, NamedTuple

import httpx

from amlite.sdk._constants import (
    DEFAULT_SCOPE,
    REFRESH_MARGIN_SECONDS,
    USER_AGENT,
    env_endpoint,
    normalize_endpoint,
)
from amlite.sdk.errors import (
    ClientAuthenticationError,
    CredentialUnavailableError,
    ErrorDetail,
    ServiceRequestError,
    error_from_response,
)
from amlite.sdk._pipeline import connect_hint, http_client
from amlite.sdk.profile import ProfileStore

__all__ = [
    "AccessToken",
    "AmliteCliCredential",
    "ClientSecretCredential",
    "DefaultAmliteCredential",
    "UsernamePasswordCredential",
    "request_token",
]


class AccessToken(NamedTuple):
    """A bearer token and its expiry in seconds since the epoch (azure-core's ``AccessToken``)."""

    token: str
    expires_on: int


class TokenResponse(NamedTuple):
    """What the token endpoint answered: the token, its lifetime, and a refresh token if any."""

    access_token: AccessToken
    refresh_token: str | None
    expires_in: int


def request_token(
    endpoint: str,
    tenant_id: str,
    form: dict[str, str],
    *,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
) -> TokenResponse:
    """POST one OAuth2 grant to the token endpoint; rebuild OAuth2 errors as typed errors."""
    endpoint = normalize_endpoint(endpoint)
    url = f"{endpoint}/{tenant_id}/oauth2/v2.0/token"
    form = {"scope": DEFAULT_SCOPE, **form}
    owned = client is None
    http = client or http_client(transport, timeout=30.0)
    try:
        response = http.post(url, data=form, headers={"User-Agent": USER_AGENT})
    except httpx.TransportError as exc:
        raise ServiceRequestError(
            f"Cannot connect to the amlite server at {endpoint}: {exc}. " + connect_hint(exc),
            endpoint=endpoint,
            error=exc,
        ) from exc
    finally:
        if owned:
            http.close()
    if response.status_code >= 400:
        err = error_from_response(response)
        if response.status_code in (400, 401) and not isinstance(err, ClientAuthenticationError):
            raise ClientAuthenticationError(
                str(err.error), response=response, error=err.error
            )
        raise err
    body = response.json()
    raw_expiry = body.get("expires_in")
    expires_in = int(raw_expiry) if raw_expiry is not None else 3600
    token = AccessToken(str(body["access_token"]), int(time.time()) + expires_in)
    return TokenResponse(token, body.get("refresh_token"), expires_in)


def _refresh_due(token: AccessToken, lifetime: int) -> bool:
    """True when the token is within the refresh margin of its expiry (or past it)."""
    margin = min(REFRESH_MARGIN_SECONDS, max(lifetime, 0) // 2)
    return time.time() >= token.expires_on - margin


class _CachingCredential(ABC):
    """Shared caching: one token per scope, replaced shortly before it expires; thread-safe."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[AccessToken, int]] = {}

    @property
    @abstractmethod
    def endpoint(self) -> str | None:  # pragma: no cover - overridden
        ...

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return a valid token for ``scopes`` (default: the ARM scope), from cache when possible."""
        scope = " ".join(scopes) or DEFAULT_SCOPE
        with self._lock:
            cached = self._cache.get(scope)
            if cached and not _refresh_due(*cached):
                return cached[0]
            answer = self._acquire(scope)
            self._cache[scope] = (answer.access_token, answer.expires_in)
            return answer.access_token

    @abstractmethod
    def _acquire(self, scope: str) -> TokenResponse:  # pragma: no cover - overridden
        ...

    def _require_endpoint(self) -> str:
        if not self.endpoint:
            raise CredentialUnavailableError(
                "No amlite endpoint: pass endpoint=..., set AMLITE_ENDPOINT, or run 'amlite login'."
            )
        return self.endpoint

    def close(self) -> None:
        """Nothing to release; present for parity with azure-identity credentials."""

    def __enter__(self) -> _CachingCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ClientSecretCredential(_CachingCredential):
    """A service principal authenticating with its client id and secret."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        endpoint: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(transport=transport)
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._client_secret = client_secret
        self._endpoint = normalize_endpoint(endpoint) if endpoint else env_endpoint()

    @property
    def endpoint(self) -> str | None:
        return self._endpoint

    def _acquire(self, scope: str) -> TokenResponse:
        return request_token(
            self._require_endpoint(),
            self.tenant_id,
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "scope": scope,
            },
            transport=self._transport,
        )


class UsernamePasswordCredential(_CachingCredential):
    """A user authenticating with name and password; later tokens come from the refresh token."""

    def __init__(
        self,
        tenant_id: str,
        username: str,
        password: str,
        endpoint: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(transport=transport)
        self.tenant_id = tenant_id
        self.username = username
        self._password = password
        self._refresh_token: str | None = None
        self._endpoint = normalize_endpoint(endpoint) if endpoint else env_endpoint()

    @property
    def endpoint(self) -> str | None:
        return self._endpoint

    @property
    def refresh_token(self) -> str | None:
        """The latest refresh token (``amlite login`` stores it in the profile)."""
        return self._refresh_token

    def _acquire(self, scope: str) -> TokenResponse:
        endpoint = self._require_endpoint()
        answer: TokenResponse | None = None
        if self._refresh_token:
            try:
                answer = request_token(
                    endpoint,
                    self.tenant_id,
                    {"grant_type": "refresh_token", "refresh_token": self._refresh_token,
                     "scope": scope},
                    transport=self._transport,
                )
            except ClientAuthenticationError:
                answer = None  # the refresh token expired or was revoked: sign in again
        if answer is None:
            answer = request_token(
                endpoint,
                self.tenant_id,
                {"grant_type": "password", "username": self.username,
                 "password": self._password, "scope": scope},
                transport=self._transport,
            )
        if answer.refresh_token:
            self._refresh_token = answer.refresh_token
        return answer


_LOGIN_HINT = "Please run 'amlite login' to set up an account."


class AmliteCliCredential(_CachingCredential):
    """Uses the profile ``amlite login`` stored, writing refreshed tokens back to it.

    The access token is shared with the CLI through ``tokens.json`` so that consecutive commands
    reuse it; when it is about to expire the stored refresh token (users) or the stored secret
    (service principals) gets a new one, exactly as ``AzureCliCredential`` relies on ``az``.
    """

    def __init__(
        self,
        *,
        config_dir: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(transport=transport)
        self._store = ProfileStore(config_dir)

    @property
    def endpoint(self) -> str | None:
        profile = self._store.load_profile() or {}
        value = profile.get("endpoint")
        return normalize_endpoint(value) if value else None

    @property
    def tenant_id(self) -> str | None:
        return (self._store.load_profile() or {}).get("tenantId")

    def _acquire(self, scope: str) -> TokenResponse:
        profile = self._store.load_profile()
        if not profile or not profile.get("endpoint"):
            raise CredentialUnavailableError(_LOGIN_HINT)
        endpoint = str(profile["endpoint"])
        tenant = str(profile.get("tenantId") or "")
        tokens = self._store.load_tokens()
        if scope == DEFAULT_SCOPE and tokens.get("accessToken"):
            cached = AccessToken(str(tokens["accessToken"]), int(tokens.get("expiresOn") or 0))
            lifetime = int(tokens.get("expiresIn") or 3600)
            if not _refresh_due(cached, lifetime):
                return TokenResponse(cached, tokens.get("refreshToken"), lifetime)
        user_type = (profile.get("user") or {}).get("type", "user")
        if user_type == "servicePrincipal":
            if not tokens.get("clientSecret"):
                raise CredentialUnavailableError(_LOGIN_HINT)
            form = {"grant_type": "client_credentials", "client_id": str(tokens["clientId"]),
                    "client_secret": str(tokens["clientSecret"]), "scope": scope}
        else:
            if not tokens.get("refreshToken"):
                raise CredentialUnavailableError(_LOGIN_HINT)
            form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refreshToken"]),
                    "scope": scope}
        try:
            answer = request_token(endpoint, tenant, form, transport=self._transport)
        except ClientAuthenticationError as exc:
            message = f"{exc.error.message} The stored login is no longer valid. {_LOGIN_HINT}"
            raise ClientAuthenticationError(
                message, error=ErrorDetail(code=exc.error.code, message=message),
                response=exc.response,
            ) from exc
        if scope == DEFAULT_SCOPE:
            tokens = self._store.load_tokens()
            tokens.update(
                accessToken=answer.access_token.token,
                expiresOn=answer.access_token.expires_on,
                expiresIn=answer.expires_in,
            )
            if answer.refresh_token:
                tokens["refreshToken"] = answer.refresh_token
            self._store.save_tokens(tokens)
        return answer


class DefaultAmliteCredential(_CachingCredential):
    """Environment first, then the CLI profile: the credential that works in CI and on a laptop.

    Environment: ``AZURE_TENANT_ID`` with ``AZURE_CLIENT_ID`` + ``AZURE_CLIENT_SECRET`` (a service
    principal) or ``AZURE_USERNAME`` + ``AZURE_PASSWORD`` (a user), and an endpoint from
    ``AMLITE_ENDPOINT`` (or the CLI profile's). Otherwise :class:`AmliteCliCredential`.
    """

    def __init__(
        self,
        *,
        config_dir: str | os.PathLike[str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(transport=transport)
        cli = AmliteCliCredential(config_dir=config_dir, transport=transport)
        self._inner: _CachingCredential = cli
        env = os.environ
        endpoint = env_endpoint() or cli.endpoint
        tenant = env.get("AZURE_TENANT_ID")
        if endpoint and tenant and env.get("AZURE_CLIENT_ID") and env.get("AZURE_CLIENT_SECRET"):
            self._inner = ClientSecretCredential(
                tenant, env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"], endpoint,
                transport=transport,
            )
        elif endpoint and tenant and env.get("AZURE_USERNAME") and env.get("AZURE_PASSWORD"):
            self._inner = UsernamePasswordCredential(
                tenant, env["AZURE_USERNAME"], env["AZURE_PASSWORD"], endpoint,
                transport=transport,
            )

    @property
    def endpoint(self) -> str | None:
        return self._inner.endpoint

    @property
    def credential(self) -> _CachingCredential:
        """The credential that was chosen (for diagnostics)."""
        return self._inner

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._inner.get_token(*scopes, **kwargs)

    def _acquire(self, scope: str) -> TokenResponse:
        """Tokens come from the chosen credential (which also caches them)."""
        return self._inner._acquire(scope)
