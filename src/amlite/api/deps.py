"""Request plumbing shared by every router: the caller, api-version, authorization, JSON bodies,
preconditions and paging. Routers stay thin: parse, call one service, render.

The dependencies that only look at the request are ``async``: FastAPI runs a plain ``def``
dependency in the thread pool, and each such hop (a queue, a thread wake-up, a call back into the
event loop) cost more than the check itself, two or three times per request. Only the one that
reads the store (``Authorize`` deciding before the use case) still goes to a thread."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from amlite.api.json_input import parse_json
from amlite.domain.errors import InvalidApiVersion, InvalidInput, MissingApiVersion, UnsupportedMediaType
from amlite.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from amlite.domain.preconditions import Preconditions
from amlite.schemas.arm_common import parse_request
from amlite.services.context import Caller

RESOURCES_API_VERSIONS = (
    "2016-06-01", "2019-10-01", "2020-01-01", "2020-06-01", "2021-01-01", "2021-04-01", "2022-01-01",
    "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
)
#: Every version of the ML provider amlite answers: the stable and preview versions Azure lists,
#: including each one azure-ai-ml 1.35.2's clients send (2022-10-01-preview for registries,
#: 2023-04-01-preview for environments...), and its registry data plane's ``2021-10-01-dataplanepreview``.
ML_API_VERSIONS = (
    "2021-10-01-dataplanepreview", "2022-02-01-preview", "2022-05-01", "2022-10-01", "2022-10-01-preview",
    "2023-02-01-preview", "2023-04-01", "2023-04-01-preview", "2023-06-01-preview", "2023-08-01-preview",
    "2023-10-01", "2024-01-01-preview", "2024-04-01", "2024-04-01-preview", "2024-07-01-preview", "2024-10-01",
    "2024-10-01-preview", "2025-01-01-preview", "2025-04-01", "2025-06-01",
)
SUBSCRIPTION_API_VERSIONS = ("2020-09-01", "2021-10-01")
AUTHORIZATION_API_VERSIONS = (
    "2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview", "2020-10-01-preview",
    "2022-04-01", "2022-05-01-preview",
)
INSIGHTS_API_VERSIONS = ("2015-04-01", "2017-03-01-preview")
#: Azure Databricks' versions of ``Microsoft.Databricks/workspaces`` (az databricks, azure-mgmt-databricks).
DATABRICKS_API_VERSIONS = ("2018-04-01", "2022-04-01-preview", "2023-02-01", "2024-05-01")
#: Azure Policy's versions (policy assignments and definitions), as az and azure-mgmt-resource send them.
POLICY_API_VERSIONS = (
    "2019-09-01", "2020-09-01", "2021-06-01", "2022-06-01", "2023-04-01", "2024-04-01", "2024-05-01", "2025-01-01",
)


def container(request: Request) -> Any:
    """The wired services (``bootstrap.Container``)."""
    return request.app.state.container


class ApiVersion:
    """Dependency: the route's api-version must be present and one of the accepted set."""

    def __init__(self, accepted: tuple[str, ...]) -> None:
        self.accepted = accepted

    async def __call__(self, request: Request) -> str:
        return self.judge(request)

    def judge(self, request: Request) -> str:
        """The request's api-version, or the ARM refusal naming the accepted ones."""
        values = request.query_params.getlist("api-version")
        if len(values) > 1:
            raise InvalidApiVersion(
                "InvalidApiVersionParameter", "The api-version query parameter may be given only once.", "api-version",
            )
        value = values[0] if values else None
        if value is None:
            raise MissingApiVersion(
                "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.",
                "api-version",
            )
        if value not in self.accepted:
            raise InvalidApiVersion(
                "InvalidApiVersionParameter",
                f"The api-version '{value}' is invalid. The supported versions are '{','.join(self.accepted)}'.",
                "api-version",
            )
        return value


RESOURCES_VERSION = ApiVersion(RESOURCES_API_VERSIONS)
ML_VERSION = ApiVersion(ML_API_VERSIONS)
SUBSCRIPTION_VERSION = ApiVersion(SUBSCRIPTION_API_VERSIONS)
AUTHORIZATION_VERSION = ApiVersion(AUTHORIZATION_API_VERSIONS)
INSIGHTS_VERSION = ApiVersion(INSIGHTS_API_VERSIONS)
DATABRICKS_VERSION = ApiVersion(DATABRICKS_API_VERSIONS)
POLICY_VERSION = ApiVersion(POLICY_API_VERSIONS)


