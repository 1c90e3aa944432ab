"""``ml_client.compute``: azure-ai-ml's ``ComputeOperations`` — create or update, get, list, start,
stop, restart and delete computes (long-running, as :class:`LROPoller`), their nodes, and the VM
sizes and vCPU usage of the workspace's region.

    >>> poller = ml_client.compute.begin_create_or_update(AmlCompute(name="cpu", size="Standard_DS3_v2",
    ...                                                                max_instances=2))
    >>> poller.result().provisioning_state
    'Succeeded'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.compute_entities import AmlComputeNodeInfo, Compute, Usage, VmSize, compute_from_rest
from amlite.sdk.errors import ValidationException
from amlite.sdk.polling import LROPoller

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["ComputeOperations"]

NAMESPACE = "Microsoft.MachineLearningServices"


class ComputeOperations:
    """The computes of the client's workspace."""

    def __init__(self, pipeline: HttpPipeline, client: MLClient, *, polling_interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._client = client
        self._polling_interval = polling_interval
        self._location: str | None = None

    # -- urls ---------------------------------------------------------------------------------
    def _workspace_path(self) -> str:
        c = self._client
        if not (c.subscription_id and c.resource_group_name and c.workspace_name):
            raise ValidationException("MLClient needs subscription_id, resource_group_name and workspace_name "
                                      "for compute operations.", code="MissingWorkspace")
        return (f"/subscriptions/{quote(c.subscription_id)}/resourceGroups/{quote(c.resource_group_name)}"
                f"/providers/{NAMESPACE}/workspaces/{quote(c.workspace_name)}")

    def _url(self, name: str) -> str:
        return f"{self._workspace_path()}/computes/{quote(name)}"

    def _workspace_location(self) -> str:
        if self._location is None:
            body = self._pipeline.get_json(self._workspace_path(), api_version=ML_API_VERSION)
            self._location = str(body.get("location") or "")
        return self._location

    def _location_path(self, location: str | None) -> str:
        sub = self._client.subscription_id
        if not sub:
            raise ValidationException("MLClient needs a subscription_id.", code="MissingSubscription")
        where = location or self._workspace_location()
        return f"/subscriptions/{quote(sub)}/providers/{NAMESPACE}/locations/{quote(where)}"

    @staticmethod
    def _deserialize(response: httpx.Response | None) -> Compute:
        assert response is not None
        return compute_from_rest(response.json())

    def _poller(self, response: httpx.Response, final_url: str | None = None) -> LROPoller[Any]:
        deserialize = self._deserialize if final_url else (lambda _: None)
        return LROPoller(self._pipeline, response, deserialize, api_version=ML_API_VERSION,
                         final_url=self._pipeline.url(final_url) if final_url else None,
                         polling_interval=self._polling_interval)

    # -- operations -----------------------------------------------------------------------------
    def get(self, name: str) -> Compute:
        """One compute by name: an :class:`AmlCompute` or a :class:`ComputeInstance`."""
        return compute_from_rest(self._pipeline.get_json(self._url(name), api_version=ML_API_VERSION))

    def begin_create_or_update(self, compute: Compute, **kwargs: Any) -> LROPoller[Compute]:
        """Create a compute (long-running) or update an existing one (description, tags, a cluster's
        scale settings). Without a location it takes the workspace's, as azure-ai-ml does."""
        if not compute.location:
            compute.location = self._workspace_location()
        url = self._url(compute.name)
        response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=compute._to_rest())
        poller: LROPoller[Compute] = self._poller(response, url)
        return poller

    def begin_delete(self, name: str, *, action: str = "Delete", **kwargs: Any) -> LROPoller[None]:
        """Delete a compute (long-running); ``action="Detach"`` is refused: amlite's computes are its own."""
        response = self._pipeline.send("DELETE", self._url(name), api_version=ML_API_VERSION,
                                       params={"underlyingResourceAction": action})
        poller: LROPoller[None] = self._poller(response)
        return poller

    def _power(self, name: str, action: str) -> LROPoller[None]:
        response = self._pipeline.send("POST", f"{self._url(name)}/{action}", api_version=ML_API_VERSION)
        poller: LROPoller[None] = self._poller(response)
        return poller

    def begin_start(self, name: str, **kwargs: Any) -> LROPoller[None]:
        """Start a stopped compute instance."""
        return self._power(name, "start")

    def begin_stop(self, name: str, **kwargs: Any) -> LROPoller[None]:
        """Stop a running compute instance (it keeps its quota)."""
        return self._power(name, "stop")

    def begin_restart(self, name: str, **kwargs: Any) -> LROPoller[None]:
        """Restart a running compute instance."""
        return self._power(name, "restart")

    def list_nodes(self, name: str) -> list[AmlComputeNodeInfo]:
        """The compute's nodes: those running jobs (with the job's id) and the idle ones."""
        body = self._pipeline.send("POST", f"{self._url(name)}/listNodes", api_version=ML_API_VERSION).json()
        return [AmlComputeNodeInfo._from_rest(n) for n in body.get("nodes") or []]

    def list_sizes(self, *, location: str | None = None, compute_type: str | None = None) -> list[VmSize]:
        """The VM sizes of a region (default: the workspace's); ``compute_type`` keeps those it serves."""
        body = self._pipeline.get_json(f"{self._location_path(location)}/vmSizes", api_version=ML_API_VERSION)
        sizes = [VmSize._from_rest(s) for s in body.get("value") or []]
        if compute_type:
            sizes = [s for s in sizes if compute_type.lower() in (t.lower() for t in s.supported_compute_types)]
        return sizes

    def list_usage(self, *, location: str | None = None) -> ItemPaged[Usage]:
        """vCPUs used and allowed in a region (default: the workspace's), in total and per VM family."""
        return self._pipeline.paged(f"{self._location_path(location)}/usages", api_version=ML_API_VERSION,
                                    factory=Usage._from_rest)

    # Last: below it, ``list[...]`` in the class body would name this method.
    def list(self, *, compute_type: str | None = None) -> Iterable[Compute]:
        """The workspace's computes; ``compute_type`` (``AmlCompute``, ``ComputeInstance``) keeps one kind."""
        paged = self._pipeline.paged(f"{self._workspace_path()}/computes", api_version=ML_API_VERSION,
                                     factory=compute_from_rest)
        if compute_type is None:
            return paged
        return [c for c in paged if c.type == compute_type.lower()]
