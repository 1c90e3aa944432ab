"""Registries: the tenant-wide home of shared assets, replicated across regions (seed 002).

A registry lives in a resource group like a workspace, but its name is unique in the whole tenant
(case-insensitively) because asset references (``azureml://registries/<name>/...``) carry only the
name. It has a primary region (its ``location``) and a list of replication regions that always
contains the primary; each region has a storage account of its own, with the storage config
(account type, hierarchical namespace) the user asked for.

The rules here are pure: names, storage configs, and how a requested region list relates to the
current one (what is added, what is removed, what may not change). Services apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Sequence
from typing import Any, Protocol

from amlite.domain.errors import invalid
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.regions import RegionCatalog
from amlite.domain.resources import AuditStamp, ProvisioningState, SoftDelete
from amlite.domain.system_registry import is_system_registry

REGISTRY_TYPE = f"{ML_NAMESPACE}/registries"
NAME_CODE, NAME_TARGET = "InvalidRegistryName", "registryName"
DEFAULT_STORAGE_ACCOUNT_TYPE = "Standard_LRS"
# Azure's storage SKUs a registry's system-created account may use.
STORAGE_ACCOUNT_TYPES = (
    "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS",
    "Premium_LRS", "Premium_ZRS",
)
_NAME_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def check_registry_name(name: str) -> str:
    """Seed 002's rules, one message per broken rule: 2-32 characters; letters, digits, '_' and
    '-' only (no spaces: the name is part of asset ids used in code); starts with a letter or digit."""
    if not 2 <= len(name) <= 32:
        raise invalid(NAME_CODE, f"Registry name '{name}' must be between 2 and 32 characters long.", NAME_TARGET)
    if not _NAME_CHARS.fullmatch(name):
        raise invalid(
            NAME_CODE,
            f"Registry name '{name}' may contain only letters, digits, '_' and '-' (no spaces or other characters).",
            NAME_TARGET,
        )
    if not name[0].isalnum():
        raise invalid(NAME_CODE, f"Registry name '{name}' must start with a letter or a digit, not '{name[0]}'.",
                      NAME_TARGET)
    if is_system_registry(name):
        raise invalid(NAME_CODE, f"Registry name '{name}' is reserved: 'azureml' is Azure ML's system registry of "
                      "curated environments, which every workspace already sees.", NAME_TARGET)
    return name


@dataclass(frozen=True)
class StorageConfig:
    """A region's system-created storage account: its SKU and whether it is ADLS Gen2 (hns)."""

    account_type: str = DEFAULT_STORAGE_ACCOUNT_TYPE
    hns: bool = False


def parse_storage_config(value: Any, target: str) -> StorageConfig | None:
    """``systemCreatedStorageAccount`` of a region; ``None`` when the request names none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("InvalidRequestContent", f"{target} must be an object.", target)
    kind = value.get("storageAccountType", DEFAULT_STORAGE_ACCOUNT_TYPE) or DEFAULT_STORAGE_ACCOUNT_TYPE
    matched = next((t for t in STORAGE_ACCOUNT_TYPES if isinstance(kind, str) and t.lower() == kind.lower()), None)
    if matched is None:
        raise invalid("InvalidRequestContent",
                      f"Storage account type '{kind}' is not valid; use one of {', '.join(STORAGE_ACCOUNT_TYPES)}.",
                      f"{target}.storageAccountType")
    hns = value.get("storageAccountHnsEnabled", False)
    if isinstance(hns, str) and hns.lower() in ("true", "false"):
        hns = hns.lower() == "true"
    if not isinstance(hns, bool):
        raise invalid("InvalidRequestContent", f"{target}.storageAccountHnsEnabled must be true or false.",
                      f"{target}.storageAccountHnsEnabled")
    return StorageConfig(matched, hns)


@dataclass(frozen=True)
class RegionRequest:
    """One entry of a request's ``regionDetails``: a canonical region name and its storage config
    (``None``: not given, the default for a new region, unchanged for an existing one)."""

    region: str
    storage: StorageConfig | None


@dataclass(frozen=True)
class RegistryRegion:
    """A replication region as stored: its storage account and the generic resource recording it."""

    region: str
    position: int
    storage_account_name: str
    storage: StorageConfig
    resource_key: str
    added_at: datetime


@dataclass(frozen=True)
class Registry:
    key: str
    tenant_id: str
    resource_group_key: str
    subscription_id: str
    resource_group_name: str
    name: str
    location: str  # the primary region; never changes
    registry_id: str
    description: str
    tags: dict[str, str]
    etag: str
    stamp: AuditStamp
    regions: tuple[RegistryRegion, ...] = field(default_factory=tuple)
    provisioning_state: ProvisioningState = ProvisioningState.SUCCEEDED
    soft_delete: SoftDelete | None = None  # set while soft-deleted (recoverable, name reserved)

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"
            f"/providers/{REGISTRY_TYPE}/{self.name}"
        )

    @property
    def artifact_container(self) -> str:
        """The container, in every region's storage account, that holds the registry's blobs."""
        return f"azureml-registry-{self.registry_id}"

    def region(self, name: str) -> RegistryRegion | None:
        return next((r for r in self.regions if r.region == name), None)

    @property
    def region_names(self) -> list[str]:
        return [r.region for r in self.regions]


class RegionFields(Protocol):
    """One entry of a registry request's ``regionDetails`` (``schemas.arm_resources.RegionDetail``)."""

    @property
    def location(self) -> str | None: ...
    @property
    def storage_account_details(self) -> list[dict[str, Any]] | None: ...


