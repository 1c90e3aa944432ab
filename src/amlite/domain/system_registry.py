"""The ``azureml`` system registry: Azure ML's curated environments, built in and read-only.

Azure ML serves one registry to every workspace of every tenant, ``azureml``, whose curated
environments real YAML names as ``azureml://registries/azureml/environments/<name>/labels/latest``
(or ``.../versions/<v>``). amlite holds the same facts — every published version of every curated
environment, with its description, tags, OS, image and conda specification — in a data file the
project generates from Microsoft's public Azure/azureml-assets repository
(``tools/gen_azureml_registry.py``); this module turns that data into asset containers and
versions, so references and reads see them as any registry's assets.

The registry belongs to no tenant: it sits at a fixed ARM path of its own (``SYSTEM_REGISTRY_ID``)
that no tenant's subscription can hold, no tenant may create a registry of that name, and it
cannot be written. Azure ML's curated environments are environments only; the models and
components Microsoft publishes there are not part of this copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from amlite.domain.assets import LATEST_LABEL, AssetContainer, AssetKind, AssetVersion
from amlite.domain.errors import invalid
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import AuditStamp

SYSTEM_REGISTRY_NAME = "azureml"
# A subscription id no tenant is given (amlite issues random UUIDs) and the group the registry sits in.
SYSTEM_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
SYSTEM_RESOURCE_GROUP = "azureml"
SYSTEM_REGISTRY_LOCATION = "eastus"
SYSTEM_REGISTRY_ID = (f"/subscriptions/{SYSTEM_SUBSCRIPTION_ID}/resourceGroups/{SYSTEM_RESOURCE_GROUP}"
                      f"/providers/{ML_NAMESPACE}/registries/{SYSTEM_REGISTRY_NAME}")
PUBLISHER = "Microsoft"
# Azure ML's workspaces show the same curated environments under this prefix (``azureml:AzureML-<name>@latest``).
CURATED_PREFIX = "AzureML-"
READ_ONLY_CODE = "SystemRegistryReadOnly"


def is_system_registry(name: str) -> bool:
    return name.lower() == SYSTEM_REGISTRY_NAME


def read_only_message(what: str) -> str:
    return (f"The registry '{SYSTEM_REGISTRY_NAME}' is Azure ML's system registry of curated environments; it is "
            f"read-only, so {what} is refused. Create the environment in a workspace or in a registry of your own "
            "instead.")


@dataclass(frozen=True)
class CuratedEnvironment:
    container: AssetContainer
    versions: tuple[AssetVersion, ...]  # oldest first; all numbered, so the last is ``latest``

    def version(self, version: str) -> AssetVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    @property
    def latest(self) -> AssetVersion:
        return self.versions[-1]


class CuratedCatalog:
    """The curated environments, by lower-cased name (asset names compare case-insensitively)."""

    def __init__(self, environments: list[CuratedEnvironment], source_commit: str) -> None:
        self._by_name = {e.container.name.lower(): e for e in environments}
        self.source_commit = source_commit

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CuratedCatalog":
        """The generated data file's content; each version goes through the same checks as an
        environment version a client creates, so the data cannot hold what amlite would refuse."""
        texts: list[str] = data["texts"]
        return cls([_environment(item, texts) for item in data["environments"]], str(data["sourceCommit"]))

    def get(self, name: str) -> CuratedEnvironment | None:
        return self._by_name.get(name.lower())

    def names(self) -> list[str]:
        return sorted(e.container.name for e in self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def workspace_alias(self, name: str) -> CuratedEnvironment | None:
        """``AzureML-<name>``, as a workspace names a curated environment; ``None`` otherwise."""
        if name.lower().startswith(CURATED_PREFIX.lower()):
            return self.get(name[len(CURATED_PREFIX):])
        return None


def resolve_label(label: str, kind: AssetKind, target: str, text: str) -> None:
    """Azure ML's labels are managed, not user-defined: ``latest`` (the newest version that is not
    archived) for every asset, and ``default`` for components (the component's default version,
    which Azure ML keeps at its newest). Anything else is refused here, naming the rule."""
    low = label.lower()
    if low == LATEST_LABEL or (low == "default" and kind is AssetKind.COMPONENTS):
        return
    allowed = "'latest' or 'default'" if kind is AssetKind.COMPONENTS else "'latest'"
    raise invalid("InvalidAssetReference",
                  f"'{text}' names the label '{label}'. Azure ML's labels are managed by the service, not set by "
                  f"users: a {kind.singular} can be referenced by {allowed} only, or by a version.", target)


def _environment(item: dict[str, Any], texts: list[str]) -> CuratedEnvironment:
    name = str(item["name"])
    key = f"system:{SYSTEM_REGISTRY_NAME}:environments:{name}"
    versions = tuple(_version(key, name, v, texts, seq) for seq, v in enumerate(item["versions"], start=1))
    newest = versions[-1]
    container = AssetContainer(
        key=key, owner_key=f"system:{SYSTEM_REGISTRY_NAME}", kind=AssetKind.ENVIRONMENTS, name=name,
        description=newest.description, tags=dict(newest.tags), properties={}, is_archived=False,
        next_version=int(newest.version) + 1, etag=f'"{newest.version}"',
        stamp=AuditStamp(PUBLISHER, "Application", versions[0].stamp.created_at, PUBLISHER, "Application",
                         newest.stamp.created_at),
    )
    return CuratedEnvironment(container, versions)


def _version(container_key: str, name: str, item: dict[str, Any], texts: list[str], seq: int) -> AssetVersion:
    # The spec a version PUT of these fields stores (``asset_specs.version_content``): the
    # generated catalogue holds only image environments, already in that shape.
    spec: dict[str, Any] = {"properties": {}, "osType": item["osType"], "image": item["image"]}
    if "condaFile" in item:
        spec["condaFile"] = texts[item["condaFile"]]
    if "inferenceConfig" in item:
        spec["inferenceConfig"] = item["inferenceConfig"]
    created = datetime.strptime(item["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    version = str(item["version"])
    return AssetVersion(
        key=f"{container_key}:{version}", container_key=container_key, version=version, seq=seq,
        spec=spec, manifest=(), fingerprint=f"{SYSTEM_REGISTRY_NAME}/{name}/{version}@{item['commit']}",
        description=texts[item["description"]], tags=dict(item["tags"]), is_archived=False,
        etag=f'"{version}"', stamp=AuditStamp(PUBLISHER, "Application", created, PUBLISHER, "Application", created),
    )
