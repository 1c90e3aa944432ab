"""``amlite login`` and ``amlite logout``.

Login gets a token (password grant for users, client-credentials for service principals), lists
the subscriptions the principal can see, and stores the profile the way az stores
``azureProfile.json``: endpoint, tenant, user, subscriptions with one default, and the secrets
needed to get the next token (refresh token for users, the secret for service principals).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError, Session
from amlite.cli.tables import account_table
from amlite.sdk._constants import env_endpoint, normalize_endpoint
from amlite.sdk.arm import ArmClient
from amlite.sdk.credentials import AccessToken, TokenResponse, request_token

__all__ = ["register", "subscription_entries"]

CLOUD_NAME = "amlite"


class _StaticToken:
    """A credential that hands out one token: login's first calls, before the profile exists."""

    def __init__(self, token: AccessToken, endpoint: str) -> None:
        self._token = token
        self.endpoint = endpoint

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._token


def subscription_entries(
    subscriptions: list[dict[str, Any]],
    user: dict[str, str],
    tenant_id: str,
    default_id: str | None,
) -> list[dict[str, Any]]:
    """Profile entries in az's ``account list`` shape, with exactly one ``isDefault``."""
    ids = [str(s.get("subscriptionId") or str(s.get("id", "")).rsplit("/", 1)[-1]) for s in subscriptions]
    chosen = next((i for i in ids if default_id and i.lower() == default_id.lower()), ids[0] if ids else None)
    entries: list[dict[str, Any]] = []
    for sub, sub_id in zip(subscriptions, ids, strict=True):
        entries.append({
            "cloudName": CLOUD_NAME,
            "homeTenantId": sub.get("tenantId") or tenant_id,
            "id": sub_id,
            "isDefault": sub_id == chosen,
            "managedByTenants": [],
            "name": sub.get("displayName") or sub_id,
            "state": sub.get("state") or "Enabled",
            "tenantId": sub.get("tenantId") or tenant_id,
            "user": dict(user),
        })
    return entries


def _read_credentials_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError("FileNotFound", f"The credentials file '{path}' does not exist.") from None
    except (OSError, ValueError) as exc:
        raise CliError("InvalidCredentialsFile", f"Cannot read '{path}': {exc}") from None
    if not isinstance(data, dict):
        raise CliError("InvalidCredentialsFile", f"'{path}' must hold a JSON object.")
    return data


def login(
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="The amlite server, e.g. http://127.0.0.1:8600.")] = None,
    credentials_file: Annotated[Path | None, typer.Option("--credentials-file", help="A JSON file with tenantId, username, password (and endpoint, subscriptionId), such as the server's admin-credentials.json.")] = None,
    username: Annotated[str | None, typer.Option("--username", "-u", help="User name, or the client id with --service-principal.")] = None,
    password: Annotated[str | None, typer.Option("--password", "-p", help="Password, or the client secret with --service-principal.")] = None,
    service_principal: Annotated[bool, typer.Option("--service-principal", help="Log in as a service principal.")] = False,
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="The tenant id (default: the last login's, else the server's only tenant).")] = None,
) -> Any:
    """Log in to an amlite server and list the subscriptions you can use."""
    session = current_session()
    preferred: str | None = None
    if credentials_file is not None:
        data = _read_credentials_file(credentials_file)
        endpoint = endpoint or data.get("endpoint")
        tenant = tenant or data.get("tenantId")
        preferred = data.get("subscriptionId")
        if data.get("clientId") or service_principal:
            service_principal = True
            username = username or data.get("clientId")
            password = password or data.get("clientSecret")
        else:
            username = username or data.get("username")
            password = password or data.get("password")
    # Like az's cloud setting, the endpoint outlives a login: reuse the last one when none is given.
    endpoint = endpoint or env_endpoint() or (session.store.load_profile() or {}).get("endpoint")
    if not endpoint:
        raise CliError("MissingArgument", "the following arguments are required: --endpoint", 2)
    if not username or not password:
        raise CliError(
            "MissingArgument",
            "give --credentials-file, or --username and --password "
            "(with --service-principal: -u CLIENT_ID -p SECRET)", 2,
        )
    # As az: without --tenant, the last login's tenant, else "organizations" (the server's only tenant).
    tenant = tenant or (session.store.load_profile() or {}).get("tenantId") or "organizations"
    endpoint = normalize_endpoint(endpoint)
    if service_principal:
        answer = request_token(endpoint, tenant, {"grant_type": "client_credentials",
                                                  "client_id": username, "client_secret": password})
        user = {"name": username, "type": "servicePrincipal"}
        tokens: dict[str, Any] = {"clientId": username, "clientSecret": password}
    else:
        answer = request_token(endpoint, tenant, {"grant_type": "password",
                                                  "username": username, "password": password})
        user = {"name": username, "type": "user"}
        tokens = {"refreshToken": answer.refresh_token or ""}
    tokens.update(_token_fields(answer))
    tenant = _token_tenant(answer.access_token.token) or tenant
    with ArmClient(_StaticToken(answer.access_token, endpoint), endpoint) as arm:
        subscriptions = list(arm.subscriptions.list())
    entries = subscription_entries(subscriptions, user, tenant, preferred)
    session.store.save_profile({"endpoint": endpoint, "tenantId": tenant, "user": user,
                                "subscriptions": entries})
    session.store.save_tokens(tokens)
    if not entries:
        session.warn(f"No subscriptions found for {username}.")
    return entries


def _token_tenant(token: str) -> str | None:
    """The ``tid`` claim of an access token: the tenant's id when login named it ``organizations``.

    Read without checking the signature; the server checks the token on every request anyway.
    """
    import base64

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    tid = payload.get("tid") if isinstance(payload, dict) else None
    return str(tid) if tid else None


def _token_fields(answer: TokenResponse) -> dict[str, Any]:
    return {"accessToken": answer.access_token.token, "expiresOn": answer.access_token.expires_on,
            "expiresIn": answer.expires_in}


def refresh_subscriptions(session: Session) -> list[dict[str, Any]]:
    """Re-list subscriptions from the server, keeping the current default when it still exists."""
    profile = session.profile()
    current = session.store.default_subscription()
    subscriptions = list(session.arm().subscriptions.list())
    entries = subscription_entries(
        subscriptions, profile.get("user") or {}, str(profile.get("tenantId") or ""),
        current.get("id") if current else None,
    )
    profile["subscriptions"] = entries
    session.store.save_profile(profile)
    return entries


def logout(
    username: Annotated[str | None, typer.Option("--username", help="Accepted for az compatibility; amlite keeps one login.")] = None,
) -> None:
    """Log out: forget the stored tokens and subscriptions (configured defaults are kept)."""
    if not current_session().store.clear_login():
        raise CliError("NotLoggedIn", "There are no active accounts.")


def register(app: typer.Typer) -> None:
    command(app, "login", table=account_table)(login)
    command(app, "logout")(logout)
