"""Azure Databricks workspaces of a resource group, as records for their link to an Azure Machine
Learning workspace (``domain.databricks``): ``.../providers/Microsoft.Databricks/workspaces[/{name}]``
(GET list, GET, PUT, DELETE), in Azure's shape.

A PUT completes within the request (201 or 200 with ``provisioningState: Succeeded``); a DELETE
answers 200, or 204 when there was nothing to delete. There is no ``workspaceUrl``: amlite runs no
Databricks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import DATABRICKS_VERSION, Authorize, JsonBody, container, rg_scope
from amlite.domain.databricks import ACTION, TYPE
from amlite.domain.resources import GenericResource
from amlite.schemas.arm_resources import DatabricksWorkspaceBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(DATABRICKS_VERSION)]
DBW = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Databricks/workspaces"


def databricks_scope(p: dict[str, str]) -> str:
    return rg_scope(p) + f"/providers/{TYPE}/{p['name']}"


def databricks_workspace(res: GenericResource) -> dict[str, Any]:
    props = res.properties
    return {
        "id": res.arm_id, "name": res.name, "type": TYPE, "location": res.location,
        "sku": {"name": props.get("sku")}, "tags": props.get("tags", {}),
        "properties": {"managedResourceGroupId": props.get("managedResourceGroupId"),
                       "parameters": {k: {"type": "String", **v} for k, v in props.get("parameters", {}).items()},
                       "provisioningState": "Succeeded"},
    }


@router.get(DBW, dependencies=V)
def list_databricks(subscription_id: str, resource_group: str, request: Request,
                    caller: Caller = Depends(Authorize(f"{ACTION}/read", rg_scope))) -> dict[str, Any]:
    found = container(request).databricks.list(caller, subscription_id, resource_group)
    return {"value": [databricks_workspace(r) for r in found]}


@router.get(DBW + "/{name}", dependencies=V)
def get_databricks(subscription_id: str, resource_group: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(f"{ACTION}/read", databricks_scope))) -> dict[str, Any]:
    return databricks_workspace(container(request).databricks.get(caller, subscription_id, resource_group, name))


@router.put(DBW + "/{name}", dependencies=V)
def put_databricks(subscription_id: str, resource_group: str, name: str, request: Request,
                   caller: Caller = Depends(Authorize(f"{ACTION}/write", databricks_scope)),
                   body: DatabricksWorkspaceBody = Depends(JsonBody(DatabricksWorkspaceBody))) -> Any:
    res, created = container(request).databricks.put(caller, subscription_id, resource_group, name,
                                                     body.model_dump(by_alias=True, exclude_none=True))
    return render.json(databricks_workspace(res), status=201 if created else 200)


@router.delete(DBW + "/{name}", dependencies=V)
def delete_databricks(subscription_id: str, resource_group: str, name: str, request: Request,
                      caller: Caller = Depends(Authorize(f"{ACTION}/delete", databricks_scope))) -> Response:
    deleted = container(request).databricks.delete(caller, subscription_id, resource_group, name)
    return Response(status_code=200 if deleted else 204)
