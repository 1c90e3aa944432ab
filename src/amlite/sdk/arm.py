"""A low-level client for the Microsoft.Resources side of the API (what azure-mgmt-resource,
azure-mgmt-subscription and the ``az account``/``az group``/``az provider`` commands use).

It answers plain dicts in the server's camelCase shape: the CLI prints them as they are, and a
caller that wants typed objects uses :class:`amlite.MLClient` for workspaces instead.

    >>> from amlite import ArmClient, AmliteCliCredential
    >>> arm = ArmClient(AmliteCliCredential(), subscription_id="...")
    >>> arm.resource_groups.create_or_update("rg1", "eastus", tags={"team": "a"})["name"]
    'rg1'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from amlite.sdk._constants import (
    ML_API_VERSION,
    RESOURCES_API_VERSION,
    SUBSCRIPTION_API_VERSION,
    env_endpoint,
    normalize_endpoint,
)
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, TokenCredential, quote
from amlite.sdk.errors import ValidationException
from amlite.sdk.polling import LROPoller
from amlite.sdk.profile import ProfileStore

__all__ = ["ArmClient", "resolve_endpoint"]

API = RESOURCES_API_VERSION


def resolve_endpoint(endpoint: str | None, credential: Any) -> str:
    """Explicit endpoint, else the credential's, else ``AMLITE_ENDPOINT``, else the CLI profile's."""
    for candidate in (endpoint, getattr(credential, "endpoint", None), env_endpoint()):
        if candidate:
            return normalize_endpoint(str(candidate))
    profile = ProfileStore().load_profile() or {}
    if profile.get("endpoint"):
        return normalize_endpoint(str(profile["endpoint"]))
    raise ValidationException(
        "No amlite endpoint: pass endpoint=..., set AMLITE_ENDPOINT, or run 'amlite login'.",
        code="MissingEndpoint",
    )


class _Operations:
    """Base of the operation groups: holds the pipeline and the client's default subscription."""

    def __init__(self, pipeline: HttpPipeline, client: ArmClient) -> None:
        self._pipeline = pipeline
        self._client = client

    def _sub(self, subscription_id: str | None) -> str:
        sub = subscription_id or self._client.subscription_id
        if not sub:
            raise ValidationException("A subscription id is required.", code="MissingSubscription")
        return quote(sub)


class RegionDrillOperations(_Operations):
    """Outage drills (admin-only): fail and restore a region, read the drills' state."""

    _LOC = "/providers/Microsoft.MachineLearningServices/locations/"

    def fail(self, region: str) -> dict[str, Any]:
        return dict(self._pipeline.send("POST", self._LOC + quote(region) + "/fail", api_version=ML_API_VERSION).json())

    def restore(self, region: str) -> dict[str, Any]:
        return dict(self._pipeline.send("POST", self._LOC + quote(region) + "/restore",
                                        api_version=ML_API_VERSION).json())

    def get(self, region: str) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._LOC + quote(region) + "/outageDrill", api_version=ML_API_VERSION))

    def list(self) -> list[dict[str, Any]]:
        body = self._pipeline.get_json("/providers/Microsoft.MachineLearningServices/outageDrills",
                                       api_version=ML_API_VERSION)
        return list(body.get("value", []))


class WorkspacePairOperations(_Operations):
    """Paired workspaces (amlite's own resource): a primary, a secondary in another region, and
    a mode per kind; ``get`` shows the secondary's lag per kind."""

    _PAIRS = "/providers/Microsoft.MachineLearningServices/workspacePairs"

    def create(self, name: str, primary_id: str, secondary_id: str, mode: str,
               per_kind: dict[str, str] | None = None, auto_failover: bool = False,
               failover_after_seconds: int | None = None) -> dict[str, Any]:
        props: dict[str, Any] = {"primaryWorkspaceId": primary_id, "secondaryWorkspaceId": secondary_id, "mode": mode}
        if per_kind:
            props["perKind"] = per_kind
        if auto_failover:
            props["autoFailover"] = True
        if failover_after_seconds is not None:
            props["failoverAfterSeconds"] = failover_after_seconds
        return dict(self._pipeline.send("PUT", f"{self._PAIRS}/{quote(name)}", api_version=ML_API_VERSION,
                                        json={"properties": props}).json())

    def get(self, name: str) -> dict[str, Any]:
        return dict(self._pipeline.get_json(f"{self._PAIRS}/{quote(name)}", api_version=ML_API_VERSION))

    def list(self) -> list[dict[str, Any]]:
        return list(self._pipeline.get_json(self._PAIRS, api_version=ML_API_VERSION).get("value", []))

    def delete(self, name: str) -> None:
        self._pipeline.send("DELETE", f"{self._PAIRS}/{quote(name)}", api_version=ML_API_VERSION)

    def failover(self, name: str) -> dict[str, Any]:
        """Switch the pair to its secondary; the switch's report (RTO, what was not copied per kind,
        the jobs resubmitted). A report with ``status`` ``InProgress`` means it took longer than the
        server waits: ``get(name)["properties"]["failovers"]`` shows it once done."""
        return dict(self._pipeline.send("POST", f"{self._PAIRS}/{quote(name)}/failover",
                                        api_version=ML_API_VERSION).json())

    def failback(self, name: str) -> dict[str, Any]:
        """Switch a failed-over pair back to its primary, copying back what was made meanwhile."""
        return dict(self._pipeline.send("POST", f"{self._PAIRS}/{quote(name)}/failback",
                                        api_version=ML_API_VERSION).json())


