"""Asset use cases for models, environments, components and data: containers and their versions.

Creating a version is one unit of work that locks the asset's container row (creating it when it
is the first version), so concurrent writers of one asset take turns: each allocates the next
integer version the previous one left, and the versions come out unique and gapless. A request
that fails anywhere (bad body, a missing reference, a blob that was never uploaded, a conflicting
re-create) rolls back whole, container included: bad input changes nothing.

A request reads the store once before it writes: one read unit of work admits the caller (its
principal and the route's action, ``Authorizer.admit``), resolves the owner and, for uploaded
files, where the owner's blobs are. Blobs are checked after it closes and before the write opens,
so slow object storage never holds the store's write lock; blobs are never deleted while their
owner exists, so the check stays true. The write re-reads the owner by key only (it may have
started deleting) and renders its answer from what it wrote. A read is one unit of work.

The owner of an asset is a workspace or a registry (``domain.asset_owners``); every rule here
holds for both. A registry version is usable as soon as it is committed (its files are in the
primary region); its replication tasks are written in the same unit of work and the replication
workers are woken after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from collections.abc import Callable
from typing import Any

from amlite.domain.asset_owners import AssetOwner, OwnerType
from amlite.domain.asset_specs import container_fields, version_content, version_patch, with_derived_uri
from amlite.domain.assets import (
    AssetContainer,
    AssetKind,
    AssetVersion,
    ListViewType,
    ManifestEntry,
    VersionContent,
    asset_not_found,
    check_asset_name,
    check_version,
    differing_fields,
    new_container,
    next_version_after,
    updated_version,
)
from amlite.domain.errors import BlobNotFound, Conflict, ErrorDetail, NotFound, invalid
from amlite.domain.paging import Page
from amlite.domain.preconditions import NONE, Preconditions
from amlite.domain.replication import RegionReplica
from amlite.domain.resources import AuditStamp, SoftDelete
from amlite.faults import fault_point
from amlite.domain.system_registry import resolve_label
from amlite.ports import UnitOfWork
from amlite.schemas.arm_assets import (
    AssetContainerBody,
    AssetVersionBody,
    AssetVersionPatchBody,
    AssetVersionProperties,
)
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import containers_of, current_owner, require_owner, versions_of
from amlite.services.asset_references import ReferenceResolver
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.jobs import JobService
from amlite.services.replication import ReplicationService
from amlite.services.storage_endpoint import (
    StorageEndpointService,
    normal_uri,
    spec_uri,
    uploaded_uri,
    with_uploaded_uri,
)

#: A lookup by content hash reads at most this many versions of one asset (code assets have one).
MAX_HASH_SCAN = 1000
#: How long a deleted version stays recoverable unless the settings say otherwise.
DEFAULT_RETENTION = timedelta(days=14)
#: The most soft-deleted versions one reconciler round purges.
PURGES_PER_ROUND = 500


@dataclass(frozen=True)
class ContainerView:
    owner: AssetOwner
    container: AssetContainer
    latest_version: str | None

    @property
    def arm_id(self) -> str:
        return f"{self.owner.arm_id}/{self.container.kind.value}/{self.container.name}"


@dataclass(frozen=True)
class VersionView:
    owner: AssetOwner
    container: AssetContainer
    version: AssetVersion
    # Registry versions: the state of each replication region, the primary first.
    replication: tuple[RegionReplica, ...] = ()

    @property
    def arm_id(self) -> str:
        return f"{self.owner.arm_id}/{self.container.kind.value}/{self.container.name}/versions/{self.version.version}"

    @property
    def is_archived(self) -> bool:
        return self.version.archived_in(self.container)

    @property
    def spec(self) -> dict[str, Any]:
        """The version's spec as clients see it. An uploaded version's ``...Uri`` (where its files
        appear) is derived here from the owner's current ids and never stored: the stored content,
        and so its fingerprint, stays the same wherever the owner sits or moves."""
        v = self.version
        if not v.manifest:
            return v.spec
        kind = self.container.kind
        return with_derived_uri(kind, v.spec, self.owner.files_uri(kind, self.container.name, v.version))


@dataclass(frozen=True)
class AssetPath:
    """Where an asset request points: its owner (by names, as in the URL: a workspace, or a
    registry with ``owner=REGISTRY``, named by ``workspace``), a kind and a name."""

    subscription_id: str
    resource_group: str
    workspace: str
    kind: AssetKind
    name: str
    owner: OwnerType = OwnerType.WORKSPACE


class AssetService:
    def __init__(self, deps: Deps, artifacts: ArtifactService, references: ReferenceResolver,
                 replication: ReplicationService, authz: Authorizer, storage: StorageEndpointService,
                 jobs: JobService, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._deps = deps
        self._retention = retention
        self._storage = storage
        self._jobs = jobs
        self._authz = authz
        self._artifacts = artifacts
        self._refs = references
        self._replication = replication
        #: Called in a new workspace version's unit of work (paired workspaces queue its copy):
        #: (uow, workspace key, kind, name, version, version key) -> tasks queued.
        self.on_version_created: list[Callable[[UnitOfWork, str, AssetKind, str, str, str], int]] = []

    # -- containers ------------------------------------------------------------------------------

    def create_or_update_container(self, caller: Caller, at: AssetPath, body: AssetContainerBody,
                                   pre: Preconditions = NONE) -> tuple[ContainerView, bool]:
        caller, owner = self._enter(caller, at)  # a missing workspace is 404 before the body is judged
        description, tags, properties, archived = container_fields(body.properties)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            existing = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
            if existing is None:
                fresh = new_container(d.ids.new_id(), ws.key, at.kind, at.name, new_etag(d.ids), self._stamp(caller))
                containers_of(uow, ws).add_if_missing(fresh)
                existing = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
                assert existing is not None
                if existing.key == fresh.key:  # ours, not a concurrent writer's
                    existing = None
            pre.check(existing.etag if existing else None)
            container = existing or fresh
            container = replace(
                container, description=container.description if description is None else description,
                tags=container.tags if tags is None else tags,
                properties=container.properties if properties is None else properties,
                is_archived=container.is_archived if archived is None else archived,
            )
            if existing is None:
                containers_of(uow, ws).save(container)
            elif container != existing:
                container = replace(container, etag=new_etag(d.ids), stamp=self._touched(existing.stamp, caller))
                containers_of(uow, ws).save(container)
            view = ContainerView(ws, container, containers_of(uow, ws).latest_versions([container.key]).get(container.key))
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view, existing is None

    def get_container(self, caller: Caller, at: AssetPath) -> ContainerView:
        with self._deps.uow() as uow:
            caller, ws = self.enter(uow, caller, at)
            container = _require_container(uow, ws, at)
            return ContainerView(ws, container, containers_of(uow, ws).latest_versions([container.key]).get(container.key))

    def list_containers(self, caller: Caller, at: AssetPath, view: ListViewType, offset: int, limit: int) -> Page[ContainerView]:
        with self._deps.uow() as uow:
            caller, ws = self.enter(uow, caller, at)
            page = containers_of(uow, ws).list(ws.key, at.kind, view, offset, limit)
            latest = containers_of(uow, ws).latest_versions([c.key for c in page.items])
            return Page([ContainerView(ws, c, latest.get(c.key)) for c in page.items], page.more)

    def set_container_archived(self, caller: Caller, at: AssetPath, archived: bool) -> ContainerView:
        caller, owner = self._enter(caller, at)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            container = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
            if container is None:
                raise asset_not_found(at.kind, at.name)
            if container.is_archived != archived:
                container = replace(container, is_archived=archived, etag=new_etag(d.ids),
                                    stamp=self._touched(container.stamp, caller))
                containers_of(uow, ws).save(container)
            view = ContainerView(ws, container, containers_of(uow, ws).latest_versions([container.key]).get(container.key))
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view

    # -- versions --------------------------------------------------------------------------------

    def create_or_update_version(self, caller: Caller, at: AssetPath, version: str, body: AssetVersionBody,
                                 pre: Preconditions = NONE) -> tuple[VersionView, bool]:
        """PUT: create ``version``; the same content again is a success that changes at most the
        mutable fields; different content is ``409 AssetVersionConflict`` naming the fields."""
        caller, owner, checked, content = self._prepare(caller, at, version, body)
        return self._write_version(caller, owner, at, checked, content, pre)

    def create_next_version(self, caller: Caller, at: AssetPath, body: AssetVersionBody) -> VersionView:
        """POST: create the container's ``nextVersion``, allocated under the container's lock."""
        caller, owner, _, content = self._prepare(caller, at, None, body)
        view, _ = self._write_version(caller, owner, at, None, content, NONE)
        return view

    def update_version(self, caller: Caller, at: AssetPath, version: str, body: AssetVersionPatchBody,
                       pre: Preconditions = NONE) -> VersionView:
        """PATCH: description, tags and the archived flag; everything else is immutable."""
        caller, owner = self._enter(caller, at)
        content = version_patch(at.kind, body.properties)
        return self._change_version(caller, owner, at, version, pre,
                                    lambda v, etag, stamp: updated_version(v, content, etag, stamp))

    def set_version_archived(self, caller: Caller, at: AssetPath, version: str, archived: bool) -> VersionView:
        caller, owner = self._enter(caller, at)
        content = VersionContent(spec={}, is_archived=archived)
        return self._change_version(caller, owner, at, version, NONE,
                                    lambda v, etag, stamp: updated_version(v, content, etag, stamp))

    def get_version(self, caller: Caller, at: AssetPath, version: str) -> VersionView:
        """``version`` may be ``@latest``: the newest version not archived."""
        with self._deps.uow() as uow:
            caller, ws = self.enter(uow, caller, at)
            return self.version_in(uow, ws, at, version)

    def version_in(self, uow: UnitOfWork, ws: AssetOwner, at: AssetPath, version: str) -> VersionView:
        """A version (or a managed label: ``@latest``, a component's ``@default``) of an asset of a resolved owner, in an open unit of work."""
        container = _require_container(uow, ws, at)
        if version.startswith("@"):
            resolve_label(version[1:], at.kind, "version", f"{container.name}{version}")
            found = None if container.is_archived else versions_of(uow, ws).latest(container.key)
        else:
            found = versions_of(uow, ws).get(container.key, version)
        if found is None:
            raise asset_not_found(at.kind, container.name, version)
        return self._views(uow, ws, container, [found])[0]

    def list_versions(self, caller: Caller, at: AssetPath, view: ListViewType, tags: dict[str, str | None],
                      offset: int, limit: int, missing_is_empty: bool = False,
                      content_hash: str | None = None) -> Page[VersionView]:
        """A container's versions; when it does not exist, 404, or no versions with
        ``missing_is_empty`` (the registry data plane's answer). ``content_hash``: only those whose
        ``hash_sha256`` property is it (azure-ai-ml looks up code it uploaded before this way; an
        unknown name then has none)."""
        with self._deps.uow() as uow:
            caller, ws = self.enter(uow, caller, at)
            missing = containers_of(uow, ws).get(ws.key, at.kind, at.name) is None
            if missing and (missing_is_empty or content_hash is not None):
                return Page([], False)
            container = _require_container(uow, ws, at)
            if content_hash is not None:
                found = [v for v in versions_of(uow, ws).list(container.key, view, container.is_archived, tags, 0,
                                                              MAX_HASH_SCAN).items
                         if v.spec.get("properties", {}).get("hash_sha256") == content_hash]
                return Page(self._views(uow, ws, container, found[offset:offset + limit]), len(found) > offset + limit)
            page = versions_of(uow, ws).list(container.key, view, container.is_archived, tags, offset, limit)
            return Page(self._views(uow, ws, container, page.items), page.more)

    def search_versions(self, caller: Caller, at: AssetPath, tags: dict[str, str | None], view: ListViewType,
                        offset: int, limit: int) -> Page[VersionView]:
        """Versions of every asset of ``at.kind`` in a workspace carrying each of ``tags``, newest
        first (MLflow's ``search_model_versions`` by tag), from the tag index: as fast with a
        hundred thousand versions as with a hundred."""
        with self._deps.uow() as uow:
            caller, ws = self.enter(uow, caller, at)
            if not tags:
                raise invalid("InvalidParameter", "Name at least one tag to search by: tags=name=value or tags=name.",
                              "tags")
            page = versions_of(uow, ws).search_by_tags(ws.key, at.kind, tags, view, offset, limit)
            return Page([VersionView(ws, c, v) for c, v in page.items], page.more)

    def datastore_files(self, uow: UnitOfWork, owner: AssetOwner, kind: AssetKind,
                        spec: dict[str, Any]) -> tuple[ManifestEntry, ...] | None:
        """The files a version's datastore path names in ``owner``'s storage at this moment (a
        share copies them), or ``None`` when its spec names no such path amlite serves."""
        uri = spec_uri(kind, spec)
        return None if uri is None else self._storage.datastore_files(uow, owner, uri)

    def enter(self, uow: UnitOfWork, caller: Caller, at: AssetPath) -> tuple[Caller, AssetOwner]:
        """The admitted caller and the owner ``at`` names, in an open unit of work: the route's
        action is decided before any lookup, so a caller who may not read learns nothing."""
        caller = self._authz.admit(uow, caller)
        return caller, require_owner(uow, caller, at.owner, at.subscription_id, at.resource_group, at.workspace)

    def _enter(self, caller: Caller, at: AssetPath) -> tuple[Caller, AssetOwner]:
        """``enter`` in a read unit of work of its own: the read before a write."""
        with self._deps.uow() as uow:
            return self.enter(uow, caller, at)

    # -- the write path --------------------------------------------------------------------------

    def _prepare(self, caller: Caller, at: AssetPath, version: str | None,
                 body: AssetVersionBody) -> tuple[Caller, AssetOwner, str | None, VersionContent]:
        """The read before a version write: admit the caller, judge the names, find the owner
        (a missing one is 404 whatever the body), judge the body and find where its files must be;
        then, with no unit of work open, check those files are there."""
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            check_asset_name(at.name, at.kind)
            checked = check_version(version, at.kind) if version is not None else None
            caller, owner = self.enter(uow, caller, at)
            props = self._from_job_output(uow, owner, at, body.properties)
            content = version_content(at.kind, props)
            content = self._uploaded_files(uow, owner, at.kind, body, content)
            where = self._artifacts.storage_in(uow, owner) if content.manifest else None
        if where is not None:
            _check_blobs(owner, where, content.manifest)
        return caller, owner, checked, content

    def _uploaded_files(self, uow: UnitOfWork, owner: AssetOwner, kind: AssetKind, body: AssetVersionBody,
                        content: VersionContent) -> VersionContent:
        """Files the client uploaded to storage amlite serves become the version's manifest, and
        the path it named stays its URI (in one form). A version read back carries both its
        ``artifacts`` and that URI (azure-ai-ml's archive PUTs it back): the same content."""
        uri = uploaded_uri(kind, body.properties)
        if uri is None:
            return content
        files = self._storage.files_at(uow, owner, uri)
        if not files:
            return content  # not storage amlite serves for this owner (another workspace's, an outside URL)
        if content.manifest and files != content.manifest:
            return content  # an upload through amlite's own API: its URI is derived, never stored
        return replace(content, manifest=files, spec=with_uploaded_uri(kind, content.spec, normal_uri(uri)))

    def _from_job_output(self, uow: UnitOfWork, owner: AssetOwner, at: AssetPath,
                         props: AssetVersionProperties) -> AssetVersionProperties:
        """A model whose path is a job's output (``azureml://jobs/<job>/outputs/<out>``) takes that
        output's files, already in the workspace's storage, and keeps the job's name (lineage)."""
        uri = props.model_uri or ""
        if at.kind is not AssetKind.MODELS or not uri.lower().startswith("azureml://jobs/"):
            return props
        if owner.is_registry:
            raise invalid("InvalidRequestContent", "A registry model cannot be created from a job output directly: "
                          "register it in the job's workspace, then share it to the registry.", "properties.modelUri")
        ws = uow.workspaces.by_key(owner.key)
        assert ws is not None, "the owner was just resolved in this unit of work"
        job, files = self._jobs.output_files(uow, ws, uri, "properties.modelUri")
        if props.job_name and props.job_name != job.name:
            raise invalid("InvalidRequestContent", f"jobName '{props.job_name}' is not the job of modelUri ('{job.name}').",
                          "properties.jobName")
        return props.model_copy(update={"model_uri": None, "artifacts": files, "job_name": job.name})

    def _write_version(self, caller: Caller, owner: AssetOwner, at: AssetPath, version: str | None,
                       content: VersionContent, pre: Preconditions) -> tuple[VersionView, bool]:
        d = self._deps
        paired = 0
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            container = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
            if container is None:
                containers_of(uow, ws).add_if_missing(
                    new_container(d.ids.new_id(), ws.key, at.kind, at.name, new_etag(d.ids), self._stamp(caller)))
                container = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
            assert container is not None
            if version is None:  # the next free number: nothing exists there by construction
                version = str(container.next_version)
                while versions_of(uow, ws).any_get(container.key, version) is not None:
                    version = str(int(version) + 1)
                existing = None
            else:
                existing = versions_of(uow, ws).any_get(container.key, version)
                if existing is not None and existing.soft_delete is not None:
                    existing = self._recovered_by_put(uow, ws, at, existing, content)
            pre.check(existing.etag if existing else None)
            # The spec is stored as sent: no URI naming the owner (VersionView.spec derives it).
            spec = content.spec
            if existing is not None:
                view = self._views(uow, ws, container, [self._recreate(uow, caller, ws, at, existing, content)])[0]
                created = False
            else:
                self._refs.check_spec(uow, caller, ws, at.kind, spec)
                stamp = self._stamp(caller)
                row = AssetVersion(
                    key=d.ids.new_id(), container_key=container.key, version=version,
                    seq=versions_of(uow, ws).next_seq(container.key), spec=spec, manifest=content.manifest,
                    fingerprint=content.fingerprint, description=content.description or "", tags=content.tags or {},
                    is_archived=bool(content.is_archived), etag=new_etag(d.ids), stamp=stamp, lineage=content.lineage,
                )
                versions_of(uow, ws).add(row)
                if ws.replicated:
                    self._replication.plan(uow, ws, row.key)
                if not ws.is_registry:  # a paired primary's copy into its secondary (services/pairs.py)
                    paired = sum(hook(uow, ws.key, at.kind, at.name, version, row.key)
                                 for hook in self.on_version_created)
                bumped = next_version_after(container.next_version, version)
                if bumped != container.next_version:
                    container = replace(container, next_version=bumped)
                    containers_of(uow, ws).save(container)
                # Its replication state is what was just planned: read in this unit of work.
                view, created = self._views(uow, ws, container, [row])[0], True
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        if ws.replicated or (created and not ws.is_registry and paired):
            self._replication.wake()  # the one task engine's workers, whatever the kind
        return view, created

    def _recovered_by_put(self, uow: UnitOfWork, owner: AssetOwner, at: AssetPath, deleted: AssetVersion,
                          content: VersionContent) -> AssetVersion:
        """Re-creating a soft-deleted version with the same content recovers it (as re-creating a
        workspace does); other content under its number is refused while it can be recovered."""
        if deleted.fingerprint != content.fingerprint:
            raise Conflict("AssetVersionSoftDeleted",
                           f"{at.kind.label} '{at.name}' version '{deleted.version}' is soft-deleted with other content; "
                           "recover it, purge it (delete --permanently-delete), or create another version.",
                           target="properties")
        recovered = replace(deleted, soft_delete=None)
        versions_of(uow, owner).save(recovered)
        return recovered

    # -- soft delete of single versions (amlite's addition) ----------------------------------

    def delete_version(self, caller: Caller, at: AssetPath, version: str, purge: bool = False) -> None:
        """Soft-delete a version: hidden from reads, lists, ``@latest`` and references,
        recoverable until its retention ends; ``purge`` removes it at once (a soft-deleted one
        too). Metadata only, in one transaction: its files are content-addressed and may be
        shared, and stay in the owner's storage while the owner exists."""
        caller, owner = self._enter(caller, at)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            container = _require_container(uow, ws, at)
            found = versions_of(uow, ws).any_get(container.key, version)
            if found is None or (found.soft_delete is not None and not purge):
                raise asset_not_found(at.kind, container.name, version)
            if purge:
                versions_of(uow, ws).delete(found.key)
            else:
                now = d.clock.now()
                versions_of(uow, ws).save(replace(found, soft_delete=SoftDelete(now, now + self._retention),
                                                  etag=new_etag(d.ids)))
            record_write(d, uow, caller, scope=f"{ws.arm_id}/{at.kind.value}/{container.name}/versions/{found.version}")
            fault_point("asset_version.delete.before_commit")
            uow.commit()

    def recover_version(self, caller: Caller, at: AssetPath, version: str) -> VersionView:
        """Bring a soft-deleted version back, as it was."""
        caller, owner = self._enter(caller, at)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            container = _require_container(uow, ws, at)
            found = versions_of(uow, ws).any_get(container.key, version)
            if found is None or found.soft_delete is None:
                raise NotFound("ResourceNotFound", f"There is no soft-deleted version '{version}' of "
                               f"{at.kind.label.lower()} '{container.name}'.")
            recovered = replace(found, soft_delete=None, etag=new_etag(d.ids))
            versions_of(uow, ws).save(recovered)
            view = self._views(uow, ws, container, [recovered])[0]
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view

    def purge_expired(self) -> int:
        """The reconciler's pass: purge the soft-deleted versions (of workspaces and registries)
        whose retention has ended, in one transaction; returns how many."""
        d = self._deps
        with d.uow(write=True) as uow:
            purged = 0
            for versions in (uow.asset_versions, uow.registry_asset_versions):
                for v in versions.purge_due(d.clock.now(), PURGES_PER_ROUND):
                    versions.delete(v.key)
                    purged += 1
            uow.commit()
        return purged

    def write_version(self, caller: Caller, owner: AssetOwner, at: AssetPath, version: str,
                      content: VersionContent) -> tuple[VersionView, bool]:
        """Create ``version`` from already judged content whose blobs are in the owner's storage
        (sharing uses it after copying the blobs); same rules as a PUT."""
        return self._write_version(caller, owner, at, version, content, NONE)

    def _recreate(self, uow: UnitOfWork, caller: Caller, ws: AssetOwner, at: AssetPath, existing: AssetVersion,
                  content: VersionContent) -> AssetVersion:
        if existing.fingerprint != content.fingerprint:
            fields = differing_fields(existing, content)
            raise Conflict(
                "AssetVersionConflict",
                f"{at.kind.label} '{at.name}' version '{existing.version}' already exists with different content "
                f"({', '.join(fields)}); a version's content cannot change: create a new version instead.",
                target="properties", details=[
                    ErrorDetail("AssetVersionConflict", f"'{f}' differs from the existing version.", f"properties.{f}")
                    for f in fields
                ],
            )
        changed = updated_version(existing, content, new_etag(self._deps.ids), self._touched(existing.stamp, caller))
        if changed is None:
            return existing
        versions_of(uow, ws).save(changed)
        return changed

    def _change_version(self, caller: Caller, owner: AssetOwner, at: AssetPath, version: str, pre: Preconditions,
                        change: Any) -> VersionView:
        d = self._deps
        with d.uow(write=True) as uow:
            ws = _writable(current_owner(uow, owner))
            container = containers_of(uow, ws).lock(ws.key, at.kind, at.name)
            if container is None:
                raise asset_not_found(at.kind, at.name)
            found = versions_of(uow, ws).get(container.key, version)
            if found is None:
                raise asset_not_found(at.kind, container.name, version)
            pre.check(found.etag)
            changed = change(found, new_etag(d.ids), self._touched(found.stamp, caller))
            if changed is not None:
                versions_of(uow, ws).save(changed)
                found = changed
            view = self._views(uow, ws, container, [found])[0]
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view

    def _views(self, uow: UnitOfWork, owner: AssetOwner, container: AssetContainer,
               versions: list[AssetVersion]) -> list[VersionView]:
        """Versions as views; a registry's carry the state of each replication region."""
        if not owner.replicated:
            return [VersionView(owner, container, v) for v in versions]
        states = self._replication.states_in(uow, owner, [v.key for v in versions])
        return [VersionView(owner, container, v, tuple(states[v.key])) for v in versions]

    def _stamp(self, caller: Caller) -> AuditStamp:
        now = self._deps.clock.now()
        return AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now)

    def _touched(self, stamp: AuditStamp, caller: Caller) -> AuditStamp:
        return stamp.touched(caller.name, caller.stamp_type, self._deps.clock.now())


