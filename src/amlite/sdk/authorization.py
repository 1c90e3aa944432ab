"""Role definitions, role assignments (Microsoft.Authorization) and the activity log
(Microsoft.Insights): what ``az role`` and ``az monitor activity-log`` use.

    >>> from amlite.sdk.authorization import AuthorizationClient
    >>> auth = AuthorizationClient(AmliteCliCredential())
    >>> reader = auth.role_definitions.list(scope, role_name="Reader")[0]
    >>> auth.role_assignments.create(scope, reader["id"], principal_id)

Scopes are ARM ids: ``/``, ``/subscriptions/{id}``, ``.../resourceGroups/{name}`` or a resource id.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from amlite.sdk._pipeline import HttpPipeline, ItemPaged, TokenCredential, quote
from amlite.sdk.arm import resolve_endpoint

__all__ = ["AUTHORIZATION_API_VERSION", "AuthorizationClient", "MONITOR_API_VERSION", "POLICY_API_VERSION"]

AUTHORIZATION_API_VERSION = "2022-04-01"
POLICY_API_VERSION = "2023-04-01"
MONITOR_API_VERSION = "2015-04-01"


def _under(scope: str, tail: str) -> str:
    base = "/" + scope.strip().strip("/")
    return (base.rstrip("/") if base != "/" else "") + tail


def _quoted(text: str) -> str:
    return text.replace("'", "''")


class RoleDefinitionOperations:
    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def list(self, scope: str, *, role_name: str | None = None, custom_only: bool = False) -> list[dict[str, Any]]:
        params = None
        if role_name:
            params = {"$filter": f"roleName eq '{_quoted(role_name)}'"}
        elif custom_only:
            params = {"$filter": "type eq 'CustomRole'"}
        body = self._pipeline.get_json(_under(scope, "/providers/Microsoft.Authorization/roleDefinitions"),
                                       api_version=AUTHORIZATION_API_VERSION, params=params)
        return list(body.get("value") or [])

    def get(self, scope: str, role_id: str) -> dict[str, Any]:
        url = _under(scope, f"/providers/Microsoft.Authorization/roleDefinitions/{quote(role_id)}")
        return dict(self._pipeline.get_json(url, api_version=AUTHORIZATION_API_VERSION))

    def create_or_update(self, scope: str, role_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        url = _under(scope, f"/providers/Microsoft.Authorization/roleDefinitions/{quote(role_id)}")
        response = self._pipeline.send("PUT", url, api_version=AUTHORIZATION_API_VERSION,
                                       json={"name": role_id, "properties": properties})
        return dict(response.json())

    def delete(self, scope: str, role_id: str) -> dict[str, Any]:
        url = _under(scope, f"/providers/Microsoft.Authorization/roleDefinitions/{quote(role_id)}")
        return dict(self._pipeline.send("DELETE", url, api_version=AUTHORIZATION_API_VERSION).json())


class RoleAssignmentOperations:
    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def create(self, scope: str, role_definition_id: str, principal_id: str, *, principal_type: str | None = None,
               name: str | None = None) -> dict[str, Any]:
        name = name or str(uuid.uuid4())
        props: dict[str, Any] = {"roleDefinitionId": role_definition_id, "principalId": principal_id}
        if principal_type:
            props["principalType"] = principal_type
        url = _under(scope, f"/providers/Microsoft.Authorization/roleAssignments/{quote(name)}")
        return dict(self._pipeline.send("PUT", url, api_version=AUTHORIZATION_API_VERSION,
                                        json={"properties": props}).json())

    def list(self, scope: str, *, at_scope: bool = False, principal_id: str | None = None) -> list[dict[str, Any]]:
        terms = (["atScope()"] if at_scope else []) + ([f"principalId eq '{principal_id}'"] if principal_id else [])
        params = {"$filter": " and ".join(terms)} if terms else None
        body = self._pipeline.get_json(_under(scope, "/providers/Microsoft.Authorization/roleAssignments"),
                                       api_version=AUTHORIZATION_API_VERSION, params=params)
        return list(body.get("value") or [])

    def delete_by_id(self, assignment_id: str) -> dict[str, Any] | None:
        """The deleted assignment, or None if there was none by that id (204, as on Azure)."""
        response = self._pipeline.send("DELETE", assignment_id, api_version=AUTHORIZATION_API_VERSION)
        return None if response.status_code == 204 else dict(response.json())


class PolicyDefinitionOperations:
    """The built-in policy definitions (``az policy definition list/show``)."""

    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def list(self) -> list[dict[str, Any]]:
        body = self._pipeline.get_json("/providers/Microsoft.Authorization/policyDefinitions",
                                       api_version=POLICY_API_VERSION)
        return list(body.get("value") or [])

    def get(self, name: str) -> dict[str, Any]:
        return dict(self._pipeline.get_json(f"/providers/Microsoft.Authorization/policyDefinitions/{quote(name)}",
                                            api_version=POLICY_API_VERSION))


class PolicyAssignmentOperations:
    """Policy assignments at a subscription or resource group (``az policy assignment``)."""

    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def create(self, scope: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
        url = _under(scope, f"/providers/Microsoft.Authorization/policyAssignments/{quote(name)}")
        return dict(self._pipeline.send("PUT", url, api_version=POLICY_API_VERSION,
                                        json={"properties": properties}).json())

    def get(self, scope: str, name: str) -> dict[str, Any]:
        url = _under(scope, f"/providers/Microsoft.Authorization/policyAssignments/{quote(name)}")
        return dict(self._pipeline.get_json(url, api_version=POLICY_API_VERSION))

    def list(self, scope: str, *, at_scope: bool = False) -> list[dict[str, Any]]:
        params = {"$filter": "atScope()"} if at_scope else None
        body = self._pipeline.get_json(_under(scope, "/providers/Microsoft.Authorization/policyAssignments"),
                                       api_version=POLICY_API_VERSION, params=params)
        return list(body.get("value") or [])

    def delete(self, scope: str, name: str) -> dict[str, Any] | None:
        """The deleted assignment, or None if there was none (204, as on Azure)."""
        url = _under(scope, f"/providers/Microsoft.Authorization/policyAssignments/{quote(name)}")
        response = self._pipeline.send("DELETE", url, api_version=POLICY_API_VERSION)
        return None if response.status_code == 204 else dict(response.json())


class ActivityLogOperations:
    def __init__(self, pipeline: HttpPipeline) -> None:
        self._pipeline = pipeline

    def list(self, subscription_id: str, filter: str, *, max_events: int | None = None) -> list[dict[str, Any]]:
        """Events newest first, following nextLink up to ``max_events``."""
        url = f"/subscriptions/{quote(subscription_id)}/providers/Microsoft.Insights/eventtypes/management/values"
        events: list[dict[str, Any]] = []
        pages: ItemPaged[dict[str, Any]] = self._pipeline.paged(url, api_version=MONITOR_API_VERSION,
                                                                params={"$filter": filter})
        for page in pages.by_page():
            events.extend(page)
            if max_events is not None and len(events) >= max_events:
                return events[:max_events]
        return events


class AuthorizationClient:
    """Role definitions, role assignments and the activity log over one pipeline."""

    def __init__(self, credential: TokenCredential, endpoint: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = resolve_endpoint(endpoint, credential)
        self._pipeline = HttpPipeline(credential, self.endpoint, transport=transport)
        self.role_definitions = RoleDefinitionOperations(self._pipeline)
        self.role_assignments = RoleAssignmentOperations(self._pipeline)
        self.activity_logs = ActivityLogOperations(self._pipeline)
        self.policy_definitions = PolicyDefinitionOperations(self._pipeline)
        self.policy_assignments = PolicyAssignmentOperations(self._pipeline)

    def close(self) -> None:
        self._pipeline.close()

    def __enter__(self) -> AuthorizationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
