"""Reading a workspace through its hub: the one place that follows a project's ``hub_key``.

Every use of what a project inherits (rendering, its storage, its computes and quota) goes through
here, so a change on the hub is seen by every project at its next use, and no project row holds a
copy of it.
"""

from __future__ import annotations

import re

from amlite.domain.computes import Compute
from amlite.domain.errors import AuthorizationFailed, InvalidInput, NotFound, invalid
from amlite.domain.hubs import Effective, effective, family_key, project_container_prefix
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.ports import UnitOfWork

_WS_ID = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.MachineLearningServices"
    r"/workspaces/(?P<name>[^/]+)/?", re.IGNORECASE)
_RG_ID = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/?", re.IGNORECASE)


def parse_workspace_id(value: str, target: str) -> tuple[str, str, str]:
    """(subscription, group, name) of a workspace ARM id (a hub's id, as ``hubResourceId`` names it)."""
    match = _WS_ID.fullmatch(value.strip())
    if match is None:
        raise invalid("InvalidHubResourceId", f"'{value}' is not a workspace ARM id (/subscriptions/<id>/resourceGroups/"
                      "<group>/providers/Microsoft.MachineLearningServices/workspaces/<hub>).", target)
    return match["sub"], match["rg"], match["name"]


def parse_group_id(value: str, sub_id: str, target: str) -> tuple[str, str]:
    """(subscription, group) of a resource group ARM id, or of a bare group name in ``sub_id``."""
    text = value.strip()
    match = _RG_ID.fullmatch(text)
    if match is not None:
        return match["sub"].lower(), match["rg"]
    if "/" in text or not text:
        raise invalid("InvalidRequestContent", f"'{value}' is not a resource group id or name.", target)
    return sub_id.lower(), text


def hub_of(uow: UnitOfWork, ws: Workspace) -> Workspace | None:
    """A project's hub as it is now; None for other kinds."""
    if ws.kind is not WorkspaceKind.PROJECT or ws.hub_key is None:
        return None
    hub = uow.workspaces.by_key(ws.hub_key)
    if hub is None:  # a hub with projects cannot be deleted; this is a broken store, not a user error
        raise NotFound("HubNotFound", f"The hub of project workspace '{ws.name}' does not exist.")
    return hub


def effective_of(uow: UnitOfWork, ws: Workspace) -> tuple[Effective, Workspace | None]:
    """What ``ws`` uses now (its own settings, or its hub's for a project) and its hub."""
    hub = hub_of(uow, ws)
    if hub is None:
        return Effective(dict(ws.settings), dict(ws.associated), {}), None
    return effective(ws, hub), hub


def family(uow: UnitOfWork, ws: Workspace) -> list[Workspace]:
    """The workspaces that share computes and quota with ``ws``: its hub and the hub's projects
    (``ws`` included); just ``ws`` for a Default workspace."""
    key = family_key(ws)
    if key is None:
        return [ws]
    hub = uow.workspaces.by_key(key)
    return ([hub] if hub is not None else []) + uow.workspaces.projects_of(key)


def require_hub(uow: UnitOfWork, sub_id: str, rg_name: str, name: str, given: str) -> Workspace:
    hub = uow.workspaces.get(sub_id, rg_name, name)
    if hub is None:
        raise NotFound("HubNotFound", f"The hub workspace '{given}' does not exist.")
    if hub.kind is not WorkspaceKind.HUB:
        raise InvalidInput("NotAHub", f"Workspace '{hub.name}' is a {hub.kind.value} workspace, not a hub: a project "
                           "needs a workspace of kind Hub.", "properties.hubResourceId")
    return hub


def refuse_sibling_data(uow: UnitOfWork, ws: Workspace, owner_key: str, what: str, target: str) -> None:
    """A hub or project reaches no other workspace's data kept in the hub's shared storage (the
    project's identity reaches only its own containers there), whatever names it: a job's input,
    an asset's path on another workspace's datastore. ``what`` names the reference in the message."""
    other = uow.workspaces.by_key(owner_key)
    if other is None or other.key == ws.key or family_key(ws) is None or family_key(other) != family_key(ws):
        return
    raise AuthorizationFailed(
        "ProjectDataIsolation",
        f"{what} is data of workspace '{other.name}', which shares its hub's storage with "
        f"'{ws.name}'; a {ws.kind.value.lower()} reaches only its own data there. Register the data in '{ws.name}' "
        "instead.", target)


_STORAGE_URL = re.compile(
    r"(?:https?|wasbs?|abfss?)://(?:(?P<at>[^@/]+)@)?(?P<account>[^./@]+)\.(?:blob|dfs)\.[^/]+(?:/(?P<path>[^/?#]+))?",
    re.IGNORECASE)


def storage_url_container(uri: str) -> tuple[str, str] | None:
    """(account, container) of a blob or Data Lake URL (``https://acct.blob.../c/p``,
    ``wasbs://c@acct.blob.../p``, ``abfss://c@acct.dfs.../p``); None for another URL."""
    match = _STORAGE_URL.match(uri.strip())
    container = match and (match["at"] or match["path"])
    return (match["account"], container) if match and container else None


def confine_to_own_containers(uow: UnitOfWork, ws: Workspace, account: str, container: str) -> None:
    """A project names only its own containers of its hub's shared storage (prefixed with its
    workspace GUID), never another project's or the hub's: by a datastore or by a storage URL."""
    if ws.kind is not WorkspaceKind.PROJECT:
        return
    shared = {ds.account_name.lower() for ds in uow.datastores.of_workspace(ws.key) if ds.is_default}
    prefix = project_container_prefix(ws)
    if account.lower() in shared and not container.lower().startswith(prefix.lower()):
        raise AuthorizationFailed(
            "ProjectStorageIsolation",
            f"Container '{container}' of the hub's storage account '{account}' is not project '{ws.name}''s: a project's "
            f"containers there start with its workspace GUID '{prefix}'.")


def find_compute(uow: UnitOfWork, workspace_key: str, name: str) -> Compute | None:
    """The compute a job of the workspace names: its own, else a compute instance of another
    workspace of its hub (instances are reused across a hub's projects); None when neither."""
    own = uow.computes.get(workspace_key, name)
    if own is not None:
        return own
    ws = uow.workspaces.by_key(workspace_key)
    if ws is None or family_key(ws) is None:
        return None
    for other in family(uow, ws):
        if other.key == workspace_key:
            continue
        found = uow.computes.get(other.key, name)
        if found is not None and found.is_instance:
            return found
    return None
