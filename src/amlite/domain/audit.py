"""The audit log's entries: who did what, where, when, and how it ended.

Entries are appended, never changed or removed; a write's entry is committed in the same
transaction as the write, so the log can neither miss a change nor record one that did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


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

    @property
    def subscription_id(self) -> str | None:
        parts = self.scope.strip("/").split("/")
        return parts[1].lower() if len(parts) >= 2 and parts[0].lower() == "subscriptions" else None

    @property
    def resource_group(self) -> str | None:
        parts = self.scope.strip("/").split("/")
        return parts[3] if len(parts) >= 4 and parts[2].lower() == "resourcegroups" else None
