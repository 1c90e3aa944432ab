"""The same command job on the two backends of the job runner, through the real ``amlite`` CLI: a
compute cluster's node (the server's local runner) and a Ray compute (a real local Ray cluster,
started here on loopback, the job submitted through Ray's job API). Both complete with the same
output and the same MLflow metric; cancel stops the Ray job; a server killed with -9 while a Ray
job runs re-attaches to it on restart.

Ray is started once for the module (``ray start --head --block`` in a session of its own) and its
whole process group is ended afterwards. A Ray that does not start fails the module: Ray is a
test dependency (``pip install -e '.[test]'``), never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, ServerProcess, free_port

pytestmark = pytest.mark.e2e

RAY_START_TIMEOUT = 120.0

TRAIN = """import argparse, os, pathlib, time
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--out"); p.add_argument("--secs", type=float, default=0)
p.add_argument("--pidfile", default="")
a = p.parse_args()
if a.pidfile:
    pathlib.Path(a.pidfile).write_text(str(os.getpid()))
print(f"training started as {os.environ['AZUREML_RUN_ID']}", flush=True)
time.sleep(a.secs)
rows = pathlib.Path(a.data).read_text().splitlines()
pathlib.Path(a.out, "model.txt").write_text(f"weights from {len(rows)} rows, alpha {os.environ['ALPHA']}\\n")
mlflow.log_metric("rows", len(rows))
print(f"trained on {len(rows)} rows")
"""


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A local Ray head on loopback (one CPU, a small object store); its dashboard's address."""
    ray = Path(sys.executable).parent / "ray"
    assert ray.exists(), "Ray is a test dependency: pip install 'ray[default]' (see pyproject's test extra)"
    temp = Path(tempfile.mkdtemp(prefix="amlray-"))  # short: Ray's socket paths live under it
    port, dashboard = free_port(), free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
    args = [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
            f"--port={port}", f"--dashboard-port={dashboard}", f"--ray-client-server-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
            f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}", "--num-cpus=1",
            "--object-store-memory=100000000", f"--temp-dir={temp}", "--include-dashboard=true",
            "--disable-usage-stats"]
    log = temp / "ray-start.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        deadline = time.monotonic() + RAY_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ray start exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
            try:
                with urllib.request.urlopen(f"{address}/api/jobs/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray's dashboard did not answer within {RAY_START_TIMEOUT}s:\n"
                                   f"{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield address
    finally:
        _end_group(proc)
        shutil.rmtree(temp, ignore_errors=True)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """TERM Ray's process group (``ray start --block`` stops what it started), then KILL what is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=15)


def project(root: Path, secs: str = "0", pidfile: str = "") -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(TRAIN)
    (root / "data.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
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
environment_variables:
  ALPHA: "0.5"
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
compute: azureml:cpu-cluster
experiment_name: two-backends
""")
    return root / "job.yml"


def workspace(cli: Cli, tmp: Path, address: str) -> list[str]:
    """A workspace with a compute cluster and a Ray compute attached to ``address``."""
    group = f"rg-{os.urandom(4).hex()}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-ray", "-g", group)
    ws = ["-w", "ws-ray", "-g", group]
    cli.json("ml", "compute", "create", "-n", "cpu-cluster", "--type", "amlcompute", "--size", "Standard_DS3_v2", *ws)
    (tmp / "ray.yml").write_text(f"name: ray-cluster\ntype: ray\naddress: {address}\ndescription: a local Ray\n")
    made = cli.json("ml", "compute", "create", "--file", str(tmp / "ray.yml"), *ws)
    assert made["provisioning_state"] == "Succeeded" and made["type"] == "ray" and made["address"] == address
    return ws


def wait_status(cli: Cli, name: str, ws: list[str], wanted: tuple[str, ...], timeout: float = 120) -> dict:
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


