"""``ml_client.registries``: create, get, list, update and delete registries (azure-ai-ml's names).

Registry names are unique in the tenant, so ``get(name)`` needs nothing else: it asks the
tenant-wide lookup ``GET /providers/Microsoft.MachineLearningServices/registries/{name}``. Writes
go to the registry's own ARM id, in the client's (or the given) subscription and resource group.
Create and update answer at once (``201``/``200``), delete is long-running (``202``); all come back
as :class:`LROPoller`, so ``begin_create(...).result()`` works as with azure-ai-ml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.errors import ValidationException
from amlite.sdk.polling import LROPoller
from amlite.sdk.registry_entities import Registry

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["RegistryOperations"]

NS = "/providers/Microsoft.MachineLearningServices/registries"


class RegistryOperations:
    def __init__(self, pipeline: HttpPipeline, client: MLClient, *, polling_interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._client = client
        self._polling_interval = polling_interval

    def _subscription(self, registry: Registry | None = None) -> str:
        sub = (registry.subscription_id if registry else None) or self._client.subscription_id
        if not sub:
            raise ValidationException("MLClient needs a subscription_id for registry operations.",
                                      code="MissingSubscription")
        return quote(sub)

    def _group(self, resource_group: str | None) -> str:
        group = resource_group or self._client.resource_group_name
        if not group:
            raise ValidationException("MLClient needs a resource_group_name to create a registry.",
                                      code="MissingResourceGroup")
        return quote(group)

    def _url(self, name: str, resource_group: str | None, registry: Registry | None = None) -> str:
        return f"/subscriptions/{self._subscription(registry)}/resourceGroups/{self._group(resource_group)}{NS}/{quote(name)}"

    def _poller(self, response: httpx.Response, url: str) -> LROPoller[Registry]:
        def deserialize(r: httpx.Response | None) -> Registry:
            assert r is not None
            return Registry._from_rest(r.json())

        return LROPoller(self._pipeline, response, deserialize, api_version=ML_API_VERSION,
                         final_url=self._pipeline.url(url), polling_interval=self._polling_interval)

    def get(self, name: str, **kwargs: Any) -> Registry:
        """The tenant's registry called ``name``, whichever subscription and group hold it."""
        return Registry._from_rest(self._pipeline.get_json(f"{NS}/{quote(name)}", api_version=ML_API_VERSION))

    def list(self, *, scope: str = "resource_group") -> ItemPaged[Registry]:
        """Registries in the client's resource group, or the subscription with ``scope="subscription"``."""
        if scope not in ("resource_group", "subscription"):
            raise ValidationException("scope must be 'resource_group' or 'subscription'.", code="InvalidScope")
        if scope == "subscription" or not self._client.resource_group_name:
            path = f"/subscriptions/{self._subscription()}{NS}"
        else:
            path = f"/subscriptions/{self._subscription()}/resourceGroups/{self._group(None)}{NS}"
        return self._pipeline.paged(path, api_version=ML_API_VERSION, factory=Registry._from_rest)

    def begin_create(self, registry: Registry, *, resource_group: str | None = None, **kwargs: Any) -> LROPoller[Registry]:
        """Create a registry (a PUT on an existing one updates it: tags, description, regions)."""
        url = self._url(registry.name, resource_group or registry.resource_group)
        response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=registry._to_rest())
        return self._poller(response, url)

    def begin_update(self, registry: Registry, *, resource_group: str | None = None, **kwargs: Any) -> LROPoller[Registry]:
        """Update a registry. With ``replication_locations`` the whole definition is sent (PUT: regions
        added or removed, the primary unchanged); without, only tags and description (PATCH)."""
        if not (resource_group or registry.resource_group) or not (registry.subscription_id or self._client.subscription_id):
            found = self.get(registry.name)
            registry.resource_group, registry.subscription_id = found.resource_group, found.subscription_id
            registry.location = registry.location or found.location
        url = self._url(registry.name, resource_group or registry.resource_group, registry)
        if registry.replication_locations:
            response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=registry._to_rest())
        else:
            response = self._pipeline.send("PATCH", url, api_version=ML_API_VERSION, json=registry._to_patch())
        return self._poller(response, url)

    def begin_delete(self, name: str, *, resource_group: str | None = None, permanently_delete: bool = False,
                     **kwargs: Any) -> LROPoller[None]:
        """Delete a registry (long-running). It is soft-deleted: recoverable (``recover``) for the
        server's retention period, its name still reserved. ``permanently_delete`` purges it (and
        its storage in every region) at once; a soft-deleted one is purged through its group."""
        if permanently_delete and resource_group:
            url = self._url(name, resource_group)
        else:
            found = self.get(name)
            url = self._url(found.name, resource_group or found.resource_group, found)
        params = {"forceToPurge": "true"} if permanently_delete else None
        response = self._pipeline.send("DELETE", url, api_version=ML_API_VERSION, params=params)
        return LROPoller(self._pipeline, response, lambda _r: None, api_version=ML_API_VERSION,
                         polling_interval=self._polling_interval)

    def recover(self, name: str, *, resource_group: str | None = None) -> Registry:
        """Bring a soft-deleted registry back with its assets (amlite's addition)."""
        url = self._url(name, resource_group)
        return Registry._from_rest(self._pipeline.send("POST", f"{url}/recover", api_version=ML_API_VERSION).json())

    def list_deleted(self) -> ItemPaged[Registry]:
        """The subscription's soft-deleted registries (amlite's addition)."""
        path = f"/subscriptions/{self._subscription()}/providers/Microsoft.MachineLearningServices/deletedRegistries"
        return self._pipeline.paged(path, api_version=ML_API_VERSION, factory=Registry._from_rest)
