"""Resolving the references inside an asset version before it is created.

A version may point at other things: a component at its environment, a pipeline component's jobs
at their components, a model or data asset (or an environment's build context) at a datastore
path. Each must exist when the version is created, or the create fails with an error naming the
field (``target``) and changes nothing. References to another workspace of the tenant are
followed when the caller may read there; references to a registry of the tenant
(``azureml://registries/<reg>/...``) when the caller has ``registries/assets/read`` on it. Either
right is checked before the lookup, so a caller without it gets the same 403 whether the
workspace or registry exists or not. The
owner of the version being created may itself be a workspace or a registry (``AssetOwner``);
short references (``azureml:<name>:<v>``) resolve in that owner.

Everything here runs inside the caller's write unit of work, so the check and the insert see the
same state of the store.
"""

from __future__ import annotations

from typing import Any

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion
from amlite.domain.errors import AuthorizationFailed, NotFound, invalid
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.system_registry import SYSTEM_REGISTRY_NAME, is_system_registry, resolve_label
from amlite.domain.references import (
    AssetRef,
    DatastorePath,
    WorkspaceLocator,
    is_reference,
    parse_asset_reference,
    parse_datastore_path,
)
from amlite.ports import UnitOfWork
from amlite.services.asset_owners import containers_of, registry_owner, versions_of, workspace_owner
from amlite.services.authz import Authorizer
from amlite.services.context import Caller
from amlite.services.hubs import confine_to_own_containers, refuse_sibling_data, storage_url_container
from amlite.services.images import check_image_reference
from amlite.services.registries import registry_for, tenant_registry_path
from amlite.services.system_registry import curated_catalog, reference_not_found
from amlite.services.system_registry import resolve as resolve_curated

REGISTRY_ASSETS_READ = f"{ML_NAMESPACE}/registries/assets/read"


