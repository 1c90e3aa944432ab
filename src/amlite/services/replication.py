"""Replicating registry asset versions to every replication region of their registry.

Each copy of a version into one region is a task of kind ``REPLICATE`` on the one task engine
(``services/tasks.py``), written in the unit of work that creates the version (``plan``) or,
when regions are added to a registry, by the back-fill hook (``on_regions_added``). The
reconciler (``reconcile``, run periodically by ``worker/reconciler.py``) derives from the state
what must exist (every version of a registry in every replica region) and queues what is
missing, so a lost back-fill (the process died between the region change and the hook, or the
hook failed) heals by itself; it also drops the copies no longer wanted (a region removed, a
version or registry deleted).

A copy streams each blob of the version's manifest from the primary region's store into the
region's store with ``BlobStore.copy_blob``, which verifies the sha256 and publishes atomically:
a crash mid-copy leaves no partial object under any key (the adapter's temporary object is swept
at start), and the rerun skips blobs already there (content addressing), so the handler is
idempotent. A failure (the region's storage unreachable) is retried after an exponential backoff
with its reason shown, while the other regions proceed. Reads never go to a region the registry
no longer lists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.errors import AmliteError
from amlite.domain.registries import Registry
from amlite.domain.replication import MAX_ATTEMPTS, REPLICATE, RegionReplica, copy_key, region_of, replication_of
from amlite.domain.tasks import RetryLater, Task
from amlite.faults import fault_point
from amlite.ports import BlobStore, UnitOfWork
from amlite.services.asset_owners import registry_by_key
from amlite.services.context import Deps
from amlite.services.tasks import TaskEngine, TaskKind

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_BACKOFF = timedelta(seconds=2)


class ReplicationService:
    def __init__(self, deps: Deps, engine: TaskEngine, lease: timedelta = DEFAULT_LEASE,
                 backoff: timedelta = DEFAULT_BACKOFF) -> None:
        self._deps = deps
        self._engine = engine
        engine.register(TaskKind(REPLICATE, self._run, lease=lease, backoff=backoff, max_attempts=MAX_ATTEMPTS))

    # -- queueing (inside the caller's unit of work) ----------------------------------------------

    def plan(self, uow: UnitOfWork, owner: AssetOwner, version_key: str) -> int:
        """Queue a copy into each replica region of a new registry version."""
        return self._engine.enqueue_many(uow, [self._copy_task(owner.key, version_key, region)
                                               for region in owner.replica_regions])

    def _copy_task(self, registry_key: str, version_key: str, region: str) -> Task:
        return self._engine.new(REPLICATE, dedupe_key=copy_key(version_key, region), subject_key=version_key,
                                scope_key=registry_key, payload={"region": region})

    def wake(self) -> None:
        self._engine.wake()

    # -- registry hooks --------------------------------------------------------------------------

    def on_regions_added(self, registry_key: str, regions: list[str]) -> None:
        """Back-fill (after the registry's commit): every version gets a copy in each new region.
        Lost, it is done by the next ``reconcile``."""
        d = self._deps
        with d.uow(write=True) as uow:
            owner = registry_by_key(uow, registry_key)
            if owner is None:
                return
            wanted = [r for r in regions if r.lower() != owner.location.lower()]
            tasks = [self._copy_task(registry_key, key, region)
                     for key in uow.registry_asset_versions.keys_of_owner(registry_key) for region in wanted]
            added = self._engine.enqueue_many(uow, tasks)
            uow.commit()
        log.info("back-filling %d version copies of registry %s into %s", added, registry_key, regions)
        self.wake()

    def on_regions_removed(self, registry_key: str, regions: list[str]) -> None:
        """Drop the removed regions' copies at once (the reconciler would, later)."""
        with self._deps.uow(write=True) as uow:
            owner = registry_by_key(uow, registry_key)
            if owner is not None:
                unwanted = self._unwanted(uow, owner)
                uow.tasks.delete_by_dedupe_keys(unwanted)
            uow.commit()

    def before_registry_delete(self, uow: UnitOfWork, reg: Registry) -> None:
        uow.tasks.delete_scope(REPLICATE, reg.key)

    # -- reconciling -----------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Queue every missing copy of every registry version and drop the copies nobody wants;
        returns how many tasks were added or removed. Two statements find both, whatever the
        number of registries and versions; one transaction writes the difference."""
        with self._deps.uow(write=True) as uow:
            dropped = uow.tasks.delete_unwanted_copies()
            missing = uow.tasks.missing_copies()
            added = self._engine.enqueue_many(uow, [self._copy_task(registry_key, version_key, region)
                                                    for registry_key, version_key, region in missing])
            uow.commit()
        if added:
            lacking = sorted({registry_key for registry_key, _, _ in missing})
            log.warning("reconciler: registries %s lacked %d version copies; queued them", lacking, added)
        if added or dropped:
            log.info("reconciler: %d replication tasks queued, %d dropped", added, dropped)
            self.wake()
        return added + dropped

    def after_restore(self, region: str) -> int:
        """A failed region was restored (services/outages.py): its waiting copies run now, with
        their attempts back, and the copies that failed for good during the outage run again."""
        return self.catch_up([region])

    def catch_up(self, regions: list[str] | None = None) -> int:
        """Requeue the copies into restored regions (``regions``, or every region restored by a
        drill) that have not run since the restore; returns how many. Also a reconciler pass, so
        a restore whose hook was lost still catches up."""
        return self._engine.requeue_after_restore(REPLICATE, lambda _uow, task: region_of(task), regions)

    def _unwanted(self, uow: UnitOfWork, owner: AssetOwner) -> list[str]:
        regions = {r.lower() for r in owner.replica_regions}
        have = uow.tasks.dedupe_keys_in_scope(REPLICATE, owner.key)
        return sorted(k for k in have if k.rsplit(":", 1)[1] not in regions)

    # -- reading ---------------------------------------------------------------------------------

    def states_in(self, uow: UnitOfWork, owner: AssetOwner, version_keys: list[str]) -> dict[str, list[RegionReplica]]:
        tasks = uow.tasks.of_subjects(REPLICATE, version_keys)
        regions = tuple(r.region for r in owner.regions)
        return {key: replication_of(owner.location, regions, tasks.get(key, [])) for key in version_keys}

    def state_of(self, owner: AssetOwner, version_key: str) -> list[RegionReplica]:
        with self._deps.uow() as uow:
            return self.states_in(uow, owner, [version_key])[version_key]

    # -- running (the task's handler) ------------------------------------------------------------

    def _run(self, task: Task) -> None:
        """Copy the task's version into its region; a copy no longer wanted is dropped."""
        region = region_of(task)
        with self._deps.uow(write=True) as uow:
            owner = registry_by_key(uow, task.scope_key or "")
            version = uow.registry_asset_versions.get_by_key(task.subject_key or "")
            if owner is None or version is None or owner.region(region) is None:
                uow.tasks.delete(task.key)  # the version, its registry or the region is gone
                uow.commit()
                return
        waited = (self._deps.clock.now() - task.created_at).total_seconds()
        started = time.perf_counter()
        try:
            copied = self._copy(owner, region, [entry.sha256 for entry in version.manifest])
        except (AmliteError, OSError) as exc:
            reason = exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
            raise RetryLater(f"Storage in region '{region}': {reason}") from exc
        log.info("replication of %s into %s: %d blobs copied in %.3f s, started %.3f s after it was queued",
                 task.subject_key, region, copied, time.perf_counter() - started, waited)
        fault_point("replication.before_succeeded")

    def _copy(self, owner: AssetOwner, region: str, digests: list[str]) -> int:
        """Copy the blobs the region lacks; how many it lacked."""
        primary, target = owner.primary, owner.region(region)
        assert target is not None
        return copy_missing(self._deps.blobs(primary.region), primary.account, primary.container,
                            self._deps.blobs(target.region), target.account, target.container, digests,
                            fault="replication.after_blob")


def copy_missing(source: BlobStore, src_account: str, src_container: str, dest: BlobStore, dst_account: str,
                 dst_container: str, digests: Iterable[str], *, fault: str) -> int:
    """Copy into ``dest`` the blobs of ``digests`` it lacks, each verified by its sha256 and
    published atomically (``BlobStore.copy_blob``); returns how many it lacked. Idempotent: a rerun
    after a crash skips what is there. A registry version's replica, a pair's copies (versions, a
    job's files copied ahead of a failover) and a workspace moving to
    another region (``services/move_storage.py``) are copied by it; ``fault`` names the crash
    point after each blob."""
    copied = 0
    for digest in dict.fromkeys(digests):
        if not dest.exists(dst_account, dst_container, digest):
            dest.copy_blob(source, src_account, src_container, dst_account, dst_container, digest)
            copied += 1
            fault_point(fault)
    return copied