def _writable(owner: AssetOwner) -> AssetOwner:
    """An owner being deleted takes no new children: they would be deleted under the writer."""
    if not owner.writable:
        raise Conflict(f"{owner.label.capitalize()}BeingDeleted",
                       f"The {owner.label} '{owner.name}' is being deleted and cannot be changed.")
    return owner


def _check_blobs(owner: AssetOwner, where: ArtifactStorage, manifest: tuple[ManifestEntry, ...]) -> None:
    """Every file the manifest lists is stored in the owner's storage, with the listed size."""
    for entry in manifest:
        try:
            size = where.store.size(where.account, where.container, entry.sha256)
        except BlobNotFound:
            raise invalid("ArtifactNotFound",
                          f"The file '{entry.path}' (sha256 {entry.sha256}) was not uploaded to this {owner.label}; "
                          "upload it (PUT .../artifacts/blobs/{sha256}) before creating the version.",
                          "properties.artifacts") from None
        if size != entry.size:
            raise invalid("ArtifactSizeMismatch",
                          f"The file '{entry.path}' is listed with {entry.size} bytes, but the stored blob "
                          f"{entry.sha256} has {size}.", "properties.artifacts")


def _require_container(uow: UnitOfWork, ws: AssetOwner, at: AssetPath) -> AssetContainer:
    container = containers_of(uow, ws).get(ws.key, at.kind, at.name)
    if container is None:
        raise asset_not_found(at.kind, at.name)
    return container
