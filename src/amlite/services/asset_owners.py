"""Finding the owner of assets a request names — a workspace or a registry — as an ``AssetOwner``,
and the repositories that hold that owner's assets.

This is the one place that knows both kinds of owner; the asset use cases (services/assets.py),
the reference resolver and the artifact service ask it and are otherwise the same for both.
A registry is found by its ARM path (``.../registries/{name}``) or, for references and the CLI's
``--registry-name``, by its name alone: registry names are unique in the tenant.
"""

from __future__ import annotations

from amlite.domain.asset_owners import AssetOwner, OwnerType, RegionStorage
from amlite.domain.registries import Registry
from amlite.domain.hubs import project_container_prefix
from amlite.domain.resources import ProvisioningState, Workspace, WorkspaceKind
from amlite.ports import AssetContainers, AssetVersions, UnitOfWork
from amlite.services.context import Caller
from amlite.services.registries import registry_not_found, require_registry
from amlite.services.workspace_scope import available, require_workspace, workspace_not_found


def workspace_owner(ws: Workspace) -> AssetOwner:
    return AssetOwner(
        type=OwnerType.WORKSPACE, key=ws.key, name=ws.name, subscription_id=ws.subscription_id,
        resource_group_name=ws.resource_group_name, location=ws.location,
        writable=ws.provisioning_state is not ProvisioningState.DELETING,
        storage_prefix=project_storage_prefix(ws),
    )


def project_storage_prefix(ws: Workspace) -> str:
    """The prefix of a project's containers in its hub's storage; empty for other workspaces."""
    return project_container_prefix(ws) if ws.kind is WorkspaceKind.PROJECT else ""


def registry_owner(reg: Registry) -> AssetOwner:
    return AssetOwner(
        type=OwnerType.REGISTRY, key=reg.key, name=reg.name, subscription_id=reg.subscription_id,
        resource_group_name=reg.resource_group_name, location=reg.location,
        writable=reg.provisioning_state is not ProvisioningState.DELETING,
        regions=tuple(RegionStorage(r.region, r.storage_account_name, reg.artifact_container) for r in reg.regions),
    )


def require_owner(uow: UnitOfWork, caller: Caller, owner: OwnerType, sub_id: str, rg_name: str, name: str) -> AssetOwner:
    """The owner an ARM path names, or the 404 of its first missing level."""
    if owner is OwnerType.REGISTRY:
        return registry_owner(require_registry(uow, caller, sub_id, rg_name, name))
    return workspace_owner(require_workspace(uow, caller, sub_id, rg_name, name))


def current_owner(uow: UnitOfWork, owner: AssetOwner) -> AssetOwner:
    """``owner`` as the store has it now, by key (one primary-key read): a write re-reads it in
    its own unit of work because it may have started deleting or moving since the request
    resolved it. Its region's outage was judged by that resolution (``require_owner``) a moment
    before; a drill started in between is the same race as one started just after the write."""
    if owner.is_registry:
        reg = uow.registries.by_key(owner.key)
        if reg is not None:
            return registry_owner(reg)
        raise registry_not_found(owner.resource_group_name, owner.name)
    ws = uow.workspaces.by_key(owner.key)
    if ws is not None:
        return workspace_owner(available(ws))
    raise workspace_not_found(owner.resource_group_name, owner.name)


def registry_by_key(uow: UnitOfWork, key: str) -> AssetOwner | None:
    """A registry's owner by key, soft-deleted or not: its versions still replicate while it
    can be recovered (the replication side's view)."""
    reg = uow.registries.any_by_key(key)
    return registry_owner(reg) if reg is not None else None


def containers_of(uow: UnitOfWork, owner: AssetOwner) -> AssetContainers:
    """The container repository holding ``owner``'s assets."""
    return uow.registry_asset_containers if owner.is_registry else uow.asset_containers


def versions_of(uow: UnitOfWork, owner: AssetOwner) -> AssetVersions:
    return uow.registry_asset_versions if owner.is_registry else uow.asset_versions
