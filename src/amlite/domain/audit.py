"""The audit log's entries: who did what, where, when, and how it ended.

Entries are appended, never changed or removed; a write's entry is committed in the same
transaction as the write, so the log can neither miss a change nor record one that did not happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from amlite.domain.errors import invalid


class AuditResult(str, Enum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DENIED = "Denied"


@dataclass(frozen=True)
class AuditEntry:
    id: str
    tenant_id: str
    at: datetime
    principal_id: str
    principal_name: str
    action: str
    scope: str
    result: AuditResult
    correlation_id: str
    request_id: str
    status_code: int | None = None
    message: str = ""
    http_method: str = ""
    client_ip: str = ""

    @property
    def subscription_id(self) -> str | None:
        parts = self.scope.strip("/").split("/")
        return parts[1].lower() if len(parts) >= 2 and parts[0].lower() == "subscriptions" else None

    @property
    def resource_group(self) -> str | None:
        parts = self.scope.strip("/").split("/")
        return parts[3] if len(parts) >= 4 and parts[2].lower() == "resourcegroups" else None


@dataclass(frozen=True)
class ActivityFilter:
    """Azure Monitor's activity log ``$filter``: a time window and optional narrowing terms."""

    since: datetime | None = None
    until: datetime | None = None
    resource_group: str | None = None
    resource_uri: str | None = None
    caller: str | None = None
    correlation_id: str | None = None


_TERM = re.compile(r"^\s*(\w+)\s+(eq|ge|le)\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_FIELDS = {
    ("eventtimestamp", "ge"): "since", ("eventtimestamp", "le"): "until",
    ("resourcegroupname", "eq"): "resource_group", ("resourceuri", "eq"): "resource_uri",
    ("resourceid", "eq"): "resource_uri", ("caller", "eq"): "caller", ("correlationid", "eq"): "correlation_id",
}


def parse_activity_filter(expression: str | None) -> ActivityFilter:
    """``eventTimestamp ge '2026-01-01T00:00:00Z' and resourceGroupName eq 'rg'`` and friends; any
    other term is ``InvalidFilterInQueryString`` rather than silently ignored."""
    if not expression or not expression.strip():
        return ActivityFilter()
    values: dict[str, object] = {}
    for term in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        match = _TERM.match(term)
        field = _FIELDS.get((match.group(1).lower(), match.group(2).lower())) if match else None
        if match is None or field is None:
            raise invalid("InvalidFilterInQueryString", f"The $filter term '{term.strip()}' is not supported: use "
                          "eventTimestamp ge/le, resourceGroupName, resourceUri, caller or correlationId with eq.",
                          "$filter")
        text = match.group(3).replace("''", "'")
        values[field] = _timestamp(text) if field in ("since", "until") else text
    return ActivityFilter(**values)  # type: ignore[arg-type]


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("InvalidFilterInQueryString", f"'{text}' is not an ISO 8601 timestamp.", "$filter") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