class ReferenceResolver:
    def __init__(self, authz: Authorizer) -> None:
        self._authz = authz

    def check_spec(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, kind: AssetKind, spec: dict[str, Any]) -> None:
        """Every reference in a version's spec resolves, or ``400`` naming the first that does not."""
        for field in ("modelUri", "dataUri"):
            if isinstance(spec.get(field), str):
                self.check_uri(uow, caller, ws, spec[field], f"properties.{field}")
        build = spec.get("build")
        if isinstance(build, dict) and isinstance(build.get("contextUri"), str):
            self.check_uri(uow, caller, ws, build["contextUri"], "properties.build.contextUri")
        if kind is AssetKind.COMPONENTS:
            self.check_component(uow, caller, ws, spec["componentSpec"], "properties.componentSpec")
        if kind is AssetKind.ENVIRONMENTS and not ws.is_registry and isinstance(spec.get("image"), str):
            workspace = uow.workspaces.by_key(ws.key)
            if workspace is not None:  # a project names only its own images of its hub's registry
                check_image_reference(uow, workspace, spec["image"], "properties.image")

    def check_component(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, component: dict[str, Any], target: str) -> None:
        code = component.get("code")
        if isinstance(code, str) and is_reference(code):  # a code asset or a datastore path, as azure-ai-ml sends
            registry = code.lower().startswith("azureml://registries/")
            if not registry and parse_datastore_path(code, f"{target}.code") is not None:
                self.check_uri(uow, caller, ws, code, f"{target}.code")
            else:
                self.resolve(uow, caller, ws, parse_asset_reference(code, AssetKind.CODES, f"{target}.code"),
                             f"{target}.code")
        env = component.get("environment")
        if isinstance(env, str):
            self.resolve(uow, caller, ws, parse_asset_reference(env, AssetKind.ENVIRONMENTS, f"{target}.environment"),
                         f"{target}.environment")
        for job_name, job in (component.get("jobs") or {}).items():
            where = f"{target}.jobs.{job_name}.component"
            ref = job.get("component") if isinstance(job, dict) else None
            if isinstance(ref, dict):
                self.check_component(uow, caller, ws, ref, where)
            elif isinstance(ref, str):
                self.resolve(uow, caller, ws, parse_asset_reference(ref, AssetKind.COMPONENTS, where), where)

    def check_uri(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, uri: str, target: str) -> None:
        """A datastore path's datastore must exist; storage URLs are taken as given, except that a
        project names no other container of its hub's storage account."""
        if not is_reference(uri):
            found = storage_url_container(uri) if not ws.is_registry else None
            if found is not None and (workspace := uow.workspaces.by_key(ws.key)) is not None:
                confine_to_own_containers(uow, workspace, *found)
            return
        if ws.is_registry and uri.lower().startswith(f"azureml://registries/{ws.name.lower()}/"):
            return  # files of this registry's own versions
        path = parse_datastore_path(uri, target)
        if path is None:
            raise invalid("InvalidAssetReference",
                          f"'{uri}' is not an azureml://datastores/<name>/paths/<path> URI.", target)
        self.require_datastore(uow, caller, ws, path, target)

    def require_datastore(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, path: DatastorePath, target: str) -> None:
        home = self._workspace(uow, caller, ws, path.workspace, "datastores/read", target)
        if home.is_registry:
            raise invalid("InvalidAssetReference",
                          f"A registry asset cannot point at a datastore ('{path.datastore}'): registries have none. "
                          "Upload the files with the asset instead.", target)
        if uow.datastores.get(home.key, path.datastore) is None:
            raise invalid("DatastoreNotFound",
                          f"The datastore '{path.datastore}' does not exist in workspace '{home.name}'.", target)
        if home.key != ws.key and not ws.is_registry and (workspace := uow.workspaces.by_key(ws.key)) is not None:
            refuse_sibling_data(uow, workspace, home.key, f"The path '{path.datastore}' of workspace '{home.name}'",
                                target)

    def resolve(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, ref: AssetRef, target: str) -> tuple[AssetContainer, AssetVersion]:
        """The container and version a reference names; ``400 AssetReferenceNotFound`` when missing.
        The ``azureml`` system registry is every caller's, and so is a workspace's short name for
        one of its curated environments (``azureml:AzureML-<name>@latest``) when the workspace has
        no environment of that name itself."""
        if ref.registry is not None and is_system_registry(ref.registry):
            return resolve_curated(ref, target)
        if ref.registry is not None:
            home = self._registry(uow, caller, ref.registry, target)
        else:
            home = self._workspace(uow, caller, ws, ref.workspace, f"{ref.kind.value}/versions/read", target)
        kind = ref.kind.singular
        where = "registry" if home.is_registry else "workspace"
        container = containers_of(uow, home).get(home.key, ref.kind, ref.name)
        if container is None and ref.kind is AssetKind.ENVIRONMENTS and ref.workspace is None and not home.is_registry:
            curated = curated_catalog().workspace_alias(ref.name)
            if curated is not None:
                return resolve_curated(AssetRef(ref.kind, curated.container.name, ref.version, ref.label,
                                                registry=SYSTEM_REGISTRY_NAME), target)
        if container is None:
            raise reference_not_found(f"The {kind} '{ref.name}' referenced as '{ref}' does not exist in {where} "
                                      f"'{home.name}'.", target)
        if ref.version is not None:
            version = versions_of(uow, home).get(container.key, ref.version)
            if version is None:
                raise reference_not_found(f"The {kind} '{ref.name}' has no version '{ref.version}' (referenced as "
                                          f"'{ref}').", target)
            return container, version
        resolve_label(ref.label or "", ref.kind, target, str(ref))
        latest = None if container.is_archived else versions_of(uow, home).latest(container.key)
        if latest is None:
            raise reference_not_found(f"The {kind} '{ref.name}' has no version that is not archived, so '{ref}' "
                                      "resolves to nothing.", target)
        return container, latest

    def owner(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, ref: AssetRef, target: str) -> AssetOwner:
        """The workspace or registry a reference's asset lives in (after ``resolve`` found it)."""
        if ref.registry is not None:
            return self._registry(uow, caller, ref.registry, target)
        return self._workspace(uow, caller, ws, ref.workspace, f"{ref.kind.value}/versions/read", target)

    def _workspace(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, locator: WorkspaceLocator | None,
                   action: str, target: str) -> AssetOwner:
        """The workspace a reference lives in: this one, or another of the tenant the caller may read."""
        if locator is None or (
            not ws.is_registry
            and locator.subscription_id.lower() == ws.subscription_id.lower()
            and locator.resource_group.lower() == ws.resource_group_name.lower()
            and locator.workspace.lower() == ws.name.lower()
        ):
            return ws
        # Authorization first, at the scope the reference names: a workspace the caller may not
        # read answers the same 403 whether it exists or not.
        full_action = f"{ML_NAMESPACE}/workspaces/{action}"
        scope = (f"/subscriptions/{locator.subscription_id}/resourceGroups/{locator.resource_group}/providers/"
                 f"{ML_NAMESPACE}/workspaces/{locator.workspace}")
        allowed = Authorizer.allowed_in(uow, caller.principal_id, full_action, scope)
        sub = uow.subscriptions.get(locator.subscription_id.lower())
        other = None
        if sub is not None and sub.tenant_id == caller.tenant_id:
            live = uow.workspaces.get(sub.id, locator.resource_group, locator.workspace)
            other = live if allowed else None
            if live is None:  # ids a workspace had before a move: it answers at its current id
                moved = uow.workspaces.by_former_id(sub.id, locator.resource_group, locator.workspace)
                if moved is not None and Authorizer.allowed_in(uow, caller.principal_id, full_action, moved.arm_id):
                    other, allowed = moved, True
        if not allowed:
            raise _denied(caller, full_action, scope, target)
        if other is None:
            raise reference_not_found(
                f"The workspace '{locator.workspace}' in resource group '{locator.resource_group}' of subscription "
                f"'{locator.subscription_id}' does not exist.", target)
        return workspace_owner(other)

    def _registry(self, uow: UnitOfWork, caller: Caller, name: str, target: str) -> AssetOwner:
        """A registry of the caller's tenant that the caller may read assets of; without that right
        the same 403 whether it exists or not (``registry_for``)."""
        try:
            found = registry_for(uow, caller, name, REGISTRY_ASSETS_READ)
        except NotFound:
            raise reference_not_found(f"The registry '{name}' does not exist in this tenant.", target) from None
        if found is None:
            raise _denied(caller, REGISTRY_ASSETS_READ, tenant_registry_path(name), target)
        return registry_owner(found)


def _denied(caller: Caller, action: str, scope: str, target: str) -> AuthorizationFailed:
    return AuthorizationFailed(
        "AuthorizationFailed",
        f"The client '{caller.name}' with object id '{caller.principal_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}', which {target} refers to.",
        target,
    )
