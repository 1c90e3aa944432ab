"""Command jobs through the API in process (SQLite and PostgreSQL): a job whose code and input
are uploaded runs for real, binds its input and output to local paths, leaves its output and log
in the workspace's storage, becomes a model with its job's name; bad jobs change nothing; cancel
ends a running job's process."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from tests.integration.conftest import ML, Api

OCTET = {"Content-Type": "application/octet-stream"}
TRAIN = b"""import argparse, os, pathlib
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--out"); p.add_argument("--alpha")
a = p.parse_args()
rows = pathlib.Path(a.data).read_text().splitlines()
print(f"read {len(rows)} rows, alpha={a.alpha}, greeting={os.environ['GREETING']}")
print("tracking", os.environ["MLFLOW_TRACKING_URI"].split("/mlflow/")[0] != "", os.environ["MLFLOW_RUN_ID"] != "")
pathlib.Path(a.out, "model.txt").write_text(f"weights for {len(rows)} rows\\n")
"""


def upload(api: Api, rg: str, ws: str, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    r = api.request("PUT", f"{api.ws_path(rg, ws)}/artifacts/blobs/{digest}", ML, content=data, headers=OCTET)
    assert r.status_code in (200, 201), r.text
    return {"sha256": digest, "size": len(data)}


@pytest.fixture
def workspace(api: Api, name: str) -> tuple[str, str]:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    r = api.request("PUT", f"{api.ws_path(name, 'ws1')}/environments/plain/versions/1", ML, json={"properties": {
        "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
        "condaFile": {"dependencies": ["python=3.11", "pip", {"pip": []}]}}})
    assert r.status_code in (200, 201), r.text
    return name, "ws1"


def job_body(api: Api, rg: str, ws: str, command: str, **extra: Any) -> dict[str, Any]:
    code = {**upload(api, rg, ws, TRAIN), "path": "src/train.py"}
    data = {**upload(api, rg, ws, b"a,b\n1,2\n3,4\n"), "path": "rows.csv"}
    props = {
        "jobType": "Command", "command": command, "environmentId": "azureml:plain:1", "codeArtifacts": [code],
        "environmentVariables": {"GREETING": "hello"}, "experimentName": "exp1",
        "inputs": {"data": {"jobInputType": "uri_file", "uri": "./rows.csv", "artifacts": [data]},
                   "alpha": {"jobInputType": "literal", "value": "0.5"}},
        "outputs": {"model": {"jobOutputType": "uri_folder"}},
        **extra,
    }
    return {"properties": props}


def wait_for(api: Api, path: str, statuses: tuple[str, ...], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.request("GET", path, ML).json()
        if body["properties"]["status"] in statuses or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


TRAIN_CMD = "python src/train.py --data ${{inputs.data}} --out ${{outputs.model}} --alpha ${{inputs.alpha}}"


def test_a_command_job_runs_and_its_output_becomes_a_model(api: Api, workspace: tuple[str, str]) -> None:
    rg, ws = workspace
    path = f"{api.ws_path(rg, ws)}/jobs/job1"
    created = api.request("PUT", path, ML, json=job_body(api, rg, ws, TRAIN_CMD))
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert props["status"] == "NotStarted" and props["experimentName"] == "exp1"
    assert any("image" in w for w in props["warnings"])  # the image is not run: said, not ignored

    done = wait_for(api, path, ("Completed", "Failed", "Canceled"))
    props = done["properties"]
    assert props["status"] == "Completed", (props.get("error"), api.request("GET", f"{path}/logs", ML).text)
    assert props["outputs"]["model"]["uri"] == "azureml://jobs/job1/outputs/model"
    assert [e["path"] for e in props["outputs"]["model"]["artifacts"]] == ["model.txt"]
    log = api.request("GET", f"{path}/logs", ML)
    assert log.status_code == 200 and log.headers["x-amlite-job-status"] == "Completed"
    assert "read 3 rows, alpha=0.5, greeting=hello" in log.text and "tracking True True" in log.text
    assert api.request("GET", f"{path}/logs?offset=5", ML).text == log.text[5:]

    model = api.request("PUT", f"{api.ws_path(rg, ws)}/models/fromjob/versions/1", ML, json={"properties": {
        "modelUri": "azureml://jobs/job1/outputs/model", "modelType": "custom_model"}})
    assert model.status_code == 201, model.text
    mprops = model.json()["properties"]
    assert mprops["jobName"] == "job1"
    assert [a["path"] for a in mprops["artifacts"]] == ["model/model.txt"]

    listed = api.request("GET", f"{api.ws_path(rg, ws)}/jobs", ML).json()["value"]
    assert [j["name"] for j in listed] == ["job1"]


def test_a_failing_command_fails_the_job_with_its_exit_code(api: Api, workspace: tuple[str, str]) -> None:
    rg, ws = workspace
    path = f"{api.ws_path(rg, ws)}/jobs/bad1"
    r = api.request("PUT", path, ML, json=job_body(api, rg, ws, "echo about to fail; exit 3"))
    assert r.status_code == 201, r.text
    props = wait_for(api, path, ("Completed", "Failed"))["properties"]
    assert props["status"] == "Failed"
    assert props["error"]["code"] == "UserError" and "code 3" in props["error"]["message"]
    assert "about to fail" in api.request("GET", f"{path}/logs", ML).text
    model = api.request("PUT", f"{api.ws_path(rg, ws)}/models/m/versions/1", ML, json={"properties": {
        "modelUri": "azureml://jobs/bad1/outputs/model"}})
    assert model.status_code == 400 and model.json()["error"]["code"] == "JobOutputNotReady"


@pytest.mark.parametrize("change, code, target", [
    ({"command": "python x.py ${{inputs.nope}}"}, "InvalidRequestContent", "properties.command"),
    ({"environmentId": "azureml:missing:1"}, "AssetReferenceNotFound", "properties.environmentId"),
    ({"jobType": "Sweep"}, "InvalidRequestContent", "properties.jobType"),
    ({"codeId": "/subscriptions/x/codes/y/versions/1"}, "InvalidRequestContent", "properties.codeId"),
    ({"environmentVariables": {"MLFLOW_RUN_ID": "x"}}, "InvalidRequestContent",
     "properties.environmentVariables.MLFLOW_RUN_ID"),
    ({"inputs": {"data": {"jobInputType": "uri_folder", "uri": "azureml://datastores/workspaceblobstore/paths/x"},
                 "alpha": {"jobInputType": "literal", "value": 1}}},
     "InputNotSupported", "properties.inputs.data.uri"),
    ({"resources": {"instanceCount": "2"}}, "InvalidRequestContent", "properties.resources.instanceCount"),
    ({"resources": {"instanceCount": 0}}, "InvalidRequestContent", "properties.resources.instanceCount"),
    ({"resources": [2]}, "InvalidRequestContent", "properties.resources"),
])
def test_bad_jobs_are_refused_and_change_nothing(api: Api, workspace: tuple[str, str], change: dict[str, Any],
                                                  code: str, target: str) -> None:
    rg, ws = workspace
    body = job_body(api, rg, ws, TRAIN_CMD)
    body["properties"].update(change)
    before = api.snapshot()
    r = api.request("PUT", f"{api.ws_path(rg, ws)}/jobs/refused", ML, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["target"] == target
    assert api.snapshot() == before


def test_cancel_ends_a_running_job(api: Api, workspace: tuple[str, str]) -> None:
    rg, ws = workspace
    path = f"{api.ws_path(rg, ws)}/jobs/sleepy"
    r = api.request("PUT", path, ML, json=job_body(api, rg, ws, "echo started; sleep 300"))
    assert r.status_code == 201, r.text
    wait_for(api, path, ("Running",))
    deadline = time.monotonic() + 20
    while "started" not in api.request("GET", f"{path}/logs", ML).text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.request("POST", f"{path}/cancel", ML).status_code == 202
    props = wait_for(api, path, ("Canceled", "Failed", "Completed"), timeout=30)["properties"]
    assert props["status"] == "Canceled"
    assert "started" in api.request("GET", f"{path}/logs", ML).text
    archived = api.request("PUT", path, ML, json={"properties": {"isArchived": True}})
    assert archived.status_code == 200 and archived.json()["properties"]["isArchived"] is True
    assert api.request("GET", f"{api.ws_path(rg, ws)}/jobs", ML).json()["value"] == []
    assert api.request("DELETE", path, ML).status_code == 200
    assert api.request("GET", path, ML).status_code == 404


def component(api: Api, rg: str, ws: str, name: str, spec: dict[str, Any]) -> None:
    r = api.request("PUT", f"{api.ws_path(rg, ws)}/components/{name}/versions/1", ML, json={"properties": {
        "componentSpec": {"name": name, "version": "1", "type": "command", "environment": "azureml:plain:1", **spec}}})
    assert r.status_code in (200, 201), r.text


PIPE_STEPS = {
    "a": {"componentId": "azureml:make:1", "inputs": {"n": "${{parent.inputs.count}}"}},
    "b": {"componentId": "azureml:copy:1", "inputs": {"src": "${{parent.jobs.a.outputs.out}}"},
          "outputs": {"out": "${{parent.outputs.final}}"}},
}


@pytest.mark.parametrize("change, target", [
    ({"jobs": {**PIPE_STEPS, "a": {**PIPE_STEPS["a"], "inputs": {"n": "${{parent.jobs.b.outputs.out}}"}}}},
     "properties.jobs"),  # a cycle
    ({"jobs": {**PIPE_STEPS, "b": {**PIPE_STEPS["b"], "componentId": "azureml:nope:1"}}}, "properties.jobs.b.componentId"),
    ({"jobs": {**PIPE_STEPS, "a": {"componentId": "azureml:make:1", "inputs": {"m": "1"}}}}, "properties.jobs.a.inputs.m"),
    ({"jobs": {**PIPE_STEPS, "a": {"componentId": "azureml:make:1"}}}, "properties.jobs.a.inputs.n"),
    ({"outputs": {}}, "properties.jobs.b.outputs.out"),
    ({"jobs": {}}, "properties.jobs"),
])
def test_bad_pipelines_are_refused(api: Api, workspace: tuple[str, str], change: dict[str, Any], target: str) -> None:
    rg, ws = workspace
    component(api, rg, ws, "make", {"command": "seq ${{inputs.n}} > ${{outputs.out}}/n.txt",
                                    "inputs": {"n": {"type": "integer"}}, "outputs": {"out": {"type": "uri_folder"}}})
    component(api, rg, ws, "copy", {"command": "cp -r ${{inputs.src}}/. ${{outputs.out}}",
                                    "inputs": {"src": {"type": "uri_folder"}}, "outputs": {"out": {"type": "uri_folder"}}})
    body = {"properties": {"jobType": "Pipeline", "inputs": {"count": {"jobInputType": "literal", "value": "3"}},
                           "outputs": {"final": {"jobOutputType": "uri_folder"}}, "jobs": PIPE_STEPS, **change}}
    before = api.snapshot()
    r = api.request("PUT", f"{api.ws_path(rg, ws)}/jobs/pipe-bad", ML, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["target"] == target, r.text
    assert api.snapshot() == before


def test_a_pipeline_runs_through_the_api(api: Api, workspace: tuple[str, str]) -> None:
    rg, ws = workspace
    component(api, rg, ws, "make", {"command": "seq ${{inputs.n}} > ${{outputs.out}}/n.txt",
                                    "inputs": {"n": {"type": "integer"}}, "outputs": {"out": {"type": "uri_folder"}}})
    component(api, rg, ws, "copy", {"command": "cp -r ${{inputs.src}}/. ${{outputs.out}}",
                                    "inputs": {"src": {"type": "uri_folder"}}, "outputs": {"out": {"type": "uri_folder"}}})
    path = f"{api.ws_path(rg, ws)}/jobs/pipe1"
    body = {"properties": {"jobType": "Pipeline", "inputs": {"count": {"jobInputType": "literal", "value": "3"}},
                           "outputs": {"final": {"jobOutputType": "uri_folder"}}, "jobs": PIPE_STEPS}}
    assert api.request("PUT", path, ML, json=body).status_code == 201
    props = wait_for(api, path, ("Completed", "Failed", "Canceled"))["properties"]
    assert props["status"] == "Completed", props
    files = props["outputs"]["final"]["artifacts"]
    assert [f["path"] for f in files] == ["n.txt"] and files[0]["size"] == len(b"1\n2\n3\n")
    child = api.request("GET", f"{api.ws_path(rg, ws)}/jobs/pipe1_b", ML).json()["properties"]
    assert child["status"] == "Completed" and child["properties"]["azureml.pipeline"] == "pipe1"
    assert child["inputs"]["src"]["uri"] == "azureml://jobs/pipe1_a/outputs/out"


def test_more_pipelines_than_workers_all_run(api: Api, workspace: tuple[str, str]) -> None:
    """Six pipelines at once, more than the server's worker threads: a pipeline looks at its steps
    and lets its worker go while they run, so the steps get workers and every pipeline ends."""
    rg, ws = workspace
    component(api, rg, ws, "make", {"command": "seq ${{inputs.n}} > ${{outputs.out}}/n.txt",
                                    "inputs": {"n": {"type": "integer"}}, "outputs": {"out": {"type": "uri_folder"}}})
    component(api, rg, ws, "copy", {"command": "cp -r ${{inputs.src}}/. ${{outputs.out}}",
                                    "inputs": {"src": {"type": "uri_folder"}}, "outputs": {"out": {"type": "uri_folder"}}})
    body = {"properties": {"jobType": "Pipeline", "inputs": {"count": {"jobInputType": "literal", "value": "2"}},
                           "outputs": {"final": {"jobOutputType": "uri_folder"}}, "jobs": PIPE_STEPS}}
    paths = [f"{api.ws_path(rg, ws)}/jobs/many{i}" for i in range(6)]
    for path in paths:
        assert api.request("PUT", path, ML, json=body).status_code == 201
    deadline = time.monotonic() + 90  # for all six: pipelines holding every worker would wait for ever
    ended = [wait_for(api, path, ("Completed", "Failed", "Canceled"), timeout=max(0.0, deadline - time.monotonic()))[
        "properties"] for path in paths]
    assert [e["status"] for e in ended] == ["Completed"] * 6, ended


def test_canceling_a_pipeline_cancels_its_running_step(api: Api, workspace: tuple[str, str]) -> None:
    rg, ws = workspace
    component(api, rg, ws, "nap", {"command": "echo napping; sleep 300", "outputs": {"out": {"type": "uri_folder"}}})
    component(api, rg, ws, "after", {"command": "ls ${{inputs.src}}", "inputs": {"src": {"type": "uri_folder"}}})
    path = f"{api.ws_path(rg, ws)}/jobs/pipe-nap"
    body = {"properties": {"jobType": "Pipeline", "jobs": {
        "first": {"componentId": "azureml:nap:1"},
        "second": {"componentId": "azureml:after:1", "inputs": {"src": "${{parent.jobs.first.outputs.out}}"}}}}}
    assert api.request("PUT", path, ML, json=body).status_code == 201
    child = f"{api.ws_path(rg, ws)}/jobs/pipe-nap_first"
    deadline = time.monotonic() + 30
    while api.request("GET", child, ML).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.1)
    wait_for(api, child, ("Running",))
    assert api.request("POST", f"{path}/cancel", ML).status_code == 202
    assert wait_for(api, path, ("Canceled", "Failed", "Completed"), timeout=30)["properties"]["status"] == "Canceled"
    assert wait_for(api, child, ("Canceled", "Failed", "Completed"), timeout=30)["properties"]["status"] == "Canceled"
    assert api.request("GET", f"{api.ws_path(rg, ws)}/jobs/pipe-nap_second", ML).status_code == 404


def test_deleting_the_workspace_ends_its_running_job(api: Api, name: str, tmp_path: Any) -> None:
    import os

    api.create_group(name)
    api.create_workspace(name, "gone")
    r = api.request("PUT", f"{api.ws_path(name, 'gone')}/environments/plain/versions/1", ML, json={"properties": {
        "image": "python:3.11"}})
    assert r.status_code == 201, r.text
    pidfile = tmp_path / "pid"
    path = f"{api.ws_path(name, 'gone')}/jobs/doomed"
    body = {"properties": {"jobType": "Command", "environmentId": "azureml:plain:1",
                           "command": f"echo $$ > {pidfile}; exec sleep 300"}}
    assert api.request("PUT", path, ML, json=body).status_code == 201
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pidfile.read_text())
    api.wait(api.request("DELETE", api.ws_path(name, "gone"), ML))

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.monotonic() + 20
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()


def test_pip_dependencies_are_installed_and_a_failed_install_fails_the_job(
        api: Api, workspace: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """With no index to reach (PIP_NO_INDEX), a requirement the server's environment satisfies is
    installed from there, and one nobody has fails the job with pip's words in its log."""
    rg, ws = workspace
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    for name, pip in (("has-yaml", ["PyYAML"]), ("has-nothing", ["surely-not-a-package-amlite==9.9"])):
        r = api.request("PUT", f"{api.ws_path(rg, ws)}/environments/{name}/versions/1", ML, json={"properties": {
            "image": "python:3.11", "condaFile": {"dependencies": [{"pip": pip}]}}})
        assert r.status_code == 201, r.text
    ok_path = f"{api.ws_path(rg, ws)}/jobs/pip-ok"
    body = {"properties": {"jobType": "Command", "environmentId": "azureml:has-yaml:1",
                           "command": "python -c 'import yaml, sys; print(\"yaml from\", sys.prefix)'"}}
    assert api.request("PUT", ok_path, ML, json=body).status_code == 201
    assert wait_for(api, ok_path, ("Completed", "Failed"))["properties"]["status"] == "Completed"
    assert "yaml from" in api.request("GET", f"{ok_path}/logs", ML).text

    bad_path = f"{api.ws_path(rg, ws)}/jobs/pip-bad"
    body["properties"]["environmentId"] = "azureml:has-nothing:1"
    assert api.request("PUT", bad_path, ML, json=body).status_code == 201
    props = wait_for(api, bad_path, ("Completed", "Failed"))["properties"]
    assert props["status"] == "Failed" and props["error"]["code"] == "EnvironmentBuildFailed", props
    assert "surely-not-a-package-amlite" in api.request("GET", f"{bad_path}/logs", ML).text


