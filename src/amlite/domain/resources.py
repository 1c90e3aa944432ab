"""The resource model: tenants, subscriptions, resource groups, workspaces and their parts.

Every object has a surrogate ``key`` (a UUID) that never changes; names and ARM ids are unique but
are not keys, so that a move rewrites one parent pointer instead of every row below it. ARM ids are
built from the current parents, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from amlite.domain.providers import ML_NAMESPACE

WORKSPACE_TYPE = f"{ML_NAMESPACE}/workspaces"


class PrincipalKind(str, Enum):
    USER = "User"
    SERVICE_PRINCIPAL = "ServicePrincipal"
    GROUP = "Group"


class WorkspaceKind(str, Enum):
    DEFAULT = "Default"
    HUB = "Hub"
    PROJECT = "Project"

    @classmethod
    def parse(cls, value: str) -> "WorkspaceKind | None":
        for kind in cls:
            if kind.value.lower() == value.lower():
                return kind
        return None


class ProvisioningState(str, Enum):
    SUCCEEDED = "Succeeded"
    DELETING = "Deleting"
    FAILED = "Failed"
    MOVING = "Moving"  # a workspace between validateMoveResources' go-ahead and its move's commit


@dataclass(frozen=True)
class SoftDelete:
    """A soft-deleted resource's state: hidden from reads and lists, its name still reserved,
    recoverable until ``purge_at``, when it is purged (at once with ``forceToPurge``)."""

    deleted_at: datetime
    purge_at: datetime
    delete_dependents: bool = False

    def due(self, now: datetime) -> bool:
        return self.purge_at <= now


@dataclass(frozen=True)
class Tenant:
    id: str
    display_name: str
    default_domain: str


@dataclass(frozen=True)
class Principal:
    """A user, service principal or group; ``id`` is the object id (``oid`` in tokens)."""

    id: str
    tenant_id: str
    kind: PrincipalKind
    display_name: str
    user_principal_name: str | None = None
    app_id: str | None = None
    secret_hash: str | None = None
    created_at: datetime | None = None

    @property
    def sign_in_name(self) -> str:
        return self.user_principal_name or self.app_id or self.id


@dataclass(frozen=True)
class Subscription:
    id: str
    tenant_id: str
    display_name: str
    state: str = "Enabled"

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{self.id}"


@dataclass(frozen=True)
class AuditStamp:
    """ARM ``systemData``: who made and last changed a resource, and when."""

    created_by: str
    created_by_type: str
    created_at: datetime
    modified_by: str
    modified_by_type: str
    modified_at: datetime

    def touched(self, by: str, by_type: str, at: datetime) -> "AuditStamp":
        return replace(self, modified_by=by, modified_by_type=by_type, modified_at=at)


@dataclass(frozen=True)
class ResourceGroup:
    key: str
    subscription_id: str
    name: str
    location: str
    tags: dict[str, str]
    etag: str
    stamp: AuditStamp
    managed_by: str | None = None
    provisioning_state: ProvisioningState = ProvisioningState.SUCCEEDED

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(frozen=True)
class GenericResource:
    """A resource in a group that amlite keeps as a record: a workspace's storage account, key
    vault, container registry or telemetry component."""

    key: str
    resource_group_key: str
    subscription_id: str
    resource_group_name: str
    namespace: str
    type: str
    name: str
    location: str
    properties: dict[str, Any]
    workspace_key: str | None = None

    @property
    def full_type(self) -> str:
        return f"{self.namespace}/{self.type}"

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"
            f"/providers/{self.namespace}/{self.type}/{self.name}"
        )


@dataclass(frozen=True)
class Workspace:
    key: str
    resource_group_key: str
    subscription_id: str
    resource_group_name: str
    name: str
    kind: WorkspaceKind
    location: str
    workspace_id: str
    tags: dict[str, str]
    etag: str
    stamp: AuditStamp
    friendly_name: str = ""
    description: str = ""
    identity_principal_id: str = ""
    provisioning_state: ProvisioningState = ProvisioningState.SUCCEEDED
    # Keys of the associated resources (``resources`` rows), by role: storageAccount, keyVault, ...
    # A project holds only what it overrides (``domain.hubs.OVERRIDABLE``); the rest is its hub's.
    associated: dict[str, str] = field(default_factory=dict)
    # A project's hub (the hub's ``key``); None for Default workspaces and hubs. Everything a
    # project inherits is read through this pointer (``domain.hubs.effective``), never copied.
    hub_key: str | None = None
    # A hub's or Default workspace's own settings (``domain.hubs``: publicNetworkAccess,
    # managedNetwork, encryption, defaultWorkspaceResourceGroup); empty for a project.
    settings: dict[str, Any] = field(default_factory=dict)
    # Soft delete: when it was deleted, when its retention ends (then it is purged), and whether
    # the purge also removes its associated resources (``deleteDependentResources`` at delete).
    soft_delete: SoftDelete | None = None

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"
            f"/providers/{WORKSPACE_TYPE}/{self.name}"
        )


@dataclass(frozen=True)
class Datastore:
    """Where a workspace's data lives.

    ``subscription_id`` and ``resource_group_name`` are those of the storage account when the
    user named them; ``None`` means the account sits with its workspace, whose current ids are
    shown (``storage_ids``). No copy of the workspace's own ids is kept, so re-rooting a workspace
    changes no datastore row; a move that leaves the storage behind pins the old ids here."""

    key: str
    workspace_key: str
    name: str
    datastore_type: str
    account_name: str
    container_name: str
    endpoint: str
    protocol: str
    subscription_id: str | None
    resource_group_name: str | None
    is_default: bool
    created_at: datetime
    # "AccountKey", "Sas" or "None"; the secret itself is in the workspace's secret namespace
    # under ``secret_name`` and is never part of this object.
    credentials_type: str = "None"
    secret_name: str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def secret_name_for(name: str) -> str:
        """Where a datastore's secret sits in its workspace's secret namespace."""
        return f"datastores--{name.lower()}"

    @property
    def served_by_amlite(self) -> bool:
        """The workspace's own blob storage (its default datastore), whose account amlite serves
        itself: its secret is a SAS amlite signs on request (``listSecrets``), not a stored one."""
        return self.is_default and self.datastore_type == "AzureBlob" and self.secret_name is None

    def storage_ids(self, workspace: Workspace) -> tuple[str, str]:
        """The storage account's subscription and resource group, as shown to clients."""
        return (self.subscription_id or workspace.subscription_id,
                self.resource_group_name or workspace.resource_group_name)
