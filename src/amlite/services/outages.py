"""Outage drills: ``amlite admin region fail|restore REGION`` (domain/outages.py).

The drill's state is in the store, so every server process sharing it sees the same outage.
Requests that need a workspace or a registry in a failed region are refused where the request
resolves it (``services/workspace_scope.region_up``; each process remembers the failed regions
under the store's access generation, which a fail or restore bumps, so a request reads the table
only after a drill changed). The region's blob store (``blobs/outage.DrillableBlobStore``) asks ``is_failed``
on every call; that answer is cached for ``cache_seconds`` so a blob read costs no extra query,
and this process's own fail and restore take effect at once (other processes within the cache
time). A restore runs the ``on_restored`` hooks after its commit (registry replication queues
its waiting copies again); the reconciler repeats what a lost hook missed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from amlite.domain.outages import RegionOutage
from amlite.services.context import Caller, Deps

log = logging.getLogger(__name__)

#: What a caller must hold at the tenant root (``/``) to fail or restore a region, and to read
#: the drills. Owner and Contributor at the root hold it through ``*``; no role below the root does.
WRITE = "Microsoft.MachineLearningServices/locations/outageDrills/write"
READ = "Microsoft.MachineLearningServices/locations/outageDrills/read"

RestoredHook = Callable[[str], object]


class OutageService:
    def __init__(self, deps: Deps, cache_seconds: float = 1.0) -> None:
        self._deps = deps
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._failed: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self.on_restored: list[RestoredHook] = []

    # -- the state every blob call asks about ----------------------------------------------------

    def is_failed(self, region: str) -> bool:
        with self._lock:
            fresh = time.monotonic() - self._read_at < self._cache_seconds
            failed = self._failed
        if not fresh:
            with self._deps.uow() as uow:
                failed = frozenset(uow.region_outages.failed_regions())
            with self._lock:
                self._failed, self._read_at = failed, time.monotonic()
        return region.lower() in failed

    def _remember(self, failed: set[str]) -> None:
        with self._lock:
            self._failed, self._read_at = frozenset(failed), time.monotonic()

    # -- use cases (the route authorized the caller at the root) ---------------------------------

    def fail(self, caller: Caller, region_name: str) -> RegionOutage:
        """Fail a region; failing a failed region changes nothing and answers its drill."""
        region = self._deps.regions.resolve(region_name, "region").name.lower()
        with self._deps.uow(write=True) as uow:
            current = uow.region_outages.get(region)
            if current is not None and current.is_failed:
                return current
            outage = RegionOutage(region, self._deps.clock.now(), caller.name or caller.principal_id)
            uow.region_outages.save(outage)
            failed = uow.region_outages.failed_regions()
            uow.commit()
        self._remember(failed)
        log.warning("region %s failed by %s (outage drill)", region, outage.failed_by)
        return outage

    def restore(self, caller: Caller, region_name: str) -> RegionOutage | None:
        """Restore a failed region; ``None`` when it was not failed (nothing changes)."""
        region = self._deps.regions.resolve(region_name, "region").name.lower()
        with self._deps.uow(write=True) as uow:
            current = uow.region_outages.get(region)
            if current is None or not current.is_failed:
                return current
            outage = current.restored(self._deps.clock.now(), caller.name or caller.principal_id)
            uow.region_outages.save(outage)
            failed = uow.region_outages.failed_regions()
            uow.commit()
        self._remember(failed)
        log.warning("region %s restored by %s", region, outage.restored_by)
        for hook in self.on_restored:
            try:
                hook(region)
            except Exception:  # the reconciler's next pass does the same work
                log.exception("after the restore of %s, hook %r failed", region, hook)
        return outage

    def list(self) -> list[RegionOutage]:
        with self._deps.uow() as uow:
            return uow.region_outages.list()

    def get(self, region_name: str) -> RegionOutage | None:
        region = self._deps.regions.resolve(region_name, "region").name.lower()
        with self._deps.uow() as uow:
            return uow.region_outages.get(region)
