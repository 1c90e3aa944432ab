"""Models, environments, components and data: one set of routes per kind and owner. In a
workspace each kind has its own declared actions (``.../workspaces/models/read``,
``.../workspaces/models/versions/write``...), as Azure RBAC names them; in a registry every kind
answers to ``.../registries/assets/read|write`` (seed 002's table). Archive and restore are writes.
A workspace or registry version can also be shared into a registry (``.../versions/{version}/share``:
the route declares reading the source, the service checks writing the target)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render, render_assets
from amlite.api.paths import DATA_PLANE_STATE
from amlite.api.deps import (
    ML_VERSION,
    Authorize,
    Paging,
    ScopeOf,
    container,
    JsonBody,
    list_body,
    paging,
    preconditions,
    reg_scope,
    ws_scope,
)
from amlite.domain.asset_owners import OwnerType
from amlite.domain.assets import AssetKind, ListViewType, parse_tag_filter
from amlite.domain.preconditions import Preconditions
from amlite.schemas.arm_assets import AssetContainerBody, AssetVersionBody, AssetVersionPatchBody, ShareBody
from amlite.schemas.arm_common import EmptyBody
from amlite.services.assets import AssetPath
from amlite.services.context import Caller

registry_router = APIRouter()
#: The workspace asset routes, the hottest of the API with the blob uploads: the app tries them
#: before the other routers' but the uploads' (FastAPI tries routes one by one, and a model
#: version was the 75th), which changes no answer because no other route can match their paths
#: (``tests/unit/test_route_order.py`` proves it).
workspace_router = APIRouter()
V = [Depends(ML_VERSION)]
WS = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
REG = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/registries/{registry}"
NS = "Microsoft.MachineLearningServices/workspaces"
REG_NS = "Microsoft.MachineLearningServices/registries"
CONTAINER_BODY = JsonBody(AssetContainerBody)
VERSION_BODY = JsonBody(AssetVersionBody)
PATCH_BODY = JsonBody(AssetVersionPatchBody)
SHARE_BODY = JsonBody(ShareBody)
EMPTY_BODY = JsonBody(EmptyBody)


def _at(kind: AssetKind, owner: OwnerType, request: Request, name: str = "") -> AssetPath:
    p = request.path_params
    owner_name = p["registry"] if owner is OwnerType.REGISTRY else p["workspace"]
    return AssetPath(p["subscription_id"], p["resource_group"], owner_name, kind, name, owner)


def _data_plane(request: Request) -> bool:
    """The request came through the registry data plane (``api.paths``), which answers in its own ways."""
    return bool(getattr(request.state, DATA_PLANE_STATE, False))


def _actions(kind: AssetKind, owner: OwnerType) -> tuple[Authorize, Authorize, Authorize, Authorize]:
    """(container read, container write, version read, version write) of a kind in an owner:
    a workspace names each kind's actions, a registry has one set for all its assets."""
    if owner is OwnerType.REGISTRY:
        read, write = _decided_by_service(f"{REG_NS}/assets/read", reg_scope), _decided_by_service(f"{REG_NS}/assets/write", reg_scope)
        return read, write, read, write
    return (_decided_by_service(f"{NS}/{kind.value}/read", ws_scope),
            _decided_by_service(f"{NS}/{kind.value}/write", ws_scope),
            _decided_by_service(f"{NS}/{kind.value}/versions/read", ws_scope),
            _decided_by_service(f"{NS}/{kind.value}/versions/write", ws_scope))


def _decided_by_service(action: str, scope: ScopeOf) -> Authorize:
    """The asset services admit the caller in the unit of work that resolves the owner
    (``AssetService.enter``): one store read per request."""
    return Authorize(action, scope, in_use_case=True)


