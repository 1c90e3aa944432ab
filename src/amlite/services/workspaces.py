"""Workspace use cases: create (with its associated resources), read, list, update, delete.

A workspace is created with a storage account (holding the ``workspaceblobstore`` container and
the notebooks file share, both named after the workspace GUID), a key vault (its secret
namespace), a container registry (its image namespace) and an Application Insights component (its
telemetry sink), all in the workspace's region and group, as Azure ML does.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from amlite.domain.assets import ListViewType
from amlite.domain.errors import Conflict, InvalidInput, NotFound, invalid
from amlite.domain.jobs import JobStatus
from amlite.domain.names import check_text, check_workspace_name
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.preconditions import NONE, Preconditions
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.workspace_fields import unhonoured_fields
from amlite.domain.resources import (
    AuditStamp,
    Datastore,
    GenericResource,
    ProvisioningState,
    ResourceGroup,
    SoftDelete,
    Workspace,
    WorkspaceKind,
)
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import WorkspaceBody
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.operations import OperationService
from amlite.services.resource_groups import require_group, require_group_writable
from amlite.services.storage import StorageProvisioner
from amlite.services.subscriptions import require_registered, require_subscription
from amlite.services.workspace_scope import require_workspace, writable

# role in the workspace's properties -> (namespace, type)
ASSOCIATED_TYPES: dict[str, tuple[str, str]] = {
    "storageAccount": ("Microsoft.Storage", "storageAccounts"),
    "keyVault": ("Microsoft.KeyVault", "vaults"),
    "containerRegistry": ("Microsoft.ContainerRegistry", "registries"),
    "applicationInsights": ("Microsoft.Insights", "components"),
}


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace with the ARM ids of its associated resources, as callers see it."""

    workspace: Workspace
    associated_ids: dict[str, str] = field(default_factory=dict)


#: How long a deleted workspace stays recoverable unless the settings say otherwise (Azure's default).
DEFAULT_RETENTION = timedelta(days=14)
#: The most soft-deleted workspaces one reconciler round starts purging.
PURGES_PER_ROUND = 100
SOFT_DELETED_EXISTS = "Soft-deleted workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete"


