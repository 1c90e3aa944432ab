"""A workspace's labeling projects: ``.../workspaces/{ws}/labelingJobs[/{id}]`` (GET list, GET, PUT,
DELETE) and ``POST .../labelingJobs/{id}/pause|resume|exportLabels``, in Azure's ``LabelingJob`` shape.

A PUT completes within the request (201 or 200 with ``provisioningState: Succeeded``, which
Azure's long-running-operation clients take as done). Pause and resume answer 200 with the
project. ``exportLabels`` is refused with 409 ``LabelsNotAvailable``: amlite has no labeling
interface, so there are no labels (``domain.labeling``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, container, ws_scope
from amlite.domain.labeling import DELETE_ACTION, EXPORT_ACTION, READ_ACTION, TYPE, WRITE_ACTION, LabelingProject
from amlite.domain.resources import Workspace
from amlite.schemas.arm_common import EmptyBody
from amlite.schemas.arm_jobs import LabelingJobBody
from amlite.services.context import Caller
from amlite.services.labeling import project_scope

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
JOBS = WS + "/labelingJobs"


def labeling_job_scope(p: dict[str, str]) -> str:
    return ws_scope(p) + f"/labelingJobs/{p['name']}"


def labeling_job(ws: Workspace, project: LabelingProject) -> dict[str, Any]:
    spec = project.spec
    return {
        "id": project_scope(ws, project.name), "name": project.name, "type": TYPE,
        "properties": {
            "jobType": "Labeling", **spec,
            "description": spec.get("description"), "displayName": spec.get("displayName", project.name),
            "tags": spec.get("tags", {}), "properties": spec.get("properties", {}),
            "experimentName": spec.get("experimentName", "Default"), "isArchived": False,
            "status": project.status.value, "provisioningState": "Succeeded", "projectId": project.project_id,
            "createdDateTime": render.ts(project.created_at), "statusMessages": [],
            # No labeling interface: nothing is ever labeled or skipped. The total is not counted.
            "progressMetrics": {"completedDatapointCount": 0, "skippedDatapointCount": 0},
        },
        "systemData": {"createdBy": project.created_by, "createdAt": render.ts(project.created_at),
                       "lastModifiedAt": render.ts(project.modified_at)},
    }


@router.get(JOBS, dependencies=V)
def list_projects(subscription_id: str, resource_group: str, workspace: str, request: Request,
                  caller: Caller = Depends(Authorize(READ_ACTION, ws_scope))) -> dict[str, Any]:
    ws, found = container(request).labeling.list(caller, subscription_id, resource_group, workspace)
    return {"value": [labeling_job(ws, p) for p in found]}


@router.get(JOBS + "/{name}", dependencies=V)
def get_project(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                caller: Caller = Depends(Authorize(READ_ACTION, labeling_job_scope))) -> dict[str, Any]:
    ws, project = container(request).labeling.get(caller, subscription_id, resource_group, workspace, name)
    return labeling_job(ws, project)


@router.put(JOBS + "/{name}", dependencies=V)
def put_project(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                caller: Caller = Depends(Authorize(WRITE_ACTION, labeling_job_scope)),
                body: LabelingJobBody = Depends(JsonBody(LabelingJobBody))) -> Any:
    ws, project, created = container(request).labeling.put(caller, subscription_id, resource_group, workspace, name,
                                                           body.properties)
    return render.json(labeling_job(ws, project), status=201 if created else 200)


@router.delete(JOBS + "/{name}", dependencies=V)
def delete_project(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(DELETE_ACTION, labeling_job_scope))) -> Response:
    deleted = container(request).labeling.delete(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=200 if deleted else 204)


@router.post(JOBS + "/{name}/pause", dependencies=V)
def pause_project(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                  caller: Caller = Depends(Authorize(WRITE_ACTION, labeling_job_scope)),
                  _: EmptyBody = Depends(JsonBody(EmptyBody))) -> dict[str, Any]:
    ws, project = container(request).labeling.pause(caller, subscription_id, resource_group, workspace, name)
    return labeling_job(ws, project)


@router.post(JOBS + "/{name}/resume", dependencies=V)
def resume_project(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(WRITE_ACTION, labeling_job_scope)),
                   _: EmptyBody = Depends(JsonBody(EmptyBody))) -> dict[str, Any]:
    ws, project = container(request).labeling.resume(caller, subscription_id, resource_group, workspace, name)
    return labeling_job(ws, project)


@router.post(JOBS + "/{name}/exportLabels", dependencies=V)
def export_labels(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                  caller: Caller = Depends(Authorize(EXPORT_ACTION, labeling_job_scope)),
                  _: EmptyBody = Depends(JsonBody(EmptyBody))) -> Response:
    raise container(request).labeling.export_refusal(caller, subscription_id, resource_group, workspace, name)
