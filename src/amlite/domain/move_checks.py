"""Validation of a resource move (seed 000): every reason the move cannot be made, at once.

``services.move_checks`` reads the store into :class:`MoveFacts`; :func:`evaluate` decides, with
no I/O, and returns the dry run (``domain.moves.MoveReport``): what would move, every blocker
with its own stable code and a message that says what to do, and what the move would drop.

Each blocker code is one reason, whatever the resource:

=============================== ===========================================================
code                            reason
=============================== ===========================================================
NoWorkspaceToMove               the request names no workspace (and nothing else is wrong with it)
MoveSameResourceGroup           source and destination are the same group
MoveResourceNotInSourceGroup    an id is not in the source group
ResourceNotFound                an id in the source group names nothing
MoveResourceTypeNotSupported    an id's type cannot move (registries, a workspace's children)
AssociatedResourceMovesWithWorkspace  a workspace's associated resource is named without it
ResourceGroupNotFound           the source group does not exist
MoveTargetSubscriptionNotFound  the destination subscription does not exist
TargetResourceGroupNotFound     the destination group does not exist
TargetResourceGroupBeingDeleted the destination group is being deleted
ResourceExistsInTargetResourceGroup  a resource of the same type and name is in the destination
MoveCrossTenant                 the destination is in another tenant (without ``cross_tenant``)
MoveCrossRegion                 the destination group is in another region (without ``cross_region``)
MoveCrossRegionSharedStorage    a hub or project asked to change region (their storage is shared)
MissingSubscriptionRegistration a provider the workspace needs is not registered at the destination
MoveSourceDeleteNotAuthorized   the caller lacks delete on a resource that would move
MoveTargetWriteNotAuthorized    the caller lacks resourceGroups/write on the destination group (in
                                another tenant: as the principal ``principal_map`` maps the caller to)
MovePrincipalNotInTargetTenant  a ``principal_map`` target is no principal of the destination's tenant
RequestDisallowedByPolicy       a moving resource breaks an enforced assignment at the destination
WorkspaceNotQuiescent           a workspace is being created, updated, deleted or moved
WorkspaceHasCompute             a compute exists (or is being created) in a workspace
WorkspaceHasOnlineEndpoint      an online endpoint (a deployed service) exists in a workspace
WorkspaceHasCustomerManagedKey  a workspace (or its hub) encrypts with a customer-managed key
WorkspaceHasRunningJob          a job of a workspace has not finished
WorkspaceHasLabelingProject     a labeling project exists in a workspace (running or paused)
WorkspaceLinkedToDatabricks     an Azure Databricks workspace is linked to a workspace (``amlWorkspaceId``)
=============================== ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.moves import MoveBlocker, MoveLoss, MoveReport, MoveRequest
from amlite.domain.policies import PolicyAssignment, Subject, violations
from amlite.domain.rbac import is_at_or_below, normalize_scope

#: The seed's table: what a destination subscription must have registered for a workspace.
REQUIRED_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("Microsoft.MachineLearningServices", "creating the Azure Machine Learning workspace"),
    ("Microsoft.Storage", "the workspace's default storage account"),
    ("Microsoft.ContainerRegistry", "the registry the workspace builds Docker images in"),
    ("Microsoft.KeyVault", "the key vault the workspace stores secrets in"),
    ("Microsoft.Notebooks", "integrated notebooks on compute instances (NotebookProxies)"),
    ("Microsoft.ContainerService", "deploying models to Kubernetes"),
)
#: And with a customer-managed key (the seed's second table).
CMK_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("Microsoft.DocumentDB", "the Cosmos DB account that keeps the workspace's metadata (databaseAccounts)"),
    ("Microsoft.Search", "the search service that indexes the workspace (searchServices)"),
)

TARGET_WRITE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/write"

#: Loss kinds (``MoveLoss.kind``).
LOSS_ROLE_ASSIGNMENT = "RoleAssignment"
LOSS_PRIVATE_ENDPOINT = "PrivateEndpointConnection"
LOSS_DATASTORE = "DatastoreLeftBehind"


@dataclass(frozen=True)
class ComputeFact:
    name: str
    state: str  # provisioning state: Creating, Succeeded, Deleting, Failed


@dataclass(frozen=True)
class RoleAssignmentFact:
    id: str  # the assignment's ARM id
    scope: str
    principal_id: str
    role_name: str


@dataclass(frozen=True)
class DatastoreFact:
    name: str
    is_default: bool
    account_id: str  # the storage account's ARM id as the datastore points at it now


@dataclass(frozen=True)
class WorkspaceFacts:
    arm_id: str
    name: str
    location: str
    tags: Mapping[str, str]
    provisioning_state: str
    associated_ids: tuple[str, ...]  # storage account, key vault, container registry, app insights
    computes: tuple[ComputeFact, ...] = ()
    online_endpoints: tuple[str, ...] = ()
    running_jobs: tuple[tuple[str, str], ...] = ()  # (name, status)
    labeling_projects: tuple[tuple[str, str], ...] = ()  # (name, status): none completes in amlite
    databricks_links: tuple[str, ...] = ()  # ids of the Databricks workspaces linked to it
    encryption: Mapping[str, Any] | None = None  # Azure's properties.encryption in effect (own or hub's)
    datastores: tuple[DatastoreFact, ...] = ()
    private_endpoint_connections: tuple[str, ...] = ()  # ARM ids
    kind: str = "Default"  # Default, Hub or Project


@dataclass(frozen=True)
class ResourceFacts:
    """One requested id as the store knows it."""

    requested_id: str
    found_id: str | None  # canonical ARM id, None when nothing has that id
    type: str | None  # full type of what was found ("Microsoft.Storage/storageAccounts")
    workspace: WorkspaceFacts | None = None  # when the id is a workspace
    movable: bool = True  # False for types that cannot move
    owner_workspace: str | None = None  # an associated resource: its workspace's ARM id


@dataclass(frozen=True)
class TargetFacts:
    subscription_exists: bool
    tenant_id: str | None
    group_exists: bool
    group_location: str | None
    registered: frozenset[str] = frozenset()  # lower-cased namespaces registered
    policy_assignments: tuple[PolicyAssignment, ...] = ()
    group_deleting: bool = False
    taken: frozenset[tuple[str, str]] = frozenset()  # (lower type, lower name) already in the group


@dataclass(frozen=True)
class MoveFacts:
    request: MoveRequest
    source_tenant_id: str
    source_group_exists: bool
    resources: tuple[ResourceFacts, ...]
    target: TargetFacts
    role_assignments: tuple[RoleAssignmentFact, ...] = ()  # at or below every moving resource
    can_delete: Mapping[str, bool] = field(default_factory=dict)  # lower-cased moving id -> allowed
    can_write_target: bool = True
    # A move into another tenant: the caller's object id is not mapped to a principal there.
    caller_unmapped: bool = False
    # Target object ids of the principal map that are no principal of the destination's tenant.
    unknown_mapped: tuple[str, ...] = ()


def target_group_id(req: MoveRequest) -> str:
    return f"/subscriptions/{req.target_subscription}/resourceGroups/{req.target_group}"


def source_group_id(req: MoveRequest) -> str:
    return f"/subscriptions/{req.source_subscription}/resourceGroups/{req.source_group}"


def in_source_group(req: MoveRequest, resource_id: str) -> bool:
    """The id names a resource (not the group itself) directly inside the source group."""
    return (is_at_or_below(resource_id, source_group_id(req))
            and normalize_scope(resource_id) != normalize_scope(source_group_id(req)))


def customer_managed_key(encryption: Mapping[str, Any] | None) -> str | None:
    """The key URI of Azure's ``properties.encryption`` when a customer-managed key is on."""
    if not encryption or str(encryption.get("status", "Enabled")).lower() != "enabled":
        return None
    kv = encryption.get("keyVaultProperties")
    key = kv.get("keyIdentifier") if isinstance(kv, Mapping) else None
    return str(key) if key else None


