"""Region outage drills (domain/outages.py): one row per region ever failed.

Every request that resolves a workspace or a registry asks which regions are failed. A fail or a
restore bumps the store's access generation (``rbac_repos.AccessChanges``) in its transaction, so
a process remembers the failed regions under the generation the request's unit of work read
first, and reads the table again only when that number moved: a drill started through any
process is seen by every process on its next request, as before, for one read fewer per request.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from amlite.domain.outages import RegionOutage
from amlite.store import tables as t
from amlite.store.rbac_repos import AccessChanges

_o = t.region_outages
_FAILED = sa.select(_o.c.region).where(_o.c.restored_at.is_(None))


class FailedRegionsCache:
    """The failed regions one process read last, with the access generation they were read under
    (the regions were read after the generation, so they are at least that new)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[int, frozenset[str]] | None = None

    def get(self, generation: int) -> frozenset[str] | None:
        entry = self._entry
        return entry[1] if entry is not None and entry[0] == generation else None

    def put(self, generation: int, failed: frozenset[str]) -> None:
        with self._lock:
            if self._entry is None or self._entry[0] <= generation:
                self._entry = (generation, failed)


def _outage(row: sa.Row) -> RegionOutage:  # type: ignore[type-arg]
    return RegionOutage(row.region, row.failed_at, row.failed_by, row.restored_at, row.restored_by)


class RegionOutageRepository:
    def __init__(self, conn: sa.Connection, changes: AccessChanges, cache: FailedRegionsCache) -> None:
        self._conn = conn
        self._changes = changes
        self._cache = cache

    def get(self, region: str) -> RegionOutage | None:
        row = self._conn.execute(sa.select(_o).where(_o.c.region == region.lower())).first()
        return _outage(row) if row else None

    def save(self, outage: RegionOutage) -> None:
        """Insert or replace the region's row (a region failed again starts a new drill)."""
        values = {"failed_at": outage.failed_at, "failed_by": outage.failed_by,
                  "restored_at": outage.restored_at, "restored_by": outage.restored_by}
        updated = self._conn.execute(_o.update().where(_o.c.region == outage.region).values(**values))
        if not updated.rowcount:
            self._conn.execute(_o.insert().values(region=outage.region, **values))
        self._changes.changed = True

    def failed_regions(self) -> set[str]:
        """The regions failed now (lower case). Remembered per process under the generation this
        unit of work read, unless it has read none or changed something itself."""
        generation = None if self._changes.changed else self._changes.seen
        if generation is not None and (known := self._cache.get(generation)) is not None:
            return set(known)
        failed = {row[0] for row in self._conn.execute(_FAILED)}
        if generation is not None:
            self._cache.put(generation, frozenset(failed))
        return failed

    def list(self) -> list[RegionOutage]:
        return [_outage(row) for row in self._conn.execute(sa.select(_o).order_by(_o.c.region))]
