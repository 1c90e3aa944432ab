"""``ml_client.connections``: create or update, get, list, update, delete a workspace's
connections, and read a connection's secrets.

``create_or_update`` PUTs the whole connection; ``update`` PATCHes the properties a YAML or a few
changed fields give, so credentials not given stay on the server. ``get(name,
populate_secrets=True)`` calls ``listsecrets``, which needs its own action (Reader lacks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.connection_entities import WorkspaceConnection, connection_from_rest
from amlite.schemas.connections import rest_category_of
from amlite.sdk.errors import ValidationException

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["ConnectionOperations"]

NAMESPACE = "Microsoft.MachineLearningServices"


class ConnectionOperations:
    def __init__(self, pipeline: HttpPipeline, client: MLClient) -> None:
        self._pipeline = pipeline
        self._client = client

    def _workspace_path(self) -> str:
        client = self._client
        missing = [label for label, value in (("subscription_id", client.subscription_id),
                                              ("resource_group_name", client.resource_group_name),
                                              ("workspace_name", client.workspace_name)) if not value]
        if missing:
            raise ValidationException(f"MLClient needs {', '.join(missing)} for connection operations.",
                                      code="MissingWorkspace")
        return (f"/subscriptions/{quote(str(client.subscription_id))}/resourceGroups/"
                f"{quote(str(client.resource_group_name))}/providers/{NAMESPACE}/workspaces/"
                f"{quote(str(client.workspace_name))}")

    def _url(self, name: str) -> str:
        return f"{self._workspace_path()}/connections/{quote(name)}"

    def _entity(self, body: dict[str, Any]) -> WorkspaceConnection:
        return connection_from_rest(body, self._workspace_path())

    def create_or_update(self, connection: WorkspaceConnection, **kwargs: Any) -> WorkspaceConnection:
        """Create or replace a connection (its credentials are sent once and kept by the server)."""
        response = self._pipeline.send("PUT", self._url(connection.name), api_version=ML_API_VERSION,
                                       json=connection._to_rest())
        return self._entity(response.json())

    def update(self, name: str, properties: dict[str, Any]) -> WorkspaceConnection:
        """PATCH the given REST properties; those not given (credentials included) stay."""
        response = self._pipeline.send("PATCH", self._url(name), api_version=ML_API_VERSION,
                                       json={"properties": properties})
        return self._entity(response.json())

    def get(self, name: str, *, populate_secrets: bool = False, **kwargs: Any) -> WorkspaceConnection:
        """One connection (the workspace's own, or one its hub shares); with ``populate_secrets``
        its credentials too, through ``listsecrets``."""
        if populate_secrets:
            response = self._pipeline.send("POST", f"{self._url(name)}/listsecrets", api_version=ML_API_VERSION)
            return self._entity(response.json())
        return self._entity(self._pipeline.get_json(self._url(name), api_version=ML_API_VERSION))

    def list(self, connection_type: str | None = None, **kwargs: Any) -> ItemPaged[WorkspaceConnection]:
        """Every connection the workspace sees; ``connection_type`` (``git``, ``azure_open_ai``...)
        keeps one category, as azure-ai-ml's does."""
        params = {"category": rest_category_of(connection_type)} if connection_type else None
        return self._pipeline.paged(f"{self._workspace_path()}/connections", api_version=ML_API_VERSION,
                                    params=params, factory=self._entity)

    def delete(self, name: str, **kwargs: Any) -> None:
        """Delete one of the workspace's own connections and its credentials."""
        self._pipeline.send("DELETE", self._url(name), api_version=ML_API_VERSION)
