"""The calls azure-ai-ml makes around uploads that are not ARM's asset routes: in its registry data
plane, temporary data references (where to upload a registry version's files) and ``import`` (how
it shares a workspace version into a registry), sent under ``{primaryRegionResourceProviderUri}mferp/
managementfrontend`` (``api.paths`` drops it before routing) with api-version
``2021-10-01-dataplanepreview``; in a workspace, a code version's ``startPendingUpload`` (where to
upload a component's code folder)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, container, reg_scope, ws_scope
from amlite.domain.asset_owners import OwnerType
from amlite.domain.assets import AssetKind, check_asset_name, check_version
from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.schemas.arm_assets import ImportBody, PendingUploadBody, TemporaryDataReferenceBody
from amlite.services.asset_owners import registry_owner
from amlite.services.assets import AssetPath
from amlite.services.context import Caller
from amlite.services.storage_endpoint import ContainerAccess

router = APIRouter()
V = [Depends(ML_VERSION)]
REG = ("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
       "/providers/Microsoft.MachineLearningServices/registries/{registry}")
WRITE = "Microsoft.MachineLearningServices/registries/assets/write"
WS = ("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
      "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}")
CODE_WRITE = "Microsoft.MachineLearningServices/workspaces/codes/versions/write"


def _blob_reference(subscription_id: str, resource_group: str, account: str, access: ContainerAccess) -> dict[str, Any]:
    account_id = (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
                  f"/providers/Microsoft.Storage/storageAccounts/{account}")
    return {"blobUri": access.url, "storageAccountArmId": account_id,
            "credential": {"credentialType": "SAS", "sasUri": access.sas_url}}


@router.post(WS + "/codes/{name}/versions/{version}/startPendingUpload", dependencies=V)
def start_pending_upload(subscription_id: str, resource_group: str, workspace: str, name: str, version: str,
                         request: Request, caller: Caller = Depends(Authorize(CODE_WRITE, ws_scope)),
                         body: PendingUploadBody = Depends(JsonBody(PendingUploadBody))) -> Any:
    """A container SAS to the workspace's own storage, to upload a code version's folder into
    before creating it (its ``codeUri`` then names the uploaded folder)."""
    check_asset_name(name, AssetKind.CODES)
    check_version(version, AssetKind.CODES)
    kind = body.pending_upload_type
    if kind != "TemporaryBlobReference":
        raise invalid("InvalidRequestContent", "pendingUploadType must be 'TemporaryBlobReference'.", "pendingUploadType")
    ds, access = container(request).datastores.upload_access(caller, subscription_id, resource_group, workspace)
    sub, rg = ds.subscription_id or subscription_id, ds.resource_group_name or resource_group
    return render.json({"blobReferenceForConsumption": _blob_reference(sub, rg, ds.account_name, access),
                        "pendingUploadId": f"{name}/versions/{version}", "pendingUploadType": kind})


@router.put(REG + "/tempdatarefs/{name}/versions/{version}", dependencies=V)
def temporary_data_reference(subscription_id: str, resource_group: str, registry: str, name: str, version: str,
                             request: Request, caller: Caller = Depends(Authorize(WRITE, reg_scope)),
                             body: TemporaryDataReferenceBody = Depends(JsonBody(TemporaryDataReferenceBody))) -> Any:
    """A container SAS of the registry's primary region to upload the version's files into, or
    ``409`` when the version exists (azure-ai-ml then skips the upload)."""
    c = container(request)
    owner = registry_owner(c.registries.get(caller, subscription_id, resource_group, registry))  # 404 first
    kind = _kind_of(body.asset_id)
    try:
        c.assets.get_version(caller, AssetPath(subscription_id, resource_group, registry, kind, name,
                                               OwnerType.REGISTRY), version)
    except NotFound:
        pass
    else:
        raise Conflict("AssetVersionExists", f"{kind.label} '{name}' version '{version}' already exists in the registry.")
    primary = owner.primary
    access = c.storage_endpoint.container_access(primary.account, primary.container, primary.region)
    return render.json({
        "blobReferenceForConsumption": _blob_reference(subscription_id, resource_group, primary.account, access),
        "temporaryDataReferenceId": f"{name}/versions/{version}",
        "temporaryDataReferenceType": body.temporary_data_reference_type,
    })


@router.post(REG + "/import", dependencies=V)
def import_asset(subscription_id: str, resource_group: str, registry: str, request: Request,
                 caller: Caller = Depends(Authorize(WRITE, reg_scope)),
                 body: ImportBody = Depends(JsonBody(ImportBody))) -> Any:
    """Share the workspace version the body names into this registry; answered when done (200,
    no body: azure-ai-ml then reads the version)."""
    c = container(request)
    c.registries.get(caller, subscription_id, resource_group, registry)  # a missing registry is 404 first
    c.registry_assets.import_version(caller, registry, body)
    return Response(status_code=200)


def _kind_of(asset_id: str | None) -> AssetKind:
    """The kind an ``azureml://registries/{r}/{kind}/{name}/versions/{v}`` asset id names."""
    parts = asset_id.split("/") if asset_id is not None else []
    for kind in AssetKind:
        if len(parts) > 5 and parts[4] == kind.value:
            return kind
    raise invalid("InvalidRequestContent", "assetId must be azureml://registries/{registry}/{kind}/{name}/versions/{version}.",
                  "assetId")
