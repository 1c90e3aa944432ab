"""Reading the audit log as Azure Monitor's activity log.

Nothing here writes: the log is appended by the use cases themselves (``services.audit``) and no
route can change or remove an entry. A caller sees the entries at the scopes it may read the log
at (``Caller.visibility``, filtered in SQL), within one subscription.
"""

from __future__ import annotations

from datetime import timedelta

from amlite.domain.audit import ActivityFilter, AuditEntry
from amlite.services.context import Caller, Deps
from amlite.services.subscriptions import require_subscription

#: Azure Monitor answers the last 90 days at most; without a start time it shows the last 6 hours
#: (``az monitor activity-log list`` sends a start time itself).
DEFAULT_WINDOW = timedelta(days=90)


class ActivityLogService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def list(self, caller: Caller, sub_id: str, where: ActivityFilter, offset: int, limit: int) -> list[AuditEntry]:
        d = self._deps
        since = where.since or d.clock.now() - DEFAULT_WINDOW
        seen = caller.visibility
        with d.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            return uow.audit.query(
                caller.tenant_id, scope=where.resource_uri, subscription_id=sub.id,
                resource_group=where.resource_group, since=since, until=where.until, caller=where.caller,
                correlation_id=where.correlation_id, offset=offset, limit=limit,
                visible_scopes=None if seen is None or seen.everything else list(seen.scopes),
            )
