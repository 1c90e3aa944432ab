"""The scoring front door of every online endpoint: ``POST {endpoint}/online/{scoring id}/score``.

Not an ARM route (no api-version, no management token): the endpoint admits the request by its
own auth mode (``OnlineEndpointService.admit``), picks the deployment by traffic or by the
``azureml-model-deployment`` header, and the request is passed to the deployment's process on
loopback with httpx, body and content type as they came. The answer carries the deployment
that served it in ``azureml-model-deployment``, as Azure's does.
"""

from __future__ import annotations

import random

import httpx
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from amlite.api.deps import container
from amlite.domain.errors import Conflict, StorageUnavailable
from amlite.domain.online_endpoints import DEPLOYMENT_HEADER, DeploymentState
from amlite.scoring.host import SECRET_HEADER

router = APIRouter(include_in_schema=False)
TIMEOUT = httpx.Timeout(90.0, connect=5.0)


class DeploymentUnavailable(StorageUnavailable):
    """The chosen deployment has no live process (starting, failed, or restarting)."""


@router.post("/online/{scoring_id}/score")
async def score(scoring_id: str, request: Request) -> Response:
    c = container(request)
    target = await run_in_threadpool(
        c.online_endpoints.admit, scoring_id, request.headers.get("authorization"),
        request.headers.get(DEPLOYMENT_HEADER), c.identity.authenticate, random.random())
    if target.state is not DeploymentState.SUCCEEDED or target.port is None:
        raise Conflict("DeploymentNotReady", f"The deployment '{target.deployment}' is {target.state.value}; it serves "
                       "no requests.")
    body = await request.body()
    headers = {SECRET_HEADER: target.secret or "",
               "Content-Type": request.headers.get("content-type", "application/json")}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.post(f"http://127.0.0.1:{target.port}/score", content=body, headers=headers)
    except httpx.TransportError as exc:
        raise DeploymentUnavailable("DeploymentUnavailable",
                                    f"The deployment '{target.deployment}' did not answer ({type(exc).__name__}); "
                                    "it is being restarted.") from exc
    return Response(answer.content, status_code=answer.status_code,
                    media_type=answer.headers.get("content-type", "application/json"),
                    headers={DEPLOYMENT_HEADER: target.deployment})

