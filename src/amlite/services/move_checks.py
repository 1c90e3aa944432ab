"""Validation of a resource move: reads what the rules need from the store, inside the caller's
unit of work, and lets ``domain.move_checks.evaluate`` decide.

The caller (the move routes and the move task) opens the unit of work, so validation and the
move can read one consistent state; ``can(action, scope)`` answers whether the caller holds an
action at a scope (built from ``Authorizer.allowed_in`` on the same unit of work).

What amlite has of the seed's list, and so what is checked: computes (any state, "being
created" included), online endpoints (amlite's deployed services), a customer-managed key
(Azure's ``properties.encryption`` of the workspace or, for a project, of its hub), jobs that
have not finished, and labeling projects (``labelingJobs``; none ever completes in amlite, which
has no labeling interface). Data profiling is, on Azure, a run of the workspace over a v1
dataset; amlite has no v1 datasets, and any job of the workspace that has not finished already
blocks. A linked Databricks workspace is, as on Azure, a ``Microsoft.Databricks/workspaces``
resource whose ``parameters.amlWorkspaceId`` names the workspace (``domain.databricks``; amlite
has no ``Databricks`` compute type). Private endpoint connections do not block; they are listed
among the losses (disconnected, recreated Pending).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from amlite.domain.assets import ListViewType
from amlite.domain.errors import InvalidInput
from amlite.domain.move_checks import (
    TARGET_WRITE_ACTION,
    ComputeFact,
    DatastoreFact,
    MoveFacts,
    ResourceFacts,
    RoleAssignmentFact,
    TargetFacts,
    WorkspaceFacts,
    delete_action,
    evaluate,
    in_source_group,
    moving_ids,
    target_group_id,
)
from amlite.domain.moves import MoveReport, MoveRequest
from amlite.domain.rbac import normalize_scope, parse_scope
from amlite.domain.registries import REGISTRY_TYPE
from amlite.domain.resources import WORKSPACE_TYPE, ProvisioningState, ResourceGroup, Workspace
from amlite.ports import UnitOfWork
from amlite.services.authz import roles_by_id
from amlite.services.context import Caller
from amlite.services.databricks import linked_databricks
from amlite.services.roles import assignment_id

Can = Callable[[str, str], bool]
#: ``can_as(principal_id, action, scope)``: a right of another principal (the caller's identity in
#: the destination's tenant, for a cross-tenant move).
CanAs = Callable[[str, str, str], bool]
_PAGE = 1000


def check_move(uow: UnitOfWork, caller: Caller, request: MoveRequest, *, can: Can,
               can_as: CanAs | None = None) -> MoveReport:
    """The dry run of ``request`` for ``caller``: every blocker at once, what would move and
    what would be lost. Reads only; the caller's unit of work stays open for the move."""
    facts = gather(uow, caller, request, can=can, can_as=can_as)
    return evaluate(facts)


def gather(uow: UnitOfWork, caller: Caller, request: MoveRequest, *, can: Can,
           can_as: CanAs | None = None) -> MoveFacts:
    source_sub = _canonical_sub(request.source_subscription)
    sub = uow.subscriptions.get(source_sub) if source_sub else None
    # Another tenant's group is not the caller's to see: it does not exist for this caller.
    source_rg = (uow.resource_groups.get(sub.id, request.source_group)
                 if sub is not None and sub.tenant_id == caller.tenant_id else None)
    resources = tuple(_resource(uow, request, source_rg, rid) for rid in request.resource_ids)
    target = _target(uow, request)
    partial = MoveFacts(request=request, source_tenant_id=caller.tenant_id, source_group_exists=source_rg is not None,
                        resources=resources, target=target)
    moving = moving_ids(partial)
    other_tenant = target.tenant_id is not None and target.tenant_id != caller.tenant_id
    can_write, unmapped = True, False
    if target.group_exists and other_tenant and request.cross_tenant:
        # The caller acts at the destination as its own identity there, named by the principal map.
        there = dict(request.principal_map).get(caller.principal_id.lower())
        unmapped = there is None or can_as is None
        can_write = not unmapped and can_as is not None and there is not None and can_as(
            there, TARGET_WRITE_ACTION, target_group_id(request))
    elif target.group_exists:
        can_write = can(TARGET_WRITE_ACTION, target_group_id(request))
    unknown: tuple[str, ...] = ()
    if other_tenant and request.cross_tenant:
        unknown = tuple(dst for _, dst in request.principal_map
                        if (p := uow.principals.get(dst)) is None or p.tenant_id != target.tenant_id)
    return MoveFacts(
        request=request, source_tenant_id=caller.tenant_id, source_group_exists=source_rg is not None,
        resources=resources, target=target,
        role_assignments=_role_assignments(uow, caller, moving),
        can_delete={rid.lower(): can(delete_action(rid), rid) for rid in moving},
        can_write_target=can_write, caller_unmapped=unmapped, unknown_mapped=unknown,
    )


