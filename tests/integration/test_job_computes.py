"""Jobs on computes and their MLflow runs, through the API in process (SQLite and PostgreSQL): a
job names a compute of its workspace or is refused; a cluster of one node runs two jobs one after
the other (the second waits Queued); a job's MLflow run is the one its ``mlflowRunId`` names, ends
with the job's status, and ``job show`` lists its latest metrics. Node leases are short here (1.5 s),
so the jobs, which run longer, hold their nodes only by renewing them; a job whose compute is
deleted under it loses its node and fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import build
from amlite.config import Settings
from amlite.domain.tracking import RunStatus
from tests.integration.conftest import ML, Api

SLEEP = 'python -c "import time; time.sleep(4)"'  # longer than a node lease: held by renewing it


@pytest.fixture(scope="module")
def api(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The conftest's server, with node leases short enough to run out within a job."""
    tmp = tmp_path_factory.mktemp("amlite")
    config = tmp / "amlite.yaml"
    config.write_text("worker_poll_seconds: 0.05\noperation_lease_seconds: 5\nnode_slot_lease_seconds: 1.5\n")
    container = build(Settings.load(data_dir=tmp / "data", db_url=backend, config_file=config, port=8600, env={}))
    creds = json.loads(container.settings.credentials_file.read_text())
    with TestClient(create_app(container), base_url="http://127.0.0.1:8600") as client:
        token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield Api(client, container, creds["subscriptionId"], creds["tenantId"], token, creds)
    container.close()


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    path = api.ws_path(name, "ws1")
    r = api.request("PUT", f"{path}/environments/plain/versions/1", ML, json={"properties": {
        "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"}})
    assert r.status_code in (200, 201), r.text
    return path


def make_cluster(api: Api, ws: str, compute: str, max_nodes: int) -> None:
    r = api.request("PUT", f"{ws}/computes/{compute}", ML, json={"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {
            "vmSize": "Standard_DS3_v2", "scaleSettings": {"minNodeCount": 0, "maxNodeCount": max_nodes}}}})
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 20
    while api.request("GET", f"{ws}/computes/{compute}", ML).json()["properties"]["provisioningState"] == "Creating":
        assert time.monotonic() < deadline, "the compute was not created"
        time.sleep(0.05)


def job(command: str, **extra: Any) -> dict[str, Any]:
    return {"properties": {"jobType": "Command", "command": command, "environmentId": "azureml:plain:1",
                           "experimentName": "exp-computes", **extra}}


def status_of(api: Api, path: str) -> dict[str, Any]:
    r = api.request("GET", path, ML)
    assert r.status_code == 200, r.text
    return r.json()["properties"]  # type: ignore[no-any-return]


