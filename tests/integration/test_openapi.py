"""Meta-test: ``/openapi.json`` describes every operation as the app really serves it, so a client
generator or a fuzzer (tests/integration/test_fuzz.py) can reach the whole API through it.

What the document must say is found here independently of how ``api.openapi`` finds it: the path
parameters from the path itself, the api-version from asking the route without one, the body from
the dependencies that read one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from amlite.api.deps import ApiVersion, JsonBody, json_body
from amlite.api.routers.artifacts import octet_stream
from amlite.api.routers.discovery import OPEN_PATHS
from amlite.api.routers.identity import PUBLIC_PATHS
from tests.integration.conftest import Api
from tests.integration.test_arm_conventions import OAUTH_PATHS, fill, routes

ARM_ERROR = "#/components/schemas/ErrorResponse"
OAUTH_ERROR = "#/components/schemas/OAuthError"


def calls(route: APIRoute) -> Iterator[Any]:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        yield dep.call
        stack.extend(dep.dependencies)


def operation(spec: dict[str, Any], method: str, route: APIRoute) -> dict[str, Any]:
    item = spec["paths"].get(route.path_format)
    assert item is not None and method.lower() in item, f"{method} {route.path} is not in /openapi.json"
    return item[method.lower()]  # type: ignore[no-any-return]


def parameters(op: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in op.get("parameters", []) if p["in"] == where}


def test_every_path_parameter_is_declared(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    missing = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            declared = parameters(op, "path")
            for name in re.findall(r"\{(\w+)\}", path):
                if name not in declared or not declared[name].get("required"):
                    missing.append(f"{method.upper()} {path}: {name}")
    assert missing == [], f"undeclared path parameters: {missing}"


def test_every_route_that_checks_an_api_version_declares_it_with_its_accepted_versions(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    missing, checked = [], 0
    for method, path, route in routes(api):
        op = operation(spec, method, route)
        declared = parameters(op, "query").get("api-version")
        r = api.client.request(method, fill(path, api.sub))  # no api-version at all
        error = r.json().get("error") if method != "HEAD" and r.content else None
        code = error.get("code") if isinstance(error, dict) else None  # OAuth2's error is a string
        checks = r.status_code == 400 and (method == "HEAD" or code == "MissingApiVersionParameter")
        if not checks:
            assert declared is None, f"{method} {path} declares an api-version it does not check"
            continue
        checked += 1
        accepted = [c.accepted for c in calls(route) if isinstance(c, ApiVersion)]
        enum = [declared["schema"].get("enum")] if declared is not None else []
        if declared is None or not declared.get("required") or enum != [list(a) for a in accepted]:
            missing.append(f"{method} {path}")
    assert missing == [], f"routes whose api-version is not declared as required with its accepted set: {missing}"
    assert checked >= 150


def test_every_route_that_reads_a_body_declares_it(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    missing, bodies = [], 0
    for method, path, route in routes(api):
        op = operation(spec, method, route)
        content = (op.get("requestBody") or {}).get("content", {})
        deps = list(calls(route))
        if json_body in deps or any(isinstance(d, JsonBody) for d in deps):
            wanted = "application/json"
        elif octet_stream in deps:
            wanted = "application/octet-stream"
        elif path == "/{tenant}/oauth2/v2.0/token":
            wanted = "application/x-www-form-urlencoded"
        else:
            # The built-in azureml registry refuses every write before any body is read.
            assert method not in ("PUT", "PATCH") or route.name.startswith("write_system_"), \
                f"{method} {path} takes no body?"
            continue
        bodies += 1
        schema = content.get(wanted, {}).get("schema")
        if schema is None or (wanted != "application/octet-stream" and not is_object_schema(spec, schema)):
            missing.append(f"{method} {path}: {wanted}")
        elif wanted == "application/json" and (op["requestBody"].get("required") is True) != (method != "POST"):
            missing.append(f"{method} {path}: json_body requires one on PUT and PATCH, not on a POST")
    assert missing == [], f"routes whose body is not declared: {missing}"
    assert bodies >= 90


def is_object_schema(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("type") == "object"


def test_every_operation_documents_its_error_body(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    wrong = []
    for method, path, route in routes(api):
        if path == "/health":
            continue
        responses = operation(spec, method, route)["responses"]
        wanted = OAUTH_ERROR if path in OAUTH_PATHS else ARM_ERROR
        refs = {r.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                for status, r in responses.items() if status == "default" or status.startswith(("4", "5"))}
        if refs != {wanted} or "422" in responses:
            wrong.append(f"{method} {path}: {refs}")
    assert wrong == [], f"operations without the error body they answer: {wrong}"
    error = spec["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "target", "details"}
    assert set(PUBLIC_PATHS) - OAUTH_PATHS == {"/health"} | OPEN_PATHS


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    return schema


def test_every_json_request_body_is_a_typed_model(api: Api) -> None:
    """No JSON route reads an untyped body: each names its request model, whose schema lists the
    fields the route reads (an action that reads none says so with an empty model)."""
    spec = api.client.get("/openapi.json").json()
    untyped, typed = [], 0
    for method, path, route in routes(api):
        deps = list(calls(route))
        if json_body in deps and not any(isinstance(d, JsonBody) for d in deps):
            untyped.append(f"{method} {path}: reads json_body without a model")
            continue
        model = next((d.model for d in deps if isinstance(d, JsonBody)), None)
        if model is None:
            continue
        typed += 1
        schema = operation(spec, method, route)["requestBody"]["content"]["application/json"]["schema"]
        if schema != {"$ref": f"#/components/schemas/{model.__name__}"}:
            untyped.append(f"{method} {path}: {schema}")
            continue
        component = resolve(spec, schema)
        if component.get("type") != "object" or (not component.get("properties") and model.model_fields):
            untyped.append(f"{method} {path}: {component}")
    assert untyped == [], f"JSON bodies without their model: {untyped}"
    assert typed >= 90


def test_every_success_answer_has_a_schema(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    missing = []
    for method, path, route in routes(api):
        for status, response in operation(spec, method, route)["responses"].items():
            if not status.startswith("2"):
                continue
            for media, content in response.get("content", {}).items():
                schema = content.get("schema") or {}
                bare = not any(k in schema for k in ("$ref", "properties", "anyOf", "oneOf", "allOf", "items")) \
                    and schema.get("type") in (None, "object")
                if bare:
                    missing.append(f"{method} {path} {status} {media}")
    assert missing == [], f"success answers without a schema: {missing}"


def test_a_version_body_is_described_field_by_field(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    props = spec["components"]["schemas"]["AssetVersionProperties"]["properties"]
    assert {"modelType", "modelUri", "artifacts", "componentSpec", "dataUri", "isArchived", "tags"} <= set(props)
