"""Online endpoints and their deployments: PUT (long-running: ``201`` with the resource and
``Azure-AsyncOperation``, as Azure ML answers), GET, list, PATCH, DELETE (long-running), and the
endpoint's ``listKeys``, ``regenerateKeys`` and ``token``, the deployment's ``getLogs``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.background import BackgroundTask

from amlite.api import render, render_endpoints
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, Paging, base_url, container, list_body, paging, ws_scope
from amlite.domain.operations import Operation
from amlite.schemas.arm_common import EmptyBody
from amlite.schemas.arm_endpoints import (
    DeploymentLogsBody,
    OnlineDeploymentBody,
    OnlineDeploymentPatchBody,
    OnlineEndpointBody,
    OnlineEndpointPatchBody,
    RegenerateKeysBody,
)
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
EPS = WS + "/onlineEndpoints"
EP = EPS + "/{endpoint}"
DEPS = EP + "/deployments"
DEP = DEPS + "/{deployment}"
ACTION = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
READ = Authorize(f"{ACTION}/read", ws_scope)
WRITE = Authorize(f"{ACTION}/write", ws_scope)
DELETE = Authorize(f"{ACTION}/delete", ws_scope)
LIST_KEYS = Authorize(f"{ACTION}/listKeys/action", ws_scope)
REGENERATE_KEYS = Authorize(f"{ACTION}/regenerateKeys/action", ws_scope)
TOKEN = Authorize(f"{ACTION}/token/action", ws_scope)
DEP_READ = Authorize(f"{ACTION}/deployments/read", ws_scope)
DEP_WRITE = Authorize(f"{ACTION}/deployments/write", ws_scope)
DEP_DELETE = Authorize(f"{ACTION}/deployments/delete", ws_scope)


def _started(request: Request, body: dict[str, Any], op: Operation, created: bool) -> Response:
    """The resource as it stands, with where to follow the work; the workers wake once it is sent."""
    status_url, _ = render.operation_urls(base_url(request), op, request.query_params["api-version"])
    response = render.json(body, status=201 if created else 200,
                           headers={"Azure-AsyncOperation": status_url, "Retry-After": render.RETRY_AFTER})
    response.background = BackgroundTask(container(request).worker.notify)
    return response


def _deleting(request: Request, op: Operation | None) -> Response:
    if op is None:
        return Response(status_code=204)
    return render.accepted(base_url(request), op, request.query_params["api-version"], container(request).worker.notify)


# -- endpoints -------------------------------------------------------------------------------------

@router.put(EP, dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
                     caller: Caller = Depends(WRITE), body: OnlineEndpointBody = Depends(JsonBody(OnlineEndpointBody))) -> Any:
    view, op, created = container(request).online_endpoints.create_or_update(
        caller, subscription_id, resource_group, workspace, endpoint, body)
    return _started(request, render_endpoints.endpoint(view, container(request).endpoint), op, created)


@router.get(EP, dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
        caller: Caller = Depends(READ)) -> Any:
    view = container(request).online_endpoints.get(caller, subscription_id, resource_group, workspace, endpoint)
    return render.json(render_endpoints.endpoint(view, container(request).endpoint))


@router.get(EPS, dependencies=V)
def list_endpoints(subscription_id: str, resource_group: str, workspace: str, request: Request,
                   caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
    c = container(request)
    result = c.online_endpoints.list(caller, subscription_id, resource_group, workspace, page.offset, page.limit)
    return list_body(request, [render_endpoints.endpoint(v, c.endpoint) for v in result.items], page, result.more)


@router.patch(EP, dependencies=V)
def update(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
           caller: Caller = Depends(WRITE), body: OnlineEndpointPatchBody = Depends(JsonBody(OnlineEndpointPatchBody))) -> Any:
    view = container(request).online_endpoints.update(caller, subscription_id, resource_group, workspace, endpoint, body)
    return render.json(render_endpoints.endpoint(view, container(request).endpoint))


@router.delete(EP, dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
           caller: Caller = Depends(DELETE)) -> Response:
    op = container(request).online_endpoints.begin_delete(caller, subscription_id, resource_group, workspace, endpoint)
    return _deleting(request, op)


@router.post(EP + "/listKeys", dependencies=V)
def list_keys(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
              caller: Caller = Depends(LIST_KEYS), _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Any:
    found = container(request).online_endpoints.list_keys(caller, subscription_id, resource_group, workspace, endpoint)
    return render.json(render_endpoints.keys(found))


@router.post(EP + "/regenerateKeys", dependencies=V)
def regenerate_keys(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
                    caller: Caller = Depends(REGENERATE_KEYS),
                    body: RegenerateKeysBody = Depends(JsonBody(RegenerateKeysBody))) -> Any:
    found = container(request).online_endpoints.regenerate_keys(caller, subscription_id, resource_group, workspace,
                                                                endpoint, body.key_type, body.key_value)
    return render.json(render_endpoints.keys(found))


@router.post(EP + "/token", dependencies=V)
def token(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
          caller: Caller = Depends(TOKEN), _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Any:
    access, expires = container(request).online_endpoints.token(caller, subscription_id, resource_group, workspace, endpoint)
    stamp = int(expires.timestamp())
    return render.json({"accessToken": access, "tokenType": "Bearer", "expiryTimeUtc": stamp,
                        "refreshAfterTimeUtc": stamp - 300})


# -- deployments -----------------------------------------------------------------------------------

@router.put(DEP, dependencies=V)
def create_or_update_deployment(subscription_id: str, resource_group: str, workspace: str, endpoint: str, deployment: str,
                                request: Request, caller: Caller = Depends(DEP_WRITE),
                                body: OnlineDeploymentBody = Depends(JsonBody(OnlineDeploymentBody))) -> Any:
    view, op, created = container(request).online_deployments.create_or_update(
        caller, subscription_id, resource_group, workspace, endpoint, deployment, body)
    return _started(request, render_endpoints.deployment(view), op, created)


@router.get(DEP, dependencies=V)
def get_deployment(subscription_id: str, resource_group: str, workspace: str, endpoint: str, deployment: str,
                   request: Request, caller: Caller = Depends(DEP_READ)) -> Any:
    view = container(request).online_deployments.get(caller, subscription_id, resource_group, workspace, endpoint, deployment)
    return render.json(render_endpoints.deployment(view))


@router.get(DEPS, dependencies=V)
def list_deployments(subscription_id: str, resource_group: str, workspace: str, endpoint: str, request: Request,
                     caller: Caller = Depends(DEP_READ), page: Paging = Depends(paging)) -> Any:
    result = container(request).online_deployments.list(caller, subscription_id, resource_group, workspace, endpoint,
                                                         page.offset, page.limit)
    return list_body(request, [render_endpoints.deployment(v) for v in result.items], page, result.more)


@router.patch(DEP, dependencies=V)
def update_deployment(subscription_id: str, resource_group: str, workspace: str, endpoint: str, deployment: str,
                      request: Request, caller: Caller = Depends(DEP_WRITE),
                      body: OnlineDeploymentPatchBody = Depends(JsonBody(OnlineDeploymentPatchBody))) -> Any:
    view = container(request).online_deployments.update(caller, subscription_id, resource_group, workspace, endpoint,
                                                        deployment, body)
    return render.json(render_endpoints.deployment(view))


@router.delete(DEP, dependencies=V)
def delete_deployment(subscription_id: str, resource_group: str, workspace: str, endpoint: str, deployment: str,
                      request: Request, caller: Caller = Depends(DEP_DELETE)) -> Response:
    op = container(request).online_deployments.begin_delete(caller, subscription_id, resource_group, workspace,
                                                            endpoint, deployment)
    return _deleting(request, op)


@router.post(DEP + "/getLogs", dependencies=V)
def get_logs(subscription_id: str, resource_group: str, workspace: str, endpoint: str, deployment: str,
             request: Request, caller: Caller = Depends(DEP_READ),
             body: DeploymentLogsBody = Depends(JsonBody(DeploymentLogsBody))) -> Any:
    text = container(request).online_deployments.get_logs(caller, subscription_id, resource_group, workspace, endpoint,
                                                          deployment, body.container_type, body.tail)
    return render.json({"content": text})
