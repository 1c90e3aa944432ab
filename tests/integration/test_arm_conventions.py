"""Meta-tests over every route of the app: each declares its action, answers ARM's error shape
(on 404, 401 and 400), insists on api-version, and refuses bad bodies without changing anything.

The route list comes from the application itself, so a new route is covered the day it is added.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from amlite.api.app import api_routes
from amlite.api.deps import Authorize
from amlite.api.routers.identity import OAUTH_PATHS, PUBLIC_PATHS
from tests.integration.conftest import Api

# OAuth2's own endpoints answer OAuth2's error body, as MSAL-style clients expect (docs/api.md).
__all__ = ["OAUTH_PATHS"]

#: The built-in azureml registry refuses every write whatever the body or name
#: (tests/integration/test_system_registry.py proves it), so these conventions do not apply.
SYSTEM_REGISTRY_WRITES = ("write_system_", "delete_system_")

def routes(api: Api, *, mlflow: bool = False) -> Iterator[tuple[str, str, APIRoute]]:
    """The app's routes; MLflow's (``is_mlflow``) only when asked, as the ARM conventions do not
    hold there (``test_mlflow_api.py`` checks MLflow's)."""
    all_routes = api_routes()
    assert len(all_routes) >= 25, "the route walk must see the app's routes"
    for route in all_routes:
        if is_mlflow(route.path) and not mlflow:
            continue
        for method in sorted(route.methods):
            yield method, route.path, route


def declared_action(route: APIRoute) -> Authorize | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Authorize):
            return dep.call
        stack.extend(dep.dependencies)
    return None


OCTET_STREAM = "application/octet-stream"


def body_media_type(route: APIRoute) -> str:
    """A body route's media type: JSON unless its OpenAPI request body declares raw bytes (the
    artifact blob upload), which the JSON-specific checks below cannot apply to."""
    content = ((route.openapi_extra or {}).get("requestBody") or {}).get("content") or {}
    return OCTET_STREAM if OCTET_STREAM in content else "application/json"


def is_mlflow(path: str) -> bool:
    """MLflow's tracking API under a workspace (api.routers.mlflow): MLflow's error body and status
    codes, which its client parses, and no api-version (checked by ``test_mlflow_api.py``)."""
    return path.startswith("/mlflow/v1.0/")


def is_graph(path: str) -> bool:
    """The directory's Microsoft Graph-shaped routes: not ARM, so no api-version (everything else holds)."""
    return path.startswith("/v1.0/")


def api_version_for(path: str) -> str:
    if path.startswith("/registrymanagement/"):
        return "v1.0"  # the registry discovery service's own version
    if "/providers/Microsoft.Authorization/policy" in path:
        return "2023-04-01"  # Azure Policy's own versions
    if "/providers/Microsoft.Authorization/" in path:
        return "2022-04-01"
    if "/providers/Microsoft.Databricks/" in path:
        return "2024-05-01"  # Azure Databricks' own versions
    if "/providers/Microsoft.Insights/" in path:
        return "2015-04-01"
    if "/providers/Microsoft.MachineLearningServices/" in path or "{namespace}" in path:
        return "2024-10-01" if "{namespace}" not in path else "2024-03-01"
    if "Microsoft.Subscription" in path:
        return "2021-10-01"
    return "2024-03-01"


def fill(path: str, sub: str) -> str:
    values = {"subscription_id": sub, "namespace": "Microsoft.Nothing", "location": "eastus",
              "operation_id": str(uuid.uuid4()), "tenant": str(uuid.uuid4()),
              "scope": f"subscriptions/{sub}/resourceGroups/missing{uuid.uuid4().hex[:6]}"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), f"missing{uuid.uuid4().hex[:6]}"), path)


def assert_arm_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert set(body["error"]) <= {"code", "message", "target", "details"}
    return body["error"]  # type: ignore[no-any-return]


def test_every_route_declares_one_action_or_is_public(api: Api) -> None:
    missing = [f"{m} {p}" for m, p, r in routes(api, mlflow=True) if p not in PUBLIC_PATHS and declared_action(r) is None]
    assert missing == [], f"routes without a declared action: {missing}"
    for _, path, route in routes(api, mlflow=True):
        action = declared_action(route)
        if action is not None:
            assert re.fullmatch(r"Microsoft\.\w+(/[\w.*]+)+", action.action), (path, action.action)


def test_every_route_with_a_name_answers_arm_404_for_a_missing_resource(api: Api) -> None:
    checked = 0
    for method, path, route in routes(api):
        if path in PUBLIC_PATHS or "{" not in path or route.name.startswith(SYSTEM_REGISTRY_WRITES):
            continue
        if "/locations/{region}" in path:  # an outage drill names a region, not a resource: unknown is a 400
            r = api.client.request(method, f"{fill(path, api.sub)}?api-version={api_version_for(path)}")
            assert assert_arm_error(r, 400)["code"] == "InvalidLocation"
            continue
        # Where the subscription is the only name (beside a region, which is not a resource), or
        # a PUT would create the leaf, a missing subscription is what is missing; otherwise the
        # real subscription and a missing leaf.
        only_sub = set(re.findall(r"\{(\w+)(?::\w+)?\}", path)) <= {"subscription_id", "location"}
        sub = str(uuid.uuid4()) if only_sub or method == "PUT" else api.sub
        url = f"{fill(path, sub)}?api-version={api_version_for(path)}"
        body = {"location": "eastus", "properties": {"displayName": "x"}} if method in ("PUT", "PATCH") else None
        if method == "PUT" and ("aliases" in path or "workspacePairs" in path
                                or path.startswith("/providers/Microsoft.Authorization/")):
            continue  # PUT of an alias, a workspace pair, or a role at the root creates it: nothing to be missing
        if method == "DELETE" and path == "/providers/Microsoft.Authorization/roleAssignments/{name}":
            assert api.client.delete(url).status_code == 204  # Azure: already deleted or never there
            continue
        if method == "PUT" and body_media_type(route) == OCTET_STREAM:
            r = api.client.request(method, url, content=b"some bytes", headers={"Content-Type": OCTET_STREAM})
        else:
            r = api.client.request(method, url, json=body)
        if method == "HEAD":
            assert r.status_code == 404, (method, url)
            continue
        assert_arm_error(r, 404)
        checked += 1
    assert checked >= 15


