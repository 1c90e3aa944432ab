"""Moving workspaces between resource groups and subscriptions (seed 000), as ARM's long-running
``validateMoveResources`` and ``moveResources`` on the source group.

A workspace points at its group by key and no row below it stores an ARM id, so the move is one
pointer change per workspace and per associated record, made in one transaction that also drops
the role assignments at the workspace's scope, recreates its private endpoint connections
``Pending``, pins the ids of datastores whose storage stays behind, writes the activity log at source and destination, and ends the operation. ``begin_move``
validates (``check_move``) and turns the workspaces ``Moving`` in the transaction that writes the
operation; while ``Moving`` a workspace answers 409 ``WorkspaceMoving``. The task then either
commits the whole move or, if the destination has gone meanwhile, turns them back: a crash at
any step leaves the task to run again, so the move ends done or undone, never half.

amlite's opt-ins beyond Azure: with ``allowRegionChange`` the task first copies the workspace's
storage into the destination's region (``services/move_storage.py``) and the transaction also
flips its location; with ``allowTenantChange`` the dropped role assignments whose principals the
request's map names are recreated for the mapped principals of the destination's tenant.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amlite.domain.audit import AuditResult
from amlite.domain.builtin_roles import BUILT_IN_BY_ID
from amlite.domain.errors import AmliteError
from amlite.domain.move_ids import move_request, request_from_json, request_json
from amlite.domain.moves import MoveReport, MoveRequest
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.providers import RESOURCES_NAMESPACE
from amlite.domain.rbac import RoleAssignment
from amlite.domain.resources import ProvisioningState, ResourceGroup, Workspace
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.services import move_scope
from amlite.services.audit import entry as audit_entry, record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.move_checks import check_move
from amlite.services.move_storage import AccountCopy, MoveStorage, accounts_to_copy
from amlite.services.operations import OperationService
from amlite.services.resource_groups import require_group
from amlite.services.roles import assignment_id
from amlite.services.subscriptions import require_subscription

#: The code of a refused validation or move; each reason is one of its details.
VALIDATION_FAILED = "ResourceMoveValidationFailed"
MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"


def report_json(report: MoveReport) -> dict[str, Any]:
    """The dry run, machine-readable: the ``info`` of the refusal's ``MoveReport`` additionalInfo."""
    return {
        "moving": list(report.moving),
        "blockers": [{"code": b.code, "message": b.message, "target": b.target} for b in report.blockers],
        "losses": [{"kind": loss.kind, "target": loss.target, "detail": loss.detail} for loss in report.losses],
    }


def refusal_message(report: MoveReport) -> str:
    count = len(report.blockers)
    reasons = " ".join(f"({b.code}) {b.message}" for b in report.blockers)
    return f"Resource move validation failed: {count} reason{'s' if count != 1 else ''}. {reasons}"


