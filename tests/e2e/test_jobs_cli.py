"""Command jobs through the real ``amlite`` CLI against real servers: a job with a code folder, a
local data input and an inline environment runs, streams its log, leaves its output, becomes a
model; ``job download`` and ``job create -f`` carry it to a second workspace (seed 001); cancel
ends its process tree; a server killed with -9 during a job leaves no process behind, fails the
job with its reason on restart, and the same YAML resubmits."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, ServerProcess
from tests.pg import postgres_database

pytestmark = pytest.mark.e2e

TRAIN = """import argparse, os, pathlib, time
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--out"); p.add_argument("--secs", type=float, default=0)
p.add_argument("--pidfile", default="")
a = p.parse_args()
if a.pidfile:
    pathlib.Path(a.pidfile).write_text(str(os.getpid()))
print("training started", flush=True)
time.sleep(a.secs)
rows = pathlib.Path(a.data).read_text().splitlines()
pathlib.Path(a.out, "model.txt").write_text(f"weights from {len(rows)} rows\\n")
print(f"trained on {len(rows)} rows")
"""


def project(root: Path, secs: str = "0", pidfile: str = "") -> Path:
    """A job folder as a user has it: code, data, a conda file and the job's YAML."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(TRAIN)
    (root / "data.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    (root / "conda.yml").write_text("name: tiny\ndependencies:\n  - python=3.11\n  - pip\n  - pip: []\n")
    extra = f" --pidfile {pidfile}" if pidfile else ""
    (root / "job.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: ./src
command: python train.py --data ${{{{inputs.data}}}} --out ${{{{outputs.model}}}} --secs ${{{{inputs.secs}}}}{extra}
inputs:
  data:
    type: uri_file
    path: ./data.csv
  secs: {secs}
outputs:
  model:
    type: uri_folder
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
  conda_file: ./conda.yml
compute: azureml:cpu-cluster
experiment_name: seed-jobs
display_name: train
""")
    return root / "job.yml"


def workspace(cli: Cli, name: str = "ws-jobs") -> list[str]:
    group = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", name, "-g", group)
    made = cli.json("ml", "compute", "create", "-n", "cpu-cluster", "--type", "amlcompute", "--size", "Standard_DS3_v2",
                    "--max-instances", "2", "-w", name, "-g", group)
    assert made["provisioning_state"] == "Succeeded"
    return ["-w", name, "-g", group]


def wait_status(cli: Cli, name: str, ws: list[str], wanted: tuple[str, ...], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        shown = cli.json("ml", "job", "show", "-n", name, *ws)
        if shown["status"] in wanted or time.monotonic() > deadline:
            return shown  # type: ignore[no-any-return]
        time.sleep(0.3)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_job_runs_streams_becomes_a_model_and_round_trips(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    ws = workspace(cli)
    yml = project(tmp_path / "proj")
    run = cli("ml", "job", "create", "--file", str(yml), "--stream", *ws)
    assert run.returncode == 0, run.stderr
    import json

    job = json.loads(run.stdout)
    assert job["status"] == "Completed" and job["type"] == "command" and job["experiment_name"] == "seed-jobs"
    assert job["resourceGroup"] == ws[3] and job["display_name"] == "train"
    assert "trained on 4 rows" in run.stderr  # streamed
    assert any("image" in w for w in job["warnings"]) and not any("cpu-cluster" in w for w in job["warnings"])
    assert job["compute"] == "azureml:cpu-cluster"  # it ran on a node of the cluster: nothing to warn of
    assert job["outputs"]["model"]["path"] == f"azureml://jobs/{job['name']}/outputs/model"
    assert job["environment"].startswith("azureml:CliV2AnonymousEnvironment:")

    listed = cli.json("ml", "job", "list", *ws)
    assert [j["name"] for j in listed] == [job["name"]]
    streamed = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert streamed.returncode == 0 and "training started" in streamed.stdout

    model = cli.json("ml", "model", "create", "-n", "from-job", "--path",
                     f"azureml://jobs/{job['name']}/outputs/model", *ws)
    assert model["job_name"] == job["name"] and model["version"] == "1"

    out = tmp_path / "download"
    assert cli("ml", "job", "download", "-n", job["name"], "--all", "-p", str(out), *ws).returncode == 0
    assert (out / "named-outputs" / "model" / "model.txt").read_text() == "weights from 4 rows\n"
    assert "trained on 4 rows" in (out / "artifacts" / "user_logs" / "std_log.txt").read_text()

    # Seed 001: the same YAML resubmitted into a second workspace runs there.
    ws2 = workspace(cli, "ws-jobs-2")
    again = cli("ml", "job", "create", "--file", str(yml), "--stream", *ws2)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "Completed"

    failing = cli("ml", "job", "create", "--file", str(yml), "--set", "inputs.data.path=./nope.csv", *ws)
    assert failing.returncode == 1 and "(LocalPathNotFound)" in failing.stderr
    assert [j["name"] for j in cli.json("ml", "job", "list", *ws)] == [job["name"]]
    assert cli("ml", "job", "show", "-n", "no-such-job", *ws).returncode == 3


def test_cancel_ends_the_process_tree(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    ws = workspace(cli)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="300", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pidfile.read_text())
    assert alive(pid)
    assert cli("ml", "job", "cancel", "-n", job["name"], *ws).returncode == 0
    assert wait_status(cli, job["name"], ws, ("Canceled", "Failed", "Completed"))["status"] == "Canceled"
    assert not alive(pid)
    ended = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert ended.returncode == 1 and "training started" in ended.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        with postgres_database() as url:
            yield url


def test_kill_9_leaves_no_orphan_fails_the_job_and_resubmits(cli: Cli, server_factory: Callable[..., ServerProcess],
                                                             tmp_path: Path, db_url: str | None) -> None:
    """On SQLite the restarted server frees every claim at once; on PostgreSQL the job's claim runs
    out (its lease) and the job is failed then."""
    server = server_factory(db_url=db_url, config={"job_lease_seconds": 6})  # the claim runs out sooner
    cli.json("login", "--credentials-file", str(server.credentials_file))
    ws = workspace(cli)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="300", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pidfile.read_text())
    assert alive(pid)

    server.kill()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the job's process outlived the server"

    server.process = None
    server.start()
    failed = wait_status(cli, job["name"], ws, ("Failed", "Canceled", "Completed"), timeout=90)
    assert failed["status"] == "Failed" and failed["error"]["code"] == "JobInterrupted", failed

    again = cli("ml", "job", "create", "--file", str(yml), "--set", "inputs.secs=0", "--stream", *ws)
    assert again.returncode == 0, again.stderr


def test_kill_9_under_a_pipeline_ends_it_and_its_step(cli: Cli, server_factory: Callable[..., ServerProcess],
                                                      tmp_path: Path) -> None:
    """A pipeline's task is mostly back in the queue between looks at its steps: a server killed
    then leaves no step process behind, and after the restart the step is failed ``JobInterrupted``
    and the pipeline fails naming it (the step that was not started never runs)."""
    server = server_factory(config={"job_lease_seconds": 6})
    cli.json("login", "--credentials-file", str(server.credentials_file))
    ws = workspace(cli, "ws-pipe-kill")
    root = tmp_path / "pipe"
    (root / "src").mkdir(parents=True)
    pidfile = tmp_path / "step.pid"
    (root / "src" / "slow.py").write_text(
        f"import os, pathlib, time\npathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))\ntime.sleep(300)\n")
    (root / "slow.yml").write_text("name: slow\nversion: 1\ntype: command\ncode: ./src\ncommand: python slow.py\n"
                                   "outputs:\n  out: {type: uri_folder}\n"
                                   "environment: azureml://registries/azureml/environments/docker-tools/labels/latest\n")
    (root / "after.yml").write_text("name: after\nversion: 1\ntype: command\ncode: ./src\ncommand: echo ${{inputs.data}}\n"
                                    "inputs:\n  data: {type: uri_folder}\n"
                                    "environment: azureml://registries/azureml/environments/docker-tools/labels/latest\n")
    (root / "pipeline.yml").write_text("type: pipeline\nexperiment_name: pipe-kill\njobs:\n"
                                       "  first:\n    type: command\n    component: ./slow.yml\n"
                                       "  second:\n    type: command\n    component: ./after.yml\n"
                                       "    inputs: {data: '${{parent.jobs.first.outputs.out}}'}\n")
    made = cli.json("ml", "job", "create", "--file", str(root / "pipeline.yml"), "-n", "pipe-kill", *ws)
    assert made["status"] in ("NotStarted", "Queued", "Preparing", "Running")
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pidfile.read_text())
    pidfile.unlink()
    time.sleep(1.5)  # past a look: the pipeline's task is back in the queue

    server.kill()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the step's process outlived the server"

    server.process = None
    server.start()
    ended = wait_status(cli, "pipe-kill", ws, ("Failed", "Canceled", "Completed"), timeout=90)
    assert ended["status"] == "Failed" and ended["error"]["code"] in ("PipelineStepFailed", "JobInterrupted"), ended
    first = wait_status(cli, "pipe-kill_first", ws, ("Failed", "Canceled", "Completed"), timeout=30)
    assert first["status"] == "Failed" and first["error"]["code"] == "JobInterrupted", first
    assert cli("ml", "job", "show", "-n", "pipe-kill_second", *ws).returncode == 3  # never submitted
    assert not pidfile.exists(), "a step ran again behind the user's back"
