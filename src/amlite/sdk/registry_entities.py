"""Registries in the SDK, shaped like azure-ai-ml's ``Registry``, ``RegistryRegionDetails`` and
``SystemCreatedStorageAccount``, and ``load_registry`` for the CLI v2 ``registry.yml``.

    >>> reg = Registry(name="DemoRegistry1", location="eastus",
    ...                replication_locations=[RegistryRegionDetails(location="eastus"),
    ...                                       RegistryRegionDetails(location="westus")])
    >>> [r["location"] for r in reg._to_rest()["properties"]["regionDetails"]]
    ['eastus', 'westus']

The YAML of seed 002 (``name``, ``description``, ``tags``, ``location``,
``replication_locations[].location`` and ``[].storage_config.{storage_account_type,
storage_account_hns}``) loads as written; ``storage_account_hns: False`` and ``false`` are the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from amlite.schemas import YamlSchemaError
from amlite.schemas._yaml import apply_overrides, load_yaml_dict
from amlite.sdk._dicts import compact
from amlite.sdk.config import parse_arm_id
from amlite.sdk.errors import ValidationException

__all__ = ["Registry", "RegistryRegionDetails", "SystemCreatedStorageAccount", "load_registry", "registry_from_dict"]

_TOP_FIELDS = {"$schema", "name", "description", "tags", "location", "replication_locations", "id",
               "public_network_access", "intellectual_property", "container_registry", "identity"}


@dataclass
class SystemCreatedStorageAccount:
    """The storage account a registry creates in one region."""

    storage_account_type: str | None = "Standard_LRS"
    storage_account_hns: bool = False
    storage_account_name: str | None = None
    arm_resource_id: str | None = None


@dataclass
class RegistryRegionDetails:
    """One replication region; ``storage_config`` None means the server's default account."""

    location: str
    storage_config: SystemCreatedStorageAccount | None = None


@dataclass
class Registry:
    """An Azure ML registry: a tenant-unique name, a primary ``location`` and the regions its
    assets are replicated to (the primary among them)."""

    name: str
    location: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    replication_locations: list[RegistryRegionDetails] = field(default_factory=list)
    id: str | None = None
    resource_group: str | None = None
    subscription_id: str | None = None
    provisioning_state: str | None = None
    discovery_url: str | None = None
    mlflow_registry_uri: str | None = None
    etag: str | None = None
    _rest: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Registry:
        props: dict[str, Any] = body.get("properties") or {}
        ids = parse_arm_id(str(body.get("id") or ""))
        regions = []
        for item in props.get("regionDetails") or []:
            accounts = item.get("storageAccountDetails") or []
            sca = (accounts[0] or {}).get("systemCreatedStorageAccount") if accounts else None
            storage = None
            if sca:
                storage = SystemCreatedStorageAccount(
                    storage_account_type=sca.get("storageAccountType"),
                    storage_account_hns=bool(sca.get("storageAccountHnsEnabled", False)),
                    storage_account_name=sca.get("storageAccountName"),
                    arm_resource_id=(sca.get("armResourceId") or {}).get("resourceId"),
                )
            regions.append(RegistryRegionDetails(location=str(item.get("location")), storage_config=storage))
        reg = cls(
            name=str(body.get("name") or ""), location=body.get("location"), description=props.get("description"),
            tags=dict(body.get("tags") or {}), replication_locations=regions, id=body.get("id"),
            resource_group=ids.get("resourcegroups"), subscription_id=ids.get("subscriptions"),
            provisioning_state=props.get("provisioningState"), discovery_url=props.get("discoveryUrl"),
            mlflow_registry_uri=props.get("mlFlowRegistryUri"), etag=body.get("etag"),
        )
        reg._rest = body
        return reg

    def _to_rest(self) -> dict[str, Any]:
        """The PUT body (Azure's ``RegistryTrackedResource``)."""
        if not self.location:
            raise ValidationException(f"Registry '{self.name}' needs a location (its primary region).",
                                      code="MissingLocation")
        regions = self.replication_locations or [RegistryRegionDetails(location=self.location)]
        details = []
        for region in regions:
            item: dict[str, Any] = {"location": region.location}
            if region.storage_config is not None:
                sca: dict[str, Any] = {"storageAccountHnsEnabled": bool(region.storage_config.storage_account_hns)}
                if region.storage_config.storage_account_type:
                    sca["storageAccountType"] = region.storage_config.storage_account_type
                item["storageAccountDetails"] = [{"systemCreatedStorageAccount": sca}]
            details.append(item)
        properties: dict[str, Any] = {"regionDetails": details}
        if self.description is not None:
            properties["description"] = self.description
        return {"location": self.location, "tags": dict(self.tags or {}), "properties": properties}

    def _to_patch(self) -> dict[str, Any]:
        """The PATCH body: tags and description, the fields left ``None`` not sent."""
        body: dict[str, Any] = {}
        if self.tags is not None:
            body["tags"] = dict(self.tags)
        if self.description is not None:
            body["properties"] = {"description": self.description}
        return body

    def as_dict(self) -> dict[str, Any]:
        if self._rest is not None:
            return dict(self._rest)
        return {"name": self.name, **self._to_rest()}

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's dict of the registry (what ``az ml registry show`` prints): its regions as
        ``replication_locations`` with each one's storage account."""
        props: dict[str, Any] = (self._rest or {}).get("properties") or {}
        regions = []
        for region in self.replication_locations:
            item: dict[str, Any] = {"location": region.location}
            storage = region.storage_config
            if storage is not None:
                item["storage_config"] = compact({
                    "arm_resource_id": storage.arm_resource_id, "storage_account_hns": storage.storage_account_hns,
                    "storage_account_type": (storage.storage_account_type or "").lower() or None,
                    "replication_count": 1})
            regions.append(item)
        return compact({
            "name": self.name, "id": self.id, "description": self.description, "tags": dict(self.tags or {}),
            "location": self.location, "public_network_access": props.get("publicNetworkAccess"),
            "replication_locations": regions, "mlflow_registry_uri": self.mlflow_registry_uri,
            "discovery_url": self.discovery_url,
        })


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValidationException(f"{where} must be true or false, got {value!r}.", code="InvalidYaml")