def test_every_protected_route_answers_arm_401_without_a_token(api: Api) -> None:
    for method, path, _ in routes(api):
        if path in PUBLIC_PATHS:
            continue
        url = f"{fill(path, api.sub)}?api-version={api_version_for(path)}"
        r = api.client.request(method, url, headers={"Authorization": ""})
        if method == "HEAD":
            assert r.status_code == 401
            continue
        error = assert_arm_error(r, 401)
        assert error["code"] in {"AuthenticationFailed", "InvalidAuthenticationToken"}


@pytest.mark.parametrize("version, code", [(None, "MissingApiVersionParameter"), ("1999-01-01", "InvalidApiVersionParameter")])
def test_every_arm_route_insists_on_a_known_api_version(api: Api, version: str | None, code: str) -> None:
    for method, path, _ in routes(api):
        if path in PUBLIC_PATHS or is_graph(path):
            continue
        url = fill(path, api.sub) + (f"?api-version={version}" if version else "")
        r = api.client.request(method, url, json={})
        if method == "HEAD":
            assert r.status_code == 400
            continue
        assert assert_arm_error(r, 400)["code"] == code, (method, path)


def test_every_body_route_refuses_bad_json_and_wrong_media_type_and_changes_nothing(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "target")
    registry = f"reg-{name}"  # registry byte routes (blobs) need one that exists to judge the bytes
    made = api.request("PUT", f"{api.rg_path(name)}/providers/Microsoft.MachineLearningServices/registries/{registry}",
                       "api-version=2024-10-01", json={"location": "eastus"})
    assert made.status_code == 201, made.text
    before = api.snapshot()
    values = {"resource_group": name, "workspace": "target", "registry": registry, "alias": "a" + name,
              "sha256": hashlib.sha256(b"the bytes that were meant").hexdigest(),
              "scope": f"subscriptions/{api.sub}/resourceGroups/{name}"}
    octet_routes = 0
    for method, path, route in routes(api):
        if method not in ("PUT", "PATCH") or path in PUBLIC_PATHS or route.name.startswith(SYSTEM_REGISTRY_WRITES):
            continue
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), api.sub), path) + f"?api-version={api_version_for(path)}"
        if body_media_type(route) == OCTET_STREAM:
            octet_routes += 1
            check_octet_stream_body(api, method, url)
            continue
        bad = api.client.request(method, url, content=b'{"location": "eastus",', headers={"Content-Type": "application/json"})
        assert assert_arm_error(bad, 400)["code"] == "InvalidRequestContent", (method, path)
        text = api.client.request(method, url, content=b"location=eastus", headers={"Content-Type": "text/plain"})
        assert assert_arm_error(text, 415)["code"] == "UnsupportedMediaType", (method, path)
        array = api.client.request(method, url, json=[1, 2])
        assert assert_arm_error(array, 400)["code"] == "InvalidRequestContent", (method, path)
    assert api.snapshot() == before
    assert octet_routes >= 1


def check_octet_stream_body(api: Api, method: str, url: str) -> None:
    """The byte-body equivalent of the JSON checks: a JSON or text body is 415, bytes that are not
    what the URL names are 400, and neither stores anything (HEAD on the same URL stays 404)."""
    as_json = api.client.request(method, url, json={"location": "eastus"})
    assert assert_arm_error(as_json, 415)["code"] == "UnsupportedMediaType", (method, url)
    text = api.client.request(method, url, content=b"location=eastus", headers={"Content-Type": "text/plain"})
    assert assert_arm_error(text, 415)["code"] == "UnsupportedMediaType", (method, url)
    wrong = api.client.request(method, url, content=b"other bytes", headers={"Content-Type": OCTET_STREAM})
    assert assert_arm_error(wrong, 400)["code"] == "BlobHashMismatch", (method, url)
    assert api.client.head(url).status_code == 404


def test_unknown_paths_and_methods_answer_arm_errors(api: Api) -> None:
    assert assert_arm_error(api.client.get("/no/such/path"), 404)["code"] == "NotFound"
    assert assert_arm_error(api.client.post(f"/subscriptions/{api.sub}?api-version=2024-03-01"), 405)["code"] == "MethodNotAllowed"


def test_health_needs_no_token_and_openapi_lists_the_routes(api: Api) -> None:
    assert api.client.get("/health", headers={"Authorization": ""}).json()["status"] == "ok"
    spec = api.client.get("/openapi.json").json()
    assert "/subscriptions/{subscription_id}/resourceGroups/{resource_group}" in spec["paths"]
