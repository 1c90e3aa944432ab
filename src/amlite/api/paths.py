"""ARM paths are case-insensitive in their fixed words: ``/resourcegroups/`` and
``/resourceGroups/`` are one route. Names keep their case. This middleware rewrites the fixed
words of a path to their canonical spelling before routing, walking the path as ARM lays it out
(keyword, value, keyword, value; ``providers`` is followed by a namespace)."""

from __future__ import annotations

import uuid
from typing import Any

from amlite.domain.providers import find_provider

KEYWORDS = {
    w.lower(): w
    for w in (
        "subscriptions", "resourceGroups", "providers", "locations", "operationStatuses", "operationResults",
        "workspaces", "register", "unregister", "resources", "aliases", "tenants", "roleAssignments",
        "roleDefinitions", "eventtypes", "values",
        "models", "environments", "components", "data", "versions", "archive", "restore", "datastores", "listSecrets",
        "artifacts", "blobs", "registries", "modelVersions", "tempdatarefs", "import", "codes", "startPendingUpload",
        "connections",
    )
}


# Fixed words followed by another fixed word rather than a name: ``artifacts/blobs/{sha256}``.
COMPOUND = {"artifacts": "blobs"}


#: azure-ai-ml's registry data plane: ``{primaryRegionResourceProviderUri}mferp/managementfrontend``
#: then the registry's ARM path. amlite serves both from one tree, so the prefix is dropped.
DATA_PLANE_PREFIX = "/mferp/managementfrontend/"
#: ``request.state`` key: True when the request came in under ``DATA_PLANE_PREFIX``.
DATA_PLANE_STATE = "registry_data_plane"


def canonical_path(path: str) -> str:
    if path.startswith(("/v1.0/", "/blobservice/")):
        return path  # the directory (Graph) and the blob endpoint are not laid out as ARM paths are
    if path.lower().startswith(DATA_PLANE_PREFIX):
        path = path[len(DATA_PLANE_PREFIX) - 1:]
    if path.startswith("/mlflow/v1.0/"):  # MLflow's API under a workspace: only the workspace's path is ARM's
        head, sep, tail = path[len("/mlflow/v1.0"):].partition("/api/")
        return "/mlflow/v1.0" + canonical_path(head) + sep + tail
    segments = path.split("/")
    out = list(segments)
    i, expect_keyword = 1, True
    while i < len(segments):
        low = segments[i].lower()
        if expect_keyword:
            if low in KEYWORDS:
                out[i] = KEYWORDS[low]
            if low in COMPOUND and i + 1 < len(segments) and segments[i + 1].lower() == COMPOUND[low].lower():
                out[i + 1] = COMPOUND[low]  # two fixed words in a row, then a value
                i += 2
                expect_keyword = False
                continue
            if low == "providers" and i + 1 < len(segments):
                provider = find_provider(segments[i + 1])
                if provider is not None:
                    out[i + 1] = provider.namespace
                i += 2
                continue
            expect_keyword = False
        else:
            expect_keyword = True
        i += 1
    return "/".join(out)


class RequestIdMiddleware:
    """Give every request ARM's ``x-ms-request-id`` and ``x-ms-correlation-request-id`` (the client's
    correlation id when it sent one) and echo them on the response, so a user can find the request
    in the audit log."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = str(uuid.uuid4())
        correlation = headers.get("x-ms-correlation-request-id") or headers.get("x-ms-client-request-id") or request_id
        correlation = correlation[:64]
        state = scope.setdefault("state", {})
        state["request_id"], state["correlation_id"] = request_id, correlation

        async def send_with_ids(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"x-ms-request-id", request_id.encode()), (b"x-ms-correlation-request-id", correlation.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_ids)


class CanonicalPathMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            canonical = canonical_path(path)
            if canonical != path:
                scope = dict(scope, path=canonical)
            # Routes that answer the registry data plane as it answers, not as ARM does, ask here.
            scope.setdefault("state", {})[DATA_PLANE_STATE] = path.lower().startswith(DATA_PLANE_PREFIX)
        await self.app(scope, receive, send)
