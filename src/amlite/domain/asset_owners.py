"""Who owns an asset container: a workspace or a registry.

Assets have one set of rules whoever owns them (names, versions, immutable content, ``@latest``,
archiving); what differs is only where they sit: the owner's ARM id (``{ws}/models/m`` or
``{reg}/models/m``), the store its files live in (the workspace's default storage, or the
registry's primary region), the URI an uploaded version's files get, and — for a registry — the
regions its versions are replicated to. ``AssetOwner`` carries exactly that, so the asset use
cases are written once against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from amlite.domain.assets import AssetKind
from amlite.domain.providers import ML_NAMESPACE


class OwnerType(str, Enum):
    """The ARM segment under ``Microsoft.MachineLearningServices`` that owns assets."""

    WORKSPACE = "workspaces"
    REGISTRY = "registries"


@dataclass(frozen=True)
class RegionStorage:
    """One replication region of a registry and the storage area its blobs live in there."""

    region: str
    account: str
    container: str


@dataclass(frozen=True)
class AssetOwner:
    """A workspace or a registry, as the asset use cases need to see it."""

    type: OwnerType
    key: str
    name: str
    subscription_id: str
    resource_group_name: str
    location: str  # a workspace's region; a registry's primary region
    writable: bool = True
    regions: tuple[RegionStorage, ...] = field(default_factory=tuple)  # registries only
    # A project's containers in its hub's shared storage all start with this (its workspace GUID);
    # empty for every other owner, whose storage is its own.
    storage_prefix: str = ""

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"
                f"/providers/{ML_NAMESPACE}/{self.type.value}/{self.name}")

    @property
    def is_registry(self) -> bool:
        return self.type is OwnerType.REGISTRY

    @property
    def label(self) -> str:
        """The owner's kind as messages name it: "workspace" or "registry"."""
        return "registry" if self.is_registry else "workspace"

    @property
    def replicated(self) -> bool:
        """Whether its versions are copied to other regions (a registry's are, with a task per
        region; a workspace's files stay in its one storage)."""
        return bool(self.regions)

    @property
    def resource_type(self) -> str:
        return f"{ML_NAMESPACE}/{self.type.value}"

    def region(self, name: str) -> RegionStorage | None:
        low = name.replace(" ", "").lower()
        return next((r for r in self.regions if r.region.lower() == low), None)

    @property
    def primary(self) -> RegionStorage:
        found = self.region(self.location)
        assert found is not None, "a registry's primary region is always one of its regions"
        return found

    @property
    def replica_regions(self) -> tuple[str, ...]:
        """The regions a registry version is copied to: every region but the primary."""
        return tuple(r.region for r in self.regions if r.region.lower() != self.location.lower())

    def files_uri(self, kind: AssetKind, name: str, version: str) -> str:
        """Where an uploaded version's files appear, as Azure ML spells it for each owner. Derived
        from the owner's current ids whenever a version is shown, never stored with it."""
        if self.is_registry:
            return f"azureml://registries/{self.name}/{kind.value}/{name}/versions/{version}"
        return (f"azureml://subscriptions/{self.subscription_id}/resourcegroups/{self.resource_group_name}"
                f"/workspaces/{self.name}/datastores/workspaceblobstore/paths/{kind.value}/{name}/{version}/")


@dataclass(frozen=True)
class Lineage:
    """Where a shared registry version came from: the source asset's ARM id and its workspace's
    id (and, when a job made it, the job), so a prod user can trace a model back to dev.

    A version created directly in a registry has no workspace; a copy of it says so by leaving
    ``sourceWorkspaceId`` out rather than naming the registry as if it were one."""

    source_asset_id: str
    source_workspace_id: str | None
    source_job_name: str | None = None

    @classmethod
    def of_share(cls, source_asset_id: str, source_owner: AssetOwner, source_lineage: dict[str, str] | None,
                 job_name: str | None) -> "Lineage":
        """The lineage of a copy of ``source_asset_id``. A workspace source is the origin itself; a
        registry source passes on where *it* came from (its workspace and job), so a version
        promoted dev → staging registry → prod registry still traces back to the dev workspace."""
        if not source_owner.is_registry:
            return cls(source_asset_id, source_owner.arm_id, job_name)
        earlier = cls.from_json(source_lineage)
        if earlier is None:
            return cls(source_asset_id, None, job_name)
        return cls(source_asset_id, earlier.source_workspace_id, earlier.source_job_name or job_name)

    def as_json(self) -> dict[str, str]:
        body = {"sourceAssetId": self.source_asset_id}
        if self.source_workspace_id:
            body["sourceWorkspaceId"] = self.source_workspace_id
        if self.source_job_name:
            body["sourceJobName"] = self.source_job_name
        return body

    @classmethod
    def from_json(cls, body: dict[str, str] | None) -> "Lineage | None":
        if not body:
            return None
        return cls(body["sourceAssetId"], body.get("sourceWorkspaceId"), body.get("sourceJobName"))
