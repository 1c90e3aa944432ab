"""Command jobs of a workspace: ``PUT|GET|DELETE {ws}/jobs/{name}``, the list, ``POST .../cancel``,
and ``GET .../logs`` (the job's ``user_logs/std_log.txt`` from a byte offset, for streaming).
Archiving is a PUT with ``isArchived``, as Azure ML does it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from amlite.api import render, render_jobs
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, Paging, container, list_body, paging, ws_scope
from amlite.domain.assets import ListViewType
from amlite.schemas.arm_common import EmptyBody
from amlite.schemas.arm_jobs import JobBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
JOBS = WS + "/jobs"
ACTION = "Microsoft.MachineLearningServices/workspaces/jobs"
READ = Authorize(f"{ACTION}/read", ws_scope, in_use_case=True)
WRITE = Authorize(f"{ACTION}/write", ws_scope, in_use_case=True)
DELETE = Authorize(f"{ACTION}/delete", ws_scope, in_use_case=True)
CANCEL = Authorize(f"{ACTION}/cancel/action", ws_scope, in_use_case=True)


@router.put(JOBS + "/{name}", dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                     caller: Caller = Depends(WRITE), body: JobBody = Depends(JsonBody(JobBody))) -> Any:
    c = container(request)
    view, created = c.jobs.create_or_update(caller, subscription_id, resource_group, workspace, name, body.properties)
    return render.json(render_jobs.job(view, c.endpoint), status=201 if created else 200)


@router.get(JOBS + "/{name}", dependencies=V)
def get(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
        caller: Caller = Depends(READ)) -> Any:
    c = container(request)
    return render.json(render_jobs.job(c.jobs.get(caller, subscription_id, resource_group, workspace, name), c.endpoint))


@router.get(JOBS, dependencies=V)
def list_jobs(subscription_id: str, resource_group: str, workspace: str, request: Request,
              caller: Caller = Depends(READ), page: Paging = Depends(paging),
              listViewType: str | None = None) -> Any:  # noqa: N803 - the query parameter's wire name
    c = container(request)
    result = c.jobs.list(caller, subscription_id, resource_group, workspace, ListViewType.parse(listViewType),
                         page.offset, page.limit)
    return list_body(request, [render_jobs.job(v, c.endpoint) for v in result.items], page, result.more)


@router.post(JOBS + "/{name}/cancel", dependencies=V)
def cancel(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(CANCEL), _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Response:
    container(request).jobs.cancel(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=202)


@router.delete(JOBS + "/{name}", dependencies=V)
def delete(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
           caller: Caller = Depends(DELETE)) -> Response:
    deleted = container(request).jobs.delete(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=200 if deleted else 204)


@router.get(JOBS + "/{name}/logs", dependencies=V)
def logs(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
         caller: Caller = Depends(READ), offset: int = Query(default=0, ge=0)) -> Response:
    found = container(request).jobs.read_log(caller, subscription_id, resource_group, workspace, name, offset)
    return Response(found.data, media_type="text/plain; charset=utf-8",
                    headers={"x-amlite-job-status": found.status.value, "x-amlite-log-offset": str(found.offset)})
