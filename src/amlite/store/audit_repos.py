"""The audit log: append and query. There is deliberately no update or delete."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from amlite.domain.audit import AuditEntry, AuditResult
from amlite.domain.rbac import normalize_scope
from amlite.store import tables as t

_log = t.audit_log
#: Built once: an append runs with every request that changes something.
_APPEND = _log.insert()


class AuditRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def append(self, entry: AuditEntry) -> None:
        group = entry.resource_group
        self._conn.execute(_APPEND, {
            "id": entry.id, "tenant_id": entry.tenant_id, "at": entry.at, "principal_id": entry.principal_id,
            "principal_name": entry.principal_name, "action": entry.action, "scope": entry.scope,
            "scope_lower": normalize_scope(entry.scope), "subscription_id": entry.subscription_id,
            "resource_group_lower": group.lower() if group else None, "result": entry.result.value,
            "status_code": entry.status_code, "correlation_id": entry.correlation_id,
            "request_id": entry.request_id, "message": entry.message, "http_method": entry.http_method,
            "client_ip": entry.client_ip,
        })

    def query(
        self, tenant_id: str, *, scope: str | None = None, subscription_id: str | None = None,
        resource_group: str | None = None, since: datetime | None = None, until: datetime | None = None,
        caller: str | None = None, limit: int = 1000, offset: int = 0, visible_scopes: list[str] | None = None,
        correlation_id: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first. ``scope`` matches the scope and everything below it; ``visible_scopes`` (when
        given) keeps only entries at or below one of them: the caller's readable scopes, in SQL."""
        query = sa.select(_log).where(_log.c.tenant_id == tenant_id)
        if scope is not None and normalize_scope(scope) != "/":
            query = query.where(_at_or_below(normalize_scope(scope)))
        if visible_scopes is not None:
            query = query.where(sa.or_(sa.false(), *(_at_or_below(normalize_scope(s)) for s in visible_scopes)))
        if subscription_id is not None:
            query = query.where(_log.c.subscription_id == subscription_id.lower())
        if resource_group is not None:
            query = query.where(_log.c.resource_group_lower == resource_group.lower())
        if since is not None:
            query = query.where(_log.c.at >= since)
        if until is not None:
            query = query.where(_log.c.at <= until)
        if correlation_id is not None:
            query = query.where(_log.c.correlation_id == correlation_id)
        if caller is not None:
            query = query.where(sa.or_(sa.func.lower(_log.c.principal_name) == caller.lower(), _log.c.principal_id == caller.lower()))
        rows = self._conn.execute(query.order_by(_log.c.at.desc(), _log.c.id).offset(offset).limit(limit))
        return [_entry(r) for r in rows]


def _at_or_below(norm: str) -> sa.ColumnElement[bool]:
    escaped = norm.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.or_(_log.c.scope_lower == norm, _log.c.scope_lower.like(escaped + "/%", escape="\\"))


def _entry(row: sa.Row) -> AuditEntry:  # type: ignore[type-arg]
    return AuditEntry(
        id=row.id, tenant_id=row.tenant_id, at=row.at, principal_id=row.principal_id,
        principal_name=row.principal_name, action=row.action, scope=row.scope, result=AuditResult(row.result),
        correlation_id=row.correlation_id, request_id=row.request_id, status_code=row.status_code,
        message=row.message, http_method=row.http_method, client_ip=row.client_ip,
    )
