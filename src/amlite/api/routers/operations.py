"""Status of long-running operations: the Azure-AsyncOperation and Location URLs.

The caller may poll an operation it started, or one on a resource it may read; that scope is known
only after the lookup, so the check happens here rather than in the route's dependency.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api import render
from amlite.api.deps import ML_VERSION, RESOURCES_VERSION, ApiVersion, Authorize, container
from amlite.api.errors import error_response
from amlite.domain.errors import AmliteError, Conflict
from amlite.domain.operations import Operation, OperationStatus
from amlite.domain.providers import ML_NAMESPACE
from amlite.services.context import Caller

router = APIRouter()
PREFIX = "/subscriptions/{subscription_id}/providers/{namespace}/locations/{location}"
READ = "Microsoft.Resources/subscriptions/operationresults/read"


class NamespaceApiVersion(ApiVersion):
    """Machine Learning operations take its api-versions; every other namespace Microsoft.Resources'.
    ``accepted`` is the union, which is what the OpenAPI document can say of a ``{namespace}`` path."""

    def __init__(self) -> None:
        super().__init__(tuple(dict.fromkeys(ML_VERSION.accepted + RESOURCES_VERSION.accepted)))

    async def __call__(self, request: Request) -> str:
        if request.path_params.get("namespace", "").lower() == ML_NAMESPACE.lower():
            return await ML_VERSION(request)
        return await RESOURCES_VERSION(request)


api_version = NamespaceApiVersion()


def _load(request: Request, caller: Caller, subscription_id: str, op_id: str) -> Operation:
    c = container(request)
    op = c.operations.get(caller, subscription_id, op_id)
    if op.created_by != caller.name:
        c.authz.require(caller, READ, op.target_id)
    return op  # type: ignore[no-any-return]


@router.get(PREFIX + "/operationStatuses/{operation_id}", dependencies=[Depends(api_version)])
def status(subscription_id: str, namespace: str, location: str, operation_id: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> Any:
    op = _load(request, caller, subscription_id, operation_id)
    # While it runs, say when to look again: without Retry-After azure-core waits 30 s a poll.
    headers = {} if op.status.is_terminal else {"Retry-After": render.RETRY_AFTER}
    return render.json(render.operation_status(str(request.base_url), op), headers=headers)


@router.get(PREFIX + "/operationResults/{operation_id}", dependencies=[Depends(api_version)])
def result(subscription_id: str, namespace: str, location: str, operation_id: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> Response:
    op = _load(request, caller, subscription_id, operation_id)
    if op.status is OperationStatus.IN_PROGRESS:
        return Response(status_code=202, headers={"Location": str(request.url), "Retry-After": render.RETRY_AFTER})
    if op.status is OperationStatus.SUCCEEDED:
        return Response(status_code=204)
    # A failed operation answers with its error and the status that error has on a direct request.
    error_class = _FAILURE_CLASSES.get(op.error_code or "", AmliteError)
    response = error_response(error_class(op.error_code or "OperationFailed", op.error_message or "The operation failed."))
    report = op.payload.get("report")
    if op.status is OperationStatus.FAILED and isinstance(report, dict) and report.get("blockers"):
        body = render.operation_status(str(request.base_url), op)["error"]
        return render.json({"error": body}, status=response.status_code)
    return response


_FAILURE_CLASSES: dict[str, type[AmliteError]] = {
    "ResourceGroupNotEmpty": Conflict, "ResourceMoveValidationFailed": Conflict, "TargetResourceGroupNotFound": Conflict,
}
