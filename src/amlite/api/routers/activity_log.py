"""The audit log read as Azure Monitor's activity log (``az monitor activity-log list``).

There is one route, a GET: no route updates or deletes an entry, so PUT, PATCH and DELETE on it
answer 405 and any other path 404, both in the ARM error body. A caller with the read action at
the subscription sees its whole log; one with it on resource groups or resources only sees the
entries at and below those (filtered in SQL); one with neither gets 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api.deps import INSIGHTS_VERSION, Authorize, Paging, container, list_body, paging, sub_scope
from amlite.api.render import ts
from amlite.domain.audit import AuditEntry, AuditResult, parse_activity_filter
from amlite.domain.errors import InvalidInput
from amlite.domain.rbac import parse_scope
from amlite.services.context import Caller

router = APIRouter()
READ = "Microsoft.Insights/eventtypes/values/read"
PATH = "/subscriptions/{subscription_id}/providers/Microsoft.Insights/eventtypes/management/values"

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "NoContent", 400: "BadRequest", 401: "Unauthorized",
                403: "Forbidden", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed", 415: "UnsupportedMediaType",
                500: "InternalServerError"}


def _value(text: str | None) -> dict[str, Any] | None:
    return None if text is None else {"value": text, "localizedValue": text}


def _provider_and_type(scope: str) -> tuple[str | None, str | None]:
    """The event's resource provider and type, from the scope it was recorded at. Besides the
    scopes of role assignments, the log holds resources that sit on a subscription itself
    (``/subscriptions/{s}/providers/Microsoft.Authorization/policyAssignments/{name}``): they are
    typed from their ``providers`` segment, never refused, so one entry cannot break the listing."""
    if not (scope.lower().startswith(("/subscriptions/", "/providers/")) or scope == "/"):
        return None, None
    try:
        parsed = parse_scope(scope)
    except InvalidInput:
        parts = scope.strip("/").split("/")
        if len(parts) >= 6 and parts[2].lower() == "providers" and len(parts[3:]) % 2 == 1:
            return parts[3], "/".join([parts[3], *parts[4::2]])
        return None, None
    if parsed.resource_type:
        return parsed.resource_type.split("/")[0], parsed.resource_type
    return "Microsoft.Resources", "Microsoft.Resources/resourceGroups" if parsed.resource_group else None


def render_event(e: AuditEntry) -> dict[str, Any]:
    """One entry in Azure Monitor's event shape (``Microsoft.Insights/eventtypes/management/values``)."""
    provider, resource_type = _provider_and_type(e.scope)
    succeeded = e.result is AuditResult.SUCCEEDED
    code = e.status_code or (200 if succeeded else 500)
    ticks = int(e.at.timestamp() * 10_000_000)
    return {
        "authorization": {"action": e.action, "scope": e.scope},
        "caller": e.principal_name,
        "channels": "Operation",
        "claims": {"oid": e.principal_id, "name": e.principal_name},
        "correlationId": e.correlation_id,
        "description": "",
        "eventDataId": e.id,
        "eventName": {"value": "EndRequest", "localizedValue": "End request"},
        "category": {"value": "Administrative", "localizedValue": "Administrative"},
        "eventTimestamp": ts(e.at),
        "id": f"{e.scope.rstrip('/')}/events/{e.id}/ticks/{ticks}",
        "level": "Informational" if succeeded else "Error",
        "operationId": e.request_id,
        "operationName": _value(e.action),
        "resourceGroupName": e.resource_group,
        "resourceProviderName": _value(provider),
        "resourceType": _value(resource_type),
        "resourceId": e.scope,
        "status": _value("Succeeded" if succeeded else "Failed"),
        "subStatus": _value(None if succeeded else _STATUS_TEXT.get(code, str(code))),
        "submissionTimestamp": ts(e.at),
        "subscriptionId": e.subscription_id,
        "tenantId": e.tenant_id,
        "httpRequest": {"clientRequestId": e.correlation_id, "clientIpAddress": e.client_ip, "method": e.http_method},
        "properties": {"statusCode": _STATUS_TEXT.get(code, str(code)), "result": e.result.value,
                       **({"statusMessage": e.message} if e.message else {})},
    }


@router.get(PATH, dependencies=[Depends(INSIGHTS_VERSION)])
def list_events(subscription_id: str, request: Request, page: Paging = Depends(paging),
                caller: Caller = Depends(Authorize(READ, sub_scope, lists=True))) -> dict[str, Any]:
    where = parse_activity_filter(request.query_params.get("$filter"))
    found = container(request).activity_log.list(caller, subscription_id, where, page.offset, page.limit + 1)
    return list_body(request, [render_event(e) for e in found[: page.limit]], page, len(found) > page.limit)
