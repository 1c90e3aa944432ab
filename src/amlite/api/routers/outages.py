"""Outage drills (services/outages.py): fail and restore a region, read the drills.

Admin-only: the caller needs the drill actions at the tenant root (``/``), which Owner and
Contributor assigned there hold; no role below the root does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api.deps import ML_VERSION, Authorize, container, root_scope
from amlite.domain.outages import RegionOutage
from amlite.services.context import Caller
from amlite.services.outages import READ, WRITE

router = APIRouter()
V = [Depends(ML_VERSION)]
LOC = "/providers/Microsoft.MachineLearningServices/locations/{region}"


def render(region: str, outage: RegionOutage | None) -> dict[str, Any]:
    body: dict[str, Any] = {"region": region.lower(),
                            "state": "Failed" if outage is not None and outage.is_failed else "Available"}
    if outage is not None:
        body.update(failedAt=outage.failed_at.isoformat(), failedBy=outage.failed_by)
        if outage.restored_at is not None:
            body.update(restoredAt=outage.restored_at.isoformat(), restoredBy=outage.restored_by)
    return body


@router.get("/providers/Microsoft.MachineLearningServices/outageDrills", dependencies=V)
def list_drills(request: Request, caller: Caller = Depends(Authorize(READ, root_scope))) -> dict[str, Any]:
    return {"value": [render(o.region, o) for o in container(request).outages.list()]}


@router.get(LOC + "/outageDrill", dependencies=V)
def get_drill(region: str, request: Request, caller: Caller = Depends(Authorize(READ, root_scope))) -> dict[str, Any]:
    c = container(request)
    name = c.deps.regions.resolve(region, "region").name
    return render(name, c.outages.get(name))


@router.post(LOC + "/fail", dependencies=V)
def fail_region(region: str, request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope))) -> dict[str, Any]:
    outage = container(request).outages.fail(caller, region)
    return render(outage.region, outage)


@router.post(LOC + "/restore", dependencies=V)
def restore_region(region: str, request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope))) -> dict[str, Any]:
    c = container(request)
    name = c.deps.regions.resolve(region, "region").name
    return render(name, c.outages.restore(caller, name))
