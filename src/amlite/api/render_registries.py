"""Registries to ARM JSON, as Azure ML's REST API shapes them (``RegistryTrackedResource``), so
Azure clients (azure-ai-ml's ``Registry._from_rest_object``) read them unchanged."""

from __future__ import annotations

from typing import Any

from amlite.api.render import soft_deleted, system_data, ts
from amlite.domain.registries import REGISTRY_TYPE, Registry, RegistryRegion


def registry(reg: Registry, endpoint: str) -> dict[str, Any]:
    return {
        "id": reg.arm_id, "name": reg.name, "type": REGISTRY_TYPE, "location": reg.location, "tags": reg.tags,
        "etag": reg.etag, "kind": "", "sku": {"name": "Basic", "tier": "Basic"},
        "systemData": system_data(reg.stamp),
        "properties": {
            "description": reg.description,
            "regionDetails": [_region(reg, r) for r in reg.regions],
            "discoveryUrl": f"{endpoint}/registrymanagement/v1.0/registries/{reg.name}/discovery",
            "mlFlowRegistryUri": f"{endpoint}/mlflow/v1.0{reg.arm_id}",
            "intellectualPropertyPublisher": None, "managedResourceGroup": None,
            "publicNetworkAccess": "Enabled", "provisioningState": reg.provisioning_state.value,
            "registryId": reg.registry_id, "creationTime": ts(reg.stamp.created_at),
            **soft_deleted(reg.soft_delete),
        },
    }


def _region(reg: Registry, r: RegistryRegion) -> dict[str, Any]:
    account_id = (f"/subscriptions/{reg.subscription_id}/resourceGroups/{reg.resource_group_name}"
                  f"/providers/Microsoft.Storage/storageAccounts/{r.storage_account_name}")
    return {
        "location": r.region, "acrDetails": [],
        "storageAccountDetails": [{"systemCreatedStorageAccount": {
            "storageAccountName": r.storage_account_name, "storageAccountType": r.storage.account_type,
            "storageAccountHnsEnabled": r.storage.hns, "armResourceId": {"resourceId": account_id},
            "allowBlobPublicAccess": False,
        }}],
    }


def registry_resource(reg: Registry) -> dict[str, Any]:
    """The registry as a group's ``/resources`` list shows it."""
    return {"id": reg.arm_id, "name": reg.name, "type": REGISTRY_TYPE, "location": reg.location, "tags": reg.tags}