def _canonical_sub(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _resource(uow: UnitOfWork, req: MoveRequest, rg: ResourceGroup | None, rid: str) -> ResourceFacts:
    try:
        parsed = parse_scope(rid)
    except InvalidInput:
        return ResourceFacts(rid, None, None)
    if rg is None or not in_source_group(req, rid) or parsed.resource_type is None or parsed.resource_name is None:
        return ResourceFacts(rid, None, None)
    rtype = parsed.resource_type
    if rtype.lower() == WORKSPACE_TYPE.lower():
        ws = uow.workspaces.get(rg.subscription_id, rg.name, parsed.resource_name)
        if ws is None:
            return ResourceFacts(rid, None, rtype)
        return ResourceFacts(rid, ws.arm_id, WORKSPACE_TYPE, workspace=_workspace(uow, rg, ws))
    if rtype.lower() == REGISTRY_TYPE.lower():
        reg = uow.registries.get(rg.subscription_id, rg.name, parsed.resource_name)
        return ResourceFacts(rid, reg.arm_id if reg else None, REGISTRY_TYPE, movable=False)
    if rtype.lower().startswith(WORKSPACE_TYPE.lower() + "/"):
        ws_name = rid.strip("/").split("/")[7]
        ws = uow.workspaces.get(rg.subscription_id, rg.name, ws_name)
        return ResourceFacts(rid, rid if ws else None, rtype, movable=False)
    for res in uow.resources.in_group(rg.key):
        if res.full_type.lower() == rtype.lower() and res.name.lower() == parsed.resource_name.lower():
            if res.workspace_key is None:  # a registry region's storage: it goes only with its registry
                return ResourceFacts(rid, res.arm_id, res.full_type, movable=False)
            owner = uow.workspaces.by_key(res.workspace_key)
            return ResourceFacts(rid, res.arm_id, res.full_type, owner_workspace=owner.arm_id if owner else None)
    return ResourceFacts(rid, None, rtype)


def _workspace(uow: UnitOfWork, rg: ResourceGroup, ws: Workspace) -> WorkspaceFacts:
    associated = uow.resources.by_keys(list(ws.associated.values()))
    return WorkspaceFacts(
        arm_id=ws.arm_id, name=ws.name, location=ws.location, tags=dict(ws.tags), kind=ws.kind.value,
        provisioning_state=ws.provisioning_state.value,
        associated_ids=tuple(associated[k].arm_id for k in ws.associated.values() if k in associated),
        computes=tuple(ComputeFact(c.name, c.provisioning_state.value) for c in uow.computes.of_workspace(ws.key)),
        online_endpoints=tuple(_endpoint_names(uow, ws.key)),
        running_jobs=tuple(_running_jobs(uow, ws.key)),
        labeling_projects=tuple((p.name, p.status.value) for p in uow.labeling_projects.of_workspace(ws.key)),
        databricks_links=tuple(linked_databricks(uow, ws)),
        encryption=_encryption(uow, ws),
        private_endpoint_connections=tuple(f"{ws.arm_id}/privateEndpointConnections/{pec.name}"
                                           for pec in uow.private_endpoint_connections.of_workspace(ws.key)),
        datastores=tuple(
            DatastoreFact(ds.name, ds.is_default, _account_id(rg, ds.subscription_id, ds.resource_group_name,
                                                              ds.account_name))
            for ds in uow.datastores.of_workspace(ws.key)),
    )


def _endpoint_names(uow: UnitOfWork, ws_key: str) -> list[str]:
    names: list[str] = []
    offset = 0
    while True:
        page = uow.online_endpoints.list(ws_key, offset, _PAGE)
        names += [ep.name for ep in page.items]
        if not page.more:
            return names
        offset += _PAGE


def _running_jobs(uow: UnitOfWork, ws_key: str) -> list[tuple[str, str]]:
    running: list[tuple[str, str]] = []
    offset = 0
    while True:
        page = uow.jobs.list(ws_key, ListViewType.ALL, offset, _PAGE)
        running += [(j.name, j.status.value) for j in page.items if not j.status.is_terminal]
        if not page.more:
            return sorted(running)
        offset += _PAGE


def _encryption(uow: UnitOfWork, ws: Workspace) -> Mapping[str, Any] | None:
    """Azure's ``properties.encryption`` in effect for the workspace: its own settings, or for a
    project its hub's (hub and project workspaces keep them in ``Workspace.settings`` and point
    at the hub with ``Workspace.hub_key``; a workspace without them has no customer-managed key)."""
    owner = uow.workspaces.by_key(ws.hub_key) if ws.hub_key else ws
    settings = owner.settings if owner is not None else {}
    value = settings.get("encryption") if isinstance(settings, Mapping) else None
    return value if isinstance(value, Mapping) else None


def _account_id(rg: ResourceGroup, sub: str | None, group: str | None, account: str) -> str:
    return (f"/subscriptions/{sub or rg.subscription_id}/resourceGroups/{group or rg.name}"
            f"/providers/Microsoft.Storage/storageAccounts/{account}")


def _target(uow: UnitOfWork, req: MoveRequest) -> TargetFacts:
    sub_id = _canonical_sub(req.target_subscription)
    sub = uow.subscriptions.get(sub_id) if sub_id else None
    if sub is None:
        return TargetFacts(False, None, False, None)
    rg = uow.resource_groups.get(sub.id, req.target_group)
    registered = frozenset(ns for ns, state in uow.providers.states(sub.id).items() if state == "Registered")
    scopes = [sub.arm_id] + ([rg.arm_id] if rg else [])
    taken: set[tuple[str, str]] = set()
    if rg is not None:
        taken |= {(r.full_type.lower(), r.name.lower()) for r in uow.resources.in_group(rg.key)}
        taken |= {(WORKSPACE_TYPE.lower(), n.lower()) for n in uow.workspaces.names_in_group(rg.key)}
        taken |= {(REGISTRY_TYPE.lower(), n.lower()) for n in uow.registries.names_in_group(rg.key)}
    return TargetFacts(True, sub.tenant_id, rg is not None, rg.location if rg else None, registered,
                       tuple(uow.policy_assignments.at_scopes(scopes)),
                       group_deleting=rg is not None and rg.provisioning_state is ProvisioningState.DELETING,
                       taken=frozenset(taken))


def _role_assignments(uow: UnitOfWork, caller: Caller, moving: tuple[str, ...]) -> tuple[RoleAssignmentFact, ...]:
    found = {}
    for rid in moving:
        for a in uow.role_assignments.list(caller.tenant_id, ancestors=[normalize_scope(rid)], below=rid):
            found[a.id] = a
    roles = roles_by_id(uow, {a.role_definition_id for a in found.values()})
    return tuple(
        RoleAssignmentFact(assignment_id(a), a.scope, a.principal_id,
                           roles[a.role_definition_id].name if a.role_definition_id in roles else a.role_definition_id)
        for a in sorted(found.values(), key=lambda a: (normalize_scope(a.scope), a.id)))
