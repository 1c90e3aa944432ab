"""Registry use cases: create (with a storage account in every replication region), read, list,
update (tags, description, regions added or removed), and delete as a long-running operation.

Storage comes first and metadata second, as for a workspace: each region's account is created in
that region's object storage before the commit that records it (a crash in between leaves an
orphan that ``StorageProvisioner.sweep_orphans`` removes), and is released only after the records
are gone. Each account is also a generic ``Microsoft.Storage/storageAccounts`` record in the
registry's group, so the group's resource list, its delete and the orphan sweep all know it.

Ports for the registry-asset side (replication), registered by that service at wiring time:

- ``on_regions_added``: callables ``(registry_key, regions)`` run after the commit that added
  replication regions, so existing asset versions can be back-filled into them;
- ``on_regions_removed``: callables ``(registry_key, regions)`` run after the commit that removed
  regions (their storage is released just before), so reads stop being served from them;
- ``before_delete``: callables ``(uow, registry)`` run inside the unit of work that deletes a
  registry (by its own delete or its group's forced delete), to remove rows that point at it.

An after-commit hook that fails fails the request (its error is logged as any 500 is), although
the change it announces is committed: a repeated update is harmless, and the replication side's
reconciler (``ReplicationService.reconcile``, run periodically) queues what the hook did not.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from amlite.domain.errors import Conflict, NotFound, invalid
from amlite.domain.names import check_text
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.preconditions import NONE, Preconditions
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.rbac import parse_scope
from amlite.domain.registries import (
    REGISTRY_TYPE,
    Registry,
    RegionRequest,
    RegistryRegion,
    StorageConfig,
    check_registry_name,
    parse_region_details,
    plan_regions,
)
from amlite.domain.policies import Subject
from amlite.domain.resources import AuditStamp, GenericResource, ProvisioningState, ResourceGroup, SoftDelete
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.schemas.arm_resources import RegionDetail, RegistryBody
from amlite.services.audit import record_write
from amlite.services.policy_enforcement import require_compliant
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.operations import OperationService
from amlite.services.resource_groups import require_group, require_group_writable
from amlite.services.storage import StorageProvisioner
from amlite.services.subscriptions import require_registered, require_subscription
from amlite.services.workspace_scope import region_up

log = logging.getLogger(__name__)


READ = f"{REGISTRY_TYPE}/read"
RegionsHook = Callable[[str, list[str]], None]
DeleteHook = Callable[[UnitOfWork, Registry], None]


def registry_not_found(rg_name: str | None, name: str) -> NotFound:
    where = f" under resource group '{rg_name}'" if rg_name else ""
    return NotFound("ResourceNotFound", f"The Resource '{REGISTRY_TYPE}/{name}'{where} was not found.")


def require_registry(uow: UnitOfWork, caller: Caller, sub_id: str, rg_name: str, name: str) -> Registry:
    """The registry, or the ARM 404 of the first missing level (subscription, group, registry)."""
    sub = require_subscription(uow, caller, sub_id)
    rg = require_group(uow, sub.id, rg_name)
    reg = uow.registries.get(sub.id, rg.name, name)
    if reg is None:
        raise registry_not_found(rg.name, name)
    return region_up(uow, reg, reg.location, f"registry '{reg.name}' (its primary region)")


def tenant_registry_path(name: str) -> str:
    """What a request naming a registry by its name alone is about, before the registry is known:
    the scope a denial names, so that it gives away neither the registry's group nor its existence."""
    return f"/providers/{REGISTRY_TYPE}/{name}"


def registry_for(uow: UnitOfWork, caller: Caller, name: str, action: str) -> Registry | None:
    """The tenant's registry called ``name`` (any group) when the caller holds ``action`` on it.

    ``None`` when the caller may not learn whether it exists: it is missing, or the caller lacks
    the action on it; the caller then refuses with the same 403 over ``tenant_registry_path``
    either way. Only a caller holding the action at the root, who may see every registry, is told
    that a missing one is missing (404)."""
    reg = uow.registries.by_name(caller.tenant_id, name)
    if reg is not None and Authorizer.allowed_in(uow, caller.principal_id, action, reg.arm_id):
        return reg
    if reg is None and Authorizer.allowed_in(uow, caller.principal_id, action, "/"):
        raise registry_not_found(None, name)
    return None


def _writable(reg: Registry) -> Registry:
    if reg.provisioning_state is ProvisioningState.DELETING:
        raise Conflict("RegistryBeingDeleted", f"The registry '{reg.name}' is being deleted and cannot be changed.")
    return reg


