"""The ``azureml`` system registry's routes: the registry found by name, the registry resource at
its fixed ARM path, and its curated environments' containers and versions — read by any signed-in
principal of any tenant, never written.

The routes sit at ``domain.system_registry.SYSTEM_REGISTRY_ID`` (a path no tenant's subscription
holds) and are registered before the generic registry and asset routes, so they answer for it;
every other method under that path is refused with ``403 SystemRegistryReadOnly``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api import render, render_assets
from amlite.api.deps import ML_VERSION, Authorize, Paging, list_body, paging
from amlite.domain.assets import AssetKind, ListViewType
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.system_registry import (
    SYSTEM_REGISTRY_ID,
    SYSTEM_REGISTRY_LOCATION,
    SYSTEM_REGISTRY_NAME,
)
from amlite.services import system_registry_reads as reads
from amlite.services.assets import ContainerView, VersionView
from amlite.services.context import Caller
from amlite.services.system_registry import refuse_write

router = APIRouter()
V = [Depends(ML_VERSION)]
READ = Authorize(f"{ML_NAMESPACE}/registries/assets/read", None)  # every signed-in principal: no scope to check
WRITE = Authorize(f"{ML_NAMESPACE}/registries/assets/write", None)


def _registry_body() -> dict[str, Any]:
    return {
        "id": SYSTEM_REGISTRY_ID, "name": SYSTEM_REGISTRY_NAME, "type": f"{ML_NAMESPACE}/registries",
        "location": SYSTEM_REGISTRY_LOCATION, "tags": {},
        "properties": {
            "description": "Azure ML's system registry: its curated environments, read-only.",
            "publicNetworkAccess": "Enabled", "provisioningState": "Succeeded",
            "regionDetails": [{"location": SYSTEM_REGISTRY_LOCATION}],
        },
    }


def _container(view: ContainerView) -> dict[str, Any]:
    return render_assets.container(view)


def _version(view: VersionView) -> dict[str, Any]:
    body = render_assets.version(view)
    body["properties"]["environmentType"] = "Curated"
    body["properties"].pop("replication", None)  # served from its one location: nothing replicates
    return body


@router.get(f"/providers/{ML_NAMESPACE}/registries/{SYSTEM_REGISTRY_NAME}", dependencies=V,
            name="find_system_registry")
def find(caller: Caller = Depends(READ)) -> Any:
    return render.json(_registry_body())


@router.get(SYSTEM_REGISTRY_ID, dependencies=V, name="get_system_registry")
def get(caller: Caller = Depends(READ)) -> Any:
    return render.json(_registry_body())


def _add_kind(kind: AssetKind) -> None:
    base = f"{SYSTEM_REGISTRY_ID}/{kind.value}"

    @router.get(base, dependencies=V, name=f"list_system_{kind.value}_containers")
    def list_containers(request: Request, caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        result = reads.list_containers(kind, view, page.offset, page.limit)
        return list_body(request, [_container(v) for v in result.items], page, result.more)

    @router.get(base + "/{name}", dependencies=V, name=f"get_system_{kind.value}_container")
    def get_container(name: str, caller: Caller = Depends(READ)) -> Any:
        view = reads.container_view(kind, name)
        return render.json(_container(view), etag=view.container.etag)

    @router.get(base + "/{name}/versions", dependencies=V, name=f"list_system_{kind.value}_versions")
    def list_versions(name: str, request: Request, caller: Caller = Depends(READ), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        result = reads.list_versions(kind, name, view, page.offset, page.limit)
        return list_body(request, [_version(v) for v in result.items], page, result.more)

    @router.get(base + "/{name}/versions/{version}", dependencies=V, name=f"get_system_{kind.value}_version")
    def get_version(name: str, version: str, caller: Caller = Depends(READ)) -> Any:
        view = reads.version_view(kind, name, version)
        return render.json(_version(view), etag=view.version.etag)


for _kind in AssetKind:
    _add_kind(_kind)


def _refuse(request: Request) -> Any:
    raise refuse_write(f"{request.method} {request.url.path.split(SYSTEM_REGISTRY_NAME, 1)[1] or 'on the registry'}")


def _refuse_write(request: Request, caller: Caller = Depends(WRITE)) -> Any:
    """Every write is refused before its body is read: there is nothing a body could change."""
    return _refuse(request)


for _path in (SYSTEM_REGISTRY_ID, SYSTEM_REGISTRY_ID + "/{rest:path}"):
    _tag = "registry" if _path == SYSTEM_REGISTRY_ID else "assets"
    for _method in ("PUT", "PATCH", "POST"):  # one route each: an OpenAPI operation id per method
        router.add_api_route(_path, _refuse_write, methods=[_method], dependencies=V,
                             name=f"write_system_{_tag}_{_method.lower()}")
    router.add_api_route(_path, _refuse_write, methods=["DELETE"], dependencies=V, name=f"delete_system_{_tag}")
