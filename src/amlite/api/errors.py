"""The one table from error class to HTTP status, and the one ARM error body.

Every error leaves the API in the body ``{"error": {"code", "message", "target"?, "details"?}}``,
whatever raised it: a service, request parsing, routing (404/405) or a bug (500).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from amlite.api.json_input import SafeJSONResponse as JSONResponse
from amlite.domain import errors as e
from amlite.services.identity import OAuthError
from amlite.services.sign_in_throttle import SignInThrottled

log = logging.getLogger(__name__)

STATUS: list[tuple[type[e.AmliteError], int]] = [
    (e.UnsupportedMediaType, 415),
    (e.InvalidInput, 400),
    (e.AuthenticationFailed, 401),
    (e.AuthorizationFailed, 403),
    (e.DisallowedByPolicy, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.PreconditionFailed, 412),
    (e.NotImplementedYet, 501),
    (e.StorageUnavailable, 503),
]


def status_of(error: e.AmliteError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500


def error_body(code: str, message: str, target: str | None = None, details: list[e.ErrorDetail] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"code": code, "message": message}
    if target:
        inner["target"] = target
    if details:
        inner["details"] = [
            {"code": d.code, "message": d.message, **({"target": d.target} if d.target else {})} for d in details
        ]
    return {"error": inner}


#: The identity platform's routes (token, key discovery, OpenID configuration): their clients (MSAL,
#: azure-identity) read OAuth2's error shape, ``{"error", "error_description"}``, as Entra ID sends.
IDENTITY_PATH = re.compile(r"^/[^/]+/(oauth2/|discovery/|v2\.0/\.well-known/)")


def oauth_error_body(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def refusal_body(path: str, code: str, message: str) -> bytes:
    """The body of a refusal made before routing (a limit): OAuth2's ``invalid_request`` on the
    identity routes, the ARM error body everywhere else."""
    body = oauth_error_body("invalid_request", message) if IDENTITY_PATH.match(path) else error_body(code, message)
    return json.dumps(body, separators=(",", ":")).encode()


async def send_refusal(send: Any, status: int, body: bytes, *, close: bool = False) -> None:
    """Answer from an ASGI middleware, before or instead of the app."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_response(error: e.AmliteError, headers: dict[str, str] | None = None) -> JSONResponse:
    status = status_of(error)
    hdrs = dict(headers or {})
    if status == 401:
        hdrs.setdefault("WWW-Authenticate", 'Bearer authorization_uri="", error="invalid_token"')
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:  # a failed region (domain/outages.py): ARM's 503 says when to retry
        hdrs.setdefault("Retry-After", str(retry_after))
    return JSONResponse(error_body(error.code, error.message, error.target, error.details), status_code=status, headers=hdrs)


_HTTP_CODES = {
    404: ("NotFound", "The requested path '{path}' does not exist."),
    405: ("MethodNotAllowed", "The HTTP method '{method}' is not supported for '{path}'."),
}


WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})


def audit_failed_write(request: Request, exc: e.AmliteError) -> None:
    """A write that an authorized caller attempted and that failed is audited as Failed; a denial
    was audited when it was decided, and anonymous requests have no principal to record."""
    caller = getattr(request.state, "caller", None)
    if caller is None or not caller.action or request.method not in WRITE_METHODS:
        return
    if isinstance(exc, (e.AuthorizationFailed, e.AuthenticationFailed)):
        return
    from amlite.domain.audit import AuditResult
    from amlite.services.audit import record_outcome

    record_outcome(request.app.state.container.deps, caller, AuditResult.FAILED, status_of(exc),
                   f"({exc.code}) {exc.message}")


def install(app: FastAPI) -> None:
    @app.exception_handler(OAuthError)
    async def _oauth(_: Request, exc: OAuthError) -> JSONResponse:
        status = 401 if exc.code == "invalid_client" else 400
        return JSONResponse(oauth_error_body(exc.code, exc.message), status_code=status)

    @app.exception_handler(SignInThrottled)
    async def _throttled(_: Request, exc: SignInThrottled) -> JSONResponse:
        """Azure AD answers a throttled sign-in 429 with ``Retry-After``, in OAuth2's body."""
        description = f"Too many failed sign-in attempts for {exc.subject}. Try again in {exc.retry_after} seconds."
        return JSONResponse(oauth_error_body("temporarily_unavailable", description), status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(e.AmliteError)
    async def _amlite(request: Request, exc: e.AmliteError) -> JSONResponse:
        await run_in_threadpool(audit_failed_write, request, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        target = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header"))
        return error_response(e.InvalidInput("InvalidRequestContent", f"The request is invalid: {first.get('msg')}.", target or None))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, template = _HTTP_CODES.get(exc.status_code, ("HttpError", "{detail}"))
        message = template.format(path=request.url.path, method=request.method, detail=exc.detail)
        # the identity routes' clients read OAuth2's shape, for a wrong path or method too
        body = (oauth_error_body("invalid_request", message) if IDENTITY_PATH.match(request.url.path)
                else error_body(code, message))
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # Only reached when a middleware outside UnexpectedErrorMiddleware fails.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return bug_response(request.method)


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bug_response(method: str) -> JSONResponse:
    """The 500 of a bug. A read changed nothing; of a write the server cannot tell here whether its
    unit of work committed before the failure, so it says so rather than promise either."""
    if method in READ_METHODS:
        message = "The server met an unexpected error; the request changed nothing."
    else:
        message = ("The server met an unexpected error; the request may or may not have taken effect. "
                   "Read the resource before retrying.")
    return JSONResponse(error_body("InternalServerError", message), status_code=500)


class UnexpectedErrorMiddleware:
    """Answer a bug's exception with the ARM 500 body here, inside the app.

    Starlette's outermost ``ServerErrorMiddleware`` answers too, but then re-raises so the server
    logs it, and the server then closes the connection: a kept-alive client loses its connection
    (and any pipelined request) to one failed request. Handled here, the exception stops, the
    connection stays usable. Only when the response had already started is it re-raised, because
    then closing the connection is the only way left to tell the client the body is incomplete."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await bug_response(str(scope.get("method", "")))(scope, receive, send)
