"""Artifact blobs of a workspace, content-addressed: ``PUT|HEAD|GET {ws}/artifacts/blobs/{sha256}``.

The bodies are raw bytes (``application/octet-stream``), streamed both ways in constant memory:
an upload is pushed into the blob store's writer batch by batch as it arrives (``api.streams``),
and a download is streamed from the store.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from amlite.api.deps import ML_VERSION, Authorize, container, reg_scope, ws_scope
from amlite.api.http_server import ZERO_COPY_SEND
from amlite.api.json_input import SafeJSONResponse as JSONResponse
from amlite.api.streams import stream_body
from amlite.domain.errors import UnsupportedMediaType
from amlite.services.artifacts import BlobDownload
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(ML_VERSION)]
BLOB = (
    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/artifacts/blobs/{sha256}"
)
#: The artifact service admits the caller in the read that finds the storage (one read per request).
READ = Authorize("Microsoft.MachineLearningServices/workspaces/artifacts/read", ws_scope, in_use_case=True)
WRITE = Authorize("Microsoft.MachineLearningServices/workspaces/artifacts/write", ws_scope, in_use_case=True)
OCTET_STREAM = "application/octet-stream"
#: Declares the raw body in the OpenAPI document; the route meta-tests read it to tell byte
#: bodies from JSON ones.
OCTET_BODY = {
    "requestBody": {"required": True, "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
}


async def octet_stream(request: Request) -> None:
    """The body must be raw bytes: ``application/octet-stream`` (or no content type, as ``curl -T``
    sends); anything else, JSON included, is ``415 UnsupportedMediaType``."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("", OCTET_STREAM):
        raise UnsupportedMediaType(
            "UnsupportedMediaType", f"The content media type '{ctype}' is not supported. Only '{OCTET_STREAM}' is supported."
        )


class BlobResponse(StreamingResponse):
    """A blob's bytes with its size, region and digest in the headers. A blob that is a local file
    goes out with ``sendfile`` when the server offers zero-copy sends (``api.http_server``): no
    thread reads it and no byte passes through Python. Otherwise it is streamed in chunks."""

    def __init__(self, blob: BlobDownload) -> None:
        headers = {"Content-Length": str(blob.size), "x-ms-served-region": blob.region, "ETag": f'"{blob.sha256}"'}
        super().__init__(blob.chunks, media_type=OCTET_STREAM, headers=headers)
        self._blob = blob

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        blob = self._blob
        if blob.file is None or ZERO_COPY_SEND not in scope.get("extensions", {}):
            await super().__call__(scope, receive, send)
            return
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send({"type": ZERO_COPY_SEND, "file": blob.file, "offset": 0, "count": blob.size, "more_body": False})
        finally:
            blob.file.close()  # the chunks, never started, hold nothing else


def _size_hint(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


@router.put(BLOB, dependencies=V, openapi_extra=OCTET_BODY)
async def put_blob(subscription_id: str, resource_group: str, workspace: str, sha256: str, request: Request,
                   caller: Caller = Depends(WRITE), _: None = Depends(octet_stream)) -> Response:
    service = container(request).artifacts
    size_hint = _size_hint(request)
    try:
        stored = await stream_body(request, lambda: service.begin_blob(
            caller, subscription_id, resource_group, workspace, sha256, size_hint))
    except ClientDisconnect:
        return Response(status_code=499)  # the client went away; the store kept nothing of it
    body = {"sha256": stored.sha256, "size": stored.size, "existed": stored.existed}
    return JSONResponse(body, status_code=200 if stored.existed else 201)


@router.head(BLOB, dependencies=V)
def head_blob(subscription_id: str, resource_group: str, workspace: str, sha256: str, request: Request,
              caller: Caller = Depends(READ)) -> Response:
    size, region = container(request).artifacts.blob_size(caller, subscription_id, resource_group, workspace, sha256)
    return Response(status_code=200, media_type=OCTET_STREAM,
                    headers={"Content-Length": str(size), "x-ms-served-region": region})


@router.get(BLOB, dependencies=V)
def get_blob(subscription_id: str, resource_group: str, workspace: str, sha256: str, request: Request,
             caller: Caller = Depends(READ)) -> Response:
    return BlobResponse(container(request).artifacts.open_blob(caller, subscription_id, resource_group, workspace, sha256))


# -- registries: uploads to the primary region, reads from the caller's region's replica -------

REG_BLOB = (
    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    "/providers/Microsoft.MachineLearningServices/registries/{registry}/artifacts/blobs/{sha256}"
)
REG_READ = Authorize("Microsoft.MachineLearningServices/registries/assets/read", reg_scope, in_use_case=True)
REG_WRITE = Authorize("Microsoft.MachineLearningServices/registries/assets/write", reg_scope, in_use_case=True)


@router.put(REG_BLOB, dependencies=V, openapi_extra=OCTET_BODY)
async def put_registry_blob(subscription_id: str, resource_group: str, registry: str, sha256: str, request: Request,
                            caller: Caller = Depends(REG_WRITE),
                            _: None = Depends(octet_stream)) -> Response:
    service = container(request).artifacts
    size_hint = _size_hint(request)
    try:
        stored = await stream_body(request, lambda: service.begin_registry_blob(
            caller, subscription_id, resource_group, registry, sha256, size_hint))
    except ClientDisconnect:
        return Response(status_code=499)
    body = {"sha256": stored.sha256, "size": stored.size, "existed": stored.existed}
    return JSONResponse(body, status_code=200 if stored.existed else 201)


@router.head(REG_BLOB, dependencies=V)
def head_registry_blob(subscription_id: str, resource_group: str, registry: str, sha256: str, request: Request,
                       callerRegion: str | None = None,  # noqa: N803 - the query parameter's wire name
                       caller: Caller = Depends(REG_READ)) -> Response:
    size, region = container(request).artifacts.registry_blob_size(
        caller, subscription_id, resource_group, registry, sha256, callerRegion)
    return Response(status_code=200, media_type=OCTET_STREAM,
                    headers={"Content-Length": str(size), "x-ms-served-region": region})


@router.get(REG_BLOB, dependencies=V)
def get_registry_blob(subscription_id: str, resource_group: str, registry: str, sha256: str, request: Request,
                      callerRegion: str | None = None,  # noqa: N803 - the query parameter's wire name
                      caller: Caller = Depends(REG_READ)) -> Response:
    """The blob from the ``callerRegion`` replica when it is ready there, else from the primary."""
    return BlobResponse(container(request).artifacts.open_registry_blob(
        caller, subscription_id, resource_group, registry, sha256, callerRegion))
