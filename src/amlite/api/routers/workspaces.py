"""Workspaces (Default, Hub, Project): PUT, GET, PATCH, list by group and subscription, DELETE
(long-running).

The PUT's decision is the use case's (``in_use_case``): creating a project needs the hub's
``workspaces/hubs/join/action`` and, outside the hub's default project group, ``workspaces/write``
on the new workspace; everything else needs ``workspaces/write``.

A PUT answers ``200`` with the workspace, whether it made it or replaced it: creation here is
done when the answer is sent, and Azure ML's REST specification (the one its generated clients
follow; azure-mgmt-machinelearningservices 2.x takes nothing else) answers a PUT with ``200``, or
``202`` when the work goes on. ARM's usual ``201`` is refused by those clients.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import (
    ML_VERSION,
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
    ws_scope,
)
from amlite.domain.preconditions import Preconditions
from amlite.schemas.arm_resources import WorkspaceBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
NS = "/providers/Microsoft.MachineLearningServices/workspaces"
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + NS + "/{workspace}"
READ = "Microsoft.MachineLearningServices/workspaces/read"
WRITE = "Microsoft.MachineLearningServices/workspaces/write"
DELETE = "Microsoft.MachineLearningServices/workspaces/delete"


def _render(request: Request, view: Any) -> dict[str, Any]:
    c = container(request)
    return render.workspace(view, c.endpoint, c.tenant_id)


@router.put(WS, dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, request: Request, caller: Caller = Depends(Authorize(WRITE, ws_scope, in_use_case=True)),
                     body: WorkspaceBody = Depends(JsonBody(WorkspaceBody)), pre: Preconditions = Depends(preconditions)) -> Any:
    view, _created = container(request).workspaces.create_or_update(
        caller, subscription_id, resource_group, workspace, body, pre
    )
    return render.json(_render(request, view), etag=view.workspace.etag)


@router.get(WS, dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, request: Request, caller: Caller = Depends(Authorize(READ, ws_scope))) -> Any:
    view = container(request).workspaces.get(caller, subscription_id, resource_group, workspace)
    return render.json(_render(request, view), etag=view.workspace.etag)


@router.patch(WS, dependencies=V)
def update(subscription_id: str, resource_group: str, workspace: str, request: Request, caller: Caller = Depends(Authorize(WRITE, ws_scope)),
           body: WorkspaceBody = Depends(JsonBody(WorkspaceBody)), pre: Preconditions = Depends(preconditions)) -> Any:
    view = container(request).workspaces.update(caller, subscription_id, resource_group, workspace, body, pre)
    return render.json(_render(request, view), etag=view.workspace.etag)


@router.delete(WS, dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, request: Request, caller: Caller = Depends(Authorize(DELETE, ws_scope)),
           pre: Preconditions = Depends(preconditions)) -> Response:
    dependents = request.query_params.get("deleteDependentResources", "false").lower() == "true"
    purge = request.query_params.get("forceToPurge", "false").lower() == "true"
    op = container(request).workspaces.begin_delete(
        caller, subscription_id, resource_group, workspace, delete_dependents=dependents, purge=purge, pre=pre
    )
    return render.accepted(base_url(request), op, request.query_params["api-version"], container(request).worker.notify)


@router.post(WS + "/recover", dependencies=V)
def recover(subscription_id: str, resource_group: str, workspace: str, request: Request,
            caller: Caller = Depends(Authorize(WRITE, ws_scope))) -> Any:
    """amlite's addition: bring a soft-deleted workspace back (Azure recovers by re-creating it)."""
    view = container(request).workspaces.recover(caller, subscription_id, resource_group, workspace)
    return render.json(_render(request, view), etag=view.workspace.etag)


@router.get("/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/deletedWorkspaces",
            dependencies=V)
def list_deleted(subscription_id: str, request: Request,
                 caller: Caller = Depends(Authorize(READ, sub_scope, lists=True)),
                 page: Paging = Depends(paging)) -> dict[str, Any]:
    """amlite's addition: the subscription's soft-deleted workspaces (Azure's portal lists them;
    its REST API has no such list)."""
    result = container(request).workspaces.list_deleted(caller, subscription_id, page.offset, page.limit)
    return list_body(request, [_render(request, v) for v in result.items], page, result.more)


@router.get("/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + NS, dependencies=V)
def list_in_group(subscription_id: str, resource_group: str, request: Request, caller: Caller = Depends(Authorize(READ, rg_scope, lists=True)), page: Paging = Depends(paging)) -> dict[str, Any]:
    result = container(request).workspaces.list_in_group(caller, subscription_id, resource_group, page.offset, page.limit)
    return list_body(request, [_render(request, v) for v in result.items], page, result.more)


@router.get("/subscriptions/{subscription_id}" + NS, dependencies=V)
def list_in_subscription(subscription_id: str, request: Request, caller: Caller = Depends(Authorize(READ, sub_scope, lists=True)), page: Paging = Depends(paging)) -> dict[str, Any]:
    result = container(request).workspaces.list_in_subscription(caller, subscription_id, page.offset, page.limit)
    return list_body(request, [_render(request, v) for v in result.items], page, result.more)
