"""MLflow's tracking API through the app, on both stores: MLflow's error body and status codes on
every MLflow route, its rules (unchangeable params, filter grammar, NaN), the job runner's service
API, and a workspace's runs invisible from another."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import pytest

from amlite.api.app import api_routes
from amlite.api.routers.discovery import MLFLOW_PATH
from amlite.domain.tracking import RunStatus
from tests.integration.conftest import Api

MLFLOW_CODES = {"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS", "UNAUTHENTICATED",
                "PERMISSION_DENIED", "BAD_REQUEST", "RESOURCE_CONFLICT"}


def mlflow_routes() -> list[tuple[str, str]]:
    """The routes of a workspace's tracking URI (a registry's MLflow URL answers 501:
    tests/integration/test_discovery.py)."""
    return sorted((m, r.path) for r in api_routes() for m in r.methods
                  if r.path.startswith("/mlflow/") and r.path != MLFLOW_PATH)


def assert_mlflow_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    body = response.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] in MLFLOW_CODES, body
    assert body["message"]
    if code:
        assert body["error_code"] == code, body
    return body  # type: ignore[no-any-return]


class Tracking:
    """The admin's MLflow calls against one workspace."""

    def __init__(self, api: Api, rg: str, ws: str) -> None:
        self.api, self.root = api, f"/mlflow/v1.0{api.ws_path(rg, ws)}"

    def call(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        return self.api.client.request(method, f"{self.root}/api/2.0/mlflow/{endpoint}", **kwargs)

    def ok(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        r = self.call(method, endpoint, **kwargs)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def two(api: Api) -> tuple[Tracking, Tracking]:
    rg = "mlf" + uuid.uuid4().hex[:8]
    api.create_group(rg)
    api.create_workspace(rg, "one")
    api.create_workspace(rg, "two")
    return Tracking(api, rg, "one"), Tracking(api, rg, "two")


def test_the_tracking_uri_the_workspace_advertises_is_served(api: Api, two: tuple[Tracking, Tracking]) -> None:
    one, _ = two
    ws = api.request("GET", one.root[len("/mlflow/v1.0"):], "api-version=2024-10-01").json()
    assert ws["properties"]["mlFlowTrackingUri"] == f"http://127.0.0.1:8600{one.root}"
    assert one.ok("POST", "experiments/search", json={})["experiments"][0]["name"] == "Default"


def test_every_mlflow_route_answers_mlflow_errors(api: Api) -> None:
    routes = mlflow_routes()
    assert len(routes) >= 25
    missing_ws = {"subscription_id": api.sub, "resource_group": "nothere", "workspace": "nothere"}
    for method, path in routes:
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: missing_ws.get(m.group(1), "0/abc/artifacts/f"), path)
        body = {"experiment_id": "0", "run_id": "abc", "name": "x", "new_name": "y", "key": "k", "value": "1",
                "timestamp": 1}
        query = {"path": "0/abc/artifacts", "experiment_id": "0", "experiment_name": "x", "run_id": "abc",
                 "metric_key": "k"}
        kwargs: dict[str, Any] = {"json": body} if method in ("POST", "PUT") else {"params": query}
        assert_mlflow_error(api.client.request(method, url, headers={"Authorization": ""}, **kwargs), 401,
                            "UNAUTHENTICATED")
        assert_mlflow_error(api.client.request(method, url, **kwargs), 404, "RESOURCE_DOES_NOT_EXIST")


def test_experiments_by_mlflow_rules(two: tuple[Tracking, Tracking]) -> None:
    one, other = two
    name = "exp-" + uuid.uuid4().hex[:6]
    exp_id = one.ok("POST", "experiments/create", json={"name": name, "tags": [{"key": "team", "value": "a"}]})[
        "experiment_id"]
    assert_mlflow_error(one.call("POST", "experiments/create", json={"name": name}), 400, "RESOURCE_ALREADY_EXISTS")
    assert_mlflow_error(one.call("POST", "experiments/create", json={"name": name + "2", "artifact_location": "s3://b"}),
                        400, "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(one.call("POST", "experiments/create", json={"name": ""}), 400, "INVALID_PARAMETER_VALUE")
    got = one.ok("GET", "experiments/get-by-name", params={"experiment_name": name})["experiment"]
    assert got["experiment_id"] == exp_id and got["tags"] == [{"key": "team", "value": "a"}]
    assert got["artifact_location"] == f"mlflow-artifacts:/{exp_id}"
    assert_mlflow_error(other.call("GET", "experiments/get", params={"experiment_id": exp_id}), 404,
                        "RESOURCE_DOES_NOT_EXIST")
    found = one.ok("POST", "experiments/search", json={"filter": "tags.team = 'a'"})["experiments"]
    assert [e["name"] for e in found] == [name]
    assert_mlflow_error(one.call("POST", "experiments/search", json={"filter": "metrics.x > 1"}), 400,
                        "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(one.call("POST", "experiments/delete", json={"experiment_id": "0"}), 400)


def test_runs_log_and_search_by_mlflow_rules(api: Api, two: tuple[Tracking, Tracking]) -> None:
    one, other = two
    exp_id = one.ok("POST", "experiments/create", json={"name": "runs-" + uuid.uuid4().hex[:6]})["experiment_id"]
    run = one.ok("POST", "runs/create", json={"experiment_id": exp_id, "start_time": "1700000000000",
                                              "tags": [{"key": "mlflow.runName", "value": "first"}]})["run"]
    run_id = run["info"]["run_id"]
    assert run["info"]["run_name"] == "first" and run["info"]["status"] == "RUNNING"
    assert run["info"]["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/{run_id}/artifacts"
    one.ok("POST", "runs/log-batch", json={"run_id": run_id, "params": [{"key": "lr", "value": "0.1"}], "metrics": [
        {"key": "loss", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "loss", "value": 0.5, "timestamp": 2, "step": 1},
        {"key": "acc", "value": "Infinity", "timestamp": 2, "step": 1}]})
    one.ok("POST", "runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"})  # same value: fine
    assert_mlflow_error(one.call("POST", "runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "1"}),
                        400, "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(one.call("POST", "runs/log-metric", json={"run_id": run_id, "key": "../x", "value": 1,
                                                                   "timestamp": 1}), 400)
    data = one.ok("GET", "runs/get", params={"run_id": run_id})["run"]["data"]
    assert {m["key"]: m["value"] for m in data["metrics"]} == {"loss": 0.5, "acc": "Infinity"}
    history = one.ok("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert [m["value"] for m in history] == ["NaN", 0.5]
    search = one.ok("POST", "runs/search", json={"experiment_ids": [exp_id], "filter": "metrics.loss <= 0.5 and "
                                                 "params.lr = '0.1' and attributes.status = 'RUNNING'"})
    assert [r["info"]["run_id"] for r in search["runs"]] == [run_id]
    for bad in ("metrics.loss = 'a'", "params.lr > 1", "tags.a = 'b' OR tags.c = 'd'", "nope = 'x'"):
        assert_mlflow_error(one.call("POST", "runs/search", json={"experiment_ids": [exp_id], "filter": bad}), 400,
                            "INVALID_PARAMETER_VALUE")
    # another workspace cannot read or write the run, and sees none of it in its searches
    assert_mlflow_error(other.call("GET", "runs/get", params={"run_id": run_id}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_mlflow_error(other.call("POST", "runs/log-metric", json={"run_id": run_id, "key": "x", "value": 1,
                                                                     "timestamp": 1}), 404)
    assert other.ok("POST", "runs/search", json={"experiment_ids": [exp_id]}) == {"runs": []}
    one.ok("POST", "runs/update", json={"run_id": run_id, "status": "FINISHED", "end_time": 1700000001000})
    assert_mlflow_error(one.call("POST", "runs/update", json={"run_id": run_id, "status": "DONE"}), 400)


def test_artifacts_are_content_addressed_in_the_workspace_storage(api: Api, two: tuple[Tracking, Tracking]) -> None:
    one, other = two
    run = one.ok("POST", "runs/create", json={"experiment_id": "0"})["run"]["info"]
    base = f"{one.root}/api/2.0/mlflow-artifacts/artifacts/0/{run['run_id']}/artifacts"
    payload = b"model bytes " * 1000
    assert api.client.put(f"{base}/model/weights.bin", content=payload,
                          headers={"Content-Type": "application/x-binary"}).status_code == 200
    digest = hashlib.sha256(payload).hexdigest()
    blob = api.client.get(f"{one.root[len('/mlflow/v1.0'):]}/artifacts/blobs/{digest}?api-version=2024-10-01")
    assert blob.status_code == 200 and blob.content == payload  # the same blob as any workspace artifact
    assert api.client.get(f"{base}/model/weights.bin").content == payload
    listing = api.client.get(f"{one.root}/api/2.0/mlflow-artifacts/artifacts",
                             params={"path": f"0/{run['run_id']}/artifacts"}).json()
    assert listing == {"files": [{"path": "model", "is_dir": True}]}
    for bad in ("../../etc/passwd", "model/../../x"):
        r = api.client.put(f"{base}/{bad}", content=b"x")
        assert r.status_code in (400, 404), r.text
    other_base = base.replace(one.root, other.root)
    assert_mlflow_error(api.client.get(f"{other_base}/model/weights.bin"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_mlflow_error(api.client.put(f"{other_base}/model/evil.bin", content=b"x"), 404)


def test_the_job_runner_service_api(api: Api, two: tuple[Tracking, Tracking]) -> None:
    one, _ = two
    with api.container.deps.uow() as uow:
        ws = uow.workspaces.get(api.sub, one.root.split("/resourceGroups/")[1].split("/")[0], "one")
    assert ws is not None
    jobs = api.container.job_tracking
    experiment = "nightly-" + uuid.uuid4().hex[:4]
    run = jobs.start_job_run(ws.key, experiment, "job-123", "admin@amlite.local")
    one.ok("POST", "runs/log-metric", json={"run_id": run.run_id, "key": "auc", "value": 0.9, "timestamp": 5, "step": 2})
    assert jobs.job_metrics(ws.key, run.run_id) == {"auc": 0.9}
    jobs.end_job_run(ws.key, run.run_id, RunStatus.FINISHED)
    info = one.ok("GET", "runs/get", params={"run_id": run.run_id})["run"]
    assert info["info"]["status"] == "FINISHED" and info["info"]["run_name"] == "job-123"
    assert {"key": "azureml.job", "value": "job-123"} in info["data"]["tags"]
    assert one.ok("GET", "experiments/get-by-name", params={"experiment_name": experiment})["experiment"][
        "experiment_id"] == run.experiment_id
    assert jobs.start_job_run(ws.key, experiment, "job-124", "admin@amlite.local").experiment_id == run.experiment_id


def test_jobs_starting_together_in_a_new_experiment_all_get_their_run(api: Api, two: tuple[Tracking, Tracking]) -> None:
    """Jobs submitted together with a new experiment name race to make it: each gets its run, in
    the one experiment (the loser of the race reads the winner's), and none fails for it."""
    import threading

    one, _ = two
    with api.container.deps.uow() as uow:
        ws = uow.workspaces.get(api.sub, one.root.split("/resourceGroups/")[1].split("/")[0], "one")
    assert ws is not None
    jobs = api.container.job_tracking
    for attempt in range(3):
        experiment = f"together-{attempt}-" + uuid.uuid4().hex[:4]
        start = threading.Barrier(6)
        runs: list[Any] = []
        errors: list[BaseException] = []

        def begin(i: int) -> None:
            start.wait()
            try:
                runs.append(jobs.start_job_run(ws.key, experiment, f"job-{i}", "admin@amlite.local"))
            except BaseException as exc:  # noqa: BLE001 - the assertion below names it
                errors.append(exc)

        threads = [threading.Thread(target=begin, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(runs) == 6
        assert len({r.experiment_id for r in runs}) == 1
