"""The in-memory unit of work: every repository of ``amlite.ports`` over plain dictionaries, with
the transaction semantics of the SQL store, so service rules are tested without a database.

A unit of work works on its own copy of the committed rows: what it changes is invisible to
others until ``commit`` publishes the copy, and leaving the ``with`` block without a commit (or by
an exception) discards it. Writers (``write=True``) hold one lock from start to end, as SQLite's
``BEGIN IMMEDIATE`` does, so two read-then-write use cases never interleave; a unit of work opened
for reading that changes rows and commits after another commit is refused with the same
``Conflict`` a racing SQL transaction gets. Unique names are checked as the SQL constraints do
and surface as that ``Conflict``. Rows that the SQL store reads through a join (a workspace's
subscription and group name) are joined here on every read too, so a re-pointed row reads the
way it would from the database. Repositories of the asset tables live in ``memory_assets``,
those of identity and access in ``memory_identity``, and each other area in a ``memory_*`` module
of its own.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from types import TracebackType

from amlite.domain.audit import AuditEntry
from amlite.domain.operations import Operation, OperationStatus
from amlite.domain.labeling import LabelingProject
from amlite.domain.private_endpoints import PrivateEndpointConnection
from amlite.domain.paging import Page
from amlite.domain.rbac import normalize_scope
from amlite.domain.registries import Registry
from amlite.domain.resources import Datastore, GenericResource, ResourceGroup, Subscription, Workspace
from amlite.domain.server_keys import StoredKey
from amlite.domain.tasks import Task, TaskState
from amlite.store.memory_computes import MemoryComputes, MemoryNodeSlots, drop_of_workspace
from amlite.store.memory_assets import MemoryAssetContainers, MemoryAssetVersions, replication_gaps
from amlite.store.memory_storage import MemoryStorageBlocks, MemoryStoragePaths
from amlite.store.memory_endpoints import MemoryOnlineEndpoints
from amlite.store.memory_jobs import MemoryJobs
from amlite.store.memory_policies import MemoryPolicyAssignments
from amlite.store.memory_connections import MemoryWorkspaceConnections, drop_connections_of_workspace
from amlite.store.memory_continuity import (
    MemoryRegionOutages, MemoryStandbyEndpoints, MemoryTemplateDeployments, MemoryWorkspacePairs,
)
from amlite.store.memory_identity import (
    MemoryAccessGeneration,
    MemoryGroupMembers,
    MemoryPrincipals,
    MemoryRoleAssignments,
    MemoryRoleDefinitions,
    MemoryTenants,
)
from amlite.store.memory_tx import Rows, Tx, page, unique


# -- subscriptions, groups, workspaces -------------------------------------------------------------


class MemorySubscriptions:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, sub: Subscription, created_at: datetime) -> None:
        unique(sub.id in self._tx.rows.subscriptions)
        self._tx.write().subscriptions[sub.id] = (sub, created_at)

    def get(self, sub_id: str) -> Subscription | None:
        found = self._tx.rows.subscriptions.get(sub_id.lower())
        return found[0] if found else None

    def list_for_tenant(self, tenant_id: str, ids: set[str] | None = None) -> list[Subscription]:
        wanted = None if ids is None else {i.lower() for i in ids}
        rows = sorted(self._tx.rows.subscriptions.values(), key=lambda r: r[1])
        return [sub for sub, _ in rows if sub.tenant_id == tenant_id and (wanted is None or sub.id in wanted)]

    def add_alias(self, alias: str, sub_id: str) -> None:
        unique(alias.lower() in self._tx.rows.aliases)
        self._tx.write().aliases[alias.lower()] = sub_id

    def by_alias(self, alias: str) -> Subscription | None:
        sub_id = self._tx.rows.aliases.get(alias.lower())
        return self.get(sub_id) if sub_id is not None else None


class MemoryProviderRegistrations:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def states(self, sub_id: str) -> dict[str, str]:
        return {ns: state for (sub, ns), state in self._tx.rows.providers.items() if sub == sub_id}

    def set_state(self, sub_id: str, namespace: str, state: str) -> None:
        self._tx.write().providers[(sub_id, namespace.lower())] = state


def _has_tag(tags: dict[str, str], tag: tuple[str, str | None]) -> bool:
    name, value = tag
    return any(key.lower() == name.lower() and (value is None or val == value) for key, val in tags.items())


class MemoryResourceGroups:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, rg: ResourceGroup) -> None:
        unique(rg.key in self._tx.rows.resource_groups or self.get(rg.subscription_id, rg.name) is not None)
        self._tx.write().resource_groups[rg.key] = rg

    def save(self, rg: ResourceGroup) -> None:
        if rg.key in self._tx.rows.resource_groups:
            self._tx.write().resource_groups[rg.key] = rg

    def get(self, sub_id: str, name: str) -> ResourceGroup | None:
        return next((rg for rg in self._tx.rows.resource_groups.values()
                     if rg.subscription_id == sub_id.lower() and rg.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> ResourceGroup | None:
        return self._tx.rows.resource_groups.get(key)

    def delete(self, key: str) -> None:
        rows = self._tx.write()
        rows.resource_groups.pop(key, None)
        for dep_key in [k for k, d in rows.template_deployments.items() if d.resource_group_key == key]:
            del rows.template_deployments[dep_key]  # ON DELETE CASCADE

    def list(self, sub_id: str, offset: int, limit: int, tag: tuple[str, str | None] | None = None,
             names: set[str] | None = None) -> Page[ResourceGroup]:
        found = [rg for rg in self._tx.rows.resource_groups.values() if rg.subscription_id == sub_id.lower()
                 and (names is None or rg.name.lower() in names) and (tag is None or _has_tag(rg.tags, tag))]
        return page(sorted(found, key=lambda rg: rg.name.lower()), offset, limit)


class MemoryGenericResources:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def _joined(self) -> Iterator[GenericResource]:
        groups = self._tx.rows.resource_groups
        for res in self._tx.rows.resources.values():
            rg = groups.get(res.resource_group_key)
            if rg is not None:
                yield replace(res, subscription_id=rg.subscription_id, resource_group_name=rg.name)

    def add(self, res: GenericResource) -> None:
        unique(res.key in self._tx.rows.resources or any(
            r.resource_group_key == res.resource_group_key and r.full_type.lower() == res.full_type.lower()
            and r.name.lower() == res.name.lower() for r in self._tx.rows.resources.values()))
        self._tx.write().resources[res.key] = res

    def save(self, res: GenericResource) -> None:
        found = self._tx.rows.resources.get(res.key)
        if found is not None:
            self._tx.write().resources[res.key] = replace(found, location=res.location, properties=res.properties)

    def in_group(self, rg_key: str) -> list[GenericResource]:
        return [r for r in self._joined() if r.resource_group_key == rg_key]

    def of_type(self, full_type: str) -> list[GenericResource]:
        return sorted((r for r in self._joined() if r.full_type.lower() == full_type.lower()), key=lambda r: r.key)

    def of_workspace(self, ws_key: str) -> list[GenericResource]:
        return [r for r in self._joined() if r.workspace_key == ws_key]

    def name_taken(self, full_type: str, name: str) -> bool:
        return any(r.full_type.lower() == full_type.lower() and r.name.lower() == name.lower()
                   for r in self._tx.rows.resources.values())

    def by_keys(self, keys: list[str]) -> dict[str, GenericResource]:
        wanted = set(keys)
        return {r.key: r for r in self._joined() if r.key in wanted}

    def storage_account_names(self) -> set[str]:
        return {r.name.lower() for r in self._tx.rows.resources.values()
                if r.full_type.lower() == "microsoft.storage/storageaccounts"}

    def delete(self, key: str) -> None:
        self._tx.write().resources.pop(key, None)

    def move_of_workspace(self, ws_key: str, rg_key: str, location: str | None = None) -> int:
        rows = self._tx.write().resources
        moving = [r for r in rows.values() if r.workspace_key == ws_key]
        for res in moving:
            rows[res.key] = replace(res, resource_group_key=rg_key, location=location or res.location)
        return len(moving)


class MemoryPrivateEndpointConnections:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, pec: PrivateEndpointConnection) -> None:
        unique(pec.key in self._tx.rows.private_endpoint_connections or self.get(pec.workspace_key, pec.name) is not None)
        self._tx.write().private_endpoint_connections[pec.key] = pec

    def save(self, pec: PrivateEndpointConnection) -> None:
        if pec.key in self._tx.rows.private_endpoint_connections:
            self._tx.write().private_endpoint_connections[pec.key] = pec

    def get(self, ws_key: str, name: str) -> PrivateEndpointConnection | None:
        return next((p for p in self._tx.rows.private_endpoint_connections.values()
                     if p.workspace_key == ws_key and p.name.lower() == name.lower()), None)

    def of_workspace(self, ws_key: str) -> list[PrivateEndpointConnection]:
        return sorted((p for p in self._tx.rows.private_endpoint_connections.values() if p.workspace_key == ws_key),
                      key=lambda p: p.name.lower())

    def delete(self, key: str) -> None:
        self._tx.write().private_endpoint_connections.pop(key, None)


class MemoryLabelingProjects:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, project: LabelingProject) -> None:
        unique(project.key in self._tx.rows.labeling_projects
               or self.get(project.workspace_key, project.name) is not None)
        self._tx.write().labeling_projects[project.key] = project

    def save(self, project: LabelingProject) -> None:
        if project.key in self._tx.rows.labeling_projects:
            self._tx.write().labeling_projects[project.key] = project

    def get(self, ws_key: str, name: str) -> LabelingProject | None:
        return next((p for p in self._tx.rows.labeling_projects.values()
                     if p.workspace_key == ws_key and p.name.lower() == name.lower()), None)

    def of_workspace(self, ws_key: str) -> list[LabelingProject]:
        return sorted((p for p in self._tx.rows.labeling_projects.values() if p.workspace_key == ws_key),
                      key=lambda p: p.name.lower())

    def delete(self, key: str) -> None:
        self._tx.write().labeling_projects.pop(key, None)


class MemoryWorkspaces:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def _joined(self, deleted: bool | None = False) -> Iterator[tuple[ResourceGroup, Workspace]]:
        """Each workspace with its group's current ids (the SQL store joins them on every read):
        the live ones, the soft-deleted ones (``deleted=True``) or both (``None``)."""
        groups = self._tx.rows.resource_groups
        for ws in self._tx.rows.workspaces.values():
            rg = groups.get(ws.resource_group_key)
            if rg is not None and (deleted is None or (ws.soft_delete is not None) == deleted):
                yield rg, replace(ws, subscription_id=rg.subscription_id, resource_group_name=rg.name)

    def add(self, ws: Workspace) -> None:
        unique(ws.key in self._tx.rows.workspaces or any(
            (w.resource_group_key == ws.resource_group_key and w.name.lower() == ws.name.lower())
            or w.workspace_id == ws.workspace_id for w in self._tx.rows.workspaces.values()))
        self._tx.write().workspaces[ws.key] = ws

    def save(self, ws: Workspace) -> None:
        if ws.key in self._tx.rows.workspaces:
            self._tx.write().workspaces[ws.key] = ws

    def get(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        return next((ws for rg, ws in self._joined() if rg.subscription_id == sub_id.lower()
                     and rg.name.lower() == rg_name.lower() and ws.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> Workspace | None:
        return next((ws for _, ws in self._joined() if ws.key == key), None)

    def any_by_key(self, key: str) -> Workspace | None:
        return next((ws for _, ws in self._joined(None) if ws.key == key), None)

    def by_workspace_id(self, workspace_id: str) -> Workspace | None:
        return next((ws for _, ws in self._joined() if ws.workspace_id == workspace_id.lower()), None)

    def deleted_get(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        return next((ws for rg, ws in self._joined(True) if rg.subscription_id == sub_id.lower()
                     and rg.name.lower() == rg_name.lower() and ws.name.lower() == name.lower()), None)

    def list_deleted(self, sub_id: str, offset: int, limit: int) -> Page[Workspace]:
        found = [ws for rg, ws in self._joined(True) if rg.subscription_id == sub_id.lower()]
        return page(sorted(found, key=lambda ws: (ws.resource_group_name.lower(), ws.name.lower())), offset, limit)

    def purge_due(self, now: datetime, limit: int) -> list[Workspace]:
        found = [ws for _, ws in self._joined(True) if ws.soft_delete is not None and ws.soft_delete.due(now)]
        return sorted(found, key=lambda ws: ws.soft_delete.purge_at if ws.soft_delete else now)[:limit]

    def list_in_group(self, rg_key: str, offset: int, limit: int, names: set[str] | None = None,
                      include_deleted: bool = False) -> Page[Workspace]:
        found = [ws for _, ws in self._joined(None if include_deleted else False)
                 if ws.resource_group_key == rg_key and (names is None or ws.name.lower() in names)]
        return page(sorted(found, key=lambda ws: ws.name.lower()), offset, limit)

    def list_in_subscription(self, sub_id: str, offset: int, limit: int, groups: set[str] | None = None,
                             pairs: set[tuple[str, str]] | None = None) -> Page[Workspace]:
        found = [ws for rg, ws in self._joined() if rg.subscription_id == sub_id.lower()
                 and _visible(rg.name.lower(), ws.name.lower(), groups, pairs)]
        return page(sorted(found, key=lambda ws: (ws.resource_group_name.lower(), ws.name.lower())), offset, limit)

    def names_in_group(self, rg_key: str) -> list[str]:
        return sorted((ws.name for ws in self._tx.rows.workspaces.values()
                       if ws.resource_group_key == rg_key and ws.soft_delete is None), key=str.lower)

    def count_in_subscription(self, sub_id: str) -> int:
        return sum(rg.subscription_id == sub_id.lower() for rg, _ in self._joined())

    def projects_of(self, hub_key: str, include_deleted: bool = False) -> list[Workspace]:
        return sorted((ws for _, ws in self._joined(None if include_deleted else False) if ws.hub_key == hub_key),
                      key=lambda ws: ws.name.lower())

    def delete(self, key: str) -> None:
        drop_of_workspace(self._tx, key)
        drop_connections_of_workspace(self._tx, key)
        rows = self._tx.write()
        rows.workspaces.pop(key, None)
        for former in [k for k, f in rows.workspace_former_ids.items() if f[0] == key]:
            del rows.workspace_former_ids[former]
        for pec in [k for k, p in rows.private_endpoint_connections.items() if p.workspace_key == key]:
            del rows.private_endpoint_connections[pec]
        for project in [k for k, p in rows.labeling_projects.items() if p.workspace_key == key]:
            del rows.labeling_projects[project]
        for pair in [k for k, p in rows.workspace_pairs.items() if key in (p.primary_key, p.secondary_key)]:
            del rows.workspace_pairs[pair]  # the SQL table's foreign keys cascade
            for standby in [k for k, s in rows.standby_endpoints.items() if s.pair_key == pair]:
                del rows.standby_endpoints[standby]

    def add_former_id(self, key: str, ws_key: str, sub_id: str, rg_name: str, name: str, at: datetime) -> None:
        self._tx.write().workspace_former_ids[key] = (ws_key, sub_id.lower(), rg_name.lower(), name.lower(), at)

    def by_former_id(self, sub_id: str, rg_name: str, name: str) -> Workspace | None:
        wanted = (sub_id.lower(), rg_name.lower(), name.lower())
        found = sorted((f for f in self._tx.rows.workspace_former_ids.values() if f[1:4] == wanted),
                       key=lambda f: f[4], reverse=True)
        return self.by_key(found[0][0]) if found else None


def _visible(group: str, name: str, groups: set[str] | None, pairs: set[tuple[str, str]] | None) -> bool:
    """The ``groups``/``pairs`` filter of a subscription's listing (``None`` for both: everything)."""
    if groups is None and pairs is None:
        return True
    return group in (groups or set()) or (group, name) in (pairs or set())


