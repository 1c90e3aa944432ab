"""Helpers for the authorization tests: principals made through the API, tokens, role assignments."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.conftest import Api

AUTH = "api-version=2022-04-01"
PASSWORD = "pass-word-1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_user(api: Api, name: str) -> dict[str, Any]:
    r = api.client.post("/v1.0/users", json={"userPrincipalName": f"{name}@amlite.local", "displayName": name,
                                             "passwordProfile": {"password": PASSWORD}})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def user_token(api: Api, name: str) -> str:
    r = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", headers={"Authorization": ""}, data={
        "grant_type": "password", "username": f"{name}@amlite.local", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def create_sp(api: Api, name: str) -> tuple[dict[str, Any], str]:
    sp = api.client.post("/v1.0/servicePrincipals", json={"displayName": name})
    assert sp.status_code == 201, sp.text
    secret = api.client.post(f"/v1.0/servicePrincipals/{sp.json()['id']}/addPassword", json={})
    assert secret.status_code == 200, secret.text
    return sp.json(), str(secret.json()["secretText"])


def sp_token(api: Api, app_id: str, secret: str) -> str:
    r = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", headers={"Authorization": ""}, data={
        "grant_type": "client_credentials", "client_id": app_id, "client_secret": secret})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def role_id(api: Api, role_name: str, scope: str | None = None) -> str:
    scope = scope or f"/subscriptions/{api.sub}"
    r = api.client.get(f"{scope}/providers/Microsoft.Authorization/roleDefinitions",
                       params={"api-version": "2022-04-01", "$filter": f"roleName eq '{role_name}'"})
    assert r.status_code == 200 and len(r.json()["value"]) == 1, r.text
    return str(r.json()["value"][0]["id"])


def assign(api: Api, principal_id: str, role_name: str, scope: str, *, token: str | None = None) -> Any:
    """PUT a role assignment (as the admin, or as ``token``'s principal); returns the response."""
    headers = bearer(token) if token else {}
    return api.client.put(
        f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}?{AUTH}",
        json={"properties": {"roleDefinitionId": role_id(api, role_name, scope if scope != "/" else None),
                             "principalId": principal_id}}, headers=headers)


def custom_role(api: Api, name: str, actions: list[str], not_actions: list[str] | None = None,
                scopes: list[str] | None = None) -> dict[str, Any]:
    scopes = scopes or [f"/subscriptions/{api.sub}"]
    r = api.client.put(f"{scopes[0]}/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}?{AUTH}", json={
        "properties": {"roleName": name, "description": f"{name} (test)", "type": "CustomRole",
                       "assignableScopes": scopes,
                       "permissions": [{"actions": actions, "notActions": not_actions or []}]}})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]
