"""The rows of the in-memory store and a unit of work's handle on its copy of them (``memory``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from amlite.domain.assets import AssetContainer, AssetVersion
from amlite.domain.audit import AuditEntry
from amlite.domain.computes import Compute, NodeSlot
from amlite.domain.connections import WorkspaceConnection
from amlite.domain.errors import Conflict
from amlite.domain.jobs import Job
from amlite.domain.operations import Operation
from amlite.domain.paging import Page
from amlite.domain.policies import PolicyAssignment
from amlite.domain.rbac import RoleAssignment, RoleDefinition
from amlite.domain.registries import Registry
from amlite.domain.resources import (
    Datastore,
    GenericResource,
    Principal,
    ResourceGroup,
    Subscription,
    Tenant,
    Workspace,
)
from amlite.domain.outages import RegionOutage
from amlite.domain.pairs import WorkspacePair
from amlite.domain.warm_endpoints import StandbyEndpoint
from amlite.domain.server_keys import StoredKey
from amlite.domain.storage_paths import StagedBlock, StoredPath
from amlite.domain.tasks import Task

T = TypeVar("T")


@dataclass
class AssetTable:
    """One owner type's asset containers and versions, by key."""

    containers: dict[str, AssetContainer] = field(default_factory=dict)
    versions: dict[str, AssetVersion] = field(default_factory=dict)


@dataclass
class Rows:
    """Every table, as the committed state or a unit of work's private copy of it."""

    tenants: dict[str, tuple[Tenant, object]] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    group_members: set[tuple[str, str]] = field(default_factory=set)
    role_assignments: dict[str, tuple[str, RoleAssignment]] = field(default_factory=dict)
    role_definitions: dict[str, tuple[str, RoleDefinition]] = field(default_factory=dict)
    subscriptions: dict[str, tuple[Subscription, datetime]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    providers: dict[tuple[str, str], str] = field(default_factory=dict)
    resource_groups: dict[str, ResourceGroup] = field(default_factory=dict)
    resources: dict[str, GenericResource] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    # key -> (workspace key, subscription id, group, name (lower-cased), moved at): ids before a move
    workspace_former_ids: dict[str, tuple[str, str, str, str, datetime]] = field(default_factory=dict)
    registries: dict[str, Registry] = field(default_factory=dict)
    datastores: dict[str, Datastore] = field(default_factory=dict)
    private_endpoint_connections: dict[str, Any] = field(default_factory=dict)
    labeling_projects: dict[str, Any] = field(default_factory=dict)
    workspace_assets: AssetTable = field(default_factory=AssetTable)
    registry_assets: AssetTable = field(default_factory=AssetTable)
    tasks: dict[str, Task] = field(default_factory=dict)
    secrets: dict[tuple[str, str], str] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    server_keys: dict[str, StoredKey] = field(default_factory=dict)
    region_outages: dict[str, RegionOutage] = field(default_factory=dict)
    workspace_pairs: dict[str, WorkspacePair] = field(default_factory=dict)
    standby_endpoints: dict[str, StandbyEndpoint] = field(default_factory=dict)
    storage_paths: dict[tuple[str, str, str], StoredPath] = field(default_factory=dict)
    storage_blocks: dict[tuple[str, str, str], dict[str, StagedBlock]] = field(default_factory=dict)
    computes: dict[str, Compute] = field(default_factory=dict)
    node_slots: dict[str, NodeSlot] = field(default_factory=dict)
    workspace_quotas: dict[tuple[str, str], int] = field(default_factory=dict)  # (workspace key, family) -> vCPUs
    online_endpoints: dict[str, Any] = field(default_factory=dict)
    online_deployments: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    policy_assignments: dict[str, PolicyAssignment] = field(default_factory=dict)
    workspace_connections: dict[str, WorkspaceConnection] = field(default_factory=dict)
    template_deployments: dict[str, Any] = field(default_factory=dict)
    # Grows with every change to what access decisions read, region outages included (the SQL
    # store's ``access_generation``).
    access_generation: int = 0


class Tx:
    """A unit of work's copy of the rows; ``write()`` marks it changed."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.dirty = False

    def write(self) -> Rows:
        self.dirty = True
        return self.rows

    def write_access(self) -> Rows:
        """``write()`` for a change to what access decisions read: it bumps the generation too."""
        rows = self.write()
        rows.access_generation += 1
        return rows


def unique(taken: bool) -> None:
    """A unique constraint fired: the user's conflict, as the SQL unit of work reports it."""
    if taken:
        raise Conflict(code="Conflict",
                       message="Another request changed the same resource at the same time; retry the request.")


def page(items: list[T], offset: int, limit: int) -> Page[T]:
    window = items[offset: offset + limit + 1]
    return Page(items=window[:limit], more=len(window) > limit)


