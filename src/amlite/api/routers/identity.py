"""Health, the OAuth2 token endpoint, key discovery and tenants."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request

from amlite import __version__
from amlite.api import render
from amlite.api.deps import RESOURCES_VERSION, Authorize, container
from amlite.domain.errors import UnsupportedMediaType
from amlite.services.context import Caller

router = APIRouter()

# Routes open without a token, the only ones (a test checks that every other route declares an action).
PUBLIC_PATHS = frozenset({"/health", "/{tenant}/oauth2/v2.0/token", "/{tenant}/discovery/v2.0/keys",
                          "/{tenant}/v2.0/.well-known/openid-configuration"})


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


#: The token request's form (read by hand below, so the OpenAPI document is told here).
TOKEN_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {k: {"type": "string"} for k in ("grant_type", "client_id", "client_secret", "username", "password",
                                                   "refresh_token", "scope")},
}}}}}


@router.post("/{tenant}/oauth2/v2.0/token", openapi_extra=TOKEN_FORM)
async def token(tenant: str, request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("UnsupportedMediaType", "The token endpoint takes application/x-www-form-urlencoded.")
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    identity = container(request).identity
    from starlette.concurrency import run_in_threadpool  # scrypt is slow on purpose: keep it off the loop

    return await run_in_threadpool(identity.issue_token, tenant, form)  # type: ignore[no-any-return]


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
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


@router.get("/tenants", dependencies=[Depends(RESOURCES_VERSION)])
def tenants(request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/tenants/read", None))) -> dict[str, Any]:
    return {"value": [render.tenant(t) for t in container(request).identity.tenants() if t.id == caller.tenant_id]}