def parse_region_details(catalog: RegionCatalog, location: str | None,
                         details: Sequence[RegionFields] | None) -> tuple[str, list[RegionRequest]]:
    """The primary region and the requested replication regions, canonical names, in order.

    ``East US`` and ``eastus`` are the same region; a region listed twice, an unknown region, and a
    primary missing from the list are each refused with their own message."""
    primary = catalog.resolve(location, "location").name
    if details is not None and not details:
        raise invalid("InvalidRequestContent", "properties.regionDetails must be a non-empty list.",
                      "properties.regionDetails")
    found: list[RegionRequest] = []
    for i, item in enumerate(details) if details is not None else ((0, None),):
        target = f"properties.regionDetails[{i}]"
        region = catalog.resolve(item.location if item is not None else primary, f"{target}.location").name
        if any(r.region == region for r in found):
            raise invalid("InvalidRequestContent", f"Region '{region}' is listed more than once.", f"{target}.location")
        accounts = item.storage_account_details if item is not None else None
        storage = None
        if accounts is not None:
            if len(accounts) > 1:
                raise invalid("InvalidRequestContent", f"{target}.storageAccountDetails must be a list of one entry.",
                              f"{target}.storageAccountDetails")
            if accounts:
                storage = parse_storage_config(accounts[0].get("systemCreatedStorageAccount"),
                                               f"{target}.storageAccountDetails[0].systemCreatedStorageAccount")
        found.append(RegionRequest(region, storage))
    if all(r.region != primary for r in found):
        raise invalid(
            "PrimaryRegionNotReplicated",
            f"The primary location '{primary}' must also be listed in the replication locations "
            f"(regionDetails: {', '.join(r.region for r in found)}).",
            "properties.regionDetails",
        )
    return primary, found


@dataclass(frozen=True)
class RegionPlan:
    """How a requested region list changes a registry: regions to add (with their storage config)
    and regions to remove. The primary is never in ``removed``."""

    added: list[tuple[str, StorageConfig]]
    removed: list[str]


def plan_regions(current: Registry, primary: str, requested: list[RegionRequest]) -> RegionPlan:
    """Check an update against the registry: the primary is immutable, an existing region keeps
    its storage config; everything else in the request is added, everything missing removed."""
    if primary != current.location:
        raise invalid(
            "PrimaryRegionImmutable",
            f"The primary location of registry '{current.name}' is '{current.location}' and cannot change "
            f"(requested '{primary}').",
            "location",
        )
    added: list[tuple[str, StorageConfig]] = []
    for req in requested:
        existing = current.region(req.region)
        if existing is None:
            added.append((req.region, req.storage or StorageConfig()))
        elif req.storage is not None and req.storage != existing.storage:
            raise invalid(
                "InvalidRequestContent",
                f"The storage config of region '{req.region}' of registry '{current.name}' cannot change "
                f"(it is {existing.storage.account_type}, hns {str(existing.storage.hns).lower()}).",
                "properties.regionDetails",
            )
    wanted = {r.region for r in requested}
    removed = [r.region for r in current.regions if r.region not in wanted]
    return RegionPlan(added, removed)
