"""``ml_client.datastores``: create, get, list, delete, and read a datastore's secrets.

Datastores are not versioned: ``PUT {ws}/datastores/{name}`` creates or replaces one. The server
keeps the account key or SAS token encrypted and never returns it; ``list_secrets`` asks for it
explicitly (an action a Reader does not have), as azure-ai-ml's ``_list_secrets`` does.
"""

from __future__ import annotations

from typing import Any

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import ItemPaged
from amlite.sdk.datastore_entities import (
    AccountKeyConfiguration,
    Datastore,
    SasTokenConfiguration,
    datastore_from_rest,
)
from amlite.sdk.errors import ValidationException
from amlite.sdk.operations._assets_base import AssetOperations

__all__ = ["DatastoreOperations"]


class DatastoreOperations(AssetOperations[Datastore]):
    KIND = "datastores"

    def _from_rest(self, body: dict[str, Any]) -> Datastore:
        return datastore_from_rest(body)

    def create_or_update(self, datastore: Datastore, **kwargs: Any) -> Datastore:
        """Create or replace a datastore (its credentials are sent once and kept by the server)."""
        response = self._pipeline.send("PUT", self._container_url(datastore.name), api_version=ML_API_VERSION,
                                       json=datastore._to_rest())
        return datastore_from_rest(response.json())

    def get(self, name: str, version: str | None = None, label: str | None = None,
            **kwargs: Any) -> Datastore:
        """One datastore by name (``version``/``label`` do not apply and are refused)."""
        if version is not None or label is not None:
            raise ValidationException("Datastores are not versioned.", code="InvalidArguments")
        return datastore_from_rest(self._pipeline.get_json(self._container_url(name), api_version=ML_API_VERSION))

    def get_default(self) -> Datastore:
        """The workspace's default datastore (``workspaceblobstore``)."""
        for store in self.list():
            if store.is_default and store.name.lower() == "workspaceblobstore":
                return store
        return self.get("workspaceblobstore")

    def list(self, name: str | None = None, **kwargs: Any) -> ItemPaged[Datastore]:
        """Every datastore of the workspace, the default ones included."""
        return self._pipeline.paged(f"{self._workspace_path()}/{self.KIND}", api_version=ML_API_VERSION,
                                    factory=datastore_from_rest)

    def delete(self, name: str, **kwargs: Any) -> None:
        """Delete a datastore (the workspace's default ones cannot be deleted: 409)."""
        self._pipeline.send("DELETE", self._container_url(name), api_version=ML_API_VERSION)

    def list_secrets(self, name: str) -> AccountKeyConfiguration | SasTokenConfiguration | None:
        """The datastore's account key or SAS token (``listSecrets``); ``None`` without secrets."""
        response = self._pipeline.send("POST", f"{self._container_url(name)}/listSecrets",
                                       api_version=ML_API_VERSION)
        body = response.json() if response.content else {}
        kind = str(body.get("secretsType") or "").lower()
        if kind == "accountkey" and body.get("key"):
            return AccountKeyConfiguration(account_key=str(body["key"]))
        if kind == "sas" and body.get("sasToken"):
            return SasTokenConfiguration(sas_token=str(body["sasToken"]))
        return None

    def archive(self, name: str, version: str | None = None, **kwargs: Any) -> None:
        raise ValidationException("Datastores cannot be archived.", code="InvalidArguments")

    def restore(self, name: str, version: str | None = None, **kwargs: Any) -> None:
        raise ValidationException("Datastores cannot be archived or restored.", code="InvalidArguments")

    def update(self, name: str, version: str, *, description: str | None = None,
               tags: dict[str, str] | None = None) -> Datastore:
        raise ValidationException("Update a datastore with create_or_update.", code="InvalidArguments")
