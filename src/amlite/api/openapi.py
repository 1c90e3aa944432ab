"""The OpenAPI document (``/openapi.json``), completed from what the routes already declare.

FastAPI documents only what a handler's signature shows. amlite's routes say the rest through
their dependencies: ``ApiVersion`` holds a route's accepted api-versions, ``json_body`` reads a JSON
body, ``paging`` reads ``$top`` and ``$skipToken``, and path parameters are often read from
``request.path_params`` (the asset routes) or matched by a ``{scope:path}`` converter. This module
walks each route's dependencies once and writes those facts into the generated document, so a
client generator or a fuzzer sees every operation as it really is, and a new route is described
the day it is added. Errors are documented as the one ARM error body (``api.errors``), or OAuth2's
on the token endpoints; FastAPI's 422 never leaves the app (validation errors are ARM 400s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from amlite.api.deps import ApiVersion, JsonBody, json_body, paging
from amlite.api.routers.identity import OAUTH_PATHS

ERROR_SCHEMA = "ErrorResponse"
ERROR_DETAIL_SCHEMA = "ErrorDetail"
OAUTH_ERROR_SCHEMA = "OAuthError"
RESOURCE_BODY_SCHEMA = "ResourceBody"
RESOURCE_SCHEMA = "Resource"
RESOURCE_LIST_SCHEMA = "ResourceList"
_UNUSED = ("HTTPValidationError", "ValidationError")
_PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

COMPONENTS: dict[str, dict[str, Any]] = {
    ERROR_DETAIL_SCHEMA: {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "A stable, machine-readable code (ARM's)."},
            "message": {"type": "string"},
            "target": {"type": "string", "description": "The field or parameter at fault."},
            "details": {"type": "array", "items": {"$ref": f"#/components/schemas/{ERROR_DETAIL_SCHEMA}"}},
        },
    },
    ERROR_SCHEMA: {
        "type": "object",
        "description": "Azure Resource Manager's error body, the one shape every error of the API has.",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {"$ref": f"#/components/schemas/{ERROR_DETAIL_SCHEMA}"}},
    },
    OAUTH_ERROR_SCHEMA: {
        "type": "object",
        "description": "OAuth2's error body (RFC 6749 section 5.2), as MSAL-style clients expect.",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    RESOURCE_BODY_SCHEMA: {
        "type": "object",
        "description": "An ARM resource body (the envelope of ARM's common types); the fields each resource "
                       "type reads in ``properties`` are described in docs/api.md.",
        "properties": {
            "location": {"type": "string"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "managedBy": {"type": "string"},
            "kind": {"type": "string"},
            "sku": {"type": "object", "properties": {"name": {"type": "string"}, "tier": {"type": "string"}}},
            "identity": {"type": "object", "properties": {"type": {"type": "string"}}},
            "properties": {"type": "object"},
        },
    },
}

COMPONENTS[RESOURCE_SCHEMA] = {
    "type": "object",
    "description": "What a route answers: an ARM resource (id, name, type, properties...), an operation's "
                   "status, or a directory object; the fields of each resource type are described in docs/api.md.",
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"},
        "location": {"type": "string"}, "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "properties": {"type": "object"}, "systemData": {"type": "object"},
    },
    "additionalProperties": True,
}
COMPONENTS[RESOURCE_LIST_SCHEMA] = {
    "type": "object",
    "description": "A page of a list: its items, and the link to the next page when there is one.",
    "required": ["value"],
    "properties": {
        "value": {"type": "array", "items": {"$ref": f"#/components/schemas/{RESOURCE_SCHEMA}"}},
        "nextLink": {"type": "string"},
    },
}

PARAMETER_DOCS = {
    "scope": "The scope an extension resource hangs under, without its leading '/': "
             "'subscriptions/{id}', 'subscriptions/{id}/resourceGroups/{name}' or a resource's id. "
             "It spans several path segments.",
}


def dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every callable a route depends on, its own route-level dependencies and nested ones included."""
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            yield dep.call
        stack.extend(dep.dependencies)


def api_version_of(route: APIRoute) -> ApiVersion | None:
    """The route's api-version check, if it has one (the Graph-shaped directory routes have none)."""
    return next((d for d in dependencies(route.dependant) if isinstance(d, ApiVersion)), None)


def reads_json_body(route: APIRoute) -> bool:
    return any(d is json_body or isinstance(d, JsonBody) for d in dependencies(route.dependant))


def body_model(route: APIRoute) -> type[BaseModel] | None:
    """The request model of a route that reads its body through ``JsonBody``."""
    return next((d.model for d in dependencies(route.dependant) if isinstance(d, JsonBody)), None)


