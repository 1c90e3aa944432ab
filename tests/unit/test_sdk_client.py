"""MLClient and ArmClient over an httpx.MockTransport: headers, paging, LROs, errors, endpoints."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from amlite.sdk.arm import ArmClient
from amlite.sdk.credentials import AccessToken
from amlite.sdk.entities import Workspace
from amlite.sdk.errors import ResourceNotFoundError, ServiceRequestError, ValidationException
from amlite.sdk.ml_client import MLClient

BASE = "http://127.0.0.1:9"
WS_PATH = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces"


class FakeCredential:
    def __init__(self, endpoint: str | None = BASE) -> None:
        self.endpoint = endpoint
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls += 1
        return AccessToken("tok-1", 2**31)


def _ws_body(name: str, location: str = "eastus") -> dict[str, object]:
    return {
        "id": f"{WS_PATH}/{name}", "name": name, "location": location, "kind": "Default",
        "tags": {"a": "b"}, "etag": '"1"',
        "properties": {"workspaceId": str(uuid.uuid4()), "friendlyName": name.upper(),
                       "provisioningState": "Succeeded",
                       "storageAccount": "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/st",
                       "mlFlowTrackingUri": f"{BASE}/mlflow"},
    }


def test_every_request_carries_the_arm_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "MachineLearningServices" in request.url.path:
            return httpx.Response(200, json=_ws_body("ws1"))
        return httpx.Response(200, json={"id": "/subscriptions/sub1", "subscriptionId": "sub1"})

    client = MLClient(FakeCredential(), "sub1", "rg1", "ws1", transport=httpx.MockTransport(handler))
    client.workspaces.get()
    arm = ArmClient(FakeCredential(), transport=httpx.MockTransport(handler), subscription_id="sub1")
    arm.subscriptions.get()
    ml_req, arm_req = seen
    assert ml_req.url.params["api-version"] == "2024-10-01"
    assert arm_req.url.params["api-version"] == "2024-03-01"
    for req in seen:
        assert req.headers["Authorization"] == "Bearer tok-1"
        assert req.headers["User-Agent"] == "amlite-sdk/0.1.0"
        uuid.UUID(req.headers["x-ms-client-request-id"])
    assert seen[0].headers["x-ms-client-request-id"] != seen[1].headers["x-ms-client-request-id"]


def test_get_maps_properties_to_workspace() -> None:
    body = _ws_body("ws1")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    ws = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler)).workspaces.get("ws1")
    assert ws.name == "ws1" and ws.resource_group == "rg1" and ws.subscription_id == "sub1"
    assert ws.display_name == "WS1" and ws.provisioning_state == "Succeeded"
    assert ws.storage_account and ws.storage_account.endswith("/storageAccounts/st")
    assert ws.mlflow_tracking_uri == f"{BASE}/mlflow"
    assert ws.as_dict() == body


def test_list_follows_next_link() -> None:
    pages = {
        "1": {"value": [_ws_body("a"), _ws_body("b")], "nextLink": f"{BASE}{WS_PATH}?api-version=2024-10-01&$skipToken=2"},
        "2": {"value": [_ws_body("c")]},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("$skipToken", "1")
        assert request.url.params.get_list("api-version") == ["2024-10-01"]
        return httpx.Response(200, json=pages[token])

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    assert [w.name for w in client.workspaces.list()] == ["a", "b", "c"]


def test_next_link_without_api_version_keeps_its_query() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if "$skipToken" in request.url.params:
            return httpx.Response(200, json={"value": [_ws_body("b")]})
        return httpx.Response(200, json={"value": [_ws_body("a")], "nextLink": f"{BASE}{WS_PATH}?$skipToken=2"})

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    assert [w.name for w in client.workspaces.list()] == ["a", "b"]
    assert seen[1].params["$skipToken"] == "2" and seen[1].params["api-version"] == "2024-10-01"


def test_list_subscription_scope_uses_subscription_route() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"value": []})

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    list(client.workspaces.list(scope="subscription"))
    assert paths == ["/subscriptions/sub1/providers/Microsoft.MachineLearningServices/workspaces"]


def test_begin_create_takes_the_group_location_and_sends_the_put_body() -> None:
    puts: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/subscriptions/sub1/resourcegroups/rg1":
            assert request.url.params["api-version"] == "2024-03-01"
            return httpx.Response(200, json={"name": "rg1", "location": "westus"})
        if request.method == "PUT":
            body = json.loads(request.content)
            puts.append(body)
            return httpx.Response(201, json=_ws_body("ws1", body["location"]))
        raise AssertionError(f"unexpected {request.method} {request.url}")

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    poller = client.workspaces.begin_create(Workspace(name="ws1", description="d", tags={"t": "1"}))
    assert poller.done()
    ws = poller.result()
    assert ws.location == "westus"
    assert puts == [{"location": "westus", "kind": "Default", "tags": {"t": "1"},
                     "identity": {"type": "SystemAssigned"}, "properties": {"description": "d"}}]


def test_begin_update_sends_only_what_changed() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "PATCH"
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=_ws_body("ws1"))

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    client.workspaces.begin_update(Workspace(name="ws1", description="new")).result()
    assert bodies == [{"properties": {"description": "new"}}]


def test_begin_delete_polls_to_completion() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "DELETE":
            return httpx.Response(202, headers={
                "Azure-AsyncOperation": f"{BASE}/subscriptions/sub1/providers/Microsoft.MachineLearningServices/locations/eastus/operationStatuses/o?api-version=2024-10-01",
                "Retry-After": "1"})
        return httpx.Response(200, json={"status": "Succeeded"})

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler),
                      polling_interval=0.01)
    poller = client.workspaces.begin_delete("ws1")
    poller._sleep = lambda s: None  # do not really wait in a unit test
    assert poller.result() is None
    assert calls == ["DELETE", "GET"]


def test_missing_workspace_is_resource_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": "ResourceNotFound", "message":
            "The Resource 'Microsoft.MachineLearningServices/workspaces/nope' under resource group 'rg1' was not found."}})

    client = MLClient(FakeCredential(), "sub1", "rg1", transport=httpx.MockTransport(handler))
    with pytest.raises(ResourceNotFoundError) as info:
        client.workspaces.get("nope")
    assert info.value.status_code == 404
    assert str(info.value).startswith("(ResourceNotFound) The Resource")


def test_connection_refused_names_the_endpoint() -> None:
    client = MLClient(FakeCredential("http://127.0.0.1:1"), "sub1", "rg1")
    with pytest.raises(ServiceRequestError) as info:
        client.workspaces.get("ws1")
    assert "http://127.0.0.1:1" in str(info.value)


def test_resource_group_exists_uses_head() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "HEAD"
        return httpx.Response(204 if request.url.path.endswith("/yes") else 404)

    arm = ArmClient(FakeCredential(), transport=httpx.MockTransport(handler), subscription_id="s")
    assert arm.resource_groups.exists("yes") is True
    assert arm.resource_groups.exists("no") is False


def test_group_list_tag_filter_and_force_delete_param() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx.Response(200)
        return httpx.Response(200, json={"value": []})

    arm = ArmClient(FakeCredential(), transport=httpx.MockTransport(handler), subscription_id="s")
    list(arm.resource_groups.list(tag="team=a'b"))
    assert seen[0].url.params["$filter"] == "tagName eq 'team' and tagValue eq 'a''b'"
    arm.resource_groups.begin_delete("rg", force_deletion_types="Microsoft.MachineLearningServices/workspaces").result()
    assert seen[1].url.params["forceDeletionTypes"] == "Microsoft.MachineLearningServices/workspaces"


def test_endpoint_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("AMLITE_ENDPOINT", "http://127.0.0.1:3")
    assert MLClient(FakeCredential(None), endpoint="http://127.0.0.1:1/").endpoint == "http://127.0.0.1:1"
    assert MLClient(FakeCredential("http://127.0.0.1:2")).endpoint == "http://127.0.0.1:2"
    assert MLClient(FakeCredential(None)).endpoint == "http://127.0.0.1:3"
    monkeypatch.delenv("AMLITE_ENDPOINT")
    (tmp_path / "profile.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:4"}))
    assert MLClient(FakeCredential(None)).endpoint == "http://127.0.0.1:4"
    (tmp_path / "profile.json").unlink()
    with pytest.raises(ValidationException):
        MLClient(FakeCredential(None))
