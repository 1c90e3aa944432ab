"""Computes of a workspace: PUT (long-running create: ``201`` with ``Azure-AsyncOperation``, ``200``
for an update), GET, list, DELETE (long-running), ``start``/``stop``/``restart`` (long-running) and
``listNodes``; and per subscription and region, the VM sizes, the vCPU usage and the quotas (the
subscription's, and the workspace-level ones ``updateQuotas`` sets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.background import BackgroundTask

from amlite.api import render, render_computes
from amlite.api.deps import (
    ML_VERSION,
    Authorize,
    JsonBody,
    Paging,
    base_url,
    container,
    list_body,
    paging,
    sub_scope,
    ws_scope,
)
from amlite.domain.computes import PowerAction
from amlite.domain.errors import invalid
from amlite.schemas.arm_common import EmptyBody
from amlite.schemas.arm_computes import ComputeBody, QuotaUpdateBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
C = WS + "/computes"
LOC = "/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/locations/{location}"
ACTION = "Microsoft.MachineLearningServices/workspaces/computes"
READ = Authorize(f"{ACTION}/read", ws_scope)
WRITE = Authorize(f"{ACTION}/write", ws_scope)
DELETE = Authorize(f"{ACTION}/delete", ws_scope)
LIST_NODES = Authorize(f"{ACTION}/listNodes/action", ws_scope)
POWER = {action: Authorize(f"{ACTION}/{action.value}/action", ws_scope) for action in PowerAction}


@router.put(C + "/{name}", dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                     caller: Caller = Depends(WRITE), body: ComputeBody = Depends(JsonBody(ComputeBody))) -> Any:
    c = container(request)
    view, op = c.computes.create_or_update(caller, subscription_id, resource_group, workspace, name, body)
    if op is None:
        return render.json(render_computes.compute(view))
    status_url, _ = render.operation_urls(base_url(request), op, request.query_params["api-version"])
    response = render.json(render_computes.compute(view), status=201,
                           headers={"Azure-AsyncOperation": status_url, "Retry-After": render.RETRY_AFTER})
    response.background = BackgroundTask(c.worker.notify)
    return response


@router.get(C + "/{name}", dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
        caller: Caller = Depends(READ)) -> Any:
    view = container(request).computes.get(caller, subscription_id, resource_group, workspace, name)
    return render.json(render_computes.compute(view))


@router.get(C, dependencies=V)
def list_computes(subscription_id: str, resource_group: str, workspace: str, request: Request,
                  caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
    result = container(request).computes.list(caller, subscription_id, resource_group, workspace, page.offset, page.limit)
    return list_body(request, [render_computes.compute(v) for v in result.items], page, result.more)


@router.delete(C + "/{name}", dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(DELETE)) -> Response:
    action = request.query_params.get("underlyingResourceAction", "Delete")
    if action.lower() != "delete":
        raise invalid("InvalidRequestContent", f"underlyingResourceAction '{action}' is not supported: amlite's "
                      "computes are its own, so they are deleted (Delete), never detached.", "underlyingResourceAction")
    c = container(request)
    op = c.computes.begin_delete(caller, subscription_id, resource_group, workspace, name)
    if op is None:
        return Response(status_code=204)
    return render.accepted(base_url(request), op, request.query_params["api-version"], c.worker.notify)


def _power(action: PowerAction) -> Any:
    def handler(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                caller: Caller = Depends(POWER[action]), _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Response:
        c = container(request)
        op = c.computes.begin_power(caller, subscription_id, resource_group, workspace, name, action)
        return render.accepted(base_url(request), op, request.query_params["api-version"], c.worker.notify)

    handler.__name__ = f"{action.value}_compute"
    handler.__doc__ = f"{action.value.capitalize()} a compute instance (long-running)."
    return handler


for _action in PowerAction:
    router.post(C + "/{name}/" + _action.value, dependencies=V)(_power(_action))


@router.post(C + "/{name}/listNodes", dependencies=V)
def list_nodes(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
               caller: Caller = Depends(LIST_NODES), _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Any:
    found = container(request).computes.list_nodes(caller, subscription_id, resource_group, workspace, name)
    return render.json(render_computes.nodes(found))


@router.get(LOC + "/vmSizes", dependencies=V)
def list_sizes(subscription_id: str, location: str, request: Request,
               caller: Caller = Depends(Authorize("Microsoft.MachineLearningServices/locations/vmsizes/read", sub_scope))) -> Any:
    sizes = container(request).computes.list_sizes(caller, subscription_id, location)
    return render.json({"value": [render_computes.vm_size(s) for s in sizes]})


@router.get(LOC + "/usages", dependencies=V)
def list_usage(subscription_id: str, location: str, request: Request,
               caller: Caller = Depends(Authorize("Microsoft.MachineLearningServices/locations/usages/read", sub_scope))) -> Any:
    region, lines = container(request).computes.list_usage(caller, subscription_id, location)
    return render.json({"value": [render_computes.usage(subscription_id, region, line) for line in lines],
                        "nextLink": None})


@router.get(LOC + "/quotas", dependencies=V)
def list_quotas(subscription_id: str, location: str, request: Request,
                caller: Caller = Depends(Authorize("Microsoft.MachineLearningServices/locations/quotas/read", sub_scope))) -> Any:
    """The subscription's limits per family (``vmFamily/quotas``), then every limit a workspace of
    the subscription in the region has of its own (``workspaces/quotas``)."""
    computes = container(request).computes
    region, lines = computes.list_usage(caller, subscription_id, location)
    own = computes.list_workspace_quotas(caller, subscription_id, location)
    return render.json({"value": [render_computes.quota(subscription_id, region, line) for line in lines]
                        + [render_computes.workspace_quota(q) for q in own], "nextLink": None})


@router.post(LOC + "/updateQuotas", dependencies=V)
def update_quotas(subscription_id: str, location: str, request: Request,
                  caller: Caller = Depends(Authorize("Microsoft.MachineLearningServices/locations/updateQuotas/action",
                                                     sub_scope)),
                  body: QuotaUpdateBody = Depends(JsonBody(QuotaUpdateBody))) -> Any:
    """Workspace-level limits per VM family (Azure's ``Quotas_Update``): 200 with each entry's status."""
    results = container(request).computes.update_quotas(caller, subscription_id, location, body)
    return render.json({"value": [render_computes.quota_update(r) for r in results], "nextLink": None})
