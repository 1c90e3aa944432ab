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

from amlite.domain import hubs as hubrules
from amlite.domain.assets import ListViewType
from amlite.domain.builtin_roles import OWNER
from amlite.domain.errors import Conflict, InvalidInput, NotFound, invalid
from amlite.domain.jobs import JobStatus
from amlite.domain.rbac import RoleAssignment
from amlite.domain.names import check_text, check_workspace_name
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.preconditions import NONE, Preconditions
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.regions import Region
from amlite.domain.workspace_fields import unhonoured_fields
from amlite.domain.policies import Subject
from amlite.domain.resources import (
    AuditStamp,
    Datastore,
    GenericResource,
    ProvisioningState,
    ResourceGroup,
    SoftDelete,
    WORKSPACE_TYPE,
    Workspace,
    WorkspaceKind,
)
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import WorkspaceBody
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, admit_principal, new_etag
from amlite.services.hubs import effective_of, parse_group_id, parse_workspace_id, require_hub
from amlite.services.policy_enforcement import require_compliant
from amlite.services.operations import OperationService
from amlite.services.resource_groups import require_group, require_group_writable
from amlite.services.storage import StorageProvisioner
from amlite.services.subscriptions import require_registered, require_subscription
from amlite.services.workspace_scope import available, require_workspace, writable

# role in the workspace's properties -> (namespace, type)
ASSOCIATED_TYPES: dict[str, tuple[str, str]] = {
    "storageAccount": ("Microsoft.Storage", "storageAccounts"),
    "keyVault": ("Microsoft.KeyVault", "vaults"),
    "containerRegistry": ("Microsoft.ContainerRegistry", "registries"),
    "applicationInsights": ("Microsoft.Insights", "components"),
}


