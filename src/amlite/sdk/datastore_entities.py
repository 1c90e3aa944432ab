"""Datastore entities (``AzureBlobDatastore``, ``AzureDataLakeGen2Datastore``, ``AzureFileDatastore``)
and their credentials, named as in azure-ai-ml.

Secrets go to the server once, on create; the server never returns them (``credentials`` comes
back without ``secrets``), so an entity read from the server has ``credentials=None`` and the key
is read with ``ml_client.datastores.list_secrets(name)`` by those allowed to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from dataclasses import dataclass, field
from typing import Any

from amlite.schemas import YamlSchemaError
from amlite.schemas.datastores import parse_datastore
from amlite.sdk._dicts import compact
from amlite.sdk.asset_entities import _drop_none, spec_error

__all__ = [
    "AccountKeyConfiguration",
    "AzureBlobDatastore",
    "AzureDataLakeGen2Datastore",
    "AzureFileDatastore",
    "Datastore",
    "SasTokenConfiguration",
    "datastore_from_rest",
]


@dataclass
class AccountKeyConfiguration:
    account_key: str


@dataclass
class SasTokenConfiguration:
    sas_token: str


Credentials = AccountKeyConfiguration | SasTokenConfiguration | None


@dataclass
class Datastore(ABC):
    """What every datastore has; ``subscription_id``/``resource_group`` are the storage account's."""

    name: str
    account_name: str = ""
    description: str | None = None
    tags: dict[str, str] | None = None
    properties: dict[str, str] | None = None
    endpoint: str = "core.windows.net"
    protocol: str = "https"
    credentials: Credentials = None
    subscription_id: str | None = None
    resource_group: str | None = None
    id: str | None = None
    is_default: bool = False
    _rest: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    TYPE = ""
    REST_TYPE = ""

    @abstractmethod
    def _location_fields(self) -> dict[str, Any]:  # pragma: no cover - subclasses define it
        ...

    def _spec(self) -> Any:
        creds: dict[str, Any] | None = None
        if isinstance(self.credentials, AccountKeyConfiguration):
            creds = {"account_key": self.credentials.account_key}
        elif isinstance(self.credentials, SasTokenConfiguration):
            creds = {"sas_token": self.credentials.sas_token}
        data = _drop_none({"name": self.name, "type": self.TYPE, "description": self.description,
                           "tags": self.tags, "properties": self.properties, "account_name": self.account_name,
                           "endpoint": self.endpoint, "protocol": self.protocol, "credentials": creds,
                           **self._location_fields()})
        try:
            return parse_datastore(data)
        except YamlSchemaError as exc:
            raise spec_error(exc) from None

    def _to_rest(self) -> dict[str, Any]:
        spec = self._spec()
        credentials: dict[str, Any] = {"credentialsType": "None"}
        if spec.credentials is not None and hasattr(spec.credentials, "account_key"):
            credentials = {"credentialsType": "AccountKey",
                           "secrets": {"secretsType": "AccountKey", "key": spec.credentials.account_key}}
        elif spec.credentials is not None:
            credentials = {"credentialsType": "Sas",
                           "secrets": {"secretsType": "Sas", "sasToken": spec.credentials.sas_token}}
        props = {"datastoreType": self.REST_TYPE, "accountName": spec.account_name,
                 "endpoint": spec.endpoint, "protocol": spec.protocol, "description": spec.description,
                 "tags": dict(spec.tags), "properties": dict(spec.properties) or None,
                 "subscriptionId": self.subscription_id, "resourceGroup": self.resource_group,
                 "credentials": credentials, **self._rest_location(spec)}
        return {"properties": _drop_none(props) | {"tags": dict(spec.tags)}}

    @abstractmethod
    def _rest_location(self, spec: Any) -> dict[str, Any]:  # pragma: no cover - subclasses define it
        ...

    def as_dict(self) -> dict[str, Any]:
        if self._rest is not None:
            return dict(self._rest)
        return {"name": self.name, **self._to_rest()}

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's dict of the datastore (what ``az ml datastore show`` prints).

        ``credentials`` is ``{}``: the server never returns secrets, and azure-ai-ml prints none
        for a datastore read from the server either.
        """
        props: dict[str, Any] = (self._rest or {}).get("properties") or {}
        out: dict[str, Any] = {
            "name": self.name, "id": self.id, "type": self.TYPE, "description": props.get("description",
                                                                                             self.description),
            "tags": dict(self.tags or {}), "account_name": self.account_name, "endpoint": self.endpoint,
            "protocol": self.protocol, **self._location_fields(), "credentials": {},
        }
        if self.properties:
            out["properties"] = dict(self.properties)
        return compact(out)


@dataclass
class AzureBlobDatastore(Datastore):
    container_name: str = ""

    TYPE = "azure_blob"
    REST_TYPE = "AzureBlob"

    def _location_fields(self) -> dict[str, Any]:
        return {"container_name": self.container_name}

    def _rest_location(self, spec: Any) -> dict[str, Any]:
        return {"containerName": spec.container_name}


@dataclass
class AzureDataLakeGen2Datastore(Datastore):
    filesystem: str = ""

    TYPE = "azure_data_lake_gen2"
    REST_TYPE = "AzureDataLakeGen2"

    def _location_fields(self) -> dict[str, Any]:
        return {"filesystem": self.filesystem}

    def _rest_location(self, spec: Any) -> dict[str, Any]:
        return {"filesystem": spec.filesystem}


@dataclass
class AzureFileDatastore(Datastore):
    file_share_name: str = ""

    TYPE = "azure_file"
    REST_TYPE = "AzureFile"

    def _location_fields(self) -> dict[str, Any]:
        return {"file_share_name": self.file_share_name}

    def _rest_location(self, spec: Any) -> dict[str, Any]:
        return {"fileShareName": spec.file_share_name}


_BY_REST_TYPE: dict[str, type[Datastore]] = {
    "azureblob": AzureBlobDatastore, "azuredatalakegen2": AzureDataLakeGen2Datastore, "azurefile": AzureFileDatastore,
}


def datastore_from_rest(body: dict[str, Any]) -> Datastore:
    """The entity for a datastore body (its secrets are never in it)."""
    props: dict[str, Any] = body.get("properties") or {}
    cls = _BY_REST_TYPE.get(str(props.get("datastoreType") or "AzureBlob").lower(), AzureBlobDatastore)
    store = cls(
        name=str(body.get("name") or ""), account_name=str(props.get("accountName") or ""),
        description=props.get("description"), tags=dict(props.get("tags") or {}),
        properties=dict(props.get("properties") or {}),
        endpoint=str(props.get("endpoint") or "core.windows.net"), protocol=str(props.get("protocol") or "https"),
        subscription_id=props.get("subscriptionId"), resource_group=props.get("resourceGroup"),
        id=body.get("id"), is_default=bool(props.get("isDefault", False)),
    )
    for attr, key in (("container_name", "containerName"), ("filesystem", "filesystem"),
                      ("file_share_name", "fileShareName")):
        if hasattr(store, attr):
            setattr(store, attr, str(props.get(key) or ""))
    store._rest = body
    return store