def wait_for(api: Api, path: str, statuses: tuple[str, ...], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        props = status_of(api, path)
        if props["status"] in statuses or time.monotonic() > deadline:
            return props
        time.sleep(0.05)


def test_a_job_on_a_compute_the_workspace_lacks_is_refused_and_nothing_is_created(api: Api, ws: str) -> None:
    r = api.request("PUT", f"{ws}/jobs/nowhere", ML, json=job("echo hi", computeId="azureml:gpu-cluster"))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "ComputeNotFound" and "'gpu-cluster'" in error["message"]
    assert api.request("GET", f"{ws}/jobs/nowhere", ML).status_code == 404
    r = api.request("PUT", f"{ws}/jobs/bad", ML, json=job("echo hi", computeId="azureml:a/b"))
    assert r.status_code == 400 and api.request("GET", f"{ws}/jobs/bad", ML).status_code == 404


def test_a_cluster_of_one_node_runs_two_jobs_one_after_the_other(api: Api, ws: str) -> None:
    make_cluster(api, ws, "one", max_nodes=1)
    compute_id = f"{ws}/computes/one"  # azure-ai-ml sends the ARM id; amlite's sdk sends azureml:one
    r = api.request("PUT", f"{ws}/jobs/first", ML, json=job(SLEEP, computeId="azureml:one"))
    assert r.status_code == 201, r.text
    assert not any("compute" in w for w in r.json()["properties"]["warnings"])  # honoured: nothing to warn of
    first = wait_for(api, f"{ws}/jobs/first", ("Running", "Failed", "Completed"))
    assert first["status"] == "Running", first
    r = api.request("PUT", f"{ws}/jobs/second", ML, json=job(SLEEP, computeId=compute_id))
    assert r.status_code == 201, r.text
    nodes = api.request("POST", f"{ws}/computes/one/listNodes", ML).json()["nodes"]
    assert [(n["nodeState"], n["runId"]) for n in nodes] == [("running", "first")]  # Azure's runId: the job's name
    # while the first holds the only node, the second waits Queued
    while status_of(api, f"{ws}/jobs/first")["status"] == "Running":
        second = status_of(api, f"{ws}/jobs/second")
        assert second["status"] in ("NotStarted", "Queued"), second
        time.sleep(0.2)
    assert status_of(api, f"{ws}/jobs/second")["status"] in ("NotStarted", "Queued", "Preparing", "Running", "Completed")
    first = wait_for(api, f"{ws}/jobs/first", ("Completed", "Failed"))
    second = wait_for(api, f"{ws}/jobs/second", ("Completed", "Failed", "Canceled"))
    assert first["status"] == second["status"] == "Completed", (first, second)
    assert second["startTime"] >= first["endTime"]
    assert api.request("POST", f"{ws}/computes/one/listNodes", ML).json()["nodes"] == []  # the node is free again


def test_jobs_waiting_for_a_node_hold_no_worker(api: Api, ws: str) -> None:
    """More jobs wait for the one node than the server has worker threads: their tasks go back to
    the queue while they wait (only the running job's task is claimed, so the workers stay free
    for other work), and every job runs in turn."""
    from amlite.services.jobs import JOB_TASK

    make_cluster(api, ws, "narrow", max_nodes=1)
    names = [f"queue-{i}" for i in range(6)]
    for name in names:
        r = api.request("PUT", f"{ws}/jobs/{name}", ML, json=job('python -c "import time; time.sleep(1)"',
                                                                  computeId="azureml:narrow"))
        assert r.status_code == 201, r.text
    assert wait_for(api, f"{ws}/jobs/queue-0", ("Running", "Failed"))["status"] == "Running"
    # The other five wait Queued with their tasks back in the queue, claimed only for the moment
    # it takes to look for a node: a waiting job that held its worker would leave at most
    # 6 - 4 (workers) = 2 tasks pending.
    deadline, seen = time.monotonic() + 5, []
    while time.monotonic() < deadline:
        with api.container.deps.uow() as uow:
            states = uow.tasks.count_by_state(JOB_TASK)
        seen.append(states)
        if states.get("Pending", 0) >= 4:
            break
        time.sleep(0.02)
    assert seen[-1].get("Pending", 0) >= 4, seen
    ended = [wait_for(api, f"{ws}/jobs/{name}", ("Completed", "Failed", "Canceled"), timeout=90) for name in names]
    assert [e["status"] for e in ended] == ["Completed"] * 6, ended
    spans = sorted((e["startTime"], e["endTime"]) for e in ended)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans  # one node: one job at a time


def test_a_job_waiting_for_a_node_can_be_canceled_and_a_failed_job_frees_its_node(api: Api, ws: str) -> None:
    make_cluster(api, ws, "solo", max_nodes=1)
    r = api.request("PUT", f"{ws}/jobs/fails", ML, json=job('python -c "import time; time.sleep(2); raise SystemExit(3)"',
                                                            computeId="azureml:solo"))
    assert r.status_code == 201, r.text
    assert wait_for(api, f"{ws}/jobs/fails", ("Running", "Failed"))["status"] == "Running"
    r = api.request("PUT", f"{ws}/jobs/waits", ML, json=job("echo never", computeId="azureml:solo"))
    assert r.status_code == 201, r.text
    assert wait_for(api, f"{ws}/jobs/waits", ("Queued",), timeout=10)["status"] == "Queued"
    assert api.request("POST", f"{ws}/jobs/waits/cancel", ML).status_code in (200, 202)
    assert wait_for(api, f"{ws}/jobs/waits", ("Canceled",), timeout=10)["status"] == "Canceled"
    assert wait_for(api, f"{ws}/jobs/fails", ("Failed", "Completed"))["status"] == "Failed"
    r = api.request("PUT", f"{ws}/jobs/after", ML, json=job("echo ran", computeId="azureml:solo"))
    assert r.status_code == 201, r.text
    assert wait_for(api, f"{ws}/jobs/after", ("Completed", "Failed"))["status"] == "Completed"


def test_a_job_whose_compute_is_deleted_under_it_loses_its_node_and_fails(api: Api, ws: str) -> None:
    make_cluster(api, ws, "doomed", max_nodes=1)
    r = api.request("PUT", f"{ws}/jobs/orphaned", ML, json=job('python -c "import time; time.sleep(60)"',
                                                               computeId="azureml:doomed"))
    assert r.status_code == 201, r.text
    assert wait_for(api, f"{ws}/jobs/orphaned", ("Running", "Failed"))["status"] == "Running"
    assert api.request("DELETE", f"{ws}/computes/doomed?underlyingResourceAction=Delete", ML).status_code == 202
    props = wait_for(api, f"{ws}/jobs/orphaned", ("Failed", "Completed", "Canceled"), timeout=20)
    assert props["status"] == "Failed" and props["error"]["code"] == "ComputeNodeLost", props
    assert "'doomed'" in props["error"]["message"]


def test_a_jobs_mlflow_run_ends_with_the_job_and_job_show_lists_its_metrics(api: Api, ws: str) -> None:
    r = api.request("PUT", f"{ws}/jobs/tracked", ML, json=job("echo tracked"))
    assert r.status_code == 201, r.text
    props = wait_for(api, f"{ws}/jobs/tracked", ("Completed", "Failed"))
    assert props["status"] == "Completed", props
    run_id = props["mlflowRunId"]
    tracking = api.container.job_tracking
    workspace_key = _workspace_key(api, ws)
    run = tracking.job_run(workspace_key, run_id)
    assert run.status is RunStatus.FINISHED and run.end_time is not None and run.run_name == "tracked"
    assert dict(run.tags)["azureml.job"] == "tracked"
    # a metric logged to the run through the workspace's MLflow API shows in job show
    base = f"/mlflow/v1.0{ws}/api/2.0/mlflow"
    r = api.client.post(f"{base}/runs/log-metric", json={"run_id": run_id, "key": "accuracy", "value": 0.9,
                                                         "timestamp": 1, "step": 0})
    assert r.status_code == 200, r.text
    assert status_of(api, f"{ws}/jobs/tracked")["metrics"] == {"accuracy": 0.9}
    failed = api.request("PUT", f"{ws}/jobs/broken", ML, json=job("exit 4"))
    assert failed.status_code == 201
    props = wait_for(api, f"{ws}/jobs/broken", ("Completed", "Failed"))
    assert props["status"] == "Failed" and "metrics" not in props
    assert tracking.job_run(workspace_key, props["mlflowRunId"]).status is RunStatus.FAILED


def _workspace_key(api: Api, ws: str) -> str:
    rg, name = ws.split("/resourceGroups/")[1].split("/")[0], ws.rsplit("/", 1)[1]
    with api.container.deps.uow() as uow:
        found = uow.workspaces.get(api.sub, rg, name)
    assert found is not None
    return found.key
