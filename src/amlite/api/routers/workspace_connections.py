"""Connections of a workspace: PUT, PATCH, GET, list (``category``/``target`` filters, as Azure's
list has them), DELETE, and ``listsecrets``, which has an action of its own so that a role may
read connections without reading their credentials (Reader cannot)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render, render_connections
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, Paging, container, list_body, paging, ws_scope
from amlite.schemas.arm_connections import ConnectionBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
CONNECTIONS = WS + "/connections"
ACTION = "Microsoft.MachineLearningServices/workspaces/connections"
READ = Authorize(f"{ACTION}/read", ws_scope)
WRITE = Authorize(f"{ACTION}/write", ws_scope)
DELETE = Authorize(f"{ACTION}/delete", ws_scope)
LIST_SECRETS = Authorize(f"{ACTION}/listsecrets/action", ws_scope)


@router.put(CONNECTIONS + "/{name}", dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                     caller: Caller = Depends(WRITE),
                     body: ConnectionBody = Depends(JsonBody(ConnectionBody))) -> Any:
    view, _created = container(request).connections.create_or_update(caller, subscription_id, resource_group,
                                                                      workspace, name, body)
    return render.json(render_connections.connection(view))  # Azure answers 200 for both


@router.patch(CONNECTIONS + "/{name}", dependencies=V)
def update(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(WRITE), body: ConnectionBody = Depends(JsonBody(ConnectionBody))) -> Any:
    view = container(request).connections.update(caller, subscription_id, resource_group, workspace, name, body)
    return render.json(render_connections.connection(view))


@router.get(CONNECTIONS + "/{name}", dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
        caller: Caller = Depends(READ)) -> Any:
    view = container(request).connections.get(caller, subscription_id, resource_group, workspace, name)
    return render.json(render_connections.connection(view))


@router.get(CONNECTIONS, dependencies=V)
def list_connections(subscription_id: str, resource_group: str, workspace: str, request: Request,
                     category: str | None = None, target: str | None = None,
                     caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
    views = container(request).connections.list(caller, subscription_id, resource_group, workspace, category, target)
    window = views[page.offset: page.offset + page.limit]
    more = len(views) > page.offset + page.limit
    return list_body(request, [render_connections.connection(v) for v in window], page, more)


@router.delete(CONNECTIONS + "/{name}", dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(DELETE)) -> Response:
    deleted = container(request).connections.delete(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=200 if deleted else 204)


@router.post(CONNECTIONS + "/{name}/listSecrets", dependencies=V)
def list_secrets(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                 caller: Caller = Depends(LIST_SECRETS)) -> Any:
    found = container(request).connections.list_secrets(caller, subscription_id, resource_group, workspace, name)
    return render.json(render_connections.with_secrets(found))