def _add_kind(kind: AssetKind, owner: OwnerType) -> None:
    """Register the container and version routes of one kind in one kind of owner."""
    base = f"{WS if owner is OwnerType.WORKSPACE else REG}/{kind.value}"
    tag = kind.value if owner is OwnerType.WORKSPACE else f"registry_{kind.value}"
    c_read, c_write, v_read, v_write = _actions(kind, owner)
    assets = lambda request: container(request).assets  # noqa: E731
    router = workspace_router if owner is OwnerType.WORKSPACE else registry_router

    @router.put(base + "/{name}", dependencies=V, name=f"put_{tag}_container")
    def put_container(name: str, request: Request, caller: Caller = Depends(c_write),
                      body: AssetContainerBody = Depends(CONTAINER_BODY), pre: Preconditions = Depends(preconditions)) -> Any:
        view, created = assets(request).create_or_update_container(caller, _at(kind, owner, request, name), body, pre)
        return render.json(render_assets.container(view, _data_plane(request)), status=201 if created else 200, etag=view.container.etag)

    @router.get(base + "/{name}", dependencies=V, name=f"get_{tag}_container")
    def get_container(name: str, request: Request, caller: Caller = Depends(c_read)) -> Any:
        view = assets(request).get_container(caller, _at(kind, owner, request, name))
        return render.json(render_assets.container(view, _data_plane(request)), etag=view.container.etag)

    @router.get(base, dependencies=V, name=f"list_{tag}_containers")
    def list_containers(request: Request, caller: Caller = Depends(c_read), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        result = assets(request).list_containers(caller, _at(kind, owner, request), view, page.offset, page.limit)
        return list_body(request, [render_assets.container(v, _data_plane(request)) for v in result.items], page, result.more)

    for verb, archived in (("archive", True), ("restore", False)):
        router.add_api_route(base + "/{name}/" + verb, _container_flag(kind, owner, c_write, archived),
                             methods=["POST"], dependencies=V, name=f"{verb}_{tag}_container")

    @router.put(base + "/{name}/versions/{version}", dependencies=V, name=f"put_{tag}_version")
    def put_version(name: str, version: str, request: Request, caller: Caller = Depends(v_write),
                    body: AssetVersionBody = Depends(VERSION_BODY), pre: Preconditions = Depends(preconditions)) -> Any:
        view, created = assets(request).create_or_update_version(caller, _at(kind, owner, request, name), version,
                                                                 body, pre)
        return render.json(render_assets.version(view, _data_plane(request)), status=201 if created else 200, etag=view.version.etag)

    @router.post(base + "/{name}/versions", dependencies=V, name=f"create_next_{tag}_version")
    def post_version(name: str, request: Request, caller: Caller = Depends(v_write),
                     body: AssetVersionBody = Depends(VERSION_BODY)) -> Any:
        view = assets(request).create_next_version(caller, _at(kind, owner, request, name), body)
        return render.json(render_assets.version(view, _data_plane(request)), status=201, etag=view.version.etag)

    @router.get(base + "/{name}/versions/{version}", dependencies=V, name=f"get_{tag}_version")
    def get_version(name: str, version: str, request: Request, caller: Caller = Depends(v_read)) -> Any:
        view = assets(request).get_version(caller, _at(kind, owner, request, name), version)
        return render.json(render_assets.version(view, _data_plane(request)), etag=view.version.etag)

    @router.patch(base + "/{name}/versions/{version}", dependencies=V, name=f"patch_{tag}_version")
    def patch_version(name: str, version: str, request: Request, caller: Caller = Depends(v_write),
                      body: AssetVersionPatchBody = Depends(PATCH_BODY), pre: Preconditions = Depends(preconditions)) -> Any:
        view = assets(request).update_version(caller, _at(kind, owner, request, name), version, body, pre)
        return render.json(render_assets.version(view, _data_plane(request)), etag=view.version.etag)

    @router.get(base + "/{name}/versions", dependencies=V, name=f"list_{tag}_versions")
    def list_versions(name: str, request: Request, caller: Caller = Depends(v_read), page: Paging = Depends(paging)) -> Any:
        view = ListViewType.parse(request.query_params.get("listViewType"))
        tags = parse_tag_filter(request.query_params.get("tags"))
        # The registry data plane lists an asset it does not hold as empty (azure-ai-ml reads "no
        # version yet" from that); ARM's routes answer 404.
        result = assets(request).list_versions(caller, _at(kind, owner, request, name), view, tags, page.offset,
                                               page.limit, missing_is_empty=_data_plane(request),
                                               content_hash=request.query_params.get("hash"))
        return list_body(request, [render_assets.version(v, _data_plane(request)) for v in result.items], page, result.more)

    for verb, archived in (("archive", True), ("restore", False)):
        router.add_api_route(base + "/{name}/versions/{version}/" + verb,
                             _version_flag(kind, owner, v_write, archived), methods=["POST"], dependencies=V,
                             name=f"{verb}_{tag}_version")

    v_delete = _decided_by_service(f"{REG_NS}/assets/delete", reg_scope) if owner is OwnerType.REGISTRY else \
        _decided_by_service(f"{NS}/{kind.value}/versions/delete", ws_scope)

    @router.delete(base + "/{name}/versions/{version}", dependencies=V, name=f"delete_{tag}_version")
    def delete_version(name: str, version: str, request: Request, caller: Caller = Depends(v_delete)) -> Any:
        """Soft-delete a version (amlite's addition: recoverable until its retention ends);
        ``forceToPurge=true`` purges it at once."""
        purge = request.query_params.get("forceToPurge", "false").lower() == "true"
        assets(request).delete_version(caller, _at(kind, owner, request, name), version, purge=purge)
        return Response(status_code=200)

    @router.post(base + "/{name}/versions/{version}/recover", dependencies=V, name=f"recover_{tag}_version")
    def recover_version(name: str, version: str, request: Request, caller: Caller = Depends(v_write)) -> Any:
        """Bring a soft-deleted version back (amlite's addition)."""
        view = assets(request).recover_version(caller, _at(kind, owner, request, name), version)
        return render.json(render_assets.version(view, _data_plane(request)), etag=view.version.etag)

    @router.post(base + "/{name}/versions/{version}/share", dependencies=V, name=f"share_{tag}_version")
    def share_version(name: str, version: str, request: Request, caller: Caller = Depends(v_read),
                      body: ShareBody = Depends(SHARE_BODY)) -> Any:
        """Copy the version into a registry (the caller also needs registries/assets/write there)."""
        result = container(request).registry_assets.share(caller, _at(kind, owner, request, name), version, body)
        return render.json(render_assets.version(result.view, _data_plane(request)), status=201 if result.created else 200,
                           etag=result.view.version.etag,
                           headers={"x-ms-copied-blobs": str(result.blobs_copied),
                                    "x-ms-copied-bytes": str(result.bytes_copied)})


def _container_flag(kind: AssetKind, owner: OwnerType, action: Authorize, archived: bool) -> Any:
    """The archive (or restore) endpoint of a kind's containers."""
    def set_flag(name: str, request: Request, caller: Caller = Depends(action),
                 _: EmptyBody = Depends(EMPTY_BODY)) -> Any:
        view = container(request).assets.set_container_archived(caller, _at(kind, owner, request, name), archived)
        return render.json(render_assets.container(view), etag=view.container.etag)

    return set_flag


def _version_flag(kind: AssetKind, owner: OwnerType, action: Authorize, archived: bool) -> Any:
    """The archive (or restore) endpoint of a kind's versions."""
    def set_flag(name: str, version: str, request: Request, caller: Caller = Depends(action),
                 _: EmptyBody = Depends(EMPTY_BODY)) -> Any:
        view = container(request).assets.set_version_archived(caller, _at(kind, owner, request, name), version,
                                                              archived)
        return render.json(render_assets.version(view), etag=view.version.etag)

    return set_flag

@workspace_router.get(WS + "/modelVersions", dependencies=V, name="search_model_versions")
def search_model_versions(request: Request, page: Paging = Depends(paging),
                          caller: Caller = Depends(_decided_by_service(f"{NS}/models/versions/read", ws_scope))) -> Any:
    """Versions of every model of the workspace with the given tags (``tags=k=v,k2``: k=v and any
    value of k2), newest first, paged with nextLink: MLflow's ``search_model_versions`` by tag."""
    view = ListViewType.parse(request.query_params.get("listViewType"))
    tags = parse_tag_filter(request.query_params.get("tags"))
    result = container(request).assets.search_versions(caller, _at(AssetKind.MODELS, OwnerType.WORKSPACE, request), tags,
                                                       view, page.offset, page.limit)
    return list_body(request, [render_assets.version(v) for v in result.items], page, result.more)


for _owner in OwnerType:
    for _kind in AssetKind:
        _add_kind(_kind, _owner)