def test_the_same_job_on_a_cluster_and_on_ray(logged_in: Cli, tmp_path: Path, ray_address: str) -> None:
    cli = logged_in
    ws = workspace(cli, tmp_path, ray_address)
    yml = project(tmp_path / "proj")
    ended: dict[str, dict] = {}
    for compute in ("cpu-cluster", "ray-cluster"):
        run = cli("ml", "job", "create", "--file", str(yml), "--set", f"compute=azureml:{compute}", "--stream", *ws)
        assert run.returncode == 0, run.stderr
        job = json.loads(run.stdout)
        assert f"training started as {job['name']}" in run.stderr and "trained on 4 rows" in run.stderr  # streamed
        assert "amlite-ray-result" not in run.stderr  # the Ray runner's result line is not the user's log
        ended[compute] = wait_status(cli, job["name"], ws, ("Completed", "Failed", "Canceled"))
    local, ray = ended["cpu-cluster"], ended["ray-cluster"]
    assert ray["compute"] == "azureml:ray-cluster" and local["compute"] == "azureml:cpu-cluster"
    assert any("image" in w and "Ray cluster's own Python" in w for w in ray["warnings"]), ray["warnings"]
    assert any("image" in w and "virtualenv" in w for w in local["warnings"]), local["warnings"]
    with urllib.request.urlopen(f"{ray_address}/api/jobs/", timeout=10) as answer:  # Ray ran it, and only it
        on_ray = [j for j in json.load(answer) if j.get("metadata", {}).get("amlite.job") in (ray["name"], local["name"])]
    assert [(j["metadata"]["amlite.job"], j["status"]) for j in on_ray] == [(ray["name"], "SUCCEEDED")]
    for job in (local, ray):
        assert job["status"] == "Completed", job
        assert job["metrics"] == {"rows": 4.0}, job
        out = tmp_path / job["name"]
        assert cli("ml", "job", "download", "-n", job["name"], "--output-name", "model", "-p", str(out), *ws).returncode == 0
        assert (out / "named-outputs" / "model" / "model.txt").read_text() == "weights from 4 rows, alpha 0.5\n"
        assert "trained on 4 rows" in (out / "artifacts" / "user_logs" / "std_log.txt").read_text()

    # A command that fails on Ray fails the job with its exit code.
    bad = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster",
                   "--set", "command=python -c 'raise SystemExit(3)'", *ws)
    failed = wait_status(cli, bad["name"], ws, ("Completed", "Failed", "Canceled"))
    assert failed["status"] == "Failed" and failed["error"]["code"] == "UserError" and "code 3" in failed["error"]["message"]


def test_cancel_stops_the_ray_job(logged_in: Cli, tmp_path: Path, ray_address: str) -> None:
    cli = logged_in
    ws = workspace(cli, tmp_path, ray_address)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="300", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster", *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    pid = int(pidfile.read_text())
    assert alive(pid)
    assert cli("ml", "job", "cancel", "-n", job["name"], *ws).returncode == 0
    assert wait_status(cli, job["name"], ws, ("Canceled", "Failed", "Completed"))["status"] == "Canceled"
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid), "the command outlived its canceled Ray job"
    ended = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert ended.returncode == 1 and "training started" in ended.stdout


def test_a_server_killed_during_a_ray_job_re_attaches(cli: Cli, server_factory: Callable[..., ServerProcess],
                                                      tmp_path: Path, ray_address: str) -> None:
    server = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    ws = workspace(cli, tmp_path, ray_address)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="6", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster", *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.2)

    server.kill()  # the Ray job runs on: it is the cluster's, not the server's
    assert alive(int(pidfile.read_text()))
    server.process = None
    server.start()
    done = wait_status(cli, job["name"], ws, ("Completed", "Failed", "Canceled"))
    assert done["status"] == "Completed", done
    assert done["metrics"] == {"rows": 4.0}
    streamed = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert streamed.returncode == 0 and "trained on 4 rows" in streamed.stdout
