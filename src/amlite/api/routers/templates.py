"""Infrastructure as code: ARM's template deployments and a resource group's ``exportTemplate``.

``PUT .../resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}`` judges the whole
template (an ``InvalidTemplate`` 400 creates nothing), then makes its resources through their own
use cases and answers ``201`` with the deployment, its ``Azure-AsyncOperation`` and ``Location``
(the deployment's status and the deployment itself). The resources are made while the request
is open, so the first poll already reads the terminal state; a failed deployment is
``provisioningState: Failed`` with ARM's ``DeploymentFailed`` error naming the failing resource.

``POST .../resourcegroups/{rg}/exportTemplate`` with ``{"resources": [<workspace id>]}`` answers
``{"template": ...}`` (api/render_templates.py), as ARM's export does for the resources named.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api import render, render_templates
from amlite.api.deps import RESOURCES_VERSION, Authorize, JsonBody, base_url, container, rg_scope
from amlite.domain.errors import InvalidInput
from amlite.domain.providers import ML_NAMESPACE
from amlite.schemas.arm_resources import DeploymentBody, ExportTemplateBody
from amlite.services.context import Caller
from amlite.services.hubs import parse_workspace_id

router = APIRouter()
V = [Depends(RESOURCES_VERSION)]
RG = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
DEP = RG + "/providers/Microsoft.Resources/deployments/{name}"
WRITE = "Microsoft.Resources/deployments/write"
READ = "Microsoft.Resources/deployments/read"
EXPORT = "Microsoft.Resources/subscriptions/resourceGroups/exportTemplate/action"
WS_READ = f"{ML_NAMESPACE}/workspaces/read"
RA_READ = "Microsoft.Authorization/roleAssignments/read"


def _urls(request: Request, dep_id: str) -> dict[str, str]:
    version = request.query_params.get("api-version", "")
    base = base_url(request)
    return {"Azure-AsyncOperation": f"{base}{dep_id}/operationStatuses/current?api-version={version}",
            "Location": f"{base}{dep_id}?api-version={version}", "Retry-After": render.RETRY_AFTER}


@router.put(DEP, dependencies=V)
def create(subscription_id: str, resource_group: str, name: str, request: Request,
           caller: Caller = Depends(Authorize(WRITE, rg_scope)),
           body: DeploymentBody = Depends(JsonBody(DeploymentBody))) -> Any:
    raw = body.model_dump(by_alias=True, exclude_none=True)
    dep = container(request).template_deployments.create(caller, subscription_id, resource_group, name, raw)
    return render.json(render_templates.deployment(dep), status=201, headers=_urls(request, dep.arm_id))


@router.get(DEP, dependencies=V)
def get(subscription_id: str, resource_group: str, name: str, request: Request,
        caller: Caller = Depends(Authorize(READ, rg_scope))) -> Any:
    dep = container(request).template_deployments.get(caller, subscription_id, resource_group, name)
    return render.json(render_templates.deployment(dep))


@router.get(DEP + "/operationStatuses/current", dependencies=V)
def status(subscription_id: str, resource_group: str, name: str, request: Request,
           caller: Caller = Depends(Authorize(READ, rg_scope))) -> Any:
    dep = container(request).template_deployments.get(caller, subscription_id, resource_group, name)
    body: dict[str, Any] = {"status": dep.state}
    if dep.error:
        body["error"] = dep.error
    return render.json(body)


@router.get(RG + "/providers/Microsoft.Resources/deployments", dependencies=V)
@router.get(RG + "/providers/Microsoft.Resources/deployments/", dependencies=V)
def list_in_group(subscription_id: str, resource_group: str, request: Request,
                  caller: Caller = Depends(Authorize(READ, rg_scope))) -> Any:
    found = container(request).template_deployments.list_in_group(caller, subscription_id, resource_group)
    return {"value": [render_templates.deployment(d) for d in found]}


@router.post(RG + "/exportTemplate", dependencies=V)
def export_template(subscription_id: str, resource_group: str, request: Request,
                    caller: Caller = Depends(Authorize(EXPORT, rg_scope)),
                    body: ExportTemplateBody = Depends(JsonBody(ExportTemplateBody))) -> Any:
    container(request).resource_groups.get(caller, subscription_id, resource_group)  # a missing group is 404
    ids = body.resources or []
    if len(ids) != 1:
        raise InvalidInput("InvalidExportRequest", "amlite exports one workspace: 'resources' must list exactly one "
                           "workspace id.", "resources")
    sub, rg, ws = parse_workspace_id(ids[0], "resources[0]")
    if sub.lower() != subscription_id.lower() or rg.lower() != resource_group.lower():
        raise InvalidInput("InvalidExportRequest", "The workspace is not in this resource group.", "resources[0]")
    return _export(request, caller, subscription_id, resource_group, ws)


def _export(request: Request, caller: Caller, sub: str, rg: str, ws: str) -> dict[str, Any]:
    c = container(request)
    view = c.workspaces.get(caller, sub, rg, ws)
    ws_id = view.workspace.arm_id
    c.authz.require(caller, WS_READ, ws_id)
    c.authz.require(caller, RA_READ, ws_id)
    computes = _all(lambda o, n: c.computes.list(caller, sub, rg, ws, o, n))
    endpoints = _all(lambda o, n: c.online_endpoints.list(caller, sub, rg, ws, o, n))
    deployments = [d for e in endpoints
                   for d in _all(lambda o, n, e=e: c.online_deployments.list(caller, sub, rg, ws, e.endpoint.name, o, n))]
    assignments = c.roles.list_assignments(caller, ws_id, at_scope=True)
    here = [a for a in assignments if a.scope.lower() == ws_id.lower()]
    template = render_templates.workspace_template(view, computes, endpoints, deployments, here)
    return {"template": template}


def _all(page: Any) -> list[Any]:
    out: list[Any] = []
    offset = 0
    while True:
        result = page(offset, 100)
        out.extend(result.items)
        if not result.more:
            return out
        offset += 100
