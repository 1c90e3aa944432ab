"""Failover and failback of workspace pairs through the API (issue 15, behaviour 4): the refusals,
each with its code and nothing changed; who may switch; the report's shape (RTO, what was not
copied per kind); the primary's running job resubmitted to the secondary (jobs hot) or reported
not recovered (jobs hot-cold with the primary's storage down), its MLflow run ended with it; a
running pipeline resubmitted whole (its steps run anew in the secondary), and one the outage ended
through a step; a version made in the secondary copied back by the failback; the automatic
failover's health check; a switch longer than the wait (202), and one that gives up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from amlite.domain.failover import FAILED_OVER, PAIR_FAILOVER
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token
from tests.integration.test_jobs import upload, wait_for
from tests.integration.test_outage_drills import fail, restore
from tests.integration.test_registry_assets import model_body
from tests.integration.test_registry_assets import upload as upload_blob
from tests.integration.test_workspace_pairs import PAIRS, make_pair, wait_copied


@pytest.fixture
def drill(api: Api) -> Iterator[None]:
    """Every region restored after the test, whatever it failed."""
    yield
    for region in ("eastus", "westus"):
        restore(api, region)


@pytest.fixture
def two(api: Api, name: str) -> tuple[str, str]:
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    return api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")


def switch(api: Api, pair: str, action: str, **kw: Any) -> Any:
    return api.request("POST", f"{PAIRS}/{pair}/{action}", ML, **kw)


def shown(api: Api, pair: str) -> dict[str, Any]:
    body: dict[str, Any] = api.request("GET", f"{PAIRS}/{pair}", ML).json()["properties"]
    return body


def test_failover_reports_rto_and_rpo_and_failback_copies_back(api: Api, name: str, two: Any, drill: None) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    data = b"weights " * 100
    digest = upload_blob(api, primary, data)
    assert api.request("PUT", f"{primary}/models/m/versions/1", ML, json=model_body(digest, len(data))).status_code == 201
    env = {"properties": {"image": "python:3.11", "osType": "Linux"}}
    assert api.request("PUT", f"{primary}/environments/e/versions/1", ML, json=env).status_code == 201
    assert make_pair(api, pair, primary, secondary, "hot-hot", per_kind={"environments": "hot-cold"}).status_code == 201
    wait_copied(api, pair, "models")
    assert shown(api, pair)["activeSide"] == "primary" and shown(api, pair)["activeWorkspaceId"] == primary
    assert fail(api, "eastus").status_code == 200
    r = switch(api, pair, "failover")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["status"] == "Succeeded" and report["action"] == "failover" and report["number"] == 1
    assert report["fromWorkspaceId"] == primary and report["toWorkspaceId"] == secondary
    assert isinstance(report["rtoSeconds"], float) and report["rtoSeconds"] >= 0
    assert report["rtoSinceRegionFailureSeconds"] >= report["rtoSeconds"]
    assert report["notCopied"]["models"] == []  # hot: copied ahead
    assert [v["name"] for v in report["notCopied"]["environments"]] == ["e"]  # hot-cold: the RPO
    assert report["jobs"] == [] and report["notRecovered"] == [] and report["steps"] == {"endpoints": []}
    props = shown(api, pair)
    assert props["activeSide"] == "secondary" and props["activeWorkspaceId"] == secondary
    assert props["failovers"] == [report]
    # refusals while failed over: each its code, nothing changed
    before = api.snapshot()
    again = switch(api, pair, "failover")
    assert again.status_code == 409 and again.json()["error"]["code"] == "PairAlreadyFailedOver", again.text
    back = switch(api, pair, "failback")
    assert back.status_code == 409 and back.json()["error"]["code"] == "PrimaryRegionUnavailable", back.text
    assert api.snapshot() == before
    # made in the secondary meanwhile: copied back into the primary at the failback
    assert api.request("PUT", f"{secondary}/models/m/versions/2", ML,
                       json=model_body(digest, len(data))).status_code == 201
    assert restore(api, "eastus").status_code == 200
    r = switch(api, pair, "failback")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["status"] == "Succeeded" and report["action"] == "failback" and report["number"] == 2
    assert report["fromWorkspaceId"] == secondary and report["toWorkspaceId"] == primary
    assert report["notCopied"] == {"models": [], "environments": [], "components": [], "data": []}
    assert [(v["kind"], v["name"], v["version"]) for v in report["copiedBack"]] == [("models", "m", "2")]
    assert report["notRecovered"] == [] and report["jobsLeftInSecondary"] == []
    assert api.request("GET", f"{primary}/models/m/versions/2", ML).status_code == 200
    props = shown(api, pair)
    assert props["activeSide"] == "primary" and [f["action"] for f in props["failovers"]] == ["failover", "failback"]
    nothing = switch(api, pair, "failback")
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "PairNotFailedOver", nothing.text


def test_a_switch_longer_than_the_wait_answers_202_and_one_that_gives_up_is_kept_failed(
        api: Api, name: str, two: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    assert make_pair(api, pair, primary, secondary, "hot-cold").status_code == 201
    c = api.container
    monkeypatch.setattr(c.failover, "wait", timedelta(seconds=0.2))
    c.worker.stop()  # the switch cannot run: the wait is shorter than it
    try:
        r = switch(api, pair, "failover")
        assert r.status_code == 202 and r.json() == {"number": 1, "action": "failover", "status": "InProgress"}, r.text
        assert r.headers["Location"].startswith(f"{PAIRS}/{pair}?") and r.headers["Retry-After"] == "1"
        assert shown(api, pair)["activeSide"] == "primary" and shown(api, pair)["failovers"] == []
        busy = switch(api, pair, "failover")
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "PairSwitchInProgress", busy.text
        # its attempts used up (a worker that died on each): the switch fails for good, the pair stays
        with c.deps.uow(write=True) as uow:
            [task] = uow.tasks.unfinished(PAIR_FAILOVER)
            uow.tasks.save(replace(task, attempts=10_000))
            uow.commit()
        for _ in range(100):  # the engine runs due tasks in order: until it reaches the switch's
            with c.deps.uow() as uow:
                if uow.tasks.get(task.key).state.value == "Failed":  # type: ignore[union-attr]
                    break
            assert c.tasks.run_next("w1")
    finally:
        c.worker.start()
    props = shown(api, pair)
    [failed] = props["failovers"]
    assert failed["number"] == 1 and failed["status"] == "Failed" and "attempts" in failed["error"], failed
    assert props["activeSide"] == "primary" and props["activeWorkspaceId"] == primary
    # the next failover is asked for afresh, and lands in the history once done
    r = switch(api, pair, "failover")
    if r.status_code == 202:
        assert r.json()["status"] == "InProgress" and r.json()["number"] == 2, r.text
        deadline = time.monotonic() + 30
        while len(shown(api, pair)["failovers"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    done = shown(api, pair)
    assert [(f["number"], f["status"]) for f in done["failovers"]] == [(1, "Failed"), (2, "Succeeded")], done
    assert done["activeSide"] == "secondary"


def test_switches_need_write_on_both_workspaces(api: Api, name: str, two: Any) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    assert make_pair(api, pair, primary, secondary, "hot-cold").status_code == 201
    create_user(api, name)
    token = user_token(api, name)
    user_id = api.client.get(f"/v1.0/users/{name}@amlite.local").json()["id"]
    assert assign(api, user_id, "Contributor", primary).status_code == 201
    assert assign(api, user_id, "Reader", secondary).status_code == 201
    before = api.snapshot()
    r = switch(api, pair, "failover", headers=bearer(token))
    assert r.status_code == 403 and secondary in r.json()["error"]["message"], r.text
    assert api.snapshot() == before
    assert switch(api, "no-such-pair", "failover").status_code == 404
    assert assign(api, user_id, "Contributor", secondary).status_code == 201
    r = switch(api, pair, "failover", headers=bearer(token))
    assert r.status_code == 200 and r.json()["status"] == "Succeeded", r.text


def _wait_no_open(api: Api, kind: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with api.container.deps.uow() as uow:
            counts = uow.tasks.count_by_state(kind)
        if not counts.get("Pending") and not counts.get("Running"):
            return
        time.sleep(0.05)


def _running_job(api: Api, rg: str, ws: str, secs: int = 30) -> str:
    env = {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
                          "condaFile": {"dependencies": ["python=3.11", "pip", {"pip": []}]}}}
    assert api.request("PUT", f"{api.ws_path(rg, ws)}/environments/plain/versions/1", ML, json=env).status_code == 201
    code = {**upload(api, rg, ws, f"import time; time.sleep({secs})\n".encode()), "path": "sleep.py"}
    data = b"model weights"
    digest = upload_blob(api, api.ws_path(rg, ws), data)
    assert api.request("PUT", f"{api.ws_path(rg, ws)}/models/m/versions/1", ML,
                       json=model_body(digest, len(data))).status_code == 201
    body = {"properties": {"jobType": "Command", "command": "python sleep.py", "environmentId": "azureml:plain:1",
                           "codeArtifacts": [code], "experimentName": "fo",
                           "inputs": {"weights": {"jobInputType": "custom_model", "uri": "azureml:m:1"}}}}
    path = f"{api.ws_path(rg, ws)}/jobs/sleeper"
    assert api.request("PUT", path, ML, json=body).status_code == 201
    assert wait_for(api, path, ("Running",))["properties"]["status"] == "Running"
    return path


@pytest.mark.parametrize("jobs", ["hot-hot", "hot-cold"])
def test_the_primarys_running_job_is_resubmitted_or_reported(api: Api, name: str, two: Any, drill: None,
                                                             jobs: str) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    assert make_pair(api, pair, primary, secondary, "hot-hot", per_kind={"jobs": jobs}).status_code == 201
    # the environment is copied (hot): the resubmitted job names it in the secondary
    old = _running_job(api, name, f"p{name}")
    wait_copied(api, pair, "environments")
    wait_copied(api, pair, "models")
    if jobs == "hot-hot":  # the job's files are copied ahead by a task of their own
        _wait_no_open(api, "pair.job")
    assert fail(api, "eastus").status_code == 200
    report = switch(api, pair, "failover").json()
    assert report["status"] == "Succeeded", report
    restore(api, "eastus")  # the primary's job is read through the API again
    ended = api.request("GET", old, ML).json()["properties"]
    if jobs == "hot-cold":  # its files were only in the primary's storage, which was down
        [lost] = report["notRecovered"]
        assert lost["name"] == "sleeper" and "hot-cold" in lost["reason"] and report["jobs"] == []
        assert ended["status"] == "Running"  # left as it is: it may still finish in the primary
        assert api.request("POST", f"{old}/cancel", ML).status_code in (200, 202)
        return
    assert ended["status"] == "Failed", ended
    assert report["notRecovered"] == [], report
    [moved] = report["jobs"]
    assert moved["from"] == "sleeper" and moved["to"] == "sleeper-failover1"
    assert moved["resolvedInSecondary"] == ["weights: models/m:1"]  # the copied model, in the secondary
    assert ended["error"]["code"] == FAILED_OVER and "sleeper-failover1" in ended["error"]["message"], ended
    # its MLflow run ends with it, as a job's run ends with the job
    assert run_of(api, primary, ended["mlflowRunId"])["status"] == "FAILED"
    new = api.request("GET", f"{secondary}/jobs/sleeper-failover1", ML).json()["properties"]
    assert new["tags"]["amlite.failover.from"] == old.split("?")[0], new
    assert api.request("POST", f"{secondary}/jobs/sleeper-failover1/cancel", ML).status_code in (200, 202)


def run_of(api: Api, ws: str, run_id: str) -> dict[str, Any]:
    r = api.client.get(f"/mlflow/v1.0{ws}/api/2.0/mlflow/runs/get", params={"run_id": run_id})
    assert r.status_code == 200, r.text
    info: dict[str, Any] = r.json()["run"]["info"]
    assert info["end_time"], info  # ended
    return info


def _running_pipeline(api: Api, primary: str, secondary: str, pair: str, nap: float) -> str:
    """A hot-hot pair whose primary runs pipeline 'pipe': step 'first' naps ``nap`` seconds (its
    code a file of its component), then 'second' reads its output; returns the running step."""
    env = {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
                          "condaFile": {"dependencies": ["python=3.11", "pip", {"pip": []}]}}}
    assert api.request("PUT", f"{primary}/environments/plain/versions/1", ML, json=env).status_code == 201
    script = f"import time; print('napping', flush=True); time.sleep({nap})\n".encode()
    digest = upload_blob(api, primary, script)
    component = {"properties": {"artifacts": [{"path": "nap.py", "sha256": digest, "size": len(script)}],
                                "componentSpec": {"name": "nap", "version": "1", "type": "command",
                                                  "environment": "azureml:plain:1", "command": "python nap.py",
                                                  "outputs": {"out": {"type": "uri_folder"}}}}}
    assert api.request("PUT", f"{primary}/components/nap/versions/1", ML, json=component).status_code == 201
    after = {"properties": {"componentSpec": {"name": "after", "version": "1", "type": "command",
                                              "environment": "azureml:plain:1", "command": "ls ${{inputs.src}}",
                                              "inputs": {"src": {"type": "uri_folder"}}}}}
    assert api.request("PUT", f"{primary}/components/after/versions/1", ML, json=after).status_code == 201
    assert make_pair(api, pair, primary, secondary, "hot-hot").status_code == 201
    body = {"properties": {"jobType": "Pipeline", "jobs": {
        "first": {"componentId": "azureml:nap:1"},
        "second": {"componentId": "azureml:after:1", "inputs": {"src": "${{parent.jobs.first.outputs.out}}"}}}}}
    assert api.request("PUT", f"{primary}/jobs/pipe", ML, json=body).status_code == 201
    step = f"{primary}/jobs/pipe_first"
    deadline = time.monotonic() + 30
    while api.request("GET", step, ML).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wait_for(api, step, ("Running",))["properties"]["status"] == "Running"
    for kind in ("environments", "components"):
        wait_copied(api, pair, kind)
    _wait_no_open(api, "pair.job")  # the pipeline's files, its steps' code with them, copied ahead
    return step


def test_a_running_pipeline_is_resubmitted_whole_and_runs_in_the_secondary(api: Api, name: str, two: Any,
                                                                           drill: None) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    step = _running_pipeline(api, primary, secondary, pair, nap=60)
    assert fail(api, "eastus").status_code == 200
    report = switch(api, pair, "failover").json()
    assert report["status"] == "Succeeded" and report["notRecovered"] == [], report
    [moved] = report["jobs"]  # the pipeline, not its step on its own
    assert moved["from"] == "pipe" and moved["to"] == "pipe-failover1", moved
    # the steps run anew in the secondary while the primary's storage is still down
    again = f"{secondary}/jobs/pipe-failover1_first"
    deadline = time.monotonic() + 30
    while api.request("GET", again, ML).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wait_for(api, again, ("Running", "Failed", "Completed"))["properties"]["status"] == "Running"
    new = api.request("GET", f"{secondary}/jobs/pipe-failover1", ML).json()["properties"]
    assert new["jobType"] == "Pipeline" and new["tags"]["amlite.failover.from"].endswith("/jobs/pipe"), new
    assert api.request("GET", f"{secondary}/jobs/pipe_first-failover1", ML).status_code == 404
    restore(api, "eastus")
    for path, names in ((f"{primary}/jobs/pipe", "resubmitted there as 'pipe-failover1'"),
                        (step, "its pipeline 'pipe' was resubmitted there as 'pipe-failover1'")):
        ended = wait_for(api, path, ("Failed",))["properties"]
        assert ended["status"] == "Failed" and ended["error"]["code"] == FAILED_OVER, ended
        assert names in ended["error"]["message"], ended
    assert run_of(api, primary, api.request("GET", step, ML).json()["properties"]["mlflowRunId"])["status"] == "FAILED"
    # the primary's pipeline submits no further step once ended
    assert api.request("GET", f"{primary}/jobs/pipe_second", ML).status_code == 404
    assert api.request("POST", f"{secondary}/jobs/pipe-failover1/cancel", ML).status_code in (200, 202)
    wait_for(api, f"{secondary}/jobs/pipe-failover1", ("Canceled", "Failed", "Completed"))


def test_a_pipeline_the_outage_ended_through_its_step_is_resubmitted(api: Api, name: str, two: Any,
                                                                     drill: None) -> None:
    primary, secondary = two
    pair = f"pair-{name}"
    _running_pipeline(api, primary, secondary, pair, nap=1.5)
    assert fail(api, "eastus").status_code == 200  # the step's outputs cannot be stored: it fails, and its pipeline
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with api.container.deps.uow() as uow:
            ws = uow.workspaces.by_key(_pair_primary_key(api, pair))
            ended = uow.jobs.get(ws.key, "pipe") if ws else None
        if ended is not None and ended.status.is_terminal:
            break
        time.sleep(0.1)
    assert ended is not None and ended.error_code == "PipelineStepFailed", ended
    report = switch(api, pair, "failover").json()
    assert report["status"] == "Succeeded" and report["notRecovered"] == [], report
    assert [(j["from"], j["to"]) for j in report["jobs"]] == [("pipe", "pipe-failover1")], report
    assert api.request("GET", f"{secondary}/jobs/pipe-failover1", ML).json()["properties"]["jobType"] == "Pipeline"
    assert api.request("POST", f"{secondary}/jobs/pipe-failover1/cancel", ML).status_code in (200, 202)
    restore(api, "eastus")
    # a step (the napping one, or the next if it finished first) could not reach the failed storage
    codes = [(r.json()["properties"].get("error") or {}).get("code") for r in
             (api.request("GET", f"{primary}/jobs/pipe_{s}", ML) for s in ("first", "second")) if r.status_code == 200]
    assert "JobRunnerError" in codes, codes
    wait_for(api, f"{secondary}/jobs/pipe-failover1", ("Canceled", "Failed", "Completed"))


def _pair_primary_key(api: Api, pair: str) -> str:
    with api.container.deps.uow() as uow:
        found = uow.workspace_pairs.by_name(api.tenant, pair)
    assert found is not None
    return found.primary_key


def test_the_health_check_fails_over_an_auto_failover_pair(api: Api, name: str, two: Any, drill: None) -> None:
    primary, secondary = two
    body = {"properties": {"primaryWorkspaceId": primary, "secondaryWorkspaceId": secondary, "mode": "hot-cold",
                           "autoFailover": True, "failoverAfterSeconds": 0}}
    assert api.request("PUT", f"{PAIRS}/auto-{name}", ML, json=body).status_code == 201
    assert make_pair(api, f"manual-{name}", primary, secondary, "hot-cold").status_code == 201
    assert api.container.failover.health_check() == 0  # the region is up
    assert shown(api, f"auto-{name}")["autoFailover"] is True
    assert fail(api, "eastus").status_code == 200
    assert api.container.failover.health_check() >= 1
    deadline = time.monotonic() + 30
    while (props := shown(api, f"auto-{name}"))["activeSide"] != "secondary" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert props["activeSide"] == "secondary" and props["failovers"][0]["automatic"] is True, props
    assert shown(api, f"manual-{name}")["activeSide"] == "primary"  # default off


def test_a_bad_failover_threshold_is_refused(api: Api, name: str, two: Any) -> None:
    primary, secondary = two
    before = api.snapshot()
    body = {"properties": {"primaryWorkspaceId": primary, "secondaryWorkspaceId": secondary, "mode": "hot-cold",
                           "autoFailover": True, "failoverAfterSeconds": -5}}
    r = api.request("PUT", f"{PAIRS}/bad-{name}", ML, json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidFailoverAfter", r.text
    assert api.snapshot() == before
