"""A job logs to MLflow for real, against a real server through the ``amlite`` CLI: the job's
process calls the plain ``mlflow`` client with only what the runner gives it (``MLFLOW_TRACKING_URI``,
``MLFLOW_RUN_ID``, ``MLFLOW_TRACKING_TOKEN``), ``job show`` lists the metric, and the plain
``MlflowClient`` sees the job's run, named after the job in its experiment, ``FINISHED``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

LOG = "python -c \"import mlflow; mlflow.log_metric('accuracy', 0.9); mlflow.log_param('k','v')\""


def test_a_job_logs_metrics_that_job_show_and_the_mlflow_client_see(logged_in: Cli, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cli = logged_in
    group = f"rg-{uuid.uuid4().hex[:8]}"
    ws = ["-w", "ws-tracked", "-g", group]
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-tracked", "-g", group)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "README.txt").write_text("the command is all there is\n")
    (tmp_path / "job.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: ./src
command: {json.dumps(LOG)}
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
experiment_name: tracked-jobs
""")
    run = cli("ml", "job", "create", "--file", str(tmp_path / "job.yml"), "--stream", *ws)
    assert run.returncode == 0, run.stdout + run.stderr
    name = json.loads(run.stdout)["name"]

    shown = cli("ml", "job", "show", "-n", name, *ws, "--query", "metrics.accuracy", "-o", "tsv")
    assert shown.returncode == 0 and shown.stdout.strip() == "0.9", shown.stdout + shown.stderr
    job = cli.json("ml", "job", "show", "-n", name, *ws)
    assert job["status"] == "Completed" and job["metrics"] == {"accuracy": 0.9}

    uri = cli.json("ml", "workspace", "show", "-n", "ws-tracked", "-g", group)["mlflow_tracking_uri"]
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", cli.json("account", "get-access-token")["accessToken"])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tracked-jobs")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], filter_string=f"tags.`azureml.job` = '{name}'")
    assert len(runs) == 1
    tracked = runs[0]
    assert tracked.info.status == "FINISHED" and tracked.info.run_name == name
    assert tracked.data.metrics == {"accuracy": 0.9} and tracked.data.params == {"k": "v"}