class WorkspaceService:
    def __init__(self, deps: Deps, operations: OperationService, storage: StorageProvisioner,
                 retention: timedelta = DEFAULT_RETENTION) -> None:
        self._deps = deps
        self._ops = operations
        self._storage = storage
        self._retention = retention
        operations.register(OperationKind.DELETE_WORKSPACE, self._run_delete)

    # -- create / update -------------------------------------------------------------------------

    def create_or_update(
        self, caller: Caller, sub_id: str, rg_name: str, name: str, body: WorkspaceBody, pre: Preconditions = NONE
    ) -> tuple[WorkspaceView, bool]:
        check_workspace_name(name)
        region = self._deps.regions.resolve(body.location)
        kind = _kind(body.kind)
        tags = body.tags or {}
        friendly, description = _texts(body)
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            existing = uow.workspaces.get(sub.id, rg.name, name)
            pre.check(existing.etag if existing else None)
            _refuse_unhonoured(body, self._view(uow, existing).associated_ids if existing else None)
            if existing is None:
                existing = self._recovered_by_put(uow, sub.id, rg, name, region.name, kind)
            if existing is not None:
                ws = self._updated_by_put(caller, existing, region.name, kind, tags, friendly, description)
                uow.workspaces.save(ws)
                view = self._view(uow, ws)
                record_write(d, uow, caller, scope=ws.arm_id)
                uow.commit()
                return view, False
            require_registered(uow, sub, ML_NAMESPACE)
            require_group_writable(rg)
            ws, resources, datastores = self._new_workspace(caller, rg, name, region.name, kind, tags, friendly, description)
            storage = resources[0]
            self._storage.provision(uow, region.name, storage.name, storage.properties["containers"])
            uow.workspaces.add(ws)
            for res in resources:
                uow.resources.add(res)
            for ds in datastores:
                uow.datastores.add(ds)
            record_write(d, uow, caller, scope=ws.arm_id)
            fault_point("workspace.create.before_commit")
            uow.commit()
        return WorkspaceView(ws, {role: r.arm_id for role, r in zip(ASSOCIATED_TYPES, resources)}), True

    def _recovered_by_put(self, uow: UnitOfWork, sub_id: str, rg: ResourceGroup, name: str, location: str,
                          kind: WorkspaceKind) -> Workspace | None:
        """Creating a workspace with a soft-deleted one's name in its group recovers it, contents
        and all (the PUT's fields then apply as an update). A PUT it cannot be recovered by (another
        region or kind) gets Azure's answer: the soft-deleted workspace must be purged or
        recovered first. Workspace names are unique per group, so other groups are not concerned."""
        deleted = uow.workspaces.deleted_get(sub_id, rg.name, name)
        if deleted is None:
            return None
        if deleted.location != location or deleted.kind is not kind:
            raise invalid("BadRequest", f"{SOFT_DELETED_EXISTS} (workspace '{deleted.name}' in {deleted.location}, "
                          f"purged on {_day(deleted)} unless recovered).", "name")
        return _recovered(deleted)

    def _updated_by_put(self, caller: Caller, ws: Workspace, location: str, kind: WorkspaceKind,
                        tags: dict[str, str], friendly: str | None, description: str | None) -> Workspace:
        writable(ws)
        if location != ws.location:
            raise invalid("InvalidRequestContent",
                          f"The location of workspace '{ws.name}' is '{ws.location}' and cannot change.", "location")
        if kind is not ws.kind:
            raise invalid("InvalidRequestContent",
                          f"The kind of workspace '{ws.name}' is '{ws.kind.value}' and cannot change.", "kind")
        return replace(
            ws, tags=tags, friendly_name=ws.friendly_name if friendly is None else friendly,
            description=ws.description if description is None else description, etag=new_etag(self._deps.ids),
            stamp=ws.stamp.touched(caller.name, caller.stamp_type, self._deps.clock.now()),
        )

    def _new_workspace(
        self, caller: Caller, rg: ResourceGroup, name: str, location: str, kind: WorkspaceKind,
        tags: dict[str, str], friendly: str | None, description: str | None,
    ) -> tuple[Workspace, list[GenericResource], list[Datastore]]:
        d = self._deps
        now = d.clock.now()
        key, workspace_id = d.ids.new_id(), d.ids.new_id()
        base = re.sub(r"[^a-z0-9]", "", name.lower()) or "ws"
        suffix = secrets.token_hex(4)
        blob_container, file_share = f"azureml-blobstore-{workspace_id}", f"code-{workspace_id}"
        names = {
            "storageAccount": (base[:16] + suffix),
            "keyVault": ("kv" + base[:14] + suffix),
            "containerRegistry": ("cr" + base[:38] + suffix),
            "applicationInsights": f"{name}-insights-{suffix}",
        }
        properties: dict[str, dict[str, Any]] = {
            "storageAccount": {"containers": [blob_container, file_share], "sku": "Standard_LRS"},
            "keyVault": {"secretNamespace": workspace_id},
            "containerRegistry": {"imageNamespace": workspace_id},
            "applicationInsights": {"telemetrySink": workspace_id},
        }
        resources = [
            GenericResource(
                key=d.ids.new_id(), resource_group_key=rg.key, subscription_id=rg.subscription_id,
                resource_group_name=rg.name, namespace=ns, type=rtype, name=names[role], location=location,
                properties={"role": role, **properties[role]}, workspace_key=key,
            )
            for role, (ns, rtype) in ASSOCIATED_TYPES.items()
        ]
        ws = Workspace(
            key=key, resource_group_key=rg.key, subscription_id=rg.subscription_id, resource_group_name=rg.name,
            name=name, kind=kind, location=location, workspace_id=workspace_id, tags=tags, etag=new_etag(d.ids),
            stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now),
            friendly_name=friendly if friendly is not None else name, description=description or "",
            identity_principal_id=d.ids.new_id(),
            associated={role: res.key for role, res in zip(ASSOCIATED_TYPES, resources)},
        )
        account = names["storageAccount"]
        datastores = [
            Datastore(key=d.ids.new_id(), workspace_key=key, name="workspaceblobstore", datastore_type="AzureBlob",
                      account_name=account, container_name=blob_container, endpoint="core.windows.net",
                      protocol="https", subscription_id=None, resource_group_name=None,
                      is_default=True, created_at=now),
            Datastore(key=d.ids.new_id(), workspace_key=key, name="workspacefilestore", datastore_type="AzureFile",
                      account_name=account, container_name=file_share, endpoint="core.windows.net",
                      protocol="https", subscription_id=None, resource_group_name=None,
                      is_default=False, created_at=now),
        ]
        return ws, resources, datastores

    def update(self, caller: Caller, sub_id: str, rg_name: str, name: str, body: WorkspaceBody,
               pre: Preconditions = NONE) -> WorkspaceView:
        """PATCH: tags, description and friendly name."""
        friendly, description = _texts(body)
        tags = body.tags
        d = self._deps
        with d.uow(write=True) as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, name)
            pre.check(ws.etag)
            writable(ws)
            _refuse_unhonoured(body, self._view(uow, ws).associated_ids)
            ws = replace(
                ws, tags=ws.tags if tags is None else tags,
                friendly_name=ws.friendly_name if friendly is None else friendly,
                description=ws.description if description is None else description, etag=new_etag(d.ids),
                stamp=ws.stamp.touched(caller.name, caller.stamp_type, d.clock.now()),
            )
            uow.workspaces.save(ws)
            view = self._view(uow, ws)
            record_write(d, uow, caller, scope=ws.arm_id)
            uow.commit()
        return view

    # -- read ------------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> WorkspaceView:
        with self._deps.uow() as uow:
            return self._view(uow, require_workspace(uow, caller, sub_id, rg_name, name))

    def list_in_group(self, caller: Caller, sub_id: str, rg_name: str, offset: int, limit: int) -> Page[WorkspaceView]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            seen = caller.visibility
            names = None
            if seen is not None and not seen.everything:
                names = {w for g, w in seen.workspaces(sub.id) if g == rg.name.lower()}
            return self._views(uow, uow.workspaces.list_in_group(rg.key, offset, limit, names))

    def list_in_subscription(self, caller: Caller, sub_id: str, offset: int, limit: int) -> Page[WorkspaceView]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            seen = caller.visibility
            if seen is None or seen.everything:
                page = uow.workspaces.list_in_subscription(sub.id, offset, limit)
            else:
                page = uow.workspaces.list_in_subscription(sub.id, offset, limit, seen.resource_groups(sub.id),
                                                           seen.workspaces(sub.id))
            return self._views(uow, page)

    def _view(self, uow: UnitOfWork, ws: Workspace) -> WorkspaceView:
        found = uow.resources.by_keys(list(ws.associated.values()))
        return WorkspaceView(ws, {role: found[k].arm_id for role, k in ws.associated.items() if k in found})

    def _views(self, uow: UnitOfWork, page: Page[Workspace]) -> Page[WorkspaceView]:
        keys = [k for ws in page.items for k in ws.associated.values()]
        found = uow.resources.by_keys(keys)
        views = [
            WorkspaceView(ws, {role: found[k].arm_id for role, k in ws.associated.items() if k in found})
            for ws in page.items
        ]
        return Page(views, page.more)

    # -- delete, recover, purge ------------------------------------------------------------------

    def begin_delete(self, caller: Caller, sub_id: str, rg_name: str, name: str, *,
                     delete_dependents: bool = False, purge: bool = False, pre: Preconditions = NONE) -> Operation:
        """DELETE: soft-deletes the workspace (recoverable for the retention period); with
        ``purge`` (Azure's ``forceToPurge``) purges it, live or already soft-deleted."""
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            found = uow.workspaces.get(sub.id, rg_name, name)
            if found is None and purge:
                found = uow.workspaces.deleted_get(sub.id, rg_name, name)
            ws = found or require_workspace(uow, caller, sub_id, rg_name, name)
            pre.check(ws.etag)
            op = self._ops.new(
                uow, kind=OperationKind.DELETE_WORKSPACE, caller=caller, subscription_id=ws.subscription_id,
                namespace=ML_NAMESPACE, location=ws.location, target_id=ws.arm_id, target_key=ws.key,
                payload={"deleteDependentResources": delete_dependents, "purge": purge},
            )
            if ws.provisioning_state is not ProvisioningState.DELETING:
                uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.DELETING))
            record_write(d, uow, caller, scope=ws.arm_id)
            uow.commit()
        return op

    def recover(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> WorkspaceView:
        """Bring a soft-deleted workspace back with everything it held (amlite's ``recover``;
        Azure recovers by re-creating it)."""
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            deleted = uow.workspaces.deleted_get(sub.id, rg.name, name)
            if deleted is None:
                raise NotFound("ResourceNotFound", f"There is no soft-deleted workspace '{name}' in resource group "
                               f"'{rg.name}' (it is live, was purged, or never existed).")
            ws = replace(_recovered(deleted), etag=new_etag(d.ids),
                         stamp=deleted.stamp.touched(caller.name, caller.stamp_type, d.clock.now()))
            uow.workspaces.save(ws)
            view = self._view(uow, ws)
            record_write(d, uow, caller, scope=ws.arm_id)
            fault_point("workspace.recover.before_commit")
            uow.commit()
        return view

    def list_deleted(self, caller: Caller, sub_id: str, offset: int, limit: int) -> Page[WorkspaceView]:
        """The subscription's soft-deleted workspaces the caller may read."""
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            page = uow.workspaces.list_deleted(sub.id, offset, limit)
            seen = caller.visibility
            if seen is not None and not seen.everything:
                groups, pairs = seen.resource_groups(sub.id), seen.workspaces(sub.id)
                page = Page([w for w in page.items if w.resource_group_name.lower() in groups
                             or (w.resource_group_name.lower(), w.name.lower()) in pairs], page.more)
            return self._views(uow, page)

    def purge_expired(self) -> int:
        """The reconciler's pass: start the purge of every soft-deleted workspace whose retention
        has ended (an operation of the task engine, as a DELETE with ``forceToPurge``); returns
        how many it started. Idempotent: a workspace already being purged is left to its operation."""
        d = self._deps
        started = 0
        with d.uow() as uow:
            due = uow.workspaces.purge_due(d.clock.now(), PURGES_PER_ROUND)
        for candidate in due:
            with d.uow(write=True) as uow:
                ws = uow.workspaces.any_by_key(candidate.key)
                if (ws is None or ws.soft_delete is None or not ws.soft_delete.due(d.clock.now())
                        or ws.provisioning_state is ProvisioningState.DELETING):
                    continue
                sub = uow.subscriptions.get(ws.subscription_id)
                system = Caller(sub.tenant_id if sub else "", "", "amlite (soft-delete retention)", "ServicePrincipal")
                self._ops.new(uow, kind=OperationKind.DELETE_WORKSPACE, caller=system,
                              subscription_id=ws.subscription_id, namespace=ML_NAMESPACE, location=ws.location,
                              target_id=ws.arm_id, target_key=ws.key,
                              payload={"deleteDependentResources": ws.soft_delete.delete_dependents, "purge": True,
                                       "expired": True})
                uow.workspaces.save(replace(ws, provisioning_state=ProvisioningState.DELETING))
                uow.commit()
                started += 1
        return started

    def _run_delete(self, op: Operation) -> None:
        """A soft delete is one metadata transition that also ends the operation. A purge
        removes the workspace's records in one transaction that also records which storage to
        release; releases it; then ends the operation. A rerun after a crash finds the records
        gone (or the workspace already soft-deleted) and finishes from what the operation recorded."""
        d = self._deps
        fault_point("workspace.delete.start")
        with d.uow(write=True) as uow:
            ws = uow.workspaces.any_by_key(op.target_key)
            if ws is not None and not op.payload.get("purge"):
                if ws.soft_delete is None:
                    now = d.clock.now()
                    state = SoftDelete(now, now + self._retention, bool(op.payload.get("deleteDependentResources")))
                    uow.workspaces.save(replace(ws, soft_delete=state, provisioning_state=ProvisioningState.SUCCEEDED))
                    _cancel_jobs(uow, ws, now)
                self._ops.finish(uow, op.id)
                fault_point("workspace.delete.before_commit")
                uow.commit()
                return
            if ws is not None and op.payload.get("expired") and ws.soft_delete is None:
                ws = None  # recovered before its retention purge ran: nothing to purge
            if ws is not None:
                released: list[GenericResource] = []
                dependents = op.payload.get("deleteDependentResources") or (
                    ws.soft_delete is not None and ws.soft_delete.delete_dependents)
                if dependents:
                    released = uow.resources.of_workspace(ws.key)
                    for res in released:
                        uow.resources.delete(res.key)
                uow.datastores.delete_of_workspace(ws.key)
                uow.role_assignments.delete_at_or_below(ws.arm_id)
                uow.workspaces.delete(ws.key)
                op = self._ops.record(uow, op.id, release=self._storage.accounts_of(released))
            fault_point("workspace.delete.before_commit")
            uow.commit()
        fault_point("workspace.delete.after_commit")
        self._storage.release(op.payload.get("release", []))
        self._ops.complete(op.id)


def _cancel_jobs(uow: UnitOfWork, ws: Workspace, now: datetime) -> None:
    """A soft-deleted workspace runs nothing: its unfinished jobs are canceled in the same
    transaction (a running one's runner ends its processes), and stay in its history."""
    offset = 0
    while True:
        page = uow.jobs.list(ws.key, ListViewType.ALL, offset, 1000)
        for job in page.items:
            if job.status.is_terminal or job.status is JobStatus.CANCEL_REQUESTED:
                continue
            to = JobStatus.CANCEL_REQUESTED if job.status.has_started else JobStatus.CANCELED
            uow.jobs.save(job.moved(to, now))
        if not page.more:
            return
        offset += 1000


def _recovered(ws: Workspace) -> Workspace:
    """A soft-deleted workspace brought back; one being purged cannot be."""
    if ws.provisioning_state is ProvisioningState.DELETING:
        raise Conflict("WorkspaceBeingDeleted", f"The soft-deleted workspace '{ws.name}' is being purged and cannot "
                       "be recovered.")
    return replace(ws, soft_delete=None, provisioning_state=ProvisioningState.SUCCEEDED)


def _day(ws: Workspace) -> str:
    return ws.soft_delete.purge_at.strftime("%Y-%m-%d %H:%M UTC") if ws.soft_delete else "-"


def _texts(body: WorkspaceBody) -> tuple[str | None, str | None]:
    """``properties.friendlyName`` and ``properties.description``, judged."""
    props = body.properties
    return (check_text(props.friendly_name, "properties.friendlyName", 256),
            check_text(props.description, "properties.description", 4096))


def _refuse_unhonoured(body: WorkspaceBody, own: dict[str, str] | None) -> None:
    """A field of Azure's workspace body that amlite does not honour is refused, never dropped."""
    refused = unhonoured_fields(body.properties.other_fields, own)
    if refused:
        raise InvalidInput("UnsupportedWorkspaceProperty",
                           " ".join(detail.message for detail in refused), refused[0].target, refused)


def _kind(value: str | None) -> WorkspaceKind:
    if value is None:
        return WorkspaceKind.DEFAULT
    kind = WorkspaceKind.parse(value)
    if kind is None:
        raise invalid("InvalidRequestContent", f"Workspace kind '{value}' is not valid; use 'Default'.", "kind")
    if kind is not WorkspaceKind.DEFAULT:
        raise invalid("InvalidRequestContent",
                      f"Workspaces of kind '{kind.value}' are not supported yet; use 'Default'.", "kind")
    return kind
