"""Identity use cases: the first start of a tenant, issuing tokens, and authenticating requests.

The token endpoint speaks OAuth2 (client credentials, password, refresh token) so that MSAL-style
clients work; its errors use OAuth2's own body, the one place that is not ARM-shaped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amlite.domain.errors import AmliteError, AuthenticationFailed
from amlite.domain.providers import ALWAYS_REGISTERED, DEFAULT_REGISTERED
from amlite.domain.builtin_roles import built_in_role
from amlite.domain.rbac import ROOT_SCOPE, RoleAssignment
from amlite.domain.resources import Principal, PrincipalKind, Subscription, Tenant
from amlite.services.context import Caller, Deps, admit_principal
from amlite.services.sign_in_throttle import SignInThrottle
from amlite.services.tokens import TokenService, hash_secret, verify_secret

ADMIN_USERNAME = "admin@amlite.local"
# Azure's two spellings of the management endpoint: the API accepts both as a token's audience.
MANAGEMENT_AUDIENCES = ("https://management.azure.com/", "https://management.core.windows.net/")


def api_audiences(endpoint: str) -> tuple[str, ...]:
    """The audiences a token for the API may carry: Azure's management resource ids, and the
    server's own endpoint, which is the ``resource_manager`` of a cloud pointed at amlite (a client
    of such a cloud asks for ``<resource_manager>/.default``); each with and without its slash, as
    ARM takes both."""
    forms = (*MANAGEMENT_AUDIENCES, endpoint.rstrip("/") + "/")
    return tuple(dict.fromkeys(f for resource in forms for f in (resource, resource.rstrip("/"))))


class OAuthError(AmliteError):
    """An OAuth2 error (``invalid_client``, ``invalid_grant``, ...), answered in OAuth2's shape."""


@dataclass(frozen=True)
class FirstStart:
    """What the first start made; the admin's password exists nowhere else."""

    tenant_id: str
    subscription_id: str
    username: str
    password: str