class MemoryRegistries:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def _joined(self, deleted: bool | None = False) -> Iterator[tuple[ResourceGroup, Registry]]:
        """Live registries, soft-deleted ones (``deleted=True``) or both (``None``)."""
        groups = self._tx.rows.resource_groups
        for reg in self._tx.rows.registries.values():
            rg = groups.get(reg.resource_group_key)
            if rg is not None and (deleted is None or (reg.soft_delete is not None) == deleted):
                yield rg, replace(reg, subscription_id=rg.subscription_id, resource_group_name=rg.name)

    def add(self, reg: Registry) -> None:
        unique(reg.key in self._tx.rows.registries or any(
            (r.tenant_id == reg.tenant_id and r.name.lower() == reg.name.lower()) or r.registry_id == reg.registry_id
            for r in self._tx.rows.registries.values()))
        self._tx.write().registries[reg.key] = replace(reg, regions=tuple(sorted(reg.regions, key=lambda r: r.position)))

    def save(self, reg: Registry) -> None:
        """As the SQL store: regions already stored stay as they are, new ones are added, the
        others removed."""
        stored = self._tx.rows.registries.get(reg.key)
        if stored is None:
            return
        kept = {r.region: r for r in stored.regions}
        regions = [kept.get(r.region, r) for r in reg.regions]
        self._tx.write().registries[reg.key] = replace(
            reg, tenant_id=stored.tenant_id, regions=tuple(sorted(regions, key=lambda r: r.position)))

    def get(self, sub_id: str, rg_name: str, name: str) -> Registry | None:
        return next((reg for rg, reg in self._joined() if rg.subscription_id == sub_id.lower()
                     and rg.name.lower() == rg_name.lower() and reg.name.lower() == name.lower()), None)

    def by_name(self, tenant_id: str, name: str) -> Registry | None:
        return next((reg for _, reg in self._joined()
                     if reg.tenant_id == tenant_id and reg.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> Registry | None:
        return next((reg for _, reg in self._joined() if reg.key == key), None)

    def any_by_key(self, key: str) -> Registry | None:
        return next((reg for _, reg in self._joined(None) if reg.key == key), None)

    def deleted_by_name(self, tenant_id: str, name: str) -> Registry | None:
        return next((reg for _, reg in self._joined(True)
                     if reg.tenant_id == tenant_id and reg.name.lower() == name.lower()), None)

    def list_deleted(self, sub_id: str, offset: int, limit: int) -> Page[Registry]:
        found = [reg for rg, reg in self._joined(True) if rg.subscription_id == sub_id.lower()]
        return page(sorted(found, key=lambda reg: (reg.resource_group_name.lower(), reg.name.lower())), offset, limit)

    def purge_due(self, now: datetime, limit: int) -> list[Registry]:
        found = [reg for _, reg in self._joined(True) if reg.soft_delete is not None and reg.soft_delete.due(now)]
        return sorted(found, key=lambda reg: reg.soft_delete.purge_at if reg.soft_delete else now)[:limit]

    def list_in_group(self, rg_key: str, offset: int, limit: int, names: set[str] | None = None,
                      include_deleted: bool = False) -> Page[Registry]:
        found = [reg for _, reg in self._joined(None if include_deleted else False)
                 if reg.resource_group_key == rg_key and (names is None or reg.name.lower() in names)]
        return page(sorted(found, key=lambda reg: reg.name.lower()), offset, limit)

    def list_in_subscription(self, sub_id: str, offset: int, limit: int, groups: set[str] | None = None,
                             pairs: set[tuple[str, str]] | None = None) -> Page[Registry]:
        found = [reg for rg, reg in self._joined() if rg.subscription_id == sub_id.lower()
                 and _visible(rg.name.lower(), reg.name.lower(), groups, pairs)]
        return page(sorted(found, key=lambda reg: (reg.resource_group_name.lower(), reg.name.lower())), offset, limit)

    def names_in_group(self, rg_key: str) -> list[str]:
        return sorted((reg.name for reg in self._tx.rows.registries.values()
                       if reg.resource_group_key == rg_key and reg.soft_delete is None), key=str.lower)

    def count_in_subscription(self, sub_id: str) -> int:
        return sum(rg.subscription_id == sub_id.lower() for rg, _ in self._joined())

    def all_keys(self) -> list[str]:
        return list(self._tx.rows.registries)

    def delete(self, key: str) -> None:
        self._tx.write().registries.pop(key, None)


class MemoryDatastores:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, ds: Datastore) -> None:
        unique(ds.key in self._tx.rows.datastores or self.get(ds.workspace_key, ds.name) is not None)
        self._tx.write().datastores[ds.key] = ds

    def save(self, ds: Datastore) -> None:
        if ds.key in self._tx.rows.datastores:
            self._tx.write().datastores[ds.key] = ds

    def get(self, ws_key: str, name: str) -> Datastore | None:
        return next((ds for ds in self._tx.rows.datastores.values()
                     if ds.workspace_key == ws_key and ds.name.lower() == name.lower()), None)

    def of_workspace(self, ws_key: str) -> list[Datastore]:
        return sorted((ds for ds in self._tx.rows.datastores.values() if ds.workspace_key == ws_key),
                      key=lambda ds: ds.name.lower())

    def delete(self, key: str) -> None:
        self._tx.write().datastores.pop(key, None)

    def delete_of_workspace(self, ws_key: str) -> None:
        rows = self._tx.write()
        rows.datastores = {k: ds for k, ds in rows.datastores.items() if ds.workspace_key != ws_key}

    def list(self, ws_key: str, offset: int, limit: int) -> Page[Datastore]:
        return page(self.of_workspace(ws_key), offset, limit)


# -- background work, secrets, operations, audit, keys -------------------------------------------


class MemoryTasks:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add_missing(self, tasks: list[Task]) -> int:
        """Add the tasks whose ``dedupe_key`` has none yet; returns how many were new."""
        added = 0
        for task in tasks:
            rows = self._tx.rows
            if task.key in rows.tasks or any(t.dedupe_key == task.dedupe_key for t in rows.tasks.values()):
                continue
            self._tx.write().tasks[task.key] = task
            added += 1
        return added

    def save(self, task: Task) -> None:
        if task.key in self._tx.rows.tasks:
            self._tx.write().tasks[task.key] = task

    def get(self, key: str) -> Task | None:
        return self._tx.rows.tasks.get(key)

    def next_due(self, now: datetime, kinds: list[str]) -> Task | None:
        due = [t for t in self._tx.rows.tasks.values() if t.kind in kinds and t.is_due(now)]
        return min(due, key=lambda t: t.updated_at) if due else None

    def next_event_at(self, kinds: list[str]) -> datetime | None:
        times = [t.next_run_at if t.state is TaskState.PENDING else t.lease_expires_at
                 for t in self._tx.rows.tasks.values()
                 if t.kind in kinds and t.state in (TaskState.PENDING, TaskState.RUNNING)]
        known = [time for time in times if time is not None]
        return min(known) if known else None

    def of_subjects(self, kind: str, subject_keys: list[str]) -> dict[str, list[Task]]:
        found: dict[str, list[Task]] = {key: [] for key in subject_keys}
        for task in self._tx.rows.tasks.values():
            if task.kind == kind and task.subject_key in found:
                found[task.subject_key].append(task)
        return found

    def dedupe_keys_in_scope(self, kind: str, scope_key: str) -> set[str]:
        return {t.dedupe_key for t in self._tx.rows.tasks.values() if t.kind == kind and t.scope_key == scope_key}

    def count_by_state(self, kind: str, scope_key: str | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for task in self._tx.rows.tasks.values():
            if task.kind == kind and (scope_key is None or task.scope_key == scope_key):
                counts[task.state.value] = counts.get(task.state.value, 0) + 1
        return counts

    def missing_copies(self) -> list[tuple[str, str, str]]:
        """As the SQL store's anti-join: (registry key, version key, region) of every copy a
        registry's versions lack."""
        return replication_gaps(self._tx.rows.registries, self._tx.rows.registry_assets, self._tx.rows.tasks)[0]

    def delete_unwanted_copies(self) -> int:
        unwanted = replication_gaps(self._tx.rows.registries, self._tx.rows.registry_assets, self._tx.rows.tasks)[1]
        return self._delete_where(lambda t: t.key in unwanted)

    def delete(self, key: str) -> None:
        self._tx.write().tasks.pop(key, None)

    def delete_by_dedupe_keys(self, keys: list[str]) -> int:
        wanted = set(keys)
        return self._delete_where(lambda t: t.dedupe_key in wanted)

    def forget_succeeded(self, keys: list[str]) -> int:
        wanted = set(keys)
        return self._delete_where(lambda t: t.dedupe_key in wanted and t.state is TaskState.SUCCEEDED)

    def unfinished(self, kind: str) -> list[Task]:
        return [t for t in self._tx.rows.tasks.values()
                if t.kind == kind and t.state in (TaskState.PENDING, TaskState.FAILED)]

    def delete_scope(self, kind: str, scope_key: str) -> int:
        return self._delete_where(lambda t: t.kind == kind and t.scope_key == scope_key)

    def release_leases(self) -> int:
        held = [t for t in self._tx.rows.tasks.values() if t.state is TaskState.RUNNING and t.lease_owner is not None]
        for task in held:
            self._tx.write().tasks[task.key] = task.released()
        return len(held)

    def _delete_where(self, doomed: Callable[[Task], bool]) -> int:
        keys = [key for key, task in self._tx.rows.tasks.items() if doomed(task)]
        rows = self._tx.write()
        for key in keys:
            del rows.tasks[key]
        return len(keys)


class MemorySecrets:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def put(self, key: str, ws_key: str, name: str, ciphertext: str, at: datetime) -> None:
        self._tx.write().secrets[(ws_key, name.lower())] = ciphertext

    def get(self, ws_key: str, name: str) -> str | None:
        return self._tx.rows.secrets.get((ws_key, name.lower()))

    def delete(self, ws_key: str, name: str) -> None:
        self._tx.write().secrets.pop((ws_key, name.lower()), None)


class MemoryOperations:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, op: Operation) -> None:
        unique(op.id in self._tx.rows.operations)
        self._tx.write().operations[op.id] = op

    def save(self, op: Operation) -> None:
        if op.id in self._tx.rows.operations:
            self._tx.write().operations[op.id] = op

    def get(self, op_id: str) -> Operation | None:
        return self._tx.rows.operations.get(op_id.lower())

    def open_for_target(self, target_key: str) -> Operation | None:
        return next((op for op in self._tx.rows.operations.values()
                     if op.target_key == target_key and op.status is OperationStatus.IN_PROGRESS), None)


class MemoryAuditLog:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def append(self, entry: AuditEntry) -> None:
        self._tx.write().audit.append(entry)

    def query(
        self, tenant_id: str, *, scope: str | None = None, subscription_id: str | None = None,
        resource_group: str | None = None, since: datetime | None = None, until: datetime | None = None,
        caller: str | None = None, limit: int = 1000, offset: int = 0, visible_scopes: list[str] | None = None,
        correlation_id: str | None = None,
    ) -> list[AuditEntry]:
        def at_or_below(entry: AuditEntry, where: str) -> bool:
            norm, own = normalize_scope(where), normalize_scope(entry.scope)
            return own == norm or own.startswith(norm + "/")

        def wanted(e: AuditEntry) -> bool:
            group = e.resource_group
            return (e.tenant_id == tenant_id
                    and (scope is None or normalize_scope(scope) == "/" or at_or_below(e, scope))
                    and (visible_scopes is None or any(at_or_below(e, s) for s in visible_scopes))
                    and (subscription_id is None or e.subscription_id == subscription_id.lower())
                    and (resource_group is None or (group or "").lower() == resource_group.lower() and group is not None)
                    and (since is None or e.at >= since) and (until is None or e.at <= until)
                    and (correlation_id is None or e.correlation_id == correlation_id)
                    and (caller is None or e.principal_name.lower() == caller.lower()
                         or e.principal_id == caller.lower()))

        found = sorted((e for e in self._tx.rows.audit if wanted(e)), key=lambda e: e.id)
        found.sort(key=lambda e: e.at, reverse=True)
        return found[offset: offset + limit]


class MemoryServerKeys:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, name: str) -> StoredKey | None:
        return self._tx.rows.server_keys.get(name)

    def add(self, key: StoredKey, at: datetime) -> None:
        unique(key.name in self._tx.rows.server_keys)
        self._tx.write().server_keys[key.name] = key

    def save(self, key: StoredKey, at: datetime) -> None:
        if key.name in self._tx.rows.server_keys:
            self._tx.write().server_keys[key.name] = key