def moving_ids(facts: MoveFacts) -> tuple[str, ...]:
    """Every ARM id that would move: the named workspaces (and other named resources that can
    move) and each workspace's associated resources, once each, in request order."""
    out: list[str] = []
    seen: set[str] = set()

    def add(rid: str) -> None:
        if rid.lower() not in seen:
            seen.add(rid.lower())
            out.append(rid)

    named = {r.found_id.lower() for r in facts.resources if r.workspace is not None and r.found_id}
    for r in facts.resources:
        if r.found_id is None or not r.movable:
            continue
        if r.owner_workspace is not None and r.owner_workspace.lower() not in named:
            continue  # an associated resource moves only with its workspace
        add(r.found_id)
        if r.workspace is not None:
            for assoc in r.workspace.associated_ids:
                add(assoc)
    return tuple(out)


def evaluate(facts: MoveFacts) -> MoveReport:
    req = facts.request
    b: list[MoveBlocker] = []
    target_rg = target_group_id(req)
    src_rg = source_group_id(req)
    moving = moving_ids(facts)

    if normalize_scope(src_rg) == normalize_scope(target_rg):
        b.append(MoveBlocker("MoveSameResourceGroup", f"The resources are already in '{target_rg}'; name another "
                             "destination resource group.", target_rg))
    if not facts.source_group_exists:
        b.append(MoveBlocker("ResourceGroupNotFound", f"The source resource group '{src_rg}' could not be found.",
                             src_rg))

    workspaces: list[WorkspaceFacts] = []
    named_workspaces = {r.found_id.lower() for r in facts.resources if r.workspace is not None and r.found_id}
    resource_blockers = 0
    for r in facts.resources:
        before = len(b)
        if not in_source_group(req, r.requested_id):
            b.append(MoveBlocker("MoveResourceNotInSourceGroup",
                                 f"The resource '{r.requested_id}' is not in the source resource group '{src_rg}'; "
                                 "move resources from one group at a time, with that group's validateMoveResources.",
                                 r.requested_id))
        elif r.found_id is None:
            if facts.source_group_exists:
                b.append(MoveBlocker("ResourceNotFound", f"The resource '{r.requested_id}' was not found in "
                                     f"'{src_rg}'; check the id, or remove it from the request.", r.requested_id))
        elif not r.movable:
            b.append(MoveBlocker("MoveResourceTypeNotSupported",
                                 f"The resource '{r.found_id}' of type '{r.type}' cannot be moved. Move the workspace "
                                 "itself; registries (and their storage) cannot move, and a workspace's computes, "
                                 "endpoints and assets go (or stay) with their workspace.", r.found_id))
        elif r.owner_workspace is not None and r.owner_workspace.lower() not in named_workspaces:
            b.append(MoveBlocker("AssociatedResourceMovesWithWorkspace",
                                 f"The resource '{r.found_id}' belongs to the workspace '{r.owner_workspace}' and moves "
                                 "only with it: name the workspace in the same request.", r.found_id))
        elif r.workspace is not None and r.found_id.lower() not in {w.arm_id.lower() for w in workspaces}:
            workspaces.append(r.workspace)
        resource_blockers += len(b) - before
    if facts.source_group_exists and not workspaces and not resource_blockers:
        b.append(MoveBlocker("NoWorkspaceToMove", "The request names no workspace to move; list the workspace ids "
                             "(and, if you like, their associated resources) in 'resources'.", src_rg))

    t = facts.target
    if not t.subscription_exists:
        b.append(MoveBlocker("MoveTargetSubscriptionNotFound",
                             f"The destination subscription '{req.target_subscription}' does not exist. A tenant "
                             "administrator creates it with 'amlite account create --name <name>'.",
                             f"/subscriptions/{req.target_subscription}"))
    else:
        if not t.group_exists:
            b.append(MoveBlocker("TargetResourceGroupNotFound",
                                 f"The destination resource group '{target_rg}' does not exist. Create it first: "
                                 f"'amlite group create -g {req.target_group} -l <region> "
                                 f"--subscription {req.target_subscription}'.", target_rg))
        if t.tenant_id is not None and t.tenant_id != facts.source_tenant_id and not req.cross_tenant:
            b.append(MoveBlocker("MoveCrossTenant",
                                 f"The destination subscription '{req.target_subscription}' is in another tenant; "
                                 "a workspace cannot move across tenants (as on Azure). amlite can, behind the "
                                 "explicit cross-tenant option with a principal mapping ('allowTenantChange' and "
                                 "'principalMap'; 'amlite resource move --allow-tenant-change --principal-map').",
                                 f"/subscriptions/{req.target_subscription}"))

    if t.group_exists and t.group_deleting:
        b.append(MoveBlocker("TargetResourceGroupBeingDeleted", f"The destination resource group '{target_rg}' is "
                             "being deleted; create another one.", target_rg))
    if t.group_exists:
        for rid in moving:
            kind, name = _type_and_name(rid)
            if (kind.lower(), name.lower()) in t.taken:
                b.append(MoveBlocker("ResourceExistsInTargetResourceGroup",
                                     f"A resource of type '{kind}' named '{name}' already exists in '{target_rg}'; "
                                     "rename or delete one of the two.", rerooted(rid, req)))
    if t.group_exists and t.group_location is not None and not req.cross_region:
        for ws in workspaces:
            if ws.location.lower() != t.group_location.lower():
                b.append(MoveBlocker("MoveCrossRegion",
                                     f"The workspace '{ws.name}' is in '{ws.location}' and the destination group "
                                     f"'{req.target_group}' is in '{t.group_location}'; a workspace moves only within "
                                     f"its region. Create a destination group in '{ws.location}', or use amlite's "
                                     "explicit cross-region move ('allowRegionChange'; 'amlite resource move "
                                     "--allow-region-change'), which copies its storage there.", ws.arm_id))
    if t.group_exists and t.group_location is not None and req.cross_region:
        for ws in workspaces:
            if ws.location.lower() != t.group_location.lower() and ws.kind.lower() != "default":
                b.append(MoveBlocker("MoveCrossRegionSharedStorage",
                                     f"The workspace '{ws.name}' is a {ws.kind.lower()}: its storage account is "
                                     "shared between a hub and its projects, so it cannot move to another region "
                                     f"on its own. Move it to a group in '{ws.location}'.", ws.arm_id))

    cmk = any(customer_managed_key(ws.encryption) for ws in workspaces)
    if t.subscription_exists and workspaces:
        needed = REQUIRED_PROVIDERS + (CMK_PROVIDERS if cmk else ())
        for namespace, why in needed:
            if namespace.lower() not in t.registered:
                b.append(MoveBlocker("MissingSubscriptionRegistration",
                                     f"The destination subscription is not registered for '{namespace}' ({why}). "
                                     f"Run 'amlite provider register -n {namespace} --subscription "
                                     f"{req.target_subscription}'.",
                                     f"/subscriptions/{req.target_subscription}/providers/{namespace}"))

    for rid in moving:
        if not facts.can_delete.get(rid.lower(), False):
            b.append(MoveBlocker("MoveSourceDeleteNotAuthorized",
                                 f"You need permission to delete '{rid}' ({delete_action(rid)}) to move it out of "
                                 f"its group; ask an Owner of '{src_rg}' for Contributor or Owner there.", rid))
    if t.group_exists and facts.caller_unmapped:
        b.append(MoveBlocker("MoveTargetWriteNotAuthorized",
                             f"The destination group '{target_rg}' is in another tenant: map your object id to your "
                             "principal there in 'principalMap', whose role at the destination must grant "
                             f"'{TARGET_WRITE_ACTION}' (Contributor or Owner).", target_rg))
    elif t.group_exists and not facts.can_write_target:
        b.append(MoveBlocker("MoveTargetWriteNotAuthorized",
                             f"You need '{TARGET_WRITE_ACTION}' on the destination group '{target_rg}' to move "
                             "resources into it; ask for Contributor or Owner there.", target_rg))
    for principal in facts.unknown_mapped:
        b.append(MoveBlocker("MovePrincipalNotInTargetTenant",
                             f"The principal map names '{principal}', which is no principal of the destination's "
                             "tenant; map each source principal to its object id in that tenant.",
                             f"/subscriptions/{req.target_subscription}"))

    if t.group_exists:
        for ws in workspaces:
            moved_id = rerooted(ws.arm_id, req)
            where = ((req.target_location or t.group_location or ws.location) if req.cross_region else ws.location)
            subject = Subject(moved_id, "Microsoft.MachineLearningServices/workspaces", where, ws.tags)
            for v in violations(t.policy_assignments, subject):
                b.append(MoveBlocker("RequestDisallowedByPolicy",
                                     f"The workspace '{ws.name}' would break the policy assignment "
                                     f"'{v.assignment.name}' ({v.assignment.definition.display_name}) at "
                                     f"'{v.assignment.scope}': {v.reason}. Change the workspace (e.g. its tags) or ask "
                                     "the destination's owner to change the assignment.", v.assignment.id))

    for ws in workspaces:
        b.extend(_workspace_blockers(ws))

    return MoveReport(request=req, moving=moving, blockers=tuple(b), losses=tuple(_losses(facts, workspaces, moving)))