class SubscriptionOperations(_Operations):
    def list(self) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged("/subscriptions", api_version=API)

    def get(self, subscription_id: str | None = None) -> dict[str, Any]:
        return dict(self._pipeline.get_json(f"/subscriptions/{self._sub(subscription_id)}", api_version=API))

    def list_locations(self, subscription_id: str | None = None) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged(f"/subscriptions/{self._sub(subscription_id)}/locations", api_version=API)


class TenantOperations(_Operations):
    def list(self) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged("/tenants", api_version=API)


class SubscriptionAliasOperations(_Operations):
    """Creating a subscription goes through an alias, as in azure-mgmt-subscription."""

    def begin_create(
        self,
        alias_name: str,
        display_name: str,
        *,
        workload: str = "Production",
        subscription_id: str | None = None,
    ) -> LROPoller[dict[str, Any]]:
        properties: dict[str, Any] = {"displayName": display_name, "workload": workload}
        if subscription_id:
            properties["subscriptionId"] = subscription_id
        url = f"/providers/Microsoft.Subscription/aliases/{quote(alias_name)}"
        response = self._pipeline.send(
            "PUT", url, api_version=SUBSCRIPTION_API_VERSION, json={"properties": properties}
        )
        return LROPoller(
            self._pipeline, response, _json_or_none, api_version=SUBSCRIPTION_API_VERSION,
            final_url=self._pipeline.url(url),
        )


class ProviderOperations(_Operations):
    def _url(self, namespace: str, subscription_id: str | None) -> str:
        return f"/subscriptions/{self._sub(subscription_id)}/providers/{quote(namespace)}"

    def list(self, subscription_id: str | None = None) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged(f"/subscriptions/{self._sub(subscription_id)}/providers", api_version=API)

    def get(self, namespace: str, subscription_id: str | None = None) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._url(namespace, subscription_id), api_version=API))

    def register(self, namespace: str, subscription_id: str | None = None) -> dict[str, Any]:
        url = self._url(namespace, subscription_id) + "/register"
        return dict(self._pipeline.send("POST", url, api_version=API).json())

    def unregister(self, namespace: str, subscription_id: str | None = None) -> dict[str, Any]:
        url = self._url(namespace, subscription_id) + "/unregister"
        return dict(self._pipeline.send("POST", url, api_version=API).json())


def _json_or_none(response: httpx.Response | None) -> Any:
    if response is None or not response.content:
        return None
    return response.json()


def tag_filter(tag: str) -> str:
    """``k`` or ``k=v`` to the OData filter ARM understands for resource group lists."""
    name, sep, value = tag.partition("=")

    def esc(text: str) -> str:
        return text.replace("'", "''")  # OData doubles quotes inside literals

    if sep:
        return f"tagName eq '{esc(name)}' and tagValue eq '{esc(value)}'"
    return f"tagName eq '{esc(name)}'"


