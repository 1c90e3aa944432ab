"""Validating a move (seed 000): every reason it cannot be made, reported at once as a dry run.

This module holds the checks the move itself cannot work without: the source and target groups
exist, every named id is a workspace of the source group or one of its associated resources,
nothing of the same name waits in the target group, and the workspace is at rest. The facts are
found in ``services/move_scope.py``; this module only judges them.
"""

from __future__ import annotations

from collections.abc import Callable

from amlite.domain.moves import MoveBlocker, MoveLoss, MoveReport, MoveRequest
from amlite.domain.resources import ProvisioningState
from amlite.ports import UnitOfWork
from amlite.services import move_scope
from amlite.services.context import Caller


def check_move(uow: UnitOfWork, caller: Caller, request: MoveRequest, *, can: Callable[[str, str], bool]) -> MoveReport:
    """The dry run of ``request``: what would move, what blocks it, what it would drop."""
    blockers: list[MoveBlocker] = []
    source_id = f"/subscriptions/{request.source_subscription}/resourceGroups/{request.source_group}"
    target_id = f"/subscriptions/{request.target_subscription}/resourceGroups/{request.target_group}"
    source = move_scope.source_group(uow, caller, request)
    target = move_scope.target_group(uow, caller, request)
    if source is None:
        blockers.append(MoveBlocker("ResourceGroupNotFound", f"The source resource group '{request.source_group}' "
                                    "could not be found.", source_id))
    if target is None:
        blockers.append(MoveBlocker("TargetResourceGroupNotFound", f"The target resource group '{request.target_group}' "
                                    f"does not exist in subscription '{request.target_subscription}'. Create it first "
                                    "(amlite group create -g NAME -l REGION --subscription ID).", target_id))
    elif target.provisioning_state is ProvisioningState.DELETING:
        blockers.append(MoveBlocker("TargetResourceGroupBeingDeleted",
                                    f"The target resource group '{target.name}' is being deleted.", target_id))
    if source is None:
        return MoveReport(request, blockers=tuple(blockers))
    found = move_scope.named(uow, source, request)
    for rid in found.unknown:
        blockers.append(MoveBlocker("ResourceNotFound", f"The resource '{rid}' is neither a workspace of resource group "
                                    f"'{source.name}' nor one of a workspace's associated resources.", rid))
    for res in found.orphans:
        blockers.append(MoveBlocker("AssociatedResourceMovesWithWorkspace",
                                    f"The resource '{res.arm_id}' belongs to a workspace and moves only with it: "
                                    "name its workspace in the same request.", res.arm_id))
    if not found.workspaces and not found.unknown and not found.orphans:
        blockers.append(MoveBlocker("NoWorkspaceToMove", "The request names no workspace to move.", source_id))
    moving: list[str] = []
    losses: list[MoveLoss] = []
    for ws in found.workspaces:
        moving.append(ws.arm_id)
        own = [r for r in found.associated if r.workspace_key == ws.key]
        moving += [r.arm_id for r in own]
        if ws.provisioning_state is not ProvisioningState.SUCCEEDED:
            blockers.append(MoveBlocker("WorkspaceNotQuiescent", f"The workspace '{ws.name}' is "
                                        f"{ws.provisioning_state.value.lower()} and cannot move now.", ws.arm_id))
        if target is None:
            continue
        if uow.workspaces.get(target.subscription_id, target.name, ws.name) is not None:
            blockers.append(MoveBlocker("ResourceExistsInTargetResourceGroup",
                                        f"A workspace named '{ws.name}' already exists in resource group '{target.name}'.",
                                        move_scope.moved_id(ws.arm_id, target)))
        taken = {(r.full_type.lower(), r.name.lower()) for r in uow.resources.in_group(target.key)}
        for res in own:
            if (res.full_type.lower(), res.name.lower()) in taken:
                blockers.append(MoveBlocker("ResourceExistsInTargetResourceGroup",
                                            f"A resource named '{res.name}' of type '{res.full_type}' already exists "
                                            f"in resource group '{target.name}'.", move_scope.moved_id(res.arm_id, target)))
        losses += move_scope.losses(uow, ws, target)
    return MoveReport(request, moving=tuple(moving), blockers=tuple(blockers), losses=tuple(losses))
