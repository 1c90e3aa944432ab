"""Replicating registry asset versions to every replication region of their registry.

The queue is durable: one ``replication_tasks`` row per (version, non-primary region), written in
the unit of work that creates the version (``plan``) or, when regions are added to a registry,
by the back-fill hook (``on_regions_added``). Workers (``worker/replication.py``, several threads)
each claim one due task at a time with a lease, renewed while the copy runs, so the regions of one
version copy in parallel; the copy runs outside any transaction.

A copy streams each blob of the version's manifest from the primary region's store into the
region's store with ``BlobStore.copy_blob``, which verifies the sha256 and publishes atomically:
a crash mid-copy leaves no partial object under any key (the adapter's temporary object is swept
at start), and the rerun skips blobs already there (content addressing), so the handler is
idempotent. A failure (the region's storage unreachable) is recorded on the task with its reason
and retried after an exponential backoff while the other regions proceed. Tasks of a region that
was removed are dropped; reads never go to a region the registry no longer lists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.errors import AmliteError
from amlite.domain.replication import RegionReplica, ReplicationTask, new_task, replication_of
from amlite.faults import fault_point
from amlite.ports import UnitOfWork
from amlite.services.asset_owners import registry_by_key
from amlite.services.context import Deps

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_BACKOFF = timedelta(seconds=2)


class ReplicationService:
    def __init__(self, deps: Deps, lease: timedelta = DEFAULT_LEASE, backoff: timedelta = DEFAULT_BACKOFF) -> None:
        self._deps = deps
        self._lease = lease
        self._backoff = backoff
        #: Set by bootstrap to the workers' wake-up; called after a commit that queued work.
        self.wakeup: Callable[[], None] = lambda: None

    # -- queueing (inside the caller's unit of work) ----------------------------------------------

    def plan(self, uow: UnitOfWork, owner: AssetOwner, version_key: str) -> int:
        """Write a task for each replica region of a new registry version."""
        now = self._deps.clock.now()
        tasks = [new_task(self._deps.ids.new_id(), version_key, owner.key, region, now)
                 for region in owner.replica_regions]
        return uow.replication_tasks.add_missing(tasks)

    def wake(self) -> None:
        self.wakeup()

    # -- registry hooks (after the registry's commit) ---------------------------------------------

    def on_regions_added(self, registry_key: str, regions: list[str]) -> None:
        """Back-fill: every existing version of the registry gets a task in each new region."""
        d = self._deps
        with d.uow(write=True) as uow:
            owner = registry_by_key(uow, registry_key)
            if owner is None:
                return
            now = d.clock.now()
            wanted = [r for r in regions if r.lower() != owner.location.lower()]
            tasks = [new_task(d.ids.new_id(), key, registry_key, region, now)
                     for key in uow.replication_tasks.version_keys_of_registry(registry_key) for region in wanted]
            added = uow.replication_tasks.add_missing(tasks)
            uow.commit()
        log.info("back-filling %d version copies of registry %s into %s", added, registry_key, regions)
        self.wake()

    def on_regions_removed(self, registry_key: str, regions: list[str]) -> None:
        with self._deps.uow(write=True) as uow:
            for region in regions:
                uow.replication_tasks.delete_region(registry_key, region)
            uow.commit()

    # -- reading ---------------------------------------------------------------------------------

    def states_in(self, uow: UnitOfWork, owner: AssetOwner, version_keys: list[str]) -> dict[str, list[RegionReplica]]:
        tasks = uow.replication_tasks.of_versions(version_keys)
        regions = tuple(r.region for r in owner.regions)
        return {key: replication_of(owner.location, regions, tasks.get(key, [])) for key in version_keys}

    def state_of(self, owner: AssetOwner, version_key: str) -> list[RegionReplica]:
        with self._deps.uow() as uow:
            return self.states_in(uow, owner, [version_key])[version_key]

    # -- running (the workers) -------------------------------------------------------------------

    def release_leases(self) -> int:
        """At start on SQLite (one server per file): every lease is a dead process's."""
        with self._deps.uow(write=True) as uow:
            released = uow.replication_tasks.release_leases()
            uow.commit()
        return released

    def seconds_until_due(self, ceiling: float) -> float:
        """How long a worker with nothing to do may sleep before a retry falls due."""
        with self._deps.uow() as uow:
            due: datetime | None = uow.replication_tasks.next_due_at()
        if due is None:
            return ceiling
        return max(0.0, min(ceiling, (due - self._deps.clock.now()).total_seconds()))

    def run_next(self, worker: str) -> bool:
        """Claim one due task and copy its version into its region; False when none is due."""
        d = self._deps
        with d.uow(write=True) as uow:
            task = uow.replication_tasks.claim_next(worker, d.clock.now(), self._lease)
            if task is None:
                return False
            owner = registry_by_key(uow, task.registry_key)
            version = uow.registry_asset_versions.get_by_key(task.version_key)
            if owner is None or version is None or owner.region(task.region) is None:
                # The version, its registry or the region is gone (deleted meanwhile): nothing to copy.
                uow.replication_tasks.delete(task.key)
                uow.commit()
                return True
            uow.commit()
        try:
            self._copy(owner, task, [entry.sha256 for entry in version.manifest], worker)
        except (AmliteError, OSError) as exc:
            reason = exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
            log.warning("replication of %s to %s failed (attempt %d): %s", task.version_key, task.region,
                        task.attempts, reason)
            self._end(task, worker, lambda t, now: t.failed(now, f"Storage in region '{task.region}': {reason}",
                                                             self._backoff))
            return True
        fault_point("replication.before_succeeded")
        self._end(task, worker, lambda t, now: t.succeeded(now))
        return True

    def _copy(self, owner: AssetOwner, task: ReplicationTask, digests: list[str], worker: str) -> None:
        primary, target = owner.primary, owner.region(task.region)
        assert target is not None
        source, dest = self._deps.blobs(primary.region), self._deps.blobs(target.region)
        with self._lease_kept(task, worker):
            for digest in dict.fromkeys(digests):
                if not dest.exists(target.account, target.container, digest):
                    dest.copy_blob(source, primary.account, primary.container, target.account, target.container,
                                   digest)
                    fault_point("replication.after_blob")

    @contextmanager
    def _lease_kept(self, task: ReplicationTask, worker: str) -> Iterator[None]:
        """Renew the claim every third of the lease while the copy runs. One blob may take longer
        than the lease (gigabytes into slow storage); a claim left to run out would hand the copy
        to a second worker half-way, and the two would copy the same bytes, each counting an attempt."""
        done = threading.Event()
        interval = max(0.05, self._lease.total_seconds() / 3)

        def beat() -> None:
            while not done.wait(interval):
                try:
                    self._renew(task, worker)
                except Exception:  # the store is busy or unreachable: try again at the next beat
                    log.exception("could not renew the claim of %s on %s", worker, task.key)

        heart = threading.Thread(target=beat, name=f"{worker}-lease", daemon=True)
        heart.start()
        try:
            yield
        finally:
            done.set()
            heart.join()

    def _renew(self, task: ReplicationTask, worker: str) -> None:
        with self._deps.uow(write=True) as uow:
            current = uow.replication_tasks.get(task.key)
            if current is not None and current.lease_owner == worker:
                uow.replication_tasks.save(current.renewed(self._deps.clock.now(), self._lease))
            uow.commit()

    def _end(self, task: ReplicationTask, worker: str,
             change: Callable[[ReplicationTask, datetime], ReplicationTask]) -> None:
        """Record the outcome unless another worker took the task over (its lease expired)."""
        with self._deps.uow(write=True) as uow:
            current = uow.replication_tasks.get(task.key)
            if current is not None and current.lease_owner == worker:
                uow.replication_tasks.save(change(current, self._deps.clock.now()))
            uow.commit()
