"""Online endpoints and deployments through the SDK against the app in process (SQLite and
PostgreSQL): a deployment's scoring process really runs, traffic splits by weight, a failing
``init()`` fails the deployment with its log, and the endpoint's keys guard its scoring URI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from amlite.sdk.endpoint_entities import ManagedOnlineEndpoint, load_online_deployment, load_online_endpoint
from amlite.sdk.errors import HttpResponseError, ValidationException
from tests.integration.clients import Workspace, workspace  # noqa: F401 (fixture)
from tests.integration.conftest import ML

ONLINE = Path(__file__).resolve().parents[1] / "corpus" / "online"


def _score(workspace: Workspace, uri: str, key: str, deployment: str | None = None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    r = workspace.api.client.post(uri, content=(ONLINE / "request.json").read_bytes(), headers=headers)
    return r.status_code, r.text, r.headers.get("azureml-model-deployment", "")


def test_deploy_invoke_split_traffic_and_fail_init(workspace: Workspace) -> None:
    client = workspace.ml_client()
    endpoint = client.online_endpoints.begin_create_or_update(load_online_endpoint(ONLINE / "endpoint.yml")).result()
    assert endpoint.provisioning_state == "Succeeded" and endpoint.scoring_uri and "/online/" in endpoint.scoring_uri
    blue = client.online_deployments.begin_create_or_update(load_online_deployment(ONLINE / "blue.yml")).result()
    assert blue.provisioning_state == "Succeeded", blue
    assert blue.warnings and "not built" in blue.warnings[0]
    # the inline model was registered as a version of the workspace; green deploys it by name
    assert str(blue.model).endswith("/models/my-endpoint-blue-model/versions/1")
    client.online_deployments.begin_create_or_update(load_online_deployment(ONLINE / "green.yml")).result()

    endpoint.traffic = {"blue": 90, "green": 10}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    answer = json.loads(client.online_endpoints.invoke("my-endpoint", request_file=str(ONLINE / "request.json"),
                                                       deployment_name="green"))
    assert answer == {"predictions": [2.0, 4.0, 6.0], "deployment": "green"}

    key = client.online_endpoints.get_keys("my-endpoint").primary_key
    uri = str(client.online_endpoints.get("my-endpoint").scoring_uri)
    served = Counter(_score(workspace, uri, key)[2] for _ in range(100))
    assert set(served) == {"blue", "green"} and served["blue"] > 70 and served["green"] >= 1, served

    status, _, _ = _score(workspace, uri, "not-the-key")
    assert status == 401
    assert workspace.api.client.post(uri, json={"data": [1]}).status_code == 401

    broken = client.online_deployments.begin_create_or_update(load_online_deployment(ONLINE / "broken.yml"))
    with pytest.raises(HttpResponseError) as failed:
        broken.result()
    assert "DeploymentFailed" in str(failed.value)
    assert client.online_deployments.get("broken", "my-endpoint").provisioning_state == "Failed"
    logs = client.online_deployments.get_logs("broken", "my-endpoint")
    assert "the weights file is corrupt" in logs and "RuntimeError" in logs

    with pytest.raises(HttpResponseError):  # traffic must add up to 100
        endpoint.traffic = {"blue": 50}
        client.online_endpoints.begin_create_or_update(endpoint)
    client.online_endpoints.begin_delete("my-endpoint").result()
    assert [e.name for e in client.online_endpoints.list()] == []
    assert workspace.api.container.scoring.running() == {}


def test_unhonoured_fields_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    spec = tmp_path / "d.yml"
    spec.write_text((ONLINE / "green.yml").read_text() + "liveness_probe:\n  period: 10\n")
    with pytest.raises(ValidationException):
        load_online_deployment(spec)
    spec.write_text((ONLINE / "green.yml").read_text().replace("instance_count: 1", "instance_count: 3"))
    with pytest.raises(ValidationException):
        load_online_deployment(spec)
    client = workspace.ml_client()
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="probe-ep")).result()
    url = f"{workspace.path}/onlineEndpoints/probe-ep/deployments/d1"
    before = workspace.api.snapshot()
    r = workspace.api.request("PUT", url, ML, json={"properties": {"model": "azureml:nope:1", "livenessProbe": {"period": 3},
                                                              "codeConfiguration": {"scoringScript": "s.py"}}})
    assert r.status_code == 400 and r.json()["error"]["target"] == "properties.livenessProbe", r.text
    r = workspace.api.request("PUT", url, ML, json={"properties": {"model": "azureml:nope:1",
                                                              "codeConfiguration": {"scoringScript": "s.py"}}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "AssetReferenceNotFound", r.text
    assert workspace.api.snapshot() == before
