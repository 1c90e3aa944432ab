"""The Azure Blob Storage endpoint of the storage accounts amlite serves (``services.storage_endpoint``).

Clients reach it as Azure's: ``https://{account}.blob.{storage suffix}/{container}/{blob}``, on
amlite's own port (``BlobHostMiddleware`` turns such a host into the path ``/blobservice/{account}``;
the same path works with any host, path-style). The calls served are those azure-storage-blob makes
for azure-ai-ml's uploads and downloads: Put Blob, Get Blob (with ranges), Get Blob Properties,
Set Blob Metadata, List Blobs, and block uploads (Put Block, Put Block List: what the client
does for a file over 64 MiB). Others (container operations, page and append blobs, copies) are
refused with Azure Storage's ``UnsupportedOperation``. Errors are Azure Storage's
XML with its ``x-ms-error-code`` header, as the client reads them; access is by the SAS amlite signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from amlite.api.errors import status_of
from amlite.api.streams import stream_body
from amlite.domain.errors import AmliteError, invalid
from amlite.domain.storage_paths import SERVICE_VERSION, StoredPath
from amlite.services.storage_endpoint import StorageEndpointService

PREFIX = "/blobservice"
META = "x-ms-meta-"
#: A block list of Azure's 50,000 blocks, each a 64-character id in its element, fits.
MAX_BLOCK_LIST_BYTES = 8 * 1024 * 1024


class BlobHostMiddleware:
    """Requests for ``{account}.blob.{suffix}`` go to the blob endpoint as ``/blobservice/{account}/...``."""

    def __init__(self, app: Any, suffix: str) -> None:
        self.app = app
        self.marker = f".blob.{suffix.lower()}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
            if name.endswith(self.marker) and name.count(".") == self.marker.count("."):
                account = name[: -len(self.marker)]
                scope = dict(scope, path=f"{PREFIX}/{account}{scope['path']}", raw_path=None)
        await self.app(scope, receive, send)


def _service(request: Request) -> StorageEndpointService:
    return request.app.state.storage_endpoint  # type: ignore[no-any-return]


def _headers(item: StoredPath) -> dict[str, str]:
    headers = {"ETag": item.etag, "Last-Modified": format_datetime(item.modified_at, usegmt=True),
               "x-ms-version": SERVICE_VERSION, "x-ms-request-id": str(uuid.uuid4())}
    return headers


def _error(exc: AmliteError, head: bool = False, status: int | None = None) -> Response:
    """Azure Storage's error: the status ``exc``'s class maps to, unless Azure's own differs (``status``)."""
    status = status or status_of(exc)
    code = exc.code
    body = b"" if head else (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{escape(code)}</Code>'
                             f"<Message>{escape(exc.message)}</Message></Error>").encode()
    return Response(body, status_code=status, media_type="application/xml",
                    headers={"x-ms-error-code": code, "x-ms-version": SERVICE_VERSION})


def _unsupported(what: str) -> Response:
    return _error(invalid("UnsupportedOperation", f"{what} is not supported by amlite's blob endpoint."))


async def blob(request: Request) -> Response:
    account, container = request.path_params["account"], request.path_params["container"]
    path = request.path_params.get("blob", "")
    query = dict(request.query_params)
    comp, method = query.get("comp"), request.method
    service = _service(request)
    try:
        if not path:
            if method == "GET" and query.get("restype") == "container" and comp == "list":
                grant = service.admit(account, container, query, "l")
                items = await to_thread.run_sync(service.list, grant, query.get("prefix", ""))
                return _listing(account, container, query.get("prefix", ""), items)
            return _unsupported("This container operation")
        if method == "PUT" and comp is None:
            return await _put(request, service, account, container, path, query)
        if method == "PUT" and comp == "block":
            return await _put_block(request, service, account, container, path, query)
        if method == "PUT" and comp == "blocklist":
            return await _put_block_list(request, service, account, container, path, query)
        if method == "PUT" and comp == "metadata":
            grant = service.admit(account, container, query, "w")
            item = await to_thread.run_sync(service.set_metadata, grant, path, _metadata(request))
            return Response(status_code=200, headers=_headers(item))
        if method in ("GET", "HEAD") and comp is None:
            grant = service.admit(account, container, query, "r")
            if method == "HEAD":
                item = await to_thread.run_sync(service.properties, grant, path)
                return Response(status_code=200, headers=_properties(item))
            item, chunks = await to_thread.run_sync(service.open, grant, path)
            return _download(request, item, chunks)
        return _unsupported(f"'{method}' with comp={comp}" if comp else f"'{method}' on a blob")
    except AmliteError as exc:
        return _error(exc, head=method == "HEAD")


async def _put(request: Request, service: StorageEndpointService, account: str, container: str, path: str,
               query: dict[str, str]) -> Response:
    grant = service.admit(account, container, query, "w")
    if request.headers.get("x-ms-blob-type", "BlockBlob") != "BlockBlob":
        return _unsupported("Page and append blobs")
    length = request.headers.get("content-length", "")
    ctype = request.headers.get("x-ms-blob-content-type") or "application/octet-stream"
    metadata, if_none_match = _metadata(request), request.headers.get("if-none-match")
    try:
        item = await stream_body(request, lambda: service.begin_put(
            grant, path, ctype, metadata, if_none_match, int(length) if length.isdigit() else None))
    except ClientDisconnect:
        return Response(status_code=499)
    return Response(status_code=201, headers={**_headers(item), "x-ms-request-server-encrypted": "true"})