def authenticated(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    if caller is None:
        caller = _with_request(container(request).identity.authenticate(request.headers.get("authorization")), request)
        request.state.caller = caller
    return caller  # type: ignore[no-any-return]


def _with_request(caller: Caller, request: Request) -> Caller:
    """The ids and origin of the request, for the audit log."""
    return replace(caller, correlation_id=request.state.correlation_id, request_id=request.state.request_id,
                   http_method=request.method, client_ip=request.client.host if request.client else "")


ScopeOf = Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class Authorize:
    """Dependency that declares a route's one action and checks it at the scope built from the path.

    ``scope=None`` marks routes whose scope is only known after a lookup (operation status) or whose
    listing filters per item; the handler then calls ``authz.require`` or filters itself.
    ``lists=True`` marks a list: a caller without the action at the scope but with it on some
    scopes below sees those (``Caller.visibility``, filtered in SQL) instead of a 403.
    ``in_use_case=True`` leaves the store check to the use case: the caller comes from the token
    alone (``Caller.admitted`` false) and the service admits it (``Authorizer.admit``: principal,
    then the action at the scope) in the same unit of work that resolves the owner and reads,
    before anything else, so a request reads the store once. Only services that admit take it."""

    action: str
    scope: ScopeOf | None
    lists: bool = False
    in_use_case: bool = False

    async def __call__(self, request: Request) -> Caller:
        if self.in_use_case and self.scope is not None:  # the token alone: no store, no thread
            caller = container(request).identity.token_caller(request.headers.get("authorization"))
            caller = _with_request(caller, request).acting(self.action, self.scope(dict(request.path_params)))
            request.state.caller = caller
            return caller
        return await run_in_threadpool(self._decide, request)

    def _decide(self, request: Request) -> Caller:
        """Authenticate against the store and decide the action here (in a worker thread)."""
        caller = authenticated(request)
        scope = self.scope(dict(request.path_params)) if self.scope is not None else ""
        caller = caller.acting(self.action, scope)
        request.state.caller = caller
        if self.scope is not None and self.lists:
            caller = replace(caller, visibility=container(request).authz.visibility(caller, self.action, scope))
            request.state.caller = caller
        elif self.scope is not None:
            container(request).authz.require(caller, self.action, scope)
        return caller


def sub_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription_id']}"


def rg_scope(p: dict[str, str]) -> str:
    return f"/subscriptions/{p['subscription_id']}/resourceGroups/{p['resource_group']}"


def ws_scope(p: dict[str, str]) -> str:
    return rg_scope(p) + f"/providers/Microsoft.MachineLearningServices/workspaces/{p['workspace']}"


def reg_scope(p: dict[str, str]) -> str:
    return rg_scope(p) + f"/providers/Microsoft.MachineLearningServices/registries/{p['registry']}"


def root_scope(_: dict[str, str]) -> str:
    return "/"


def path_scope(p: dict[str, str]) -> str:
    """The ``{scope:path}`` of an extension route (role assignments, role definitions)."""
    return "/" + p.get("scope", "").strip("/")


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; wrong content type is 415, malformed JSON 400 (including what
    :func:`~amlite.api.json_input.parse_json` refuses: text no store could hold or render)."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip():
        if request.method == "POST":
            return {}
        raise InvalidInput("InvalidRequestContent", "The request content was invalid: a JSON body is required.")
    if ctype not in ("application/json", "application/merge-patch+json", "text/json"):
        raise UnsupportedMediaType(
            "UnsupportedMediaType", f"The content media type '{ctype or 'none'}' is not supported. Only 'application/json' is supported."
        )
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidInput("InvalidRequestContent", "The request content must be a JSON object.")
    return body


M = TypeVar("M", bound=BaseModel)


class JsonBody(Generic[M]):
    """Dependency: the request body as ``model``. The bytes go through :func:`json_body` (the
    strict reader) and then the model, so a wrong field is a 400 naming it in the ARM error body;
    ``api.openapi`` documents the route's request body as ``model``'s schema."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        return parse_request(self.model, await json_body(request))


async def preconditions(request: Request) -> Preconditions:
    return Preconditions(if_match=request.headers.get("if-match"), if_none_match=request.headers.get("if-none-match"))


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int


async def paging(request: Request) -> Paging:
    """``$top`` sets the page size; ``$skipToken`` (from a nextLink) says where the page starts."""
    top = request.query_params.get("$top")
    try:
        limit = DEFAULT_PAGE_SIZE if top is None else max(1, min(MAX_PAGE_SIZE, int(top)))
    except ValueError:
        raise InvalidInput("InvalidParameter", f"$top must be a whole number, got '{top}'.", "$top") from None
    token = request.query_params.get("$skipToken")
    offset = 0
    if token:
        try:
            text = base64.urlsafe_b64decode(token.encode() + b"==").decode()
        except ValueError:
            text = ""
        # Only tokens this server could have written: a plain offset small enough for any store.
        if not text.isascii() or not text.isdigit() or len(text) > 15:
            raise InvalidInput("InvalidSkipToken", "The $skipToken is not valid.", "$skipToken")
        offset = int(text)
    return Paging(offset, limit)


def list_body(request: Request, items: list[dict[str, Any]], page: Paging, more: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"value": items}
    if more:
        params = dict(request.query_params)
        params["$skipToken"] = base64.urlsafe_b64encode(str(page.offset + page.limit).encode()).decode().rstrip("=")
        params["$top"] = str(page.limit)
        body["nextLink"] = f"{base_url(request)}{request.url.path}?{urlencode(params)}"
    return body


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
