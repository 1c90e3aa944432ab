"""``create_app``: the FastAPI application over a wired ``Container``.

Nothing starts at import time; the lifespan starts and stops the in-process worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import CapacityLimiter
from fastapi import FastAPI
from fastapi.routing import APIRoute

from amlite import __version__
from amlite.api import blob_endpoint, errors, openapi, scoring
from amlite.api.http_server import QueryLimitMiddleware
from amlite.api.json_input import SafeJSONResponse
from amlite.api.limits import BodyLimits
from amlite.api.paths import CanonicalPathMiddleware, RequestIdMiddleware
from amlite.api.routers import (
    activity_log, artifacts, assets, authorization, bundles, computes, databricks, datastores, discovery, graph, identity, images,
    jobs, labeling, mlflow, online_endpoints, operations, outages, pairs, policies, private_endpoints, registries,
    registry_dataplane, resource_groups, subscriptions, system_registry, templates, workspace_connections, workspaces,
)


# In the order the app tries them (FastAPI tries route after route). The blob uploads and the
# workspace asset routes come first, as the hottest: no route of a router they now pass can match
# their paths (tests/unit/test_route_order.py). The built-in registry's routes must come before
# the registry asset routes, which would otherwise take its paths, and after the artifacts ones.
ROUTERS = (artifacts.router, assets.workspace_router, identity.router, subscriptions.router, resource_groups.router,
           workspaces.router, operations.router, system_registry.router, assets.registry_router, datastores.router,
           computes.router,
           graph.router, activity_log.router, authorization.router, registries.router, discovery.router,
           registry_dataplane.router, mlflow.router, online_endpoints.router, jobs.router, images.router,
           policies.router, workspace_connections.router, private_endpoints.router, labeling.router, bundles.router,
           templates.router, outages.router, pairs.router, databricks.router)


def api_routes() -> list[APIRoute]:
    """Every API route the app serves (meta-tests walk these)."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def create_app(container: Any) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        container.start()
        try:
            yield
        finally:
            container.stop()

    app = FastAPI(
        title="amlite", default_response_class=SafeJSONResponse, version=__version__, lifespan=lifespan, docs_url="/docs", redoc_url=None,
        description="A self-hosted Azure Machine Learning control plane speaking Azure Resource Manager's REST dialect.",
    )
    app.state.container = container
    limits = container.settings.limits
    app.state.password_checks = CapacityLimiter(limits.max_concurrent_password_checks)
    errors.install(app)
    openapi.install(app, api_routes())
    for router in ROUTERS:
        app.include_router(router)
    app.mount(blob_endpoint.PREFIX, blob_endpoint.blob_app(container.storage_endpoint))
    app.include_router(scoring.router)  # not ARM: each endpoint admits by its own keys or tokens
    app.add_middleware(BodyLimits, limits=limits)  # innermost: sees canonical paths, answers with request ids
    app.add_middleware(CanonicalPathMiddleware)
    app.add_middleware(blob_endpoint.BlobHostMiddleware, suffix=container.settings.storage_suffix)
    app.add_middleware(errors.UnexpectedErrorMiddleware)
    app.add_middleware(QueryLimitMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
