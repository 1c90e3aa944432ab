"""Fuzz the whole API from its own OpenAPI document (schemathesis), in process, as the admin.

Every operation but DELETE gets a fixed number of generated requests, reproducibly (derandomized):
valid ones (schemathesis' positive mode) and invalid ones (negative mode: wrong types, missing or
unknown api-version, malformed bodies), most aimed at a resource group, workspace, registry and
model that exist, so the requests get past "not found" into the code that handles real
resources. Every answer must be something a client can act on: never a 500, and every error in
the ARM error body (OAuth2's on the token endpoint). DELETE is left out so the resources stay.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi

from amlite.api.app import create_app
from amlite.bootstrap import Container, build
from tests.integration.conftest import ML, RES, settings_for
from tests.integration.test_arm_conventions import OAUTH_PATHS

#: Requests per operation: ~150 operations x 15 keeps each store's run near a minute on a loaded 2-core machine.
MAX_EXAMPLES = 15
ML_NS = "/providers/Microsoft.MachineLearningServices"
BLOB = b"fuzzed model weights"


@dataclass
class Fuzz:
    schema: Any
    token: str
    real: dict[str, str]  # path parameter -> the name of something that exists


@pytest.fixture(scope="module")
def fuzz(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    container = build(settings_for(tmp_path_factory.mktemp("fuzz"), backend))
    app = create_app(container)
    try:
        # Loading the schema from the app starts its lifespan (the worker), as a server would.
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield Fuzz(schema, *seed(container, TestClient(app, base_url="http://127.0.0.1:8600")))
    finally:
        asgi.shutdown_lifespans()
        container.close()


def seed(container: Container, client: TestClient) -> tuple[str, dict[str, str]]:
    """The admin's token and one of everything the paths name, made through the API."""
    creds = json.loads(container.settings.credentials_file.read_text())
    token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    sub, rg, ws, reg = creds["subscriptionId"], "fuzz-rg", "fuzz-ws", "fuzz-reg"
    rg_path = f"/subscriptions/{sub}/resourceGroups/{rg}"
    ws_path, reg_path = f"{rg_path}{ML_NS}/workspaces/{ws}", f"{rg_path}{ML_NS}/registries/{reg}"
    digest = hashlib.sha256(BLOB).hexdigest()
    model = {"properties": {"artifacts": [{"path": "model/weights.bin", "sha256": digest, "size": len(BLOB)}]}}
    octets = {"Content-Type": "application/octet-stream"}
    for method, url, kwargs in [
        ("PUT", f"{rg_path}?{RES}", {"json": {"location": "eastus"}}),
        ("PUT", f"{ws_path}?{ML}", {"json": {"location": "eastus"}}),
        ("PUT", f"{reg_path}?{ML}", {"json": {"location": "eastus"}}),
        ("PUT", f"{ws_path}/artifacts/blobs/{digest}?{ML}", {"content": BLOB, "headers": octets}),
        ("PUT", f"{reg_path}/artifacts/blobs/{digest}?{ML}", {"content": BLOB, "headers": octets}),
        ("PUT", f"{ws_path}/models/fuzz-model/versions/1?{ML}", {"json": model}),
        ("PUT", f"{reg_path}/models/fuzz-model/versions/1?{ML}", {"json": model}),
    ]:
        r = client.request(method, url, **kwargs)
        assert r.status_code in (200, 201), (method, url, r.text)
    throwaway = client.put(f"/subscriptions/{sub}/resourceGroups/fuzz-gone?{RES}", json={"location": "eastus"})
    assert throwaway.status_code == 201
    deleting = client.delete(f"/subscriptions/{sub}/resourceGroups/fuzz-gone?{RES}")
    operation_id = deleting.headers["Azure-AsyncOperation"].split("?")[0].rsplit("/", 1)[1]
    real = {"subscription_id": sub, "resource_group": rg, "workspace": ws, "registry": reg, "name": "fuzz-model",
            "version": "1", "sha256": digest, "tenant": creds["tenantId"], "location": "eastus",
            "namespace": "Microsoft.MachineLearningServices", "operation_id": operation_id,
            "scope": f"subscriptions/{sub}/resourceGroups/{rg}", "alias": "fuzz-alias"}
    return token, real


def arm_error_body(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error is ARM's body, ``{"error": {"code", "message", "target"?, "details"?}}`` (on the
    token endpoints OAuth2's ``{"error", "error_description"}``); HEAD answers have no body at all."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.text[:200]
    body = json.loads(response.content)
    if case.operation.path in OAUTH_PATHS:
        assert isinstance(body, dict) and isinstance(body.get("error"), str), body
        return
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) <= {"code", "message", "target", "details"}, body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body


def strategy(operation: Any, real: dict[str, str]) -> st.SearchStrategy[Any]:
    """Mostly real names (so requests reach the resources), some generated ones; valid and invalid."""
    names = set(re.findall(r"\{(\w+)\}", operation.path))
    known = {k: v for k, v in real.items() if k in names}
    if "name" in names and "/datastores/" in operation.path:
        known["name"] = "workspaceblobstore"
    if "name" in names and "/Microsoft.Authorization/" in operation.path:
        known.pop("name")  # a role assignment's name is a fresh GUID
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known),
        operation.as_strategy(GenerationMode.POSITIVE),
    )


def fuzz_operation(fuzz: Fuzz, operation: Any) -> None:
    auth = {"Authorization": f"Bearer {fuzz.token}"}

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy(operation, fuzz.real))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=auth, checks=[schemathesis.checks.not_a_server_error, arm_error_body])

    run()


def test_no_operation_answers_a_server_error_or_an_error_body_that_is_not_arms(fuzz: Fuzz) -> None:
    failures: list[str] = []
    fuzzed = 0
    for result in fuzz.schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "DELETE":
            continue
        fuzzed += 1
        try:
            fuzz_operation(fuzz, operation)
        except Exception as exc:  # noqa: BLE001 - collect every operation's first failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert fuzzed >= 140
    assert failures == [], f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
