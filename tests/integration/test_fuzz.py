"""Fuzz the whole API from its own OpenAPI document (schemathesis), in process, as the admin.

Every operation but DELETE (so the seeded resources stay) goes through schemathesis' three
phases: the examples the document gives, the *coverage* phase (boundary and wrong-type values for
every parameter and body field, missing and unknown ``api-version``, malformed bodies) and a few
randomly generated requests. The seeded names (resource group, workspace, registry, model, blob
digest, operation id) are fixed as path parameters, so requests get past "not found" into the
code that handles real resources. Strings are drawn now and then from ``HOSTILE``: text the
generator never makes on its own (a lone UTF-16 surrogate, control characters, ``.``/``..``,
numbers no float holds), and ``$skipToken`` from ``SKIP_TOKENS`` (offsets no database takes).

Each answer must be something a client can act on: never a 500, every error in the ARM error
body (OAuth2's on the token endpoint), and, after every write, the subscription's resource group
and workspace lists (and the seeded model's versions) must still answer 200 -- a write that is
committed and then cannot be rendered breaks every later list, not the write itself.

What schemathesis cannot say through a document -- JSON that no ``json.dumps`` writes (deep
nesting, ``NaN``, ``1e999999``), a repeated ``api-version``, a query longer than servers take --
is sent raw to every operation by ``test_raw_hostile_input``, under the same checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python import asgi

from amlite.api.app import create_app
from amlite.bootstrap import Container, build
from tests.integration.conftest import ML, RES, settings_for
from tests.integration.test_arm_conventions import OAUTH_PATHS

ML_NS = "/providers/Microsoft.MachineLearningServices"
BLOB = b"fuzzed model weights"
#: Random requests per operation after the examples and coverage cases. Two, with the stride below,
#: keep the run to about a minute on 2 cores: the suite's time is shared by every test.
MAX_EXAMPLES = 2
#: Each operation runs every seventh of its coverage cases, from its own offset (see
#: ``operation_test``): a body schema shared by seven operations or more has every case sent.
COVERAGE_STRIDE = 7
#: Strings the generator never makes (it keeps to encodable, printable text), mixed into every string field.
HOSTILE = ["\x00", "x\n", "\u202e\u0007", ".", "..", "../..", "-1", "1e999999", "NaN",
           "\ufeff", "\U0001f600" * 3, "a" * 1000]
#: ``$skipToken``s that decode to offsets no database accepts: huge, negative, not a number.
SKIP_TOKENS = [base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
               for text in ("9" * 40, "-5", "1e999", " 3")] + ["%%%", "\u00e9"]


@dataclass
class Fuzz:
    client: TestClient
    token: str
    real: dict[str, str]  # path parameter -> the name of something that exists
    schema: Any = None
    lists: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def lists_still_answer(self, after: str) -> None:
        for url in self.lists:
            try:
                r = self.client.get(url)
            except Exception as exc:  # the app's own exception, raised through the in-process client
                raise AssertionError(f"after {after}: GET {url} raised {exc!r:.300}") from None
            assert r.status_code == 200, f"after {after}: GET {url} answered {r.status_code}: {r.text[:300]}"


#: The fuzz exercises the API's input handling, not the store: it runs on PostgreSQL alone, the
#: stricter of the two (a value too long for a column, a wrong type, fail there and not on SQLite).
STORES = ("postgresql",)


@pytest.fixture(scope="module")
def fuzz(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    container = build(settings_for(tmp_path_factory.mktemp("fuzz"), backend))
    app = create_app(container)
    try:
        client = TestClient(app, base_url="http://127.0.0.1:8600")
        state = seed(container, client)
        # Loading the schema from the app starts its lifespan (the worker), as a server would.
        state.schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=fuzz_config(state.real))
        yield state
    finally:
        asgi.shutdown_lifespans()
        container.close()


def seed(container: Container, client: TestClient) -> Fuzz:
    """The admin's token, one of everything the paths name (made through the API), and the lists
    that must keep answering."""
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
    lists = [f"/subscriptions/{sub}/resourceGroups?{RES}", f"/subscriptions/{sub}{ML_NS}/workspaces?{ML}",
             f"{ws_path}/models/fuzz-model/versions?{ML}", f"{reg_path}/models/fuzz-model/versions?{ML}"]
    return Fuzz(client, token, real, lists=lists)


def fuzz_config(real: dict[str, str]) -> SchemathesisConfig:
    """Schemathesis' settings: all three phases, reproducible, the seeded names as path parameters."""
    fixed = {f"path.{name}": value for name, value in real.items()}
    return SchemathesisConfig.from_dict({
        "seed": 9,
        "dictionaries": {"hostile": {"values": HOSTILE}, "skip-tokens": {"values": SKIP_TOKENS}},
        "suppress-health-check": ["all"],
        "generation": {
            "deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none", "no-shrink": True,
            "dictionaries": {"string": {"dictionary": "hostile", "probability": 0.2}},
        },
        "phases": {"examples": {"enabled": True}, "fuzzing": {"enabled": True},
                   "coverage": {"enabled": True, "generate-duplicate-query-parameters": True,
                                "unexpected-methods": ["TRACE"]},
                   "stateful": {"enabled": False}},
        "parameters": {**fixed, "query.$skipToken": {"dictionary": "skip-tokens", "probability": 0.5}},
        "operations": [
            # The datastore every workspace has; a role assignment's name is a fresh GUID, left to the generator.
            {"include-path-regex": "/datastores/", "parameters": {"path.name": "workspaceblobstore"}},
            {"include-path-regex": "/roleAssignments/",
             "parameters": {"path.name": "4a1e0b77-6b0c-4c7e-9c1a-1f2f3a4b5c6d"}},
        ],
    })