class IdentityService:
    def __init__(self, deps: Deps, tokens: TokenService, throttle: SignInThrottle | None = None) -> None:
        self._deps = deps
        self._tokens = tokens
        self._throttle = throttle or SignInThrottle(window_seconds=300, per_ip=20, per_principal=10,
                                                     clock=deps.clock)
        # The tenant's id never changes once the first start made it; every request needs it to
        # verify its token, so it is read once instead of once per request.
        self._tenant_id: str | None = None
        self._audiences = api_audiences(deps.endpoint)

    # -- the tenant ------------------------------------------------------------------------------

    def initialize(self) -> FirstStart | None:
        """Create the tenant, the default subscription and the admin on the first start only."""
        d = self._deps
        with d.uow(write=True) as uow:
            if uow.tenants.first() is not None:
                return None
            now = d.clock.now()
            tenant = Tenant(id=d.ids.new_id(), display_name="amlite", default_domain="amlite.local")
            uow.tenants.add(tenant, now)
            sub = Subscription(id=d.ids.new_id(), tenant_id=tenant.id, display_name="default")
            uow.subscriptions.add(sub, now)
            for namespace in (*sorted(ALWAYS_REGISTERED), *DEFAULT_REGISTERED):
                uow.providers.set_state(sub.id, namespace, "Registered")
            password = secrets.token_urlsafe(18)
            admin = Principal(
                id=d.ids.new_id(), tenant_id=tenant.id, kind=PrincipalKind.USER, display_name="amlite admin",
                user_principal_name=ADMIN_USERNAME, secret_hash=hash_secret(password), created_at=now,
            )
            uow.principals.add(admin)
            uow.role_assignments.add(
                tenant.id,
                RoleAssignment(
                    id=d.ids.new_id(), principal_id=admin.id, role_definition_id=built_in_role("Owner").id,
                    scope=ROOT_SCOPE, created_at=now, created_by="amlite",
                ),
            )
            uow.commit()
        return FirstStart(tenant.id, sub.id, ADMIN_USERNAME, password)

    def tenant(self) -> Tenant:
        with self._deps.uow() as uow:
            tenant = uow.tenants.first()
        if tenant is None:
            raise RuntimeError("the tenant is not initialized")
        return tenant

    def tenants(self) -> list[Tenant]:
        with self._deps.uow() as uow:
            return uow.tenants.list()

    # -- tokens ----------------------------------------------------------------------------------

    def issue_token(self, tenant_ref: str, form: dict[str, str], client_ip: str = "") -> dict[str, Any]:
        """Answer the OAuth2 token endpoint for one of the three grants amlite supports. Secret and
        password checks pass the sign-in throttle first (``SignInThrottled``: too many failures
        from ``client_ip`` or for the name), so refused guesses cost no password hash."""
        tenant = self._resolve_tenant(tenant_ref)
        grant = form.get("grant_type", "")
        audience = _audience(form.get("scope"))
        if grant == "client_credentials":
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            principal = self._throttled(client_ip, client_id, lambda: self._check_client(tenant.id, client_id, secret))
            return self._token_body(principal, audience, with_refresh=False)
        if grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            principal = self._throttled(client_ip, username, lambda: self._check_user(tenant.id, username, password))
            return self._token_body(principal, audience, with_refresh=True)
        if grant == "refresh_token":
            principal = self._check_refresh(tenant.id, form.get("refresh_token", ""))
            return self._token_body(principal, audience, with_refresh=True)
        raise OAuthError("unsupported_grant_type", f"The grant type '{grant}' is not supported.")

    def _throttled(self, client_ip: str, name: str, check: Callable[[], Principal]) -> Principal:
        """``check()`` (a password or secret check) behind the sign-in throttle: refused before it
        runs past a limit, and counted as a failure when it raises."""
        with self._throttle.attempt(client_ip, name) as failed:
            try:
                return check()
            except OAuthError:
                failed()
                raise

    def _resolve_tenant(self, ref: str) -> Tenant:
        with self._deps.uow() as uow:
            tenants = uow.tenants.list()
        for tenant in tenants:
            if ref.lower() in {tenant.id, tenant.default_domain.lower()}:
                return tenant
        if ref.lower() in {"organizations", "common"} and len(tenants) == 1:
            return tenants[0]
        raise OAuthError("invalid_request", f"Tenant '{ref}' not found.")

    def _check_client(self, tenant_id: str, client_id: str, secret: str) -> Principal:
        with self._deps.uow() as uow:
            principal = uow.principals.by_app_id(tenant_id, client_id) if client_id else None
        if principal is None or not verify_secret(secret, principal.secret_hash):
            raise OAuthError("invalid_client", "Invalid client secret or client id provided.")
        return principal

    def _check_user(self, tenant_id: str, username: str, password: str) -> Principal:
        with self._deps.uow() as uow:
            principal = uow.principals.by_user_principal_name(tenant_id, username) if username else None
        if principal is None or not verify_secret(password, principal.secret_hash):
            raise OAuthError("invalid_grant", "Error validating credentials due to invalid username or password.")
        return principal

    def _check_refresh(self, tenant_id: str, token: str) -> Principal:
        try:
            claims = self._tokens.verify(token, now=self._deps.clock.now(), audience=MANAGEMENT_AUDIENCES[0],
                                         refresh=True, tenant_id=tenant_id)
        except AuthenticationFailed as exc:
            raise OAuthError("invalid_grant", f"The refresh token is not valid: {exc.message}") from None
        with self._deps.uow() as uow:
            principal = uow.principals.get(claims.object_id)
        if principal is None:
            raise OAuthError("invalid_grant", "The user of this refresh token no longer exists.")
        return principal

    def _token_body(self, principal: Principal, audience: str, *, with_refresh: bool) -> dict[str, Any]:
        now = self._deps.clock.now()
        ptype = "User" if principal.kind is PrincipalKind.USER else "ServicePrincipal"
        extra = {"upn": principal.user_principal_name} if principal.user_principal_name else {"appid": principal.app_id}
        token, expires = self._tokens.issue(
            tenant_id=principal.tenant_id, object_id=principal.id, name=principal.sign_in_name,
            principal_type=ptype, now=now, audience=audience, extra=extra,
        )
        lifetime = int((expires - now).total_seconds())
        body: dict[str, Any] = {
            "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token,
        }
        if with_refresh:
            body["refresh_token"], _ = self._tokens.issue(
                tenant_id=principal.tenant_id, object_id=principal.id, name=principal.sign_in_name,
                principal_type=ptype, now=now, audience=MANAGEMENT_AUDIENCES[0], refresh=True,
            )
        return body

    # -- requests --------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller behind an ``Authorization`` header, or a 401."""
        caller = self.token_caller(authorization)
        with self._deps.uow() as uow:
            return admit_principal(uow, caller)

    def token_caller(self, authorization: str | None) -> Caller:
        """The caller a valid bearer token names, not yet checked against the store
        (``Caller.admitted`` is false): the use case admits it inside its own unit of work
        (``admit_principal``, then the route's action), so a request reads the store once."""
        if not authorization:
            raise AuthenticationFailed(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed(
                "InvalidAuthenticationToken", "Authentication failed. The 'Authorization' header is not a bearer token."
            )
        if self._tenant_id is None:
            self._tenant_id = self.tenant().id
        claims = self._tokens.verify(
            token.strip(), now=self._deps.clock.now(), audience=self._audiences, tenant_id=self._tenant_id
        )
        return Caller(tenant_id=claims.tenant_id, principal_id=claims.object_id, name="",
                      principal_type=claims.principal_type, admitted=False, job_key=claims.job_key)

    def jwks(self, tenant_ref: str) -> dict[str, Any]:
        self._resolve_tenant(tenant_ref)
        return self._tokens.jwks()


def _audience(scope: str | None) -> str:
    """``https://management.azure.com/.default`` asks for the audience ``https://management.azure.com/``."""
    if not scope:
        return MANAGEMENT_AUDIENCES[0]
    first = scope.split()[0]
    resource = first.removesuffix(".default")
    if not resource.endswith("/"):
        resource += "/"
    # az writes the management resource as "https://management.core.windows.net//.default".
    return resource.replace("//", "/").replace(":/", "://")
