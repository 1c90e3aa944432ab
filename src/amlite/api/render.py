"""Domain objects to ARM JSON, one function per resource type, and the 202 of a long-running
operation. Bodies follow Azure's REST API shapes so that Azure clients read them unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.responses import Response
from starlette.background import BackgroundTask

from amlite.api.deps import ML_API_VERSIONS, RESOURCES_API_VERSIONS
from amlite.api.json_input import SafeJSONResponse as JSONResponse
from amlite.domain.operations import Operation, OperationStatus
from amlite.domain.regions import Region
from amlite.domain.resources import AuditStamp, GenericResource, ResourceGroup, SoftDelete, Subscription, Tenant
from amlite.domain.tracking import tracking_uri
from amlite.services.subscriptions import ProviderState
from amlite.services.workspaces import WorkspaceView

RETRY_AFTER = "1"  # Azure clients treat 0 as absent and wait 30 s (FIELD-NOTES).


def ts(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def system_data(stamp: AuditStamp) -> dict[str, Any]:
    return {
        "createdBy": stamp.created_by, "createdByType": stamp.created_by_type, "createdAt": ts(stamp.created_at),
        "lastModifiedBy": stamp.modified_by, "lastModifiedByType": stamp.modified_by_type,
        "lastModifiedAt": ts(stamp.modified_at),
    }


def tenant(t: Tenant) -> dict[str, Any]:
    return {"id": f"/tenants/{t.id}", "tenantId": t.id, "displayName": t.display_name,
            "defaultDomain": t.default_domain, "tenantCategory": "Home", "domains": [t.default_domain]}


def subscription(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.arm_id, "subscriptionId": s.id, "tenantId": s.tenant_id, "displayName": s.display_name,
        "state": s.state, "authorizationSource": "RoleBased",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "amlite", "spendingLimit": "Off"},
    }


def location(sub_id: str, r: Region) -> dict[str, Any]:
    paired = [{"name": r.paired_region, "id": f"/subscriptions/{sub_id}/locations/{r.paired_region}"}] if r.paired_region else []
    return {
        "id": f"/subscriptions/{sub_id}/locations/{r.name}", "name": r.name, "type": "Region",
        "displayName": r.display_name, "regionalDisplayName": r.regional_display_name,
        "metadata": {"regionType": "Physical", "regionCategory": "Recommended", "geographyGroup": r.geography,
                     "pairedRegion": paired},
    }


def provider(sub_id: str, p: ProviderState, locations: list[str]) -> dict[str, Any]:
    versions = list(ML_API_VERSIONS if p.provider.namespace == "Microsoft.MachineLearningServices" else RESOURCES_API_VERSIONS)
    return {
        "id": f"/subscriptions/{sub_id}/providers/{p.provider.namespace}", "namespace": p.provider.namespace,
        "registrationState": p.registration_state, "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {"resourceType": rt, "locations": locations, "apiVersions": sorted(versions, reverse=True)}
            for rt in p.provider.resource_types
        ],
    }


def resource_group(rg: ResourceGroup) -> dict[str, Any]:
    return {
        "id": rg.arm_id, "name": rg.name, "type": "Microsoft.Resources/resourceGroups", "location": rg.location,
        "tags": rg.tags, "etag": rg.etag, "managedBy": rg.managed_by,
        "properties": {"provisioningState": rg.provisioning_state.value},
        "systemData": system_data(rg.stamp),
    }


def generic_resource(res: GenericResource) -> dict[str, Any]:
    return {"id": res.arm_id, "name": res.name, "type": res.full_type, "location": res.location, "tags": {}}


def workspace(view: WorkspaceView, endpoint: str, tenant_id: str) -> dict[str, Any]:
    """Azure's workspace body. A hub adds ``workspaceHubConfig`` and ``associatedWorkspaces``; a
    project ``hubResourceId`` and ``settingSources`` (amlite's: which settings and resources are
    its hub's, read from the hub now, and which its own)."""
    ws = view.workspace
    kind_props: dict[str, Any] = {}
    settings = view.settings
    if ws.kind.value == "Hub":
        group = settings.get("defaultWorkspaceResourceGroup")
        kind_props["workspaceHubConfig"] = {"defaultWorkspaceResourceGroup": group,
                                            "additionalWorkspaceStorageAccounts": []}
        kind_props["associatedWorkspaces"] = list(view.projects)
    if ws.kind.value == "Project":
        kind_props["hubResourceId"] = view.hub_id
        kind_props["settingSources"] = dict(view.sources)
    if settings.get("encryption"):
        kind_props["encryption"] = settings["encryption"]
    return {
        "id": ws.arm_id, "name": ws.name, "type": "Microsoft.MachineLearningServices/workspaces",
        "location": ws.location, "kind": ws.kind.value, "tags": ws.tags, "etag": ws.etag,
        "sku": {"name": "Basic", "tier": "Basic"},
        "identity": {"type": "SystemAssigned", "principalId": ws.identity_principal_id, "tenantId": tenant_id},
        "systemData": system_data(ws.stamp),
        "properties": {
            "workspaceId": ws.workspace_id, "friendlyName": ws.friendly_name, "description": ws.description,
            "provisioningState": ws.provisioning_state.value,
            **view.associated_ids,
            "discoveryUrl": f"{endpoint}/discovery",
            "mlFlowTrackingUri": tracking_uri(endpoint, ws.arm_id),
            "publicNetworkAccess": settings.get("publicNetworkAccess", "Enabled"),
            "managedNetwork": settings.get("managedNetwork", {"isolationMode": "Disabled"}),
            "hbiWorkspace": False, "storageHnsEnabled": False,
            "v1LegacyMode": False, "tenantId": tenant_id, "creationTime": ts(ws.stamp.created_at),
            **kind_props,
            **soft_deleted(ws.soft_delete),
        },
    }


def soft_deleted(state: SoftDelete | None) -> dict[str, Any]:
    """What a soft-deleted resource's listing adds (amlite's ``deletedWorkspaces``/``deletedRegistries``):
    when it was deleted and when it will be purged unless recovered."""
    if state is None:
        return {}
    return {"deletedAt": ts(state.deleted_at), "scheduledPurgeDate": ts(state.purge_at)}


def operation_urls(base: str, op: Operation, api_version: str) -> tuple[str, str]:
    prefix = f"{base}/subscriptions/{op.subscription_id}/providers/{op.namespace}/locations/{op.location}"
    return (
        f"{prefix}/operationStatuses/{op.id}?api-version={api_version}",
        f"{prefix}/operationResults/{op.id}?api-version={api_version}",
    )


def accepted(base: str, op: Operation, api_version: str, wake_worker: Callable[[], None]) -> Response:
    """ARM's answer to a long-running request: 202, where to poll, and how soon. The worker is
    woken only after the answer is sent, so the client learns where to poll before work starts."""
    status_url, result_url = operation_urls(base, op, api_version)
    return Response(
        status_code=202,
        headers={"Azure-AsyncOperation": status_url, "Location": result_url, "Retry-After": RETRY_AFTER},
        background=BackgroundTask(wake_worker),
    )


def accepted_location(base: str, op: Operation, api_version: str, wake_worker: Callable[[], None]) -> Response:
    """ARM's answer to ``moveResources``/``validateMoveResources``: 202 with only ``Location`` (and
    ``Retry-After``), which answers 202 until done, then 204 or the operation's error."""
    _, result_url = operation_urls(base, op, api_version)
    return Response(status_code=202, headers={"Location": result_url, "Retry-After": RETRY_AFTER},
                    background=BackgroundTask(wake_worker))


def operation_status(base: str, op: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"/subscriptions/{op.subscription_id}/providers/{op.namespace}/locations/{op.location}/operationStatuses/{op.id}",
        "name": op.id, "status": op.status.value, "startTime": ts(op.created_at), "endTime": ts(op.ended_at),
        "percentComplete": 100.0 if op.status.is_terminal else 0.0, "resourceId": op.target_id,
    }
    if op.status in (OperationStatus.FAILED, OperationStatus.CANCELED):
        body["error"] = {"code": op.error_code, "message": op.error_message}
        report = op.payload.get("report")
        if op.status is OperationStatus.FAILED and isinstance(report, dict) and report.get("blockers"):
            body["error"].update(move_report_error(report))
    if op.status is OperationStatus.SUCCEEDED and isinstance(op.payload.get("result"), dict):
        body["properties"] = op.payload["result"]  # a move's outcome: what moved, what it dropped
    return body


def move_report_error(report: dict[str, Any]) -> dict[str, Any]:
    """A refused move's ``details`` (one per reason, ARM's shape) and ``additionalInfo`` (the whole
    dry run: what would move, every blocker, what would be lost)."""
    return {
        "details": [{"code": b["code"], "message": b["message"], "target": b["target"]} for b in report["blockers"]],
        "additionalInfo": [{"type": "MoveReport", "info": report}],
    }


def json(body: Any, status: int = 200, etag: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    hdrs = dict(headers or {})
    if etag:
        hdrs["ETag"] = etag
    return JSONResponse(body, status_code=status, headers=hdrs)
