"""Computes through the API, on SQLite and PostgreSQL: the long-running create, reads, updates,
start/stop/restart, nodes, delete, VM sizes, usage and quotas; the quota refusal that changes
nothing, also under two racing creates; and azure-ai-ml reading what the API answers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import build
from amlite.config import Settings
from amlite.domain.errors import AmliteError
from amlite.schemas.arm_computes import ComputeBody
from tests.integration.conftest import ML, Api

QUOTA = "quota:\n  family_vcpus: 24\n  total_vcpus: 60\n  families: {standardNCSv3Family: 0}\n"


@pytest.fixture(scope="module")
def api(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The conftest's server, with a quota small enough to reach."""
    tmp = tmp_path_factory.mktemp("amlite")
    config = tmp / "amlite.yaml"
    config.write_text("worker_poll_seconds: 0.05\noperation_lease_seconds: 5\n" + QUOTA)
    container = build(Settings.load(data_dir=tmp / "data", db_url=backend, config_file=config, port=8600, env={}))
    creds = json.loads(container.settings.credentials_file.read_text())
    with TestClient(create_app(container), base_url="http://127.0.0.1:8600") as client:
        token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield Api(client, container, creds["subscriptionId"], creds["tenantId"], token, creds)
    container.close()


def cluster(size: str = "Standard_DS3_v2", max_nodes: int = 2, **inner: Any) -> dict[str, Any]:
    """What azure-ai-ml sends for an AmlCompute."""
    return {"location": "eastus", "properties": {"computeType": "AmlCompute", "disableLocalAuth": True, "properties": {
        "vmSize": size, "vmPriority": "Dedicated", "osType": "Linux", "enableNodePublicIp": True,
        "remoteLoginPortPublicAccess": "NotSpecified",
        "scaleSettings": {"minNodeCount": 0, "maxNodeCount": max_nodes, "nodeIdleTimeBeforeScaleDown": "PT2M"},
        **inner}}}


def instance(size: str = "Standard_DS3_v2") -> dict[str, Any]:
    return {"properties": {"computeType": "ComputeInstance", "disableLocalAuth": True, "properties": {
        "vmSize": size, "enableNodePublicIp": True, "enableSSO": True, "enableRootAccess": True,
        "releaseQuotaOnStop": False, "enableOSPatching": False, "applicationSharingPolicy": "Shared",
        "computeInstanceAuthorizationType": "personal"}}}


def poll(api: Api, response: httpx.Response, timeout: float = 20.0) -> dict[str, Any]:
    url = response.headers["Azure-AsyncOperation"]
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.client.get(url).json()
        if body["status"] != "InProgress" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def setup(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, name)
    return api.ws_path(name, name) + "/computes"


def usage(api: Api, location: str = "eastus") -> dict[str, tuple[int, int]]:
    r = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/locations/{location}/usages", ML)
    assert r.status_code == 200, r.text
    return {u["name"]["value"]: (u["currentValue"], u["limit"]) for u in r.json()["value"]}


