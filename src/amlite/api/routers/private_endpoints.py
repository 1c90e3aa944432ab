"""A workspace's private endpoint connections: ``.../workspaces/{ws}/privateEndpointConnections[/{name}]``
(GET list, GET, PUT, DELETE), in Azure's shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import ML_VERSION, Authorize, JsonBody, container, ws_scope
from amlite.domain.private_endpoints import PrivateEndpointConnection
from amlite.domain.resources import Workspace
from amlite.schemas.arm_resources import PrivateEndpointConnectionBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
PEC = WS + "/privateEndpointConnections"
ACTION = "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections"


def pec_scope(p: dict[str, str]) -> str:
    return ws_scope(p) + f"/privateEndpointConnections/{p['name']}"


def connection(ws: Workspace, pec: PrivateEndpointConnection) -> dict[str, Any]:
    return {
        "id": f"{ws.arm_id}/privateEndpointConnections/{pec.name}", "name": pec.name,
        "type": f"{ACTION}", "location": ws.location,
        "properties": {
            "privateEndpoint": {"id": pec.private_endpoint_id},
            "privateLinkServiceConnectionState": {"status": pec.status.value, "description": pec.description,
                                                  "actionsRequired": pec.actions_required},
            "provisioningState": "Succeeded",
        },
    }


@router.get(PEC, dependencies=V)
def list_connections(subscription_id: str, resource_group: str, workspace: str, request: Request,
                     caller: Caller = Depends(Authorize(f"{ACTION}/read", ws_scope))) -> dict[str, Any]:
    ws, found = container(request).private_endpoints.list(caller, subscription_id, resource_group, workspace)
    return {"value": [connection(ws, p) for p in found]}


@router.get(PEC + "/{name}", dependencies=V)
def get_connection(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(f"{ACTION}/read", pec_scope))) -> dict[str, Any]:
    ws, pec = container(request).private_endpoints.get(caller, subscription_id, resource_group, workspace, name)
    return connection(ws, pec)


@router.put(PEC + "/{name}", dependencies=V)
def put_connection(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(f"{ACTION}/write", pec_scope)),
                   body: PrivateEndpointConnectionBody = Depends(JsonBody(PrivateEndpointConnectionBody))) -> Any:
    ws, pec, created = container(request).private_endpoints.put(caller, subscription_id, resource_group, workspace,
                                                                 name, body.model_dump(by_alias=True, exclude_none=True))
    return render.json(connection(ws, pec), status=201 if created else 200)


@router.delete(PEC + "/{name}", dependencies=V)
def delete_connection(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                      caller: Caller = Depends(Authorize(f"{ACTION}/delete", pec_scope))) -> Response:
    deleted = container(request).private_endpoints.delete(caller, subscription_id, resource_group, workspace, name)
    return Response(status_code=200 if deleted else 204)
