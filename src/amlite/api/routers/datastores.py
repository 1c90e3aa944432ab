"""Datastores of a workspace: PUT, GET, list, DELETE, and ``listSecrets``, which has an action of
its own so that a role may read datastores without reading their credentials (Reader cannot)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render, render_assets
from amlite.api.deps import ML_VERSION, Authorize, Paging, JsonBody, container, list_body, paging, ws_scope
from amlite.schemas.arm_assets import DatastoreBody, ListSecretsBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
DS = WS + "/datastores"
ACTION = "Microsoft.MachineLearningServices/workspaces/datastores"
READ = Authorize(f"{ACTION}/read", ws_scope)
WRITE = Authorize(f"{ACTION}/write", ws_scope)
DELETE = Authorize(f"{ACTION}/delete", ws_scope)
LIST_SECRETS = Authorize(f"{ACTION}/listsecrets/action", ws_scope)


@router.put(DS + "/{name}", dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                     caller: Caller = Depends(WRITE), body: DatastoreBody = Depends(JsonBody(DatastoreBody))) -> Any:
    view, created = container(request).datastores.create_or_update(caller, subscription_id, resource_group, workspace, name, body)
    return render.json(render_assets.datastore(view), status=201 if created else 200)


@router.get(DS + "/{name}", dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
        caller: Caller = Depends(READ)) -> Any:
    view = container(request).datastores.get(caller, subscription_id, resource_group, workspace, name)
    return render.json(render_assets.datastore(view))


@router.get(DS, dependencies=V)
def list_datastores(subscription_id: str, resource_group: str, workspace: str, request: Request,
                    caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
    result = container(request).datastores.list(caller, subscription_id, resource_group, workspace, page.offset, page.limit)
    return list_body(request, [render_assets.datastore(v) for v in result.items], page, result.more)


@router.delete(DS + "/{name}", dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(DELETE)) -> Response:
    deleted = container(request).datastores.delete(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=200 if deleted else 204)


@router.post(DS + "/{name}/listSecrets", dependencies=V)
def list_secrets(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                 caller: Caller = Depends(LIST_SECRETS),
                 body: ListSecretsBody = Depends(JsonBody(ListSecretsBody))) -> Any:
    found = container(request).datastores.list_secrets(caller, subscription_id, resource_group, workspace, name,
                                                       body.expire_after_hours)
    return render.json(render_assets.secrets(found))