def test_a_job_whose_task_gives_up_fails_with_its_mlflow_run(api: Api, workspace: tuple[str, str]) -> None:
    """The hook the task engine calls when the job's task has used up its attempts (a runner that
    fails on every try) ends the job and its MLflow run together."""
    from amlite.services.jobs import JOB_TASK

    rg, ws = workspace
    path = f"{api.ws_path(rg, ws)}/jobs/given-up"
    r = api.request("PUT", path, ML, json=job_body(api, rg, ws, "echo started; sleep 2"))
    assert r.status_code == 201, r.text
    run_id = wait_for(api, path, ("Running",))["properties"]["mlflowRunId"]
    deadline = time.monotonic() + 20  # the command runs once the job's MLflow run exists
    while "started" not in api.request("GET", f"{path}/logs", ML).text and time.monotonic() < deadline:
        time.sleep(0.1)
    c = api.container
    with c.deps.uow(write=True) as uow:
        found = uow.workspaces.get(api.sub, rg, ws)
        job = uow.jobs.get(found.key, "given-up") if found is not None else None
        assert job is not None
        task = uow.tasks.of_subjects(JOB_TASK, [job.key])[job.key][0]
        c.job_runs._task_failed(uow, task.failed(c.deps.clock.now(), "the runner failed three times"))
        uow.commit()
    props = wait_for(api, path, ("Failed",))["properties"]
    assert props["status"] == "Failed" and props["error"]["code"] == "JobRunnerError"
    assert "the runner failed three times" in props["error"]["message"]
    with c.deps.uow() as uow:
        run = uow.tracking.run(job.workspace_key, run_id)  # type: ignore[attr-defined]
    assert run is not None and run.status.value == "FAILED" and run.end_time is not None