def arm_error_body(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error is ARM's body, ``{"error": {"code", "message", "target"?, "details"?}}`` (on the
    token endpoints OAuth2's ``{"error", "error_description"}``); HEAD answers have no body at all."""
    check_error_body(response.status_code, response.headers.get("content-type", [""])[0], response.content,
                     oauth=case.operation.path in OAUTH_PATHS, head=case.method.upper() == "HEAD")


def check_error_body(status: int, content_type: str, content: bytes, *, oauth: bool, head: bool) -> None:
    if status < 400 or head:
        return
    assert content_type.startswith("application/json"), f"{status} {content_type}: {content[:200]!r}"
    body = json.loads(content)
    if oauth:
        assert isinstance(body, dict) and isinstance(body.get("error"), str), body
        return
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) <= {"code", "message", "target", "details"}, body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body


def operation_test(fuzz: Fuzz, operation: Any, offset: int) -> Any:
    """Schemathesis' own test for ``operation`` -- the examples, coverage and fuzzing phases, built as
    its pytest plugin builds them (the plugin's fixture-backed loader does not run under the pinned
    pytest) -- around one call and the checks. Operations with the same body schema get the same
    coverage cases, so each runs every ``COVERAGE_STRIDE``-th of them, from ``offset``: together they
    still send every case, in a fraction of the time."""
    seen = [0]

    def check(case: schemathesis.Case) -> None:
        if case.meta is not None and case.meta.phase.name == "coverage":
            seen[0] += 1
            if seen[0] % COVERAGE_STRIDE != offset % COVERAGE_STRIDE:
                return
        response = case.call(headers=fuzz.auth)
        case.validate_response(response, checks=[schemathesis.checks.not_a_server_error, arm_error_body])

    return build_operation_test(config=fuzz.schema.config, operation=operation, test_func=check, given_kwargs={},
                                feedback=FeedbackSources())


def fuzzed_operations(fuzz: Fuzz) -> list[Any]:
    operations = [result.ok() for result in fuzz.schema.get_all_operations()]
    # A registry's MLflow URL answers 501 MlflowNotAvailable by design (tests/integration/
    # test_discovery.py checks that answer).
    return [op for op in operations if op.method.upper() != "DELETE" and not op.path.startswith("/mlflow/")]


def run_all(fuzz: Fuzz, send: Any) -> list[str]:
    """``send(operation, index)`` for every operation but DELETE, each followed by the lists (until they
    first fail: from then on they fail after everything); the failures, each operation's first."""
    failures: list[str] = []
    lists_answer = True
    operations = fuzzed_operations(fuzz)
    assert len(operations) >= 140
    for index, operation in enumerate(operations):
        label = f"{operation.method.upper()} {operation.path}"
        try:
            send(operation, index)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:1500]}")
        try:
            if lists_answer:
                fuzz.lists_still_answer(after=label)
        except AssertionError as exc:
            failures.append(str(exc))
            lists_answer = False
    return failures


def test_every_operation_answers_in_arm_terms(fuzz: Fuzz) -> None:
    failures = run_all(fuzz, lambda operation, index: operation_test(fuzz, operation, index)())
    assert failures == [], f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


#: Valid ``properties`` per resource type (matched on the path), for the mutations below to start from.
VALID_PROPERTIES = [
    ("/datastores/", {"datastoreType": "AzureBlob", "accountName": "fuzzdata", "containerName": "raw",
                      "credentials": {"credentialsType": "None"}, "description": "d", "tags": {"k": "v"}}),
    ("/models/", {"modelType": "custom_model", "modelUri": "https://example.org/model.pkl", "description": "d",
                  "tags": {"k": "v"}, "properties": {"k": "v"}}),
    ("/environments/", {"image": "python:3.11", "description": "d", "tags": {"k": "v"}}),
    ("/components/", {"componentSpec": {"type": "command", "command": "python train.py",
                                        "environment": {"image": "python:3.11"}}, "description": "d"}),
    ("/data/", {"dataType": "uri_file", "dataUri": "https://example.org/iris.csv", "description": "d"}),
    ("/roleAssignments/", {"roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": "p"}),
    ("", {"description": "d"}),
]
#: Values no generator sends from the document: lone surrogates, control characters, wrong shapes.
LEAF_MUTATIONS: list[Any] = ["\ud800", "\x00\x1f", {}, 10**30]
#: Input that must be refused (4xx), not merely survived: JSON no standard parser accepts, two
#: api-versions, the versions that name a folder's parent.
MUST_REFUSE = {"NaN", "Infinity", "1e999999", "deep nesting", "repeated api-version", "version %2E", "version %2E%2E"}


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    else:
        yield path


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    return {**value, path[0]: replaced(value[path[0]], path[1:], new)}