class InMemoryUnitOfWork:
    """One transaction over a private copy of the rows (see the module's docstring)."""

    def __init__(self, store: "InMemoryUnitOfWorkFactory", *, write: bool) -> None:
        self._store = store
        self._write = write
        self._done = False

    def __enter__(self) -> "InMemoryUnitOfWork":
        if self._write:
            self._store.writer.acquire()
        self._base, rows = self._store.snapshot()
        self._tx = tx = Tx(rows)
        self.tenants = MemoryTenants(tx)
        self.principals = MemoryPrincipals(tx)
        self.group_members = MemoryGroupMembers(tx)
        self.role_assignments = MemoryRoleAssignments(tx)
        self.role_definitions = MemoryRoleDefinitions(tx)
        self.access_generation = MemoryAccessGeneration(tx)
        self.subscriptions = MemorySubscriptions(tx)
        self.providers = MemoryProviderRegistrations(tx)
        self.resource_groups = MemoryResourceGroups(tx)
        self.resources = MemoryGenericResources(tx)
        self.workspaces = MemoryWorkspaces(tx)
        self.registries = MemoryRegistries(tx)
        self.datastores = MemoryDatastores(tx)
        self.private_endpoint_connections = MemoryPrivateEndpointConnections(tx)
        self.labeling_projects = MemoryLabelingProjects(tx)
        self.asset_containers = MemoryAssetContainers(tx, workspace=True)
        self.asset_versions = MemoryAssetVersions(tx, workspace=True)
        self.registry_asset_containers = MemoryAssetContainers(tx, workspace=False)
        self.registry_asset_versions = MemoryAssetVersions(tx, workspace=False)
        self.tasks = MemoryTasks(tx)
        self.computes = MemoryComputes(tx)
        self.node_slots = MemoryNodeSlots(tx)
        self.secrets = MemorySecrets(tx)
        self.operations = MemoryOperations(tx)
        self.audit = MemoryAuditLog(tx)
        self.server_keys = MemoryServerKeys(tx)
        self.region_outages = MemoryRegionOutages(tx)
        self.workspace_pairs = MemoryWorkspacePairs(tx)
        self.standby_endpoints = MemoryStandbyEndpoints(tx)
        self.storage_paths = MemoryStoragePaths(tx)
        self.storage_blocks = MemoryStorageBlocks(tx)
        self.online_endpoints = MemoryOnlineEndpoints(tx)
        self.jobs = MemoryJobs(tx)
        self.policy_assignments = MemoryPolicyAssignments(tx)
        self.workspace_connections = MemoryWorkspaceConnections(tx)
        self.template_deployments = MemoryTemplateDeployments(tx)
        return self

    def hold_provisioning_lock(self) -> None:
        """Nothing sweeps storage behind an in-memory store: there is no other server to wait for."""

    def commit(self) -> None:
        if self._done:
            raise RuntimeError("this unit of work has already been committed")
        if self._tx.dirty:
            self._store.publish(self._base, self._tx.rows, holding_writer=self._write)
        self._done = True

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._write:
            self._store.writer.release()


class InMemoryUnitOfWorkFactory:
    """The committed rows, shared by every unit of work it opens (one per test, or per fake server)."""

    def __init__(self) -> None:
        self._rows = Rows()
        self._version = 0
        self._lock = threading.Lock()  # guards _rows and _version for a moment
        self.writer = threading.RLock()  # held by a write unit of work from start to end

    def __call__(self, *, write: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self, write=write)

    def snapshot(self) -> tuple[int, Rows]:
        with self._lock:
            return self._version, copy.deepcopy(self._rows)

    def publish(self, base: int, rows: Rows, *, holding_writer: bool) -> None:
        """Make ``rows`` the committed state; a reader's changes on a state committed over since
        it started are refused, as a serialization failure would be."""
        with self._guard(holding_writer), self._lock:
            unique(self._version != base)
            self._rows = copy.deepcopy(rows)
            self._version += 1

    @contextmanager
    def _guard(self, holding: bool) -> Iterator[None]:
        if holding:
            yield
            return
        with self.writer:
            yield
