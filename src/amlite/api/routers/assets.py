"""Models, environments, components and data: one set of routes per kind, each with its own
declared actions (``.../workspaces/models/read``, ``.../workspaces/models/versions/write``...),
as Azure RBAC names them. Archive and restore are writes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from amlite.api import render, render_assets
from amlite.api.deps import ML_VERSION, Authorize, Paging, container, json_body, list_body, paging, preconditions, ws_scope
from amlite.domain.assets import AssetKind, ListViewType, parse_tag_filter
from amlite.domain.preconditions import Preconditions
from amlite.services.assets import AssetPath
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
NS = "Microsoft.MachineLearningServices/workspaces"


def _at(kind: AssetKind, subscription_id: str, resource_group: str, workspace: str, name: str = "") -> AssetPath:
    return AssetPath(subscription_id, resource_group, workspace, kind, name)


def _add_kind(kind: AssetKind) -> None:
    """Register the container and version routes of one kind."""
    base = f"{WS}/{kind.value}"
    c_read, c_write = Authorize(f"{NS}/{kind.value}/read", ws_scope), Authorize(f"{NS}/{kind.value}/write", ws_scope)
    v_read = Authorize(f"{NS}/{kind.value}/versions/read", ws_scope)
    v_write = Authorize(f"{NS}/{kind.value}/versions/write", ws_scope)

    @router.put(base + "/{name}", dependencies=V, name=f"put_{kind.value}_container")
    def put_container(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                      caller: Caller = Depends(c_write), body: dict[str, Any] = Depends(json_body),
                      pre: Preconditions = Depends(preconditions)) -> Any:
        view, created = container(request).assets.create_or_update_container(
            caller, _at(kind, subscription_id, resource_group, workspace, name), body, pre)
        return render.json(render_assets.container(view), status=201 if created else 200, etag=view.container.etag)

    @router.get(base + "/{name}", dependencies=V, name=f"get_{kind.value}_container")
    def get_container(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                      caller: Caller = Depends(c_read)) -> Any:
        view = container(request).assets.get_container(caller, _at(kind, subscription_id, resource_group, workspace, name))
        return render.json(render_assets.container(view), etag=view.container.etag)

    @router.get(base, dependencies=V, name=f"list_{kind.value}_containers")
    def list_containers(subscription_id: str, resource_group: str, workspace: str, request: Request,
                        caller: Caller = Depends(c_read), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        result = container(request).assets.list_containers(
            caller, _at(kind, subscription_id, resource_group, workspace), view, page.offset, page.limit)
        return list_body(request, [render_assets.container(v) for v in result.items], page, result.more)

    for verb, archived in (("archive", True), ("restore", False)):
        router.add_api_route(base + "/{name}/" + verb, _container_flag(kind, c_write, archived), methods=["POST"],
                             dependencies=V, name=f"{verb}_{kind.value}_container")

    @router.put(base + "/{name}/versions/{version}", dependencies=V, name=f"put_{kind.value}_version")
    def put_version(subscription_id: str, resource_group: str, workspace: str, name: str, version: str, request: Request,
                    caller: Caller = Depends(v_write), body: dict[str, Any] = Depends(json_body),
                    pre: Preconditions = Depends(preconditions)) -> Any:
        view, created = container(request).assets.create_or_update_version(
            caller, _at(kind, subscription_id, resource_group, workspace, name), version, body, pre)
        return render.json(render_assets.version(view), status=201 if created else 200, etag=view.version.etag)

    @router.post(base + "/{name}/versions", dependencies=V, name=f"create_next_{kind.value}_version")
    def post_version(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                     caller: Caller = Depends(v_write), body: dict[str, Any] = Depends(json_body)) -> Any:
        view = container(request).assets.create_next_version(
            caller, _at(kind, subscription_id, resource_group, workspace, name), body)
        return render.json(render_assets.version(view), status=201, etag=view.version.etag)

    @router.get(base + "/{name}/versions/{version}", dependencies=V, name=f"get_{kind.value}_version")
    def get_version(subscription_id: str, resource_group: str, workspace: str, name: str, version: str, request: Request,
                    caller: Caller = Depends(v_read)) -> Any:
        view = container(request).assets.get_version(
            caller, _at(kind, subscription_id, resource_group, workspace, name), version)
        return render.json(render_assets.version(view), etag=view.version.etag)

    @router.patch(base + "/{name}/versions/{version}", dependencies=V, name=f"patch_{kind.value}_version")
    def patch_version(subscription_id: str, resource_group: str, workspace: str, name: str, version: str,
                      request: Request, caller: Caller = Depends(v_write), body: dict[str, Any] = Depends(json_body),
                      pre: Preconditions = Depends(preconditions)) -> Any:
        view = container(request).assets.update_version(
            caller, _at(kind, subscription_id, resource_group, workspace, name), version, body, pre)
        return render.json(render_assets.version(view), etag=view.version.etag)

    @router.get(base + "/{name}/versions", dependencies=V, name=f"list_{kind.value}_versions")
    def list_versions(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                      caller: Caller = Depends(v_read), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        tags = parse_tag_filter(request.query_params.get("tags"))
        result = container(request).assets.list_versions(
            caller, _at(kind, subscription_id, resource_group, workspace, name), view, tags, page.offset, page.limit)
        return list_body(request, [render_assets.version(v) for v in result.items], page, result.more)

    for verb, archived in (("archive", True), ("restore", False)):
        router.add_api_route(base + "/{name}/versions/{version}/" + verb, _version_flag(kind, v_write, archived),
                             methods=["POST"], dependencies=V, name=f"{verb}_{kind.value}_version")


def _container_flag(kind: AssetKind, action: Authorize, archived: bool) -> Any:
    """The archive (or restore) endpoint of a kind's containers."""
    def set_flag(subscription_id: str, resource_group: str, workspace: str, name: str, request: Request,
                 caller: Caller = Depends(action), _: dict[str, Any] = Depends(json_body)) -> Any:
        view = container(request).assets.set_container_archived(
            caller, _at(kind, subscription_id, resource_group, workspace, name), archived)
        return render.json(render_assets.container(view), etag=view.container.etag)

    return set_flag


def _version_flag(kind: AssetKind, action: Authorize, archived: bool) -> Any:
    """The archive (or restore) endpoint of a kind's versions."""
    def set_flag(subscription_id: str, resource_group: str, workspace: str, name: str, version: str,
                 request: Request, caller: Caller = Depends(action), _: dict[str, Any] = Depends(json_body)) -> Any:
        view = container(request).assets.set_version_archived(
            caller, _at(kind, subscription_id, resource_group, workspace, name), version, archived)
        return render.json(render_assets.version(view), etag=view.version.etag)

    return set_flag

for _kind in AssetKind:
    _add_kind(_kind)