class ResourceGroupOperations(_Operations):
    def _url(self, name: str, subscription_id: str | None) -> str:
        return f"/subscriptions/{self._sub(subscription_id)}/resourcegroups/{quote(name)}"

    def create_or_update(
        self,
        name: str,
        location: str,
        *,
        tags: dict[str, str] | None = None,
        managed_by: str | None = None,
        subscription_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"location": location}
        if tags is not None:
            body["tags"] = tags
        if managed_by is not None:
            body["managedBy"] = managed_by
        response = self._pipeline.send("PUT", self._url(name, subscription_id), api_version=API, json=body)
        return dict(response.json())

    def get(self, name: str, *, subscription_id: str | None = None) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._url(name, subscription_id), api_version=API))

    def exists(self, name: str, *, subscription_id: str | None = None) -> bool:
        """HEAD the group: ``True`` on 204, ``False`` on 404, a typed error otherwise."""
        response = self._pipeline.send_raw("HEAD", self._url(name, subscription_id), api_version=API)
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            # HEAD answers carry no body: fetch the same URL to get the error code and message.
            self.get(name, subscription_id=subscription_id)
        return True

    check_existence = exists

    def list(
        self, *, tag: str | None = None, subscription_id: str | None = None
    ) -> ItemPaged[dict[str, Any]]:
        params = {"$filter": tag_filter(tag)} if tag else None
        return self._pipeline.paged(
            f"/subscriptions/{self._sub(subscription_id)}/resourcegroups", api_version=API, params=params
        )

    def update(
        self,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        managed_by: str | None = None,
        subscription_id: str | None = None,
    ) -> dict[str, Any]:
        """PATCH the group; ``tags`` replaces the whole tag set, as ARM does."""
        body: dict[str, Any] = {}
        if tags is not None:
            body["tags"] = tags
        if managed_by is not None:
            body["managedBy"] = managed_by
        response = self._pipeline.send("PATCH", self._url(name, subscription_id), api_version=API, json=body)
        return dict(response.json())

    def begin_delete(
        self,
        name: str,
        *,
        force_deletion_types: str | Sequence[str] | None = None,
        subscription_id: str | None = None,
    ) -> LROPoller[None]:
        """Delete the group (202 + polling); a group holding resources needs force_deletion_types."""
        params: dict[str, Any] = {}
        if force_deletion_types:
            if not isinstance(force_deletion_types, str):
                force_deletion_types = ",".join(force_deletion_types)
            params["forceDeletionTypes"] = force_deletion_types
        response = self._pipeline.send(
            "DELETE", self._url(name, subscription_id), api_version=API, params=params or None
        )
        return LROPoller(self._pipeline, response, lambda _r: None, api_version=API)

    def list_resources(
        self, name: str, *, subscription_id: str | None = None
    ) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged(self._url(name, subscription_id) + "/resources", api_version=API)

    def export_template(self, resource_group_name: str, resources: Sequence[str], *,
                        subscription_id: str | None = None) -> dict[str, Any]:
        """The group's ``exportTemplate`` for the resources named: ``{"template": ...}``."""
        url = f"/subscriptions/{self._sub(subscription_id)}/resourcegroups/{quote(resource_group_name)}/exportTemplate"
        response = self._pipeline.send("POST", url, api_version=API, json={"resources": list(resources)})
        return dict(response.json())


class DeploymentOperations(_Operations):
    """Template deployments into a resource group (azure-mgmt-resource's ``deployments``)."""

    def _url(self, resource_group_name: str, name: str | None, subscription_id: str | None) -> str:
        base = (f"/subscriptions/{self._sub(subscription_id)}/resourcegroups/{quote(resource_group_name)}"
                "/providers/Microsoft.Resources/deployments")
        return f"{base}/{quote(name)}" if name else base

    def begin_create_or_update(self, resource_group_name: str, deployment_name: str, parameters: dict[str, Any], *,
                               subscription_id: str | None = None) -> LROPoller[dict[str, Any]]:
        """PUT the deployment (``{"properties": {"template", "parameters", "mode"}}``); the result is
        the deployment, ``Failed`` ones included (their ``properties.error`` names the resource)."""
        url = self._url(resource_group_name, deployment_name, subscription_id)
        response = self._pipeline.send("PUT", url, api_version=API, json=parameters)
        return LROPoller(self._pipeline, response,
                         lambda _r: dict(self._pipeline.get_json(url, api_version=API)), api_version=API)

    def get(self, resource_group_name: str, deployment_name: str, *,
            subscription_id: str | None = None) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._url(resource_group_name, deployment_name, subscription_id),
                                            api_version=API))

    def list_by_resource_group(self, resource_group_name: str, *,
                               subscription_id: str | None = None) -> ItemPaged[dict[str, Any]]:
        return self._pipeline.paged(self._url(resource_group_name, None, subscription_id), api_version=API)