def registry_from_dict(data: dict[str, Any]) -> Registry:
    """A ``registry.yml`` mapping to a :class:`Registry` (unknown top-level fields are refused)."""
    unknown = sorted(set(data) - _TOP_FIELDS)
    if unknown:
        raise ValidationException(f"Unknown field(s) in registry YAML: {', '.join(unknown)}.", code="InvalidYaml")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValidationException("A registry YAML needs a name.", code="InvalidYaml")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        raise ValidationException("tags must be a mapping.", code="InvalidYaml")
    regions = []
    for i, item in enumerate(data.get("replication_locations") or []):
        where = f"replication_locations[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("location"), str):
            raise ValidationException(f"{where} needs a location.", code="InvalidYaml")
        config = item.get("storage_config")
        storage = None
        if config is not None:
            if not isinstance(config, dict):
                raise ValidationException(f"{where}.storage_config must be a mapping.", code="InvalidYaml")
            storage = SystemCreatedStorageAccount(
                storage_account_type=str(config.get("storage_account_type") or "Standard_LRS"),
                storage_account_hns=_bool(config.get("storage_account_hns", False), f"{where}.storage_config.storage_account_hns"),
            )
        regions.append(RegistryRegionDetails(location=item["location"], storage_config=storage))
    description = data.get("description")
    location = data.get("location")
    return Registry(
        name=name, location=str(location) if location is not None else None,
        description=str(description) if description is not None else None,
        tags={str(k): str(v) for k, v in tags.items()}, replication_locations=regions,
    )


def load_registry(source: str | os.PathLike[str], params_override: list[dict[str, Any]] | None = None,
                  **kwargs: Any) -> Registry:
    """Read a ``registry.yml`` (as azure-ai-ml's ``load_registry``), offline."""
    try:
        data = apply_overrides(load_yaml_dict(source), params_override)
    except YamlSchemaError as exc:
        raise ValidationException(str(exc), code="InvalidYaml") from None
    return registry_from_dict(data)
