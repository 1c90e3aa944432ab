"""Health, the OAuth2 token endpoint, key discovery and tenants."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from fastapi import APIRouter, Depends, Request

from amlite import __version__
from amlite.api import render
from amlite.api.deps import RESOURCES_VERSION, Authorize, container
from amlite.api.routers.discovery import OPEN_PATHS
from amlite.services.context import Caller
from amlite.services.identity import OAuthError

router = APIRouter()

#: The identity platform's own routes: open, and answering OAuth2's error body.
OAUTH_PATHS = frozenset({"/{tenant}/oauth2/v2.0/token", "/{tenant}/discovery/v2.0/keys",
                         "/{tenant}/v2.0/.well-known/openid-configuration", "/{tenant}/oauth2/v2.0/authorize"})
# Routes open without a token, the only ones (a test checks that every other route declares an action).
PUBLIC_PATHS = OAUTH_PATHS | {"/health"} | OPEN_PATHS


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


#: The token request's form (read by hand below, so the OpenAPI document is told here).
TOKEN_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {k: {"type": "string"} for k in ("grant_type", "client_id", "client_secret", "username", "password",
                                                   "refresh_token", "scope")},
}}}}}


def _form(raw: bytes) -> dict[str, str]:
    """The token request's fields: UTF-8, percent-decoded strictly, with no control characters (a NUL
    reaches no database intact, and no credential holds one)."""
    try:
        fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The request body is not valid UTF-8 form data.") from None
    for key, value in fields:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in key + value):
            raise OAuthError("invalid_request", f"The form field '{key[:64]}' holds a control character.")
    return dict(fields)


@router.post("/{tenant}/oauth2/v2.0/token", openapi_extra=TOKEN_FORM)
async def token(tenant: str, request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        # OAuth2's error shape, as every answer of this endpoint (Entra ID answers invalid_request too).
        raise OAuthError("invalid_request", "The token endpoint takes application/x-www-form-urlencoded.")
    form = _form(await request.body())
    identity = container(request).identity
    client_ip = request.client.host if request.client else ""
    # scrypt is slow on purpose: off the loop, and on threads of its own (a bounded number) so
    # that a login flood cannot take the pool every other route runs in.
    hashes = form.get("grant_type") in ("password", "client_credentials")
    limiter = request.app.state.password_checks if hashes else None
    return await to_thread.run_sync(identity.issue_token, tenant, form, client_ip,  # type: ignore[no-any-return]
                                    limiter=limiter)


@router.get("/{tenant}/discovery/v2.0/keys")
def keys(tenant: str, request: Request) -> dict[str, Any]:
    return container(request).identity.jwks(tenant)  # type: ignore[no-any-return]


@router.get("/{tenant}/v2.0/.well-known/openid-configuration")
def openid_configuration(tenant: str, request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    container(request).identity.jwks(tenant)
    return {
        "issuer": f"{container(request).endpoint}/{tenant}/v2.0",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        # MSAL (azure-identity) requires it in the document; the route refuses every request.
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get("/{tenant}/oauth2/v2.0/authorize")
def authorize(tenant: str, request: Request) -> dict[str, Any]:
    """Sign-in in a browser (the authorization-code flow) is not built: amlite signs in with the
    token endpoint's grants only. Refused in OAuth2's shape, for every tenant and request."""
    container(request).identity.jwks(tenant)  # an unknown tenant is refused as such first
    raise OAuthError("unsupported_response_type", "amlite has no browser sign-in: get a token from "
                     f"/{tenant}/oauth2/v2.0/token with the client_credentials, password or refresh_token grant.")


@router.get("/tenants", dependencies=[Depends(RESOURCES_VERSION)])
def tenants(request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/tenants/read", None))) -> dict[str, Any]:
    return {"value": [render.tenant(t) for t in container(request).identity.tenants() if t.id == caller.tenant_id]}
