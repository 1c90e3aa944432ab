"""What a move request names and what moving it drops: the facts both its validation
(``services/move_checks.py``) and its execution (``services/moves.py``) read, found in one place.

A workspace moves with its associated resources (storage account, key vault, container registry,
Application Insights); naming them in the request is allowed and changes nothing. The move drops
role assignments at the workspace's scope and below (they name the old id), disconnects its private
endpoint connections (recreated pending approval) and leaves behind the
storage accounts of non-default datastores that are not the workspace's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amlite.domain.move_ids import parse_resource_id
from amlite.domain.moves import MoveLoss, MoveRequest
from amlite.domain.rbac import RoleAssignment, normalize_scope
from amlite.domain.resources import Datastore, GenericResource, ResourceGroup, Workspace
from amlite.ports import UnitOfWork
from amlite.services.context import Caller

WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"


@dataclass
class Named:
    """The resources a request names, found in the source group; ``unknown`` the ids that name
    nothing there, ``orphans`` associated resources named without their workspace."""

    workspaces: list[Workspace] = field(default_factory=list)
    associated: list[GenericResource] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    orphans: list[GenericResource] = field(default_factory=list)


def source_group(uow: UnitOfWork, caller: Caller, request: MoveRequest) -> ResourceGroup | None:
    return _group(uow, caller, request.source_subscription, request.source_group)


def target_group(uow: UnitOfWork, caller: Caller, request: MoveRequest) -> ResourceGroup | None:
    """The destination group, if it exists in a subscription of the caller's tenant (or of any
    tenant, for amlite's explicit cross-tenant move)."""
    return _group(uow, caller, request.target_subscription, request.target_group, any_tenant=request.cross_tenant)


def _group(uow: UnitOfWork, caller: Caller, sub_id: str, name: str, any_tenant: bool = False) -> ResourceGroup | None:
    sub = uow.subscriptions.get(sub_id.lower())
    if sub is None or (sub.tenant_id != caller.tenant_id and not any_tenant):
        return None
    return uow.resource_groups.get(sub.id, name)


def named(uow: UnitOfWork, source: ResourceGroup, request: MoveRequest) -> Named:
    found = Named()
    in_group = {(r.full_type.lower(), r.name.lower()): r for r in uow.resources.in_group(source.key)}
    named_resources: list[GenericResource] = []
    for rid in request.resource_ids:
        parsed = parse_resource_id(rid)
        if parsed is None:
            found.unknown.append(rid)
            continue
        if parsed.full_type.lower() == WORKSPACE_TYPE:
            ws = uow.workspaces.get(source.subscription_id, source.name, parsed.name)
            if ws is None:
                found.unknown.append(rid)
            elif ws.key not in {w.key for w in found.workspaces}:
                found.workspaces.append(ws)
            continue
        res = in_group.get((parsed.full_type.lower(), parsed.name.lower()))
        if res is None or res.workspace_key is None:
            found.unknown.append(rid)
        else:
            named_resources.append(res)
    keys = {ws.key for ws in found.workspaces}
    found.orphans = [r for r in named_resources if r.workspace_key not in keys]
    for ws in found.workspaces:
        found.associated += uow.resources.of_workspace(ws.key)
    return found


def moved_id(old_id: str, target: ResourceGroup) -> str:
    """An ARM id re-rooted under the target group."""
    parts = old_id.split("/")
    parts[2], parts[4] = target.subscription_id, target.name
    return "/".join(parts)


def workspace_role_assignments(uow: UnitOfWork, ws: Workspace) -> list[RoleAssignment]:
    """Assignments at the workspace's scope and below: they name its old id, so the move drops them."""
    tenant = uow.subscriptions.get(ws.subscription_id)
    if tenant is None:
        return []
    return uow.role_assignments.list(tenant.tenant_id, ancestors=[normalize_scope(ws.arm_id)], below=ws.arm_id,
                                     limit=100_000)


def datastores_left_behind(uow: UnitOfWork, ws: Workspace) -> list[Datastore]:
    """Non-default datastores whose storage account is not the workspace's own, so stays where it is."""
    own = {r.name.lower() for r in uow.resources.of_workspace(ws.key) if r.full_type.lower() == "microsoft.storage/storageaccounts"}
    return [ds for ds in uow.datastores.of_workspace(ws.key) if not ds.is_default and ds.account_name.lower() not in own]


def datastore_fix_command(ws: Workspace, ds: Datastore, target: ResourceGroup) -> str:
    """The command that points the datastore at its account once the account has moved next to
    the workspace (the seed's "Scenario: Move a workspace with nondefault datastores")."""
    return (f"amlite ml datastore update --name {ds.name} --workspace-name {ws.name} --resource-group {target.name} "
            f"--subscription {target.subscription_id} --set subscription_id={target.subscription_id} "
            f"resource_group={target.name}")


def losses(uow: UnitOfWork, ws: Workspace, target: ResourceGroup) -> list[MoveLoss]:
    """What moving ``ws`` to ``target`` drops or leaves behind, said before it happens."""
    found = [MoveLoss("RoleAssignment", ra.scope, f"Role assignment '{ra.id}' (role definition "
                      f"'{ra.role_definition_id}', principal '{ra.principal_id}') is removed; recreate it at "
                      f"'{moved_id(ra.scope, target)}'.") for ra in workspace_role_assignments(uow, ws)]
    for ds in datastores_left_behind(uow, ws):
        account_sub = ds.subscription_id or ws.subscription_id
        account_rg = ds.resource_group_name or ws.resource_group_name
        found.append(MoveLoss(
            "DatastoreLeftBehind", f"{ws.arm_id}/datastores/{ds.name}",
            f"Datastore '{ds.name}' keeps pointing at storage account '{ds.account_name}' in subscription "
            f"'{account_sub}', resource group '{account_rg}'. Once that account has moved, run: "
            f"{datastore_fix_command(ws, ds, target)}"))
    for pec in uow.private_endpoint_connections.of_workspace(ws.key):
        found.append(MoveLoss(
            "PrivateEndpointConnection", f"{ws.arm_id}/privateEndpointConnections/{pec.name}",
            f"Private endpoint connection '{pec.name}' ({pec.status.value}) is disconnected and recreated Pending; "
            f"approve it after the move: amlite network private-endpoint-connection approve --name {pec.name} "
            f"--resource-name {ws.name} --resource-type Microsoft.MachineLearningServices/workspaces "
            f"--resource-group {target.name} --subscription {target.subscription_id}"))
    return found