#: How long a deleted registry stays recoverable unless the settings say otherwise.
DEFAULT_RETENTION = timedelta(days=14)
#: The most soft-deleted registries one reconciler round starts purging.
PURGES_PER_ROUND = 100


class RegistryService:
    def __init__(self, deps: Deps, operations: OperationService, storage: StorageProvisioner, authz: Authorizer,
                 retention: timedelta = DEFAULT_RETENTION) -> None:
        self._deps = deps
        self._ops = operations
        self._storage = storage
        self._authz = authz
        self._retention = retention
        self.on_regions_added: list[RegionsHook] = []
        self.on_regions_removed: list[RegionsHook] = []
        self.before_delete: list[DeleteHook] = []
        operations.register(OperationKind.DELETE_REGISTRY, self._run_delete)

    # -- create / update -------------------------------------------------------------------------

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, name: str, body: RegistryBody,
                         pre: Preconditions = NONE) -> tuple[Registry, bool]:
        """PUT: create the registry, or update an existing one (tags, description, regions)."""
        check_registry_name(name)
        props = body.properties
        tags = body.tags or {}
        description = check_text(props.description, "properties.description", 4096)
        primary, parsed = parse_region_details(self._deps.regions, body.location, props.region_details)
        requested: list[RegionRequest] | None = parsed
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            existing = uow.registries.get(sub.id, rg.name, name)
            pre.check(existing.etag if existing else None)
            require_compliant(uow, Subject(f"{rg.arm_id}/providers/{REGISTRY_TYPE}/{existing.name if existing else name}",
                                           REGISTRY_TYPE, existing.location if existing else primary, tags))
            if existing is not None:
                if props.region_details is None:
                    requested = None  # a PUT without regions keeps them
                return self._update_in(uow, caller, existing, primary, requested, tags, description), False
            deleted = uow.registries.deleted_by_name(caller.tenant_id, name)
            if deleted is not None and deleted.resource_group_key == rg.key:
                # Re-creating a soft-deleted registry in its group recovers it, assets and all.
                if props.region_details is None:
                    requested = None
                return self._update_in(uow, caller, _recovered(deleted), primary, requested, tags, description), False
            if deleted is not None:
                raise Conflict(
                    "RegistryNameNotAvailable",
                    f"The registry name '{name}' is reserved in this tenant by a soft-deleted registry (in resource "
                    f"group '{deleted.resource_group_name}'); recover it there or purge it "
                    "('amlite ml registry delete --permanently-delete') first.",
                    "registryName",
                )
            taken = uow.registries.by_name(caller.tenant_id, name)
            if taken is not None:
                raise Conflict(
                    "RegistryNameNotAvailable",
                    f"The registry name '{name}' is already in use in this tenant (by '{taken.name}'); registry "
                    "names are unique in the tenant, whatever the subscription or resource group.",
                    "registryName",
                )
            require_registered(uow, sub, ML_NAMESPACE)
            require_group_writable(rg)
            now = d.clock.now()
            reg = Registry(
                key=d.ids.new_id(), tenant_id=caller.tenant_id, resource_group_key=rg.key, subscription_id=sub.id,
                resource_group_name=rg.name, name=name, location=primary, registry_id=d.ids.new_id(),
                description=description or "", tags=tags, etag=new_etag(d.ids),
                stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now),
            )
            wanted = [(r.region, r.storage or StorageConfig()) for r in parsed]
            regions, records = self._new_regions(uow, reg, rg, wanted, 0)
            reg = replace(reg, regions=tuple(regions))
            with self._released_on_failure(records):
                for res in records:
                    uow.resources.add(res)
                uow.registries.add(reg)
                record_write(d, uow, caller, scope=reg.arm_id)
                fault_point("registry.create.before_commit")
                uow.commit()
        return reg, True

    def update(self, caller: Caller, sub_id: str, rg_name: str, name: str, body: RegistryBody,
               pre: Preconditions = NONE) -> Registry:
        """PATCH: tags and description; regions too when ``location``/``regionDetails`` are given."""
        description = check_text(body.properties.description, "properties.description", 4096)
        tags = body.tags
        details = body.properties.region_details
        with self._deps.uow(write=True) as uow:
            reg = require_registry(uow, caller, sub_id, rg_name, name)
            pre.check(reg.etag)
            primary, requested = reg.location, None
            if details is not None or body.location is not None:
                primary, requested = parse_region_details(
                    self._deps.regions, body.location if "location" in body.model_fields_set else reg.location,
                    details if details is not None else [RegionDetail(location=r) for r in reg.region_names],
                )
            return self._update_in(uow, caller, reg, primary, requested, tags, description)

    def _update_in(self, uow: UnitOfWork, caller: Caller, reg: Registry, primary: str, requested: list[RegionRequest] | None,
                   tags: dict[str, str] | None, description: str | None) -> Registry:
        """Apply an update inside ``uow`` and commit it; storage for added regions is created
        first, storage of removed regions released after the commit, then the hooks run."""
        d = self._deps
        _writable(reg)
        if requested is None:  # regions not given: keep them (the primary is still checked)
            requested = [RegionRequest(r, None) for r in reg.region_names]
        plan = plan_regions(reg, primary, requested)
        rg = uow.resource_groups.by_key(reg.resource_group_key)
        assert rg is not None, "a registry's resource group outlives it"
        start = max((r.position for r in reg.regions), default=-1) + 1
        added_regions, records = self._new_regions(uow, reg, rg, plan.added, start)
        gone = [r for r in reg.regions if r.region in plan.removed]
        found = uow.resources.by_keys([r.resource_key for r in gone])
        removed_records = [found[r.resource_key] for r in gone if r.resource_key in found]
        kept = [r for r in reg.regions if r.region not in plan.removed]
        updated = replace(
            reg, regions=tuple(kept + added_regions), tags=reg.tags if tags is None else tags,
            description=reg.description if description is None else description, etag=new_etag(d.ids),
            stamp=reg.stamp.touched(caller.name, caller.stamp_type, d.clock.now()),
        )
        with self._released_on_failure(records):
            for res in records:
                uow.resources.add(res)
            for res in removed_records:
                uow.resources.delete(res.key)
            uow.registries.save(updated)
            record_write(d, uow, caller, scope=updated.arm_id)
            uow.commit()
        self._storage.release(self._storage.accounts_of(removed_records))
        fault_point("registry.regions.before_hooks")
        if added_regions:
            self._announce(self.on_regions_added, updated.key, [r.region for r in added_regions])
        if removed_records:
            self._announce(self.on_regions_removed, updated.key, [r.location for r in removed_records])
        return updated

    def _new_regions(self, uow: UnitOfWork, reg: Registry, rg: ResourceGroup, wanted: list[tuple[str, StorageConfig]],
                     start: int) -> tuple[list[RegistryRegion], list[GenericResource]]:
        """A storage account per region, created now in that region's object storage, and the
        records that will point at it (not yet added to the unit of work)."""
        d = self._deps
        now = d.clock.now()
        base = re.sub(r"[^a-z0-9]", "", reg.name.lower())[:12]
        regions: list[RegistryRegion] = []
        records: list[GenericResource] = []
        with self._released_on_failure(records):
            for offset, (region, storage) in enumerate(wanted):
                account = base + secrets.token_hex(5)
                while uow.resources.name_taken("Microsoft.Storage/storageAccounts", account):
                    account = base + secrets.token_hex(5)
                res = GenericResource(
                    key=d.ids.new_id(), resource_group_key=rg.key, subscription_id=rg.subscription_id,
                    resource_group_name=rg.name, namespace="Microsoft.Storage", type="storageAccounts", name=account,
                    location=region,
                    properties={"role": "registryStorage", "registryKey": reg.key, "containers": [reg.artifact_container],
                                "sku": storage.account_type, "isHnsEnabled": storage.hns},
                )
                records.append(res)
                self._storage.provision(uow, region, account, [reg.artifact_container])
                regions.append(RegistryRegion(region=region, position=start + offset, storage_account_name=account,
                                              storage=storage, resource_key=res.key, added_at=now))
        return regions, records

    def _released_on_failure(self, records: list[GenericResource]) -> "_ReleaseOnFailure":
        return _ReleaseOnFailure(self._storage, records)

    @staticmethod
    def _announce(hooks: list[RegionsHook], registry_key: str, regions: list[str]) -> None:
        """Tell the replication side at once; the region change is already committed, so a hook
        that fails (its store is briefly unreachable) must not turn the answer into an error: the
        reconciler (``worker/reconciler.py``) derives the missing copies from the state and queues
        them on its next round. The failure is logged with its traceback."""
        for hook in hooks:
            try:
                hook(registry_key, regions)
            except Exception:  # noqa: BLE001 - logged; the reconciler repairs what the hook left undone
                log.exception("registry %s: the hook for regions %s failed; the reconciler will queue the "
                              "missing copies", registry_key, ", ".join(regions))

    # -- read ------------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> Registry:
        with self._deps.uow() as uow:
            return require_registry(uow, caller, sub_id, rg_name, name)

    def find(self, caller: Caller, name: str) -> Registry:
        """The tenant's registry called ``name``, wherever it lives; the caller needs
        ``registries/read`` on it, and without it gets the same audited 403 whether the registry
        exists or not (``registry_for``)."""
        with self._deps.uow() as uow:
            reg = registry_for(uow, caller, name, READ)
        if reg is None:
            where = tenant_registry_path(name)
            self._authz.deny(caller.acting(READ, where), READ, where)
        return reg

    def list_in_group(self, caller: Caller, sub_id: str, rg_name: str, offset: int, limit: int) -> Page[Registry]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            seen = caller.visibility
            names = None
            if seen is not None and not seen.everything:
                names = {n for g, n in _registry_grants(seen.scopes, sub.id) if g == rg.name.lower()}
            return uow.registries.list_in_group(rg.key, offset, limit, names)

    def list_in_subscription(self, caller: Caller, sub_id: str, offset: int, limit: int) -> Page[Registry]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            seen = caller.visibility
            if seen is None or seen.everything:
                return uow.registries.list_in_subscription(sub.id, offset, limit)
            return uow.registries.list_in_subscription(
                sub.id, offset, limit, seen.resource_groups(sub.id), _registry_grants(seen.scopes, sub.id))

    # -- delete, recover, purge ------------------------------------------------------------------

    def begin_delete(self, caller: Caller, sub_id: str, rg_name: str, name: str, *, purge: bool = False,
                     pre: Preconditions = NONE) -> Operation:
        """DELETE: soft-deletes the registry (recoverable for the retention period, its name
        still reserved in the tenant); with ``purge`` (``forceToPurge``) purges it, live or
        already soft-deleted."""
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            found = uow.registries.get(sub.id, rg_name, name)
            if found is None and purge:
                deleted = uow.registries.deleted_by_name(caller.tenant_id, name)
                if deleted is not None and deleted.subscription_id == sub.id \
                        and deleted.resource_group_name.lower() == rg_name.lower():
                    found = deleted
            reg = found or require_registry(uow, caller, sub_id, rg_name, name)
            pre.check(reg.etag)
            op = self._ops.new(
                uow, kind=OperationKind.DELETE_REGISTRY, caller=caller, subscription_id=reg.subscription_id,
                namespace=ML_NAMESPACE, location=reg.location, target_id=reg.arm_id, target_key=reg.key,
                payload={"purge": purge},
            )
            if reg.provisioning_state is not ProvisioningState.DELETING:
                uow.registries.save(replace(reg, provisioning_state=ProvisioningState.DELETING))
            record_write(d, uow, caller, scope=reg.arm_id)
            uow.commit()
        return op

    def recover(self, caller: Caller, sub_id: str, rg_name: str, name: str) -> Registry:
        """Bring a soft-deleted registry back with its assets (amlite's addition)."""
        d = self._deps
        with d.uow(write=True) as uow:
            sub = require_subscription(uow, caller, sub_id)
            rg = require_group(uow, sub.id, rg_name)
            deleted = uow.registries.deleted_by_name(caller.tenant_id, name)
            if deleted is None or deleted.resource_group_key != rg.key:
                raise NotFound("ResourceNotFound", f"There is no soft-deleted registry '{name}' in resource group "
                               f"'{rg.name}' (it is live, was purged, or never existed).")
            reg = replace(_recovered(deleted), etag=new_etag(d.ids),
                          stamp=deleted.stamp.touched(caller.name, caller.stamp_type, d.clock.now()))
            uow.registries.save(reg)
            record_write(d, uow, caller, scope=reg.arm_id)
            uow.commit()
        return reg

    def list_deleted(self, caller: Caller, sub_id: str, offset: int, limit: int) -> Page[Registry]:
        """The subscription's soft-deleted registries the caller may read."""
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            page = uow.registries.list_deleted(sub.id, offset, limit)
            seen = caller.visibility
            if seen is not None and not seen.everything:
                groups, pairs = seen.resource_groups(sub.id), _registry_grants(seen.scopes, sub.id)
                page = Page([r for r in page.items if r.resource_group_name.lower() in groups
                             or (r.resource_group_name.lower(), r.name.lower()) in pairs], page.more)
            return page

    def purge_expired(self) -> int:
        """The reconciler's pass: start the purge of every soft-deleted registry whose retention
        has ended (an operation of the task engine); returns how many it started."""
        d = self._deps
        started = 0
        with d.uow() as uow:
            due = uow.registries.purge_due(d.clock.now(), PURGES_PER_ROUND)
        for candidate in due:
            with d.uow(write=True) as uow:
                reg = uow.registries.any_by_key(candidate.key)
                if (reg is None or reg.soft_delete is None or not reg.soft_delete.due(d.clock.now())
                        or reg.provisioning_state is ProvisioningState.DELETING):
                    continue
                system = Caller(reg.tenant_id, "", "amlite (soft-delete retention)", "ServicePrincipal")
                self._ops.new(uow, kind=OperationKind.DELETE_REGISTRY, caller=system,
                              subscription_id=reg.subscription_id, namespace=ML_NAMESPACE, location=reg.location,
                              target_id=reg.arm_id, target_key=reg.key, payload={"purge": True, "expired": True})
                uow.registries.save(replace(reg, provisioning_state=ProvisioningState.DELETING))
                uow.commit()
                started += 1
        return started

    def remove_records(self, uow: UnitOfWork, reg: Registry) -> list[GenericResource]:
        """Delete a registry's rows (its assets through ``before_delete``, its regions, its storage
        records, role assignments at or below it) in ``uow``; returns the storage records, whose
        accounts the caller releases after the commit. Used by the group's forced delete too."""
        for hook in self.before_delete:
            hook(uow, reg)
        found = uow.resources.by_keys([r.resource_key for r in reg.regions])
        released = [found[r.resource_key] for r in reg.regions if r.resource_key in found]
        for res in released:
            uow.resources.delete(res.key)
        uow.role_assignments.delete_at_or_below(reg.arm_id)
        uow.registries.delete(reg.key)
        return released

    def _run_delete(self, op: Operation) -> None:
        """A soft delete is one metadata transition that also ends the operation. A purge: the
        records go in one transaction that notes the storage to release (every region's
        account), the storage next, the operation ends last; a rerun finishes from the record."""
        d = self._deps
        with d.uow(write=True) as uow:
            reg = uow.registries.any_by_key(op.target_key)
            if reg is not None and not op.payload.get("purge"):
                if reg.soft_delete is None:
                    now = d.clock.now()
                    uow.registries.save(replace(reg, soft_delete=SoftDelete(now, now + self._retention),
                                                provisioning_state=ProvisioningState.SUCCEEDED))
                self._ops.finish(uow, op.id)
                fault_point("registry.delete.before_commit")
                uow.commit()
                return
            if reg is not None and op.payload.get("expired") and reg.soft_delete is None:
                reg = None  # recovered before its retention purge ran
            if reg is not None:
                released = self.remove_records(uow, reg)
                op = self._ops.record(uow, op.id, release=self._storage.accounts_of(released))
            fault_point("registry.delete.before_commit")
            uow.commit()
        self._storage.release(op.payload.get("release", []))
        self._ops.complete(op.id)


