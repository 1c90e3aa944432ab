"""Paired workspaces: create, show (with the lag per kind), list, delete, and the continuous copy
of a primary's asset versions into its secondary (domain/pairs.py, docs/bcdr.md).

The copy reuses what registry replication does (services/replication.py): each version's copy is
one task of kind ``PAIR_COPY`` on the one task engine, queued in the unit of work that creates the
version (``plan``, called by ``AssetService``), and a reconciler pass (``reconcile``) derives from
the state what the secondary lacks and queues it, so a lost task or a pair created over existing
versions catches up by itself. A copy first streams the version's blobs into the secondary's
storage (``BlobStore.copy_blob``: verified, atomic, skipping blobs already there), then writes the
version there in one unit of work through ``AssetService.write_version`` (the rules of a PUT). A
crash between the two leaves only content-addressed blobs nobody names yet; the task runs again
and finds them there. The secondary never shows half a version.

``not_copied`` is the seam failover stands on: per kind, what the secondary lacks (the RPO).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from amlite.domain.assets import AssetKind, ListViewType, VersionContent
from amlite.domain.errors import AmliteError, Conflict, NotFound, invalid
from amlite.domain.failover import DEFAULT_FAILOVER_AFTER, PAIR_COPY_BACK, PAIR_JOB_COPY
from amlite.domain.pairs import (
    ASSET_KINDS, PAIR_COPY, KindLag, WorkspacePair, check_name, copy_key, parse_mode,
    parse_per_kind, parse_workspace_id,
)
from amlite.domain.resources import Workspace
from amlite.domain.tasks import RetryLater, Task, TaskFailed
from amlite.domain.warm_endpoints import ENDPOINTS, EndpointLag
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_owners import workspace_owner
from amlite.services.assets import AssetPath, AssetService
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.replication import copy_missing
from amlite.services.tasks import TaskEngine, TaskKind
from amlite.services.workspace_scope import require_workspace

log = logging.getLogger(__name__)

WS_READ = "Microsoft.MachineLearningServices/workspaces/read"
WS_WRITE = "Microsoft.MachineLearningServices/workspaces/write"
MAX_ATTEMPTS = 12
COPY_BACK_ATTEMPTS = 10_000


@dataclass(frozen=True)
class Missing:
    """A primary version the secondary lacks."""

    kind: str
    name: str
    version: str
    version_key: str
    created_at: datetime


@dataclass(frozen=True)
class PairView:
    pair: WorkspacePair
    primary_id: str
    primary_location: str
    secondary_id: str
    secondary_location: str
    lag: list[KindLag]
    endpoints: list[EndpointLag] = field(default_factory=list)  # per endpoint, its standby (warm_endpoints.py)


class PairService:
    def __init__(self, deps: Deps, engine: TaskEngine, assets: AssetService, artifacts: ArtifactService,
                 authz: Authorizer, lease: timedelta = timedelta(seconds=60),
                 backoff: timedelta = timedelta(seconds=2)) -> None:
        self._deps = deps
        self._engine = engine
        self._assets = assets
        self._artifacts = artifacts
        self._authz = authz
        #: Per primary endpoint, whether its standby in the secondary is current (set by wiring).
        self.endpoint_lag: Callable[[UnitOfWork, WorkspacePair], list[EndpointLag]] = lambda _uow, _pair: []
        engine.register(TaskKind(PAIR_COPY, self._run, lease=lease, backoff=backoff, max_attempts=MAX_ATTEMPTS))
        # A copy back into a failed primary waits for its region however long the outage lasts
        # (the backoff is capped; a restore requeues it at once: ``after_restore``).
        engine.register(TaskKind(PAIR_COPY_BACK, self._run, lease=lease, backoff=backoff, max_attempts=COPY_BACK_ATTEMPTS))

    # -- use cases -------------------------------------------------------------------------------

    def create(self, caller: Caller, name: str, primary_id: str, secondary_id: str, mode: str,
               per_kind: dict[str, str] | None, auto_failover: bool = False,
               failover_after_seconds: int | None = None) -> PairView:
        """Pair two workspaces. The caller needs write on both; they must differ and be in
        different regions. The versions the primary already has are queued at once."""
        d = self._deps
        check_name(name)
        pair_mode, kinds = parse_mode(mode), parse_per_kind(per_kind)
        after = DEFAULT_FAILOVER_AFTER if failover_after_seconds is None else failover_after_seconds
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= 7 * 86400:
            raise invalid("InvalidFailoverAfter", f"failoverAfterSeconds must be a whole number of seconds from 0 to "
                          f"604800, not '{failover_after_seconds}'.", "failoverAfterSeconds")
        with d.uow() as uow:  # decided in a read: a denial is audited in a unit of work of its own
            primary = self._writable(uow, caller, primary_id, "primary")
            secondary = self._writable(uow, caller, secondary_id, "secondary")
        with d.uow(write=True) as uow:
            if primary.key == secondary.key:
                raise Conflict("InvalidWorkspacePair", "The primary and the secondary must be different workspaces.",
                               "secondary")
            if primary.location.lower() == secondary.location.lower():
                raise Conflict("InvalidWorkspacePair", f"The primary and the secondary are both in region "
                               f"'{primary.location}'; a pair needs two regions.", "secondary")
            if uow.workspace_pairs.by_name(caller.tenant_id, name) is not None:
                raise Conflict("WorkspacePairExists", f"A workspace pair named '{name}' already exists.", "name")
            if uow.workspaces.by_key(primary.key) is None or uow.workspaces.by_key(secondary.key) is None:
                raise NotFound("ResourceNotFound", "A workspace of the pair was deleted meanwhile.")
            pair = WorkspacePair(d.ids.new_id(), caller.tenant_id, name, primary.key, secondary.key, pair_mode,
                                 kinds, d.clock.now(), caller.principal_id, auto_failover=bool(auto_failover),
                                 failover_after_seconds=after)
            uow.workspace_pairs.add(pair)
            self._queue_missing(uow, pair)
            view = self._view(uow, pair)
            record_write(d, uow, caller, scope=primary.arm_id)
            uow.commit()
        self._engine.wake()
        return view

    def get(self, caller: Caller, name: str) -> PairView:
        with self._deps.uow() as uow:
            pair = self._readable(uow, caller, name)
            return self._view(uow, pair)

    def visible(self, caller: Caller) -> list[PairView]:
        """The tenant's pairs whose primary the caller may read."""
        with self._deps.uow() as uow:
            views = []
            for pair in uow.workspace_pairs.list(caller.tenant_id):
                primary = uow.workspaces.by_key(pair.primary_key)
                if primary is not None and Authorizer.allowed_in(uow, caller.principal_id, WS_READ, primary.arm_id):
                    views.append(self._view(uow, pair))
            return views

    def delete(self, caller: Caller, name: str) -> None:
        """Unpair: the copies still queued are dropped; what was copied stays in the secondary."""
        d = self._deps
        with d.uow() as uow:
            pair = uow.workspace_pairs.by_name(caller.tenant_id, name)
            if pair is None:
                raise _not_found(name)
            primary = uow.workspaces.by_key(pair.primary_key)
            if primary is None or not Authorizer.allowed_in(uow, caller.principal_id, WS_WRITE, primary.arm_id):
                self._authz.deny(caller, WS_WRITE, primary.arm_id if primary else f"/workspacePairs/{name}")
        with d.uow(write=True) as uow:
            if uow.workspace_pairs.by_key(pair.key) is None:
                raise _not_found(name)
            uow.tasks.delete_scope(PAIR_COPY, pair.key)
            uow.tasks.delete_scope(PAIR_COPY_BACK, pair.key)
            uow.workspace_pairs.delete(pair.key)
            record_write(d, uow, caller, scope=primary.arm_id)
            uow.commit()

    # -- the hook on version create (inside the version's unit of work) --------------------------

    def plan(self, uow: UnitOfWork, workspace_key: str, kind: AssetKind, name: str, version: str,
             version_key: str) -> int:
        """Queue the new version's copy into the secondary of every pair whose active primary is
        this workspace and whose mode for the kind is hot; and, of a pair failed over to this
        workspace, its copy back into the primary (every kind: what is made meanwhile comes back)."""
        label = _kind_name(kind)
        if label is None:
            return 0
        tasks = []
        for pair in uow.workspace_pairs.of_workspace(workspace_key):
            if pair.active_key != workspace_key:
                continue
            if pair.failed_over:
                tasks.append(self._copy_task(pair, kind.value, name, version, version_key, back=True))
            elif pair.mode_of(label).copies:
                tasks.append(self._copy_task(pair, kind.value, name, version, version_key))
        return self._engine.enqueue_many(uow, tasks) if tasks else 0

    def wake(self) -> None:
        self._engine.wake()

    # -- what the secondary lacks (the RPO seam) and the reconciler pass -------------------------

    def not_copied(self, uow: UnitOfWork, pair: WorkspacePair) -> dict[str, list[Missing]]:
        """Per asset kind (every kind, hot or cold), the primary's versions the secondary lacks."""
        out: dict[str, list[Missing]] = {}
        for label, kind in ASSET_KINDS.items():
            out[label] = [m for m in self._versions_of(uow, pair.primary_key, kind, label)
                          if not _has(uow, pair.secondary_key, kind, m.name, m.version)]
        return out

    def not_copied_back(self, uow: UnitOfWork, pair: WorkspacePair, since: datetime) -> dict[str, list[Missing]]:
        """Per asset kind, the secondary's versions made since ``since`` (the failover) that the
        primary lacks: what a failback must bring back."""
        return {label: [m for m in made if not _has(uow, pair.primary_key, ASSET_KINDS[label], m.name, m.version)]
                for label, made in self.made_since(uow, pair, since).items()}

    def made_since(self, uow: UnitOfWork, pair: WorkspacePair, since: datetime) -> dict[str, list[Missing]]:
        """Per asset kind, the secondary's versions made since ``since`` (copied back or not)."""
        return {label: [m for m in self._versions_of(uow, pair.secondary_key, kind, label) if m.created_at >= since]
                for label, kind in ASSET_KINDS.items()}

    def copy_back_now(self, pair: WorkspacePair, missing: Missing) -> None:
        """Copy one version of the secondary into the primary at once (a failback's step);
        ``RetryLater`` when the primary cannot take it yet, ``TaskFailed`` when it holds other content."""
        self._copy(pair, ASSET_KINDS[missing.kind], missing.name, missing.version, missing.version_key, back=True)

    def reconcile(self) -> int:
        """Queue the copy of every version a pair's secondary lacks in a hot kind; returns how many
        tasks were added (a version already queued, running or given up on is not queued again)."""
        added = 0
        with self._deps.uow(write=True) as uow:
            for pair in uow.workspace_pairs.list():
                added += self._queue_missing(uow, pair)
            uow.commit()
        if added:
            log.info("reconciler: %d pair copies queued", added)
            self._engine.wake()
        return added

    def after_restore(self, region: str) -> int:
        """A failed region was restored (services/outages.py): the copies into secondaries there,
        and the copies back into primaries there, that waited or gave up during the outage run
        again now."""
        return self.catch_up([region])

    def catch_up(self, regions: list[str] | None = None) -> int:
        """Requeue the copies into restored regions that have not run since the restore (the
        engine's ``requeue_after_restore``); a reconciler pass too, so a lost hook heals."""
        return (self._engine.requeue_after_restore(PAIR_COPY, secondary_region, regions)
                + self._engine.requeue_after_restore(PAIR_COPY_BACK, primary_region, regions))

    def _queue_missing(self, uow: UnitOfWork, pair: WorkspacePair) -> int:
        if pair.failed_over:  # the secondary is active: what it makes meanwhile goes back to the primary
            since = failed_over_since(pair)
            if since is None:
                return 0
            back = [self._copy_task(pair, ASSET_KINDS[label].value, m.name, m.version, m.version_key, back=True)
                    for label, missing in self.not_copied_back(uow, pair, since).items() for m in missing]
            return self._engine.enqueue_many(uow, back) if back else 0
        hot = {label for label in ASSET_KINDS if pair.mode_of(label).copies}
        tasks = [self._copy_task(pair, ASSET_KINDS[label].value, m.name, m.version, m.version_key)
                 for label, missing in self.not_copied(uow, pair).items() if label in hot for m in missing]
        return self._engine.enqueue_many(uow, tasks) if tasks else 0

    def _copy_task(self, pair: WorkspacePair, kind: str, name: str, version: str, version_key: str,
                   back: bool = False) -> Task:
        task_kind = PAIR_COPY_BACK if back else PAIR_COPY
        return self._engine.new(task_kind, dedupe_key=f"{task_kind}:{pair.key}:{version_key}" if back
                                else copy_key(pair.key, version_key), subject_key=version_key,
                                scope_key=pair.key, payload={"kind": kind, "name": name, "version": version})

    def _versions_of(self, uow: UnitOfWork, workspace_key: str, kind: AssetKind, label: str) -> list[Missing]:
        found: list[Missing] = []
        containers, versions = uow.asset_containers, uow.asset_versions
        offset = 0
        while True:
            page = containers.list(workspace_key, kind, ListViewType.ALL, offset, 500)
            for container in page.items:
                v_offset = 0
                while True:
                    vpage = versions.list(container.key, ListViewType.ALL, container.is_archived, {}, v_offset, 500)
                    found.extend(Missing(label, container.name, v.version, v.key, v.stamp.created_at)
                                 for v in vpage.items)
                    if not vpage.more:
                        break
                    v_offset += len(vpage.items)
            if not page.more:
                return found
            offset += len(page.items)

    # -- running one copy (the task's handler) ---------------------------------------------------

    def _run(self, task: Task) -> None:
        with self._deps.uow() as uow:
            pair = uow.workspace_pairs.by_key(task.scope_key or "")
        if pair is None:
            with self._deps.uow(write=True) as uow:
                uow.tasks.delete(task.key)  # unpaired
                uow.commit()
            return
        self._copy(pair, AssetKind(task.payload["kind"]), str(task.payload["name"]), str(task.payload["version"]),
                   task.subject_key or "", back=task.kind == PAIR_COPY_BACK, task_key=task.key)

    def _copy(self, pair: WorkspacePair, kind: AssetKind, name: str, number: str, version_key: str, back: bool,
              task_key: str | None = None) -> None:
        """One version from one side of the pair to the other: forward (primary to secondary) or
        ``back``; the bytes first, then the version in one unit of work."""
        with self._deps.uow(write=True) as uow:
            version = uow.asset_versions.get_by_key(version_key)
            source_key, target_key = ((pair.secondary_key, pair.primary_key) if back
                                      else (pair.primary_key, pair.secondary_key))
            source_ws = uow.workspaces.by_key(source_key)
            target_ws = uow.workspaces.by_key(target_key)
            if version is None or source_ws is None or target_ws is None:
                if task_key is not None:
                    uow.tasks.delete(task_key)  # the version or a workspace is gone
                uow.commit()
                return
            principal = uow.principals.get(pair.created_by)
            if principal is None:
                raise TaskFailed(f"The principal that created pair '{pair.name}' no longer exists.")
            try:
                source = self._artifacts.storage_in(uow, workspace_owner(source_ws)) if version.manifest else None
                target = self._artifacts.storage_in(uow, workspace_owner(target_ws)) if version.manifest else None
            except AmliteError as exc:
                raise RetryLater(exc.message) from exc
        try:
            if source is not None and target is not None:
                copy_missing(source.store, source.account, source.container, target.store, target.account,
                             target.container, (entry.sha256 for entry in version.manifest), fault="pair.after_blob")
        except (AmliteError, OSError) as exc:
            reason = exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
            raise RetryLater(f"Copying into workspace '{target_ws.name}': {reason}") from exc
        fault_point("pair.before_version")
        writer = Caller(tenant_id=pair.tenant_id, principal_id=principal.id, name=principal.sign_in_name,
                        principal_type=principal.kind.value)
        writer = writer.acting(f"Microsoft.MachineLearningServices/workspaces/{kind.value}/versions/write",
                               target_ws.arm_id)
        at = AssetPath(target_ws.subscription_id, target_ws.resource_group_name, target_ws.name, kind, name)
        content = VersionContent(spec=dict(version.spec), manifest=version.manifest,
                                 description=version.description, tags=dict(version.tags))
        try:
            self._assets.write_version(writer, workspace_owner(target_ws), at, number, content)
        except Conflict as exc:
            if exc.code == "AssetVersionConflict":  # the target has other content under that version
                raise TaskFailed(exc.message) from exc
            raise RetryLater(exc.message) from exc
        except AmliteError as exc:  # a reference not copied yet, the target's region down...
            raise RetryLater(exc.message) from exc

    # -- reading ---------------------------------------------------------------------------------

    def _view(self, uow: UnitOfWork, pair: WorkspacePair) -> PairView:
        # A soft-deleted workspace keeps its row (and the pair) until its purge removes both.
        primary = uow.workspaces.any_by_key(pair.primary_key)
        secondary = uow.workspaces.any_by_key(pair.secondary_key)
        assert primary is not None and secondary is not None  # the pair's foreign keys cascade
        missing = self.not_copied(uow, pair)
        lag = [KindLag(label, pair.mode_of(label), len(items), min((m.created_at for m in items), default=None))
               for label, items in missing.items()]
        # Jobs: the jobs whose files are still being copied ahead into the secondary (services/failover_jobs.py).
        counts = uow.tasks.count_by_state(PAIR_JOB_COPY, pair.key)
        lag.append(KindLag("jobs", pair.mode_of("jobs"), counts.get("Pending", 0) + counts.get("Running", 0), None))
        endpoints = self.endpoint_lag(uow, pair)
        stale = [e.modified_at for e in endpoints if not e.current]
        lag.append(KindLag(ENDPOINTS, pair.mode_of(ENDPOINTS), len(stale), min(stale, default=None)))
        return PairView(pair, primary.arm_id, primary.location, secondary.arm_id, secondary.location, lag, endpoints)

    def _writable(self, uow: UnitOfWork, caller: Caller, workspace_id: str, target: str) -> Workspace:
        sub, group, name = parse_workspace_id(workspace_id, target)
        ws = require_workspace(uow, caller, sub, group, name)
        if not Authorizer.allowed_in(uow, caller.principal_id, WS_WRITE, ws.arm_id):
            self._authz.deny(caller, WS_WRITE, ws.arm_id)
        return ws

    def _readable(self, uow: UnitOfWork, caller: Caller, name: str) -> WorkspacePair:
        pair = uow.workspace_pairs.by_name(caller.tenant_id, name)
        primary = uow.workspaces.by_key(pair.primary_key) if pair else None
        if pair is None or primary is None:
            raise _not_found(name)
        if not Authorizer.allowed_in(uow, caller.principal_id, WS_READ, primary.arm_id):
            self._authz.deny(caller, WS_READ, primary.arm_id)
        return pair


