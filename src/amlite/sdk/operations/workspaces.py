"""``ml_client.workspaces``: create, get, list, update and delete workspaces (azure-ai-ml's names).

Creation is synchronous on the server (``200``, as Azure ML answers a finished PUT), deletion is long-running (``202``); both come back
as :class:`LROPoller` so that code written against azure-ai-ml (``begin_create(...).result()``)
works unchanged whichever way the server answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from amlite.sdk._constants import ML_API_VERSION, RESOURCES_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.entities import Workspace
from amlite.sdk.bundles import compression_of
from amlite.sdk.errors import ValidationException
from amlite.sdk.polling import LROPoller

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["WorkspaceOperations"]

NAMESPACE = "Microsoft.MachineLearningServices"


class WorkspaceOperations:
    """Workspace operations scoped by the client's subscription and resource group."""

    def __init__(self, pipeline: HttpPipeline, client: MLClient, *, polling_interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._client = client
        self._polling_interval = polling_interval

    # -- urls ---------------------------------------------------------------------------------
    def _subscription(self) -> str:
        sub = self._client.subscription_id
        if not sub:
            raise ValidationException(
                "MLClient needs a subscription_id for workspace operations.",
                code="MissingSubscription",
            )
        return quote(sub)

    def _group(self, resource_group: str | None = None) -> str:
        group = resource_group or self._client.resource_group_name
        if not group:
            raise ValidationException(
                "MLClient needs a resource_group_name for this operation.",
                code="MissingResourceGroup",
            )
        return quote(group)

    def _url(self, name: str, resource_group: str | None = None) -> str:
        return (
            f"/subscriptions/{self._subscription()}/resourceGroups/{self._group(resource_group)}"
            f"/providers/{NAMESPACE}/workspaces/{quote(name)}"
        )

    def _name(self, name: str | None) -> str:
        resolved = name or self._client.workspace_name
        if not resolved:
            raise ValidationException(
                "A workspace name is required (or set workspace_name on MLClient).",
                code="MissingWorkspaceName",
            )
        return resolved

    @staticmethod
    def _deserialize(response: httpx.Response | None) -> Workspace:
        assert response is not None
        return Workspace._from_rest(response.json())

    # -- operations ---------------------------------------------------------------------------
    def get(self, name: str | None = None, *, resource_group: str | None = None) -> Workspace:
        """The workspace ``name`` (default: the client's workspace)."""
        body = self._pipeline.get_json(
            self._url(self._name(name), resource_group), api_version=ML_API_VERSION
        )
        return Workspace._from_rest(body)

    def list(self, *, scope: str = "resource_group") -> ItemPaged[Workspace]:
        """Workspaces in the client's resource group, or in the subscription with ``scope="subscription"``."""
        if scope not in ("resource_group", "subscription"):
            raise ValidationException(
                "scope must be 'resource_group' or 'subscription'.", code="InvalidScope"
            )
        if scope == "subscription" or not self._client.resource_group_name:
            path = f"/subscriptions/{self._subscription()}/providers/{NAMESPACE}/workspaces"
        else:
            path = (
                f"/subscriptions/{self._subscription()}/resourceGroups/{self._group()}"
                f"/providers/{NAMESPACE}/workspaces"
            )
        return self._pipeline.paged(path, api_version=ML_API_VERSION, factory=Workspace._from_rest)

    def recover(self, name: str | None = None, *, resource_group: str | None = None) -> Workspace:
        """Bring a soft-deleted workspace back with its contents (amlite's addition; Azure
        recovers by re-creating it)."""
        url = self._url(self._name(name), resource_group)
        return Workspace._from_rest(self._pipeline.send("POST", f"{url}/recover", api_version=ML_API_VERSION).json())

    def list_deleted(self) -> ItemPaged[Workspace]:
        """The subscription's soft-deleted workspaces (amlite's addition)."""
        path = f"/subscriptions/{self._subscription()}/providers/{NAMESPACE}/deletedWorkspaces"
        return self._pipeline.paged(path, api_version=ML_API_VERSION, factory=Workspace._from_rest)

    def export_bundle(self, path: str | os.PathLike[str], name: str | None = None, *,
                      resource_group: str | None = None, backup: bool = False) -> dict[str, int]:
        """Write the workspace's bundle to ``path`` (amlite's addition): a ``.tar``, or a gzipped
        ``.tar.gz``/``.tgz``. The file appears only once the whole bundle arrived (written beside it,
        then renamed). ``backup`` also carries the datastores' secrets, encrypted under the
        server's secrets key. Returns the member and blob counts."""
        target = Path(path)
        compression = "gzip" if compression_of(target.name) == "gz" else "none"
        url = self._url(self._name(name), resource_group)
        partial = target.with_name(target.name + ".partial")
        with self._pipeline.stream("POST", f"{url}/{'backup' if backup else 'export'}", api_version=ML_API_VERSION,
                                   params={"compression": compression}) as response:
            with open(partial, "wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
            counts = {"members": int(response.headers.get("x-amlite-bundle-members", "0")),
                      "blobs": int(response.headers.get("x-amlite-bundle-blobs", "0"))}
        os.replace(partial, target)
        return counts

    def import_bundle(self, path: str | os.PathLike[str], name: str | None = None, *,
                      resource_group: str | None = None) -> dict[str, Any]:
        """Import the bundle at ``path`` into the workspace (amlite's addition): every member is
        verified against the bundle's manifest before anything is written; what exists already is
        kept. Returns what was new and what was there."""
        source = Path(path)
        compression_of(source.name)  # refuses what this amlite cannot read, before sending a byte
        url = self._url(self._name(name), resource_group)

        def chunks() -> Iterator[bytes]:
            with open(source, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    yield chunk

        response = self._pipeline.send("POST", f"{url}/import", api_version=ML_API_VERSION, content=chunks(),
                                       headers={"Content-Type": "application/x-tar",
                                                "Content-Length": str(source.stat().st_size)})
        result: dict[str, Any] = response.json()
        return result

    def begin_create(
        self, workspace: Workspace, *, resource_group: str | None = None, **kwargs: Any
    ) -> LROPoller[Workspace]:
        """Create (or, if it exists, update) a workspace.

        Without a location the workspace takes its resource group's, as azure-ai-ml does.
        """
        group = resource_group or workspace.resource_group or self._client.resource_group_name
        if not workspace.location and (workspace.kind or "").lower() != "project":  # a project takes its hub's
            rg = self._pipeline.get_json(
                f"/subscriptions/{self._subscription()}/resourcegroups/{self._group(group)}",
                api_version=RESOURCES_API_VERSION,
            )
            workspace.location = rg.get("location")
        url = self._url(workspace.name, group)
        response = self._pipeline.send("PUT", url, api_version=ML_API_VERSION, json=workspace._to_rest())
        return LROPoller(
            self._pipeline, response, self._deserialize, api_version=ML_API_VERSION,
            final_url=self._pipeline.url(url), polling_interval=self._polling_interval,
        )

    def begin_update(
        self, workspace: Workspace, *, resource_group: str | None = None, **kwargs: Any
    ) -> LROPoller[Workspace]:
        """PATCH the fields an update may change: tags, description and display name."""
        group = resource_group or workspace.resource_group
        url = self._url(self._name(workspace.name), group)
        response = self._pipeline.send("PATCH", url, api_version=ML_API_VERSION, json=workspace._to_patch())
        return LROPoller(
            self._pipeline, response, self._deserialize, api_version=ML_API_VERSION,
            final_url=self._pipeline.url(url), polling_interval=self._polling_interval,
        )

    def begin_delete(
        self,
        name: str | None = None,
        *,
        delete_dependent_resources: bool = False,
        permanently_delete: bool = False,
        resource_group: str | None = None,
        **kwargs: Any,
    ) -> LROPoller[None]:
        """Delete a workspace (long-running). As on Azure it is soft-deleted: recoverable
        (``recover``, or re-creating it in its group) for the server's retention period, its name
        reserved. ``permanently_delete`` purges it at once (a soft-deleted one too);
        ``delete_dependent_resources`` also removes its storage account and other associated
        resources when it is purged.
        """
        params = {"forceToPurge": "true"} if permanently_delete else {}
        if delete_dependent_resources:
            params["deleteDependentResources"] = "true"
        response = self._pipeline.send(
            "DELETE", self._url(self._name(name), resource_group),
            api_version=ML_API_VERSION, params=params,
        )
        return LROPoller(
            self._pipeline, response, lambda _r: None, api_version=ML_API_VERSION,
            polling_interval=self._polling_interval,
        )
