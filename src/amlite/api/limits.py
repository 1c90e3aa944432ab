"""How many bytes a request body may hold and how slowly it may arrive (``config.Limits``).

An ASGI middleware, so that every route is covered and no handler can read more than the limit:
a declared ``Content-Length`` over the limit is refused before a byte of the body is read, and a
chunked body is counted as it is read and refused as soon as it passes the limit. The body of a
request must also arrive in time: JSON and forms completely within ``body_timeout_seconds``;
blob uploads (which may be large) never idle past ``upload_idle_timeout_seconds`` and average at
least ``upload_min_bytes_per_second``. A refused request changed nothing, and its connection is
closed (``Connection: close``): the rest of its body is not worth reading.

The refusals are answered as Azure answers, in the body the route speaks: ARM's
``413 RequestContentTooLarge`` / ``408 RequestTimeout``, or OAuth2's body on the token endpoint.
"""

from __future__ import annotations

import re
import time
from typing import Any

import anyio

from amlite.api.errors import refusal_body, send_refusal
from amlite.config import Limits

TOKEN_PATH = re.compile(r"^/[^/]+/oauth2/v2\.0/token/?$")
#: Byte uploads: artifact blobs, the blob endpoint's, and the files of MLflow runs (``api.routers.mlflow``).
UPLOAD_PATH = re.compile(r"/artifacts/blobs/[^/]+/?$|^/blobservice/|^/mlflow/v1\.0/.+/api/2\.0/mlflow-artifacts/artifacts/",
                         re.IGNORECASE)
#: A workspace bundle's import (a POST whose body is the bundle): capped like an upload, not like JSON.
BUNDLE_IMPORT_PATH = re.compile(r"/workspaces/[^/]+/import/?$", re.IGNORECASE)


class BodyRefused(Exception):
    """The request body broke a limit; raised from ``receive`` and answered by ``BodyLimits``."""

    status = 400
    code = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BodyTooLarge(BodyRefused):
    status = 413
    code = "RequestContentTooLarge"


class BodyTooSlow(BodyRefused):
    status = 408
    code = "RequestTimeout"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


class BodyLimits:
    """ASGI middleware enforcing ``Limits`` on request bodies (see the module docstring)."""

    def __init__(self, app: Any, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        token = bool(TOKEN_PATH.match(path))
        upload = ((scope["method"] == "PUT" and bool(UPLOAD_PATH.search(path)))
                  or (scope["method"] == "POST" and bool(BUNDLE_IMPORT_PATH.search(path))))
        cap = None if upload else self.limits.max_token_form_bytes if token else self.limits.max_json_body_bytes
        declared = _content_length(scope)
        if cap is not None and declared is not None and declared > cap:
            await _refuse(send, BodyTooLarge(_too_large(cap)), path)
            return
        reader = _BodyReader(receive, self.limits, cap, upload)
        started = False

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, reader.receive, tracked_send)
        except BodyRefused as exc:
            if started:
                raise
            await _refuse(send, exc, path)


class _BodyReader:
    """``receive`` with the byte count and deadlines of one request's body."""

    def __init__(self, receive: Any, limits: Limits, cap: int | None, upload: bool) -> None:
        self._receive = receive
        self._limits = limits
        self._cap = cap
        self._upload = upload
        self._start = self._last = time.monotonic()
        self._size = 0
        self._done = False

    def _deadline(self) -> float:
        limits = self._limits
        if not self._upload:
            return self._start + limits.body_timeout_seconds
        idle = self._last + limits.upload_idle_timeout_seconds
        rate = self._start + limits.upload_idle_timeout_seconds + self._size / limits.upload_min_bytes_per_second
        return min(idle, rate)

    async def receive(self) -> dict[str, Any]:
        if self._done:  # the body is in; what follows is waiting for a disconnect, which has no deadline
            return await self._receive()  # type: ignore[no-any-return]
        message: dict[str, Any] | None = None
        with anyio.move_on_after(max(0.0, self._deadline() - time.monotonic())):
            message = await self._receive()
        if message is None:
            raise BodyTooSlow(self._too_slow())
        if message["type"] != "http.request":
            return message
        self._size += len(message.get("body", b""))
        self._last = time.monotonic()
        if self._cap is not None and self._size > self._cap:
            raise BodyTooLarge(_too_large(self._cap))
        self._done = not message.get("more_body", False)
        return message

    def _too_slow(self) -> str:
        limits = self._limits
        if not self._upload:
            return (f"The request content was not received within {limits.body_timeout_seconds:g} seconds; "
                    "the request changed nothing.")
        return (f"The upload sent too slowly: it must not pause for {limits.upload_idle_timeout_seconds:g} seconds "
                f"and must average at least {limits.upload_min_bytes_per_second} bytes a second; nothing was stored.")


def _too_large(cap: int) -> str:
    return f"The request content size exceeds the maximum size of {_mb(cap)}."


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Any, exc: BodyRefused, path: str) -> None:
    await send_refusal(send, exc.status, refusal_body(path, exc.code, exc.message), close=True)
