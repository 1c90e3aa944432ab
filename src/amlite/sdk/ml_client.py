"""``MLClient``: the entry point of the SDK, shaped like azure-ai-ml's.

    >>> from amlite import MLClient, DefaultAmliteCredential
    >>> ml_client = MLClient.from_config(DefaultAmliteCredential())      # reads config.json
    >>> ws = ml_client.workspaces.get()                                   # the configured workspace

The client holds one HTTP pipeline (one connection pool, one token cache) shared by its operation
groups. The endpoint comes from ``endpoint=``, else the credential, else ``AMLITE_ENDPOINT``, else
the CLI profile, so the same script runs on a laptop after ``amlite login`` and in CI.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from amlite.sdk._pipeline import HttpPipeline, TokenCredential
from amlite.sdk.arm import resolve_endpoint
from amlite.sdk.config import load_config

if TYPE_CHECKING:
    from amlite.sdk.operations.assets import DataOperations, EnvironmentOperations, ModelOperations
    from amlite.sdk.operations.components import ComponentOperations
    from amlite.sdk.operations.computes import ComputeOperations
    from amlite.sdk.operations.connections import ConnectionOperations
    from amlite.sdk.operations.datastores import DatastoreOperations
    from amlite.sdk.operations.online_endpoints import OnlineDeploymentOperations, OnlineEndpointOperations
    from amlite.sdk.operations.jobs import JobOperations
    from amlite.sdk.operations.registries import RegistryOperations
    from amlite.sdk.operations.workspaces import WorkspaceOperations

__all__ = ["MLClient"]


class MLClient:
    """A client for the workspaces of one subscription and resource group, and the assets of one workspace."""

    def __init__(
        self,
        credential: TokenCredential,
        subscription_id: str | None = None,
        resource_group_name: str | None = None,
        workspace_name: str | None = None,
        *,
        registry_name: str | None = None,
        endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
        polling_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self._credential = credential
        self.subscription_id = subscription_id
        self.resource_group_name = resource_group_name
        self.workspace_name = workspace_name
        #: With a registry name, ``models``/``environments``/``components``/``data`` work on that
        #: registry's assets (as azure-ai-ml's ``MLClient(..., registry_name=...)``); a workspace
        #: given too is the one whose region downloads are served from.
        self.registry_name = registry_name
        self.endpoint = resolve_endpoint(endpoint, credential)
        self._pipeline = HttpPipeline(credential, self.endpoint, transport=transport)
        self._polling_interval = polling_interval

    # The operation groups are built on first use, each importing its module then: a program (or
    # a CLI command) that lists models does not load the entities and schemas of jobs or computes.
    @cached_property
    def workspaces(self) -> WorkspaceOperations:
        from amlite.sdk.operations.workspaces import WorkspaceOperations

        return WorkspaceOperations(self._pipeline, self, polling_interval=self._polling_interval)

    @cached_property
    def registries(self) -> RegistryOperations:
        from amlite.sdk.operations.registries import RegistryOperations

        return RegistryOperations(self._pipeline, self, polling_interval=self._polling_interval)

    @cached_property
    def models(self) -> ModelOperations:
        from amlite.sdk.operations.assets import ModelOperations

        return ModelOperations(self._pipeline, self)

    @cached_property
    def environments(self) -> EnvironmentOperations:
        from amlite.sdk.operations.assets import EnvironmentOperations

        return EnvironmentOperations(self._pipeline, self)

    @cached_property
    def components(self) -> ComponentOperations:
        from amlite.sdk.operations.components import ComponentOperations

        return ComponentOperations(self._pipeline, self, self.environments)

    @cached_property
    def data(self) -> DataOperations:
        from amlite.sdk.operations.assets import DataOperations

        return DataOperations(self._pipeline, self)

    @cached_property
    def datastores(self) -> DatastoreOperations:
        from amlite.sdk.operations.datastores import DatastoreOperations

        return DatastoreOperations(self._pipeline, self)

    @cached_property
    def connections(self) -> ConnectionOperations:
        from amlite.sdk.operations.connections import ConnectionOperations

        return ConnectionOperations(self._pipeline, self)

    @cached_property
    def compute(self) -> ComputeOperations:
        from amlite.sdk.operations.computes import ComputeOperations

        return ComputeOperations(self._pipeline, self, polling_interval=self._polling_interval)

    @cached_property
    def online_endpoints(self) -> OnlineEndpointOperations:
        from amlite.sdk.operations.online_endpoints import OnlineEndpointOperations

        return OnlineEndpointOperations(self._pipeline, self, polling_interval=self._polling_interval)

    @cached_property
    def online_deployments(self) -> OnlineDeploymentOperations:
        from amlite.sdk.operations.online_endpoints import OnlineDeploymentOperations

        return OnlineDeploymentOperations(self._pipeline, self, polling_interval=self._polling_interval)

    @cached_property
    def jobs(self) -> JobOperations:
        from amlite.sdk.operations.jobs import JobOperations

        return JobOperations(self._pipeline, self, self.components, polling_interval=self._polling_interval)

    @classmethod
    def from_config(
        cls,
        credential: TokenCredential,
        path: str | os.PathLike[str] | None = None,
        file_name: str | None = None,
        **kwargs: Any,
    ) -> MLClient:
        """Build a client from the nearest ``config.json`` (or ``.azureml/config.json``).

        ``path`` is a directory to start the search from (default: the current directory, then
        its parents) or the config file itself. Other keyword arguments go to the constructor.
        """
        config = load_config(path, file_name)
        return cls(
            credential,
            subscription_id=config.subscription_id,
            resource_group_name=config.resource_group,
            workspace_name=config.workspace_name,
            **kwargs,
        )

    @property
    def credential(self) -> TokenCredential:
        return self._credential

    def close(self) -> None:
        self._pipeline.close()

    def __enter__(self) -> MLClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"MLClient(subscription_id={self.subscription_id!r}, "
            f"resource_group_name={self.resource_group_name!r}, "
            f"workspace_name={self.workspace_name!r}, registry_name={self.registry_name!r}, "
            f"endpoint={self.endpoint!r})"
        )
