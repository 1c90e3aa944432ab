"""Sharing an asset version into a registry (``share_asset_version``), from a workspace or from
another registry.

``POST {ws|reg}/{kind}/{name}/versions/{version}/share`` with ``{registryName, shareWithName,
shareWithVersion}``. The caller reads the source where it is (the route's action:
``workspaces/{kind}/versions/read`` or ``registries/assets/read``) and needs
``registries/assets/write`` on the target registry, wherever in the tenant it is. The source is an
``AssetOwner`` of either kind, so both shares are this one use case: only the lineage differs (a
registry source passes on its own origin, ``Lineage.of_share``).

Order of effects, as for any asset: everything is judged first (the source exists, the registry
exists and may be written, a target version that exists already has the same content), then
the blobs are copied server-side from the source's storage (a workspace's default storage, a
registry's primary region) into the target registry's primary region (``BlobStore.copy_blob``, verified and atomic; blobs already there are not copied again:
content addressing), and only then is the registry version committed, with its lineage and its
replication tasks. A failure before the commit leaves at most unreferenced blobs; bad input
changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amlite.domain.asset_owners import AssetOwner, Lineage, OwnerType
from amlite.domain.assets import AssetKind, VersionContent, check_asset_name, check_version, differing_fields
from amlite.domain.errors import Conflict, ErrorDetail, invalid
from amlite.domain.providers import ML_NAMESPACE
from amlite.ports import UnitOfWork
from amlite.schemas.arm_assets import ImportBody, ShareBody
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import containers_of, registry_owner, versions_of
from amlite.services.assets import AssetPath, AssetService, VersionView
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.registries import registry_for, tenant_registry_path
from amlite.services.storage_endpoint import with_uploaded_uri, without_uploaded_uri

REGISTRY_ASSETS_WRITE = f"{ML_NAMESPACE}/registries/assets/write"


@dataclass(frozen=True)
class ShareResult:
    view: VersionView
    created: bool
    blobs_copied: int
    bytes_copied: int


class RegistryAssetService:
    def __init__(self, deps: Deps, assets: AssetService, artifacts: ArtifactService, authz: Authorizer) -> None:
        self._deps = deps
        self._assets = assets
        self._artifacts = artifacts
        self._authz = authz

    def share(self, caller: Caller, at: AssetPath, version: str, body: ShareBody) -> ShareResult:
        """One read (the caller admitted, the source, the target registry and its decision, a
        conflicting target version, both storages), the copy with no unit of work open, one write."""
        with self._deps.uow() as uow:
            caller, source_owner = self._assets.enter(uow, caller, at)  # a missing source is 404 whatever the body
            registry_name, target_name, target_version = _share_body(at.kind, body)
            source = self._assets.version_in(uow, source_owner, at, version)
            found = registry_for(uow, caller, registry_name, REGISTRY_ASSETS_WRITE)
            if found is None:  # missing or not writable: the same 403, naming neither its group nor whether it exists
                where = tenant_registry_path(registry_name)
                self._authz.deny(caller.acting(REGISTRY_ASSETS_WRITE, where), REGISTRY_ASSETS_WRITE, where)
            registry = registry_owner(found)
            if not registry.writable:
                raise Conflict("RegistryBeingDeleted",
                               f"The registry '{registry.name}' is being deleted and cannot be changed.")
            src = source.version
            # The same content, so the copy has its source's fingerprint; files a workspace took
            # from its datastore are the copy's own files, with the registry's URI.
            spec = without_uploaded_uri(at.kind, src.spec) if src.manifest else dict(src.spec)
            manifest = src.manifest
            found_files = None if manifest else self._assets.datastore_files(uow, source.owner, at.kind, src.spec)
            if found_files is not None:
                # A version that points at a path on its workspace's datastore (README's data.yml):
                # the files there now are copied with it, as Azure's share copies them; the path
                # means nothing in a registry, so the copy's URI is the registry's own.
                manifest, spec = found_files, without_uploaded_uri(at.kind, src.spec)
                if not manifest:  # an empty folder: its URI names the registry version's own (empty) files
                    spec = with_uploaded_uri(at.kind, spec, registry.files_uri(at.kind, target_name, target_version))
            job_name = spec.get("jobName") if at.kind is AssetKind.MODELS else None
            lineage = Lineage.of_share(source.arm_id, source.owner, src.lineage, job_name)
            content = VersionContent(spec=spec, manifest=manifest, description=src.description,
                                     tags=dict(src.tags), lineage=lineage.as_json())
            _refuse_conflict(uow, registry, at.kind, target_name, target_version, content)
            storages = ((self._artifacts.storage_in(uow, source.owner), self._artifacts.storage_in(uow, registry))
                        if content.manifest else None)
        copied, size = _copy_blobs(storages, content)
        writer = caller.acting(REGISTRY_ASSETS_WRITE, registry.arm_id)
        target = AssetPath(registry.subscription_id, registry.resource_group_name, registry.name, at.kind, target_name,
                           OwnerType.REGISTRY)
        view, created = self._assets.write_version(writer, registry, target, target_version, content)
        return ShareResult(view, created, copied, size)

    def import_version(self, caller: Caller, registry_name: str, body: ImportBody) -> ShareResult:
        """A registry's ``import`` (how azure-ai-ml shares): ``share`` from the workspace version the
        body names by id."""
        with self._deps.uow() as uow:
            at, version, name, target_version = import_source(uow, self._authz, caller, body)
        share = ShareBody.model_validate({"registryName": registry_name, "shareWithName": name,
                                          "shareWithVersion": target_version})
        reader = caller.acting(f"Microsoft.MachineLearningServices/workspaces/{at.kind.value}/versions/read",
                               f"/subscriptions/{at.subscription_id}/resourceGroups/{at.resource_group}/providers/"
                               f"Microsoft.MachineLearningServices/workspaces/{at.workspace}")
        return self.share(reader, at, version, share)


def _refuse_conflict(uow: UnitOfWork, registry: AssetOwner, kind: AssetKind, name: str, version: str,
                     content: VersionContent) -> None:
    """A target version that exists with other content is refused before any byte moves."""
    container = containers_of(uow, registry).get(registry.key, kind, name)
    existing = versions_of(uow, registry).get(container.key, version) if container else None
    if existing is None or existing.fingerprint == content.fingerprint:
        return
    fields = differing_fields(existing, content)
    raise Conflict(
        "AssetVersionConflict",
        f"{kind.label} '{name}' version '{version}' already exists in registry '{registry.name}' with different "
        f"content ({', '.join(fields)}); share with another --share-with-version.",
        target="shareWithVersion",
        details=[ErrorDetail("AssetVersionConflict", f"'{f}' differs from the existing version.", f"properties.{f}")
                 for f in fields],
    )


def _copy_blobs(storages: tuple[ArtifactStorage, ArtifactStorage] | None, content: VersionContent) -> tuple[int, int]:
    """Copy the blobs the registry's primary region lacks from the source owner's storage
    (a registry source's primary region holds every committed version's blobs); returns
    (blobs, bytes) copied."""
    if storages is None:
        return 0, 0
    src, dst = storages
    copied = size = 0
    for entry in {m.sha256: m for m in content.manifest}.values():
        if dst.store.exists(dst.account, dst.container, entry.sha256):
            continue
        stored = dst.store.copy_blob(src.store, src.account, src.container, dst.account, dst.container, entry.sha256)
        if not stored.existed:
            copied, size = copied + 1, size + stored.size
    return copied, size


_SOURCE_ID = re.compile(r"azureml://locations/[^/]+/workspaces/([0-9a-fA-F-]{36})/(\w+)/([^/]+)/versions/([^/]+)")


def import_source(uow: UnitOfWork, authz: Authorizer, caller: Caller, body: ImportBody) -> tuple[AssetPath, str, str, str]:
    """A registry ``import`` request (azure-ai-ml's ``share``): the source version it names by
    ``sourceAssetId`` (``azureml://locations/{region}/workspaces/{workspaceId}/{kind}/{name}/versions/{v}``),
    which the caller must be able to read, and the destination name and version."""
    props = body.properties
    if props.reference_type != "Id":
        raise invalid("InvalidRequestContent", "properties must name the source by id (referenceType 'Id').",
                      "properties.referenceType")
    source = props.source_asset_id
    match = _SOURCE_ID.fullmatch(source) if source is not None else None
    kind = next((k for k in AssetKind if match and k.value == match.group(2)), None)
    if match is None or kind is None:
        raise invalid("InvalidRequestContent", "sourceAssetId must be azureml://locations/{region}/workspaces/"
                      "{workspaceId}/{models|environments|components|data}/{name}/versions/{version}.",
                      "properties.sourceAssetId")
    ws = uow.workspaces.by_workspace_id(match.group(1))
    read = f"Microsoft.MachineLearningServices/workspaces/{kind.value}/versions/read"
    if ws is None:
        where = f"/providers/Microsoft.MachineLearningServices/workspaces/{match.group(1)}"
        authz.deny(caller.acting(read, where), read, where)
    authz.require(caller, read, ws.arm_id)
    at = AssetPath(ws.subscription_id, ws.resource_group_name, ws.name, kind, match.group(3))
    name = props.destination_name or match.group(3)
    version = props.destination_version or match.group(4)
    return at, match.group(4), name, version


def _share_body(kind: AssetKind, body: ShareBody) -> tuple[str, str, str]:
    """``registryName``, ``shareWithName`` and ``shareWithVersion``, each required and valid."""
    registry = body.registry_name
    if registry is None or not registry.strip():
        raise invalid("InvalidRequestContent", "registryName is required: the registry to share into.", "registryName")
    if body.share_with_name is None:
        raise invalid("InvalidRequestContent", "shareWithName is required: the asset's name in the registry.",
                      "shareWithName")
    if body.share_with_version is None:
        raise invalid("InvalidRequestContent", "shareWithVersion is required: the asset's version in the registry.",
                      "shareWithVersion")
    return registry.strip(), check_asset_name(body.share_with_name, kind), check_version(body.share_with_version, kind)
