"""MLflow's REST tracking API under each workspace's ``mlFlowTrackingUri``
(``/mlflow/v1.0/subscriptions/.../workspaces/{workspace}``): ``/api/2.0/mlflow/...`` for
experiments, runs, logging, searches and metric history, and ``/api/2.0/mlflow-artifacts/...``
for run files, so the plain ``mlflow`` client (``MLFLOW_TRACKING_URI`` + ``MLFLOW_TRACKING_TOKEN``)
works unmodified. Request and response bodies are MLflow's; errors are MLflow's body
(``{"error_code", "message"}``) with MLflow's status codes, which its client parses
(``MlflowRoute``). No api-version: MLflow's client sends none.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from amlite.api.deps import Authorize, container, json_body, ws_scope
from amlite.api.errors import audit_failed_write
from amlite.api.json_input import SafeJSONResponse as JSONResponse
from amlite.api.streams import stream_body
from amlite.domain import errors as e
from amlite.domain.tracking import (
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    LifecycleStage,
    Metric,
    invalid,
    metric_value,
    whole_number,
)
from amlite.api.render_tracking import experiment_body, metric_body, run_body, run_info
from amlite.services.context import Caller
from amlite.services.tracking import WorkspaceRef

#: MLflow's status of each of its error codes (``mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS``).
MLFLOW_STATUS = {INVALID_PARAMETER_VALUE: 400, RESOURCE_ALREADY_EXISTS: 400, INVALID_STATE: 400,
                 RESOURCE_DOES_NOT_EXIST: 404}
#: amlite's error classes in MLflow's words, for errors raised before tracking's own rules
#: (authentication, authorization, a missing workspace, a bad body).
_BY_CLASS: list[tuple[type[e.AmliteError], str, int]] = [
    (e.AuthenticationFailed, "UNAUTHENTICATED", 401),
    (e.AuthorizationFailed, "PERMISSION_DENIED", 403),
    (e.UnsupportedMediaType, "BAD_REQUEST", 400),
    (e.InvalidInput, INVALID_PARAMETER_VALUE, 400),
    (e.NotFound, RESOURCE_DOES_NOT_EXIST, 404),
    (e.Conflict, "RESOURCE_CONFLICT", 409),
    (e.PreconditionFailed, "INVALID_STATE", 412),
    (e.StorageUnavailable, "TEMPORARILY_UNAVAILABLE", 503),
]


def mlflow_error(exc: e.AmliteError) -> JSONResponse:
    """MLflow's error body. Codes of amlite's own (``WorkspaceBeingDeleted``) lead the message."""
    if exc.code in MLFLOW_STATUS:
        code, status, message = exc.code, MLFLOW_STATUS[exc.code], exc.message
    else:
        code, status = next(((c, s) for cls, c, s in _BY_CLASS if isinstance(exc, cls)), ("INTERNAL_ERROR", 500))
        message = f"({exc.code}) {exc.message}"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse({"error_code": code, "message": message}, status_code=status, headers=headers)


class MlflowRoute(APIRoute):
    """A route that answers errors in MLflow's body instead of ARM's (the failed write still
    goes to the audit log, as ``api.errors`` does for every other route)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except e.AmliteError as exc:
                await run_in_threadpool(audit_failed_write, request, exc)
                return mlflow_error(exc)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"msg": "invalid request"}
                return mlflow_error(invalid(f"The request is invalid: {first.get('msg')}."))
        return handle


#: Not in amlite's OpenAPI document, which describes the ARM dialect (ARM errors, api-versions);
#: this is MLflow's API, described by MLflow's own REST reference.
router = APIRouter(route_class=MlflowRoute, include_in_schema=False)
ROOT = ("/mlflow/v1.0/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}")
API = ROOT + "/api/2.0/mlflow"
ARTIFACTS = ROOT + "/api/2.0/mlflow-artifacts/artifacts"
_ML = "Microsoft.MachineLearningServices/workspaces/experiments"
EXP_READ, EXP_WRITE, EXP_DELETE = f"{_ML}/read", f"{_ML}/write", f"{_ML}/delete"
RUN_READ, RUN_WRITE = f"{_ML}/runs/read", f"{_ML}/runs/write"


def _ref(subscription_id: str, resource_group: str, workspace: str) -> WorkspaceRef:
    return WorkspaceRef(subscription_id, resource_group, workspace)


