"""Computes, their nodes, VM sizes, usages and quotas as Azure ML's REST API writes them
(``ComputeResource``, ``AmlComputeNodesInformation``, ``VirtualMachineSizeListResult``,
``ListUsagesResult``, ``ListWorkspaceQuotas``, ``UpdateWorkspaceQuotasResult``), so that azure-ai-ml and the az CLI read them unchanged."""

from __future__ import annotations

from typing import Any

from amlite.api.render import system_data, ts
from amlite.domain.computes import format_duration
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.vm_sizes import OS_VHD_SIZE_MB, VmSize, family_display_name
from amlite.services.computes import ComputeNode, ComputeView, UsageLine
from amlite.services.workspace_quotas import QUOTA_TYPE, QuotaEntryResult, WorkspaceQuota

TYPE = f"{ML_NAMESPACE}/workspaces/computes"


def compute(view: ComputeView) -> dict[str, Any]:
    c = view.compute
    errors = [{"error": e} for e in c.errors] or None
    return {
        "id": view.arm_id, "name": c.name, "type": TYPE, "location": c.location, "tags": c.tags,
        "systemData": system_data(c.stamp),
        "properties": {
            "computeType": c.compute_type.value, "computeLocation": c.location, "description": c.description or None,
            "createdOn": ts(c.stamp.created_at), "modifiedOn": ts(c.stamp.modified_at),
            "provisioningState": c.provisioning_state.value, "provisioningErrors": errors,
            "isAttachedCompute": c.is_ray, "disableLocalAuth": True, "resourceId": None,
            "properties": _ray(view) if c.is_ray else _instance(view) if c.is_instance else _cluster(view),
        },
    }


def _cluster(view: ComputeView) -> dict[str, Any]:
    c = view.compute
    current = view.current_nodes
    return {
        "vmSize": c.vm_size.name, "vmPriority": c.tier, "osType": c.settings.get("osType", "Linux"),
        "scaleSettings": {"minNodeCount": c.min_nodes, "maxNodeCount": c.max_nodes,
                          "nodeIdleTimeBeforeScaleDown": format_duration(c.idle_seconds or 0)},
        "remoteLoginPortPublicAccess": c.settings.get("remoteLoginPortPublicAccess", "NotSpecified"),
        "enableNodePublicIp": c.settings.get("enableNodePublicIp", True), "isolatedNetwork": False,
        "allocationState": "Steady", "allocationStateTransitionTime": ts(c.stamp.modified_at),
        "errors": None, "currentNodeCount": current, "targetNodeCount": current,
        "nodeStateCounts": {"idleNodeCount": current - view.busy_nodes, "runningNodeCount": view.busy_nodes,
                            "preparingNodeCount": 0, "unusableNodeCount": 0, "leavingNodeCount": 0,
                            "preemptedNodeCount": 0},
        "propertyBag": None, "subnet": None, "userAccountCredentials": None, "virtualMachineImage": None,
    }


def _ray(view: ComputeView) -> dict[str, Any]:
    """A Ray compute: the cluster it is attached to (an amlite addition; Azure ML has no Ray type)."""
    return {"address": view.compute.ray_address}


def _instance(view: ComputeView) -> dict[str, Any]:
    c = view.compute
    running = view.current_nodes > 0
    settings = c.settings
    return {
        "vmSize": c.vm_size.name, "state": c.state.value if c.state else None,
        "applicationSharingPolicy": settings.get("applicationSharingPolicy", "Shared"),
        "computeInstanceAuthorizationType": settings.get("computeInstanceAuthorizationType", "personal"),
        "sshSettings": {"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 50000},
        "connectivityEndpoints": {"publicIpAddress": None, "privateIpAddress": "10.0.0.4" if running else None},
        "applications": [], "lastOperation": c.last_operation, "errors": None,
        "enableNodePublicIp": settings.get("enableNodePublicIp", True), "enableSSO": settings.get("enableSSO", True),
        "enableRootAccess": settings.get("enableRootAccess", True), "releaseQuotaOnStop": False,
        "enableOSPatching": False, "idleTimeBeforeShutdown": None, "schedules": None, "setupScripts": None,
        "personalComputeInstanceSettings": None, "subnet": None,
    }


def nodes(found: list[ComputeNode]) -> dict[str, Any]:
    return {"computeType": "AmlCompute", "nextLink": None, "nodes": [
        {"nodeId": n.node_id, "privateIpAddress": n.private_ip_address, "publicIpAddress": None, "port": 50000,
         "nodeState": n.state, "runId": n.run_id} for n in found]}


def vm_size(size: VmSize) -> dict[str, Any]:
    return {
        "name": size.name, "family": size.family, "vCPUs": size.vcpus, "gpus": size.gpus,
        "osVhdSizeMB": OS_VHD_SIZE_MB, "maxResourceVolumeMB": size.max_resource_volume_mb,
        "memoryGB": size.memory_gb, "lowPriorityCapable": size.low_priority_capable, "premiumIO": size.premium_io,
        "estimatedVMPrices": None, "supportedComputeTypes": list(size.compute_types),
    }


def usage(sub_id: str, location: str, line: UsageLine) -> dict[str, Any]:
    kind = "totalCores" if line.is_total else "vmFamily"
    return {
        "id": f"/subscriptions/{sub_id}/providers/{ML_NAMESPACE}/locations/{location}/usages/{line.name}",
        "amlWorkspaceLocation": location, "type": f"{ML_NAMESPACE}/{kind}/usages", "unit": "Count",
        "currentValue": line.current, "limit": line.limit,
        "name": {"value": line.name, "localizedValue": line.display_name},
    }


def quota(sub_id: str, location: str, line: UsageLine) -> dict[str, Any]:
    kind = "totalCores" if line.is_total else "vmFamily"
    return {
        "id": f"/subscriptions/{sub_id}/providers/{ML_NAMESPACE}/locations/{location}/quotas/{line.name}",
        "amlWorkspaceLocation": location, "type": f"{ML_NAMESPACE}/{kind}/quotas", "unit": "Count",
        "limit": line.limit, "name": {"value": line.name, "localizedValue": line.display_name},
    }



def workspace_quota(q: WorkspaceQuota) -> dict[str, Any]:
    """A ``ResourceQuota`` at workspace level (``Microsoft.MachineLearningServices/workspaces/quotas``)."""
    return {
        "id": f"{q.workspace.arm_id}/quotas/{q.family}", "amlWorkspaceLocation": q.workspace.location,
        "type": QUOTA_TYPE, "unit": "Count", "limit": q.limit,
        "name": {"value": q.family, "localizedValue": family_display_name(q.family)},
    }


def quota_update(result: QuotaEntryResult) -> dict[str, Any]:
    """One entry of ``UpdateWorkspaceQuotasResult``."""
    return {"id": result.id, "type": QUOTA_TYPE, "limit": result.limit, "unit": "Count", "status": result.status.value}
