"""Resource group use cases: create or update, read, list, tag, and delete as an operation.

A group that holds workspaces is not deleted unless the caller forces it; the records a workspace
brings along (storage account, key vault, ...) go with the group as they do on Azure.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.names import check_resource_group_name, has_control_characters
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.preconditions import NONE, Preconditions
from amlite.domain.providers import RESOURCES_NAMESPACE
from amlite.domain.policies import GROUP_TYPE, Subject
from amlite.domain.registries import Registry
from amlite.domain.hubs import projects_to_remove
from amlite.domain.resources import (
    AuditStamp, GenericResource, ProvisioningState, ResourceGroup, Workspace, WorkspaceKind,
)
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import ResourceGroupBody
from amlite.services.audit import record_write
from amlite.services.policy_enforcement import require_compliant
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.operations import OperationService
from amlite.services.storage import StorageProvisioner
from amlite.services.subscriptions import require_subscription

WORKSPACES_TYPE = "microsoft.machinelearningservices/workspaces"
REGISTRIES_TYPE = "microsoft.machinelearningservices/registries"
FORCEABLE_TYPES = (WORKSPACES_TYPE, REGISTRIES_TYPE)
# Deletes one registry's rows inside a unit of work and returns its storage records (registries.py).
RemoveRegistry = Callable[[UnitOfWork, Registry], list[GenericResource]]


def group_not_found(name: str) -> NotFound:
    return NotFound("ResourceGroupNotFound", f"Resource group '{name}' could not be found.", "resourceGroupName")


def require_group(uow: UnitOfWork, sub_id: str, name: str) -> ResourceGroup:
    check_resource_group_name(name)
    rg = uow.resource_groups.get(sub_id, name)
    if rg is None:
        raise group_not_found(name)
    return rg


def require_group_writable(rg: ResourceGroup) -> None:
    if rg.provisioning_state is ProvisioningState.DELETING:
        raise Conflict(
            "ResourceGroupBeingDeleted",
            f"The resource group '{rg.name}' is in deprovisioning state and cannot perform this operation.",
        )


class ResourceGroupService:
    def __init__(self, deps: Deps, operations: OperationService, storage: StorageProvisioner,
                 remove_registry: RemoveRegistry | None = None) -> None:
        self._deps = deps
        self._ops = operations
        self._storage = storage
        self._remove_registry = remove_registry
        operations.register(OperationKind.DELETE_RESOURCE_GROUP, self._run_delete)

    def create_or_update(
        self, caller: Caller, sub_id: str, name: str, body: ResourceGroupBody, pre: Preconditions = NONE
    ) -> tuple[ResourceGroup, bool]:
        check_resource_group_name(name)
        region = self._deps.regions.resolve(body.location)
        tags = body.tags or {}
        managed_by = _managed_by(body, None)
        d = self._deps
        now = d.clock.now()
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            existing = uow.resource_groups.get(sub.id, name)
            pre.check(existing.etag if existing else None)
            require_compliant(uow, Subject(f"{sub.arm_id}/resourceGroups/{existing.name if existing else name}",
                                           GROUP_TYPE, region.name, tags))
            if existing is None:
                rg = ResourceGroup(
                    key=d.ids.new_id(), subscription_id=sub.id, name=name, location=region.name, tags=tags,
                    etag=new_etag(d.ids), managed_by=managed_by,
                    stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now),
                )
                uow.resource_groups.add(rg)
                created = True
            else:
                require_group_writable(existing)
                if existing.location != region.name:
                    raise Conflict(
                        "InvalidResourceGroupLocation",
                        f"Invalid resource group location '{region.name}'. The Resource group already exists in "
                        f"location '{existing.location}'.",
                        "location",
                    )
                rg = replace(existing, tags=tags, managed_by=managed_by, etag=new_etag(d.ids),
                             stamp=existing.stamp.touched(caller.name, caller.stamp_type, now))
                uow.resource_groups.save(rg)
                created = False
            record_write(d, uow, caller, scope=rg.arm_id)
            uow.commit()
        return rg, created

    def get(self, caller: Caller, sub_id: str, name: str) -> ResourceGroup:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            return require_group(uow, sub.id, name)

    def list(self, caller: Caller, sub_id: str, offset: int, limit: int,
             tag: tuple[str, str | None] | None = None) -> Page[ResourceGroup]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            seen = caller.visibility
            names = None if seen is None or seen.everything else seen.resource_groups(sub.id)
            return uow.resource_groups.list(sub.id, offset, limit, tag, names)

    def update(self, caller: Caller, sub_id: str, name: str, body: ResourceGroupBody, pre: Preconditions = NONE) -> ResourceGroup:
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, name)
            pre.check(rg.etag)
            require_group_writable(rg)
            if body.location is not None:
                region = d.regions.resolve(body.location)
                if region.name != rg.location:
                    raise invalid("InvalidRequestContent", "The location of a resource group cannot change.", "location")
            tags = (body.tags or {}) if "tags" in body.model_fields_set else rg.tags
            managed_by = _managed_by(body, rg.managed_by)
            rg = replace(rg, tags=tags, managed_by=managed_by, etag=new_etag(d.ids),
                         stamp=rg.stamp.touched(caller.name, caller.stamp_type, d.clock.now()))
            require_compliant(uow, Subject(rg.arm_id, GROUP_TYPE, rg.location, tags))
            uow.resource_groups.save(rg)
            record_write(d, uow, caller, scope=rg.arm_id)
            uow.commit()
        return rg

    def resources(self, caller: Caller, sub_id: str, name: str) -> tuple[builtins.list[Any], builtins.list[GenericResource]]:
        """Everything in a group: its workspaces and registries, and the records of other resources."""
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, name)
            workspaces = uow.workspaces.list_in_group(rg.key, 0, 10_000).items
            registries = uow.registries.list_in_group(rg.key, 0, 10_000).items
            return [*workspaces, *registries], uow.resources.in_group(rg.key)

    def begin_delete(self, caller: Caller, sub_id: str, name: str, force_types: builtins.list[str],
                     pre: Preconditions = NONE) -> Operation:
        unknown = [t for t in force_types if t.lower() not in FORCEABLE_TYPES]
        if unknown:
            raise invalid(
                "InvalidForceDeletionTypes",
                "forceDeletionTypes may name only Microsoft.MachineLearningServices/workspaces and "
                f"Microsoft.MachineLearningServices/registries; got {', '.join(unknown)}.",
                "forceDeletionTypes",
            )
        forced = {t.lower() for t in force_types}
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, name)
            pre.check(rg.etag)
            running = uow.operations.open_for_target(rg.key)
            if running is not None:
                return running
            moving = [w.name for w in uow.workspaces.list_in_group(rg.key, 0, 100_000).items
                      if w.provisioning_state is ProvisioningState.MOVING]
            if moving:
                raise Conflict("WorkspaceMoving", f"The resource group '{rg.name}' holds workspaces being moved "
                               f"({', '.join(moving)}); delete it once the move has completed.")
            for kind, rtype, names in (("workspace", WORKSPACES_TYPE, uow.workspaces.names_in_group(rg.key)),
                                       ("registry", REGISTRIES_TYPE, uow.registries.names_in_group(rg.key))):
                if names and rtype not in forced:
                    raise Conflict(
                        "ResourceGroupNotEmpty",
                        f"The resource group '{rg.name}' holds {len(names)} {kind} resource(s): {', '.join(names)}. "
                        f"Delete them first, or force the deletion with forceDeletionTypes={_canonical(rtype)} "
                        "(the CLI's --force-deletion-types).",
                    )
            _refuse_hubs_with_projects_elsewhere(uow, rg)
            op = self._ops.new(
                uow, kind=OperationKind.DELETE_RESOURCE_GROUP, caller=caller, subscription_id=sub.id,
                namespace=RESOURCES_NAMESPACE, location=rg.location, target_id=rg.arm_id, target_key=rg.key,
                payload={"force": WORKSPACES_TYPE in forced, "forceRegistries": REGISTRIES_TYPE in forced},
            )
            uow.resource_groups.save(replace(rg, provisioning_state=ProvisioningState.DELETING))
            record_write(d, uow, caller, scope=rg.arm_id)
            uow.commit()
        return op

    def _run_delete(self, op: Operation) -> None:
        """Like a workspace delete: records go in one transaction that notes the storage to
        release, the storage goes next, the operation ends last."""
        d = self._deps
        with d.uow(write=True) as uow:
            rg = uow.resource_groups.by_key(op.target_key)
            if rg is not None:
                # Soft-deleted workspaces and registries never block; the group's delete purges them.
                workspaces = uow.workspaces.list_in_group(rg.key, 0, 100_000, include_deleted=True).items
                registries = uow.registries.list_in_group(rg.key, 0, 100_000, include_deleted=True).items
                blocking = [w.name for w in workspaces if not op.payload.get("force") and w.soft_delete is None]
                blocking += [r.name for r in registries
                             if not op.payload.get("forceRegistries") and r.soft_delete is None]
                if blocking:
                    # A resource was created between the request and now: refuse, restore the group.
                    uow.resource_groups.save(replace(rg, provisioning_state=ProvisioningState.SUCCEEDED))
                    self._ops.fail(uow, op.id, "ResourceGroupNotEmpty",
                                   f"The resource group '{rg.name}' is not empty: {', '.join(blocking)}.")
                    uow.commit()
                    return
                outside = _projects_elsewhere(uow, rg)
                if outside:  # a project was created in another group meanwhile: its hub stays
                    uow.resource_groups.save(replace(rg, provisioning_state=ProvisioningState.SUCCEEDED))
                    self._ops.fail(uow, op.id, "HubHasProjects", f"The resource group '{rg.name}' holds hubs with "
                                   f"projects in other groups ({projects_to_remove(outside)}")
                    uow.commit()
                    return
                containers = [{"region": ws.location, "account": ds.account_name, "container": ds.container_name}
                              for ws in workspaces if ws.kind is WorkspaceKind.PROJECT
                              for ds in uow.datastores.of_workspace(ws.key)
                              if ds.container_name.startswith(ws.workspace_id)]  # a project's, in its hub's storage
                for ws in workspaces:
                    uow.datastores.delete_of_workspace(ws.key)
                    uow.workspaces.delete(ws.key)
                released: list[GenericResource] = []
                for reg in registries:
                    if self._remove_registry is not None:
                        released += self._remove_registry(uow, reg)
                    else:
                        uow.registries.delete(reg.key)
                released += uow.resources.in_group(rg.key)
                for res in released:
                    uow.resources.delete(res.key)
                uow.role_assignments.delete_at_or_below(rg.arm_id)
                uow.policy_assignments.delete_at_or_below(rg.arm_id)
                uow.resource_groups.delete(rg.key)
                op = self._ops.record(uow, op.id, release=self._storage.accounts_of(released), containers=containers)
            fault_point("resource_group.delete.before_commit")
            uow.commit()
        fault_point("resource_group.delete.after_commit")
        self._storage.release(op.payload.get("release", []))
        self._storage.release_containers(op.payload.get("containers", []))
        self._ops.complete(op.id)


def _canonical(rtype: str) -> str:
    return "Microsoft.MachineLearningServices/" + rtype.split("/", 1)[1]


def _managed_by(body: ResourceGroupBody, current: str | None) -> str | None:
    """``managedBy``: the id of the resource that manages the group, a string (absent keeps ``current``)."""
    if "managed_by" not in body.model_fields_set:
        return current
    value = body.managed_by
    if value is not None and (len(value) > 512 or has_control_characters(value)):
        raise invalid("InvalidRequestContent", "managedBy must be a resource id: a string of at most 512 characters.",
                      "managedBy")
    return value


def _projects_elsewhere(uow: UnitOfWork, rg: ResourceGroup) -> list[Workspace]:
    """The projects, in other groups, of the hubs in ``rg`` (they would lose their hub with it),
    soft-deleted ones included: they keep their hub until purged."""
    return [p for ws in uow.workspaces.list_in_group(rg.key, 0, 100_000).items
            if ws.kind is WorkspaceKind.HUB for p in uow.workspaces.projects_of(ws.key, include_deleted=True)
            if p.resource_group_key != rg.key]


def _refuse_hubs_with_projects_elsewhere(uow: UnitOfWork, rg: ResourceGroup) -> None:
    outside = _projects_elsewhere(uow, rg)
    if outside:
        raise Conflict("HubHasProjects", f"The resource group '{rg.name}' holds hubs whose projects are in other "
                       f"groups ({projects_to_remove(outside)}")
