"""Registries: PUT, GET, PATCH, DELETE (long-running), lists by group and subscription, and the
tenant-wide lookup by name (registry names are unique in the tenant)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render, render_registries
from amlite.api.deps import (
    ML_VERSION,
    Authorize,
    Paging,
    base_url,
    container,
    JsonBody,
    list_body,
    paging,
    preconditions,
    reg_scope,
    rg_scope,
    sub_scope,
)
from amlite.domain.preconditions import Preconditions
from amlite.domain.registries import Registry
from amlite.schemas.arm_resources import RegistryBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
NS = "/providers/Microsoft.MachineLearningServices/registries"
REG = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + NS + "/{registry}"
READ = "Microsoft.MachineLearningServices/registries/read"
WRITE = "Microsoft.MachineLearningServices/registries/write"
DELETE = "Microsoft.MachineLearningServices/registries/delete"


def _render(request: Request, reg: Registry) -> dict[str, Any]:
    return render_registries.registry(reg, container(request).endpoint)


@router.put(REG, dependencies=V)
def create_or_update(subscription_id: str, resource_group: str, registry: str, request: Request,
                     caller: Caller = Depends(Authorize(WRITE, reg_scope)), body: RegistryBody = Depends(JsonBody(RegistryBody)),
                     pre: Preconditions = Depends(preconditions)) -> Any:
    reg, created = container(request).registries.create_or_update(caller, subscription_id, resource_group, registry,
                                                                   body, pre)
    return render.json(_render(request, reg), status=201 if created else 200, etag=reg.etag)


@router.get(REG, dependencies=V)
def get(subscription_id: str, resource_group: str, registry: str, request: Request,
        caller: Caller = Depends(Authorize(READ, reg_scope))) -> Any:
    reg = container(request).registries.get(caller, subscription_id, resource_group, registry)
    return render.json(_render(request, reg), etag=reg.etag)


@router.patch(REG, dependencies=V)
def update(subscription_id: str, resource_group: str, registry: str, request: Request,
           caller: Caller = Depends(Authorize(WRITE, reg_scope)), body: RegistryBody = Depends(JsonBody(RegistryBody)),
           pre: Preconditions = Depends(preconditions)) -> Any:
    reg = container(request).registries.update(caller, subscription_id, resource_group, registry, body, pre)
    return render.json(_render(request, reg), etag=reg.etag)


@router.delete(REG, dependencies=V)
def delete(subscription_id: str, resource_group: str, registry: str, request: Request,
           caller: Caller = Depends(Authorize(DELETE, reg_scope)), pre: Preconditions = Depends(preconditions)) -> Response:
    purge = request.query_params.get("forceToPurge", "false").lower() == "true"
    op = container(request).registries.begin_delete(caller, subscription_id, resource_group, registry, purge=purge,
                                                    pre=pre)
    return render.accepted(base_url(request), op, request.query_params["api-version"], container(request).worker.notify)


@router.post(REG + "/recover", dependencies=V)
def recover(subscription_id: str, resource_group: str, registry: str, request: Request,
            caller: Caller = Depends(Authorize(WRITE, reg_scope))) -> Any:
    """amlite's addition: bring a soft-deleted registry back with its assets."""
    reg = container(request).registries.recover(caller, subscription_id, resource_group, registry)
    return render.json(_render(request, reg), etag=reg.etag)


@router.get("/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/deletedRegistries",
            dependencies=V)
def list_deleted(subscription_id: str, request: Request,
                 caller: Caller = Depends(Authorize(READ, sub_scope, lists=True)),
                 page: Paging = Depends(paging)) -> dict[str, Any]:
    """amlite's addition: the subscription's soft-deleted registries."""
    result = container(request).registries.list_deleted(caller, subscription_id, page.offset, page.limit)
    return list_body(request, [_render(request, r) for r in result.items], page, result.more)


@router.get("/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + NS, dependencies=V)
def list_in_group(subscription_id: str, resource_group: str, request: Request,
                  caller: Caller = Depends(Authorize(READ, rg_scope, lists=True)),
                  page: Paging = Depends(paging)) -> dict[str, Any]:
    result = container(request).registries.list_in_group(caller, subscription_id, resource_group, page.offset,
                                                         page.limit)
    return list_body(request, [_render(request, r) for r in result.items], page, result.more)


@router.get("/subscriptions/{subscription_id}" + NS, dependencies=V)
def list_in_subscription(subscription_id: str, request: Request,
                         caller: Caller = Depends(Authorize(READ, sub_scope, lists=True)),
                         page: Paging = Depends(paging)) -> dict[str, Any]:
    result = container(request).registries.list_in_subscription(caller, subscription_id, page.offset, page.limit)
    return list_body(request, [_render(request, r) for r in result.items], page, result.more)


@router.get(NS + "/{registry}", dependencies=V)
def find(registry: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> Any:
    """Registries are unique in the tenant: look one up by name alone (``registries/read`` is
    checked at the registry's own scope once it is found)."""
    reg = container(request).registries.find(caller, registry)
    return render.json(_render(request, reg), etag=reg.etag)