def primary_region(uow: UnitOfWork, task: Task) -> str | None:
    """The region a copy back of a pair (its ``scope_key``) writes into: its primary's."""
    pair = uow.workspace_pairs.by_key(task.scope_key or "")
    primary = uow.workspaces.any_by_key(pair.primary_key) if pair is not None else None
    return primary.location if primary is not None else None


def secondary_region(uow: UnitOfWork, task: Task) -> str | None:
    """The region a copy task of a pair (its ``scope_key``) writes into: its secondary's."""
    pair = uow.workspace_pairs.by_key(task.scope_key or "")
    secondary = uow.workspaces.any_by_key(pair.secondary_key) if pair is not None else None
    return secondary.location if secondary is not None else None


def failed_over_since(pair: WorkspacePair) -> datetime | None:
    """When the failover that made the secondary active started (its report's ``startedAt``)."""
    last = next((r for r in reversed(pair.history) if r.get("action") == "failover"), None)
    started = last.get("startedAt") if last else None
    return datetime.fromisoformat(started) if isinstance(started, str) else None


def _has(uow: UnitOfWork, workspace_key: str, kind: AssetKind, name: str, version: str) -> bool:
    container = uow.asset_containers.get(workspace_key, kind, name)
    return container is not None and uow.asset_versions.any_get(container.key, version) is not None


def _kind_name(kind: AssetKind) -> str | None:
    return next((label for label, k in ASSET_KINDS.items() if k is kind), None)


def _not_found(name: str) -> NotFound:
    return NotFound("ResourceNotFound", f"The workspace pair '{name}' was not found.")

