"""The HTTP pipeline every SDK operation goes through.

One place adds what every ARM request needs (``api-version``, ``Authorization: Bearer``,
``x-ms-client-request-id``, ``User-Agent``), turns transport failures into
:class:`ServiceRequestError` that names the endpoint, and turns error answers into typed errors.
The transport is injectable (``httpx.MockTransport`` in unit tests, ``httpx.ASGITransport``-like
transports in integration tests), which is why the pipeline never opens sockets itself.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import uuid
from contextlib import contextmanager
from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit
from urllib.parse import quote as _quote

import httpx

from amlite.sdk._constants import DEFAULT_SCOPE, USER_AGENT, normalize_endpoint
from amlite.sdk.errors import ServiceRequestError, ValidationException, error_from_response

__all__ = ["HttpPipeline", "ItemPaged", "TokenCredential", "connect_hint", "http_client", "quote", "tls_verify"]

log = logging.getLogger("amlite.sdk")
T = TypeVar("T")


class TokenCredential(Protocol):
    """Anything with ``get_token`` (azure-core's protocol); ``endpoint`` is optional."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


def tls_verify() -> ssl.SSLContext | bool:
    """What https connections trust: ``REQUESTS_CA_BUNDLE`` when set (the variable requests, and so
    azure-core and MSAL, read; ``amlite server --tls self-signed`` prints it), else httpx's default
    (certifi, or ``SSL_CERT_FILE``). One variable then makes amlite's CLI and SDK trust a server
    with a local CA as Microsoft's clients do."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    if bundle:
        return ssl.create_default_context(cafile=bundle)
    return True


class _DefaultTransport(httpx.BaseTransport):
    """httpx's default transport, except that the one for https is made on its first request.

    Making it loads the CA bundle (~20 ms, a tenth of a CLI command's start-up), which a client of
    an ``http://`` endpoint (a loopback server) never uses. Plain-http requests go through a
    transport whose TLS context trusts no CA at all: it is never used for TLS, and could verify
    nothing if it were."""

    def __init__(self, verify: ssl.SSLContext | bool) -> None:
        self._verify = verify
        self._lock = threading.Lock()
        self._plain: httpx.HTTPTransport | None = None
        self._tls: httpx.HTTPTransport | None = None

    def _transport(self, scheme: str) -> httpx.HTTPTransport:
        with self._lock:
            if scheme == "http":
                if self._plain is None:
                    self._plain = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
                return self._plain
            if self._tls is None:
                self._tls = httpx.HTTPTransport(verify=self._verify)
            return self._tls

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport(request.url.scheme).handle_request(request)

    def close(self) -> None:
        with self._lock:
            transports, self._plain, self._tls = (self._plain, self._tls), None, None
        for transport in transports:
            if transport is not None:
                transport.close()


def http_client(transport: httpx.BaseTransport | None = None, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` trusting what :func:`tls_verify` says, on ``transport`` when given
    (tests), else on httpx's default transport with its https half made when first needed.
    Proxies from the environment still apply first, as in any ``httpx.Client``."""
    verify = tls_verify()
    default = transport if transport is not None else _DefaultTransport(verify)
    return httpx.Client(transport=default, verify=verify, **kwargs)


def connect_hint(exc: Exception) -> str:
    """What to do about a failed connection: trust the server's CA when its certificate was
    refused, else check the endpoint or start the server."""
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return ("Trust the server's CA: export REQUESTS_CA_BUNDLE=<data dir>/tls/ca.pem "
                "(the line 'amlite server --tls self-signed' prints).")
    return "Check the endpoint, or start the server with 'amlite server'."


def quote(segment: str) -> str:
    """Percent-encode one path segment (names never contain '/', but be safe).

    ``.`` and ``..`` are refused, as the server refuses such names and versions: a URL resolves
    them, so ``.../versions/..`` would silently name the container instead of a version."""
    if segment in (".", ".."):
        raise ValidationException(f"'{segment}' is not a valid name or version.", code="InvalidArguments")
    return _quote(segment, safe="")


class HttpPipeline:
    """Sends authenticated ARM requests to one endpoint and raises typed errors on failure."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.credential = credential
        self.endpoint = normalize_endpoint(endpoint)
        self.user_agent = user_agent
        self._client = http_client(transport, timeout=timeout, follow_redirects=False)

    def url(self, path_or_url: str) -> str:
        """Absolute URL for a path (``/subscriptions/...``) or an absolute URL given as is."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.endpoint}/{path_or_url.lstrip('/')}"

    def _build(
        self,
        method: str,
        path_or_url: str,
        *,
        api_version: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Request:
        """The request with what every ARM request needs (api-version, token, request id)."""
        url = self.url(path_or_url)
        query: dict[str, Any] = dict(params or {})
        existing = {k.lower() for k, _ in parse_qsl(urlsplit(url).query)}
        if api_version and "api-version" not in existing:
            query["api-version"] = api_version
        token = self.credential.get_token(DEFAULT_SCOPE)
        request_id = str(uuid.uuid4())
        all_headers = {
            "Authorization": f"Bearer {getattr(token, 'token', token)}",
            "x-ms-client-request-id": request_id,
            "User-Agent": self.user_agent,
            "Accept": "application/json",
        }
        all_headers.update(headers or {})
        log.debug("Request %s %s params=%s request-id=%s", method, url, query, request_id)
        # Merge rather than pass params=: httpx would replace the query string of a nextLink
        # or status URL with the params instead of adding to it.
        target = httpx.URL(url).copy_merge_params(query) if query else httpx.URL(url)
        return self._client.build_request(method, target, json=json, content=content, headers=all_headers)

    def _transport_error(self, exc: httpx.TransportError) -> ServiceRequestError:
        return ServiceRequestError(
            f"Cannot connect to the amlite server at {self.endpoint}: {exc or type(exc).__name__}. "
            + connect_hint(exc),
            endpoint=self.endpoint,
            error=exc,
        )

    def send_raw(
        self,
        method: str,
        path_or_url: str,
        *,
        api_version: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and return the response whatever its status (no error mapping).

        ``content`` is a raw body: bytes, or an iterator of bytes that httpx streams as it reads it."""
        request = self._build(method, path_or_url, api_version=api_version, params=params, json=json,
                              content=content, headers=headers)
        try:
            response = self._client.send(request)
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        log.debug("Response %s %s -> %s", method, request.url, response.status_code)
        return response

    @contextmanager
    def stream(self, method: str, path_or_url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Send one request and yield the response before its body is read (``iter_bytes()``
        streams it); an error answer raises the typed error, as ``send`` does."""
        request = self._build(method, path_or_url, **kwargs)
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        try:
            if response.status_code >= 400:
                response.read()
                raise error_from_response(response)
            yield response
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        finally:
            response.close()

    def send(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise the typed error when the answer is an error (status >= 400)."""
        response = self.send_raw(method, path_or_url, **kwargs)
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        return self.send("GET", path_or_url, **kwargs).json()

    def paged(
        self,
        path: str,
        *,
        api_version: str,
        params: dict[str, Any] | None = None,
        factory: Callable[[dict[str, Any]], T] | None = None,
    ) -> ItemPaged[T]:
        """A lazy iterator over a list route, following ``nextLink`` as the server gave it."""
        return ItemPaged(self, path, api_version=api_version, params=params, factory=factory)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ItemPaged(Generic[T]):
    """Iterates the items of every page (azure-core's ``ItemPaged``); ``by_page()`` gives pages."""

    def __init__(
        self,
        pipeline: HttpPipeline,
        path: str,
        *,
        api_version: str,
        params: dict[str, Any] | None = None,
        factory: Callable[[dict[str, Any]], T] | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._path = path
        self._api_version = api_version
        self._params = params
        self._factory = factory

    def by_page(self) -> Iterator[list[T]]:
        url: str | None = self._path
        params = self._params
        while url:
            body = self._pipeline.get_json(url, api_version=self._api_version, params=params)
            if not isinstance(body, dict):
                body = {}
            items = body.get("value") or []
            yield [self._factory(i) if self._factory else i for i in items]
            url = body.get("nextLink")
            params = None  # nextLink carries its own query string

    def __iter__(self) -> Iterator[T]:
        for page in self.by_page():
            yield from page