def test_a_cluster_is_created_long_running_read_listed_scaled_and_deleted(api: Api, name: str) -> None:
    computes = setup(api, name)
    r = api.request("PUT", f"{computes}/cpu", ML, json=cluster())
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["provisioningState"] == "Creating"
    assert poll(api, r)["status"] == "Succeeded"
    body = api.request("GET", f"{computes}/cpu", ML).json()
    props = body["properties"]
    assert body["id"].endswith(f"/workspaces/{name}/computes/cpu") and body["type"] == "Microsoft.MachineLearningServices/workspaces/computes"
    assert props["provisioningState"] == "Succeeded" and props["computeType"] == "AmlCompute"
    assert props["properties"]["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT120S"}
    assert [c["name"] for c in api.request("GET", computes, ML).json()["value"]] == ["cpu"]
    # an update: scale settings and tags, synchronous
    scaled = cluster(max_nodes=3)
    scaled["tags"] = {"team": "vision"}
    r = api.request("PUT", f"{computes}/cpu", ML, json=scaled)
    assert r.status_code == 200 and r.json()["properties"]["properties"]["scaleSettings"]["maxNodeCount"] == 3
    assert r.json()["tags"] == {"team": "vision"}
    r = api.request("PUT", f"{computes}/cpu", ML, json=cluster(size="Standard_DS2_v2"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "PropertyCannotBeUpdated"
    nodes = api.request("POST", f"{computes}/cpu/listNodes", ML)
    assert nodes.status_code == 200 and nodes.json()["nodes"] == []
    r = api.request("DELETE", f"{computes}/cpu?underlyingResourceAction=Delete", ML)
    assert r.status_code == 202 and api.wait(r)["status"] == "Succeeded"
    assert api.request("GET", f"{computes}/cpu", ML).status_code == 404
    assert api.request("DELETE", f"{computes}/cpu", ML).status_code == 204


def test_an_instance_starts_stops_and_restarts_and_refuses_what_its_state_forbids(api: Api, name: str) -> None:
    computes = setup(api, name)
    r = api.request("PUT", f"{computes}/ci-{name}", ML, json=instance())
    assert r.status_code == 201
    assert poll(api, r)["status"] == "Succeeded"

    def state() -> str:
        return str(api.request("GET", f"{computes}/ci-{name}", ML).json()["properties"]["properties"]["state"])

    assert state() == "Running"
    r = api.request("POST", f"{computes}/ci-{name}/stop", ML)
    assert r.status_code == 202 and api.wait(r)["status"] == "Succeeded" and state() == "Stopped"
    r = api.request("POST", f"{computes}/ci-{name}/stop", ML)
    assert r.status_code == 409 and r.json()["error"]["code"] == "InvalidComputeState"
    r = api.request("POST", f"{computes}/ci-{name}/restart", ML)
    assert r.status_code == 409
    r = api.request("POST", f"{computes}/ci-{name}/start", ML)
    assert r.status_code == 202 and api.wait(r)["status"] == "Succeeded" and state() == "Running"
    r = api.request("POST", f"{computes}/ci-{name}/restart", ML)
    assert r.status_code == 202 and api.wait(r)["status"] == "Succeeded" and state() == "Running"
    last = api.request("GET", f"{computes}/ci-{name}", ML).json()["properties"]["properties"]["lastOperation"]
    assert last["operationName"] == "Restart" and last["operationStatus"] == "Succeeded"
    # clusters do not start or stop
    r = api.request("PUT", f"{computes}/cpu", ML, json=cluster(max_nodes=1))
    poll(api, r)
    r = api.request("POST", f"{computes}/cpu/stop", ML)
    assert r.status_code == 400 and r.json()["error"]["code"] == "OperationNotSupported"
    for c in ("cpu", f"ci-{name}"):
        api.wait(api.request("DELETE", f"{computes}/{c}", ML))


def test_quota_exceeded_names_family_usage_and_limit_and_creates_nothing(api: Api, name: str) -> None:
    computes = setup(api, name)
    before_usage = usage(api)
    r = api.request("PUT", f"{computes}/small", ML, json=cluster(size="Standard_F4s_v2", max_nodes=4))  # 16 of 24
    assert r.status_code == 201 and poll(api, r)["status"] == "Succeeded"
    assert usage(api)["standardFSv2Family"] == (before_usage["standardFSv2Family"][0] + 16, 24)
    before = api.snapshot()
    r = api.request("PUT", f"{computes}/big", ML, json=cluster(size="Standard_F4s_v2", max_nodes=3))  # 12 more
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "QuotaExceeded"
    assert "standardFSv2Family" in error["message"] and "Current usage: 16" in error["message"] and "limit: 24" in error["message"]
    assert api.snapshot() == before
    assert api.request("GET", f"{computes}/big", ML).status_code == 404
    # a scale-up past the limit is refused the same way; a family with limit 0 refuses at once
    r = api.request("PUT", f"{computes}/small", ML, json=cluster(size="Standard_F4s_v2", max_nodes=7))
    assert r.status_code == 400 and r.json()["error"]["code"] == "QuotaExceeded"
    r = api.request("PUT", f"{computes}/gpu", ML, json=cluster(size="Standard_NC6s_v3", max_nodes=1))
    assert r.status_code == 400 and "standardNCSv3Family" in r.json()["error"]["message"]
    api.wait(api.request("DELETE", f"{computes}/small", ML))
    assert usage(api)["standardFSv2Family"] == before_usage["standardFSv2Family"]


def test_two_racing_creates_for_the_last_vcpus_cannot_both_pass(api: Api, name: str) -> None:
    computes = setup(api, name)
    caller = api.container.identity.authenticate(f"Bearer {api.token}")
    service = api.container.computes
    used = usage(api)["standardESv3Family"][0]
    assert used == 0
    # 16 of 24 each: one fits, two do not
    body = ComputeBody.model_validate(cluster(size="Standard_E8s_v3", max_nodes=2))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def create(compute: str) -> None:
        start.wait()
        try:
            service.create_or_update(caller, api.sub, name, name, compute, body)
            outcomes.append("created")
        except AmliteError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=create, args=(f"race{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["QuotaExceeded", "created"], outcomes
    listed = api.request("GET", computes, ML).json()["value"]
    assert len(listed) == 1
    assert usage(api)["standardESv3Family"] == (16, 24)
    poll_deadline = time.monotonic() + 10
    while api.request("GET", f"{computes}/{listed[0]['name']}", ML).json()["properties"]["provisioningState"] == "Creating":
        assert time.monotonic() < poll_deadline
        time.sleep(0.05)
    api.wait(api.request("DELETE", f"{computes}/{listed[0]['name']}", ML))


def test_bodies_amlite_does_not_honour_are_refused_by_name_and_change_nothing(api: Api, name: str) -> None:
    computes = setup(api, name)
    before = api.snapshot()
    cases = [
        (cluster(subnet={"id": "/subscriptions/x/vnet"}), "UnsupportedComputeProperty", "subnet"),
        (cluster(osType="Windows"), "UnsupportedComputeProperty", "osType"),
        (cluster(size="Standard_Imaginary_v9"), "InvalidVmSize", "vmSize"),
        (cluster(max_nodes=0), "InvalidRequestContent", "maxNodeCount"),
        ({"properties": {"computeType": "Kubernetes", "properties": {"vmSize": "Standard_DS3_v2"}}},
         "InvalidRequestContent", "computeType"),
        ({**cluster(), "location": "westus"}, "InvalidRequestContent", "location"),
        ({"properties": {**instance()["properties"], "resourceId": "/subscriptions/x/vm"}}, "UnsupportedComputeProperty",
         "resourceId"),
    ]
    for body, code, target in cases:
        r = api.request("PUT", f"{computes}/refused", ML, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["code"] == code and target in (r.json()["error"].get("target") or ""), r.text
    r = api.request("PUT", f"{computes}/x", ML, json=cluster())
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidComputeName"
    r = api.request("DELETE", f"{computes}/cpu?underlyingResourceAction=Detach", ML)
    assert r.status_code == 400
    assert api.snapshot() == before


def test_sizes_usage_and_quotas_have_azure_shapes(api: Api) -> None:
    base = f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/locations"
    sizes = api.request("GET", f"{base}/East US/vmSizes", ML).json()["value"]
    ds3 = next(s for s in sizes if s["name"] == "Standard_DS3_v2")
    assert (ds3["family"], ds3["vCPUs"], ds3["memoryGB"], ds3["gpus"]) == ("standardDSv2Family", 4, 14, 0)
    assert any(s["gpus"] > 0 for s in sizes)
    lines = api.request("GET", f"{base}/eastus/usages", ML).json()["value"]
    assert lines[0]["name"]["value"] == "TotalCores" and lines[0]["limit"] == 60
    ds = next(u for u in lines if u["name"]["value"] == "standardDSv2Family")
    assert ds["limit"] == 24 and ds["unit"] == "Count" and ds["type"].endswith("/vmFamily/usages")
    quotas = api.request("GET", f"{base}/eastus/quotas", ML).json()["value"]
    assert next(q for q in quotas if q["name"]["value"] == "standardNCSv3Family")["limit"] == 0
    r = api.request("GET", f"{base}/moon/usages", ML)
    assert r.status_code == 400


def test_azure_ai_ml_reads_the_bodies_as_amlite_sdk_does(api: Api, name: str) -> None:
    """The dict ``az ml compute show`` prints is azure-ai-ml's; amlite's SDK must give the same."""
    from azure.ai.ml._restclient.arm_ml_service.models import ComputeResource
    from azure.ai.ml.entities import Compute as AzureCompute

    from amlite.sdk.compute_entities import compute_from_rest

    computes = setup(api, name)
    for compute, body in (("cpu", cluster()), (f"ci-{name}", instance())):
        tagged = {**body, "tags": {"a": "b"}}
        tagged["properties"] = {**body["properties"], "description": "d"}
        poll(api, api.request("PUT", f"{computes}/{compute}", ML, json=tagged))
        rest = api.request("GET", f"{computes}/{compute}", ML).json()
        theirs = AzureCompute._from_rest_object(ComputeResource(rest))._to_dict()
        ours = compute_from_rest(rest)._to_dict()
        for key, value in theirs.items():
            if key in ("provisioning_state", "state"):  # azure-ai-ml 1.35 prints the enum's repr
                assert str(value).lower().endswith(str(ours[key]).lower()), (key, value, ours[key])
            elif key == "created_on":  # a datetime in its own format
                assert str(ours[key])[:19] == rest["properties"]["createdOn"][:19]
            else:
                assert ours.get(key) == value, (compute, key, value, ours.get(key))
        api.wait(api.request("DELETE", f"{computes}/{compute}", ML))


def ray(address: str, **inner: Any) -> dict[str, Any]:
    """A Ray compute's body, as amlite's SDK sends it (``RayCompute``)."""
    return {"properties": {"computeType": "Ray", "description": "a Ray cluster",
                           "properties": {"address": address, **inner}}}


def test_a_ray_compute_whose_cluster_does_not_answer_fails_saying_why(api: Api, name: str) -> None:
    """The success path runs against a real Ray cluster in tests/e2e/test_jobs_ray.py."""
    computes = setup(api, name)
    before_usage = usage(api)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}"
    r = api.request("PUT", f"{computes}/rayc", ML, json=ray(nowhere))
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["computeType"] == "Ray" and r.json()["properties"]["isAttachedCompute"] is True
    poll(api, r)
    body = api.request("GET", f"{computes}/rayc", ML).json()["properties"]
    assert body["provisioningState"] == "Failed", body
    error = body["provisioningErrors"][0]["error"]
    assert error["code"] == "RayClusterUnreachable" and nowhere in error["message"]
    assert body["properties"] == {"address": nowhere}
    assert usage(api) == before_usage  # no size, no quota

    before = api.snapshot()
    cases = [
        (ray(nowhere, vmSize="Standard_DS3_v2"), "UnsupportedComputeProperty", "vmSize"),
        (ray(nowhere, scaleSettings={"maxNodeCount": 2}), "UnsupportedComputeProperty", "scaleSettings"),
        (ray(nowhere, headNode="x"), "UnsupportedComputeProperty", "headNode"),
        (ray("ray://127.0.0.1:10001"), "InvalidRequestContent", "address"),
        ({"properties": {"computeType": "Ray", "properties": {}}}, "InvalidRequestContent", "address"),
        ({"properties": {**ray(nowhere)["properties"], "resourceId": "/subscriptions/x/vm"}},
         "UnsupportedComputeProperty", "resourceId"),
    ]
    for body, code, target in cases:
        r = api.request("PUT", f"{computes}/refused", ML, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["code"] == code and target in (r.json()["error"].get("target") or ""), r.text
    assert api.snapshot() == before
