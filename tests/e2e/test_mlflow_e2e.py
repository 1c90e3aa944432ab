"""The real ``mlflow`` client against a real server, pointed at workspaces' ``mlFlowTrackingUri``
with an amlite token as ``MLFLOW_TRACKING_TOKEN``: experiments, runs, params, metrics with steps,
tags, batches, artifacts, searches, delete/restore, and isolation between two workspaces, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient


if TYPE_CHECKING:  # fixtures come from conftest.py
    from conftest import Cli, ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> Iterator[ServerProcess]:
    """A server on SQLite: the tracking API's store code runs on both stores in
    tests/integration/test_mlflow_api.py; this test is about the real mlflow client over HTTP."""
    yield server_factory()


def _tracking_uri(cli: Cli, rg: str, ws: str) -> str:
    cli.json("ml", "workspace", "create", "-n", ws, "-g", rg)
    return str(cli.json("ml", "workspace", "show", "-n", ws, "-g", rg)["mlflow_tracking_uri"])


@pytest.fixture
def tracked(cli: Cli, server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two workspaces of one group, and the environment the mlflow client reads."""
    cli.json("login", "--credentials-file", str(server.credentials_file))
    rg = f"rg-mlf-{uuid.uuid4().hex[:6]}"
    cli.json("group", "create", "-g", rg, "-l", "eastus")
    first, second = _tracking_uri(cli, rg, "ws-one"), _tracking_uri(cli, rg, "ws-two")
    token = cli.json("account", "get-access-token")["accessToken"]
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", first)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(first)
    yield {"first": first, "second": second, "server": server}
    if mlflow.active_run() is not None:
        mlflow.end_run()


def test_the_mlflow_client_tracks_runs_in_a_workspace(tracked: dict[str, Any], tmp_path: Path) -> None:
    assert tracked["first"].startswith(f"{tracked['server'].endpoint}/mlflow/v1.0/subscriptions/")
    exp = mlflow.set_experiment("train-digits")
    assert mlflow.set_experiment("train-digits").experiment_id == exp.experiment_id  # found by name
    runs: dict[str, str] = {}
    for lr, acc in ((0.1, 0.81), (0.01, 0.93), (0.001, 0.88)):
        with mlflow.start_run(run_name=f"lr-{lr}") as run:
            mlflow.log_param("lr", lr)
            for step in range(3):
                mlflow.log_metric("acc", acc - 0.1 * (2 - step), step=step)
            mlflow.set_tag("team", "vision" if lr != 0.001 else "nlp")
            mlflow.log_metrics({"loss": 1 - acc, "nan_metric": math.nan})
            model = tmp_path / f"model-{lr}.txt"
            model.write_text(f"weights for lr={lr}\n")
            mlflow.log_artifact(str(model), artifact_path="model")
            runs[str(lr)] = run.info.run_id

    client = MlflowClient()
    best = client.search_runs([exp.experiment_id], filter_string="metrics.acc > 0.85 and tags.team = 'vision'",
                              order_by=["metrics.acc DESC"])
    assert [r.info.run_id for r in best] == [runs["0.01"]]
    ordered = client.search_runs([exp.experiment_id], order_by=["params.lr ASC"])
    assert [r.data.params["lr"] for r in ordered] == ["0.001", "0.01", "0.1"]
    like = client.search_runs([exp.experiment_id], filter_string="attributes.run_name LIKE 'lr-0.0%'")
    assert {r.info.run_name for r in like} == {"lr-0.01", "lr-0.001"}
    paged = client.search_runs([exp.experiment_id], max_results=2)
    assert len(paged) == 2 and paged.token
    assert len(client.search_runs([exp.experiment_id], max_results=2, page_token=paged.token)) == 1

    run = client.get_run(runs["0.01"])
    assert run.info.status == "FINISHED" and run.info.end_time
    assert run.data.metrics["acc"] == pytest.approx(0.93) and math.isnan(run.data.metrics["nan_metric"])
    assert run.data.tags["mlflow.runName"] == "lr-0.01"
    history = client.get_metric_history(runs["0.01"], "acc")
    assert [(m.step, round(m.value, 2)) for m in history] == [(0, 0.73), (1, 0.83), (2, 0.93)]

    assert [f.path for f in client.list_artifacts(runs["0.01"])] == ["model"]
    assert [(f.path, f.file_size) for f in client.list_artifacts(runs["0.01"], "model")] == [
        ("model/model-0.01.txt", len("weights for lr=0.01\n"))]
    local = mlflow.artifacts.download_artifacts(run_id=runs["0.01"], artifact_path="model", dst_path=str(tmp_path / "dl"))
    assert (Path(local) / "model-0.01.txt").read_text() == "weights for lr=0.01\n"

    with mlflow.start_run() as batch_run:  # the client's batch call, and a name made up by the server
        client.log_batch(batch_run.info.run_id, metrics=[Metric("m", 1.5, 1000, 4)], params=[Param("p", "v")],
                         tags=[RunTag("t", "x")])
    logged = client.get_run(batch_run.info.run_id)
    assert (logged.data.metrics, logged.data.params["p"], logged.data.tags["t"]) == ({"m": 1.5}, "v", "x")
    assert logged.info.run_name and logged.info.experiment_id == exp.experiment_id
    with pytest.raises(MlflowException, match="Changing param values is not allowed"):
        client.log_param(batch_run.info.run_id, "p", "w")
    client.delete_tag(batch_run.info.run_id, "t")
    assert "t" not in client.get_run(batch_run.info.run_id).data.tags

    client.delete_run(runs["0.1"])
    assert runs["0.1"] not in {r.info.run_id for r in client.search_runs([exp.experiment_id])}
    deleted = client.search_runs([exp.experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [runs["0.1"]]
    client.restore_run(runs["0.1"])
    assert client.get_run(runs["0.1"]).info.lifecycle_stage == "active"

    client.rename_experiment(exp.experiment_id, "train-digits-v2")
    assert client.get_experiment_by_name("train-digits") is None
    client.delete_experiment(exp.experiment_id)
    assert client.get_experiment(exp.experiment_id).lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="already exists in deleted state"):
        client.create_experiment("train-digits-v2")
    client.restore_experiment(exp.experiment_id)
    names = {e.name for e in client.search_experiments(filter_string="name LIKE 'train-%'")}
    assert names == {"train-digits-v2"}

    # The other workspace sees none of it, whatever ids it is given.
    other = MlflowClient(tracking_uri=tracked["second"])
    assert other.get_experiment_by_name("train-digits-v2") is None
    with pytest.raises(MlflowException) as missing:
        other.get_run(runs["0.01"])
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert other.search_runs([exp.experiment_id]) == []
    with pytest.raises(MlflowException):
        other.log_metric(runs["0.01"], "acc", 1.0)
    with pytest.raises(Exception):
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"{tracked['second']}/api/2.0/mlflow-artifacts/artifacts/{exp.experiment_id}/"
                         f"{runs['0.01']}/artifacts/model/model-0.01.txt", dst_path=str(tmp_path / "nope"))
    assert not (tmp_path / "nope" / "model-0.01.txt").exists()


def test_default_experiment_and_a_bad_token(tracked: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with mlflow.start_run(experiment_id="0") as run:  # the experiment a client uses when none is set
        mlflow.log_metric("x", 1.0)
    client = MlflowClient()
    assert client.get_experiment("0").name == "Default"
    assert client.get_run(run.info.run_id).data.metrics == {"x": 1.0}
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "not-a-token")
    with pytest.raises(MlflowException) as denied:
        MlflowClient().get_run(run.info.run_id)
    assert denied.value.error_code == "UNAUTHENTICATED"
