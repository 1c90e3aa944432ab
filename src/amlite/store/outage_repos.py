"""Region outage drills (domain/outages.py): one row per region ever failed."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.outages import RegionOutage
from amlite.store import tables as t

_o = t.region_outages


def _outage(row: sa.Row) -> RegionOutage:  # type: ignore[type-arg]
    return RegionOutage(row.region, row.failed_at, row.failed_by, row.restored_at, row.restored_by)


class RegionOutageRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

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

    def failed_regions(self) -> set[str]:
        """The regions failed now (lower case): one read of a table with a row per drilled region."""
        return {row[0] for row in self._conn.execute(sa.select(_o.c.region).where(_o.c.restored_at.is_(None)))}

    def list(self) -> list[RegionOutage]:
        return [_outage(row) for row in self._conn.execute(sa.select(_o).order_by(_o.c.region))]
