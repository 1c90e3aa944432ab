"""Region outage drills: a region marked failed answers as an Azure region does during an outage.

The state is one row per region that was ever failed (``RegionOutage``): failed while
``restored_at`` is empty. It lives in the metadata store so every server process sharing it sees
the same drill. What a failed region refuses, and with which answer, is decided here once:

- its object storage raises ``StorageUnavailable`` with Azure Storage's ``ServerBusy`` /
  ``ServiceUnavailable`` wording (503), the error every storage client already retries;
- a request that needs a workspace, or a registry's primary region, in the region answers 503
  ``ServiceUnavailable`` with a ``Retry-After`` header, as ARM answers when a regional resource
  provider is down (``RegionOutage.retry_after_seconds``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from amlite.domain.errors import StorageUnavailable

#: Seconds a client is told to wait before it retries a request refused by a failed region.
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class RegionOutage:
    region: str  # the region's name, lower case
    failed_at: datetime
    failed_by: str
    restored_at: datetime | None = None
    restored_by: str | None = None

    @property
    def is_failed(self) -> bool:
        return self.restored_at is None

    def restored(self, at: datetime, by: str) -> "RegionOutage":
        return replace(self, restored_at=at, restored_by=by)


class RegionUnavailable(StorageUnavailable):
    """A request needs a resource in a failed region: 503 with ``Retry-After``."""

    retry_after = RETRY_AFTER_SECONDS


def region_unavailable(region: str, what: str) -> RegionUnavailable:
    """The answer to a request that needs ``what`` (``workspace 'w1'``) in the failed ``region``."""
    return RegionUnavailable(
        "ServiceUnavailable",
        f"The {what} is in region '{region}', which is currently unavailable (a regional outage). "
        f"Retry after {RETRY_AFTER_SECONDS} seconds, or fail over to a workspace in another region.",
    )


def storage_unavailable(region: str) -> StorageUnavailable:
    """What a failed region's object storage answers, worded as Azure Storage's 503."""
    return StorageUnavailable(
        "ServerBusy",
        f"The server is currently unable to receive requests. Please retry your request. "
        f"(storage in region '{region}' is unavailable: a regional outage)",
    )