class MoveService:
    def __init__(self, deps: Deps, operations: OperationService, storage: MoveStorage) -> None:
        self._deps = deps
        self._ops = operations
        self._storage = storage
        operations.register(OperationKind.VALIDATE_MOVE, self._run_validate)
        operations.register(OperationKind.MOVE_RESOURCES, self._run_move)

    # -- validate --------------------------------------------------------------------------------

    def begin_validate(self, caller: Caller, sub_id: str, rg_name: str, body: Any) -> Operation:
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            request = move_request(sub.id, rg.name, body)
            op = self._new(uow, OperationKind.VALIDATE_MOVE, caller, rg, {"request": request_json(request)})
            uow.commit()
        return op

    def _run_validate(self, op: Operation) -> None:
        with self._deps.uow(write=True) as uow:
            caller = _caller_of(op)
            report = self.check(uow, caller, request_from_json(op.payload["request"]))
            self._ops.record(uow, op.id, report=report_json(report))
            if report.allowed:
                self._ops.finish(uow, op.id)
            else:
                self._ops.fail(uow, op.id, VALIDATION_FAILED, refusal_message(report))
            uow.commit()

    @staticmethod
    def check(uow: UnitOfWork, caller: Caller, request: MoveRequest) -> MoveReport:
        return check_move(uow, caller, request,
                          can=lambda action, scope: Authorizer.allowed_in(uow, caller.principal_id, action, scope),
                          can_as=lambda principal, action, scope: Authorizer.allowed_in(uow, principal, action, scope))

    # -- move ------------------------------------------------------------------------------------

    def begin_move(self, caller: Caller, sub_id: str, rg_name: str, body: Any) -> Operation:
        """Validate, and if nothing blocks turn the workspaces ``Moving`` in the transaction that
        writes the operation; a refusal is an operation failed at once with the whole report."""
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            request = move_request(sub.id, rg.name, body)
            report = self.check(uow, caller, request)
            payload: dict[str, Any] = {"request": request_json(request), "report": report_json(report)}
            if not report.allowed:
                op = self._new(uow, OperationKind.MOVE_RESOURCES, caller, rg, payload)
                self._ops.fail(uow, op.id, VALIDATION_FAILED, refusal_message(report))
                uow.commit()
                return op
            found = move_scope.named(uow, rg, request)
            target = move_scope.target_group(uow, caller, request)
            assert target is not None, "an allowed move has a target group"
            payload.update(workspaces=[ws.key for ws in found.workspaces], sourceGroupKey=rg.key,
                           targetGroupKey=target.key)
            op = self._new(uow, OperationKind.MOVE_RESOURCES, caller, rg, payload)
            for ws in found.workspaces:
                uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.MOVING))
            record_write(d, uow, caller, scope=rg.arm_id, action=MOVE_ACTION)
            fault_point("move.begin.before_commit")
            uow.commit()
        return op

    def _run_move(self, op: Operation) -> None:
        """The move in one transaction, which ends the operation too; run again after a crash it
        finds the workspaces still ``Moving`` (nothing was committed) or the operation ended. A
        move to another region first copies the storage there (``_copy_storage``)."""
        d = self._deps
        fault_point("move.start")
        request = request_from_json(op.payload["request"])
        copied = self._copy_storage(op) if request.cross_region else {}
        if copied is None:
            return  # the copy failed: rolled back
        copies = list(copied)
        with d.uow(write=True) as uow:
            target = uow.resource_groups.by_key(op.payload["targetGroupKey"])
            moving = [ws for key in op.payload["workspaces"] if (ws := uow.workspaces.by_key(key)) is not None
                      and ws.provisioning_state is ProvisioningState.MOVING]
            if not moving:  # deleted meanwhile (a forced delete of the source group): nothing to move
                self._ops.fail(uow, op.id, "ResourceNotFound", "The workspaces to move no longer exist; nothing moved.")
                uow.commit()
                return
            if target is None or target.provisioning_state is ProvisioningState.DELETING:
                for ws in moving:  # roll back: the workspaces serve again where they were
                    uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.SUCCEEDED))
                self._ops.fail(uow, op.id, "TargetResourceGroupNotFound",
                               "The target resource group was deleted before the move ran; nothing moved.")
                uow.commit()
                for item in copies:
                    self._storage.discard(item)
                return
            results = [self._move_one(uow, op, ws, target, request) for ws in moving]
            for item in copies:  # the old region's copies go once this commits
                self._storage.queue_release(uow, op.id, item)
            fault_point("move.before_commit")
            self._ops.record(uow, op.id, result={
                "moved": [r["moved"] for r in results],
                "removedRoleAssignments": [ra for r in results for ra in r["removedRoleAssignments"]],
                "datastoresLeftBehind": [ds for r in results for ds in r["datastoresLeftBehind"]],
                "privateEndpointConnections": [c for r in results for c in r["privateEndpointConnections"]],
                "recreatedRoleAssignments": [ra for r in results for ra in r["recreatedRoleAssignments"]],
                "storageCopied": [{"account": item.account, "fromRegion": item.source_region,
                                   "toRegion": item.target_region, "blobs": blobs} for item, blobs in copied.items()],
            })
            self._ops.finish(uow, op.id)
            uow.commit()
        if copies:
            self._storage.wake()
        fault_point("move.after_commit")

    def _copy_storage(self, op: Operation) -> dict[AccountCopy, int] | None:
        """Copy the storage of every moving workspace whose region the destination group is not
        into the destination's region, before anything points at it: the workspaces stay
        ``Moving`` in their old region meanwhile. A copy that fails rolls the move back (the
        workspaces serve again where they were, the partial copy is discarded) and answers
        None; otherwise how many blobs each account holds in its new region."""
        d = self._deps
        with d.uow() as uow:
            target = uow.resource_groups.by_key(op.payload["targetGroupKey"])
            if target is None:
                return {}  # the move's transaction rolls back
            items = [item for key in op.payload["workspaces"]
                     if (ws := uow.workspaces.by_key(key)) is not None
                     and ws.provisioning_state is ProvisioningState.MOVING
                     for item in accounts_to_copy(uow, ws.key, target.location)]
        counts: dict[AccountCopy, int] = {}
        try:
            for item in items:
                counts[item] = self._storage.copy(item)
        except (AmliteError, OSError) as exc:
            reason = exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
            with d.uow(write=True) as uow:
                for key in op.payload["workspaces"]:
                    ws = uow.workspaces.by_key(key)
                    if ws is not None and ws.provisioning_state is ProvisioningState.MOVING:
                        uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.SUCCEEDED))
                self._ops.fail(uow, op.id, "MoveStorageCopyFailed",
                               f"Copying the workspace's storage to the destination region failed ({reason}); "
                               "nothing moved. Validate and move again.")
                uow.commit()
            for item in items:
                self._storage.discard(item)
            return None
        return counts

    def _move_one(self, uow: UnitOfWork, op: Operation, ws: Workspace, target: ResourceGroup,
                  request: MoveRequest) -> dict[str, Any]:
        d = self._deps
        old_id = ws.arm_id
        removed = move_scope.workspace_role_assignments(uow, ws)
        left_behind = move_scope.datastores_left_behind(uow, ws)
        datastores = []
        for ds in left_behind:
            if ds.subscription_id is None or ds.resource_group_name is None:  # "with the workspace": pin where it is
                uow.datastores.save(replace(ds, subscription_id=ds.subscription_id or ws.subscription_id,
                                            resource_group_name=ds.resource_group_name or ws.resource_group_name))
            datastores.append({
                "id": f"{move_scope.moved_id(old_id, target)}/datastores/{ds.name}", "name": ds.name,
                "accountName": ds.account_name, "subscriptionId": ds.subscription_id or ws.subscription_id,
                "resourceGroup": ds.resource_group_name or ws.resource_group_name,
                "fix": move_scope.datastore_fix_command(ws, ds, target),
            })
        for ra in removed:
            uow.role_assignments.delete(ra.id)
        recreated = self._recreate_mapped(uow, op, ws, target, request, removed)
        connections = []
        for pec in uow.private_endpoint_connections.of_workspace(ws.key):  # disconnected, asking again at the new id
            uow.private_endpoint_connections.save(pec.recreated_pending(d.clock.now()))
            connections.append({"id": f"{move_scope.moved_id(old_id, target)}/privateEndpointConnections/{pec.name}",
                                "privateEndpointId": pec.private_endpoint_id, "previousStatus": pec.status.value,
                                "status": "Pending"})
        # A move to another region reaches here once the storage is there (``_copy_storage``).
        location = target.location if request.cross_region else ws.location
        uow.resources.move_of_workspace(ws.key, target.key, location)
        moved = replace(ws, resource_group_key=target.key, subscription_id=target.subscription_id,
                        resource_group_name=target.name, location=location,
                        provisioning_state=ProvisioningState.SUCCEEDED,
                        etag=new_etag(d.ids), stamp=ws.stamp.touched(op.created_by, _caller_of(op).stamp_type, d.clock.now()))
        uow.workspaces.save(moved)
        # References written with the old ids (scripts, YAML, other workspaces' versions) still resolve.
        uow.workspaces.add_former_id(d.ids.new_id(), ws.key, ws.subscription_id, ws.resource_group_name, ws.name,
                                     d.clock.now())
        uow.registry_asset_versions.relink_lineage(old_id, moved.arm_id)  # registries' copies trace to the new id
        caller = _caller_of(op)
        note = f"Moved '{old_id}' to '{moved.arm_id}'."
        for scope in (old_id, moved.arm_id):  # the activity log of the source and of the destination
            uow.audit.append(audit_entry(d, caller, action=MOVE_ACTION, scope=scope, result=AuditResult.SUCCEEDED,
                                         status_code=200, message=note))
        return {
            "moved": {"from": old_id, "to": moved.arm_id},
            "removedRoleAssignments": [{"id": ra.id, "principalId": ra.principal_id, "principalType": ra.principal_type,
                                        "roleDefinitionId": ra.role_definition_id, "scope": ra.scope} for ra in removed],
            "datastoresLeftBehind": datastores,
            "privateEndpointConnections": connections,
            "recreatedRoleAssignments": recreated,
        }

    def _recreate_mapped(self, uow: UnitOfWork, op: Operation, ws: Workspace, target: ResourceGroup,
                         request: MoveRequest, removed: list[RoleAssignment]) -> list[dict[str, Any]]:
        """A move into another tenant recreates, at the new ids, each dropped assignment whose
        principal the request's map names, for the mapped principal of the destination's tenant.
        Built-in roles only: a custom role is the source tenant's and does not exist there."""
        source_sub, target_sub = uow.subscriptions.get(ws.subscription_id), uow.subscriptions.get(target.subscription_id)
        if (not request.cross_tenant or source_sub is None or target_sub is None
                or source_sub.tenant_id == target_sub.tenant_id):
            return []
        mapping = dict(request.principal_map)
        made = []
        for ra in removed:
            there = mapping.get(ra.principal_id.lower())
            principal = uow.principals.get(there) if there else None
            if principal is None or principal.tenant_id != target_sub.tenant_id or ra.role_definition_id not in BUILT_IN_BY_ID:
                continue
            scope = move_scope.moved_id(ra.scope, target)
            if uow.role_assignments.find(principal.id, ra.role_definition_id, scope) is not None:
                continue
            new = RoleAssignment(id=self._deps.ids.new_id(), principal_id=principal.id,
                                 role_definition_id=ra.role_definition_id, scope=scope,
                                 created_at=self._deps.clock.now(), created_by=op.created_by,
                                 principal_type=principal.kind.value)
            uow.role_assignments.add(target_sub.tenant_id, new)
            made.append({"id": assignment_id(new), "principalId": new.principal_id, "sourcePrincipalId": ra.principal_id,
                         "roleDefinitionId": new.role_definition_id, "scope": new.scope})
        return made

    # -- shared ----------------------------------------------------------------------------------

    def _new(self, uow: UnitOfWork, kind: OperationKind, caller: Caller, rg: ResourceGroup,
             payload: dict[str, Any]) -> Operation:
        # A fresh target key: a validation or move never stands in for another operation on the group.
        return self._ops.new(uow, kind=kind, caller=caller, subscription_id=rg.subscription_id,
                             namespace=RESOURCES_NAMESPACE, location=rg.location, target_id=rg.arm_id,
                             target_key=self._deps.ids.new_id(), payload=payload)


def _caller_of(op: Operation) -> Caller:
    who = op.payload.get("caller", {})
    return Caller(tenant_id=who.get("tenantId", ""), principal_id=who.get("principalId", ""), name=op.created_by,
                  principal_type=who.get("principalType", "User"), correlation_id=who.get("correlationId", op.id),
                  request_id=who.get("requestId", op.id))