def raw_requests(operation: Any, real: dict[str, str], index: int) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """``(kind, method, url, httpx kwargs)``: what no generator sends from the document, for ``operation``
    (the ``index``-th fuzzed)."""
    method = operation.method.upper()
    params = {p.name: p for p in operation.query}
    version = params["api-version"].definition["schema"]["enum"][-1] if "api-version" in params else None
    path = re.sub(r"\{(\w+)\}", lambda m: quote(real.get(m.group(1), "x"), safe="/"), operation.path)
    if "/datastores/" in operation.path:
        path = path.replace("/datastores/fuzz-model", "/datastores/workspaceblobstore")
    query = f"api-version={version}" if version else ""
    url = f"{path}?{query}"
    if version:
        yield "repeated api-version", method, f"{url}&api-version=2000-01-01", {}
        yield "repeated api-version", method, f"{url}&api-version={version}", {}
    yield "long query", method, f"{url}&filler={'a' * 60_000}", {}  # within what the HTTP client sends
    if "{version}" in operation.path:
        for dots in ("%2E", "%2E%2E"):
            head, tail = path.rsplit("/versions/", 1)  # tail: the seeded version "1", then any action
            yield f"version {dots}", method, f"{head}/versions/{dots}{tail[1:]}?{query}", {}
    if "$skipToken" in params:
        for token in SKIP_TOKENS:
            yield f"$skipToken {token[:12]}", method, f"{url}&$skipToken={quote(token)}", {}
    body = operation.body
    if not any(b.media_type == "application/json" for b in body):
        return
    json_ctype = {"Content-Type": "application/json"}
    for kind, raw in [("NaN", '{"location": NaN}'), ("Infinity", '{"location": "eastus", "tags": {"k": Infinity}}'),
                      ("1e999999", '{"location": 1e999999}'),
                      ("deep nesting", '{"properties": ' * 50_000 + "{}" + "}" * 50_000)]:
        yield kind, method, url, {"content": raw.encode(), "headers": json_ctype}
    props = next(valid for marker, valid in VALID_PROPERTIES if marker in operation.path)
    base = {"location": "eastus", "tags": {"k": "v"}, "managedBy": "m", "kind": "k", "properties": props}
    # Each leaf gets one of the mutations, shifted by one for the next leaf and the next operation:
    # every operation meets all four mutations (on different leaves), and a leaf meets all four
    # across four operations of its resource type (types with fewer meet fewer on that leaf).
    for position, leaf in enumerate(leaves(base)):
        new = LEAF_MUTATIONS[(position + index) % len(LEAF_MUTATIONS)]
        yield (f"{'.'.join(map(str, leaf))} = {new!r:.12}", method, url,
               {"content": json.dumps(replaced(base, leaf, new)).encode(), "headers": json_ctype})
    surrogate_key = json.dumps({**base, "tags": {"\ud800": "v"}}).encode()
    yield "surrogate tag key", method, url, {"content": surrogate_key, "headers": json_ctype}


def shown(method: str, url: str, kwargs: dict[str, Any]) -> str:
    return f"{method} {url[:200]}{'...' if len(url) > 200 else ''} {str(kwargs.get('content', ''))[:200]}"


def test_raw_hostile_input(fuzz: Fuzz) -> None:
    """Every operation, every kind of raw input; each kind's first failure is reported (a kind that
    fails usually fails on every operation that reads it)."""
    failed: dict[str, str] = {}

    def send(operation: Any, index: int) -> None:
        for kind, method, url, kwargs in raw_requests(operation, fuzz.real, index):
            if kind not in failed:
                try:
                    send_one(operation, method, url, kwargs, refuse=kind in MUST_REFUSE)
                except AssertionError as exc:
                    failed[kind] = f"{operation.method.upper()} {operation.path}: {exc}"

    def send_one(operation: Any, method: str, url: str, kwargs: dict[str, Any], refuse: bool) -> None:
        try:
            r = fuzz.client.request(method, url, **kwargs)
        except Exception as exc:
            raise AssertionError(f"{shown(method, url, kwargs)}: the app raised {exc!r}") from exc
        assert r.status_code < 500, f"{shown(method, url, kwargs)}: {r.status_code} {r.text[:300]}"
        assert not refuse or r.status_code >= 400, f"{shown(method, url, kwargs)}: accepted, {r.status_code}"
        try:
            check_error_body(r.status_code, r.headers.get("content-type", ""), r.content,
                             oauth=operation.path in OAUTH_PATHS, head=method == "HEAD")
        except (AssertionError, ValueError) as exc:
            raise AssertionError(f"{shown(method, url, kwargs)}: {str(exc)[:300]}") from None

    failures = run_all(fuzz, send) + [f"[{kind}] {message}" for kind, message in sorted(failed.items())]
    assert failures == [], f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
