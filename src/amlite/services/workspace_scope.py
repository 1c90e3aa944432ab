"""Finding the workspace a request names, for every use case about a workspace or what lives in
it (workspaces, assets, datastores, artifacts, role scopes): the subscription must be the caller's tenant's, the group and the workspace
must exist, and writes are refused while the workspace is being deleted. While it moves to another
resource group (``services/moves.py``) the workspace is unavailable: every request that needs it
answers 409 ``WorkspaceMoving``."""

from __future__ import annotations

from typing import TypeVar

from amlite.domain.errors import Conflict, NotFound
from amlite.domain.names import check_resource_group_name
from amlite.domain.outages import region_unavailable
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import ProvisioningState, Workspace
from amlite.ports import UnitOfWork
from amlite.services.context import Caller

T = TypeVar("T")
from amlite.services.resource_groups import require_group
from amlite.services.subscriptions import require_subscription


def workspace_not_found(rg_name: str, name: str) -> NotFound:
    return NotFound(
        "ResourceNotFound",
        f"The Resource '{ML_NAMESPACE}/workspaces/{name}' under resource group '{rg_name}' was not found.",
    )


def require_workspace(uow: UnitOfWork, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> Workspace:
    """The workspace, or the ARM 404 of the first missing level (subscription, group, workspace).
    The workspace's read joins its group, so the group is read on its own only for the 404."""
    sub = require_subscription(uow, caller, sub_id)
    check_resource_group_name(rg_name)
    ws = uow.workspaces.get(sub.id, rg_name, ws_name)
    if ws is None:
        rg = require_group(uow, sub.id, rg_name)
        raise workspace_not_found(rg.name, ws_name)
    return region_up(uow, available(ws), ws.location, f"workspace '{ws.name}'")


def region_up(uow: UnitOfWork, resource: T, location: str, what: str) -> T:
    """``resource`` unless its region is failed by an outage drill (services/outages.py): then the
    503 ``ServiceUnavailable`` with ``Retry-After`` Azure answers during a regional outage."""
    if location.lower() in uow.region_outages.failed_regions():
        raise region_unavailable(location.lower(), what)
    return resource


def available(ws: Workspace) -> Workspace:
    """A workspace being moved serves nothing until the move commits or rolls back (seed 000: "the
    workspace becomes unavailable during the move"); the move's own steps read it by key."""
    if ws.provisioning_state is ProvisioningState.MOVING:
        raise Conflict(
            "WorkspaceMoving",
            f"The workspace '{ws.name}' is being moved to another resource group and is unavailable until the "
            "move completes. Poll the moveResources operation, then use the workspace's new id.",
        )
    return ws


def writable(ws: Workspace) -> Workspace:
    """A workspace being deleted takes no new children: they would be deleted under the writer."""
    available(ws)
    if ws.provisioning_state is ProvisioningState.DELETING:
        raise Conflict("WorkspaceBeingDeleted", f"The workspace '{ws.name}' is being deleted and cannot be changed.")
    return ws
