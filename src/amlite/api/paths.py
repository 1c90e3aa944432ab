"""ARM paths are case-insensitive in their fixed words: ``/resourcegroups/`` and
``/resourceGroups/`` are one route. Names keep their case. This middleware rewrites the fixed
words of a path to their canonical spelling before routing, walking the path as ARM lays it out
(keyword, value, keyword, value; ``providers`` is followed by a namespace)."""

from __future__ import annotations

from typing import Any

from amlite.domain.providers import find_provider

KEYWORDS = {
    w.lower(): w
    for w in (
        "subscriptions", "resourceGroups", "providers", "locations", "operationStatuses", "operationResults",
        "workspaces", "register", "unregister", "resources", "aliases", "tenants",
    )
}


def canonical_path(path: str) -> str:
    segments = path.split("/")
    out = list(segments)
    i, expect_keyword = 1, True
    while i < len(segments):
        low = segments[i].lower()
        if expect_keyword:
            if low in KEYWORDS:
                out[i] = KEYWORDS[low]
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


class CanonicalPathMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            canonical = canonical_path(path)
            if canonical != path:
                scope = dict(scope, path=canonical)
        await self.app(scope, receive, send)