def _workspace_blockers(ws: WorkspaceFacts) -> list[MoveBlocker]:
    b: list[MoveBlocker] = []
    if ws.provisioning_state.lower() != "succeeded":
        b.append(MoveBlocker("WorkspaceNotQuiescent", f"The workspace '{ws.name}' is {ws.provisioning_state} and cannot "
                             "move now; wait until it has Succeeded and validate again.", ws.arm_id))
    for c in ws.computes:
        doing = "is being created" if c.state.lower() == "creating" else "exists"
        b.append(MoveBlocker("WorkspaceHasCompute",
                             f"The compute '{c.name}' {doing} in workspace '{ws.name}'; computes do not move. Delete "
                             f"it ('amlite ml compute delete -n {c.name} -w {ws.name} -g <group>') and recreate it "
                             "after the move.", f"{ws.arm_id}/computes/{c.name}"))
    for ep in ws.online_endpoints:
        b.append(MoveBlocker("WorkspaceHasOnlineEndpoint",
                             f"The online endpoint '{ep}' is deployed in workspace '{ws.name}'; endpoints do not move. "
                             f"Delete it ('amlite ml online-endpoint delete -n {ep} -w {ws.name} -g <group>') and "
                             "redeploy it after the move.", f"{ws.arm_id}/onlineEndpoints/{ep}"))
    key = customer_managed_key(ws.encryption)
    if key:
        b.append(MoveBlocker("WorkspaceHasCustomerManagedKey",
                             f"The workspace '{ws.name}' is encrypted with the customer-managed key '{key}'; a "
                             "workspace configured for a customer-managed key cannot move (as on Azure).", ws.arm_id))
    for name, status in ws.running_jobs:
        b.append(MoveBlocker("WorkspaceHasRunningJob",
                             f"The job '{name}' of workspace '{ws.name}' is {status}; wait for it to finish or cancel "
                             f"it ('amlite ml job cancel -n {name} -w {ws.name} -g <group>') and validate again.",
                             f"{ws.arm_id}/jobs/{name}"))
    for name, status in ws.labeling_projects:
        b.append(MoveBlocker("WorkspaceHasLabelingProject",
                             f"The labeling project '{name}' of workspace '{ws.name}' is {status}; a workspace with "
                             "labeling projects that have not completed cannot move (as on Azure), and amlite's never "
                             f"complete. Delete it (DELETE {ws.arm_id}/labelingJobs/{name}) and validate again.",
                             f"{ws.arm_id}/labelingJobs/{name}"))
    for databricks in ws.databricks_links:
        b.append(MoveBlocker("WorkspaceLinkedToDatabricks",
                             f"The workspace '{ws.name}' is linked with the Azure Databricks workspace '{databricks}'; "
                             "a workspace linked with Azure Databricks cannot move (as on Azure). Remove "
                             "'amlWorkspaceId' from the Databricks workspace's parameters, or delete it, and validate "
                             "again.", databricks))
    return b