def model_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    """The JSON schemas of ``models`` (and of the models they hold), by wire name, as components."""
    unique = list(dict.fromkeys(models))
    if not unique:
        return {}
    _, top = models_json_schema([(m, "validation") for m in unique], by_alias=True,
                                ref_template="#/components/schemas/{model}")
    return dict(top.get("$defs", {}))


def pages(route: APIRoute) -> bool:
    return any(d is paging for d in dependencies(route.dependant))


def _error_response(schema: str) -> dict[str, Any]:
    return {"description": "The error, in the body every error of this API has.",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    params = operation.setdefault("parameters", [])
    if not any(p["name"] == parameter["name"] and p["in"] == parameter["in"] for p in params):
        params.append(parameter)


def complete_operation(route: APIRoute, method: str, operation: dict[str, Any]) -> None:
    """Write what ``route``'s dependencies say into its ``method`` operation of the document."""
    for name in _PATH_PARAM.findall(route.path):
        parameter: dict[str, Any] = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        if name in PARAMETER_DOCS:
            parameter["description"] = PARAMETER_DOCS[name]
        _add_parameter(operation, parameter)
    version = api_version_of(route)
    if version is not None:
        _add_parameter(operation, {
            "name": "api-version", "in": "query", "required": True,
            "description": "The version of the API the client speaks; one of the versions this route accepts.",
            "schema": {"type": "string", "enum": list(version.accepted)},
        })
    if pages(route):
        _add_parameter(operation, {"name": "$top", "in": "query", "required": False,
                                   "description": "The page size.", "schema": {"type": "integer", "minimum": 1}})
        _add_parameter(operation, {"name": "$skipToken", "in": "query", "required": False,
                                   "description": "Where the page starts, as given in a previous page's nextLink.",
                                   "schema": {"type": "string"}})
    model = body_model(route)
    if reads_json_body(route) and "requestBody" not in operation:
        schema = ({"$ref": f"#/components/schemas/{model.__name__}"} if model is not None
                  else {"$ref": f"#/components/schemas/{RESOURCE_BODY_SCHEMA}"} if version is not None
                  else {"type": "object"})
        # An action (POST) may come without a body; a PUT or PATCH must have one.
        operation["requestBody"] = {"required": method != "post", "content": {"application/json": {"schema": schema}}}
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    _describe_success(route, method, responses)
    responses["default"] = _error_response(OAUTH_ERROR_SCHEMA if route.path in OAUTH_PATHS else ERROR_SCHEMA)


def untyped(schema: dict[str, Any]) -> bool:
    """A schema that says nothing of its body: none at all, or a bare object (what FastAPI writes
    for a handler returning ``Any`` or ``dict[str, Any]``)."""
    if any(k in schema for k in ("$ref", "properties", "anyOf", "oneOf", "allOf", "items")):
        return False
    return schema.get("type") in (None, "object")


def _describe_success(route: APIRoute, method: str, responses: dict[str, Any]) -> None:
    """Give each success answer whose body FastAPI could not see (handlers return rendered JSON)
    its schema: a page of items for a list, a resource otherwise; a HEAD answers no body."""
    for status, response in responses.items():
        if not status.startswith("2"):
            continue
        content = response.get("content", {})
        if method == "head":
            response.pop("content", None)
            continue
        for media in content.values():
            if not untyped(media.get("schema") or {}):
                continue
            listed = method == "get" and (pages(route) or route.path.endswith(("s", "/values", "/members")))
            media["schema"] = {"$ref": f"#/components/schemas/{RESOURCE_LIST_SCHEMA if listed else RESOURCE_SCHEMA}"}


def complete(document: dict[str, Any], routes: Iterable[APIRoute]) -> dict[str, Any]:
    """Complete FastAPI's generated ``document`` in place from ``routes`` and return it."""
    for route in routes:
        if not route.include_in_schema:
            continue
        item = document.get("paths", {}).get(route.path_format)
        if item is None:
            continue
        for method in route.methods:
            operation = item.get(method.lower())
            if operation is not None:
                complete_operation(route, method.lower(), operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in _UNUSED:
        schemas.pop(unused, None)
    schemas.update(COMPONENTS)
    schemas.update(model_schemas(m for r in routes if r.include_in_schema and (m := body_model(r)) is not None))
    return document


def install(app: FastAPI, routes: list[APIRoute]) -> None:
    """Serve the completed document. FastAPI builds its document on first request and again when
    the routes change; each new one is completed once."""
    generate = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = generate()
        if not completed or completed[0] is not document:
            completed[:] = [complete(document, routes)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
