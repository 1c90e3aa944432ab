"""Subscriptions, locations, subscription aliases and resource providers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api import render
from amlite.api.deps import (
    RESOURCES_VERSION,
    SUBSCRIPTION_VERSION,
    Authorize,
    container,
    JsonBody,
    root_scope,
    sub_scope,
)
from amlite.schemas.arm_resources import AliasBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(RESOURCES_VERSION)]

SUB_READ = "Microsoft.Resources/subscriptions/read"


@router.get("/subscriptions", dependencies=V)
def list_subscriptions(request: Request, caller: Caller = Depends(Authorize(SUB_READ, None))) -> dict[str, Any]:
    # Filtered in the query: all with read at the root, else those holding one of the caller's
    # role assignments (as az login lists them); never a 403.
    return {"value": [render.subscription(s) for s in container(request).authz.visible_subscriptions(caller, SUB_READ)]}


@router.get("/subscriptions/{subscription_id}", dependencies=V)
def get_subscription(subscription_id: str, request: Request, caller: Caller = Depends(Authorize(SUB_READ, sub_scope))) -> dict[str, Any]:
    return render.subscription(container(request).subscriptions.get(caller, subscription_id))


@router.get("/subscriptions/{subscription_id}/locations", dependencies=V)
def list_locations(subscription_id: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/locations/read", sub_scope))) -> dict[str, Any]:
    c = container(request)
    sub = c.subscriptions.get(caller, subscription_id)
    return {"value": [render.location(sub.id, r) for r in c.regions]}


@router.put("/providers/Microsoft.Subscription/aliases/{alias}", dependencies=[Depends(SUBSCRIPTION_VERSION)])
def create_alias(alias: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Subscription/aliases/write", root_scope)), body: AliasBody = Depends(JsonBody(AliasBody))) -> Any:
    props = body.properties
    sub, created = container(request).subscriptions.create_alias(caller, alias, props.display_name, props.subscription_id)
    return render.json(_alias(alias, sub.id), status=201 if created else 200)


@router.get("/providers/Microsoft.Subscription/aliases/{alias}", dependencies=[Depends(SUBSCRIPTION_VERSION)])
def get_alias(alias: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Subscription/aliases/read", root_scope))) -> dict[str, Any]:
    return _alias(alias, container(request).subscriptions.get_alias(caller, alias).id)


def _alias(alias: str, sub_id: str) -> dict[str, Any]:
    return {"id": f"/providers/Microsoft.Subscription/aliases/{alias}", "name": alias,
            "type": "Microsoft.Subscription/aliases",
            "properties": {"subscriptionId": sub_id, "provisioningState": "Succeeded"}}


@router.get("/subscriptions/{subscription_id}/providers", dependencies=V)
def list_providers(subscription_id: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/providers/read", sub_scope))) -> dict[str, Any]:
    c = container(request)
    regions = [r.display_name for r in c.regions]
    return {"value": [render.provider(subscription_id.lower(), p, regions) for p in c.subscriptions.providers(caller, subscription_id)]}


@router.get("/subscriptions/{subscription_id}/providers/{namespace}", dependencies=V)
def get_provider(subscription_id: str, namespace: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/providers/read", sub_scope))) -> dict[str, Any]:
    c = container(request)
    state = c.subscriptions.provider(caller, subscription_id, namespace)
    return render.provider(subscription_id.lower(), state, [r.display_name for r in c.regions])


@router.post("/subscriptions/{subscription_id}/providers/{namespace}/register", dependencies=V)
def register_provider(subscription_id: str, namespace: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/providers/register/action", sub_scope))) -> dict[str, Any]:
    c = container(request)
    state = c.subscriptions.register(caller, subscription_id, namespace)
    return render.provider(subscription_id.lower(), state, [r.display_name for r in c.regions])


@router.post("/subscriptions/{subscription_id}/providers/{namespace}/unregister", dependencies=V)
def unregister_provider(subscription_id: str, namespace: str, request: Request, caller: Caller = Depends(Authorize("Microsoft.Resources/subscriptions/providers/unregister/action", sub_scope))) -> dict[str, Any]:
    c = container(request)
    state = c.subscriptions.unregister(caller, subscription_id, namespace)
    return render.provider(subscription_id.lower(), state, [r.display_name for r in c.regions])
