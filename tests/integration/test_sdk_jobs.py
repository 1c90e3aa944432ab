"""``ml_client.jobs`` over the app in process: a job built in Python with a local code folder and
input runs, streams, downloads; jobs sent to a one-node cluster run one after the other and show
their MLflow metrics; a bad YAML binding is refused before anything is sent."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from amlite import AmlCompute, CommandJob, load_job
from amlite.sdk.errors import ValidationException
from tests.integration.clients import Workspace, workspace  # noqa: F401 (fixture)


def test_a_job_made_in_python_runs_streams_and_downloads(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.py").write_text(
        "import sys, pathlib\nprint('hello', pathlib.Path(sys.argv[1]).read_text())\n"
        "pathlib.Path(sys.argv[2], 'done.txt').write_text('ok')\n")
    (tmp_path / "in.txt").write_text("world")
    job = CommandJob(command="python hello.py ${{inputs.words}} ${{outputs.out}}", code="./src",
                     environment={"image": "python:3.11"}, inputs={"words": {"type": "uri_file", "path": "./in.txt"}},
                     outputs={"out": {"type": "uri_folder"}}, base_path=str(tmp_path), experiment_name="sdk")
    with workspace.ml_client() as ml_client:
        created = ml_client.jobs.create_or_update(job, name="sdk-job-1")
        assert created.status == "NotStarted" and created.environment.startswith("azureml:CliV2AnonymousEnvironment:")
        sink = io.StringIO()
        ended = ml_client.jobs.stream("sdk-job-1", out=sink, poll_seconds=0.1)
        assert ended.status == "Completed" and "hello world" in sink.getvalue()
        # framed as azure-ai-ml frames it: RunId / Web View, the log's banner, the summary
        lines = sink.getvalue().splitlines()
        assert lines[0] == "RunId: sdk-job-1" and lines[1].startswith("Web View: http")
        assert lines[1].endswith("/jobs/sdk-job-1")
        banner = lines.index("Streaming user_logs/std_log.txt")
        assert lines[banner + 1] == "=" * len("user_logs/std_log.txt" + " " * 10)
        assert banner < next(i for i, line in enumerate(lines) if "hello world" in line)
        summary = lines.index("Execution Summary")
        assert lines[summary + 1:summary + 3] == ["=================", "RunId: sdk-job-1"]
        assert "Warnings:" in lines[summary:] and any("python:3.11" in line for line in lines[summary:])
        dest = ml_client.jobs.download("sdk-job-1", download_path=tmp_path / "dl", all=True)
        assert (dest / "named-outputs" / "out" / "done.txt").read_text() == "ok"
        assert [j.name for j in ml_client.jobs.list()] == ["sdk-job-1"]
        ml_client.jobs.archive("sdk-job-1")
        assert list(ml_client.jobs.list()) == []
        ml_client.jobs.restore("sdk-job-1")
        assert [j.name for j in ml_client.jobs.list()] == ["sdk-job-1"]


def test_an_unbound_port_is_refused_before_anything_is_sent(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "job.yml").write_text("command: echo ${{inputs.nope}}\nenvironment: azureml:e:1\n")
    with pytest.raises(ValidationException) as info:
        load_job(tmp_path / "job.yml")
    assert "inputs.nope" in str(info.value)
    assert workspace.transport.requests == []


def test_jobs_on_a_one_node_cluster_run_in_turn_and_show_their_metrics(workspace: Workspace, tmp_path: Path) -> None:
    sleeper = CommandJob(command='python -c "import time; time.sleep(2)"', environment={"image": "python:3.11"},
                         compute="azureml:solo", experiment_name="sdk-computes", base_path=str(tmp_path))
    with workspace.ml_client() as ml_client:
        cluster = AmlCompute(name="solo", size="Standard_DS3_v2", min_instances=0, max_instances=1)
        assert ml_client.compute.begin_create_or_update(cluster).result().provisioning_state == "Succeeded"
        ml_client.jobs.create_or_update(sleeper, name="turn-1")
        deadline = time.monotonic() + 30
        while ml_client.jobs.get("turn-1").status != "Running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ml_client.jobs.create_or_update(sleeper, name="turn-2")
        while ml_client.jobs.get("turn-1").status == "Running":
            assert ml_client.jobs.get("turn-2").status in ("NotStarted", "Queued")
            time.sleep(0.1)
        second = ml_client.jobs.stream("turn-2", out=io.StringIO(), poll_seconds=0.1)
        assert second.status == "Completed" and ml_client.jobs.get("turn-1").status == "Completed"
        assert second.metrics == {} and second.mlflow_run_id
        r = workspace.api.client.post(f"/mlflow/v1.0{workspace.path}/api/2.0/mlflow/runs/log-metric", json={
            "run_id": second.mlflow_run_id, "key": "loss", "value": 0.25, "timestamp": 1, "step": 0})
        assert r.status_code == 200, r.text
        shown = ml_client.jobs.get("turn-2")
        assert shown.metrics == {"loss": 0.25} and shown._to_dict()["metrics"] == {"loss": 0.25}


def test_an_instance_count_from_yaml_or_set_is_said_not_honoured(workspace: Workspace, tmp_path: Path) -> None:
    """The YAML loader keeps scalars as text: ``instance_count: 2`` (or ``--set
    resources.instance_count=2``) reaches the server as the number it is, and the job's warnings say
    it runs as one process instead of dropping it; a count that is no number is refused unsent."""
    (tmp_path / "job.yml").write_text("command: echo one\nenvironment: {image: python:3.11}\n"
                                      "resources:\n  instance_count: 2\n")
    with workspace.ml_client() as ml_client:
        created = ml_client.jobs.create_or_update(load_job(tmp_path / "job.yml"), name="two-nodes")
        assert any("instanceCount 2 is not honoured" in w for w in created.warnings), created.warnings
        by_set = load_job(tmp_path / "job.yml", params_override=[{"resources.instance_count": "3"}])
        created = ml_client.jobs.create_or_update(by_set, name="three-nodes")
        assert any("instanceCount 3 is not honoured" in w for w in created.warnings), created.warnings
        sent = len(workspace.transport.requests)
        bad = load_job(tmp_path / "job.yml", params_override=[{"resources.instance_count": "two"}])
        with pytest.raises(ValidationException) as info:
            ml_client.jobs.create_or_update(bad, name="bad-count")
        assert "resources.instance_count" in str(info.value)
        assert len(workspace.transport.requests) == sent
