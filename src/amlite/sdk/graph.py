"""A client for amlite's directory, shaped like Microsoft Graph v1.0 (what ``az ad`` talks to).

    >>> from amlite.sdk.graph import GraphClient
    >>> from amlite import AmliteCliCredential
    >>> graph = GraphClient(AmliteCliCredential())
    >>> sp = graph.service_principals.create("ci-bot")
    >>> secret = graph.service_principals.add_password(sp["id"])["secretText"]   # shown once

Answers are the server's Graph-shaped dicts (``id``, ``displayName``, ``userPrincipalName``,
``appId``...). Errors are the SDK's typed errors, as for every other client.
"""

from __future__ import annotations

from typing import Any

import httpx

from amlite.sdk._pipeline import HttpPipeline, TokenCredential, quote
from amlite.sdk.arm import resolve_endpoint

__all__ = ["GraphClient"]


def _filter(display_name: str | None, prefix: bool = False) -> dict[str, str] | None:
    if not display_name:
        return None
    text = display_name.replace("'", "''")
    return {"$filter": f"startswith(displayName,'{text}')" if prefix else f"displayName eq '{text}'"}


class _Collection:
    path = ""

    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def _url(self, ref: str | None = None) -> str:
        return f"/v1.0/{self.path}" + (f"/{quote(ref)}" if ref else "")

    def list(self, display_name: str | None = None, *, prefix: bool = False) -> list[dict[str, Any]]:
        body = self._pipeline.get_json(self._url(), params=_filter(display_name, prefix))
        return list(body.get("value") or [])

    def get(self, ref: str) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._url(ref)))

    def delete(self, ref: str) -> None:
        self._pipeline.send("DELETE", self._url(ref))

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._pipeline.send("POST", self._url(), json=body).json())


class UserOperations(_Collection):
    path = "users"

    def create(self, user_principal_name: str, password: str, display_name: str | None = None) -> dict[str, Any]:
        return self._create({
            "accountEnabled": True, "displayName": display_name or user_principal_name,
            "userPrincipalName": user_principal_name, "mailNickname": user_principal_name.split("@")[0],
            "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
        })


class ServicePrincipalOperations(_Collection):
    path = "servicePrincipals"

    def create(self, display_name: str) -> dict[str, Any]:
        return self._create({"displayName": display_name})

    def add_password(self, ref: str, display_name: str = "rbac") -> dict[str, Any]:
        """A new client secret (``secretText``); it replaces the previous one and is shown only now."""
        url = self._url(ref) + "/addPassword"
        return dict(self._pipeline.send("POST", url, json={"passwordCredential": {"displayName": display_name}}).json())


class GroupOperations(_Collection):
    path = "groups"

    def create(self, display_name: str, mail_nickname: str | None = None) -> dict[str, Any]:
        return self._create({"displayName": display_name, "mailNickname": mail_nickname or display_name,
                             "securityEnabled": True, "mailEnabled": False})

    def list_members(self, ref: str) -> list[dict[str, Any]]:
        return list(self._pipeline.get_json(self._url(ref) + "/members").get("value") or [])

    def add_member(self, ref: str, member_id: str) -> None:
        odata = f"{self._pipeline.endpoint}/v1.0/directoryObjects/{member_id}"
        self._pipeline.send("POST", self._url(ref) + "/members/$ref", json={"@odata.id": odata})

    def remove_member(self, ref: str, member_id: str) -> None:
        self._pipeline.send("DELETE", self._url(ref) + f"/members/{quote(member_id)}/$ref")


class GraphClient:
    """Users, service principals and groups of the tenant over one pipeline."""

    def __init__(self, credential: TokenCredential, endpoint: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = resolve_endpoint(endpoint, credential)
        self._pipeline = HttpPipeline(credential, self.endpoint, transport=transport)
        self.users = UserOperations(self._pipeline)
        self.service_principals = ServicePrincipalOperations(self._pipeline)
        self.groups = GroupOperations(self._pipeline)

    def close(self) -> None:
        self._pipeline.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