def test_a_started_job_whose_ray_compute_was_deleted_meanwhile_says_what_became_of_its_ray_job(
        api: Api, workspace: tuple[str, str], tmp_path: Any) -> None:
    """What a restarted server makes of a started job whose Ray compute was deleted while it was
    down. Stand-ins, as the real scene needs a server killed under a Ray job and a second server
    deleting the compute: the job's task handler run again while the job is started (the restart);
    a cluster's node running the command, with the tags the Ray backend sets on the job's MLflow run
    before it submits, naming a cluster that no longer answers. The job fails ``JobInterrupted``
    saying the Ray compute was deleted and that its Ray job could not be stopped, with how to."""
    import socket

    from amlite.services.job_runs import RAY_ADDRESS_TAG, RAY_SUBMISSION_TAG
    from amlite.services.jobs import JOB_TASK

    rg, ws = workspace
    base = api.ws_path(rg, ws)
    r = api.request("PUT", f"{base}/computes/gone", ML, json={"location": "eastus", "properties": {
        "computeType": "AmlCompute", "properties": {"vmSize": "Standard_DS3_v2",
                                                    "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 1}}}})
    assert r.status_code == 201, r.text
    assert wait_for_compute(api, f"{base}/computes/gone", present=True)
    stop = tmp_path / "stop"
    path = f"{base}/jobs/orphaned"
    r = api.request("PUT", path, ML, json=job_body(
        api, rg, ws, f"echo started; while [ ! -e '{stop}' ]; do sleep 0.1; done", computeId="azureml:gone"))
    assert r.status_code == 201, r.text
    try:
        run_id = wait_for(api, path, ("Running",))["properties"]["mlflowRunId"]
        c = api.container
        with c.deps.uow() as uow:
            found = uow.workspaces.get(api.sub, rg, ws)
            job = uow.jobs.get(found.key, "orphaned") if found is not None else None
            assert job is not None
            task = uow.tasks.of_subjects(JOB_TASK, [job.key])[job.key][0]
        with socket.socket() as sock:  # a port nothing listens on: the cluster went with its compute
            sock.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
        sid = f"amlite-{job.key}"
        for key, value in ((RAY_ADDRESS_TAG, dead), (RAY_SUBMISSION_TAG, sid)):
            tagged = api.client.post(f"/mlflow/v1.0{base}/api/2.0/mlflow/runs/set-tag",
                                     json={"run_id": run_id, "key": key, "value": value})
            assert tagged.status_code == 200, tagged.text
        assert api.request("DELETE", f"{base}/computes/gone", ML).status_code in (200, 202, 204)
        assert wait_for_compute(api, f"{base}/computes/gone", present=False)

        c.job_runs.run(task)
        props = wait_for(api, path, ("Failed",))["properties"]
        assert props["status"] == "Failed" and props["error"]["code"] == "JobInterrupted", props
        message = props["error"]["message"]
        assert "Ray compute 'gone' was deleted" in message and f"its Ray job '{sid}' at {dead} could not be stopped" \
            in message and f"ray job stop {sid}" in message, message
        assert "processes were ended" not in message
    finally:
        stop.touch()  # the stand-in command ends


def wait_for_compute(api: Api, path: str, *, present: bool, timeout: float = 20.0) -> bool:
    """True once the compute is provisioned (``present``) or gone (not ``present``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.request("GET", path, ML)
        if present and r.status_code == 200 and r.json()["properties"]["provisioningState"] == "Succeeded":
            return True
        if not present and r.status_code == 404:
            return True
        time.sleep(0.05)
    return False


def test_a_jobs_token_lasts_as_long_as_the_job_and_ends_with_it(
        api: Api, workspace: tuple[str, str], tmp_path: Any) -> None:
    """The token a job's own calls carry (``MLFLOW_TRACKING_TOKEN``, and the Ray runner's) is the
    job's: valid beyond a user token's hour while the job runs, refused once the job has ended."""
    import jwt

    rg, ws = workspace
    base = api.ws_path(rg, ws)
    kept, stop = tmp_path / "token", tmp_path / "stop"
    path = f"{base}/jobs/holds-a-token"
    command = f"echo \"$MLFLOW_TRACKING_TOKEN\" > '{kept}'; while [ ! -e '{stop}' ]; do sleep 0.1; done"
    r = api.request("PUT", path, ML, json=job_body(api, rg, ws, command))
    assert r.status_code == 201, r.text
    try:
        wait_for(api, path, ("Running",))
        deadline = time.monotonic() + 20
        while not (kept.exists() and kept.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.1)
        token = kept.read_text().strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] > 24 * 3600, claims  # not a user token's hour
        as_job = {"Authorization": f"Bearer {token}"}
        assert api.client.get(api.url(base, ML), headers=as_job).status_code == 200
        for _ in range(2):  # the second admission is remembered (``Authorizer.admit``)
            assert api.client.get(api.url(f"{base}/models", ML), headers=as_job).status_code == 200
    finally:
        stop.touch()
    assert wait_for(api, path, ("Completed", "Failed"))["properties"]["status"] == "Completed"
    refused = api.client.get(api.url(base, ML), headers=as_job)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "ExpiredAuthenticationToken", refused.text
    # A job ending is no access change: a remembered admission still checks the job.
    refused = api.client.get(api.url(f"{base}/models", ML), headers=as_job)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "ExpiredAuthenticationToken", refused.text