def _losses(facts: MoveFacts, workspaces: list[WorkspaceFacts], moving: tuple[str, ...]) -> list[MoveLoss]:
    losses: list[MoveLoss] = []
    for a in facts.role_assignments:
        if any(is_at_or_below(a.scope, rid) for rid in moving):
            losses.append(MoveLoss(LOSS_ROLE_ASSIGNMENT, a.id,
                                   f"'{a.role_name}' for principal '{a.principal_id}' at '{a.scope}' is removed; "
                                   "recreate it at the new id after the move ('amlite role assignment create').")
                          )
    moving_lower = {m.lower() for m in moving}
    req = facts.request
    for ws in workspaces:
        for pe in ws.private_endpoint_connections:
            losses.append(MoveLoss(LOSS_PRIVATE_ENDPOINT, pe,
                                   "disconnected and recreated Pending; approve it after the move "
                                   "('amlite network private-endpoint-connection approve')."))
        for ds in ws.datastores:
            if ds.is_default or ds.account_id.lower() in moving_lower:
                continue
            account = ds.account_id.rstrip("/").rsplit("/", 1)[-1]
            losses.append(MoveLoss(LOSS_DATASTORE, f"{ws.arm_id}/datastores/{ds.name}",
                                   f"Datastore '{ds.name}' keeps pointing at storage account '{account}' "
                                   f"('{ds.account_id}'), which does not move. Once that account has moved, run: "
                                   f"amlite ml datastore update --name {ds.name} --workspace-name {ws.name} "
                                   f"--resource-group {req.target_group} --subscription {req.target_subscription} "
                                   f"--set subscription_id={req.target_subscription} resource_group={req.target_group}"))
    return losses


def rerooted(resource_id: str, req: MoveRequest) -> str:
    """The id a resource of the source group has in the destination group."""
    prefix = normalize_scope(source_group_id(req))
    if normalize_scope(resource_id).startswith(prefix + "/"):
        return target_group_id(req) + resource_id[len(source_group_id(req).rstrip("/")):]
    return resource_id


def _type_and_name(resource_id: str) -> tuple[str, str]:
    """``({namespace}/{type}, name)`` of a top-level resource id."""
    parts = resource_id.strip("/").split("/")
    if len(parts) >= 8 and parts[4].lower() == "providers":
        return f"{parts[5]}/{'/'.join(parts[6::2])}", parts[-1]
    return "", parts[-1]


def delete_action(resource_id: str) -> str:
    """``{namespace}/{type}/delete`` for a resource id (the action a move needs at the source)."""
    parts = resource_id.strip("/").split("/")
    if len(parts) >= 8 and parts[4].lower() == "providers":
        types = "/".join(parts[6::2])
        return f"{parts[5]}/{types}/delete"
    return "Microsoft.Resources/subscriptions/resourceGroups/delete"
