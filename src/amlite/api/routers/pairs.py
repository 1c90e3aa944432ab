"""Paired workspaces (services/pairs.py, docs/bcdr.md): amlite's own tenant-level resource,
``/providers/Microsoft.MachineLearningServices/workspacePairs/{name}`` (names unique in the
tenant, as registry names are). The routes authenticate; the use case decides on the workspaces
(write on both to create or delete, read on the primary to see).

``POST .../workspacePairs/{name}/failover`` and ``/failback`` switch the active side
(services/failover.py): synchronous, answering the switch's report (200) once it is done, or 202
with the pair's URL in ``Location`` when it takes longer than the wait (the report then joins the
pair's ``failovers`` history)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render as arm_render
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, container
from amlite.schemas.pairs import PairBody
from amlite.services.context import Caller
from amlite.services.failover import SwitchOutcome
from amlite.services.pairs import PairView

router = APIRouter()
V = [Depends(ML_VERSION)]
PAIRS = "/providers/Microsoft.MachineLearningServices/workspacePairs"
READ = "Microsoft.MachineLearningServices/workspacePairs/read"
WRITE = "Microsoft.MachineLearningServices/workspacePairs/write"
DELETE = "Microsoft.MachineLearningServices/workspacePairs/delete"
FAILOVER = "Microsoft.MachineLearningServices/workspacePairs/failover/action"
FAILBACK = "Microsoft.MachineLearningServices/workspacePairs/failback/action"


def render(view: PairView) -> dict[str, Any]:
    pair = view.pair
    return {
        "id": f"{PAIRS}/{pair.name}", "name": pair.name, "type": "Microsoft.MachineLearningServices/workspacePairs",
        "properties": {
            "primaryWorkspaceId": view.primary_id, "primaryLocation": view.primary_location,
            "secondaryWorkspaceId": view.secondary_id, "secondaryLocation": view.secondary_location,
            "mode": pair.mode.value, "perKind": {k: m.value for k, m in sorted(pair.per_kind.items())},
            "createdAt": pair.created_at.isoformat() if pair.created_at else None,
            "activeSide": "secondary" if pair.failed_over else "primary",
            "activeWorkspaceId": view.secondary_id if pair.failed_over else view.primary_id,
            "autoFailover": pair.auto_failover, "failoverAfterSeconds": pair.failover_after_seconds,
            "failovers": list(pair.history),
            "lag": [{"kind": lag.kind, "mode": lag.mode.value, "copied": lag.mode.copies,
                     "versionsPending": lag.pending,
                     "oldestPendingCreatedAt": lag.oldest_created_at.isoformat() if lag.oldest_created_at else None}
                    for lag in view.lag],
            "endpoints": [{"name": e.name, "standbyCurrent": e.current,
                           "standbyCopiedAt": e.copied_at.isoformat() if e.copied_at else None,
                           "modifiedAt": e.modified_at.isoformat(), "servingInSecondary": e.serving}
                          for e in view.endpoints],
        },
    }


@router.put(PAIRS + "/{name}", dependencies=V)
def create_pair(name: str, request: Request, caller: Caller = Depends(Authorize(WRITE, None)),
                body: PairBody = Depends(JsonBody(PairBody))) -> Response:
    props = body.properties
    view = container(request).pairs.create(caller, name, props.primary_workspace_id, props.secondary_workspace_id,
                                           props.mode, dict(props.per_kind) if props.per_kind else None,
                                           props.auto_failover, props.failover_after_seconds)
    return arm_render.json(render(view), status=201)


@router.get(PAIRS, dependencies=V)
def list_pairs(request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return {"value": [render(v) for v in container(request).pairs.visible(caller)]}


@router.get(PAIRS + "/{name}", dependencies=V)
def get_pair(name: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return render(container(request).pairs.get(caller, name))


@router.delete(PAIRS + "/{name}", dependencies=V)
def delete_pair(name: str, request: Request, caller: Caller = Depends(Authorize(DELETE, None))) -> Response:
    container(request).pairs.delete(caller, name)
    return Response(status_code=200)


def _switched(outcome: SwitchOutcome) -> Response:
    if outcome.done:
        return arm_render.json(outcome.report, status=200)
    response = arm_render.json(outcome.report, status=202)
    response.headers["Location"] = f"{PAIRS}/{outcome.pair.name}?api-version=2024-10-01"
    response.headers["Retry-After"] = "1"
    return response


@router.post(PAIRS + "/{name}/failover", dependencies=V)
def failover_pair(name: str, request: Request, caller: Caller = Depends(Authorize(FAILOVER, None))) -> Response:
    return _switched(container(request).failover.failover(caller, name))


@router.post(PAIRS + "/{name}/failback", dependencies=V)
def failback_pair(name: str, request: Request, caller: Caller = Depends(Authorize(FAILBACK, None))) -> Response:
    return _switched(container(request).failover.failback(caller, name))