WRITE = "Microsoft.MachineLearningServices/workspaces/write"


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace with the ARM ids of its associated resources and its settings, as callers see
    it: a project's are its hub's as they are now (``sources`` says which are the hub's), and
    ``hub_id`` is its hub's ARM id."""

    workspace: Workspace
    associated_ids: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    hub_id: str | None = None
    projects: tuple[str, ...] = ()  # a hub's projects' ARM ids


@dataclass(frozen=True)
class _KindRequest:
    """The hub/project part of a PUT or PATCH body, judged: a hub's settings, a project's hub and
    its own Application Insights."""

    settings: dict[str, Any]
    hub_id: str | None
    app_insights: str | None


#: How long a deleted workspace stays recoverable unless the settings say otherwise (Azure's default).
DEFAULT_RETENTION = timedelta(days=14)
#: The most soft-deleted workspaces one reconciler round starts purging.
PURGES_PER_ROUND = 100
SOFT_DELETED_EXISTS = "Soft-deleted workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete"


class WorkspaceService:
    def __init__(self, deps: Deps, operations: OperationService, storage: StorageProvisioner,
                 authz: Authorizer | None = None, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._deps = deps
        self._ops = operations
        self._storage = storage
        self._authz = authz or Authorizer(deps)
        self._retention = retention
        operations.register(OperationKind.DELETE_WORKSPACE, self._run_delete)

    # -- create / update -------------------------------------------------------------------------

    def create_or_update(
        self, caller: Caller, sub_id: str, rg_name: str, name: str, body: WorkspaceBody, pre: Preconditions = NONE
    ) -> tuple[WorkspaceView, bool]:
        """PUT. The route leaves the decision to this use case (``in_use_case``): a project is created
        with the hub's join action, and in the hub's default project group without any role there."""
        d = self._deps
        target = f"/subscriptions/{sub_id}/resourceGroups/{rg_name}/providers/{ML_NAMESPACE}/workspaces/{name}"
        caller, self_service = self._authorize_put(caller, sub_id, rg_name, name, target, body)
        check_workspace_name(name)
        kind = _kind(body.kind)
        # a project takes its hub's location; every other PUT names one
        region = d.regions.resolve(body.location) if body.location or kind is not WorkspaceKind.PROJECT else None
        tags = body.tags or {}
        friendly, description = _texts(body)
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            existing = uow.workspaces.get(sub.id, rg.name, name)
            pre.check(existing.etag if existing else None)
            if existing is None:
                existing = self._recovered_by_put(uow, sub.id, rg, name, region.name if region else None, kind)
            if existing is not None:
                location = region.name if region is not None else existing.location
                ws = self._updated_by_put(caller, existing, location, kind, tags, friendly, description)
                ws = self._with_settings(uow, ws, self._kind_request(uow, kind, body, existing, sub.id))
                require_compliant(uow, Subject(ws.arm_id, WORKSPACE_TYPE, ws.location, ws.tags))
                uow.workspaces.save(ws)
                view = self._view(uow, ws)
                record_write(d, uow, caller, scope=ws.arm_id)
                uow.commit()
                return view, False
            require_registered(uow, sub, ML_NAMESPACE)
            require_group_writable(rg)
            req = self._kind_request(uow, kind, body, None, sub.id)
            if kind is WorkspaceKind.PROJECT:
                hub_sub, hub_rg, hub_name = parse_workspace_id(str(req.hub_id), "properties.hubResourceId")
                hub = require_hub(uow, hub_sub.lower(), hub_rg, hub_name, str(req.hub_id))
                require_compliant(uow, Subject(f"{rg.arm_id}/providers/{WORKSPACE_TYPE}/{name}", WORKSPACE_TYPE,
                                               hub.location, tags))
                ws, datastores = self._new_project(uow, caller, rg, name, region, req, self_service, tags,
                                                   friendly, description)
                resources: list[GenericResource] = []
            else:
                assert region is not None
                ws, resources, datastores = self._new_workspace(caller, rg, name, region.name, kind, tags, friendly,
                                                                description)
                ws = replace(ws, settings={**hubrules.default_settings(), **req.settings})
                require_compliant(uow, Subject(ws.arm_id, WORKSPACE_TYPE, ws.location, ws.tags))
                storage = resources[0]
                self._storage.provision(uow, region.name, storage.name, storage.properties["containers"])
                self_service = False
            uow.workspaces.add(ws)
            for res in resources:
                uow.resources.add(res)
            for ds in datastores:
                uow.datastores.add(ds)
            if kind is WorkspaceKind.PROJECT and self_service:
                self._make_owner(uow, caller, ws)
            view = self._view(uow, ws)
            record_write(d, uow, caller, scope=ws.arm_id)
            fault_point("workspace.create.before_commit")
            uow.commit()
        return view, True

    def _authorize_put(self, caller: Caller, sub_id: str, rg_name: str, name: str, target: str,
                       body: WorkspaceBody) -> tuple[Caller, bool]:
        """The PUT's decision, before anything is written: ``workspaces/write`` on the workspace,
        except for a new project, which needs the hub's join action and, outside the hub's default
        project group, ``workspaces/write`` too. Returns the admitted caller and whether the project
        is self-service (in the default group: its creator becomes its Owner). A denial is
        audited in a transaction of its own, so it is raised outside this read."""
        allowed = self._authz.allowed_in
        denied: tuple[str, str] | None = None
        self_service = False
        with self._deps.uow() as uow:
            caller = admit_principal(uow, caller) if not caller.admitted else caller
            asked = WorkspaceKind.parse(body.kind) if body.kind else WorkspaceKind.DEFAULT
            hub_id = body.properties.other_fields.get("hubResourceId")
            new_project = asked is WorkspaceKind.PROJECT and isinstance(hub_id, str) and hub_id.strip() and \
                uow.workspaces.get(sub_id.lower(), rg_name, name) is None
            if not new_project:
                if not allowed(uow, caller.principal_id, WRITE, target):
                    denied = (WRITE, target)
            else:
                hub_sub, hub_rg, hub_name = parse_workspace_id(str(hub_id), "properties.hubResourceId")
                hub_scope = f"/subscriptions/{hub_sub}/resourceGroups/{hub_rg}/providers/{ML_NAMESPACE}/workspaces/{hub_name}"
                if not allowed(uow, caller.principal_id, hubrules.JOIN_ACTION, hub_scope):
                    denied = (hubrules.JOIN_ACTION, hub_scope)
                else:
                    hub = uow.workspaces.get(hub_sub.lower(), hub_rg, hub_name)
                    default_rg = hub.settings.get(hubrules.DEFAULT_PROJECT_RG) if hub is not None else None
                    self_service = bool(default_rg) and str(default_rg).lower() == \
                        f"/subscriptions/{sub_id}/resourceGroups/{rg_name}".lower()
                    if not self_service and not allowed(uow, caller.principal_id, WRITE, target):
                        denied = (WRITE, target)
        if denied is not None:
            self._authz.deny(caller, *denied)
        return caller, self_service

    def _kind_request(self, uow: UnitOfWork, kind: WorkspaceKind, body: WorkspaceBody,
                      existing: Workspace | None, sub_id: str) -> _KindRequest:
        """Take the hub and project fields out of the body (judged for ``kind``); what is left goes
        to the refusal of unhonoured fields."""
        rest = dict(body.properties.other_fields)
        settings: dict[str, Any] = {}
        hub_id: str | None = None
        app_insights: str | None = None
        own = self._view(uow, existing).associated_ids if existing is not None else None
        if kind is WorkspaceKind.HUB:
            settings = _hub_settings(rest, existing, sub_id)
            if rest.get("hubResourceId"):
                raise invalid("InvalidRequestContent", "properties.hubResourceId names a project's hub; a hub has "
                              "none.", "properties.hubResourceId")
        elif kind is WorkspaceKind.PROJECT:
            hub_id = rest.pop("hubResourceId", None)
            if existing is None and not hub_id:
                raise invalid("InvalidRequestContent", "A project workspace needs properties.hubResourceId: the ARM "
                              "id of its hub.", "properties.hubResourceId")
            app_insights = rest.pop("applicationInsights", None) or None
            for key in ("workspaceHubConfig", "associatedWorkspaces"):
                rest.pop(key, None)
            inherited = self._view(uow, existing) if existing is not None else self._hub_view(uow, hub_id)
            if inherited is not None and isinstance(app_insights, str) and \
                    app_insights.lower() == inherited.associated_ids.get("applicationInsights", "").lower():
                app_insights = None  # what it uses now, echoed back: no new override
            for key in (*hubrules.INHERITED_SETTINGS, *hubrules.INHERITED_RESOURCES):
                value = rest.pop(key, None)
                if value in (None, "", {}, False):
                    continue
                current = None
                if inherited is not None:
                    current = inherited.settings.get(key, inherited.associated_ids.get(key))
                if isinstance(value, str) and isinstance(current, str) and value.lower() == current.lower():
                    continue
                if value == current:
                    continue
                raise hubrules.refuse_project_setting(key, str(hub_id or inherited and inherited.hub_id))
            if existing is not None and hub_id and inherited is not None and \
                    str(hub_id).lower() != str(inherited.hub_id).lower():
                raise invalid("InvalidRequestContent", f"The hub of project '{existing.name}' is '{inherited.hub_id}' "
                              "and cannot change.", "properties.hubResourceId")
        _refuse_unhonoured(rest, own)
        return _KindRequest(settings, str(hub_id) if hub_id else None, str(app_insights) if app_insights else None)

    def _hub_view(self, uow: UnitOfWork, hub_id: object) -> WorkspaceView | None:
        """What a new project of ``hub_id`` would show (its hub's settings and resources), so that a
        body repeating them is not taken for an override; None when the hub is not found (the
        creation then refuses it)."""
        if not isinstance(hub_id, str):
            return None
        sub, rg, name = parse_workspace_id(hub_id, "properties.hubResourceId")
        hub = uow.workspaces.get(sub.lower(), rg, name)
        if hub is None or hub.kind is not WorkspaceKind.HUB:
            return None
        view = self._view(uow, hub)
        return replace(view, hub_id=hub.arm_id)

    def _with_settings(self, uow: UnitOfWork, ws: Workspace, req: _KindRequest) -> Workspace:
        """An update's hub settings and project override applied to the row."""
        if ws.kind is WorkspaceKind.HUB and req.settings:
            ws = replace(ws, settings={**ws.settings, **req.settings})
        if ws.kind is WorkspaceKind.PROJECT and req.app_insights:
            key = _insights_key(uow, req.app_insights)
            ws = replace(ws, associated={**ws.associated, "applicationInsights": key})
        return ws

    def _new_project(
        self, uow: UnitOfWork, caller: Caller, rg: ResourceGroup, name: str, region: Region | None,
        req: _KindRequest, self_service: bool, tags: dict[str, str], friendly: str | None, description: str | None,
    ) -> tuple[Workspace, list[Datastore]]:
        """A project: containers prefixed with its GUID in its hub's storage, no resources of its
        own (but an Application Insights override). The caller needs the hub's join action; in the
        hub's default project group nothing more (and becomes the project's Owner), elsewhere
        ``workspaces/write`` on the new workspace."""
        d = self._deps
        assert req.hub_id is not None
        hub_sub, hub_rg, hub_name = parse_workspace_id(req.hub_id, "properties.hubResourceId")
        hub = require_hub(uow, hub_sub.lower(), hub_rg, hub_name, req.hub_id)
        writable(hub)
        default_rg = hub.settings.get(hubrules.DEFAULT_PROJECT_RG)
        if self_service and str(default_rg).lower() != rg.arm_id.lower():
            raise Conflict("HubChanged", f"The default project resource group of hub '{hub.name}' changed while the "
                           "project was being created; send the request again.")
        if region is not None and region.name != hub.location:
            raise invalid("ProjectLocationMismatch", f"A project is created in its hub's location '{hub.location}', "
                          f"not '{region.name}'.", "location")
        found = uow.resources.by_keys([hub.associated["storageAccount"]])
        storage = found[hub.associated["storageAccount"]]
        now = d.clock.now()
        key, workspace_id = d.ids.new_id(), d.ids.new_id()
        blob_container, file_share = f"{workspace_id}-azureml-blobstore", f"{workspace_id}-code"
        self._storage.provision(uow, storage.location, storage.name, [blob_container, file_share])
        associated = {"applicationInsights": _insights_key(uow, req.app_insights)} if req.app_insights else {}
        ws = Workspace(
            key=key, resource_group_key=rg.key, subscription_id=rg.subscription_id, resource_group_name=rg.name,
            name=name, kind=WorkspaceKind.PROJECT, location=hub.location, workspace_id=workspace_id, tags=tags,
            etag=new_etag(d.ids), stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name,
                                                   caller.stamp_type, now),
            friendly_name=friendly if friendly is not None else name, description=description or "",
            identity_principal_id=d.ids.new_id(), associated=associated, hub_key=hub.key, settings={},
        )
        datastores = [
            Datastore(key=d.ids.new_id(), workspace_key=key, name="workspaceblobstore", datastore_type="AzureBlob",
                      account_name=storage.name, container_name=blob_container, endpoint="core.windows.net",
                      protocol="https", subscription_id=storage.subscription_id,
                      resource_group_name=storage.resource_group_name, is_default=True, created_at=now),
            Datastore(key=d.ids.new_id(), workspace_key=key, name="workspacefilestore", datastore_type="AzureFile",
                      account_name=storage.name, container_name=file_share, endpoint="core.windows.net",
                      protocol="https", subscription_id=storage.subscription_id,
                      resource_group_name=storage.resource_group_name, is_default=False, created_at=now),
        ]
        return ws, datastores

    def _make_owner(self, uow: UnitOfWork, caller: Caller, ws: Workspace) -> None:
        """The creator of a self-service project becomes Owner of the project resource."""
        principal = uow.principals.get(caller.principal_id)
        if uow.role_assignments.find(caller.principal_id, OWNER.id, ws.arm_id) is not None:
            return
        uow.role_assignments.add(caller.tenant_id, RoleAssignment(
            id=self._deps.ids.new_id(), principal_id=caller.principal_id, role_definition_id=OWNER.id,
            scope=ws.arm_id, created_at=self._deps.clock.now(), created_by=caller.principal_id,
            principal_type=principal.kind.value if principal is not None else "User"))

    def _recovered_by_put(self, uow: UnitOfWork, sub_id: str, rg: ResourceGroup, name: str, location: str | None,
                          kind: WorkspaceKind) -> Workspace | None:
        """Creating a workspace with a soft-deleted one's name in its group recovers it, contents
        and all (the PUT's fields then apply as an update). A PUT it cannot be recovered by (another
        region or kind) gets Azure's answer: the soft-deleted workspace must be purged or
        recovered first. Workspace names are unique per group, so other groups are not concerned."""
        deleted = uow.workspaces.deleted_get(sub_id, rg.name, name)
        if deleted is None:
            return None
        if (location is not None and deleted.location != location) or deleted.kind is not kind:
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
            raise hubrules.refuse_kind_change(ws, kind)
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
            if body.kind is not None and _kind(body.kind) is not ws.kind:
                raise hubrules.refuse_kind_change(ws, _kind(body.kind))
            ws = self._with_settings(uow, ws, self._kind_request(uow, ws.kind, body, ws, ws.subscription_id))
            ws = replace(
                ws, tags=ws.tags if tags is None else tags,
                friendly_name=ws.friendly_name if friendly is None else friendly,
                description=ws.description if description is None else description, etag=new_etag(d.ids),
                stamp=ws.stamp.touched(caller.name, caller.stamp_type, d.clock.now()),
            )
            require_compliant(uow, Subject(ws.arm_id, WORKSPACE_TYPE, ws.location, ws.tags))
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
        """The workspace as callers see it; a project's inherited parts read from its hub now."""
        eff, hub = effective_of(uow, ws)
        found = uow.resources.by_keys(list(eff.associated.values()))
        ids = {role: found[k].arm_id for role, k in eff.associated.items() if k in found}
        settings = {**hubrules.default_settings(), **eff.settings}
        projects = tuple(p.arm_id for p in uow.workspaces.projects_of(ws.key)) if ws.kind is WorkspaceKind.HUB else ()
        return WorkspaceView(ws, ids, settings, eff.sources, hub.arm_id if hub is not None else None, projects)

    def _views(self, uow: UnitOfWork, page: Page[Workspace]) -> Page[WorkspaceView]:
        return Page([self._view(uow, ws) for ws in page.items], page.more)

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
            ws = available(found or require_workspace(uow, caller, sub_id, rg_name, name))
            pre.check(ws.etag)
            if ws.kind is WorkspaceKind.HUB:
                projects = uow.workspaces.projects_of(ws.key, include_deleted=True)
                if projects:
                    raise hubrules.hub_has_projects(ws, projects)
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
                containers = [(ds.account_name, ds.container_name) for ds in uow.datastores.of_workspace(ws.key)
                              if ws.kind is WorkspaceKind.PROJECT and ds.container_name.startswith(ws.workspace_id)]
                dependents = op.payload.get("deleteDependentResources") or (
                    ws.soft_delete is not None and ws.soft_delete.delete_dependents)
                if dependents:
                    released = uow.resources.of_workspace(ws.key)
                    for res in released:
                        uow.resources.delete(res.key)
                uow.datastores.delete_of_workspace(ws.key)
                uow.role_assignments.delete_at_or_below(ws.arm_id)
                uow.workspaces.delete(ws.key)
                op = self._ops.record(uow, op.id, release=self._storage.accounts_of(released),
                                      containers=[{"region": ws.location, "account": a, "container": c}
                                                  for a, c in containers])
            fault_point("workspace.delete.before_commit")
            uow.commit()
        fault_point("workspace.delete.after_commit")
        self._storage.release(op.payload.get("release", []))
        self._storage.release_containers(op.payload.get("containers", []))
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


def _refuse_unhonoured(fields: dict[str, Any], own: dict[str, str] | None) -> None:
    """A field of Azure's workspace body that amlite does not honour is refused, never dropped."""
    refused = unhonoured_fields(fields, own)
    if refused:
        raise InvalidInput("UnsupportedWorkspaceProperty",
                           " ".join(detail.message for detail in refused), refused[0].target, refused)


def _kind(value: str | None) -> WorkspaceKind:
    if value is None:
        return WorkspaceKind.DEFAULT
    kind = WorkspaceKind.parse(value)
    if kind is None:
        raise invalid("InvalidRequestContent",
                      f"Workspace kind '{value}' is not valid; use 'Default', 'Hub' or 'Project'.", "kind")
    return kind


def _hub_settings(fields: dict[str, Any], existing: Workspace | None, sub_id: str) -> dict[str, Any]:
    """A hub's network, encryption and default project group, taken out of ``fields``."""
    out: dict[str, Any] = {}
    if (value := fields.pop("publicNetworkAccess", None)) is not None:
        out[hubrules.PUBLIC_NETWORK_ACCESS] = hubrules.check_network_access(value)
    if (value := fields.pop("managedNetwork", None)) is not None:
        out[hubrules.MANAGED_NETWORK] = hubrules.check_managed_network(value)
    if (value := fields.pop("encryption", None)) is not None:
        key = hubrules.check_encryption(value)
        if key is not None:
            out[hubrules.ENCRYPTION] = key
        elif existing is not None and existing.settings.get(hubrules.ENCRYPTION):
            raise invalid("InvalidRequestContent", "A hub's customer-managed key cannot be removed.",
                          "properties.encryption")
    config = fields.pop("workspaceHubConfig", None)
    fields.pop("associatedWorkspaces", None)
    if isinstance(config, dict) and config.get("defaultWorkspaceResourceGroup"):
        group = config["defaultWorkspaceResourceGroup"]
        gsub, gname = parse_group_id(str(group), sub_id, "properties.workspaceHubConfig.defaultWorkspaceResourceGroup")
        out[hubrules.DEFAULT_PROJECT_RG] = f"/subscriptions/{gsub}/resourceGroups/{gname}"
    return out


def _insights_key(uow: UnitOfWork, arm_id: str) -> str:
    """The key of the Application Insights component a project names as its own."""
    parts = arm_id.strip().strip("/").split("/")
    if len(parts) != 8 or parts[0].lower() != "subscriptions" or parts[5].lower() != "microsoft.insights" \
            or parts[6].lower() != "components":
        raise invalid("InvalidRequestContent", f"properties.applicationInsights '{arm_id}' is not an Application "
                      "Insights component id.", "properties.applicationInsights")
    rg = require_group(uow, parts[1].lower(), parts[3])
    found = next((r for r in uow.resources.in_group(rg.key)
                  if r.full_type.lower() == "microsoft.insights/components" and r.name.lower() == parts[7].lower()),
                 None)
    if found is None:
        raise invalid("ApplicationInsightsNotFound", f"The Application Insights component '{arm_id}' does not exist.",
                      "properties.applicationInsights")
    return found.key
