"""Workspace bundles (amlite's own routes; Azure ML has no backup of a workspace's metadata).

``POST .../workspaces/{ws}/export`` answers the workspace's bundle (``application/x-tar``;
``?compression=gzip`` gzips it). ``POST .../workspaces/{ws}/import`` takes a bundle as the body
(``application/x-tar``, ``application/gzip`` or ``application/octet-stream``; gzip is recognised
from its bytes) and answers what it imported. ``POST .../backup`` is the export plus the
datastores' secrets, still encrypted under the server's key. An export is written to an anonymous
temporary file first (so a failure is an error answer, not a cut-off archive) and then streamed
with its length. An imported bundle is spooled to a temporary file (the
import reads it twice: once to verify every member, once to store the blobs) that is removed
when the request ends. ``docs/bundles.md`` has the format.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from amlite.api.deps import ML_VERSION, Authorize, container, ws_scope
from amlite.api.json_input import SafeJSONResponse as JSONResponse
from amlite.domain.blobs import CHUNK_SIZE
from amlite.domain.errors import InvalidInput
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
WS = ("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
      "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}")
READ = Authorize("Microsoft.MachineLearningServices/workspaces/read", ws_scope)
WRITE = Authorize("Microsoft.MachineLearningServices/workspaces/write", ws_scope)
#: A backup carries the datastores' (encrypted) secrets: the right to read them is needed.
BACKUP = Authorize("Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action", ws_scope)
TAR_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}}
}


def _compression(raw: str | None) -> str:
    if raw in (None, "", "none"):
        return ""
    if raw == "gzip":
        return "gz"
    raise InvalidInput("InvalidParameter", f"compression '{raw}' is not supported: use none or gzip "
                       "(zstandard is not installed on this server).", "compression")


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


async def _bundle(request: Request, caller: Caller, subscription_id: str, resource_group: str, workspace: str,
                  compression: str | None, with_secrets: bool) -> Response:
    mode = _compression(compression)
    spool = tempfile.TemporaryFile()
    try:
        summary = await to_thread.run_sync(lambda: container(request).bundles.export(
            caller, subscription_id, resource_group, workspace, spool, mode, with_secrets))
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    media = "application/gzip" if mode else "application/x-tar"
    return StreamingResponse(_chunks(spool), media_type=media, headers={
        "Content-Length": str(size), "x-amlite-bundle-members": str(summary.members),
        "x-amlite-bundle-blobs": str(summary.blobs)})


@router.post(WS + "/export", dependencies=V)
async def export_bundle(subscription_id: str, resource_group: str, workspace: str, request: Request,
                        compression: str | None = None, caller: Caller = Depends(READ)) -> Response:
    """amlite's addition: the workspace's assets, artifacts, jobs, runs and datastores (without
    secrets) as a bundle."""
    return await _bundle(request, caller, subscription_id, resource_group, workspace, compression, False)


@router.post(WS + "/backup", dependencies=V)
async def backup_bundle(subscription_id: str, resource_group: str, workspace: str, request: Request,
                        compression: str | None = None, caller: Caller = Depends(BACKUP)) -> Response:
    """amlite's addition: a point-in-time backup: the export's bundle plus the datastores' secrets,
    encrypted under the server's secrets key (restore it with ``/import``)."""
    return await _bundle(request, caller, subscription_id, resource_group, workspace, compression, True)


@router.post(WS + "/import", dependencies=V, openapi_extra=TAR_BODY)
async def import_bundle(subscription_id: str, resource_group: str, workspace: str, request: Request,
                        caller: Caller = Depends(WRITE)) -> Response:
    """amlite's addition: import a bundle; every member is verified before anything is written."""
    fd, name = tempfile.mkstemp(suffix=".bundle")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                async for chunk in request.stream():
                    if chunk:
                        await to_thread.run_sync(handle.write, chunk)
            except ClientDisconnect:
                return Response(status_code=499)
        summary = await to_thread.run_sync(lambda: container(request).bundles.import_bundle(
            caller, subscription_id, resource_group, workspace, path))
    finally:
        path.unlink(missing_ok=True)
    return JSONResponse(summary.as_json(), status_code=200)
