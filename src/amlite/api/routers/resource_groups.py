"""Resource groups: PUT, GET, HEAD, list, PATCH, DELETE (long-running) and the resources inside."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render, render_registries
from amlite.api.deps import (
    RESOURCES_VERSION,
    Authorize,
    Paging,
    base_url,
    container,
    JsonBody,
    list_body,
    paging,
    preconditions,
    rg_scope,
    sub_scope,
)
from amlite.domain.errors import InvalidInput, NotFound
from amlite.domain.preconditions import Preconditions
from amlite.domain.registries import Registry
from amlite.schemas.arm_resources import MoveBody, ResourceGroupBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(RESOURCES_VERSION)]
RG = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
READ = "Microsoft.Resources/subscriptions/resourceGroups/read"
WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete"
VALIDATE_MOVE = "Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action"
MOVE = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"

_TAG_FILTER = re.compile(r"^\s*tagName\s+eq\s+'([^']*)'(?:\s+and\s+tagValue\s+eq\s+'([^']*)')?\s*$", re.IGNORECASE)


@router.put(RG, dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(WRITE, rg_scope)),
                     body: ResourceGroupBody = Depends(JsonBody(ResourceGroupBody)), pre: Preconditions = Depends(preconditions)) -> Any:
    rg, created = container(request).resource_groups.create_or_update(caller, subscription_id, resource_group, body, pre)
    return render.json(render.resource_group(rg), status=201 if created else 200, etag=rg.etag)


@router.get(RG, dependencies=V)
def get(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(READ, rg_scope))) -> Any:
    rg = container(request).resource_groups.get(caller, subscription_id, resource_group)
    return render.json(render.resource_group(rg), etag=rg.etag)


@router.head(RG, dependencies=V)
def exists(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(READ, rg_scope))) -> Response:
    try:
        container(request).resource_groups.get(caller, subscription_id, resource_group)
    except NotFound:
        return Response(status_code=404)
    return Response(status_code=204)


@router.get("/subscriptions/{subscription_id}/resourceGroups", dependencies=V)
def list_groups(subscription_id: str, request: Request, caller: Caller = Depends(Authorize(READ, sub_scope, lists=True)), page: Paging = Depends(paging)) -> dict[str, Any]:
    tag = None
    expression = request.query_params.get("$filter")
    if expression:
        match = _TAG_FILTER.match(expression)
        if not match:
            raise InvalidInput("InvalidFilterInQueryString",
                               "Only $filter=tagName eq 'name' [and tagValue eq 'value'] is supported.", "$filter")
        tag = (match.group(1), match.group(2))
    result = container(request).resource_groups.list(caller, subscription_id, page.offset, page.limit, tag)
    return list_body(request, [render.resource_group(rg) for rg in result.items], page, result.more)


@router.patch(RG, dependencies=V)
def update(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(WRITE, rg_scope)),
           body: ResourceGroupBody = Depends(JsonBody(ResourceGroupBody)), pre: Preconditions = Depends(preconditions)) -> Any:
    rg = container(request).resource_groups.update(caller, subscription_id, resource_group, body, pre)
    return render.json(render.resource_group(rg), etag=rg.etag)


@router.delete(RG, dependencies=V)
def delete(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(DELETE, rg_scope)),
           pre: Preconditions = Depends(preconditions)) -> Response:
    raw = request.query_params.get("forceDeletionTypes") or ""
    force_types = [t.strip() for t in raw.split(",") if t.strip()]
    op = container(request).resource_groups.begin_delete(caller, subscription_id, resource_group, force_types, pre)
    return render.accepted(base_url(request), op, request.query_params["api-version"], container(request).worker.notify)


@router.post(RG + "/validateMoveResources", dependencies=V)
def validate_move(subscription_id: str, resource_group: str, request: Request,
                  caller: Caller = Depends(Authorize(VALIDATE_MOVE, rg_scope)),
                  body: Any = Depends(JsonBody(MoveBody))) -> Response:
    """Long-running: 202 + Location, which answers 202, then 204 or 409 with every reason."""
    c = container(request)
    op = c.moves.begin_validate(caller, subscription_id, resource_group, body.model_dump(by_alias=True))
    return render.accepted_location(base_url(request), op, request.query_params["api-version"], c.worker.notify)


@router.post(RG + "/moveResources", dependencies=V)
def move(subscription_id: str, resource_group: str, request: Request,
         caller: Caller = Depends(Authorize(MOVE, rg_scope)), body: Any = Depends(JsonBody(MoveBody))) -> Response:
    c = container(request)
    op = c.moves.begin_move(caller, subscription_id, resource_group, body.model_dump(by_alias=True))
    return render.accepted_location(base_url(request), op, request.query_params["api-version"], c.worker.notify)


@router.get(RG + "/resources", dependencies=V)
def list_resources(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/resourceGroups/resources/read", rg_scope))) -> dict[str, Any]:
    found, others = container(request).resource_groups.resources(caller, subscription_id, resource_group)
    items = [render_registries.registry_resource(r) if isinstance(r, Registry) else
             {"id": r.arm_id, "name": r.name, "type": "Microsoft.MachineLearningServices/workspaces",
              "location": r.location, "tags": r.tags, "kind": r.kind.value} for r in found]
    items += [render.generic_resource(r) for r in others]
    return {"value": items}