def _tracking(request: Request) -> Any:
    return container(request).tracking


def _str(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing value for required parameter '{name}'.")
        return ""
    if not isinstance(value, str):
        raise invalid(f"Invalid value {value!r} for parameter '{name}': a string is required.")
    return value


def _run_id(body: dict[str, Any]) -> str:
    """``run_id``, or the older ``run_uuid`` that clients still send beside it."""
    return _str(body, "run_id", required=False) or _str(body, "run_uuid")


def _pairs(body: dict[str, Any], name: str) -> dict[str, str]:
    """A list of ``{"key", "value"}`` (tags, params) as a dict."""
    raw = body.get(name) or []
    if not isinstance(raw, list):
        raise invalid(f"Invalid value for parameter '{name}': a list of key/value objects is required.")
    out: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise invalid(f"Invalid entry in '{name}': each needs a string 'key'.")
        value = item.get("value", "")
        out[item["key"]] = "" if value is None else str(value)
    return out


def _metric(raw: Any) -> Metric:
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
        raise invalid("Invalid metric: it needs a string 'key'.")
    if "value" not in raw:
        raise invalid(f"Missing value for required parameter 'value' of metric '{raw['key']}'.")
    return Metric(raw["key"], metric_value(raw["value"], raw["key"]), whole_number(raw.get("timestamp"), "timestamp"),
                  whole_number(raw.get("step"), "step", 0))


def _limit(raw: Any) -> int | None:
    return None if raw is None or raw == "" else whole_number(raw, "max_results")


def _strings(body: dict[str, Any], name: str) -> list[str]:
    raw = body.get(name) or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise invalid(f"Invalid value for parameter '{name}': a list of strings is required.")
    return list(raw)


Ref = Depends(_ref)
EMPTY: dict[str, Any] = {}

# -- experiments --------------------------------------------------------------------------------


@router.post(API + "/experiments/create")
async def create_experiment(request: Request, ref: WorkspaceRef = Ref,
                            caller: Caller = Depends(Authorize(EXP_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    exp_id = await run_in_threadpool(_tracking(request).create_experiment, caller, ref, body.get("name"),
                                     body.get("artifact_location"), _pairs(body, "tags"))
    return JSONResponse({"experiment_id": exp_id})


@router.get(API + "/experiments/get")
def get_experiment(request: Request, experiment_id: str = "", ref: WorkspaceRef = Ref,
                   caller: Caller = Depends(Authorize(EXP_READ, ws_scope))) -> JSONResponse:
    return JSONResponse({"experiment": experiment_body(_tracking(request).get_experiment(caller, ref, experiment_id))})


@router.get(API + "/experiments/get-by-name")
def get_experiment_by_name(request: Request, experiment_name: str = "", ref: WorkspaceRef = Ref,
                           caller: Caller = Depends(Authorize(EXP_READ, ws_scope))) -> JSONResponse:
    exp = _tracking(request).get_experiment_by_name(caller, ref, experiment_name)
    return JSONResponse({"experiment": experiment_body(exp)})


@router.post(API + "/experiments/search")
async def search_experiments(request: Request, ref: WorkspaceRef = Ref,
                             caller: Caller = Depends(Authorize(EXP_READ, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    page = await run_in_threadpool(
        _tracking(request).search_experiments, caller, ref, body.get("view_type"), body.get("filter"),
        _strings(body, "order_by"), _limit(body.get("max_results")), body.get("page_token"))
    out: dict[str, Any] = {"experiments": [experiment_body(x) for x in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return JSONResponse(out)


@router.post(API + "/experiments/update")
async def update_experiment(request: Request, ref: WorkspaceRef = Ref,
                            caller: Caller = Depends(Authorize(EXP_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).update_experiment, caller, ref, _str(body, "experiment_id"),
                            body.get("new_name"))
    return JSONResponse(EMPTY)


@router.post(API + "/experiments/delete")
async def delete_experiment(request: Request, ref: WorkspaceRef = Ref,
                            caller: Caller = Depends(Authorize(EXP_DELETE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_experiment_stage, caller, ref, _str(body, "experiment_id"),
                            LifecycleStage.DELETED)
    return JSONResponse(EMPTY)


@router.post(API + "/experiments/restore")
async def restore_experiment(request: Request, ref: WorkspaceRef = Ref,
                             caller: Caller = Depends(Authorize(EXP_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_experiment_stage, caller, ref, _str(body, "experiment_id"),
                            LifecycleStage.ACTIVE)
    return JSONResponse(EMPTY)


@router.post(API + "/experiments/set-experiment-tag")
async def set_experiment_tag(request: Request, ref: WorkspaceRef = Ref,
                             caller: Caller = Depends(Authorize(EXP_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_experiment_tag, caller, ref, _str(body, "experiment_id"),
                            _str(body, "key"), _str(body, "value", required=False))
    return JSONResponse(EMPTY)


@router.post(API + "/experiments/delete-experiment-tag")
async def delete_experiment_tag(request: Request, ref: WorkspaceRef = Ref,
                                caller: Caller = Depends(Authorize(EXP_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_experiment_tag, caller, ref, _str(body, "experiment_id"),
                            _str(body, "key"), None)
    return JSONResponse(EMPTY)


# -- runs ----------------------------------------------------------------------------------------


@router.post(API + "/runs/create")
async def create_run(request: Request, ref: WorkspaceRef = Ref,
                     caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    start = body.get("start_time")
    run = await run_in_threadpool(
        _tracking(request).create_run, caller, ref, _str(body, "experiment_id", required=False) or None,
        _str(body, "user_id", required=False) or None, None if start is None else whole_number(start, "start_time"),
        _pairs(body, "tags"), _str(body, "run_name", required=False) or None)
    return JSONResponse({"run": run_body(run)})


@router.get(API + "/runs/get")
def get_run(request: Request, run_id: str = "", run_uuid: str = "", ref: WorkspaceRef = Ref,
            caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> JSONResponse:
    return JSONResponse({"run": run_body(_tracking(request).get_run(caller, ref, run_id or run_uuid))})


@router.post(API + "/runs/update")
async def update_run(request: Request, ref: WorkspaceRef = Ref,
                     caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    end = body.get("end_time")
    run = await run_in_threadpool(
        _tracking(request).update_run, caller, ref, _run_id(body), _str(body, "status", required=False) or None,
        None if end is None else whole_number(end, "end_time"), _str(body, "run_name", required=False) or None)
    return JSONResponse({"run_info": run_info(run)})


@router.post(API + "/runs/delete")
async def delete_run(request: Request, ref: WorkspaceRef = Ref,
                     caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_run_stage, caller, ref, _str(body, "run_id"), LifecycleStage.DELETED)
    return JSONResponse(EMPTY)


@router.post(API + "/runs/restore")
async def restore_run(request: Request, ref: WorkspaceRef = Ref,
                      caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).set_run_stage, caller, ref, _str(body, "run_id"), LifecycleStage.ACTIVE)
    return JSONResponse(EMPTY)


@router.post(API + "/runs/log-metric")
async def log_metric(request: Request, ref: WorkspaceRef = Ref,
                     caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).log_batch, caller, ref, _run_id(body), [_metric(body)], {}, {})
    return JSONResponse(EMPTY)


@router.post(API + "/runs/log-parameter")
async def log_param(request: Request, ref: WorkspaceRef = Ref,
                    caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    params = {_str(body, "key"): _str(body, "value", required=False)}
    await run_in_threadpool(_tracking(request).log_batch, caller, ref, _run_id(body), [], params, {})
    return JSONResponse(EMPTY)


@router.post(API + "/runs/set-tag")
async def set_tag(request: Request, ref: WorkspaceRef = Ref,
                  caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    tags = {_str(body, "key"): _str(body, "value", required=False)}
    await run_in_threadpool(_tracking(request).log_batch, caller, ref, _run_id(body), [], {}, tags)
    return JSONResponse(EMPTY)


@router.post(API + "/runs/delete-tag")
async def delete_tag(request: Request, ref: WorkspaceRef = Ref,
                     caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    await run_in_threadpool(_tracking(request).delete_tag, caller, ref, _str(body, "run_id"), _str(body, "key"))
    return JSONResponse(EMPTY)


@router.post(API + "/runs/log-batch")
async def log_batch(request: Request, ref: WorkspaceRef = Ref,
                    caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    metrics = body.get("metrics") or []
    if not isinstance(metrics, list):
        raise invalid("Invalid value for parameter 'metrics': a list is required.")
    params, tags = _pairs(body, "params"), _pairs(body, "tags")
    await run_in_threadpool(_tracking(request).log_batch, caller, ref, _str(body, "run_id"),
                            [_metric(m) for m in metrics], params, tags)
    return JSONResponse(EMPTY)


@router.post(API + "/runs/search")
async def search_runs(request: Request, ref: WorkspaceRef = Ref,
                      caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> JSONResponse:
    body = await json_body(request)
    page = await run_in_threadpool(
        _tracking(request).search_runs, caller, ref, _strings(body, "experiment_ids"), body.get("filter"),
        body.get("run_view_type"), _limit(body.get("max_results")), _strings(body, "order_by"), body.get("page_token"))
    out: dict[str, Any] = {"runs": [run_body(r) for r in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return JSONResponse(out)


@router.get(API + "/metrics/get-history")
def get_metric_history(request: Request, run_id: str = "", run_uuid: str = "", metric_key: str = "",
                       max_results: str = "", page_token: str = "", ref: WorkspaceRef = Ref,
                       caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> JSONResponse:
    page = _tracking(request).metric_history(caller, ref, run_id or run_uuid, metric_key, _limit(max_results),
                                             page_token or None)
    out: dict[str, Any] = {"metrics": [metric_body(m) for m in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return JSONResponse(out)


@router.post(API + "/logged-models/search")
async def search_logged_models(request: Request, ref: WorkspaceRef = Ref,
                               caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> JSONResponse:
    """MLflow 3's logged models are not kept by a workspace (models are registered as workspace
    models instead), so none is ever found; the client asks while listing a run's artifacts."""
    body = await json_body(request)
    _strings(body, "experiment_ids")
    await run_in_threadpool(_tracking(request).require_workspace, caller, ref)
    return JSONResponse({"models": []})


@router.get(ROOT + "/api/3.0/mlflow/server-info")
def server_info(request: Request, ref: WorkspaceRef = Ref,
                caller: Caller = Depends(Authorize(EXP_READ, ws_scope))) -> JSONResponse:
    """What the client asks before moving artifacts: no multipart transfers (files stream through)."""
    _tracking(request).require_workspace(caller, ref)
    return JSONResponse({"store_type": "SqlStore", "workspaces_enabled": False, "multipart_uploads_enabled": False,
                         "multipart_downloads_enabled": False})


# -- artifacts ------------------------------------------------------------------------------------


@router.get(ARTIFACTS)
def list_artifacts(request: Request, path: str = "", ref: WorkspaceRef = Ref,
                   caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> JSONResponse:
    entries = container(request).tracking_artifacts.list(caller, ref, path)
    files = [{"path": x.path, "is_dir": x.is_dir, **({} if x.size is None else {"file_size": x.size})} for x in entries]
    return JSONResponse({"files": files})


@router.put(ARTIFACTS + "/{artifact_path:path}")
async def upload_artifact(artifact_path: str, request: Request, ref: WorkspaceRef = Ref,
                          caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> Response:
    """The file's bytes, any content type (the client sends the file's guessed MIME type)."""
    service = container(request).tracking_artifacts
    size = request.headers.get("content-length", "")
    try:
        await stream_body(request, lambda: service.begin_upload(caller, ref, artifact_path,
                                                                int(size) if size.isdigit() else None))
    except ClientDisconnect:
        return Response(status_code=499)
    return JSONResponse(EMPTY)


@router.get(ARTIFACTS + "/{artifact_path:path}")
def download_artifact(artifact_path: str, request: Request, ref: WorkspaceRef = Ref,
                      caller: Caller = Depends(Authorize(RUN_READ, ws_scope))) -> Response:
    blob = container(request).tracking_artifacts.open(caller, ref, artifact_path)
    return StreamingResponse(blob.chunks, media_type="application/octet-stream",
                             headers={"Content-Length": str(blob.size)})


@router.delete(ARTIFACTS + "/{artifact_path:path}")
def delete_artifact(artifact_path: str, request: Request, ref: WorkspaceRef = Ref,
                    caller: Caller = Depends(Authorize(RUN_WRITE, ws_scope))) -> JSONResponse:
    container(request).tracking_artifacts.delete(caller, ref, artifact_path)
    return JSONResponse(EMPTY)