async def _put_block(request: Request, service: StorageEndpointService, account: str, container: str, path: str,
                     query: dict[str, str]) -> Response:
    grant = service.admit(account, container, query, "w")
    length = request.headers.get("content-length", "")
    try:
        await stream_body(request, lambda: service.begin_block(grant, path, query.get("blockid", ""),
                                                               int(length) if length.isdigit() else None))
    except ClientDisconnect:
        return Response(status_code=499)
    return Response(status_code=201, headers={"x-ms-version": SERVICE_VERSION, "x-ms-request-id": str(uuid.uuid4()),
                                              "x-ms-request-server-encrypted": "true"})


async def _put_block_list(request: Request, service: StorageEndpointService, account: str, container: str, path: str,
                          query: dict[str, str]) -> Response:
    grant = service.admit(account, container, query, "w")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BLOCK_LIST_BYTES:
            return _error(invalid("RequestBodyTooLarge", "The block list is larger than Azure's 50,000 blocks."),
                          status=413)
    ids = _block_ids(body)
    ctype = request.headers.get("x-ms-blob-content-type") or "application/octet-stream"
    item = await to_thread.run_sync(service.commit_blocks, grant, path, ids, ctype, _metadata(request),
                                    request.headers.get("if-none-match"))
    return Response(status_code=201, headers={**_headers(item), "x-ms-request-server-encrypted": "true"})


def _block_ids(body: bytes) -> list[str]:
    """The ids of a ``<BlockList>`` (``Latest``, ``Committed`` and ``Uncommitted`` alike: amlite
    keeps only staged blocks, a blob's committed blocks are not kept apart)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise invalid("InvalidXmlDocument", "The block list is not valid XML.") from None
    if root.tag != "BlockList" or any(e.tag not in ("Latest", "Committed", "Uncommitted") for e in root):
        raise invalid("InvalidXmlDocument", "The block list must be <BlockList> of <Latest>, <Committed> or <Uncommitted>.")
    return [(e.text or "").strip() for e in root]


def _metadata(request: Request) -> dict[str, str]:
    return {k[len(META):]: v for k, v in request.headers.items() if k.lower().startswith(META)}


def _properties(item: StoredPath) -> dict[str, str]:
    return {**_headers(item), "Content-Length": str(item.size), "Content-Type": item.content_type,
            "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes",
            "x-ms-creation-time": format_datetime(item.modified_at, usegmt=True),
            **{f"{META}{k}": v for k, v in item.metadata.items()}}


def _download(request: Request, item: StoredPath, chunks: Iterator[bytes]) -> Response:
    """The blob's bytes, or the range asked for (``Range``/``x-ms-range: bytes=a-b``) as a 206."""
    headers = _properties(item)
    wanted = request.headers.get("x-ms-range") or request.headers.get("range")
    if not wanted or item.size == 0:
        return StreamingResponse(chunks, status_code=200, headers=headers)
    first_text, _, last_text = wanted.removeprefix("bytes=").partition("-")
    first = int(first_text) if first_text.isdigit() else 0
    last = min(int(last_text) if last_text.isdigit() else item.size - 1, item.size - 1)
    if first > last:
        return _error(invalid("InvalidRange", "The range specified is invalid for the current size of the resource."),
                      status=416)
    headers.update({"Content-Length": str(last - first + 1), "Content-Range": f"bytes {first}-{last}/{item.size}"})
    return StreamingResponse(_slice(chunks, first, last), status_code=206, headers=headers)


def _slice(chunks: Iterator[bytes], first: int, last: int) -> Iterator[bytes]:
    offset = 0
    for chunk in chunks:
        start, end = offset, offset + len(chunk)
        offset = end
        if end <= first:
            continue
        if start > last:
            break
        yield chunk[max(0, first - start): min(len(chunk), last - start + 1)]


def _listing(account: str, container: str, prefix: str, items: list[StoredPath]) -> Response:
    rows = "".join(
        f"<Blob><Name>{escape(i.path)}</Name><Properties><Last-Modified>{format_datetime(i.modified_at, usegmt=True)}"
        f"</Last-Modified><Etag>{escape(i.etag)}</Etag><Content-Length>{i.size}</Content-Length>"
        f"<Content-Type>{escape(i.content_type)}</Content-Type><BlobType>BlockBlob</BlobType></Properties>"
        f"<Metadata>{''.join(f'<{k}>{escape(v)}</{k}>' for k, v in i.metadata.items())}</Metadata></Blob>"
        for i in items)
    body = (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://{account}.blob/" '
            f'ContainerName="{escape(container)}"><Prefix>{escape(prefix)}</Prefix><Blobs>{rows}</Blobs>'
            "<NextMarker /></EnumerationResults>")
    return Response(body.encode(), media_type="application/xml", headers={"x-ms-version": SERVICE_VERSION})


def blob_app(service: StorageEndpointService) -> Starlette:
    """The endpoint as an application of its own, mounted at ``PREFIX``."""
    app = Starlette(routes=[
        Route("/{account}/{container}", blob, methods=["GET", "HEAD", "PUT", "DELETE"]),
        Route("/{account}/{container}/{blob:path}", blob, methods=["GET", "HEAD", "PUT", "DELETE"]),
    ])
    app.state.storage_endpoint = service
    return app