def _recovered(reg: Registry) -> Registry:
    """A soft-deleted registry brought back; one being purged cannot be."""
    if reg.provisioning_state is ProvisioningState.DELETING:
        raise Conflict("RegistryBeingDeleted", f"The soft-deleted registry '{reg.name}' is being purged and cannot be "
                       "recovered.")
    return replace(reg, soft_delete=None, provisioning_state=ProvisioningState.SUCCEEDED)


class _ReleaseOnFailure:
    """Storage created for records that never got committed is released at once (the orphan
    sweep would find it at the next start; bad input should leave nothing even until then)."""

    def __init__(self, storage: StorageProvisioner, records: list[GenericResource]) -> None:
        self._storage = storage
        self._records = records

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._records:
            self._storage.release(self._storage.accounts_of(self._records))




def _registry_grants(scopes: tuple[str, ...], sub_id: str) -> set[tuple[str, str]]:
    """(group, registry) pairs, lower-cased, readable through a grant on the registry itself (or
    on something below it, such as its assets, which lets the caller see the registry)."""
    found = set()
    for scope in scopes:
        parsed = parse_scope(scope)
        parts = scope.strip("/").split("/")
        if (parsed.subscription_id == sub_id.lower() and parsed.resource_group and len(parts) >= 8
                and f"{parts[5]}/{parts[6]}".lower() == REGISTRY_TYPE.lower()):
            found.add((parsed.resource_group.lower(), parts[7].lower()))
    return found