class ResourceOperations(_Operations):
    """Operations on resources by id (``az resource``): moving them between groups and
    subscriptions, and invoking an action on any resource."""

    def _move(self, action: str, source_resource_group_name: str, parameters: dict[str, Any],
              subscription_id: str | None) -> LROPoller[None]:
        url = f"/subscriptions/{self._sub(subscription_id)}/resourcegroups/{quote(source_resource_group_name)}/{action}"
        response = self._pipeline.send("POST", url, api_version=API, json=parameters)
        return LROPoller(self._pipeline, response, lambda _r: None, api_version=API)

    def begin_validate_move_resources(self, source_resource_group_name: str, parameters: dict[str, Any], *,
                                      subscription_id: str | None = None) -> LROPoller[None]:
        """Validate moving ``parameters["resources"]`` to ``parameters["targetResourceGroup"]``; the
        poller raises the refusal (409, one detail per reason) or returns ``None``."""
        return self._move("validateMoveResources", source_resource_group_name, parameters, subscription_id)

    def begin_move_resources(self, source_resource_group_name: str, parameters: dict[str, Any], *,
                             subscription_id: str | None = None) -> LROPoller[None]:
        return self._move("moveResources", source_resource_group_name, parameters, subscription_id)

    def begin_invoke_action(self, resource_id: str, action: str, body: Any = None, *,
                            api_version: str | None = None) -> LROPoller[Any]:
        """POST ``{resource_id}/{action}``; a 202 is followed to its end, the final body returned."""
        version = api_version or default_api_version(resource_id)
        response = self._pipeline.send("POST", f"{resource_id.rstrip('/')}/{quote(action)}", api_version=version,
                                       json=body)
        return LROPoller(self._pipeline, response, _json_or_none, api_version=version)


class PrivateEndpointConnectionOperations(_Operations):
    """A resource's private endpoint connections (``az network private-endpoint-connection``);
    amlite's resources with connections are Machine Learning workspaces."""

    def _url(self, resource_id: str, name: str | None = None) -> str:
        base = f"{resource_id.rstrip('/')}/privateEndpointConnections"
        return base if name is None else f"{base}/{quote(name)}"

    def list(self, resource_id: str) -> list[dict[str, Any]]:
        return list(self._pipeline.get_json(self._url(resource_id), api_version=ML_API_VERSION).get("value") or [])

    def get(self, resource_id: str, name: str) -> dict[str, Any]:
        return dict(self._pipeline.get_json(self._url(resource_id, name), api_version=ML_API_VERSION))

    def set_status(self, resource_id: str, name: str, status: str, description: str | None = None) -> dict[str, Any]:
        """Approve or reject a connection (``status``: Approved or Rejected)."""
        state: dict[str, Any] = {"status": status}
        if description is not None:
            state["description"] = description
        response = self._pipeline.send("PUT", self._url(resource_id, name), api_version=ML_API_VERSION,
                                       json={"properties": {"privateLinkServiceConnectionState": state}})
        return dict(response.json())

    def delete(self, resource_id: str, name: str) -> None:
        self._pipeline.send("DELETE", self._url(resource_id, name), api_version=ML_API_VERSION)


def default_api_version(resource_id: str) -> str:
    """The api-version for an id when none is given: Microsoft.Resources' for subscriptions and
    groups, Machine Learning's for its resources."""
    lowered = resource_id.lower()
    if "/providers/microsoft.machinelearningservices/" in lowered:
        return ML_API_VERSION
    if "/providers/" not in lowered.split("/resourcegroups/")[-1] or "/providers/microsoft.resources/" in lowered:
        return API
    raise ValidationException(f"Pass --api-version for '{resource_id}'.", code="MissingApiVersion")


class ArmClient:
    """Subscriptions, locations, tenants, aliases, providers and resource groups over one pipeline."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        subscription_id: str | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint, credential)
        self.subscription_id = subscription_id
        self._pipeline = HttpPipeline(credential, self.endpoint, transport=transport)
        self.subscriptions = SubscriptionOperations(self._pipeline, self)
        self.tenants = TenantOperations(self._pipeline, self)
        self.subscription_aliases = SubscriptionAliasOperations(self._pipeline, self)
        self.providers = ProviderOperations(self._pipeline, self)
        self.resource_groups = ResourceGroupOperations(self._pipeline, self)
        self.resources = ResourceOperations(self._pipeline, self)
        self.deployments = DeploymentOperations(self._pipeline, self)
        self.private_endpoint_connections = PrivateEndpointConnectionOperations(self._pipeline, self)
        self.region_drills = RegionDrillOperations(self._pipeline, self)
        self.workspace_pairs = WorkspacePairOperations(self._pipeline, self)

    def operation_status(self, status_url: str) -> dict[str, Any]:
        """A long-running operation's status body (``Azure-AsyncOperation`` URL)."""
        return dict(self._pipeline.get_json(status_url))

    def close(self) -> None:
        self._pipeline.close()

    def __enter__(self) -> ArmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

